"""Parity: the client's models hold to schema/event.schema.json and schema/actor.schema.json.

Every schema property has a typed field and every field a property; required properties are the
fields without a default; nullable properties are `| None`; arrays are tuples; enums are Literals
with exactly the schema's values; date and date-time formats are `date` and `datetime`.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest

import openstrikes_client as osc

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
EVENT_SCHEMA = json.loads((SCHEMA_DIR / "event.schema.json").read_text())
ACTOR_SCHEMA = json.loads((SCHEMA_DIR / "actor.schema.json").read_text())
PLACE_SCHEMA = json.loads((SCHEMA_DIR / "place.schema.json").read_text())

# Which model stands for which object of the schemas.
OBJECTS: list[tuple[type[Any], dict[str, Any], dict[str, Any]]] = [
    (osc.Event, EVENT_SCHEMA, EVENT_SCHEMA),
    (osc.Withdrawal, EVENT_SCHEMA["$defs"]["withdrawal"], EVENT_SCHEMA),
    (osc.Attacker, EVENT_SCHEMA["$defs"]["attacker"], EVENT_SCHEMA),
    (osc.Target, EVENT_SCHEMA["$defs"]["target"], EVENT_SCHEMA),
    (osc.Vessel, EVENT_SCHEMA["$defs"]["vessel"], EVENT_SCHEMA),
    (osc.Range, EVENT_SCHEMA["$defs"]["range"], EVENT_SCHEMA),
    (osc.Casualties, EVENT_SCHEMA["$defs"]["casualties"], EVENT_SCHEMA),
    (osc.CasualtyClaim, EVENT_SCHEMA["$defs"]["casualty_claim"], EVENT_SCHEMA),
    (osc.ClaimFigures, EVENT_SCHEMA["$defs"]["casualty_claim"]["properties"]["figures"], EVENT_SCHEMA),
    (osc.Relation, EVENT_SCHEMA["$defs"]["relation"], EVENT_SCHEMA),
    (osc.Source, EVENT_SCHEMA["$defs"]["source"], EVENT_SCHEMA),
    (osc.Actor, ACTOR_SCHEMA, ACTOR_SCHEMA),
    (osc.ExternalIds, ACTOR_SCHEMA["properties"]["external_ids"], ACTOR_SCHEMA),
    (osc.Place, PLACE_SCHEMA, PLACE_SCHEMA),
    (osc.PlaceSource, PLACE_SCHEMA["$defs"]["source"], PLACE_SCHEMA),
    (osc.PlaceIds, PLACE_SCHEMA["properties"]["external_ids"], PLACE_SCHEMA),
]


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def variants(node: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of a property: oneOf branches, one per JSON type of `type: [...]`, or
    for an enum that lists null, null and the other codes."""
    node = resolve(node, root)
    if "enum" in node and None in node["enum"]:
        return [{"type": "null"}, {**node, "enum": [v for v in node["enum"] if v is not None]}]
    if "oneOf" in node:
        return [v for alt in node["oneOf"] for v in variants(alt, root)]
    types_ = node.get("type")
    if isinstance(types_, list):
        return [{**node, "type": t} for t in types_]
    return [node]


def python_alternatives(annotation: Any) -> list[Any]:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return list(get_args(annotation))
    return [annotation]


def model_for(node: dict[str, Any]) -> type[Any] | None:
    for cls, schema_node, _ in OBJECTS:
        if schema_node is node:
            return cls
    return None


def check_type(
    annotation: Any, node: dict[str, Any], root: dict[str, Any], where: str, absent_is_none: bool = False
) -> None:
    """`absent_is_none`: an optional property the model gives as None when absent."""
    alts = variants(node, root)
    py = python_alternatives(annotation)
    nullable = any(v.get("type") == "null" for v in alts) or absent_is_none
    assert (type(None) in py) == nullable, f"{where}: nullable in schema={nullable}, annotation {annotation}"
    alts = [v for v in alts if v.get("type") != "null"]
    py = [p for p in py if p is not type(None)]
    assert len(alts) == 1 and len(py) == 1, f"{where}: {alts} vs {py}"
    v, p = alts[0], py[0]
    if "enum" in v:
        assert get_origin(p) is Literal, f"{where}: enum should be a Literal, is {p}"
        assert list(get_args(p)) == v["enum"], f"{where}: Literal values differ from the schema's enum"
    elif v.get("type") == "array":
        assert get_origin(p) is tuple, f"{where}: array should be tuple[...], is {p}"
        item_type = get_args(p)[0]
        check_type(item_type, v["items"], root, where + "[]")
    elif v.get("type") == "object" or "properties" in v:
        cls = model_for(v)
        assert cls is not None and p is cls, f"{where}: object should be its model, is {p}"
    elif v.get("type") == "string":
        fmt = v.get("format")
        expected = {"date": date, "date-time": datetime}.get(fmt, str)
        assert p is expected, f"{where}: string with format {fmt} should be {expected.__name__}, is {p}"
    elif v.get("type") == "integer":
        assert p is int, f"{where}: integer should be int, is {p}"
    elif v.get("type") == "number":
        assert p is float, f"{where}: number should be float, is {p}"
    else:
        raise AssertionError(f"{where}: unhandled schema node {v}")


@pytest.mark.parametrize("cls,node,root", OBJECTS, ids=[c.__name__ for c, _, _ in OBJECTS])
def test_every_property_has_a_field_and_every_field_a_property(
    cls: type[Any], node: dict[str, Any], root: dict[str, Any]
) -> None:
    node = resolve(node, root)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    props = node["properties"]
    assert list(fields) == list(props), (
        f"{cls.__name__}: fields and schema properties differ (or their order)"
    )
    hints = typing.get_type_hints(cls)
    required = set(node.get("required", []))
    for name, prop in props.items():
        absent_is_none = name not in required and fields[name].default is None
        check_type(hints[name], prop, root, f"{cls.__name__}.{name}", absent_is_none)


@pytest.mark.parametrize("cls,node,root", OBJECTS, ids=[c.__name__ for c, _, _ in OBJECTS])
def test_required_properties_are_the_fields_without_default(
    cls: type[Any], node: dict[str, Any], root: dict[str, Any]
) -> None:
    node = resolve(node, root)
    without_default = {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert without_default == set(node.get("required", [])), cls.__name__


def test_every_object_of_the_schema_has_a_model() -> None:
    """A new nested object in the schema must get a model here (and in the client)."""
    found: list[str] = []

    def walk(node: dict[str, Any], root: dict[str, Any], where: str, depth: int = 0) -> None:
        for v in variants(node, root):
            if "properties" in v:
                assert model_for(v) is not None, f"no client model for the object at {where}"
                found.append(where)
                if depth < 4:
                    for k, sub in v["properties"].items():
                        walk(sub, root, f"{where}/{k}", depth + 1)
            if v.get("type") == "array" and isinstance(v.get("items"), dict):
                walk(v["items"], root, where + "/*", depth + 1)

    walk(EVENT_SCHEMA, EVENT_SCHEMA, "event")
    walk(ACTOR_SCHEMA, ACTOR_SCHEMA, "actor")
    walk(PLACE_SCHEMA, PLACE_SCHEMA, "place")
    assert len(found) >= len(OBJECTS)
