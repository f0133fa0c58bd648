"""Flat table rows -> typed Arrow record batches, by the table's Frictionless schema.

Generic over the package's flat tables: a table's Arrow schema is derived from the fields of its
table schema (itself derived from the JSON Schema), and its batches from the very CSV cells the
package writes, so the Parquet form holds the same values as the CSV, typed:

- `date` -> date32; `integer` -> int64; `number` -> float64; `boolean` -> bool;
- a string with an `enum` constraint -> dictionary<int32, string> (done per row group by the
  writer, so the bytes do not depend on how the rows were batched);
- `array` of strings in the JSON Schema -> list<string>; other arrays (of objects) -> their JSON text;
- `datetime` -> the RFC 3339 text as written (an offset such as +03:00 is part of the record; a
  timestamp would drop it);
- an empty cell -> null; roundtrip.csv tells "" and left-out keys apart from null, for the
  Parquet files as for the CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from openstrikes.package.table_schema import Layout, _variants
from openstrikes.schema_files import resolve_ref

STRING_LIST = pa.list_(pa.string())


def string_list_columns(schema: dict[str, Any], node: dict[str, Any], layout: Layout) -> frozenset[str]:
    """The JSON columns of `layout` (a layout of the object schema `node`) that hold arrays of
    strings (list columns in Parquet)."""
    out = set()
    for col in layout.columns:
        if col.kind != "json":
            continue
        cur: dict[str, Any] | None = resolve_ref(schema, node)
        for key in col.path:
            if cur is None:
                break
            prop = cur.get("properties", {}).get(key)
            if prop is None:
                cur = None
                break
            _nullable, variants = _variants(schema, prop)
            cur = resolve_ref(schema, variants[0]) if len(variants) == 1 else None
        if cur is not None and cur.get("type") == "array":
            _n, items = _variants(schema, cur.get("items", {}))
            if len(items) == 1 and resolve_ref(schema, items[0]).get("type") == "string":
                out.add(col.name)
    return frozenset(out)


def arrow_type(fdesc: dict[str, Any], lists: frozenset[str]) -> pa.DataType:
    """The Arrow type of a Frictionless field as stored in memory (enums still plain strings)."""
    ftype = fdesc["type"]
    if ftype == "date":
        return pa.date32()
    if ftype == "integer":
        return pa.int64()
    if ftype == "number":
        return pa.float64()
    if ftype == "boolean":
        return pa.bool_()
    if fdesc["name"] in lists:  # a JSON array of strings, or a many-valued column of events_flat
        return STRING_LIST
    return pa.string()


def is_enum(fdesc: dict[str, Any]) -> bool:
    return fdesc["type"] == "string" and "enum" in fdesc.get("constraints", {})


# The pandas dtype a column gets from pd.read_parquet (through the file's `pandas` metadata):
# counts stay integers with nulls (Int64, not float64), dates dates; others pandas' default
# (enums categorical from the dictionary, text str, lists object).
_PANDAS_DTYPES = {pa.int64(): "Int64", pa.bool_(): "boolean", pa.date32(): "date32[day][pyarrow]"}


def pandas_metadata(schema: pa.Schema) -> bytes:
    """The `pandas` key-value metadata of a stored schema (fixed text: no version, no clock)."""
    columns = [
        {
            "name": f.name,
            "field_name": f.name,
            "pandas_type": "object",
            "numpy_type": _PANDAS_DTYPES.get(f.type, "object"),
            "metadata": None,
        }
        for f in schema
        if f.type in _PANDAS_DTYPES
    ]
    meta = {
        "index_columns": [],
        "column_indexes": [],
        "columns": columns,
        "creator": {"library": "openstrikes"},
    }
    return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS)


def arrow_schema(fields: Sequence[dict[str, Any]], lists: frozenset[str], *, stored: bool) -> pa.Schema:
    """The Arrow schema of a table; `stored`: as written to Parquet (enums dictionary-encoded),
    with each field's description, `required` fields not nullable, and the `pandas` metadata."""
    out = []
    for fdesc in fields:
        typ = arrow_type(fdesc, lists)
        if stored and is_enum(fdesc):
            typ = pa.dictionary(pa.int32(), pa.string())
        required = bool(fdesc.get("constraints", {}).get("required"))
        meta = {"description": fdesc["description"]} if stored and fdesc.get("description") else None
        out.append(pa.field(fdesc["name"], typ, nullable=not required, metadata=meta))
    schema = pa.schema(out)
    return schema.with_metadata({b"pandas": pandas_metadata(schema)}) if stored else schema


def column(cells: Sequence[str], typ: pa.DataType) -> pa.Array:
    if typ == STRING_LIST:
        return pa.array([orjson.loads(c) if c else None for c in cells], STRING_LIST)
    text = pa.array([c if c else None for c in cells], pa.string())
    return text if typ == pa.string() else pc.cast(text, typ)


def record_batch(rows: Iterable[Sequence[str]], schema: pa.Schema) -> pa.RecordBatch:
    """A batch of `schema` (the in-memory form: `stored=False`) from rows of CSV cells."""
    rows = list(rows)
    if not rows:
        return pa.RecordBatch.from_pylist([], schema=schema)
    columns = list(zip(*rows, strict=True))
    return pa.RecordBatch.from_arrays(
        [column(col, f.type) for col, f in zip(columns, schema, strict=True)], schema=schema
    )


def to_stored(table: pa.Table, stored: pa.Schema) -> pa.Table:
    """One contiguous table of the stored schema: enums dictionary-encoded in first-seen order."""
    table = table.combine_chunks()
    arrays = []
    for col, field in zip(table.columns, stored, strict=True):
        arr = col.chunk(0) if col.num_chunks else pa.array([], col.type)
        if pa.types.is_dictionary(field.type):
            arr = pc.dictionary_encode(arr)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=stored)
