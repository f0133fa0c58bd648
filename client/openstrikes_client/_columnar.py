"""A release's Parquet tables as Arrow tables or pandas DataFrames, when pyarrow is installed.

pyarrow is not a dependency of the client: it is imported only when asked for, and its absence is
a clear OpenStrikesError naming the package to install (pandas likewise, for DataFrames).
"""

from __future__ import annotations

import importlib
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


def _import(name: str, why: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        raise OpenStrikesError(why) from None


def _parquet() -> ModuleType:
    return _import(
        "pyarrow.parquet",
        "reading the Parquet files needs pyarrow: pip install pyarrow (pandas too for to_pandas())",
    )


def read_table(fh: IO[bytes]) -> Any:
    """A pyarrow.Table from an open Parquet file (read whole: a zip member cannot seek cheaply;
    handed to pyarrow as a buffer, read in C++ rather than through a Python file object)."""
    pq = _parquet()
    return pq.read_table(importlib.import_module("pyarrow").BufferReader(fh.read()))


def table_to_pandas(table: Any) -> Any:
    """A pyarrow.Table as a pandas DataFrame: counts Int64, dates, booleans and enums
    (categorical) as the file's `pandas` metadata names them, text `str`, and list columns
    Arrow-backed (`pd.ArrowDtype(list<string>)`: a cell reads back as a Python list). pandas
    alone makes a numpy array of each list cell, which is most of the time of a load."""
    _parquet()
    pa = importlib.import_module("pyarrow")
    pd = _import("pandas", "to_pandas() needs pandas: pip install pandas")

    def arrow_lists(typ: Any) -> Any:
        return pd.ArrowDtype(typ) if pa.types.is_list(typ) or pa.types.is_large_list(typ) else None

    return table.to_pandas(types_mapper=arrow_lists)
