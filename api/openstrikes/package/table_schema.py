"""Frictionless table schemas and flat column layouts, generated from the JSON Schemas.

`schema/event.schema.json` and `schema/actor.schema.json` are the single source of truth: every
column of `events.csv`, `event_sources.csv`, `event_actors.csv` and `actors.csv` (its name, type,
constraints and description) is derived here by walking them. Nothing is typed twice.

Flattening rules (applied to any object schema):
- a scalar property (string, number, integer, boolean, enum; nullable or not) is one column;
- an object property is flattened into `<name>_<child>` columns; a nullable object is null when
  its first required non-nullable child (its *presence column*) is empty;
- an array (of scalars, or of objects not given a table of their own) is one JSON column
  (Frictionless type `array`);
- the arrays of objects named in `CHILD_TABLES` get a table of their own, one row per item,
  keyed by `(event_id, [role,] index)`.
What makes the round trip exact is kept out of the tables users read: `roundtrip.csv` (a
technical file) lists, per record that needs it, `omitted_keys` (JSON pointers of optional keys
the record leaves out) and `empty_strings` (pointers of strings that are "" rather than null).
Releases built before it carry the two as the last columns of events.csv, actors.csv and
places.csv; the readers take them from either place.

Slightly over 400 lines: one derivation (JSON Schema -> table layouts), kept in one place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import orjson

from openstrikes.schema_files import actor_schema, event_schema, place_schema, resolve_ref

TABLESCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"

Kind = Literal["string", "integer", "number", "boolean", "json"]

# Arrays of objects that get a table of their own: table -> [(event property, role or None)].
CHILD_TABLES: dict[str, list[tuple[str, str | None]]] = {
    "event_sources": [("sources", None)],
    "event_actors": [("attackers", "attacker"), ("targets", "target")],
    "event_claims": [("casualty_claims", None)],
}
OMITTED = "omitted_keys"
EMPTY = "empty_strings"


class SchemaShapeError(ValueError):
    """The JSON Schema uses a construct the flattener cannot map to columns."""


@dataclass(frozen=True)
class Column:
    """One CSV column: where its value sits in the record and how it is typed."""

    name: str
    path: tuple[str, ...]
    kind: Kind
    field: dict[str, Any]
    references: str | None = None  # "<resource>.<field>" from the schema's x-references


@dataclass(frozen=True)
class NullableObject:
    """A nullable object flattened into columns: null when its presence column is empty."""

    path: tuple[str, ...]
    presence: str


@dataclass
class Layout:
    """The columns of one record shape (a whole record, or one item of a child array)."""

    columns: list[Column] = field(default_factory=list)
    nullable_objects: list[NullableObject] = field(default_factory=list)


def _variants(schema: dict[str, Any], node: dict[str, Any]) -> tuple[bool, list[dict[str, Any]]]:
    """(nullable, the non-null variants) of a property schema."""
    node = resolve_ref(schema, node)
    alts = node.get("oneOf") or node.get("anyOf")
    if alts:
        nullable = False
        out: list[dict[str, Any]] = []
        for alt in alts:
            sub_nullable, subs = _variants(schema, alt)
            nullable = nullable or sub_nullable
            out.extend(subs)
        return nullable, out
    types = node.get("type")
    if isinstance(types, list):
        nullable = "null" in types
        rest = [t for t in types if t != "null"]
        if len(rest) != 1:
            raise SchemaShapeError(f"a column needs one type, not {types}")
        return nullable, [{**node, "type": rest[0]}]
    if types == "null":
        return True, []
    if "enum" in node:
        values = node["enum"]
        nullable = None in values
        return nullable, [{**node, "enum": [v for v in values if v is not None]}]
    return False, [node]


def _scalar_field(
    name: str, node: dict[str, Any], required: bool, description: str | None
) -> tuple[Kind, dict[str, Any]]:
    constraints: dict[str, Any] = {}
    kind: Kind
    if "enum" in node:
        values = node["enum"]
        if all(isinstance(v, str) for v in values):
            ftype, kind = "string", "string"
        elif all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            ftype, kind = "integer", "integer"
        else:
            raise SchemaShapeError(f"{name}: enum of mixed types")
        constraints["enum"] = list(values)
    else:
        jtype = node.get("type")
        if jtype == "string":
            fmt = node.get("format")
            ftype = {"date": "date", "date-time": "datetime"}.get(fmt or "", "string")
            kind = "string"
            if "pattern" in node:
                constraints["pattern"] = node["pattern"]
            if "minLength" in node:
                constraints["minLength"] = node["minLength"]
            if "maxLength" in node:
                constraints["maxLength"] = node["maxLength"]
        elif jtype in ("integer", "number", "boolean"):
            ftype = jtype
            kind = "integer" if jtype == "integer" else "number" if jtype == "number" else "boolean"
            if "minimum" in node:
                constraints["minimum"] = node["minimum"]
            if "maximum" in node:
                constraints["maximum"] = node["maximum"]
        else:
            raise SchemaShapeError(f"{name}: unsupported type {jtype!r}")
    if required:
        constraints["required"] = True
    out: dict[str, Any] = {"name": name, "type": ftype}
    if description:
        out["description"] = description
    if constraints:
        out["constraints"] = constraints
    return kind, out


def _json_field(name: str, jtype: str, required: bool, description: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "type": jtype}
    desc = (description + " " if description else "") + f"(JSON {jtype})"
    out["description"] = desc
    if required:
        out["constraints"] = {"required": True}
    return out


def _description(schema: dict[str, Any], node: dict[str, Any]) -> str | None:
    desc = node.get("description")
    if desc is None and "$ref" in node:
        desc = resolve_ref(schema, node).get("description")
    return desc


def build_layout(
    schema: dict[str, Any],
    node: dict[str, Any],
    *,
    skip: frozenset[str] = frozenset(),
    prefix: str = "",
    path: tuple[str, ...] = (),
    required: bool = True,
    layout: Layout | None = None,
) -> Layout:
    """Derive the columns of an object schema, recursively, in property order."""
    layout = layout if layout is not None else Layout()
    node = resolve_ref(schema, node)
    props: dict[str, Any] = node.get("properties", {})
    req = set(node.get("required", []))
    for key, sub in props.items():
        if not path and key in skip:
            continue
        name = f"{prefix}{key}"
        description = _description(schema, sub)
        nullable, variants = _variants(schema, sub)
        if len(variants) != 1:
            raise SchemaShapeError(f"{name}: a column needs exactly one non-null shape")
        variant = variants[0]
        is_required = required and key in req and not nullable
        sub_path = (*path, key)
        if "properties" in variant and variant.get("type", "object") == "object":
            if nullable:
                presence = _presence(schema, variant, name)
                layout.nullable_objects.append(NullableObject(sub_path, presence))
            build_layout(
                schema, variant, prefix=f"{name}_", path=sub_path, required=is_required, layout=layout
            )
        elif variant.get("type") in ("array", "object"):
            layout.columns.append(
                Column(name, sub_path, "json", _json_field(name, variant["type"], is_required, description))
            )
        else:
            kind, fdesc = _scalar_field(name, variant, is_required, description)
            layout.columns.append(Column(name, sub_path, kind, fdesc, variant.get("x-references")))
    return layout


def _presence(schema: dict[str, Any], node: dict[str, Any], name: str) -> str:
    for key in node.get("required", []):
        nullable, variants = _variants(schema, node["properties"][key])
        if not nullable and len(variants) == 1 and variants[0].get("type") not in ("object", "array"):
            return f"{name}_{key}"
    raise SchemaShapeError(f"{name}: a nullable object needs a required non-nullable scalar property")


@dataclass
class Tables:
    """Column layouts of every table of the package."""

    events: Layout
    children: dict[str, list[tuple[str, str | None, Layout]]]  # table -> [(property, role, item layout)]
    actors: Layout
    places: Layout | None = None  # releases before schema 1.1 have no places registry


@cache
def tables() -> Tables:
    """The layouts of the schemas the contributor side works with (cached per process)."""
    return tables_for(event_schema(), actor_schema(), place_schema())


_TABLES: dict[str, Tables] = {}


def tables_for(ev: dict[str, Any], ac: dict[str, Any], pl: dict[str, Any] | None = None) -> Tables:
    """The layouts of the event, actor and (from schema 1.1) place schemas, e.g. those bundled
    in a release (one Tables per distinct set, kept for the process)."""
    key = hashlib.sha256(orjson.dumps([ev, ac, pl], option=orjson.OPT_SORT_KEYS)).hexdigest()
    if key not in _TABLES:
        _TABLES[key] = _derive(ev, ac, pl)
    return _TABLES[key]


def _derive(ev: dict[str, Any], ac: dict[str, Any], pl: dict[str, Any] | None) -> Tables:
    skip = frozenset(prop for specs in CHILD_TABLES.values() for prop, _ in specs)
    events = build_layout(ev, ev, skip=skip)
    children: dict[str, list[tuple[str, str | None, Layout]]] = {}
    for table, specs in CHILD_TABLES.items():
        children[table] = []
        for prop, role in specs:
            nullable, variants = _variants(ev, ev["properties"][prop])
            items = resolve_ref(ev, variants[0]).get("items")
            if nullable or not isinstance(items, dict):
                raise SchemaShapeError(f"{prop}: a child table needs a non-null array of objects")
            item_layout = build_layout(ev, items)
            children[table].append((prop, role, item_layout))
    actors = build_layout(ac, ac)
    places = build_layout(pl, pl) if pl is not None else None
    return Tables(events, children, actors, places)


def child_columns(table: str, t: Tables | None = None) -> list[Column]:
    """The data columns of a child table: the union of its item layouts, in first-seen order."""
    t = t or tables()
    seen: dict[str, Column] = {}
    for _prop, _role, layout in t.children[table]:
        for col in layout.columns:
            if col.name in seen:
                merged = _merge_fields(seen[col.name], col)
                seen[col.name] = merged
            else:
                seen[col.name] = col
    roles = t.children[table]
    if len(roles) > 1:
        # A column missing from some role's items is empty in those rows: never required.
        for name, col in list(seen.items()):
            if not all(any(c.name == name for c in lay.columns) for _p, _r, lay in roles):
                seen[name] = _not_required(col)
    return list(seen.values())


def _not_required(col: Column) -> Column:
    fdesc = dict(col.field)
    constraints = dict(fdesc.get("constraints", {}))
    constraints.pop("required", None)
    if constraints:
        fdesc["constraints"] = constraints
    else:
        fdesc.pop("constraints", None)
    return Column(col.name, col.path, col.kind, fdesc, col.references)


def _merge_fields(a: Column, b: Column) -> Column:
    if a.kind != b.kind or a.field["type"] != b.field["type"]:
        raise SchemaShapeError(f"column {a.name} has different types in different roles")
    ca, cb = a.field.get("constraints", {}), b.field.get("constraints", {})
    merged: dict[str, Any] = {}
    for key in ca.keys() & cb.keys():
        if ca[key] == cb[key]:
            merged[key] = ca[key]
        elif key == "enum":
            merged[key] = list(dict.fromkeys([*ca[key], *cb[key]]))
    fdesc = {k: v for k, v in a.field.items() if k != "constraints"}
    if merged:
        fdesc["constraints"] = merged
    return Column(a.name, a.path, a.kind, fdesc, a.references or b.references)


def _key_field(name: str, description: str, ftype: str = "string", **constraints: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": ftype,
        "description": description,
        "constraints": {"required": True, **constraints},
    }


def _event_id_field() -> dict[str, Any]:
    ev = event_schema()
    pattern = ev["$defs"]["event_id"]["pattern"]
    return _key_field("event_id", "Id of the event (events.id).", pattern=pattern)


def events_schema() -> dict[str, Any]:
    """Table schema of events.csv: one row per event."""
    fields = [c.field for c in tables().events.columns]
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": ["id"],
        "foreignKeys": foreign_keys(tables().events.columns),
    }


def child_schema(table: str) -> dict[str, Any]:
    """Table schema of a child table (event_sources, event_actors)."""
    specs = tables().children[table]
    fields: list[dict[str, Any]] = [_event_id_field()]
    key = ["event_id"]
    if len(specs) > 1:
        roles = [role for _p, role, _l in specs]
        fields.append(
            _key_field(
                "role",
                "Which list of the event the row comes from: "
                + ", ".join(f"{role} ({prop})" for prop, role, _l in specs)
                + ".",
                enum=roles,
            )
        )
        key.append("role")
    fields.append(
        _key_field(
            "index", "Position of the item in its list (0-based, as in JSON pointers).", "integer", minimum=0
        )
    )
    key.append("index")
    cols = child_columns(table)
    fields.extend(c.field for c in cols)
    fks: list[dict[str, Any]] = [
        {"fields": ["event_id"], "reference": {"resource": "events", "fields": ["id"]}},
        *foreign_keys(cols),
    ]
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": fields,
        "missingValues": [""],
        "primaryKey": key,
        "foreignKeys": fks,
    }


def actors_schema() -> dict[str, Any]:
    """Table schema of actors.csv: one row per actor of the registry."""
    cols = tables().actors.columns
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": [c.field for c in cols],
        "missingValues": [""],
        "primaryKey": ["id"],
        "foreignKeys": foreign_keys(cols),
    }


def places_schema() -> dict[str, Any]:
    """Table schema of places.csv: one row per place of the registry."""
    cols = places_layout(tables()).columns
    out: dict[str, Any] = {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": [c.field for c in cols],
        "missingValues": [""],
        "primaryKey": ["slug"],
    }
    fks = foreign_keys(cols)
    if fks:  # the profile wants no empty list
        out["foreignKeys"] = fks
    return out


def places_layout(t: Tables) -> Layout:
    """The places table of layouts that have one (the contributor side's always do)."""
    if t.places is None:
        raise SchemaShapeError("these schemas have no places registry (schema 1.1 added it)")
    return t.places


def foreign_keys(columns: list[Column]) -> list[dict[str, Any]]:
    """The foreign keys of a table: one per column whose schema node names the record it
    refers to (`x-references: "<table>.<field>"` on the $defs of ids and slugs)."""
    out = []
    for col in columns:
        if col.references:
            resource, _, key = col.references.partition(".")
            out.append({"fields": [col.name], "reference": {"resource": resource, "fields": [key]}})
    return out


CHANGES_COLUMNS = ("id", "modified", "withdrawn", "withdrawn_at")


def changes_schema() -> dict[str, Any]:
    """Table schema of changes.csv: the feed for incremental sync."""
    ev = event_schema()
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": [
            _key_field("id", "Id of the event (events.id).", pattern=ev["$defs"]["event_id"]["pattern"]),
            _key_field("modified", ev["properties"]["modified"]["description"], "datetime"),
            _key_field("withdrawn", "Whether the event is withdrawn.", "boolean"),
            {"name": "withdrawn_at", "type": "datetime", "description": "When it was withdrawn, if it was."},
        ],
        "missingValues": [""],
        "primaryKey": ["id"],
        "foreignKeys": [{"fields": ["id"], "reference": {"resource": "events", "fields": ["id"]}}],
    }


ROUNDTRIP_FILE = "roundtrip.csv"
ROUNDTRIP_COLUMNS = ("table", "key", OMITTED, EMPTY)
ROUNDTRIP_TABLES = ("actors", "places", "events")  # the tables whose records it completes, in its order


def roundtrip_schema() -> dict[str, Any]:
    """Table schema of roundtrip.csv: what the flat tables cannot say about a record."""
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": [
            _key_field(
                "table",
                "The table of the record: actors (key: id), places (key: slug) or events (key: id); "
                "the rows go in this order of tables, each by key.",
                enum=list(ROUNDTRIP_TABLES),
            ),
            _key_field("key", "The record's key in that table."),
            {
                "name": OMITTED,
                "type": "array",
                "description": "JSON pointers of optional keys the record leaves out (their cells "
                "are empty in the table). (JSON array)",
                "constraints": {"required": True},
            },
            {
                "name": EMPTY,
                "type": "array",
                "description": 'JSON pointers of strings that are empty ("") rather than null (their '
                "cells are empty in the table). (JSON array)",
                "constraints": {"required": True},
            },
        ],
        "missingValues": [""],
        "primaryKey": ["table", "key"],
    }
