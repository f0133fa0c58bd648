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
    Column,
    Layout,
    Tables,
    child_columns,
    places_layout,
    tables,
)
from openstrikes.problems import pointer_join

Row = list[str]
_MISSING = object()


@dataclass(frozen=True)
class FlatEvent:
    """One event as flat rows: its events.csv row and its rows of each child table."""

    row: Row
    children: dict[str, list[Row]]


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


def flatten_record(record: dict[str, Any], layout: Layout) -> Row:
    """The flat row of a record with no child tables (an actor)."""
    omitted: dict[str, None] = {}
    empties: list[str] = []
    row = _cells(record, _data_columns(layout), "", omitted, empties)
    return _with_meta(row, layout, omitted, empties)


def _with_meta(row: Row, layout: Layout, omitted: dict[str, None], empties: list[str]) -> Row:
    i_omitted, i_empty = _meta_index(id(layout), layout)
    row[i_omitted] = _json_list(omitted) if omitted else "[]"
    row[i_empty] = _json_list(empties) if empties else "[]"
    return row


_META_INDEX: dict[int, tuple[int, int]] = {}
_DATA_COLUMNS: dict[int, list[Column | None]] = {}


def _meta_index(key: int, layout: Layout) -> tuple[int, int]:
    if key not in _META_INDEX:
        names = [c.name for c in layout.columns]
        _META_INDEX[key] = (names.index(OMITTED), names.index(EMPTY))
    return _META_INDEX[key]


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
    layout = t.events
    omitted: dict[str, None] = {}
    empties: list[str] = []
    row = _cells(event, _data_columns(layout), "", omitted, empties)
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
    return FlatEvent(_with_meta(row, layout, omitted, empties), children)


def flatten_actor(actor: dict[str, Any]) -> Row:
    """An actor as its actors.csv row."""
    return flatten_record(actor, tables().actors)


def flatten_place(place: dict[str, Any]) -> Row:
    """A place as its places.csv row."""
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


def read_events(package_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the events of a built package back from events.csv and its child tables."""
    children = {t: _reader(package_dir / f"{t}.csv") for t in tables().children}
    return join_events(_reader(package_dir / "events.csv"), children)


def join_events(
    events: Iterable[dict[str, Any]], children: dict[str, Iterator[dict[str, Any]]]
) -> Iterator[dict[str, Any]]:
    """Events from their flat rows and their child tables' rows, all in event-id order (one
    merge pass; the CSV and the Parquet readers share it)."""
    pending = {t: next(it, None) for t, it in children.items()}
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
        yield unflatten_event(cells, rows_of)


def read_actors(package_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the actors of a built package back from actors.csv."""
    for cells in _reader(package_dir / "actors.csv"):
        yield unflatten_actor(cells)
