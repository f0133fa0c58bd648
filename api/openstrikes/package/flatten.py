"""Records <-> flat CSV rows, losslessly, by the layouts that `tableschema` derives from the schemas.

`flatten_event` turns one event into its `events.csv` row and its `event_sources.csv` and
`event_actors.csv` rows; `unflatten_event` puts them back together into exactly the same record
(keys left out stay left out, "" stays "", integers stay integers). `read_events` streams the
events of a package directory back from its three CSV files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from openstrikes.package.table_schema import (
    EMPTY,
    OMITTED,
    ROUNDTRIP_FILE,
    ROUNDTRIP_TABLES,
    Column,
    Layout,
    Tables,
    child_columns,
    places_layout,
    tables,
)
from openstrikes.problems import pointer_join

Row = list[str]
Meta = dict[str, str]  # {omitted_keys: JSON list, empty_strings: JSON list}, or {} when both are empty
_MISSING = object()


@dataclass(frozen=True)
class FlatEvent:
    """One event as flat rows: its events.csv row, its rows of each child table and what makes
    the round trip exact (its roundtrip.csv cells, {} for most events)."""

    row: Row
    children: dict[str, list[Row]]
    meta: Meta


def event_header(t: Tables | None = None) -> list[str]:
    """The columns of events.csv (of the schemas of `t`, default: the contributor side's)."""
    return [c.name for c in (t or tables()).events.columns]


def child_header(table: str) -> list[str]:
    specs = tables().children[table]
    head = ["event_id"] + (["role"] if len(specs) > 1 else []) + ["index"]
    return head + [c.name for c in child_columns(table)]


def actor_header() -> list[str]:
    return [c.name for c in tables().actors.columns]


def place_header() -> list[str]:
    return [c.name for c in places_layout(tables()).columns]


def _encode(value: Any, kind: str, pointer: str, empties: list[str]) -> str:
    if value is None:
        return ""
    if kind == "json":
        return orjson.dumps(value).decode("utf-8")
    if isinstance(value, str):
        if value == "":
            empties.append(pointer)
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _pointer(path: tuple[str, ...]) -> str:
    return pointer_join(*path)


def _cells(
    record: Any, columns: list[Column | None], base: str, omitted: dict[str, None], empties: list[str]
) -> Row:
    """The cells of `columns` (None: a column this record shape does not have) for one record.
    JSON pointers are only built for the rare absent keys and empty strings."""
    out: Row = []
    append = out.append
    for col in columns:
        if col is None or not col.path:
            append("")
            continue
        path = col.path
        if len(path) == 1:
            node = record.get(path[0], _MISSING)
            if node is _MISSING:
                omitted.setdefault(base + _pointer(path), None)
                append("")
                continue
        else:
            node = record
            for i, key in enumerate(path):
                if node is None:
                    break
                if key not in node:
                    omitted.setdefault(base + _pointer(path[: i + 1]), None)
                    node = None
                    break
                node = node[key]
        if node is None:
            append("")
        elif type(node) is str:
            if not node:
                empties.append(base + _pointer(path))
            append(node if col.kind != "json" else orjson.dumps(node).decode("utf-8"))
        else:
            append(_encode(node, col.kind, "", empties))
    return out


def _json_list(values: list[str] | dict[str, None]) -> str:
    return orjson.dumps(list(values)).decode("utf-8")


def flatten_record(record: dict[str, Any], layout: Layout) -> tuple[Row, Meta]:
    """The flat row of a record with no child tables (an actor, a place) and its bookkeeping."""
    omitted: dict[str, None] = {}
    empties: list[str] = []
    row = _cells(record, _data_columns(layout), "", omitted, empties)
    return row, _meta(omitted, empties)


def _meta(omitted: dict[str, None], empties: list[str]) -> Meta:
    if not omitted and not empties:
        return {}
    return {OMITTED: _json_list(omitted), EMPTY: _json_list(empties)}


def roundtrip_row(table: str, key: str, meta: Meta) -> Row:
    """A row of roundtrip.csv (for a record whose `meta` is not empty)."""
    return [table, key, meta[OMITTED], meta[EMPTY]]


_DATA_COLUMNS: dict[int, list[Column | None]] = {}


def _data_columns(layout: Layout) -> list[Column | None]:
    key = id(layout)
    if key not in _DATA_COLUMNS:
        _DATA_COLUMNS[key] = [c if c.path else None for c in layout.columns]
    return _DATA_COLUMNS[key]


def _role_columns(table: str, t: Tables) -> list[tuple[str, str | None, list[Column | None]]]:
    union = child_columns(table, t)
    out = []
    for prop, role, layout in t.children[table]:
        by_name = {c.name: c for c in layout.columns}
        out.append((prop, role, [by_name.get(c.name) for c in union]))
    return out


_ROLE_CACHE: dict[tuple[int, str], list[tuple[str, str | None, list[Column | None]]]] = {}


def _roles(table: str, t: Tables) -> list[tuple[str, str | None, list[Column | None]]]:
    key = (id(t.events), table)  # layouts live as long as the process: their ids are stable
    if key not in _ROLE_CACHE:
        _ROLE_CACHE[key] = _role_columns(table, t)
    return _ROLE_CACHE[key]


def flatten_event(event: dict[str, Any], t: Tables | None = None) -> FlatEvent:
    """An event as its events.csv row and its child-table rows (by the layouts of `t`, default:
    the contributor side's schemas)."""
    t = t or tables()
    omitted: dict[str, None] = {}
    empties: list[str] = []
    row = _cells(event, _data_columns(t.events), "", omitted, empties)
    event_id = str(event["id"])
    children: dict[str, list[Row]] = {}
    for table in t.children:
        rows: list[Row] = []
        for prop, role, cols in _roles(table, t):
            if prop not in event:
                omitted.setdefault(pointer_join(prop), None)
                continue
            prefix = "/" + prop + "/"
            for index, item in enumerate(event[prop] or []):
                head = [event_id, role, str(index)] if role else [event_id, str(index)]
                rows.append(head + _cells(item, cols, prefix + str(index), omitted, empties))
        children[table] = rows
    return FlatEvent(row, children, _meta(omitted, empties))


def flatten_actor(actor: dict[str, Any]) -> tuple[Row, Meta]:
    """An actor as its actors.csv row and its bookkeeping."""
    return flatten_record(actor, tables().actors)


def flatten_place(place: dict[str, Any]) -> tuple[Row, Meta]:
    """A place as its places.csv row and its bookkeeping."""
    return flatten_record(place, places_layout(tables()))


# --- back from rows -------------------------------------------------------------------------


def _decode(cell: str, kind: str) -> Any:
    if cell == "":
        return None
    if kind == "json":
        return orjson.loads(cell)
    if kind == "integer":
        return int(cell)
    if kind == "number":
        return float(cell) if any(ch in cell for ch in ".eEnN") else int(cell)
    if kind == "boolean":
        return cell == "true"
    return cell


def _set(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for key in path[:-1]:
        nxt = node.get(key)
        if not isinstance(nxt, dict):
            nxt = node[key] = {}
        node = nxt
    node[path[-1]] = value


def _get(target: Any, path: tuple[str, ...]) -> Any:
    node = target
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _build(cells: dict[str, str], layout: Layout, base: str, empties: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col in layout.columns:
        if not col.path:
            continue
        cell = cells.get(col.name, "")
        pointer = base + pointer_join(*col.path)
        _set(out, col.path, "" if cell == "" and pointer in empties else _decode(cell, col.kind))
    for nobj in sorted(layout.nullable_objects, key=lambda n: -len(n.path)):
        presence = cells.get(nobj.presence, "")
        presence_col = next(c for c in layout.columns if c.name == nobj.presence)
        if presence == "" and base + pointer_join(*presence_col.path) not in empties:
            _set(out, nobj.path, None)
    return out


def _remove(record: dict[str, Any], omitted: list[str]) -> None:
    for pointer in sorted(omitted, key=lambda p: -p.count("/")):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
        node: Any = record
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
            elif isinstance(node, dict):
                node = node.get(part)
            else:
                node = None
        if isinstance(node, dict):
            node.pop(parts[-1], None)


def unflatten_record(cells: dict[str, str], layout: Layout) -> dict[str, Any]:
    """A record with no child tables (an actor) back from its row (a header -> cell mapping)."""
    empties = set(orjson.loads(cells.get(EMPTY) or "[]"))
    record = _build(cells, layout, "", empties)
    _remove(record, orjson.loads(cells.get(OMITTED) or "[]"))
    return record


def unflatten_event(cells: dict[str, str], children: dict[str, list[dict[str, str]]]) -> dict[str, Any]:
    """An event back from its events.csv row and its child-table rows (header -> cell mappings)."""
    layout = tables().events
    empties = set(orjson.loads(cells.get(EMPTY) or "[]"))
    record = _build(cells, layout, "", empties)
    for table, specs in tables().children.items():
        rows = children.get(table, [])
        for prop, role, item_layout in specs:
            mine = [r for r in rows if role is None or r.get("role") == role]
            mine.sort(key=lambda r: int(r["index"]))
            record[prop] = [
                _build(r, item_layout, pointer_join(prop, int(r["index"])), empties) for r in mine
            ]
    _remove(record, orjson.loads(cells.get(OMITTED) or "[]"))
    return record


# Mirror: openstrikes_client._local.actor_from_row reads actors.csv offline (the client imports
# nothing of the server); both read the columns this module writes.
def unflatten_actor(cells: dict[str, str], t: Tables | None = None) -> dict[str, Any]:
    """An actor back from its actors.csv row (by the layouts of `t`, default: the contributor
    side's schemas)."""
    return unflatten_record(cells, (t or tables()).actors)


def unflatten_place(cells: dict[str, str], t: Tables | None = None) -> dict[str, Any]:
    """A place back from its places.csv row (by the layouts of `t`, default: the contributor
    side's schemas)."""
    return unflatten_record(cells, places_layout(t or tables()))


def _reader(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def roundtrip_rows(package_dir: Path, table: str) -> Iterator[dict[str, str]]:
    """The roundtrip.csv rows of one table, in key order (none for a package built before the
    file, whose tables carry the two columns themselves)."""
    path = package_dir / ROUNDTRIP_FILE
    if path.is_file():
        yield from table_rows(_reader(path), table)


def table_rows(rows: Iterable[dict[str, str]], table: str) -> Iterator[dict[str, str]]:
    """The rows of one table from roundtrip.csv's rows, read no further than its tables' order
    requires (the registries' rows come before the events')."""
    rank = ROUNDTRIP_TABLES.index(table)
    for row in rows:
        if row["table"] == table:
            yield row
        elif ROUNDTRIP_TABLES.index(row["table"]) > rank:
            return


def read_events(package_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the events of a built package back from events.csv and its child tables."""
    children = {t: _reader(package_dir / f"{t}.csv") for t in tables().children}
    return join_events(_reader(package_dir / "events.csv"), children, roundtrip_rows(package_dir, "events"))


def join_events(
    events: Iterable[dict[str, Any]],
    children: dict[str, Iterator[dict[str, Any]]],
    meta: Iterator[dict[str, str]] | None = None,
) -> Iterator[dict[str, Any]]:
    """Events from their flat rows, their child tables' rows and their roundtrip.csv rows, all
    in event-id order (one merge pass; the CSV and the Parquet readers share it)."""
    pending = {t: next(it, None) for t, it in children.items()}
    meta = meta if meta is not None else iter(())
    extra = next(meta, None)
    for cells in events:
        event_id = cells["id"]
        rows_of: dict[str, list[dict[str, Any]]] = {}
        for table, it in children.items():
            rows = []
            row = pending[table]
            while row is not None and row["event_id"] == event_id:
                rows.append(row)
                row = next(it, None)
            pending[table] = row
            rows_of[table] = rows
        if extra is not None and extra["key"] == event_id:
            cells = {**cells, OMITTED: extra[OMITTED], EMPTY: extra[EMPTY]}
            extra = next(meta, None)
        yield unflatten_event(cells, rows_of)


def with_meta(
    rows: Iterable[dict[str, str]], meta: Iterable[dict[str, str]], key: str
) -> Iterator[dict[str, str]]:
    """Registry rows (actors by id, places by slug) completed by their roundtrip.csv rows."""
    by_key = {m["key"]: m for m in meta}
    for row in rows:
        extra = by_key.get(row[key])
        yield {**row, OMITTED: extra[OMITTED], EMPTY: extra[EMPTY]} if extra else row


def read_actors(package_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the actors of a built package back from actors.csv."""
    rows = with_meta(_reader(package_dir / "actors.csv"), roundtrip_rows(package_dir, "actors"), "id")
    for cells in rows:
        yield unflatten_actor(cells)
