"""Actor and place records back from the rows of a release's actors.csv and places.csv, exactly
as the package wrote them.

Mirror: this is the reading half of the server's `flatten.unflatten_record` over the actor layout
that `tableschema` derives from schema/actor.schema.json (and place.schema.json). The client cannot import the server (it
installs on its own, standard library only), so the layout is written out here; a parity test
holds `ACTOR_COLUMNS` and `PLACE_COLUMNS` to the server's layouts and the offline records to the
API's.

Layout: one column per scalar (`external_ids` flattened to `external_ids_<key>`), arrays as JSON.
Two JSON lists make the round trip exact: `omitted_keys` (pointers of optional keys the record
leaves out; their cells are empty) and `empty_strings` (pointers of strings that are "", not
null). An empty cell is null unless its pointer is listed in one of them. Releases from 0.3 keep
them in roundtrip.csv (a row per record that needs them, `table`, `key` first; the registries'
rows before the events'); older releases as the last two columns of actors.csv and places.csv.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from ._errors import IntegrityError

Kind = Literal["string", "integer", "number", "boolean", "json"]
OMITTED = "omitted_keys"
EMPTY = "empty_strings"

# (column, path in the record, kind), in the order of actors.csv.
ACTOR_COLUMNS: tuple[tuple[str, tuple[str, ...], Kind], ...] = (
    ("id", ("id",), "string"),
    ("name", ("name",), "string"),
    ("aliases", ("aliases",), "json"),
    ("kind", ("kind",), "string"),
    ("country", ("country",), "string"),
    ("parent", ("parent",), "string"),
    ("external_ids_acled", ("external_ids", "acled"), "string"),
    ("external_ids_ucdp", ("external_ids", "ucdp"), "string"),
    ("external_ids_wikidata", ("external_ids", "wikidata"), "string"),
    ("description", ("description",), "string"),
    ("sources", ("sources",), "json"),
)
# The same for places.csv (schema 1.1; older releases have no places.csv).
PLACE_COLUMNS: tuple[tuple[str, tuple[str, ...], Kind], ...] = (
    ("slug", ("slug",), "string"),
    ("name", ("name",), "string"),
    ("aliases", ("aliases",), "json"),
    ("country", ("country",), "string"),
    ("water_body", ("water_body",), "string"),
    ("admin1", ("admin1",), "string"),
    ("admin2", ("admin2",), "string"),
    ("latitude", ("latitude",), "number"),
    ("longitude", ("longitude",), "number"),
    ("geo_precision", ("geo_precision",), "string"),
    ("sources", ("sources",), "json"),
    ("external_ids_geonames", ("external_ids", "geonames"), "string"),
    ("external_ids_wikidata", ("external_ids", "wikidata"), "string"),
)


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _decode(cell: str, kind: Kind) -> Any:
    if kind == "json":
        return json.loads(cell)
    if kind == "integer":
        return int(cell)
    if kind == "number":
        return float(cell) if any(ch in cell for ch in ".eEnN") else int(cell)
    if kind == "boolean":
        return cell == "true"
    return cell


def _pointers(row: Mapping[str, str], column: str) -> set[str]:
    listed = json.loads(row.get(column) or "[]")
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise ValueError(f"{column} is not a JSON list of pointers")
    return set(listed)


def _place(record: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = record
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _drop(record: dict[str, Any], pointer: str) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node: Any = record
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict) and parts:
        node.pop(parts[-1], None)


def check_actor_header(header: list[str] | None, where: str) -> None:
    """IntegrityError if actors.csv lacks a column this client reads (columns it does not know,
    from a newer release, are ignored like the fields a newer server adds)."""
    missing = [c for c, _, _ in ACTOR_COLUMNS if c not in (header or ())]
    if missing:
        raise IntegrityError(f"{where}: actors.csv has no column(s) {missing}; is it an OpenStrikes release?")


ROUNDTRIP_TABLES = ("actors", "places", "events")  # the order of roundtrip.csv's rows


def roundtrip_cells(rows: Iterable[Mapping[str, str]], table: str) -> dict[str, dict[str, str]]:
    """The bookkeeping cells of one table's records by key, from the rows of roundtrip.csv (read
    no further than that table's rows)."""
    out: dict[str, dict[str, str]] = {}
    try:
        rank = ROUNDTRIP_TABLES.index(table)
        for row in rows:
            if row["table"] == table:
                out[row["key"]] = {OMITTED: row[OMITTED], EMPTY: row[EMPTY]}
            elif row["table"] not in ROUNDTRIP_TABLES or ROUNDTRIP_TABLES.index(row["table"]) > rank:
                break
    except KeyError as exc:
        raise IntegrityError(f"roundtrip.csv: malformed row, no column {exc}") from exc
    return out


def actor_record(row: Mapping[str, str]) -> dict[str, Any]:
    """The actor record of one actors.csv row (a header -> cell mapping), as the API serves it."""
    return _record(row, ACTOR_COLUMNS, "actors.csv", "id")


def place_record(row: Mapping[str, str]) -> dict[str, Any]:
    """The place record of one places.csv row, as the API serves it."""
    return _record(row, PLACE_COLUMNS, "places.csv", "slug")


def _record(
    row: Mapping[str, str], columns: tuple[tuple[str, tuple[str, ...], Kind], ...], file: str, key: str
) -> dict[str, Any]:
    try:
        empties = _pointers(row, EMPTY)
        omitted = _pointers(row, OMITTED)
        record: dict[str, Any] = {}
        for column, path, kind in columns:
            cell = row[column]
            empty = "" if _pointer(path) in empties else None
            _place(record, path, empty if cell == "" else _decode(cell, kind))
        for pointer in sorted(omitted, key=lambda p: -p.count("/")):
            _drop(record, pointer)
    except (KeyError, ValueError) as exc:
        raise IntegrityError(f"{file}: malformed row {row.get(key, '')!r}: {exc}") from exc
    return record
