"""The Table Schema of events_flat.csv (and so the types of events_flat.parquet), derived from
the events table's (itself derived from the JSON Schema): each single-valued column is typed,
constrained and described like the events.csv column it copies; the many-valued ones (actors,
tags) are strings in CSV and lists in Parquet."""

from __future__ import annotations

from typing import Any

from openstrikes.package.flat_rows import FIGURES, FLAT_COLUMNS, MANY, SEPARATOR
from openstrikes.package.table_schema import TABLESCHEMA_PROFILE, events_schema

_BOUNDS = {"low": "min", "best": "best", "high": "max"}
# Many-valued columns: what they gather, from which list of the record.
_GATHERS = {
    "attacker_ids": "the actor id (`actor`) of each attacker",
    "attacker_names": "the registry name of each attacker",
    "attacker_attributions": "the `attribution` of each attacker",
    "target_ids": "the actor id (`actor`) of each target (empty for a target with none)",
    "target_names": "the registry name of each target, or its `description`",
    "target_types": "the `target_type` of each target",
    "tags": "the event's `tags`",
}


def _source(name: str) -> tuple[str, str]:
    """The events.csv column a single-valued flat column copies, and what it adds to its
    description."""
    for f in FIGURES:
        for bound, key in _BOUNDS.items():
            if name == f"{f}_{bound}":
                return f"casualties_{f}_{key}", (
                    f"`casualties.{f}.{key}` of the record. Empty: unknown (0 means reported none)."
                )
    return name, ""


def _many_field(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "string",
        "description": f"{_GATHERS[name][0].upper()}{_GATHERS[name][1:]}, in the order of the record; "
        f"separated by {SEPARATOR!r} in CSV, a list column in Parquet.",
    }


def flat_schema() -> dict[str, Any]:
    """The Table Schema of events_flat.csv: each column typed and described like the events.csv
    column (or child-table column) it comes from."""
    events = {f["name"]: f for f in events_schema()["fields"]}
    fields: list[dict[str, Any]] = []
    for name in FLAT_COLUMNS:
        if name in MANY:
            fields.append(_many_field(name))
        elif name == "sources_count":
            fields.append(
                {
                    "name": name,
                    "type": "integer",
                    "description": "Number of sources of the event.",
                    "constraints": {"required": True, "minimum": 1},
                }
            )
        elif name == "withdrawn":
            fields.append(
                {
                    "name": name,
                    "type": "boolean",
                    "description": "Whether the event is withdrawn.",
                    "constraints": {"required": True},
                }
            )
        else:
            source, note = _source(name)
            field = {**events[source], "name": name}
            if note:
                field["description"] = note
            fields.append(field)
    return {
        "$schema": TABLESCHEMA_PROFILE,
        "fields": fields,
        "primaryKey": ["id"],
        "missingValues": [""],
    }
