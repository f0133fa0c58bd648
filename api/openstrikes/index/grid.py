"""Events counted per cell of a latitude/longitude grid (the explorer's map when many events are
in view): from the cube's positions (index.cube) when it answers the filters, else the GROUP BY
SQL; both give the same rows.

From the cube: the rows of the matching cells in the date window are read as arrays (position,
killed figures from the running sums), kept by bbox and killed range, and counted per (row,
column, strike type) with one bincount per figure: cost grows with the events in the window,
a few array passes each, never a scan of the table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import orjson

from openstrikes.index.cube import KILLED_FIGURES, Cube
from openstrikes.index.filters import BY_PARAM, Where
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


def grid(store: Store, cell: float, where: Where, values: Mapping[str, Any] | None = None) -> bytes:
    """The JSON of the non-empty cells (by row then column) and of how many matching events have
    no position (remembered per release and query, as bytes: no objects for the garbage collector
    to walk). `values`: the parsed filters (the cube may answer them)."""

    def compute() -> bytes:
        cube = _cube(store, values)
        if cube is not None and values is not None:
            if "killed__gte" in values or "killed__lte" in values:
                return orjson.dumps(_from_cube(cube, cell, values))
            return orjson.dumps(_from_positions(cube, cell, values))
        return orjson.dumps(_grid(store, cell, where))

    return remembered(("grid", store.sha256, cell, where.sql, where.params), compute)


# The filters the cube's rows answer beyond the cube's own (bbox and the killed range).
ROW_FILTERS = ("bbox", "killed__gte", "killed__lte")
KMIN, KMAX, KUNKNOWN = KILLED_FIGURES


def _cube(store: Store, values: Mapping[str, Any] | None) -> Cube | None:
    if values is None or store.cubes is None:
        return None
    rest = {k: v for k, v in values.items() if k not in ROW_FILTERS}
    return store.cubes.pick(rest, BY_PARAM, ["strike_type"])


def _from_positions(cube: Cube, cell: float, values: Mapping[str, Any]) -> dict[str, Any]:
    """The grid from the cube's runs per (cell, position): per run in view, its events in the
    window by two binary searches and its killed sums as differences of running sums."""
    at = cube.positions(KILLED_FIGURES)
    cells = cube.matching(values)
    runs = at.runs(cells)
    lat, lon, located = at.lat[runs], at.lon[runs], at.located[runs]
    bbox = values.get("bbox")
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        inside = located & (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon)
        runs, lat, lon, located = runs[inside], lat[inside], lon[inside], located[inside]
    lo, hi = cube.window(values)
    a = np.searchsorted(at.keys, (runs << 32) | lo)
    b = np.searchsorted(at.keys, (runs << 32) | max(lo, hi + 1))
    count = b - a
    total = int(count.sum())
    keep = located & (count > 0)
    runs, lat, lon, count, a, b = (x[keep] for x in (runs, lat, lon, count, a, b))
    killed = at.running[b] - at.running[a]
    codes, kinds = cube.codes(("strike_type",))
    kind = codes[at.cell[runs]]
    items = _count_cells(cell, kinds, lat, lon, kind, count, killed)
    located_n = sum(c["events"] for c in items)
    return {"cell": cell, "total": total, "unlocated": total - located_n, "items": items}


def _count_cells(
    cell: float,
    kinds: list[tuple[Any, ...]],
    lat: Any,
    lon: Any,
    kind: Any,
    weight: Any,
    killed: Any,
) -> list[dict[str, Any]]:
    """The grid's cells of points (lat, lon; `kind`: the strike type's code in `kinds`), each
    standing for `weight` events whose killed sums (min, max, unknown) are the rows of `killed`."""
    if not len(lat):
        return []
    order = sorted(range(len(kinds)), key=lambda i: (kinds[i][0] is not None, str(kinds[i][0])))
    rank = np.empty(len(kinds), dtype=np.int64)
    rank[order] = np.arange(len(kinds))
    # as the SQL: CAST((latitude + 90) / cell AS INTEGER), a truncation of a non-negative number
    gy = ((lat + 90) / cell).astype(np.int64)
    gx = ((lon + 180) / cell).astype(np.int64)
    y0, x0 = int(gy.min()), int(gx.min())
    width, ntypes = int(gx.max()) - x0 + 1, len(kinds)
    key = ((gy - y0) * width + (gx - x0)) * ntypes + rank[kind]
    size = (int(gy.max()) - y0 + 1) * width * ntypes
    count = np.bincount(key, weights=weight, minlength=size)
    present = np.flatnonzero(count)
    sums = [np.bincount(key, weights=w * weight, minlength=size)[present] for w in (lat, lon)]
    ints = [np.bincount(key, weights=killed[:, i], minlength=size)[present] for i in range(3)]
    rows = zip(
        present.tolist(),
        np.rint(count[present]).astype(np.int64).tolist(),
        sums[0].tolist(),
        sums[1].tolist(),
        *(np.rint(x).astype(np.int64).tolist() for x in ints),
        strict=True,
    )
    names = [str(kinds[i][0]) for i in order]
    return _cells(
        cell,
        (
            (y0 + k // ntypes // width, x0 + k // ntypes % width, names[k % ntypes], *rest)
            for k, *rest in rows
        ),
    )


def _from_cube(cube: Cube, cell: float, values: Mapping[str, Any]) -> dict[str, Any]:
    """The grid from the rows of the window, one by one (for a killed range: a per-event test)."""
    cells, a, b = cube.spans(values)
    sizes = b - a
    n = int(sizes.sum())
    # the positions of the window's rows, cell after cell
    pos = np.arange(n, dtype=np.int64) + np.repeat(a - (np.cumsum(sizes) - sizes), sizes)
    assert cube.lat is not None and cube.lon is not None
    lat, lon = cube.lat[pos], cube.lon[pos]
    codes, kinds = cube.codes(("strike_type",))
    kind = np.repeat(codes[cells], sizes)
    figures = (
        cube.running[pos + 1, KMIN : KUNKNOWN + 1].astype(np.int64) - cube.running[pos, KMIN : KUNKNOWN + 1]
    )
    kmin, kmax, unknown = figures[:, 0], figures[:, 1], figures[:, KUNKNOWN - KMIN]
    keep = np.ones(n, dtype=bool)
    if "killed__gte" in values:
        keep &= (unknown == 0) & (kmax >= values["killed__gte"])
    if "killed__lte" in values:
        keep &= (unknown == 0) & (kmin <= values["killed__lte"])
    bbox = values.get("bbox")
    if bbox is not None:
        min_lon, min_lat, max_lon, max_lat = bbox
        keep &= (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon)
    total = int(keep.sum())
    keep &= ~np.isnan(lat)
    lat, lon, kind, kmin, kmax, unknown = (x[keep] for x in (lat, lon, kind, kmin, kmax, unknown))
    killed = np.stack([kmin, kmax, unknown], axis=1)
    items = _count_cells(cell, kinds, lat, lon, kind, np.ones(len(lat)), killed)
    located = sum(c["events"] for c in items)
    return {"cell": cell, "total": total, "unlocated": total - located, "items": items}


def _grid(store: Store, cell: float, where: Where) -> dict[str, Any]:
    items = _cells(cell, store.query(grid_sql(where), (cell, cell, *where.params)))
    located = sum(c["events"] for c in items)
    total = store.count(where.sql, where.params)
    return {"cell": cell, "total": total, "unlocated": total - located, "items": items}


def _cells(cell: float, rows: Any) -> list[dict[str, Any]]:
    """The grid's cells from rows (row, column, strike type, count, latitude sum, longitude sum,
    killed min sum, killed max sum, killed unknown) ordered by row, column, strike type."""
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for gy, gx, kind, n, lat_sum, lon_sum, kmin, kmax, unknown in rows:
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
    items = []
    for c in cells.values():
        c["lat"] = round(c["lat"] / c["events"], 5)
        c["lon"] = round(c["lon"] / c["events"], 5)
        items.append(c)
    return items
