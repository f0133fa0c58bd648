"""`sort=distance` and `geo_fallback=admin` (server: index/nearby.py): for random centres, radii,
boxes and filters, a plain-Python oracle over the event files, `open_release()` offline, the client
online (walking cursors) and the server's NDJSON stream return the same events in the same order,
with the same distances and the same count of events left out; bad combinations fail alike."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_fakes import Built
from openstrikes_client import Client, InvalidArgument, LocalRelease, open_release
from openstrikes_client._filters import to_params

SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def rel(built: Built) -> Iterator[LocalRelease]:
    with open_release(built.package) as release:
        yield release


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def _inside(e: Mapping[str, Any], f: Mapping[str, Any]) -> bool:
    lat, lon = e["latitude"], e["longitude"]
    if lat is None or lon is None:
        return False
    if "near" in f:
        return _km(*f["near"], lat, lon) <= f["radius_km"]
    min_lon, min_lat, max_lon, max_lat = f["bbox"]
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def _area(e: Mapping[str, Any], admin2: bool) -> tuple[Any, ...]:
    return (e["country"], e["admin1"], e["admin2"]) if admin2 else (e["country"], e["admin1"])


def oracle(
    events: dict[str, dict[str, Any]], f: Mapping[str, Any], sort: str | None
) -> tuple[list[str], int]:
    """(ids in order, events without coordinates left out), straight from the rule's wording."""
    live = [e for e in events.values() if e["withdrawn"] is None]
    areas = set()
    for e in live:
        if _inside(e, f) and e["admin1"] is not None:
            areas.add(_area(e, False))
            if e["admin2"] is not None:
                areas.add(_area(e, True))
    rest = [e for e in live if "strike_type" not in f or e["strike_type"] == f["strike_type"]]

    def admitted(e: Mapping[str, Any]) -> bool:
        return (
            f.get("geo_fallback") == "admin"
            and e["latitude"] is None
            and e["admin1"] is not None
            and _area(e, e["admin2"] is not None) in areas
        )

    hits = [e for e in rest if _inside(e, f) or admitted(e)]
    gap = sum(1 for e in rest if e["latitude"] is None and not admitted(e))
    if sort == "distance":
        hits.sort(
            key=lambda e: (
                math.inf if e["latitude"] is None else _km(*f["near"], e["latitude"], e["longitude"]),
                e["id"],
            )
        )
    else:
        hits.sort(key=lambda e: e["id"])
    return [e["id"] for e in hits], gap


def _coords(b: Built) -> list[tuple[float, float]]:
    return sorted({(e["latitude"], e["longitude"]) for e in b.events.values() if e["latitude"] is not None})


def _agree(
    api_client: Client, app: Any, rel: LocalRelease, built: Built, f: dict[str, Any], sort: str | None
) -> list[str]:
    want, gap = oracle(built.events, f, sort)
    offline = [e.id for e in rel.events.iter(sort=sort, **f)]  # type: ignore[arg-type]
    online = [e.id for e in api_client.events.iter(sort=sort, page_size=7, **f)]  # type: ignore[arg-type]
    params = {**to_params(f), "format": "ndjson", **({"sort": sort} if sort else {})}
    resp = app.test_client().get("/v1/events", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    streamed = [json.loads(line)["id"] for line in resp.get_data().splitlines() if line.strip()]
    assert want == offline == online == streamed, (f, sort)
    page_off = rel.events.list(page_size=9, sort=sort, **f)  # type: ignore[arg-type]
    page_on = api_client.events.list(page_size=9, sort=sort, **f)  # type: ignore[arg-type]
    assert page_off.total == page_on.total == len(want)
    assert page_off.without_coordinates == page_on.without_coordinates == gap
    assert page_off.distance_km == page_on.distance_km
    if "near" in f:
        assert page_on.distance_km is not None
        for e in page_on.items:
            if e.latitude is None:
                assert e.id not in page_on.distance_km
            else:
                assert abs(page_on.distance_km[e.id] - _km(*f["near"], e.latitude, e.longitude)) < 0.001
    return want


@settings(SLOW, max_examples=30)
@given(data=st.data())
def test_near_sorted_by_distance_with_and_without_the_fallback(
    api_client: Client, app: Any, rel: LocalRelease, built: Built, data: st.DataObject
) -> None:
    centre = data.draw(
        st.one_of(st.sampled_from(_coords(built)), st.tuples(st.floats(26.0, 38.0), st.floats(34.0, 61.0)))
    )
    f: dict[str, Any] = {"near": centre, "radius_km": data.draw(st.floats(0.5, 800.0))}
    if data.draw(st.booleans()):
        f["geo_fallback"] = "admin"
    if data.draw(st.integers(0, 3)) == 0:
        f["strike_type"] = data.draw(st.sampled_from(["airstrike", "rocket", "unknown"]))
    _agree(api_client, app, rel, built, f, data.draw(st.sampled_from(["distance", None])))


@settings(SLOW, max_examples=15)
@given(data=st.data())
def test_bbox_with_the_fallback(
    api_client: Client, app: Any, rel: LocalRelease, built: Built, data: st.DataObject
) -> None:
    lon, lat = st.floats(34.0, 61.0), st.floats(26.0, 38.0)
    a, c, d, e = data.draw(lon), data.draw(lon), data.draw(lat), data.draw(lat)
    f = {"bbox": (min(a, c), min(d, e), max(a, c), max(d, e)), "geo_fallback": "admin"}
    _agree(api_client, app, rel, built, f, None)


def test_the_fallback_brings_in_events_without_coordinates(
    api_client: Client, app: Any, rel: LocalRelease, built: Built
) -> None:
    """Not vacuous: a wide circle admits unlocated events by their admin area, and they sort last."""
    f: dict[str, Any] = {"near": _coords(built)[0], "radius_km": 3000.0}
    plain = _agree(api_client, app, rel, built, f, "distance")
    wide = _agree(api_client, app, rel, built, {**f, "geo_fallback": "admin"}, "distance")
    extra = [i for i in wide if i not in plain]
    assert extra and wide[-len(extra) :] == sorted(extra)
    assert all(built.events[i]["latitude"] is None for i in extra)


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ({"sort": "distance"}, 422, "sort"),
        ({"sort": "distance", "bbox": "40,30,45,35"}, 422, "sort"),
        ({"geo_fallback": "admin"}, 422, "geo_fallback"),
        ({"geo_fallback": "county", "near": "33,44", "radius_km": "10"}, 422, "geo_fallback"),
    ],
)
def test_the_api_refuses_bad_combinations(
    app: Any, query: dict[str, str], status: int, parameter: str
) -> None:
    resp = app.test_client().get("/v1/events", query_string=query)
    assert resp.status_code == status and resp.get_json()["error"]["parameter"] == parameter, resp.get_json()
    agg = app.test_client().get(
        "/v1/aggregates",
        query_string={"group_by": "country", "near": "33,44", "radius_km": "10", "geo_fallback": "admin"},
    )
    assert agg.status_code == 400


def test_the_client_refuses_bad_combinations_alike_online_and_offline(
    api_client: Client, rel: LocalRelease
) -> None:
    for side in (api_client, rel):
        with pytest.raises(TypeError, match="needs `near`"):
            side.events.list(sort="distance")
        with pytest.raises(TypeError, match="needs `bbox` or `near`"):
            side.events.list(geo_fallback="admin")
        with pytest.raises(TypeError, match="not aggregates"):
            side.aggregates(["country"], near=(33.0, 44.0), radius_km=10.0, geo_fallback="admin")
        with pytest.raises(InvalidArgument, match="geo_fallback"):
            side.events.list(near=(33.0, 44.0), radius_km=10.0, geo_fallback="county")  # type: ignore[typeddict-item]
