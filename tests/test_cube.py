"""The cube (index.cube) gives exactly the totals and group sums SQL counts, for random queries."""

from __future__ import annotations

import random
from typing import Any

import pytest

from openstrikes.index.aggregates import aggregate, total
from openstrikes.index.filters import BY_PARAM, where_clause
from openstrikes.index.grid import _cube as grid_cube
from openstrikes.index.grid import _from_cube, _from_positions, _grid
from openstrikes.index.histogram import _from_cube as histogram_rows
from openstrikes.index.histogram import _from_sql as histogram_sql_rows
from openstrikes.index.store import Store
from repo_fixtures import synthetic_store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return synthetic_store(tmp_path_factory.mktemp("cube"), 3000, 5)


def _random_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.6:
        values["country"] = rng.choice(["IQ", "SY", "IR", "JO"])
    elif rng.random() < 0.3:
        values["country__in"] = rng.sample(["IQ", "SY", "IR", "JO"], 2)
    if rng.random() < 0.5:
        values["strike_type"] = rng.choice(["airstrike", "drone_strike", "missile_strike"])
    if rng.random() < 0.2:
        values["status__in"] = ["declared", "claimed"]
    if rng.random() < 0.2:
        values["at_sea"] = rng.random() < 0.5
    if rng.random() < 0.2:
        values["include_withdrawn"] = True
    if rng.random() < 0.8:
        y = rng.randint(2000, 2023)
        values["date_start__gte"] = f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.7:
        y = rng.randint(2005, 2024)
        values["date_start__lte"] = f"{y}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return values


def test_totals_and_groups_are_the_sql_answers(store: Store) -> None:
    assert store.cubes is not None
    rng = random.Random(7)
    for _ in range(150):
        values = _random_values(rng)
        assert store.cubes.pick(values, BY_PARAM) is not None
        where = where_clause(values, store.actor_ids_for)
        assert store.total(values, where) == store.count(where.sql, where.params), values
        keys = rng.choice(
            [
                ["strike_type"],
                ["month"],
                ["country", "year"],
                ["water_body", "status"],
                ["outcome", "month"],
                ["week"],
                ["strike_type", "day"],
                ["year", "month"],
            ]
        )
        cube = store.cubes.pick(values, BY_PARAM, keys)
        assert cube is not None, (values, keys)
        # many cells over thousands of days are left to SQL (MAX_SEARCHES)
        assert "day" in keys or cube.groups(keys, values) is not None, (values, keys)
        assert aggregate(store, keys, where, values) == aggregate(store, keys, where), (values, keys)
        assert total(store, where, values) == total(store, where), values


def test_other_filters_are_counted_by_sql(store: Store) -> None:
    cubes = store.cubes
    assert cubes is not None
    assert cubes.pick({"country": "IQ", "q": "depot"}, BY_PARAM) is None
    assert cubes.pick({"date_end__gte": "2010-01-01"}, BY_PARAM) is None
    coarse = cubes.pick({"country": "IQ", "page": 2, "sort": "-date_start"}, BY_PARAM)
    assert coarse is not None and "status" not in coarse.columns
    fine = cubes.pick({"country": "IQ", "status": "claimed"}, BY_PARAM)
    assert fine is not None and "status" in fine.columns


def test_histograms_are_the_sql_answers(store: Store) -> None:
    rng = random.Random(11)
    for _ in range(80):
        values = _random_values(rng)
        where = where_clause(values, store.actor_ids_for)
        interval = rng.choice(["month", "week", "day"])
        want = histogram_sql_rows(store, interval, where)
        assert histogram_rows(store, interval, values) == want, (values, interval)


def _same_grid(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Equal, but the mean positions (float sums in another order) to within their rounding."""
    assert {k: v for k, v in got.items() if k != "items"} == {k: v for k, v in want.items() if k != "items"}
    assert len(got["items"]) == len(want["items"])
    for a, b in zip(got["items"], want["items"], strict=True):
        assert abs(a["lat"] - b["lat"]) <= 1e-5 and abs(a["lon"] - b["lon"]) <= 1e-5
        assert {**a, "lat": 0, "lon": 0} == {**b, "lat": 0, "lon": 0}


def test_grids_are_the_sql_answers(store: Store) -> None:
    rng = random.Random(13)
    used = 0
    for _ in range(80):
        values = _random_values(rng)
        if rng.random() < 0.6:
            lon, lat, d = rng.uniform(30, 55), rng.uniform(12, 40), rng.choice([0.5, 3.0, 12.0, 60.0])
            values["bbox"] = (
                max(-180.0, lon - d),
                max(-90.0, lat - d / 2),
                min(180.0, lon + d),
                min(90.0, lat + d / 2),
            )
        if rng.random() < 0.2:
            values["killed__gte"] = rng.randint(0, 8)
        if rng.random() < 0.2:
            values["killed__lte"] = rng.randint(0, 20)
        cell = rng.choice([0.1, 0.46875, 1.875, 7.5, 33.3, 90.0])
        where = where_clause(values, store.actor_ids_for)
        cube = grid_cube(store, values)
        assert cube is not None, values
        want = _grid(store, cell, where)
        _same_grid(_from_cube(cube, cell, values), want)
        if "killed__gte" not in values and "killed__lte" not in values:
            _same_grid(_from_positions(cube, cell, values), want)
        used += 1
    assert used == 80
