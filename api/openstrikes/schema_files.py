"""The JSON Schemas of a record, loaded once, and what is derived from them (key order).

`schema/*.schema.json` at the top of a checkout are the canonical, hand-edited files; the
distribution ships them as package data (`openstrikes/schema/`, a link to them in a checkout). The
contributor side reads the checkout's files when there is a checkout (`OPENSTRIKES_ROOT` or the
working directory), else the shipped copy. Serving code never calls these loaders: each release is
read with the schema bundled in it (see `openstrikes.package.reader`)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from openstrikes.paths import RepoNotFound, schema_dir

EVENT_SCHEMA_FILE = "event.schema.json"
ACTOR_SCHEMA_FILE = "actor.schema.json"
PLACE_SCHEMA_FILE = "place.schema.json"
SCHEMA_FILES = {"event": EVENT_SCHEMA_FILE, "actor": ACTOR_SCHEMA_FILE, "place": PLACE_SCHEMA_FILE}  # by kind
# Mirror: openstrikes_client._aggregate.CASUALTY_FIELDS (the client imports nothing of the server).
# The casualty figures of an event (`casualties.<name>`, each a range), in schema order.
CASUALTY_FIELDS = ("killed", "injured", "civilians_killed", "civilians_injured")


PACKAGED_DIR = Path(__file__).resolve().parent / "schema"


def packaged_schema_path(name: str) -> Path:
    """The copy of a schema file shipped inside the distribution."""
    return PACKAGED_DIR / name


def schema_path(name: str) -> Path:
    """The schema file the contributor side works with: the checkout's, else the shipped copy."""
    try:
        return schema_dir() / name
    except RepoNotFound:
        return packaged_schema_path(name)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """Load a schema file (cached: the files are read once per process)."""
    with schema_path(name).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    """A schema file as shipped inside the distribution (e.g. to document what a release older
    than it lacks)."""
    with packaged_schema_path(name).open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


def event_schema() -> dict[str, Any]:
    return load_schema(EVENT_SCHEMA_FILE)


def actor_schema() -> dict[str, Any]:
    return load_schema(ACTOR_SCHEMA_FILE)


def place_schema() -> dict[str, Any]:
    return load_schema(PLACE_SCHEMA_FILE)


def schema_version(schema: dict[str, Any] | None = None) -> str:
    return str((schema or event_schema())["x-schema-version"])


def resolve_ref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """`node` with its local `$ref`s followed, the keys beside a `$ref` (e.g. its description)
    kept over the definition's. ValueError for a reference outside the schema's `$defs`."""
    while "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ValueError(f"only local $defs references are supported, not {ref!r}")
        node = {
            **schema["$defs"][ref.removeprefix("#/$defs/")],
            **{k: v for k, v in node.items() if k != "$ref"},
        }
    return node


def _object_variants(schema: dict[str, Any], node: dict[str, Any]) -> list[dict[str, Any]]:
    node = resolve_ref(schema, node)
    variants = [node]
    for alt in node.get("oneOf", []) + node.get("anyOf", []):
        variants.extend(_object_variants(schema, alt))
    return [v for v in variants if "properties" in v or "items" in v]


@cache
def _key_order_cached(name: str) -> dict[str, list[str]]:
    schema = load_schema(name)
    orders: dict[str, list[str]] = {}

    def walk(node: dict[str, Any], path: str, depth: int) -> None:
        if depth > 12:
            return
        for variant in _object_variants(schema, node):
            if "properties" in variant:
                orders.setdefault(path, list(variant["properties"]))
                for key, sub in variant["properties"].items():
                    walk(sub, f"{path}/{key}", depth + 1)
            if isinstance(variant.get("items"), dict):
                walk(variant["items"], f"{path}/*", depth + 1)

    walk(schema, "", 0)
    return orders


def key_order(name: str) -> dict[str, list[str]]:
    """For each object path of the schema ("" , "/sources/*", ...), its properties in schema order."""
    return _key_order_cached(name)
