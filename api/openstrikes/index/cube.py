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
FIGURES = ("min", "max", "best", "unknown")  # per casualty field: sums of each, count of unknowns
WIDTH = len(CASUALTY_FIELDS) * len(FIGURES)
# The filter parameters a cell set answers (everything else goes to SQL), and the group keys.
CELL_FILTERS = {**{c: c for c in CELL_COLUMNS[1:]}, **{f"{c}__in": c for c in CELL_COLUMNS[1:]}}
WINDOW = {"date_start__gte", "date_start__lte"}
OTHER_OK = {"at_sea", "include_withdrawn"}
GROUPS = {c: i for i, c in enumerate(CELL_COLUMNS)}
DDL = (
    "CREATE TABLE cube(cell INTEGER PRIMARY KEY, attrs BLOB NOT NULL, days BLOB NOT NULL, sums BLOB NOT NULL)"
)


def _figures(cas: Any) -> list[int]:
    out: list[int] = []
    for name in CASUALTY_FIELDS:
        r = cas.get(name) if isinstance(cas, dict) else None
        if isinstance(r, dict):
            best = r.get("best")
            out += [int(r["min"]), int(r["max"]), int(best) if best is not None else 0, 0]
        else:
            out += [0, 0, 0, 1]
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
        for n, (key, (days, figs)) in enumerate(sorted(self.cells.items(), key=lambda kv: repr(kv[0]))):
            order = sorted(range(len(days)), key=days.__getitem__)
            sorted_days = array("i", (days[i] for i in order))
            prefix = array("q", [0] * ((len(days) + 1) * WIDTH))
            run = [0] * WIDTH
            for pos, i in enumerate(order, start=1):
                base = pos * WIDTH
                for k in range(WIDTH):
                    run[k] += figs[i * WIDTH + k]
                    prefix[base + k] = run[k]
            db.execute(
                "INSERT INTO cube VALUES (?,?,?,?)",
                (n, orjson.dumps(list(key)), sorted_days.tobytes(), prefix.tobytes()),
            )


class Cube:
    """The cells of one index, in memory (a few bytes per event, read once per process)."""

    def __init__(self, cells: list[tuple[tuple[Any, ...], array[int], array[int]]]) -> None:
        self.cells = cells
        self._match: dict[tuple[Any, ...], list[int]] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Cube | None:
        """The cube of an index (None if the index has none)."""
        try:
            rows = conn.execute("SELECT attrs, days, sums FROM cube ORDER BY cell").fetchall()
        except sqlite3.OperationalError:
            return None
        cells = []
        for attrs, raw_days, raw_sums in rows:
            days, sums = array("i"), array("q")
            days.frombytes(raw_days)
            sums.frombytes(raw_sums)
            cells.append((tuple(orjson.loads(attrs)), days, sums))
        return cls(cells)

    # -- which queries it answers ------------------------------------------------------------------

    @staticmethod
    def answers(values: Mapping[str, Any], filter_names: Iterable[str]) -> bool:
        """Whether every filter given is one the cells answer."""
        return all(k in CELL_FILTERS or k in WINDOW or k in OTHER_OK for k in values if k in filter_names)

    def matching(self, values: Mapping[str, Any]) -> list[int]:
        """The cells the equality / list / at_sea / withdrawn filters select (cached)."""
        conds: list[tuple[int, frozenset[Any]]] = []
        for k in sorted(values):
            col = CELL_FILTERS.get(k)
            if col is not None:
                v = values[k]
                conds.append((GROUPS[col], frozenset(v if isinstance(v, list) else [v])))
        at_sea = values.get("at_sea")
        live_only = not values.get("include_withdrawn", False)
        key = (tuple(conds), at_sea, live_only)
        hit = self._match.get(key)
        if hit is not None:
            return hit
        out = []
        water = GROUPS["water_body"]
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
                    (when if k == by_time else when[:4]) if k in ("year", "month") else attrs[GROUPS[k]]
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
