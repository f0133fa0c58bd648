"""events_flat.csv and events_flat.parquet of a package, written together from its events.ndjson
(their Table Schema: `flat_schema`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from openstrikes.package.columnar import record_batch
from openstrikes.package.flat_rows import FLAT_COLUMNS, MANY, SEPARATOR, flat_cells, flat_lists
from openstrikes.package.metadata import FileInfo
from openstrikes.package.parquet_out import ROW_GROUP, ParquetOut
from openstrikes.package.parquet_tables import memory_schema, parquet_table, stored_schema
from openstrikes.package.render import HashingFile


def _batch(
    cells: list[dict[str, str]], lists: list[dict[str, list[str]]], schema: pa.Schema
) -> pa.RecordBatch:
    rows = [
        [orjson.dumps(many[f.name]).decode("utf-8") if f.name in MANY else one[f.name] for f in schema]
        for one, many in zip(cells, lists, strict=True)
    ]
    return record_batch(rows, schema)


def write_flat(ndjson: Path, folder: Path, actors: Iterable[Mapping[str, Any]]) -> dict[str, FileInfo]:
    """events_flat.csv and events_flat.parquet from the package's events.ndjson (in its order) and
    the actor registry; their infos by resource key."""
    names = {a["id"]: a["name"] for a in actors}
    table = parquet_table("events_flat")
    memory = memory_schema(table.key)
    out = HashingFile(folder / "events_flat.csv")
    pout = ParquetOut(folder / table.path, stored_schema(table.key))
    try:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(FLAT_COLUMNS)
        cells: list[dict[str, str]] = []
        lists: list[dict[str, list[str]]] = []
        with ndjson.open("rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                one, many = flat_cells(event, names), flat_lists(event, names)
                cells.append(one)
                lists.append(many)
                writer.writerow([SEPARATOR.join(many[k]) if k in many else one[k] for k in FLAT_COLUMNS])
                if len(cells) >= ROW_GROUP:
                    pout.add(_batch(cells, lists, memory))
                    cells, lists = [], []
                if buf.tell() > 1 << 20:
                    out.write(buf.getvalue().encode("utf-8"))
                    buf.seek(0)
                    buf.truncate()
        pout.add(_batch(cells, lists, memory))
        out.write(buf.getvalue().encode("utf-8"))
    except BaseException:
        pout.discard()
        out.fh.close()
        raise
    return {"events_flat": out.close(), table.resource: pout.close()}
