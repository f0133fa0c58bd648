"""`sort=distance` over the columns (index/by_distance.py) gives exactly what SQL's distance_km
order gave (index/nearby.py's SQL path, kept for indexes without point columns): the same pages
by offset, the same events walking cursors, the same stream, for random centres, radii and
filters (columns-answered ones, and tags / geo_fallback whose candidates SQL finds); and the
numpy distances order points as geo.haversine_km does, ties and antipodes included."""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from openstrikes.geo import haversine_km
from openstrikes.index import nearby
from openstrikes.index.by_distance import NO_DISTANCE, DistanceOrder, point_distances
from openstrikes.index.columns import Columns
from openstrikes.index.nearby import distance_order, events_where, read_distance_page, stream_for
from openstrikes.index.store import Store
from repo_fixtures import synthetic_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return synthetic_store(tmp_path_factory.mktemp("by-distance"), 2500, 7)


def _columns(lat: list[float], lon: list[float]) -> Columns:
    n = len(lat)
    arrays = {
        "day": np.zeros(n, dtype=np.int32),
        "order_date": np.arange(n, dtype=np.int32),
        "withdrawn": np.zeros(n, dtype=np.uint8),
        "point": np.arange(n, dtype=np.int32),
        "point_lat": np.array(lat, dtype=np.float64),
        "point_lon": np.array(lon, dtype=np.float64),
    }
    return Columns(arrays, {})


def test_numpy_distances_order_points_as_haversine_does() -> None:
    rng = random.Random(5)
    centre = (33.3, 44.4)
    lat = [rng.uniform(-89, 89) for _ in range(3000)]
    lon = [rng.uniform(-180, 180) for _ in range(3000)]
    # ties (mirror points), points a hair apart in distance, the centre, near-antipodes
    lat += [33.3 + 1.0, 33.3 - 1.0, 33.3, -33.3, -33.3 + 1e-7, 33.3]
    lon += [44.4, 44.4, 44.4 + 2.0, 44.4 - 180.0, 44.4 - 180.0, 44.4]
    for k in range(50):
        lat.append(33.3 + 0.5 + k * 1e-13)
        lon.append(44.4)
    cols = _columns(lat, lon)
    d = point_distances(cols, np.arange(len(lat)), centre)
    assert d[-1] == NO_DISTANCE and len(d) == len(lat) + 1
    want = sorted(range(len(lat)), key=lambda i: (haversine_km(lat[i], lon[i], *centre), i))
    got = sorted(range(len(lat)), key=lambda i: (float(d[i]), i))
    assert got == want
    for i in range(len(lat)):
        assert math.isclose(d[i], haversine_km(lat[i], lon[i], *centre), rel_tol=1e-12, abs_tol=1e-9)


def test_points_numpy_cannot_tell_apart_get_haversines_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where numpy and the C library could round apart (near-ties, near-antipodes), the distance
    is haversine_km's own; elsewhere numpy's (the spy sees which)."""
    import openstrikes.index.by_distance as by_distance

    asked: list[tuple[float, float]] = []

    def spy(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
        asked.append((lat1, lon1))
        return haversine_km(lat1, lon1, lat2, lon2)

    monkeypatch.setattr(by_distance, "haversine_km", spy)
    lat = [10.0, 20.0, 33.3 + 1.0, 33.3 - 1.0, -33.3, 40.0 + 1e-12, 40.0]
    lon = [10.0, 20.0, 44.4, 44.4, 44.4 - 180.0, 44.4, 44.4]
    d = point_distances(_columns(lat, lon), np.arange(len(lat)), (33.3, 44.4))
    assert sorted(asked) == sorted(zip(lat[2:], lon[2:], strict=True))
    assert [float(x) for x in d[:-1]] == [
        haversine_km(a, b, 33.3, 44.4) for a, b in zip(lat, lon, strict=True)
    ]


def test_first_and_after_walk_the_whole_order() -> None:
    rng = random.Random(8)
    lat = [rng.choice([30.0, 31.0, 32.0]) for _ in range(400)]
    lon = [rng.choice([40.0, 41.0]) for _ in range(400)]
    cols = _columns(lat, lon)
    positions = np.array(sorted(rng.sample(range(400), 250)), dtype=np.intp)
    order = DistanceOrder(cols, positions, (31.0, 40.5))
    full = [int(positions[i]) for i in order.all()]
    want = sorted(full, key=lambda p: (haversine_km(lat[p], lon[p], 31.0, 40.5), p))
    assert full == want
    for size in (1, 7, 250, 300):
        walked: list[int] = []
        picked = order.first(None, size)
        while len(picked):
            walked += [int(positions[i]) for i in picked]
            last = int(positions[picked[-1]])
            picked = order.first(order.after(last + 1, float(order.distance[picked[-1]])), size)
        assert walked == want, size


def _values(store: Store, rng: random.Random) -> dict[str, Any]:
    from synthetic import STRIKE_TYPES

    rows = store.query("SELECT latitude, longitude FROM events WHERE latitude IS NOT NULL")
    lat, lon = rng.choice(rows)
    centre = (lat + rng.uniform(-1, 1), lon + rng.uniform(-1, 1))
    values: dict[str, Any] = {
        "near": centre,
        "radius_km": rng.choice([5.0, 80.0, 400.0, 2500.0, 20000.0]),
        "sort": "distance",
    }
    extra = [
        lambda: values.update(strike_type=rng.choice(STRIKE_TYPES)),
        lambda: values.update(include_withdrawn=True),
        lambda: values.update(geo_fallback="admin"),
        lambda: values.update(tag="synthetic"),  # not in the columns: SQL finds the candidates
        lambda: values.update(killed__gte=rng.randint(0, 5)),
    ]
    for pick in rng.sample(extra, rng.randint(0, 2)):
        pick()
    return values


def _ids(bodies: list[bytes]) -> list[str]:
    return [orjson.loads(b)["id"] for b in bodies]


def _walk(store: Store, values: dict[str, Any], size: int) -> tuple[list[str], int]:
    where = events_where(values, store)
    seen: list[str] = []
    cursor: str | None = None
    total = -1
    while True:
        page = read_distance_page(
            store, {**values, "page_size": size} | ({"cursor": cursor} if cursor else {}), where
        )
        total = page.total
        seen += _ids(page.bodies)
        cursor = page.next_cursor
        if cursor is None:
            return seen, total


def test_the_columns_give_what_sql_gave(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store.columns is not None and store.columns.point is not None
    rng = random.Random(11)
    for _ in range(40):
        values = _values(store, rng)
        where = events_where(values, store)
        assert distance_order(store, values, where) is not None
        size = rng.choice([1, 9, 100])
        page_no = rng.randint(1, 3)
        new_walk = _walk(store, values, size)
        new_page = read_distance_page(store, {**values, "page": page_no, "page_size": size}, where)
        new_stream = [b for batch in stream_for(store, values, where).batches() for b in batch]
        with monkeypatch.context() as m:
            m.setattr(nearby, "distance_order", lambda *args: None)  # the SQL order of before
            old_walk = _walk(store, values, size)
            old_page = read_distance_page(store, {**values, "page": page_no, "page_size": size}, where)
            old_stream = [b for batch in stream_for(store, values, where).batches() for b in batch]
        assert new_walk == old_walk, values
        assert (new_page.total, new_page.bodies, new_page.next_cursor is None) == (
            old_page.total,
            old_page.bodies,
            old_page.next_cursor is None,
        ), values
        assert new_stream == old_stream, values
        assert new_walk[1] == len(new_walk[0])


def test_a_cursor_of_the_sql_order_resumes_in_the_columns_order(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cursor given out before (its distance computed by distance_km) continues at the same
    place: the event after the cursor's, by that event's own distance here."""
    rng = random.Random(2)
    for _ in range(10):
        values = {**_values(store, rng), "page_size": 5}
        values.pop("geo_fallback", None)
        where = events_where(values, store)
        with monkeypatch.context() as m:
            m.setattr(nearby, "distance_order", lambda *args: None)
            first = read_distance_page(store, values, where)
        if first.next_cursor is None:
            continue
        old = read_distance_page(store, {**values, "cursor": first.next_cursor}, where)
        full, _ = _walk(store, values, 5)
        assert _ids(first.bodies) + _ids(old.bodies) == full[: len(first.bodies) + len(old.bodies)]


def test_a_bad_cursor_value_is_refused(store: Store) -> None:
    from openstrikes.index.cursor import encode_cursor, fingerprint
    from openstrikes.index.params import DISTANCE_SORT
    from openstrikes.index.values import ParamError

    values: dict[str, Any] = {"near": (33.0, 44.0), "radius_km": 300.0, "sort": "distance"}
    where = events_where(values, store)
    cursor = encode_cursor(fingerprint(store.sha256, where, DISTANCE_SORT), "far", 3, 10)
    with pytest.raises(ParamError, match="distance sort"):
        read_distance_page(store, {**values, "cursor": cursor}, where)
