"""The cube (index.cube) gives exactly the totals and group sums SQL counts, for random queries."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from openstrikes.index.aggregates import aggregate, total
from openstrikes.index.filters import BY_PARAM, where_clause
from openstrikes.index.store import Store


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    from openstrikes.package.build import build_package
    from synthetic import write_dataset

    tmp = tmp_path_factory.mktemp("cube")
    dataset = write_dataset(tmp / "repo", 3000, seed=5, spread=True)
    build_package(dataset, tmp / "releases", progress=False)
    package = next((tmp / "releases").glob("*/datapackage.json")).parent
    return Store.open(package, tmp / "cache")


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
            [["strike_type"], ["month"], ["country", "year"], ["water_body", "status"], ["outcome", "month"]]
        )
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
