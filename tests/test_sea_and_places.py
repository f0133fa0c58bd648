"""Schema 1.1 in the toolchain: events at sea, ships as targets, the places registry.

Generated 1.1 events validate; each mutation is rejected with its code at its pointer; the
dataset-wide checks find unknown places, events that differ from their place and one ship hit
twice on one day."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from openstrikes.toolchain.checks import REGISTRY, Context, imo_check_digit_ok
from openstrikes.toolchain.record_checks import check_record, validate_event_data
from strategies import ACTOR_IDS, NOW, actor_record, events, imo_with_check_digit, sea_events

ACTORS = [actor_record(a) for a in ACTOR_IDS]
PLACE = {
    "slug": "test-air-base",
    "name": "Test Air Base",
    "aliases": ["Test AB"],
    "country": "IQ",
    "water_body": None,
    "admin1": "Baghdad Governorate",
    "admin2": None,
    "latitude": 33.3152,
    "longitude": 44.3661,
    "geo_precision": "near",
    "sources": [
        {"url": "https://gazetteer.example.org/test-air-base", "title": "Test", "publisher": "Example"}
    ],
    "external_ids": {"geonames": "123", "wikidata": "Q42"},
}
SEA_PLACE = {
    **PLACE,
    "slug": "southern-red-sea",
    "name": "Southern Red Sea",
    "aliases": [],
    "country": None,
    "water_body": "red_sea",
    "admin1": None,
    "latitude": 16.5,
    "longitude": 41.0,
    "geo_precision": "water_body",
    "external_ids": {},
}


def _set(pointer: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(ev: dict[str, Any]) -> None:
        *parents, last = pointer.strip("/").split("/")
        node: Any = ev
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _both(*steps: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(ev: dict[str, Any]) -> None:
        for step in steps:
            step(ev)

    return apply


def _wrong_check_digit(ev: dict[str, Any]) -> None:
    good = imo_with_check_digit("907472")
    ev["targets"][0]["vessel"]["imo"] = good[:6] + str((int(good[6]) + 1) % 10)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(sea_events())
def test_every_generated_event_at_sea_validates(event: dict[str, Any]) -> None:
    assert validate_event_data(event, actors=ACTORS, now=NOW) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_an_event_naming_a_place_with_its_values_validates(event: dict[str, Any]) -> None:
    event.update(
        {k: PLACE[k] for k in ("country", "admin1", "admin2", "latitude", "longitude", "geo_precision")}
    )
    event.update(water_body=None, place=PLACE["slug"], schema_version="1.1.0")
    assert validate_event_data(event, actors=ACTORS, places=[PLACE], now=NOW) == []


# (name, mutation, expected pointer, expected code) on an event at sea
SEA_MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("at sea with a country", _set("/country", "YE"), "/water_body", "OS324"),
    ("neither country nor water", _set("/water_body", None), "/country", "OS324"),
    ("admin1 at sea", _set("/admin1", "Hodeidah"), "/admin1", "OS325"),
    (
        "land precision at sea",
        _both(_set("/latitude", None), _set("/longitude", None), _set("/geo_precision", "admin1")),
        "/geo_precision",
        "OS325",
    ),
    (
        "point at sea far inland",
        _both(_set("/latitude", 15.37), _set("/longitude", 44.19), _set("/geo_precision", "exact")),
        "/latitude",
        "OS326",
    ),
    ("wrong IMO check digit", _wrong_check_digit, "/targets/0/vessel/imo", "OS328"),
    ("IMO not 7 digits", _set("/targets/0/vessel/imo", "123"), "/targets/0/vessel/imo", "OS205"),
    ("unknown flag", _set("/targets/0/vessel/flag", "XX"), "/targets/0/vessel/flag", "OS329"),
    ("flag not a code", _set("/targets/0/vessel/flag", "Liberia"), "/targets/0/vessel/flag", "OS205"),
    ("vessel kind", _set("/targets/0/vessel/kind", "ferry"), "/targets/0/vessel/kind", "OS204"),
    ("water body", _set("/water_body", "north_sea"), "/water_body", "OS204"),
    (
        "offset without a point",
        _both(_set("/latitude", None), _set("/longitude", None), _set("/geo_precision", "offset")),
        "/geo_precision",
        "OS315",
    ),
    ("unknown place", _set("/place", "no-such-place"), "/place", "OS333"),
    ("differs from its place", _set("/place", SEA_PLACE["slug"]), "/geo_precision", "OS334"),
]


@pytest.mark.parametrize(
    ("name", "mutate", "pointer", "code"), SEA_MUTATIONS, ids=[m[0] for m in SEA_MUTATIONS]
)
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(event=sea_events())
def test_each_mutation_of_an_event_at_sea_is_rejected_at_its_pointer(
    name: str, mutate: Callable[[dict[str, Any]], None], pointer: str, code: str, event: dict[str, Any]
) -> None:
    if name == "differs from its place":
        event.update(geo_precision="exact", latitude=20.0, longitude=38.5, water_body="red_sea")
    elif name == "wrong IMO check digit":
        event["targets"][0]["vessel"]["imo"] = imo_with_check_digit("907472")
    mutated = copy.deepcopy(event)
    mutate(mutated)
    problems = validate_event_data(mutated, actors=ACTORS, places=[SEA_PLACE], now=NOW)
    assert any(p.pointer == pointer and p.code == code for p in problems), (name, problems)


LAND_MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("land event with a water body", _set("/water_body", "red_sea"), "/water_body", "OS324"),
    (
        "land event in the water",
        _both(_set("/latitude", 20.0), _set("/longitude", 38.5), _set("/geo_precision", "exact")),
        "/latitude",
        "OS327",
    ),
    ("water_body precision on land", _set("/geo_precision", "water_body"), "/geo_precision", "OS325"),
    ("coordinates differ from the place", _set("/latitude", 33.4), "/latitude", "OS334"),
    ("admin1 differs from the place", _set("/admin1", "Anbar"), "/admin1", "OS334"),
]


@pytest.mark.parametrize(
    ("name", "mutate", "pointer", "code"), LAND_MUTATIONS, ids=[m[0] for m in LAND_MUTATIONS]
)
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_each_mutation_of_a_land_event_is_rejected_at_its_pointer(
    name: str, mutate: Callable[[dict[str, Any]], None], pointer: str, code: str, event: dict[str, Any]
) -> None:
    event.update(
        {k: PLACE[k] for k in ("country", "admin1", "admin2", "latitude", "longitude", "geo_precision")}
    )
    event.update(water_body=None, place=PLACE["slug"], schema_version="1.1.0")
    mutated = copy.deepcopy(event)
    mutate(mutated)
    problems = validate_event_data(mutated, actors=ACTORS, places=[PLACE], now=NOW)
    assert any(p.pointer == pointer and p.code == code for p in problems), (name, problems)


def test_a_point_in_the_water_is_one_problem_not_two() -> None:
    """OS308 (outside its country) leaves a point in the water to OS327."""
    event = {"country": "IQ", "latitude": 20.0, "longitude": 38.5}
    problems = check_record(event, "event", "x.json", Context(now=NOW))
    codes = [p.code for p in problems if p.pointer == "/latitude"]
    assert codes == ["OS327"]


def test_imo_check_digit() -> None:
    assert imo_check_digit_ok("9074729")  # the example of the IMO numbering scheme
    assert not imo_check_digit_ok("9074728")
    assert not imo_check_digit_ok("907472")
    assert all(imo_check_digit_ok(imo_with_check_digit(f"{n:06d}")) for n in range(0, 999999, 9973))


@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(first=sea_events(), second=sea_events())
def test_one_ship_twice_on_one_day_is_flagged_until_linked(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    second.update(
        date_start=first["date_start"], date_end=first["date_start"], date_precision="day", datetime_utc=None
    )
    if second["id"] == first["id"]:
        second["id"] = second["id"][:-1] + ("2" if second["id"][-1] != "2" else "3")
    imo = imo_with_check_digit("912345")
    first["targets"][0]["vessel"]["imo"] = second["targets"][0]["vessel"]["imo"] = imo
    first["withdrawn"] = second["withdrawn"] = None
    problems = validate_event_data(second, actors=ACTORS, events=[first], now=NOW)
    assert any(p.code == "OS402" and first["id"] in p.message for p in problems), problems
    second["distinct_from"] = [first["id"]]
    problems = validate_event_data(second, actors=ACTORS, events=[first], now=NOW)
    assert not any(p.code == "OS402" for p in problems), problems


@pytest.mark.parametrize(
    ("change", "pointer", "code"),
    [
        ({"latitude": 20.0, "longitude": 38.5}, "/latitude", "OS331"),  # an IQ place in the Red Sea
        ({"latitude": -26.2, "longitude": 28.04}, "/latitude", "OS331"),  # an IQ place in South Africa
        ({"water_body": "red_sea"}, "/water_body", "OS332"),
        ({"slug": "other-slug"}, "/slug", "OS330"),
        ({"external_ids": {"geonames": "x"}}, "/external_ids/geonames", "OS205"),
    ],
)
def test_place_problems(change: dict[str, Any], pointer: str, code: str) -> None:
    place = {**PLACE, **change}
    assert (
        check_record(PLACE, "place", "test-air-base.json", Context(now=NOW, file_stem="test-air-base")) == []
    )
    problems = check_record(place, "place", "test-air-base.json", Context(now=NOW, file_stem="test-air-base"))
    assert any(p.pointer == pointer and p.code == code for p in problems), problems


def test_a_place_at_sea_on_land_is_rejected() -> None:
    place = {**SEA_PLACE, "latitude": 15.37, "longitude": 44.19}
    assert check_record(SEA_PLACE, "place", "x.json", Context(now=NOW)) == []
    problems = check_record(place, "place", "x.json", Context(now=NOW))
    assert [(p.pointer, p.code) for p in problems] == [("/latitude", "OS331")]


@pytest.mark.parametrize(
    ("base", "change", "pointer"),
    [
        (SEA_PLACE, {"admin1": "Al Hudaydah"}, "/admin1"),
        (SEA_PLACE, {"admin2": "Al Khawkhah"}, "/admin2"),
        (SEA_PLACE, {"geo_precision": "admin1"}, "/geo_precision"),
        (PLACE, {"geo_precision": "water_body"}, "/geo_precision"),
    ],
)
def test_a_place_whose_precision_or_admin_does_not_fit_land_or_sea_is_rejected(
    base: dict[str, Any], change: dict[str, Any], pointer: str
) -> None:
    ctx = Context(now=NOW, file_stem=str(base["slug"]))
    assert check_record(base, "place", "x.json", ctx) == []
    problems = check_record({**base, **change}, "place", "x.json", ctx)
    assert [(p.pointer, p.code) for p in problems] == [(pointer, "OS336")]
    assert problems[0].hint == REGISTRY["OS336"].hint
