"""The codebook's per-code counts of a release (package/codebook.py's `event_usage`: how many live
events use each code, withdrawn ones for the withdrawal fields, and the earliest by (date_start,
id)), counted while the index is built and kept in its `code_use` table, so that /docs/codebook
never reads the events.

The fields are those of the event schema bundled in the package (a release made before the code
definitions has its codes all the same). One row per field path and value that some event holds
(the value as JSON); a code no event uses has no row.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from openstrikes.package.codebook import EventCodeUse, Usage, fields_of
from openstrikes.package.metadata import PackageError
from openstrikes.package.reader import package_schema

DDL = (
    "CREATE TABLE code_use(path TEXT NOT NULL, code TEXT NOT NULL, events INTEGER NOT NULL, "
    "first_date TEXT NOT NULL, first_id TEXT NOT NULL, PRIMARY KEY(path, code)) WITHOUT ROWID"
)


class CodeUseBuilder:
    """Counts the codes of each event while the index is written."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.counter = EventCodeUse(fields_of(schema, strict=False))

    @classmethod
    def for_package(cls, package: Path) -> CodeUseBuilder:
        try:
            schema = package_schema(package)
        except (PackageError, ValueError, OSError):
            schema = {}  # no readable schema: no coded field (the index still serves the events)
        return cls(schema)

    def add(self, event: dict[str, Any]) -> None:
        self.counter.add(event)

    def write(self, db: sqlite3.Connection) -> None:
        db.execute(DDL)
        rows = [
            (path, orjson.dumps(code).decode(), count, use.first[code][0], use.first[code][1])
            for path, use in self.counter.result().items()
            for code, count in use.counts.items()
        ]
        db.executemany("INSERT INTO code_use VALUES (?,?,?,?,?)", rows)


def read_code_use(conn: sqlite3.Connection) -> dict[str, Usage]:
    """The counts an index holds, by field path (a field whose codes no event uses is absent)."""
    out: dict[str, Usage] = {}
    for path, code, count, first_date, first_id in conn.execute(
        "SELECT path, code, events, first_date, first_id FROM code_use ORDER BY path, code"
    ):
        value = orjson.loads(code)
        use = out.setdefault(_text(path), Usage())
        use.counts[value] = int(count)
        use.first[value] = (_text(first_date), _text(first_id))
    return out


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
