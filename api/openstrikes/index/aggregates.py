"""Counts and casualty figures per group: the GROUP BY SQL, its rows, and zero rows for empty periods.

Per row and per casualty field: `min` and `max` sum the lowest and highest reported figures, `best`
sums the best estimates of the `with_best` events that give one, and `unknown` counts the events
whose figure is unknown (null), which add to no sum. An event counts once per row: one with two
attackers in the same group (two US ids in `attacker_country=US`) counts once there.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from openstrikes.index.cube import Cube
from openstrikes.index.filters import BY_PARAM, GROUP_KEY_TABLE, JOINS, MULTI_KEYS, TIME_KEYS, Where
from openstrikes.index.store import Store
from openstrikes.index.values import bad
from openstrikes.schema_files import CASUALTY_FIELDS

FIGURE_PARTS = ("min", "max", "best", "with_best", "unknown")
MAX_FILLED_ROWS = 20000
COUNTING = (
    "distinct: an event counts once in each row it belongs to; with a key of several values per "
    "event (attacker, attacker_group, attacker_country, attribution, target, tag) it belongs to "
    "several rows, so rows can add up to more than `total`"
)


def _figure_sql(prefix: str) -> str:
    return ", ".join(
        f"coalesce(sum({prefix}{f}_min), 0), coalesce(sum({prefix}{f}_max), 0), "
        f"coalesce(sum({prefix}{f}_best), 0), count({prefix}{f}_best), count(*) - count({prefix}{f}_min)"
        for f in CASUALTY_FIELDS
    )


FIGURE_COLUMNS = ", ".join(f"events.{f}_{p}" for f in CASUALTY_FIELDS for p in ("min", "max", "best"))


def aggregate_sql(keys: list[str], where: Where) -> str:
    """One row per group of `keys`: the key values, count of distinct events, then per casualty
    field: sum of min, sum of max, sum of best, events with a best, events with unknown figure."""
    if not keys:
        return f"SELECT count(*), {_figure_sql('events.')} FROM events WHERE {where.sql}"
    aliases = [a for a in JOINS if any(a in GROUP_KEY_TABLE[k].joins for k in keys)]
    joins = "".join(JOINS[a] for a in aliases)
    if not MULTI_KEYS.intersection(keys):
        group = ", ".join(GROUP_KEY_TABLE[k].sql for k in keys)
        return (
            f"SELECT {group}, count(*), {_figure_sql('events.')} FROM events WHERE {where.sql} "
            f"GROUP BY {group} ORDER BY {group}"
        )
    named = ", ".join(f"{GROUP_KEY_TABLE[k].sql} AS g{i}" for i, k in enumerate(keys))
    group = ", ".join(f"g{i}" for i in range(len(keys)))
    # GROUP BY, not DISTINCT: SQLite 3.40 answers DISTINCT over a LEFT JOIN it skip-scans wrongly.
    inner = (
        f"SELECT {named}, events.rid, {FIGURE_COLUMNS} FROM events{joins} WHERE {where.sql} "
        f"GROUP BY {group}, events.rid"
    )
    return (
        f"SELECT {group}, count(*), {_figure_sql('')} FROM ({inner}) AS one GROUP BY {group} ORDER BY {group}"
    )


_SLICES = [
    (f, 1 + len(FIGURE_PARTS) * i, 1 + len(FIGURE_PARTS) * (i + 1)) for i, f in enumerate(CASUALTY_FIELDS)
]


def _figures(rest: tuple[Any, ...] | list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {"events": rest[0]}
    for f, a, b in _SLICES:
        out[f] = dict(zip(FIGURE_PARTS, rest[a:b]))  # noqa: B905 (b - a == len(FIGURE_PARTS))
    return out


def zero_figures() -> dict[str, Any]:
    return {"events": 0, **{f: dict.fromkeys(FIGURE_PARTS, 0) for f in CASUALTY_FIELDS}}


def _cube(store: Store, keys: list[str], values: dict[str, Any] | None) -> Cube | None:
    """The cube that answers these filters and keys (index.cube), if any."""
    if values is None or store.cubes is None:
        return None
    return store.cubes.pick(values, BY_PARAM, keys)


def aggregate(
    store: Store, keys: list[str], where: Where, values: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per group: the key values, `events`, and the figures of each casualty field; from
    the cube when it answers the filters (`values`) and keys, else by SQL."""
    cube = _cube(store, keys, values)
    groups = cube.groups(keys, values) if cube is not None and values is not None else None
    if groups is not None:
        return [
            {**dict(zip(keys, g, strict=True)), **_figures(groups[g])} for g in sorted(groups, key=_order)
        ]
    items = []
    for row in store.query(aggregate_sql(keys, where), where.params):
        item: dict[str, Any] = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in zip(keys, row, strict=False)
        }
        item.update(_figures(row[len(keys) :]))
        items.append(item)
    return items


def total(store: Store, where: Where, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The figures of all matching events, each counted once."""
    cube = _cube(store, [], values)
    groups = cube.groups([], values) if cube is not None and values is not None else None
    if groups is not None:
        return _figures(groups.get((), zero_row()))
    return _figures(store.query(aggregate_sql([], where), where.params)[0])


def zero_row() -> list[int]:
    return [0] * (1 + len(CASUALTY_FIELDS) * len(FIGURE_PARTS))


# --- zero rows for empty periods (fill=true) -----------------------------------------------------


def period_of(key: str, day: date) -> str:
    """The value of time key `key` for a date (mirror: openstrikes_client._aggregate)."""
    if key == "year":
        return f"{day.year:04d}"
    if key == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if key == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


def _start(key: str, value: str) -> date:
    if key == "year":
        return date(int(value), 1, 1)
    if key == "month":
        return date(int(value[:4]), int(value[5:7]), 1)
    return date.fromisoformat(value)


def _next(key: str, day: date) -> date:
    if key == "year":
        return date(day.year + 1, 1, 1)
    if key == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day + timedelta(days=7 if key == "week" else 1)


def fill_periods(
    items: list[dict[str, Any]], keys: list[str], lo: date | None, hi: date | None
) -> list[dict[str, Any]]:
    """`items` with a zero row for every period between `lo` (else the first row's) and `hi` (else
    the last row's) that has none, for each combination of the other keys found; same order."""
    time = [k for k in keys if k in TIME_KEYS]
    if len(time) != 1:
        raise bad("fill", "needs exactly one time key in group_by: " + ", ".join(TIME_KEYS))
    tkey = time[0]
    found = [_start(tkey, str(x[tkey])) for x in items]
    first = lo if lo is not None else min(found, default=None)
    last = hi if hi is not None else max(found, default=None)
    if first is None or last is None:
        return items
    periods: list[str] = []
    day = _start(tkey, period_of(tkey, first))
    while day <= last:
        periods.append(period_of(tkey, day))
        if len(periods) > MAX_FILLED_ROWS:
            raise bad("fill", f"more than {MAX_FILLED_ROWS} periods; narrow date_start")
        day = _next(tkey, day)
    others = [k for k in keys if k != tkey]
    combos = sorted({tuple(x[k] for k in others) for x in items}, key=_order) if others else [()]
    if len(combos) * len(periods) > MAX_FILLED_ROWS:
        raise bad("fill", f"more than {MAX_FILLED_ROWS} rows; narrow the query or group by fewer keys")
    have = {tuple(x[k] for k in keys): x for x in items}
    out = list(items)
    for combo in combos:
        for p in periods:
            values = dict(zip(others, combo, strict=True))
            values[tkey] = p
            key = tuple(values[k] for k in keys)
            if key not in have:
                have[key] = {**values, **zero_figures()}
                out.append(have[key])
    out.sort(key=lambda x: _order(tuple(x[k] for k in keys)))
    return out


def _order(values: tuple[Any, ...]) -> tuple[tuple[int, Any], ...]:
    return tuple((0, "") if v is None else (1, v) for v in values)
