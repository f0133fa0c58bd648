"""A release's Parquet tables as Arrow tables or pandas DataFrames, when pyarrow is installed.

pyarrow is not a dependency of the client: it is imported only when asked for, and its absence is
a clear OpenStrikesError naming the package to install.
"""

from __future__ import annotations

import importlib
import io
from types import ModuleType
from typing import IO, Any

from ._errors import OpenStrikesError

TABLES = ("events", "events_flat", "event_sources", "event_actors", "event_claims", "actors", "places")


def parquet_name(table: str) -> str:
    """The file of a table: `<table>.parquet` (or `events.geoparquet` for "events_geo")."""
    if table == "events_geo":
        return "events.geoparquet"
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}: use one of {', '.join((*TABLES, 'events_geo'))}")
    return f"{table}.parquet"


def _parquet() -> ModuleType:
    try:
        return importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise OpenStrikesError(
            "reading the Parquet files needs pyarrow: pip install pyarrow (pandas too for to_pandas())"
        ) from None


def read_table(fh: IO[bytes]) -> Any:
    """A pyarrow.Table from an open Parquet file (read whole: a zip member cannot seek cheaply)."""
    pq = _parquet()
    return pq.read_table(io.BytesIO(fh.read()))
