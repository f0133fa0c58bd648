"""Per-event columns kept in memory, and per-word / per-actor lists of events (index.masks uses them).

Written at index time, beside the SQL tables: one array per column, indexed by `rid - 1` (the
`columns` table: the start day and end day as day numbers, withdrawn, the codes of the
low-cardinality columns, the lowest and highest casualty figures, latitude and longitude, and
the event positions in (date_start, rid) order), and per search word and per (role, actor) the
sorted positions of the events holding it (the `postings` table). A worker reads the columns once
(about 50 bytes per event); it reads a posting list only when a query names its word or actor.
"""

from __future__ import annotations

import sqlite3
from array import array
from datetime import date
from typing import Any

import numpy as np
import orjson

# The columns stored as small codes (0: no value; 1..: the values in first-seen order).
CODED = ("country", "water_body", "strike_type", "status", "outcome", "geo_precision")
# The casualty figures the filters compare (index.filters: `__gte` the highest, `__lte` the lowest).
RANGED = ("killed", "injured", "civilians_killed")
MISSING = -1  # a figure that is not known (figures are counts: never negative)
DDL = (
    "CREATE TABLE columns(name TEXT PRIMARY KEY, dtype TEXT NOT NULL, data BLOB NOT NULL, labels TEXT)",
    "CREATE TABLE postings(kind TEXT NOT NULL, key TEXT NOT NULL, rids BLOB NOT NULL, PRIMARY KEY(kind, key))",
)
WORD, ATTACKER, TARGET = "word", "attacker", "target"  # the posting kinds


class ColumnsBuilder:
    """Collects each event's column values and postings while the index is written."""

    def __init__(self) -> None:
        self.days = array("i")
        self.ends = array("i")
        self.withdrawn = bytearray()
        self.labels: dict[str, dict[Any, int]] = {c: {None: 0} for c in CODED}
        self.codes = {c: bytearray() for c in CODED}
        self.figures = {f"{f}_{b}": array("q") for f in RANGED for b in ("min", "max")}
        self.lat = array("d")
        self.lon = array("d")
        self.postings: dict[tuple[str, str], array[int]] = {}

    def add(self, rid: int, e: dict[str, Any], words: str) -> None:
        """Event `rid` (rids come 1, 2, 3, ...) and its search text (`words`, space-separated)."""
        pos = rid - 1
        self.days.append(date.fromisoformat(e["date_start"]).toordinal())
        self.ends.append(date.fromisoformat(e["date_end"]).toordinal())
        self.withdrawn.append(1 if e.get("withdrawn") else 0)
        for c in CODED:
            labels = self.labels[c]
            v = e.get(c)
            code = labels.get(v)
            if code is None:
                code = labels[v] = len(labels)
            self.codes[c].append(code)
        cas = e.get("casualties") or {}
        for f in RANGED:
            r = cas.get(f) if isinstance(cas, dict) else None
            known = isinstance(r, dict)
            self.figures[f"{f}_min"].append(int(r["min"]) if known else MISSING)  # type: ignore[index]
            self.figures[f"{f}_max"].append(int(r["max"]) if known else MISSING)  # type: ignore[index]
        lat, lon = e.get("latitude"), e.get("longitude")
        located = lat is not None and lon is not None
        self.lat.append(float(lat) if located else float("nan"))
        self.lon.append(float(lon) if located else float("nan"))
        keys = {(WORD, w) for w in words.split()}
        keys.update((ATTACKER, a["actor"]) for a in e.get("attackers") or ())
        keys.update((TARGET, t["actor"]) for t in e.get("targets") or () if t.get("actor"))
        for key in keys:
            got = self.postings.get(key)
            if got is None:
                got = self.postings[key] = array("i")
            got.append(pos)

    def write(self, db: sqlite3.Connection) -> None:
        for ddl in DDL:
            db.execute(ddl)
        days = np.frombuffer(self.days, dtype=np.int32)
        order = np.argsort(days, kind="stable").astype(np.int32)  # ties stay in rid order
        arrays: dict[str, np.ndarray] = {
            "day": days,
            "day_end": np.frombuffer(self.ends, dtype=np.int32),
            "withdrawn": np.frombuffer(bytes(self.withdrawn), dtype=np.uint8),
            "order_date": order,
            "latitude": np.frombuffer(self.lat, dtype=np.float64),
            "longitude": np.frombuffer(self.lon, dtype=np.float64),
        }
        for name, values in self.figures.items():
            wide = np.frombuffer(values, dtype=np.int64)
            fits = not len(wide) or int(wide.max()) < np.iinfo(np.int32).max
            arrays[name] = wide.astype(np.int32) if fits else wide
        for c in CODED:
            arrays[c] = np.frombuffer(bytes(self.codes[c]), dtype=np.uint8)
        for name, arr in arrays.items():
            labels = self.labels.get(name)
            text = None if labels is None else orjson.dumps(sorted(labels, key=labels.__getitem__)).decode()
            db.execute(
                "INSERT INTO columns VALUES (?,?,?,?)", (name, arr.dtype.str, arr.tobytes(), text)
            )
        db.executemany(
            "INSERT INTO postings VALUES (?,?,?)",
            ((kind, key, rids.tobytes()) for (kind, key), rids in sorted(self.postings.items())),
        )


class Columns:
    """The columns of one index, in memory (read once per process)."""

    def __init__(self, arrays: dict[str, np.ndarray], labels: dict[str, dict[Any, int]]) -> None:
        self.arrays = arrays
        self.labels = labels
        self.n = len(arrays["day"])
        self.order_date = arrays["order_date"]
        self.days_sorted = arrays["day"][self.order_date]  # the start days in that order
        self.live = arrays["withdrawn"] == 0

    @classmethod
    def load(cls, conn: sqlite3.Connection) -> Columns | None:
        """The columns of an index (None if the index has none)."""
        try:
            rows = conn.execute("SELECT name, dtype, data, labels FROM columns").fetchall()
        except sqlite3.OperationalError:
            return None
        arrays: dict[str, np.ndarray] = {}
        labels: dict[str, dict[Any, int]] = {}
        for name, dtype, data, text in rows:
            key = name.decode() if isinstance(name, bytes) else name
            kind = dtype.decode() if isinstance(dtype, bytes) else dtype
            arrays[key] = np.frombuffer(data, dtype=np.dtype(kind))
            if text is not None:
                labels[key] = {v: i for i, v in enumerate(orjson.loads(text))}
        return cls(arrays, labels) if "day" in arrays else None

    def code(self, column: str, value: Any) -> int | None:
        """The code of a value of a coded column (None: no event has it)."""
        return self.labels[column].get(value)


def read_postings(conn: sqlite3.Connection, kind: str, key: str) -> np.ndarray:
    """The sorted positions (rid - 1) of the events holding `key` (a word, an actor id)."""
    row = conn.execute("SELECT rids FROM postings WHERE kind = ? AND key = ?", (kind, key)).fetchone()
    return np.frombuffer(row[0], dtype=np.int32) if row else np.empty(0, dtype=np.int32)
