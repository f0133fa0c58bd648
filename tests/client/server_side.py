"""Everything the client tests take from the server, imported in this one place (module names
change when the server is reorganised; only this file follows them)."""

from __future__ import annotations

from openstrikes.index.build import DDL
from openstrikes.index.filters import FILTERS, GROUP_KEYS, SORT_OPTIONS, Filter
from openstrikes.index.params import EVENT_SORTS, GEO_FALLBACK_PARAM
from openstrikes.index.text import search_text, search_words
from openstrikes.index.values import ValueType, enum_type
from openstrikes.package.archive import write_zip
from openstrikes.package.build import build_package
from openstrikes.package.flat_rows import FLAT_COLUMNS
from openstrikes.package.flatten import actor_header, flatten_actor, roundtrip_row
from openstrikes.package.table_schema import (
    EMPTY,
    OMITTED,
    ROUNDTRIP_COLUMNS,
    ROUNDTRIP_TABLES,
    places_layout,
    tables,
)
from openstrikes.schema_files import event_schema
from openstrikes.toolchain.records import canonical
from openstrikes.web import create_app


def filter_type(f: Filter) -> ValueType:
    """The value type of a filter for the current event schema (enumerated fields take theirs from it)."""
    return f.type if f.type is not None else enum_type(event_schema(), f.field)


__all__ = [
    "DDL",
    "EMPTY",
    "EVENT_SORTS",
    "FILTERS",
    "FLAT_COLUMNS",
    "GEO_FALLBACK_PARAM",
    "GROUP_KEYS",
    "OMITTED",
    "ROUNDTRIP_COLUMNS",
    "ROUNDTRIP_TABLES",
    "SORT_OPTIONS",
    "Filter",
    "actor_header",
    "build_package",
    "canonical",
    "create_app",
    "filter_type",
    "flatten_actor",
    "places_layout",
    "roundtrip_row",
    "search_text",
    "search_words",
    "tables",
    "write_zip",
]
