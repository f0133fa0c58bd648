"""Totals and per-group sums precomputed at index time: the "cube" (see store.py for the design).

An event falls in one *cell*: its values of the low-cardinality columns `CELL_COLUMNS` (withdrawn,
country, water body, strike type, status, outcome, geo precision). Per cell the index keeps the
day numbers of its events, sorted, their casualty figures in that order (the lowest, highest and
best figures and a count of unknowns, per casualty field) and their positions. Loaded, each level
is one array of keys (cell << 32 | day, sorted), one array of running sums of the figures in that
order, and the latitudes and longitudes.

A query whose filters are only equality / list filters on cell columns and a `date_start` window
is answered without touching the events: its cells are found once (cached per filter set); the
first and last event of each (cell, period) are found by one vectorised binary search over the
keys, and counts and sums are differences of running sums. Exact, never estimated: the same rows
SQL would count. The map's grid reads the positions of the rows in the window (index.grid).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from array import array
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from openstrikes.schema_files import CASUALTY_FIELDS

CELL_COLUMNS = ("withdrawn", "country", "water_body", "strike_type", "status", "outcome", "geo_precision")
# Per casualty field, as the aggregates give them (index.aggregates FIGURE_PARTS): sums of the
# lowest, highest and best figures, events with a best figure, events with an unknown figure.
FIGURES = ("min", "max", "best", "with_best", "unknown")
WIDTH = len(CASUALTY_FIELDS) * len(FIGURES)
# The filter parameters a cell set answers (everything else goes to SQL), and the group keys.
CELL_FILTERS = {**{c: c for c in CELL_COLUMNS[1:]}, **{f"{c}__in": c for c in CELL_COLUMNS[1:]}}
WINDOW = {"date_start__gte", "date_start__lte"}
OTHER_OK = {"at_sea", "include_withdrawn"}
GROUPS = set(CELL_COLUMNS[1:])  # the group keys a cube can answer, with one time key
TIME = ("year", "month", "week", "day")
# The cubes kept, coarsest first: a query is answered by the first whose columns hold every column
# it filters or groups by (fewer cells: fewer binary searches per request).
LEVELS: tuple[tuple[str, ...], ...] = (
    ("withdrawn", "country", "water_body", "strike_type"),
    CELL_COLUMNS,
)
# The killed figures the map's grid sums (lowest, highest, unknown): columns of the running sums.
_KILLED = CASUALTY_FIELDS.index("killed") * len(FIGURES)
KILLED_FIGURES = (_KILLED, _KILLED + 1, _KILLED + len(FIGURES) - 1)
MAX_SEARCHES = 400_000  # (cell, period) bounds one answer may search; more: SQL answers it
DDL = (
    "CREATE TABLE cube(level INTEGER NOT NULL, cell INTEGER NOT NULL, attrs BLOB NOT NULL, "
    "days BLOB NOT NULL, figures BLOB NOT NULL, lat BLOB NOT NULL, lon BLOB NOT NULL, "
    "PRIMARY KEY(level, cell))"
)
Ints = npt.NDArray[np.int64]


def _figures(cas: Any) -> list[int]:
    out: list[int] = []
    for name in CASUALTY_FIELDS:
        r = cas.get(name) if isinstance(cas, dict) else None
        if isinstance(r, dict):
            best = r.get("best")
            out += [int(r["min"]), int(r["max"]), 0 if best is None else int(best), best is not None, 0]
        else:
            out += [0, 0, 0, 0, 1]
    return out


class CubeBuilder:
    """Collects (cell, day, figures, position) per event while the index is written; `write`
    stores them per level, each cell's events by day."""

    def __init__(self) -> None:
        self.cells: dict[tuple[Any, ...], tuple[array[int], array[int], array[float], array[float]]] = {}

    def add(self, e: dict[str, Any]) -> None:
        key = (1 if e.get("withdrawn") else 0, *(e.get(c) for c in CELL_COLUMNS[1:]))
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = (array("i"), array("i"), array("d"), array("d"))
        cell[0].append(date.fromisoformat(e["date_start"]).toordinal())
        cell[1].extend(_figures(e.get("casualties") or {}))
        lat, lon = e.get("latitude"), e.get("longitude")
        located = lat is not None and lon is not None
        cell[2].append(float(lat) if located else math.nan)
        cell[3].append(float(lon) if located else math.nan)

    def write(self, db: sqlite3.Connection) -> None:
        db.execute(DDL)
        for level, columns in enumerate(LEVELS):
            at = [CELL_COLUMNS.index(c) for c in columns]
            merged: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
            for key in self.cells:
                merged.setdefault(tuple(key[i] for i in at), []).append(key)
            for n, key in enumerate(sorted(merged, key=repr)):
                parts = [self.cells[k] for k in merged[key]]
                days = np.concatenate([np.frombuffer(p[0], dtype=np.int32) for p in parts])
                order = np.argsort(days, kind="stable")
                figures = np.concatenate([np.frombuffer(p[1], dtype=np.int32) for p in parts])
                lat = np.concatenate([np.frombuffer(p[2], dtype=np.float64) for p in parts])
                lon = np.concatenate([np.frombuffer(p[3], dtype=np.float64) for p in parts])
                db.execute(
                    "INSERT INTO cube VALUES (?,?,?,?,?,?,?)",
                    (
                        level,
                        n,
                        orjson.dumps(list(key)),
                        days[order].tobytes(),
                        figures.reshape(-1, WIDTH)[order].tobytes(),
                        lat[order].tobytes(),
                        lon[order].tobytes(),
                    ),
                )


class Cubes:
    """The cubes of one index, in memory (per event and level: an 8-byte key, the running sums,
    4 or 8 bytes each, and two 8-byte coordinates; read once per process)."""

    def __init__(self, cubes: list[Cube]) -> None:
        self.cubes = cubes

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Cubes | None:
        """The cubes of an index (None if the index has none of this layout)."""
        try:
            rows = conn.execute(
                "SELECT level, attrs, days, figures, lat, lon FROM cube ORDER BY level, cell"
            ).fetchall()
        except sqlite3.OperationalError:
            return None
        cells: list[list[tuple[Any, ...]]] = [[] for _ in LEVELS]
        for level, attrs, *blobs in rows:
            cells[level].append((tuple(orjson.loads(attrs)), *blobs))
        cubes = [Cube(LEVELS[i], c) for i, c in enumerate(cells)]
        cubes[0].positions(KILLED_FIGURES)  # made now, not by the first grid request
        return cls(cubes)

    def pick(
        self, values: Mapping[str, Any], filter_names: Iterable[str], keys: Iterable[str] = ()
    ) -> Cube | None:
        """The coarsest cube that answers these filters and group keys; None if none does (SQL)."""
        names = set(filter_names)
        used = {"withdrawn"}
        for k in values:
            if k not in names:
                continue
            if k in CELL_FILTERS:
                used.add(CELL_FILTERS[k])
            elif k == "at_sea":
                used.add("water_body")
            elif k not in WINDOW and k not in OTHER_OK:
                return None
        keys = list(keys)
        times = [k for k in keys if k in TIME]
        if len(times) > 1 and set(times) != {"year", "month"}:
            return None  # a week (or day) and a year: not one series of periods
        for k in keys:
            if k not in TIME:
                if k not in GROUPS:
                    return None
                used.add(k)
        for cube in self.cubes:
            if used <= set(cube.columns):
                return cube
        return None


class Positions:
    """The events of a cube again, sorted by cell, position (latitude, longitude) and day: one
    *run* per (cell, position), its days sorted, with running sums of the killed figures (lowest,
    highest, unknown) in that order. A grid over a date window is then two binary searches per
    run in view, whatever the number of events (index.grid); as many runs as distinct positions
    per cell (events cluster at places; unlocated events make one run per cell)."""

    def __init__(self, cube: Cube, figures: tuple[int, int, int]) -> None:
        n = len(cube.keys)
        cell_of = cube.keys >> 32
        day = cube.keys & 0xFFFFFFFF
        assert cube.lat is not None and cube.lon is not None
        located = ~np.isnan(cube.lat)
        lat = np.where(located, cube.lat, 1000.0)  # one run per cell for the unlocated
        lon = np.where(located, cube.lon, 1000.0)
        order = np.lexsort((day, lon, lat, cell_of))
        cell_s, lat_s, lon_s = cell_of[order], lat[order], lon[order]
        new = np.ones(n, dtype=bool)
        if n:
            new[1:] = (cell_s[1:] != cell_s[:-1]) | (lat_s[1:] != lat_s[:-1]) | (lon_s[1:] != lon_s[:-1])
        starts = np.flatnonzero(new)
        run_of = np.cumsum(new) - 1
        self.cell: Ints = cell_s[starts]
        self.lat = lat_s[starts]
        self.lon = lon_s[starts]
        self.located = self.lat != 1000.0
        self.keys: Ints = (run_of.astype(np.int64) << 32) | day[order]
        per_event = np.diff(cube.running[:, list(figures)], axis=0)[order]
        self.running = np.zeros((n + 1, len(figures)), dtype=np.int64)
        np.cumsum(per_event, axis=0, out=self.running[1:])
        # runs of cell c: [first[c], first[c + 1])
        self.first: Ints = np.searchsorted(self.cell, np.arange(len(cube.attrs) + 1))

    def runs(self, cells: Ints) -> Ints:
        """The runs of these cells."""
        a, b = self.first[cells], self.first[cells + 1]
        sizes = b - a
        return np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(a - (np.cumsum(sizes) - sizes), sizes)


class Cube:
    """The cells of one level: events grouped by the values of `columns`, as flat arrays."""

    def __init__(self, columns: tuple[str, ...], cells: list[tuple[Any, ...]]) -> None:
        self.columns = columns
        self.at = {c: i for i, c in enumerate(columns)}
        self.attrs: list[tuple[Any, ...]] = [c[0] for c in cells]
        days = [np.frombuffer(c[1], dtype=np.int32) for c in cells]
        sizes = np.array([len(d) for d in days], dtype=np.int64)
        cell_of = np.repeat(np.arange(len(cells), dtype=np.int64), sizes)
        all_days = np.concatenate(days).astype(np.int64) if cells else np.zeros(0, np.int64)
        self.keys: Ints = (cell_of << 32) | all_days
        self.first_day = int(all_days.min()) if len(all_days) else 1
        self.last_day = int(all_days.max()) if len(all_days) else 1
        figures = (
            np.concatenate([np.frombuffer(c[2], dtype=np.int32) for c in cells]).reshape(-1, WIDTH)
            if cells
            else np.zeros((0, WIDTH), np.int32)
        )
        running = np.zeros((len(figures) + 1, WIDTH), dtype=np.int64)
        np.cumsum(figures, axis=0, out=running[1:])
        # int32 when every sum fits: half the memory
        self.running = running.astype(np.int32) if running.max(initial=0) < 2**31 else running
        self.lat = np.concatenate([np.frombuffer(c[3], dtype=np.float64) for c in cells]) if cells else None
        self.lon = np.concatenate([np.frombuffer(c[4], dtype=np.float64) for c in cells]) if cells else None
        self._positions: dict[tuple[int, ...], Positions] = {}
        self._match: dict[tuple[Any, ...], Ints] = {}
        self._codes: dict[tuple[str, ...], tuple[Ints, list[tuple[Any, ...]]]] = {}
        self._lock = threading.Lock()

    def matching(self, values: Mapping[str, Any]) -> Ints:
        """The cells the equality / list / at_sea / withdrawn filters select (cached)."""
        conds: list[tuple[int, frozenset[Any]]] = []
        for k in sorted(values):
            col = CELL_FILTERS.get(k)
            if col is not None:
                v = values[k]
                conds.append((self.at[col], frozenset(v if isinstance(v, list) else [v])))
        at_sea = values.get("at_sea")
        live_only = not values.get("include_withdrawn", False)
        key = (tuple(conds), at_sea, live_only)
        hit = self._match.get(key)
        if hit is not None:
            return hit
        out = []
        water = self.at.get("water_body", -1)
        for n, attrs in enumerate(self.attrs):
            if live_only and attrs[0]:
                continue
            if at_sea is not None and (attrs[water] is not None) != at_sea:
                continue
            if all(attrs[i] in vs for i, vs in conds):
                out.append(n)
        found = np.array(out, dtype=np.int64)
        with self._lock:
            if len(self._match) > 4096:
                self._match.clear()
            self._match[key] = found
        return found

    def codes(self, columns: tuple[str, ...]) -> tuple[Ints, list[tuple[Any, ...]]]:
        """Per cell, the number of its group of `columns` values; the groups' values (cached)."""
        hit = self._codes.get(columns)
        if hit is not None:
            return hit
        found: dict[tuple[Any, ...], int] = {}
        codes = np.array(
            [found.setdefault(tuple(a[self.at[c]] for c in columns), len(found)) for a in self.attrs],
            dtype=np.int64,
        )
        out = (codes, list(found))
        with self._lock:
            self._codes[columns] = out
        return out

    def positions(self, figures: tuple[int, int, int]) -> Positions:
        """The events by (cell, position, day), with running sums of these `figures` (columns of
        the running sums); made on first use (a sort of the level's events), then kept."""
        hit = self._positions.get(figures)
        if hit is None:
            with self._lock:
                hit = self._positions.get(figures)
                if hit is None:
                    hit = self._positions[figures] = Positions(self, figures)
        return hit

    @staticmethod
    def window(values: Mapping[str, Any]) -> tuple[int, int]:
        lo = values.get("date_start__gte")
        hi = values.get("date_start__lte")
        return (
            date.fromisoformat(lo).toordinal() if lo else 0,
            date.fromisoformat(hi).toordinal() if hi else 10**7,
        )

    def bounds(self, cells: Ints, days: Ints) -> Ints:
        """Per cell (rows) and day (columns): the position of the cell's first event on or after
        that day (one vectorised binary search)."""
        return np.searchsorted(self.keys, (cells[:, None] << 32) | days[None, :])  # type: ignore[no-any-return]

    def spans(self, values: Mapping[str, Any]) -> tuple[Ints, Ints, Ints]:
        """The matching cells and, per cell, the positions [a, b) of its events in the window."""
        cells = self.matching(values)
        lo, hi = self.window(values)
        at = self.bounds(cells, np.array([lo, max(lo, hi + 1)], dtype=np.int64))
        return cells, at[:, 0], at[:, 1]

    # -- answers -----------------------------------------------------------------------------------

    def count(self, values: Mapping[str, Any]) -> int:
        """How many events match (the caller checked `pick`)."""
        _, a, b = self.spans(values)
        return int((b - a).sum())

    def groups(
        self, keys: list[str], values: Mapping[str, Any], sums: bool = True
    ) -> dict[tuple[Any, ...], list[int]] | None:
        """Per group of `keys` (cell columns and one time key, or year and month): [events,
        *figure sums] (WIDTH sums; none unless `sums`). None when it would take more than
        MAX_SEARCHES binary searches (many cells over many days): SQL answers it."""
        lo, hi = self.window(values)
        times = [k for k in keys if k in TIME]
        by_time = min(times, key=TIME.index, default=None) if len(times) < 2 else "month"
        cells = self.matching(values)
        lo, hi = max(lo, self.first_day), min(hi, self.last_day)
        if not len(cells) or lo > hi:
            return {}
        starts, labels = periods(by_time, lo, hi)
        if len(cells) * (len(starts) + 1) > MAX_SEARCHES:
            return None
        days = np.array([*starts, hi + 1], dtype=np.int64)
        at = self.bounds(cells, days)
        counts = np.diff(at, axis=1)
        ci, pj = np.nonzero(counts)
        if not len(ci):
            return {}
        codes, found = self.codes(tuple(k for k in keys if k not in TIME))
        group = codes[cells[ci]] * len(labels) + pj
        ids, inverse = np.unique(group, return_inverse=True)
        acc = np.zeros((len(ids), 1 + (WIDTH if sums else 0)), dtype=np.int64)
        np.add.at(acc[:, 0], inverse, counts[ci, pj])
        if sums:
            part = self.running[at[ci, pj + 1]].astype(np.int64) - self.running[at[ci, pj]]
            np.add.at(acc[:, 1:], inverse, part)
        out: dict[tuple[Any, ...], list[int]] = {}
        for gid, row in zip(ids.tolist(), acc.tolist(), strict=True):
            attrs, j = found[gid // len(labels)], gid % len(labels)
            when, it = labels[j], iter(attrs)
            out[tuple((when[:4] if k == "year" else when) if k in TIME else next(it) for k in keys)] = row
        return out


def periods(by: str | None, lo: int, hi: int) -> tuple[list[int], list[str]]:
    """The first day (ordinal) of each period of `by` that days lo..hi touch (the first clipped
    to lo) and its label (index.aggregates period_of; "" for no time key)."""
    if by is None:
        return [lo], [""]
    starts, labels = [], []
    day = date.fromordinal(lo)
    last = date.fromordinal(hi)
    if by == "week":
        day -= timedelta(days=day.weekday())
    elif by == "month":
        day = day.replace(day=1)
    elif by == "year":
        day = day.replace(month=1, day=1)
    while day <= last:
        starts.append(max(lo, day.toordinal()))
        if by == "year":
            labels.append(f"{day.year:04d}")
            day = date(day.year + 1, 1, 1)
        elif by == "month":
            labels.append(f"{day.year:04d}-{day.month:02d}")
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        else:
            labels.append(day.isoformat())
            day += timedelta(days=7 if by == "week" else 1)
    return starts, labels
