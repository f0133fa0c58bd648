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

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from openstrikes.package.table_schema import Layout, _variants
from openstrikes.schema_files import resolve_ref

STRING_LIST = pa.list_(pa.string())
# Arrow memory of the build's Parquet work: the system allocator hands freed memory back, where
# pyarrow's default (mimalloc) kept ~35 MiB more resident in a build's main process (measured at
# 100k events, build3 note). Passed explicitly: the host process's default pool is left alone.
POOL = pa.system_memory_pool()


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


def _convert_options(types: dict[str, pa.DataType]) -> pacsv.ConvertOptions:
    """Arrow CSV conversion of the columns `types` names, as the package writes them: an empty
    cell is null, booleans are `true`/`false`."""
    return pacsv.ConvertOptions(
        column_types=types,
        include_columns=list(types),
        null_values=[""],
        true_values=["true"],
        false_values=["false"],
        strings_can_be_null=True,
        quoted_strings_can_be_null=True,
    )


CSV_BLOCK = 256 << 10  # bytes of CSV parsed at a time by `csv_batches` (see there)
LIST_ROWS = 4096  # rows whose list cells `csv_batches` parses at once (see there)


def csv_batches(
    path: Path, schema: pa.Schema, lists: Iterator[pa.RecordBatch] | None = None
) -> Iterator[pa.RecordBatch]:
    """The rows of one of the package's CSV files as batches of `schema` (the in-memory form),
    streamed: the header must name the schema's columns. The list columns come from `lists`
    (batches of them, row for row), else from the CSV's cells (JSON text), parsed by Arrow's JSON
    reader, in C++ like the rest, LIST_ROWS rows at a time. The CSV is read in small blocks:
    Arrow's streaming reader reads a fixed number of blocks ahead (reading 1M events, 4 MiB blocks
    held ~220 MiB, 256 KiB blocks ~105 MiB). Writing the events' Parquet files at 1M, lists parsed
    per block of CSV (~500 rows) / 4096 rows / 16,384 rows: 22.1 s, 216 MiB / 14.8 s, 267 MiB /
    14.9 s, 324 MiB."""
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh), [])
    if header != schema.names:
        raise ValueError(f"{path.name}: the header is not the table's columns ({schema.names})")
    types = {
        f.name: pa.string() if f.type == STRING_LIST else f.type
        for f in schema
        if lists is None or f.type != STRING_LIST
    }
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=schema.names, skip_rows=1, use_threads=False, block_size=CSV_BLOCK
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=_convert_options(types),
        memory_pool=POOL,
    )
    given = _Rows(lists) if lists is not None else None
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in reader:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= LIST_ROWS:
            yield _with_lists(pending, schema, given)
            pending, rows = [], 0
    if pending:
        yield _with_lists(pending, schema, given)
    if given is not None and given.more():
        raise ValueError(f"{path.name}: more rows of lists than rows")


def json_batches(path: Path, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """The JSON lines of `path` (one object of `schema`'s fields each) as batches, streamed."""
    if path.stat().st_size == 0:
        return
    yield from pajson.open_json(
        path,
        read_options=pajson.ReadOptions(use_threads=False, block_size=CSV_BLOCK),
        parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
        memory_pool=POOL,
    )


class _Rows:
    """Batches taken `n` rows at a time, whatever their own lengths."""

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self.batches = batches
        self.pending: list[pa.RecordBatch] = []
        self.rows = 0

    def take(self, n: int) -> pa.Table:
        while self.rows < n:
            batch = next(self.batches, None)
            if batch is None:
                raise ValueError(f"{n - self.rows} rows have no lists")
            self.pending.append(batch)
            self.rows += batch.num_rows
        table = pa.Table.from_batches(self.pending)
        self.pending = table.slice(n).to_batches()
        self.rows -= n
        return table.slice(0, n)

    def more(self) -> bool:
        return self.rows > 0 or any(b.num_rows for b in self.batches)


def _with_lists(raw: list[pa.RecordBatch], schema: pa.Schema, given: _Rows | None) -> pa.RecordBatch:
    """One batch of `schema` from CSV batches (list columns JSON text, or left out for `given`)."""
    table = pa.Table.from_batches(raw)
    lists = given.take(table.num_rows) if given is not None else None
    arrays = []
    for field in schema:
        if field.type != STRING_LIST:
            arrays.append(table.column(field.name).combine_chunks(POOL))
        elif lists is not None:
            arrays.append(lists.column(field.name).combine_chunks(POOL))
        else:
            arrays.append(_json_lists(table.column(field.name).combine_chunks(POOL), field))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _json_lists(cells: pa.Array, field: pa.Field) -> pa.Array:
    """A list<string> column from its JSON text cells (null: null), parsed by Arrow's JSON reader:
    the cells wrapped into JSON lines `{"name":<cell>}` by a compute kernel, not in Python."""
    key = _text_scalar("{" + orjson.dumps(field.name).decode("utf-8") + ":")
    lines = pc.binary_join_element_wise(
        key,
        cells,
        _text_scalar("}\n"),
        _text_scalar(""),
        null_handling="replace",
        null_replacement="null",
        memory_pool=POOL,
    )
    ends = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=lines.offset + len(lines) + 1)[
        lines.offset :
    ]
    text = lines.buffers()[2].slice(int(ends[0]), int(ends[-1] - ends[0]))
    table = pajson.read_json(
        pa.BufferReader(text),
        memory_pool=POOL,
        read_options=pajson.ReadOptions(use_threads=False, block_size=max(len(text), 1) + 1),
        parse_options=pajson.ParseOptions(
            explicit_schema=pa.schema([field]), unexpected_field_behavior="error"
        ),
    )
    if table.num_rows != len(cells):
        raise ValueError(f"{field.name}: {len(cells)} cells, {table.num_rows} lists read")
    return table.column(0).combine_chunks(POOL)


def _text_scalar(text: str) -> pa.Scalar:
    """A string scalar made from buffers (`pa.scalar` of a Python str would import pandas)."""
    data = text.encode("utf-8")
    ends = np.array([0, len(data)], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(ends), pa.py_buffer(data)])[0]


def record_batch(rows: Sequence[Sequence[str]], schema: pa.Schema) -> pa.RecordBatch:
    """A batch of `schema` (the in-memory form: `stored=False`) from rows of CSV cells (a
    registry's rows; the other tables are read from their files by `csv_batches`), typed as
    `csv_batches` types them: never `pa.array` of Python objects, whose first call imports pandas
    into the process (0.7 s and tens of MiB)."""
    if not rows:
        return pa.RecordBatch.from_arrays([pa.nulls(0, f.type) for f in schema], schema=schema)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    text = buf.getvalue().encode("utf-8")
    typed = pacsv.read_csv(
        io.BytesIO(text),
        read_options=pacsv.ReadOptions(
            column_names=schema.names, use_threads=False, block_size=len(text) + 1
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=_convert_options(
            {f.name: pa.string() if f.type == STRING_LIST else f.type for f in schema}
        ),
        memory_pool=POOL,
    )
    if typed.num_rows != len(rows):
        raise ValueError(f"{len(rows)} rows were written, {typed.num_rows} read back")
    return _with_lists(typed.to_batches(), schema, None)


def to_stored(table: pa.Table, stored: pa.Schema) -> pa.Table:
    """One contiguous table of the stored schema: enums dictionary-encoded in first-seen order."""
    table = table.combine_chunks(POOL)
    arrays = []
    for col, field in zip(table.columns, stored, strict=True):
        arr = col.chunk(0) if col.num_chunks else pa.nulls(0, col.type)
        if pa.types.is_dictionary(field.type):
            arr = pc.dictionary_encode(arr, memory_pool=POOL)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=stored)
