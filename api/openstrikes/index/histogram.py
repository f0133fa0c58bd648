"""Events per month, week or day and strike type (the explorer's timeline): from the cube
(index.cube) when it answers the filters, else by SQL; the SQL and its rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from openstrikes.index.filters import BY_PARAM, Where
from openstrikes.index.memo import remembered
from openstrikes.index.store import Store

# The first day of the bucket of events.date_start (weeks start on Monday; %w is 0 on Sunday).
BUCKETS: dict[str, str] = {
    "month": "substr(events.date_start, 1, 7) || '-01'",
    "week": "date(events.date_start, '-' || ((CAST(strftime('%w', events.date_start) AS INTEGER) + 6) % 7) || ' days')",
    "day": "events.date_start",
}


def histogram_sql(interval: str, where: Where) -> str:
    bucket = BUCKETS[interval]
    return (
        f"SELECT {bucket} AS bucket, events.strike_type, count(*) FROM events WHERE {where.sql} "
        "GROUP BY bucket, events.strike_type ORDER BY bucket, events.strike_type"
    )


def histogram(store: Store, interval: str, where: Where, values: Mapping[str, Any] | None = None) -> bytes:
    """The JSON {"interval", "items"}: one item per non-empty bucket, by date: its first day,
    `events`, and counts by strike type (remembered per release and query, as bytes: no objects
    for the garbage collector to walk). `values`: the parsed filters (the cube may answer them)."""
    key = ("histogram", store.sha256, interval, where.sql, where.params)
    return remembered(
        key, lambda: orjson.dumps({"interval": interval, "items": _histogram(store, interval, where, values)})
    )


def _histogram(
    store: Store, interval: str, where: Where, values: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    found = _from_cube(store, interval, values)
    for start, kind, n in _from_sql(store, interval, where) if found is None else found:
        row = rows.setdefault(start, {"start": start, "events": 0, "by_strike_type": {}})
        row["events"] += n
        row["by_strike_type"][kind] = n
    return list(rows.values())


def _from_sql(store: Store, interval: str, where: Where) -> list[tuple[str, str, int]]:
    return [
        (
            bucket.decode() if isinstance(bucket, bytes) else str(bucket),
            kind.decode() if isinstance(kind, bytes) else str(kind),
            n,
        )
        for bucket, kind, n in store.query(histogram_sql(interval, where), where.params)
    ]


def _from_cube(
    store: Store, interval: str, values: Mapping[str, Any] | None
) -> list[tuple[str, str, int]] | None:
    """The SQL's rows from the cube, in its order (bucket, then strike type, null first); None
    when the cube does not answer (then SQL does)."""
    keys = ["strike_type", interval]
    cube = (
        store.cubes.pick(values, BY_PARAM, keys) if store.cubes is not None and values is not None else None
    )
    groups = cube.groups(keys, values, sums=False) if cube is not None and values is not None else None
    if groups is None:
        return None
    suffix = "-01" if interval == "month" else ""
    rows = [(when + suffix, kind, n[0]) for (kind, when), n in groups.items()]
    rows.sort(key=lambda r: (r[0], r[1] is not None, r[1] or ""))
    return [(start, str(kind), n) for start, kind, n in rows]
