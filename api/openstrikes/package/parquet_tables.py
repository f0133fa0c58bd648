"""Which flat tables of a package also get a Parquet form, and their Arrow schemas.

A flat table gets its Parquet file by one line in `PARQUET_TABLES`: its key (the name its rows
go by in the build: `Chunk.parts` for per-event tables, the `infos` key for the registries), its
Frictionless table schema and the JSON columns that are lists of strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyarrow as pa

from openstrikes.package.columnar import arrow_schema, is_enum, string_list_columns
from openstrikes.package.flat_rows import MANY
from openstrikes.package.flat_schema import flat_schema
from openstrikes.package.table_schema import (
    actors_schema,
    child_schema,
    events_schema,
    places_layout,
    places_schema,
    tables,
)
from openstrikes.schema_files import actor_schema, event_schema, place_schema


@dataclass(frozen=True)
class ParquetTable:
    """A flat table written as Parquet beside its CSV."""

    key: str  # the table's rows in the build (Chunk.parts / infos)
    resource: str  # its resource name in datapackage.json
    title: str
    table_schema: Callable[[], dict[str, Any]]
    lists: Callable[[], frozenset[str]] = frozenset

    @property
    def path(self) -> str:
        return f"{self.key}.parquet"

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.table_schema()["fields"])


def _event_lists() -> frozenset[str]:
    return string_list_columns(event_schema(), event_schema(), tables().events)


def _child_lists(table: str) -> Callable[[], frozenset[str]]:
    def lists() -> frozenset[str]:
        ev = event_schema()
        out: set[str] = set()
        for prop, _role, layout in tables().children[table]:
            items = ev["properties"][prop]["items"]
            out |= string_list_columns(ev, items, layout)
        return frozenset(out)

    return lists


def _actor_lists() -> frozenset[str]:
    return string_list_columns(actor_schema(), actor_schema(), tables().actors)


def _place_lists() -> frozenset[str]:
    return string_list_columns(place_schema(), place_schema(), places_layout(tables()))


PARQUET_TABLES: tuple[ParquetTable, ...] = (
    ParquetTable("events", "events-parquet", "Events (flat, Parquet)", events_schema, _event_lists),
    ParquetTable(
        "event_sources",
        "event-sources-parquet",
        "Event sources (Parquet)",
        lambda: child_schema("event_sources"),
        _child_lists("event_sources"),
    ),
    ParquetTable(
        "event_actors",
        "event-actors-parquet",
        "Event actors (Parquet)",
        lambda: child_schema("event_actors"),
        _child_lists("event_actors"),
    ),
    ParquetTable(
        "event_claims",
        "event-claims-parquet",
        "Casualty claims (Parquet)",
        lambda: child_schema("event_claims"),
        _child_lists("event_claims"),
    ),
    ParquetTable("actors", "actors-parquet", "Actors (Parquet)", actors_schema, _actor_lists),
    ParquetTable("places", "places-parquet", "Places (Parquet)", places_schema, _place_lists),
    ParquetTable(
        "events_flat",
        "events-flat-parquet",
        "Events (one flat row each, Parquet)",
        flat_schema,
        lambda: frozenset(MANY),
    ),
)
# Not typed from their CSV file alone: the registries (written whole by the build) and events_flat
# (by the Parquet job, from its CSV and a file of its lists). Every other table has one row per
# event or per item of an event and is typed from its CSV file by the Parquet job, events first.
WRITTEN_AFTER = ("actors", "places", "events_flat")
PER_EVENT = tuple(t.key for t in PARQUET_TABLES if t.key not in WRITTEN_AFTER)


def parquet_table(key: str) -> ParquetTable:
    return next(t for t in PARQUET_TABLES if t.key == key)


@cache
def memory_schema(key: str) -> pa.Schema:
    """The Arrow schema of a table's batches (enums as plain strings)."""
    t = parquet_table(key)
    return arrow_schema(t.fields, t.lists(), stored=False)


@cache
def stored_schema(key: str) -> pa.Schema:
    """The Arrow schema of a table's Parquet file (enums dictionary-encoded, descriptions)."""
    t = parquet_table(key)
    return arrow_schema(t.fields, t.lists(), stored=True)


@cache
def column_encodings(key: str) -> dict[str, str]:
    """The columns of a table that get no dictionary, and their encoding: DELTA_BYTE_ARRAY for
    the text of a one-column primary key (rows come in its order: neighbours share a prefix);
    DELTA_LENGTH_BYTE_ARRAY for the `datetime` columns (RFC 3339 text: the lengths apart, the
    characters end to end for zstd; 7 % smaller than DELTA_BYTE_ARRAY on 1M synthetic events);
    PLAIN for the leading column of a compound key (runs of one event's id, which zstd takes
    whole)."""
    table_schema = parquet_table(key).table_schema()
    key_fields = table_schema.get("primaryKey", [])
    key_fields = [key_fields] if isinstance(key_fields, str) else key_fields
    out = {}
    for f in table_schema["fields"]:
        text = f["type"] == "string" and not is_enum(f)
        if f["type"] == "datetime":
            out[f["name"]] = "DELTA_LENGTH_BYTE_ARRAY"
        elif key_fields == [f["name"]] and text:
            out[f["name"]] = "DELTA_BYTE_ARRAY"
        elif len(key_fields) > 1 and f["name"] == key_fields[0] and text:
            out[f["name"]] = "PLAIN"
    return out
