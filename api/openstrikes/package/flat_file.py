"""events_flat.csv and events_flat.parquet of a package, written together from its events.ndjson
(their Table Schema: `flat_schema`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from openstrikes.package.background import Background
from openstrikes.package.columnar import record_batch
from openstrikes.package.flat_rows import FLAT_COLUMNS, MANY, SEPARATOR, flat_cells, flat_lists
from openstrikes.package.metadata import FileInfo
from openstrikes.package.parquet_out import ParquetOut
from openstrikes.package.parquet_tables import column_encodings, memory_schema, parquet_table, stored_schema
from openstrikes.package.render import HashingFile, csv_text

BATCH = 2048  # rows typed at a time (the writer cuts its row groups whatever the batches)


def write_flat(ndjson: Path, folder: Path, actors: Iterable[Mapping[str, Any]]) -> dict[str, FileInfo]:
    """events_flat.csv and events_flat.parquet from the package's events.ndjson (in its order) and
    the actor registry; their infos by resource key."""
    names = {a["id"]: a["name"] for a in actors}
    table = parquet_table("events_flat")
    memory = memory_schema(table.key)
    if memory.names != list(FLAT_COLUMNS):
        raise ValueError("events_flat: the Parquet columns are not the CSV's")
    out = HashingFile(folder / "events_flat.csv")
    pout = ParquetOut(folder / table.path, stored_schema(table.key), column_encodings(table.key))
    background = Background("events-flat-parquet")  # typing and encoding, beside the CSV

    def flush(rows: list[list[str]], lists: dict[str, list[list[str]]]) -> None:
        text = csv_text(rows)
        out.write(text)
        background.submit(_add, pout, rows, lists, memory, text)

    try:
        out.write(csv_text([list(FLAT_COLUMNS)]))
        rows: list[list[str]] = []  # CSV cells (lists joined by SEPARATOR)
        lists: dict[str, list[list[str]]] = {k: [] for k in MANY}  # the same lists, as lists
        with ndjson.open("rb") as fh:
            for line in fh:
                if not line.strip():
                    continue
                event = orjson.loads(line)
                one, many = flat_cells(event, names), flat_lists(event, names)
                rows.append([SEPARATOR.join(many[k]) if k in many else one[k] for k in FLAT_COLUMNS])
                _keep_lists(lists, many)
                if len(rows) >= BATCH:
                    flush(rows, lists)
                    rows, lists = [], {k: [] for k in MANY}
        flush(rows, lists)
        background.join()
    except BaseException:
        background.stop()
        pout.discard()
        out.fh.close()
        raise
    return {"events_flat": out.close(), table.resource: pout.close()}


def _keep_lists(lists: dict[str, list[list[str]]], many: Mapping[str, list[str]]) -> None:
    """Add one row's many-valued cells to the lists the Parquet batch is typed from."""
    for k, values in many.items():
        lists[k].append(values)


def _add(
    pout: ParquetOut, rows: list[list[str]], lists: dict[str, list[list[str]]], memory: pa.Schema, text: bytes
) -> None:
    pout.add(record_batch(rows, memory, text, lists))
