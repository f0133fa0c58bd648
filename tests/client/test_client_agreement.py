"""Property: for random filters and sorts, `events.iter()` over the API, the server's NDJSON stream
and `open_release()` on the same release return the same events in the same order, and the same
aggregates. Driven by the server's filter table: every filter parameter (every operator) and every
sort option has a value strategy here, or the coverage test fails."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from server_side import FILTERS, GROUP_KEYS, SORT_OPTIONS, filter_type

from client_fakes import VARIED_ACTORS, Built
from openstrikes_client import Client, LocalRelease, open_release
from openstrikes_client._filters import to_params, words

PARAMS: list[str] = [f.param(op) for f in FILTERS for op in f.ops]
Values = Callable[[Built], st.SearchStrategy[Any]]


def _enum(param: str) -> list[str]:
    field = param.split("__")[0]
    f = next(f for f in FILTERS if f.field == field)
    return list(filter_type(f).schema["enum"])


def _one_or_list(param: str, pool: Callable[[Built], list[Any]]) -> Values:
    if param.endswith("__in"):
        return lambda b: st.lists(st.sampled_from(pool(b)), min_size=1, max_size=3, unique=True)
    return lambda b: st.sampled_from(pool(b))


def _dates(b: Built) -> st.SearchStrategy[date]:
    known = sorted({date.fromisoformat(e[k]) for e in b.events.values() for k in ("date_start", "date_end")})
    near = st.builds(lambda d, n: d + timedelta(days=n), st.sampled_from(known), st.integers(-3, 3))
    return st.one_of(near, st.dates(date(1999, 6, 1), date(2025, 1, 1)))


def _stamps(b: Built) -> st.SearchStrategy[datetime]:
    """Date-times exactly at an event's `modified` (the >= boundary) or just off it, in any zone,
    or naive (read as UTC, as the API is sent them)."""
    known = sorted({datetime.fromisoformat(e["modified"]) for e in b.events.values()})
    zones = [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30)), None]
    shifts = [timedelta(0), timedelta(seconds=-1), timedelta(seconds=1), timedelta(microseconds=-1)]

    def at(t: datetime, shift: timedelta, zone: timezone | None) -> datetime:
        t = t + shift
        return t.astimezone(UTC).replace(tzinfo=None) if zone is None else t.astimezone(zone)

    return st.builds(at, st.sampled_from(known), st.sampled_from(shifts), st.sampled_from(zones))


def _actor_names(b: Built) -> list[str]:
    names: list[str] = ["no-such-actor"]
    for actor in b.actors.values():
        names += [actor["id"], actor["name"], actor["name"].upper(), *actor["aliases"]]
    return sorted(set(names))


def _listable_names(b: Built) -> list[str]:
    """Actor names that can go in an `__in` list (sent comma-separated)."""
    return [n for n in _actor_names(b) if "," not in n]


def _query_words(b: Built) -> list[str]:
    """Words of the searched texts (summaries, places, source titles), some in another case."""
    found: set[str] = set()
    for e in list(b.events.values())[:60]:
        found.update(words(" ".join([e["summary"], e.get("location") or "", e.get("admin2") or ""])))
    pool = sorted(found)
    phrases = []  # two words joined by a letter the index splits at: a phrase (see below)
    for e in list(b.events.values())[:6]:
        first, second = words(e["summary"])[2:4]
        phrases += [f"{first}\u19b0{second}", f"{second}\u19b0{first}"]
    # "-" only beside a word: q without a word is refused (422 / InvalidArgument), not a filter
    return (
        pool
        + [w.upper() for w in pool[:5]]
        + phrases
        + ["nothingmatches", "Qa'im", "depot, convoy", "convoy -"]
    )


def _ship_keys(b: Built) -> list[str]:
    """IMO numbers and names (some in another case) of the ships the events name, and nobody."""
    ships = [t["vessel"] for e in b.events.values() for t in e["targets"] if t.get("vessel")]
    keys = {k for s in ships for k in (s["imo"], s["name"], s["name"].upper()) if k}
    return [*sorted(keys), "Nobody"]


def _coords(b: Built) -> list[tuple[float, float]]:
    return sorted({(e["latitude"], e["longitude"]) for e in b.events.values() if e["latitude"] is not None})


def _bbox(b: Built) -> st.SearchStrategy[tuple[float, float, float, float]]:
    lon = st.floats(34.0, 61.0)
    lat = st.floats(26.0, 38.0)
    return st.builds(lambda a, c, d, e: (min(a, c), min(d, e), max(a, c), max(d, e)), lon, lon, lat, lat)


def _near(b: Built) -> st.SearchStrategy[tuple[tuple[float, float], float]]:
    centre = st.one_of(st.sampled_from(_coords(b)), st.tuples(st.floats(26.0, 38.0), st.floats(34.0, 61.0)))
    return st.tuples(centre, st.floats(0.5, 400.0))


VALUES: dict[str, Values] = {
    "date_start__gte": _dates,
    "date_start__lte": _dates,
    "date_end__gte": _dates,
    "date_end__lte": _dates,
    "country": _one_or_list("country", lambda b: ["IQ", "SY", "JO", "IR", "LB"]),
    "country__in": _one_or_list("country__in", lambda b: ["IQ", "SY", "JO", "IR", "LB"]),
    "admin1": lambda b: st.sampled_from(["Anbar", "Deir ez-Zor", "Babil", "anbar", "Nowhere"]),
    "actor": lambda b: st.sampled_from(_actor_names(b)),
    "attacker": lambda b: st.sampled_from(_actor_names(b)),
    "target": lambda b: st.sampled_from(_actor_names(b)),
    "attacker__in": _one_or_list("attacker__in", _listable_names),
    "target__in": _one_or_list("target__in", _listable_names),
    "attacker_group": lambda b: st.sampled_from(_actor_names(b)),
    "attacker_group__in": _one_or_list("attacker_group__in", _listable_names),
    "target_group": lambda b: st.sampled_from(_actor_names(b)),
    "target_group__in": _one_or_list("target_group__in", _listable_names),
    "attacker_country": lambda b: st.sampled_from(["US", "IQ", "IR", "SY", "ZZ"]),
    "attacker_country__in": _one_or_list("attacker_country__in", lambda b: ["US", "IQ", "IR", "SY", "ZZ"]),
    "target_country": lambda b: st.sampled_from(["US", "IQ", "IR", "SY", "ZZ"]),
    "target_country__in": _one_or_list("target_country__in", lambda b: ["US", "IQ", "IR", "SY", "ZZ"]),
    "killed__gte": lambda b: st.integers(0, 20),
    "killed__lte": lambda b: st.integers(0, 20),
    "injured__gte": lambda b: st.integers(0, 25),
    "injured__lte": lambda b: st.integers(0, 25),
    "civilians_killed__gte": lambda b: st.integers(0, 10),
    "civilians_killed__lte": lambda b: st.integers(0, 10),
    "tag": lambda b: st.sampled_from(["synthetic", "benchmark", "border", "no-such-tag"]),
    "operation": lambda b: st.sampled_from(["operation-synthetic", "other-operation"]),
    "q": lambda b: st.lists(st.sampled_from(_query_words(b)), min_size=1, max_size=2).map(" ".join),
    "bbox": _bbox,
    "near": _near,  # drawn with radius_km: the two go together
    "radius_km": _near,
    "modified_since": _stamps,
    "include_withdrawn": lambda b: st.booleans(),
    "at_sea": lambda b: st.booleans(),
    "place": lambda b: st.sampled_from(
        [*sorted({e["place"] for e in b.events.values() if e.get("place")}), "no-such-place"]
    ),
    "vessel": lambda b: st.sampled_from(_ship_keys(b)),
    "flag": lambda b: st.sampled_from(["MH", "LR", "PA", "GB", "ZZ"]),
}
for _param in PARAMS:
    if _param.split("__")[0] in ("strike_type", "status", "outcome", "geo_precision", "water_body"):
        VALUES[_param] = _one_or_list(_param, lambda b, p=_param: _enum(p))


def test_every_filter_and_sort_is_covered() -> None:
    """A filter or sort the server adds must get a strategy here (and an offline meaning)."""
    assert set(VALUES) == set(PARAMS)
    assert set(SORTS) == {None, *SORT_OPTIONS}


def _put(f: dict[str, Any], param: str, value: Any) -> None:
    if param in ("near", "radius_km"):
        f["near"], f["radius_km"] = value
    else:
        f[param] = value


@st.composite
def filter_sets(draw: st.DrawFn, b: Built, must: str | None = None) -> dict[str, Any]:
    """A few filters at random (each parameter with chance 1 in 8), plus `must` if given."""
    f: dict[str, Any] = {}
    for param in PARAMS:
        if param == must or draw(st.integers(0, 7)) == 0:
            _put(f, param, draw(VALUES[param](b)))
    return f


SORTS: list[str | None] = [None, *SORT_OPTIONS]


@pytest.fixture(scope="module")
def rel(built: Built) -> Iterator[LocalRelease]:
    with open_release(built.package) as release:
        yield release


def _agree(
    api_client: Client, app: Any, rel: LocalRelease, f: dict[str, Any], sort: str | None, size: int
) -> int:
    offline = [e.id for e in rel.events.iter(sort=sort, **f)]  # type: ignore[arg-type]
    online = [e.id for e in api_client.events.iter(sort=sort, page_size=size, **f)]  # type: ignore[arg-type]
    params = to_params(f)
    params["format"] = "ndjson"
    if sort:
        params["sort"] = sort
    resp = app.test_client().get("/v1/events", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    streamed = [json.loads(line)["id"] for line in resp.get_data().splitlines() if line.strip()]
    assert online == offline == streamed, f"filters {f}, sort {sort}"
    assert rel.events.count(**f) == api_client.events.count(**f) == len(offline)
    page_offline = rel.events.list(page_size=7, sort=sort, **f)  # type: ignore[arg-type]
    page_online = api_client.events.list(page_size=7, sort=sort, **f)  # type: ignore[arg-type]
    gap_offline = page_offline.without_coordinates
    assert gap_offline == page_online.without_coordinates
    assert page_offline.distance_km == page_online.distance_km
    assert (page_online.distance_km is None) == (f.get("near") is None)
    assert (gap_offline is None) == (f.get("bbox") is None and f.get("near") is None)
    return len(offline)


SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("param", PARAMS)
@settings(SLOW, max_examples=6)
@given(data=st.data())
def test_each_filter_agrees_online_and_offline(
    api_client: Client, app: Any, rel: LocalRelease, built: Built, param: str, data: st.DataObject
) -> None:
    f: dict[str, Any] = {}
    _put(f, param, data.draw(VALUES[param](built), label=param))
    sort = data.draw(st.sampled_from(SORTS), label="sort")
    n = _agree(api_client, app, rel, f, sort, data.draw(st.sampled_from([7, 1000]), label="page_size"))
    event(f"{param}: " + ("no match" if n == 0 else "matches"))


@settings(SLOW, max_examples=40)
@given(data=st.data())
def test_filter_sets_and_sorts_agree_online_and_offline(
    api_client: Client, app: Any, rel: LocalRelease, built: Built, data: st.DataObject
) -> None:
    f = data.draw(filter_sets(built), label="filters")
    sort = data.draw(st.sampled_from(SORTS), label="sort")
    n = _agree(api_client, app, rel, f, sort, data.draw(st.sampled_from([7, 50, 1000]), label="page_size"))
    event("matches: " + ("none" if n == 0 else "some"))


@settings(SLOW, max_examples=25)
@given(data=st.data())
def test_aggregates_agree_online_and_offline(
    api_client: Client, rel: LocalRelease, built: Built, data: st.DataObject
) -> None:
    f = data.draw(filter_sets(built), label="filters")
    keys = data.draw(st.lists(st.sampled_from(list(GROUP_KEYS)), min_size=1, max_size=2, unique=True))
    assert rel.aggregates(keys, **f) == api_client.aggregates(keys, **f)  # type: ignore[arg-type]


@settings(SLOW, max_examples=15)
@given(data=st.data())
def test_filled_aggregates_agree_online_and_offline(
    api_client: Client, rel: LocalRelease, built: Built, data: st.DataObject
) -> None:
    f = data.draw(filter_sets(built), label="filters")
    time = data.draw(st.sampled_from(["year", "month", "week", "day"]))
    other = data.draw(st.lists(st.sampled_from(["country", "attacker_country", "tag"]), max_size=1))
    keys = [*other, time]
    offline = rel.aggregates(keys, fill=True, **f)  # type: ignore[arg-type, misc]
    assert offline == api_client.aggregates(keys, fill=True, **f)  # type: ignore[arg-type, misc]
    assert offline.total is not None and sum(r.events for r in offline.items) >= offline.total.events


@pytest.mark.parametrize("sort", SORTS)
def test_every_sort_walks_in_the_same_order(api_client: Client, rel: LocalRelease, sort: str | None) -> None:
    offline = [e.id for e in rel.events.iter(sort=sort, include_withdrawn=True)]  # type: ignore[arg-type]
    online = [e.id for e in api_client.events.iter(sort=sort, include_withdrawn=True, page_size=33)]  # type: ignore[arg-type]
    assert online == offline and len(offline) == len(set(offline))


def test_actor_filters_take_the_varied_actors_names_and_aliases(
    api_client: Client, rel: LocalRelease
) -> None:
    for value in ("AA|Zero", "zero; THE first", VARIED_ACTORS["synthetic-actor-a-02"]["name"].lower()):
        offline = [e.id for e in rel.events.iter(actor=value)]
        assert offline == [e.id for e in api_client.events.iter(actor=value)]
        assert offline, value


@pytest.mark.parametrize("naive", [False, True])
def test_changes_since_agree_online_and_offline(
    api_client: Client, rel: LocalRelease, built: Built, naive: bool
) -> None:
    stamps = sorted(datetime.fromisoformat(e["modified"]) for e in built.events.values())
    since = stamps[len(stamps) // 2].astimezone(timezone(timedelta(hours=2)))
    if naive:
        since = since.astimezone(UTC).replace(tzinfo=None)
    offline, online = rel.changes(since), api_client.changes(since=since)
    assert [c.id for c in offline.items] == [c.id for c in online.items]
    assert offline.items


# U+19B0 is a separator to the FTS5 index, and so to the server's tokeniser: a word with it inside
# is two words; alone, it is no word at all (as "--").
@pytest.mark.parametrize(
    "q",
    [
        "\u19b0",
        "synthetic\u19b0event",
        "strike\u19b0compound",
        "depot\u19b0convoy reported",
        "event\u19b0synthetic",
        "ΟΔΟΣ",
        "\u00b5",
        "--",
    ],
)
def test_q_with_what_the_index_folds_or_splits_agrees(api_client: Client, rel: LocalRelease, q: str) -> None:
    assert outcome(lambda: [e.id for e in rel.events.iter(q=q)]) == outcome(
        lambda: [e.id for e in api_client.events.iter(q=q)]
    )


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    """What a call gives: its answer, or its error's class and message."""
    try:
        return "answer", run()
    except Exception as exc:
        return type(exc).__name__, str(exc)


def test_related_chains_agree_online_and_offline(api_client: Client, rel: LocalRelease, built: Built) -> None:
    linked = [i for i, e in built.events.items() if e.get("related")][:12]
    assert linked
    for start in linked:
        for depth in (None, 1, 2):
            online = api_client.events.chain(start, depth=depth)
            assert online == rel.events.chain(start, depth=depth)
            assert [e.id for e in api_client.events.related(start, depth=depth)] == [
                r.event.id for r in online
            ]
