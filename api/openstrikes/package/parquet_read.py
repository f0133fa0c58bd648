"""Reading the events of a package back from its Parquet files (events, sources, actors).

Each Arrow value goes back to the CSV cell it was typed from, and the cells through the same
`unflatten_event` as the CSV, completed by roundtrip.csv: the round trip is the CSV's, with
nulls and lists typed on the way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from openstrikes.package.flatten import join_events, roundtrip_rows
from openstrikes.package.parquet_tables import PER_EVENT, parquet_table


def cell(value: Any) -> str:
    """The CSV cell of a value read from Parquet."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return orjson.dumps(value).decode("utf-8")
    return str(value)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=10_000):
        for row in batch.to_pylist():
            yield {k: cell(v) for k, v in row.items()}


def read_parquet_events(package_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the events of a built package back from events.parquet and its child tables."""
    children = [key for key in PER_EVENT if key != "events"]
    iters = {t: _rows(package_dir / parquet_table(t).path) for t in children}
    events = _rows(package_dir / parquet_table("events").path)
    return join_events(events, iters, roundtrip_rows(package_dir, "events"))
