"""Counts and casualty ranges per group: the GROUP BY SQL and its rows."""

from __future__ import annotations

from typing import Any

from openstrikes.index.cube import FIGURES, GROUPS, Cube
from openstrikes.index.filters import BY_PARAM, GROUP_KEYS, Where
from openstrikes.index.store import Store
from openstrikes.schema_files import CASUALTY_FIELDS


def aggregate_sql(keys: list[str], where: Where) -> str:
    """count(*) and the sums of the lowest and highest casualty figures per group of `keys`."""
    group = ", ".join(GROUP_KEYS[k] for k in keys)
    sums = ", ".join(
        f"coalesce(sum(events.{f}_min), 0), coalesce(sum(events.{f}_max), 0)" for f in CASUALTY_FIELDS
    )
    join = (
        " JOIN event_actors att ON att.rid = events.rid AND att.role = 'attacker'"
        if "attacker" in keys
        else ""
    )
    return (
        f"SELECT {group}, count(*), {sums} FROM events{join} WHERE {where.sql} "
        f"GROUP BY {group} ORDER BY {group}"
    )


def aggregate(
    store: Store, keys: list[str], where: Where, values: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """One row per group: the key values, `events`, and a {min, max} range per casualty field.
    From the cube when it answers the filters (`values`) and keys, else by SQL."""
    cube = None
    if (
        values is not None
        and store.cubes is not None
        and all(k in GROUPS or k in ("year", "month") for k in keys)
    ):
        cube = store.cubes.pick(values, BY_PARAM, keys)
    if cube is not None and values is not None:
        return _from_cube(cube, keys, values)
    items = []
    for row in store.query(aggregate_sql(keys, where), where.params):
        item: dict[str, Any] = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in zip(keys, row, strict=False)
        }
        rest = row[len(keys) :]
        item["events"] = rest[0]
        for i, f in enumerate(CASUALTY_FIELDS):
            item[f] = {"min": rest[1 + 2 * i], "max": rest[2 + 2 * i]}
        items.append(item)
    return items


def _from_cube(cube: Cube, keys: list[str], values: dict[str, Any]) -> list[dict[str, Any]]:
    groups = cube.groups(keys, values)
    out = []
    nf = len(FIGURES)
    for group in sorted(groups, key=lambda g: [(v is not None, v or "") for v in g]):
        acc = groups[group]
        item: dict[str, Any] = dict(zip(keys, group, strict=True))
        item["events"] = acc[0]
        for i, f in enumerate(CASUALTY_FIELDS):
            item[f] = {"min": acc[1 + i * nf], "max": acc[2 + i * nf]}
        out.append(item)
    return out
