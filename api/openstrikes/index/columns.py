"""Per-event columns kept in memory, and per-word / per-actor lists of events (index.masks uses them).

Written at index time, beside the SQL tables: one array per column, indexed by `rid - 1` (the
`columns` table: the start day and end day as day numbers, withdrawn, the codes of the
low-cardinality columns, the lowest and highest casualty figures, the number of the event's
point (each distinct latitude/longitude pair once, in `point_lat` / `point_lon`: events share
places, so a geo filter tests each point once), and the event positions in (date_start, rid)
order), and per search word and per (role, actor) the
events holding it (the `postings` table: their sorted positions, or a bitmap of one bit per event
when that is smaller). A worker reads the columns once
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
    "CREATE TABLE postings(kind TEXT NOT NULL, key TEXT NOT NULL, bitmap INTEGER NOT NULL, rids BLOB NOT NULL, "
    "PRIMARY KEY(kind, key))",
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
        self.points: dict[tuple[float, float], int] = {}  # each distinct (lat, lon): its number
        self.point = array("i")  # per event: its point's number, -1 without coordinates
        self.half_located = False  # an event with one coordinate (invalid): geo filters go to SQL
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
        if lat is None or lon is None:
            self.half_located |= lat is not None or lon is not None
            self.point.append(-1)
        else:
            self.point.append(self.points.setdefault((float(lat), float(lon)), len(self.points)))
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
        }
        if not self.half_located:
            point = np.frombuffer(self.point, dtype=np.int32).copy()
            point[point < 0] = len(self.points)  # "no point": one past the last
            arrays["point"] = point
            coords = np.array(list(self.points), dtype=np.float64).reshape(-1, 2)
            arrays["point_lat"], arrays["point_lon"] = coords[:, 0].copy(), coords[:, 1].copy()
        for name, values in self.figures.items():
            wide = np.frombuffer(values, dtype=np.int64)
            fits = not len(wide) or int(wide.max()) < np.iinfo(np.int32).max
            arrays[name] = wide.astype(np.int32) if fits else wide
        for c in CODED:
            arrays[c] = np.frombuffer(bytes(self.codes[c]), dtype=np.uint8)
        for name, arr in arrays.items():
            labels = self.labels.get(name)
            text = None if labels is None else orjson.dumps(sorted(labels, key=labels.__getitem__)).decode()
            db.execute("INSERT INTO columns VALUES (?,?,?,?)", (name, arr.dtype.str, arr.tobytes(), text))
        n = len(days)
        db.executemany(
            "INSERT INTO postings VALUES (?,?,?,?)",
            ((kind, key, *_posting(rids, n)) for (kind, key), rids in sorted(self.postings.items())),
        )


def _posting(positions: array[int], n: int) -> tuple[int, bytes]:
    """(1, a bitmap: one bit per event) when that is smaller than (0, the positions as int32): a
    frequent word costs an unpacking of n bits, a rare one a scatter of its few positions."""
    if len(positions) * 32 <= n:
        return 0, positions.tobytes()
    bits = np.zeros(n, dtype=bool)
    bits[np.frombuffer(positions, dtype=np.int32)] = True
    return 1, np.packbits(bits).tobytes()


class Columns:
    """The columns of one index, in memory (read once per process)."""

    def __init__(self, arrays: dict[str, np.ndarray], labels: dict[str, dict[Any, int]]) -> None:
        self.arrays = arrays
        self.labels = labels
        self.n = len(arrays["day"])
        # numpy indexes with its native integers: int32 indexes would be converted at every use
        self.order_date = arrays["order_date"].astype(np.intp)
        self.days_sorted = arrays["day"][self.order_date]  # the start days in that order
        self.live = arrays["withdrawn"] == 0
        self.point = arrays["point"].astype(np.intp) if "point" in arrays else None

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


def read_postings(conn: sqlite3.Connection, kind: str, key: str, n: int) -> np.ndarray:
    """The events holding `key` (a word, an actor id): a boolean per event when stored as a
    bitmap, else their sorted positions (rid - 1), as int32."""
    row = conn.execute("SELECT bitmap, rids FROM postings WHERE kind = ? AND key = ?", (kind, key)).fetchone()
    if row is None:
        return np.empty(0, dtype=np.int32)
    if row[0]:
        return np.unpackbits(np.frombuffer(row[1], dtype=np.uint8), count=n).view(bool)
    return np.frombuffer(row[1], dtype=np.int32)
