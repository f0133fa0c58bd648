"""events_flat.csv of a package, written from its events.ndjson (its Table Schema: `flat_schema`),
and beside it LISTS_FILE: each row's many-valued cells as JSON lists, from which the Parquet job
types events_flat.parquet (the CSV joins them by SEPARATOR, which a value may hold)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from openstrikes.package.flat_rows import FLAT_COLUMNS, SEPARATOR, flat_cells, flat_lists
from openstrikes.package.metadata import FileInfo
from openstrikes.package.render import HashingFile, csv_text

BATCH = 2048  # rows written at a time
LISTS_FILE = ".events_flat.lists.ndjson"  # read and removed by the Parquet job


def write_flat(
    ndjson: Path, folder: Path, actors: Iterable[Mapping[str, Any]], lists: bool = True
) -> dict[str, FileInfo]:
    """events_flat.csv from the package's events.ndjson (in its order) and the actor registry, its
    info by resource key; `lists`: also LISTS_FILE (one JSON object of MANY's lists a row)."""
    names = {a["id"]: a["name"] for a in actors}
    out = HashingFile(folder / "events_flat.csv")
    list_out = (folder / LISTS_FILE).open("wb") if lists else None
    try:
        out.write(csv_text([list(FLAT_COLUMNS)]))
        rows: list[list[str]] = []  # CSV cells (lists joined by SEPARATOR)
        lines: list[bytes] = []  # the same rows' lists
        with ndjson.open("rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                one, many = flat_cells(event, names), flat_lists(event, names)
                rows.append([SEPARATOR.join(many[k]) if k in many else one[k] for k in FLAT_COLUMNS])
                if list_out is not None:
                    lines.append(orjson.dumps(many))
                if len(rows) >= BATCH:
                    _flush(out, rows, list_out, lines)
                    rows, lines = [], []
        _flush(out, rows, list_out, lines)
    except BaseException:
        out.fh.close()
        if list_out is not None:
            list_out.close()
        raise
    if list_out is not None:
        list_out.close()
    return {"events_flat": out.close()}


def _flush(out: HashingFile, rows: list[list[str]], list_out: BinaryIO | None, lines: list[bytes]) -> None:
    out.write(csv_text(rows))
    if list_out is not None and lines:
        list_out.write(b"\n".join(lines) + b"\n")
