"""The columns in memory (index.columns, index.masks) give exactly the totals and pages SQL gives,
for random queries of every filter they answer."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from openstrikes.geo import haversine_km
from openstrikes.index import masks
from openstrikes.index.filters import where_clause
from openstrikes.index.pages import read_page
from openstrikes.index.store import Store
from repo_fixtures import synthetic_store

COUNTRIES = ["IQ", "SY", "IR", "JO", "ZZ"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return synthetic_store(tmp_path_factory.mktemp("masks"), 3000, 11)


def _located(store: Store, rng: random.Random) -> tuple[float, float]:
    rows = store.query("SELECT latitude, longitude FROM events WHERE latitude IS NOT NULL")
    return rng.choice(rows)  # type: ignore[return-value]


def _random_values(store: Store, rng: random.Random) -> dict[str, Any]:
    from synthetic import STRIKE_TYPES, WORDS, actor_ids

    values: dict[str, Any] = {}
    options = [
        lambda: values.update(country=rng.choice(COUNTRIES)),
        lambda: values.update(country__in=rng.sample(COUNTRIES, 2)),
        lambda: values.update(strike_type=rng.choice(STRIKE_TYPES)),
        lambda: values.update(status__in=["declared", "claimed"]),
        lambda: values.update(outcome="impact"),
        lambda: values.update(geo_precision__in=["exact", "country"]),
        lambda: values.update(water_body__in=["red_sea", "gulf_of_aden"]),
        lambda: values.update(at_sea=rng.random() < 0.5),
        lambda: values.update(include_withdrawn=True),
        lambda: values.update(date_start__gte=f"{rng.randint(2000, 2023)}-{rng.randint(1, 12):02d}-01"),
        lambda: values.update(date_start__lte=f"{rng.randint(2003, 2024)}-{rng.randint(1, 12):02d}-28"),
        lambda: values.update(date_end__gte=f"{rng.randint(2000, 2023)}-06-15"),
        lambda: values.update(date_end__lte=f"{rng.randint(2003, 2024)}-02-10"),
        lambda: values.update(killed__gte=rng.randint(0, 14)),
        lambda: values.update(killed__lte=rng.randint(0, 9)),
        lambda: values.update(injured__gte=rng.randint(0, 20)),
        lambda: values.update(civilians_killed__lte=rng.randint(0, 4)),
        lambda: values.update(q=" ".join(rng.sample([*WORDS, "nowhere", "Anbar"], rng.randint(1, 2)))),
        lambda: values.update(actor=rng.choice([*actor_ids(), "nobody"])),
        lambda: values.update(attacker__in=rng.sample(actor_ids(), 2)),
        lambda: values.update(target=rng.choice(actor_ids())),
        lambda: values.update(bbox=_box(store, rng)),
        lambda: values.update(near=_located(store, rng), radius_km=rng.choice([1.0, 30.0, 150.0, 900.0])),
    ]
    for pick in rng.sample(options, rng.randint(1, 4)):
        pick()
    return values


def _box(store: Store, rng: random.Random) -> tuple[float, float, float, float]:
    lat, lon = _located(store, rng)
    d = rng.uniform(0.0, 2.0)
    return lon - d, lat - d, lon + d, lat + d


def test_totals_are_the_sql_counts(store: Store) -> None:
    rng = random.Random(3)
    for _ in range(300):
        values = _random_values(store, rng)
        where = where_clause(values, store.actor_ids_for)
        m = store.mask(values)
        assert m is not None, values
        assert int(np.count_nonzero(m)) == store.count(where.sql, where.params), values


@pytest.mark.parametrize("sort", ["id", "-id", "date_start", "-date_start"])
def test_pages_and_cursors_are_the_sql_order(store: Store, sort: str) -> None:
    rng = random.Random(sort)
    for _ in range(40):
        values = {**_random_values(store, rng), "sort": sort}
        where = where_clause(values, store.actor_ids_for)
        col = {"id": "rid", "date_start": "date_start"}[sort.lstrip("-")]
        way = "DESC" if sort.startswith("-") else "ASC"
        expected = [
            r[0]
            for r in store.query(
                f"SELECT rid FROM events WHERE {where.sql} ORDER BY {col} {way}, rid {way}", where.params
            )
        ]
        size = rng.choice([1, 7, 50])
        page = rng.randint(1, 4)
        got = read_page(store, {**values, "page": page, "page_size": size}, where)
        assert got.total == len(expected)
        want = expected[(page - 1) * size : page * size]
        assert [_rid(store, b) for b in got.bodies] == want, values
        seen: list[int] = []
        cursor: str | None = None
        while True:
            args = {**values, "page_size": 200} | ({"cursor": cursor} if cursor else {})
            p = read_page(store, args, where)
            seen += [_rid(store, b) for b in p.bodies]
            cursor = p.next_cursor
            if cursor is None:
                break
        assert seen == expected, values


def _rid(store: Store, body: bytes) -> int:
    import orjson

    ident = orjson.loads(body)["id"]
    return int(store.query("SELECT rid FROM events WHERE id = ?", (ident,))[0][0])


def test_a_distance_equal_to_the_radius_is_within_it(store: Store) -> None:
    rows = store.query(
        "SELECT rid, latitude, longitude FROM events WHERE latitude IS NOT NULL AND withdrawn = 0 LIMIT 50"
    )
    centre = (33.123456, 44.654321)
    for rid, lat, lon in rows:
        km = haversine_km(lat, lon, *centre)
        values = {"near": centre, "radius_km": km}
        m = store.mask(values)
        assert m is not None and m[rid - 1]
        where = where_clause(values, store.actor_ids_for)
        assert int(np.count_nonzero(m)) == store.count(where.sql, where.params)


def test_without_coordinates_and_unanswered_filters(store: Store) -> None:
    values = {"country": "IQ", "killed__gte": 2}
    m = store.mask(values, without_coordinates=True)
    assert m is not None
    n = store.count("events.withdrawn = 0 AND country = 'IQ' AND killed_max >= 2 AND latitude IS NULL", ())
    assert int(np.count_nonzero(m)) == n > 0
    for other in ({"tag": "border"}, {"admin1": "Anbar"}, {"attacker_group": "x"}, {"vessel": "x"}):
        assert store.mask({"country": "IQ", **other}) is None
    assert store.columns is not None and set(masks.ORDERED) == {"id", "date_start"}
