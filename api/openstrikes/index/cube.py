"""Totals and per-group sums precomputed at index time: the "cube" (see store.py for the design).

An event falls in one *cell*: its values of the low-cardinality columns `CELL_COLUMNS` (withdrawn,
country, water body, strike type, status, outcome, geo precision). Per cell the index keeps the
day numbers of its events, sorted, and prefix sums of every casualty figure in that order (the
lowest, highest and best figures and a count of unknowns, per casualty field). A query whose
filters are only equality / list filters on cell columns and a `date_start` window is answered
without touching the events: its cells are found once (cached per filter set), and per cell the
window is two binary searches; counts and sums over it are differences of prefix sums. Exact,
never estimated: the same rows SQL would count.
"""

from __future__ import annotations

import sqlite3
import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

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
GROUPS = set(CELL_COLUMNS[1:])  # the group keys a cube can answer, with year and month
# The cubes kept, coarsest first: a query is answered by the first whose columns hold every column
# it filters or groups by (fewer cells: fewer binary searches per request).
LEVELS: tuple[tuple[str, ...], ...] = (
    ("withdrawn", "country", "water_body", "strike_type"),
    CELL_COLUMNS,
)
DDL = (
    "CREATE TABLE cube(level INTEGER NOT NULL, cell INTEGER NOT NULL, attrs BLOB NOT NULL, "
    "days BLOB NOT NULL, sums BLOB NOT NULL, typecode TEXT NOT NULL, PRIMARY KEY(level, cell))"
)


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
    """Collects (cell, day, figures) per event while the index is written; `write` stores them."""

    def __init__(self) -> None:
        self.cells: dict[tuple[Any, ...], tuple[array[int], array[int]]] = {}

    def add(self, e: dict[str, Any]) -> None:
        key = (1 if e.get("withdrawn") else 0, *(e.get(c) for c in CELL_COLUMNS[1:]))
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = (array("i"), array("q"))
        cell[0].append(date.fromisoformat(e["date_start"]).toordinal())
        cell[1].extend(_figures(e.get("casualties") or {}))

    def write(self, db: sqlite3.Connection) -> None:
        db.execute(DDL)
        for level, columns in enumerate(LEVELS):
            at = [CELL_COLUMNS.index(c) for c in columns]
            merged: dict[tuple[Any, ...], list[tuple[array[int], array[int]]]] = {}
            for key, cell in self.cells.items():
                merged.setdefault(tuple(key[i] for i in at), []).append(cell)
            for n, key in enumerate(sorted(merged, key=repr)):
                days, prefix = _prefix(merged[key])
                code = "i" if (prefix[-WIDTH:].tolist() and max(prefix[-WIDTH:]) < 2**31) else "q"
                db.execute(
                    "INSERT INTO cube VALUES (?,?,?,?,?,?)",
                    (level, n, orjson.dumps(list(key)), days.tobytes(), array(code, prefix).tobytes(), code),
                )


def _prefix(parts: list[tuple[array[int], array[int]]]) -> tuple[array[int], array[int]]:
    """The day numbers of these events, sorted, and the running sums of their figures in that order."""
    rows = sorted((d, p, i) for p, (days, _) in enumerate(parts) for i, d in enumerate(days))
    days_out = array("i", (r[0] for r in rows))
    prefix = array("q", bytes(8 * (len(rows) + 1) * WIDTH))
    run = [0] * WIDTH
    for pos, (_, p, i) in enumerate(rows, start=1):
        figs = parts[p][1]
        base, src = pos * WIDTH, i * WIDTH
        for k in range(WIDTH):
            run[k] += figs[src + k]
            prefix[base + k] = run[k]
    return days_out, prefix


class Cubes:
    """The cubes of one index, in memory (a few bytes per event and level, read once per process)."""

    def __init__(self, cubes: list[Cube]) -> None:
        self.cubes = cubes

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Cubes | None:
        """The cubes of an index (None if the index has none)."""
        try:
            rows = conn.execute(
                "SELECT level, attrs, days, sums, typecode FROM cube ORDER BY level, cell"
            ).fetchall()
        except sqlite3.OperationalError:
            return None
        cells: list[list[tuple[tuple[Any, ...], array[int], array[int]]]] = [[] for _ in LEVELS]
        for level, attrs, raw_days, raw_sums, code in rows:
            days, sums = array("i"), array(code.decode() if isinstance(code, bytes) else code)
            days.frombytes(raw_days)
            sums.frombytes(raw_sums)
            cells[level].append((tuple(orjson.loads(attrs)), days, sums))
        return cls([Cube(LEVELS[i], c) for i, c in enumerate(cells)])

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
        for k in keys:
            if k not in ("year", "month"):
                used.add(k)
        for cube in self.cubes:
            if used <= set(cube.columns):
                return cube
        return None


class Cube:
    """The cells of one level: events grouped by the values of `columns`."""

    def __init__(
        self, columns: tuple[str, ...], cells: list[tuple[tuple[Any, ...], array[int], array[int]]]
    ) -> None:
        self.columns = columns
        self.at = {c: i for i, c in enumerate(columns)}
        self.cells = cells
        self._match: dict[tuple[Any, ...], list[int]] = {}
        self._lock = threading.Lock()

    def matching(self, values: Mapping[str, Any]) -> list[int]:
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
        for n, (attrs, _, _) in enumerate(self.cells):
            if live_only and attrs[0]:
                continue
            if at_sea is not None and (attrs[water] is not None) != at_sea:
                continue
            if all(attrs[i] in vs for i, vs in conds):
                out.append(n)
        with self._lock:
            if len(self._match) > 4096:
                self._match.clear()
            self._match[key] = out
        return out

    @staticmethod
    def window(values: Mapping[str, Any]) -> tuple[int, int]:
        lo = values.get("date_start__gte")
        hi = values.get("date_start__lte")
        return (
            date.fromisoformat(lo).toordinal() if lo else 0,
            date.fromisoformat(hi).toordinal() if hi else 10**7,
        )

    # -- answers -----------------------------------------------------------------------------------

    def count(self, values: Mapping[str, Any]) -> int:
        """How many events match (the caller checked `answers`)."""
        lo, hi = self.window(values)
        total = 0
        for n in self.matching(values):
            days = self.cells[n][1]
            total += max(0, bisect_right(days, hi) - bisect_left(days, lo))
        return total

    def groups(self, keys: list[str], values: Mapping[str, Any]) -> dict[tuple[Any, ...], list[int]]:
        """Per group of `keys` (cell columns, year, month): [events, *figure sums] (WIDTH sums)."""
        lo, hi = self.window(values)
        out: dict[tuple[Any, ...], list[int]] = {}
        by_time = "month" if "month" in keys else "year" if "year" in keys else None
        for n in self.matching(values):
            attrs, days, sums = self.cells[n]
            a, b = bisect_left(days, lo), bisect_right(days, hi)
            if a >= b:
                continue
            spans = [(a, b, "")] if by_time is None else _split(days, a, b, by_time)
            for s, t, when in spans:
                group = tuple(
                    (when if k == by_time else when[:4]) if k in ("year", "month") else attrs[self.at[k]]
                    for k in keys
                )
                acc = out.get(group)
                if acc is None:
                    acc = out[group] = [0] * (WIDTH + 1)
                acc[0] += t - s
                bs, bt = s * WIDTH, t * WIDTH
                for k in range(WIDTH):
                    acc[k + 1] += sums[bt + k] - sums[bs + k]
        return out


def _split(days: array[int], a: int, b: int, by: str) -> list[tuple[int, int, str]]:
    """[a, b) cut where the year (or month) of the sorted day numbers changes."""
    out = []
    s = a
    while s < b:
        d = date.fromordinal(days[s])
        if by == "year":
            label, nxt = f"{d.year:04d}", date(d.year + 1, 1, 1)
        else:
            label = f"{d.year:04d}-{d.month:02d}"
            nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
        t = min(b, bisect_left(days, nxt.toordinal(), s, b))
        out.append((s, t, label))
        s = t
    return out
