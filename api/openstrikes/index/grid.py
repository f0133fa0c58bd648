"""Events counted per cell of a latitude/longitude grid (the explorer's map when many events are
in view): the GROUP BY SQL and its rows."""

from __future__ import annotations

import math
from typing import Any

from openstrikes.index.filters import Where
from openstrikes.index.memo import remembered
from openstrikes.index.store import Store
from openstrikes.index.values import NUMBER, ParamError, ValueType, bad

MIN_CELL, MAX_CELL = 0.001, 90.0
MAX_CELLS = 20000  # the most cells one request may span (its bbox, else the world, over cell²)
WORLD = (-180.0, -90.0, 180.0, 90.0)


def _cell(name: str, raw: str) -> float:
    if not NUMBER.match(raw) or len(raw) > 20:
        raise bad(name, f"expected a cell size in degrees, got {raw!r}")
    value = float(raw)
    if not MIN_CELL <= value <= MAX_CELL:
        raise bad(name, f"expected a cell size from {MIN_CELL} to {MAX_CELL:g} degrees, got {raw!r}")
    return value


CELL_TYPE = ValueType(
    _cell,
    {"type": "number", "minimum": MIN_CELL, "maximum": MAX_CELL},
    f"degrees, from {MIN_CELL} to {MAX_CELL:g}",
)


def check_span(cell: float, bbox: tuple[float, float, float, float] | None) -> None:
    """Refuse (422) a grid of more than MAX_CELLS cells over the bbox (or the world)."""
    min_lon, min_lat, max_lon, max_lat = bbox or WORLD
    cols = math.floor(max_lon / cell) - math.floor(min_lon / cell) + 1
    rows = math.floor(max_lat / cell) - math.floor(min_lat / cell) + 1
    if cols * rows > MAX_CELLS:
        raise ParamError(
            422,
            "too_many_cells",
            f"cell: {cols * rows} cells over {'the bbox' if bbox else 'the world'} "
            f"(at most {MAX_CELLS}); use a larger cell or a smaller bbox",
            "cell",
        )


def grid_sql(where: Where) -> str:
    """Per cell (row, column) and strike type: the count, the mean position and killed sums.
    The cell of a point is floor((lon + 180) / cell), floor((lat + 90) / cell): both offsets are
    non-negative, so CAST (truncation) is floor."""
    return (
        "SELECT CAST((events.latitude + 90) / ? AS INTEGER) AS gy, "
        "CAST((events.longitude + 180) / ? AS INTEGER) AS gx, events.strike_type, count(*), "
        "sum(events.latitude), sum(events.longitude), "
        "coalesce(sum(events.killed_min), 0), coalesce(sum(events.killed_max), 0), "
        "sum(events.killed_min IS NULL) "
        f"FROM events WHERE {where.sql} AND events.latitude IS NOT NULL AND events.longitude IS NOT NULL "
        "GROUP BY gy, gx, events.strike_type ORDER BY gy, gx, events.strike_type"
    )


def grid(store: Store, cell: float, where: Where) -> dict[str, Any]:
    """The non-empty cells (by row then column) and how many matching events have no position
    (remembered per release and query)."""
    return remembered(
        ("grid", store.sha256, cell, where.sql, where.params), lambda: _grid(store, cell, where)
    )


def _grid(store: Store, cell: float, where: Where) -> dict[str, Any]:
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    located = 0
    for gy, gx, kind, n, lat_sum, lon_sum, kmin, kmax, unknown in store.query(
        grid_sql(where), (cell, cell, *where.params)
    ):
        c = cells.get((gy, gx))
        if c is None:
            south, west = gy * cell - 90, gx * cell - 180
            c = cells[(gy, gx)] = {
                "south": round(south, 6),
                "west": round(west, 6),
                "north": round(min(90.0, south + cell), 6),
                "east": round(min(180.0, west + cell), 6),
                "events": 0,
                "lat": 0.0,
                "lon": 0.0,
                "by_strike_type": {},
                "killed": {"min": 0, "max": 0},
                "killed_unknown": 0,
            }
        c["events"] += n
        c["lat"] += lat_sum
        c["lon"] += lon_sum
        c["by_strike_type"][kind.decode() if isinstance(kind, bytes) else str(kind)] = n
        c["killed"]["min"] += kmin
        c["killed"]["max"] += kmax
        c["killed_unknown"] += unknown
        located += n
    items = []
    for c in cells.values():
        c["lat"] = round(c["lat"] / c["events"], 5)
        c["lon"] = round(c["lon"] / c["events"], 5)
        items.append(c)
    total = store.count(where.sql, where.params)
    return {"cell": cell, "total": total, "unlocated": total - located, "items": items}
