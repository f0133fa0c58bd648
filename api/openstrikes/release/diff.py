"""Compare two states of the dataset, event by event and field by field.

A state is a built package (directory or zip), a git ref of the repository, or the work tree.
Events are streamed from both sides in id order and merged, so memory holds the differences,
not the datasets. The schema is compared too: a removed field, a newly required one, a removed
code or a changed type is a breaking change (a major release).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from openstrikes.problems import pointer_join

ABSENT: Any = object()
IGNORED_FIELDS = frozenset({"modified"})  # bumped by every edit: the fields that changed say what


class DiffError(Exception):
    """A side of the comparison cannot be read."""


@dataclass
class Snapshot:
    """One side of a comparison."""

    label: str
    events: Callable[[], Iterator[dict[str, Any]]]  # in id order
    actors: Callable[[], list[dict[str, Any]]]
    schema: Callable[[], dict[str, Any]]
    version: str | None = None
    places: Callable[[], list[dict[str, Any]]] = list  # the registry (schema 1.1), by slug


@dataclass(frozen=True)
class FieldChange:
    pointer: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pointer": self.pointer}
        if self.old is not ABSENT:
            out["old"] = self.old
        if self.new is not ABSENT:
            out["new"] = self.new
        out["change"] = "added" if self.old is ABSENT else "removed" if self.new is ABSENT else "modified"
        return out


@dataclass
class RecordChange:
    id: str
    fields: list[FieldChange]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "fields": [f.to_dict() for f in self.fields]}


@dataclass
class SchemaDiff:
    old_version: str | None
    new_version: str | None
    breaking: list[str] = field(default_factory=list)
    additions: list[str] = field(default_factory=list)
    other: bool = False  # text changed without a structural change (descriptions, ...)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "breaking": self.breaking,
            "additions": self.additions,
            "other_changes": self.other,
        }


@dataclass
class Diff:
    old: str
    new: str
    old_version: str | None = None
    added: list[dict[str, Any]] = field(default_factory=list)  # summaries of new events
    changed: list[RecordChange] = field(default_factory=list)
    withdrawn: list[dict[str, Any]] = field(default_factory=list)
    reinstated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # never allowed: events are withdrawn, not deleted
    actors_added: list[str] = field(default_factory=list)
    actors_changed: list[RecordChange] = field(default_factory=list)
    actors_removed: list[str] = field(default_factory=list)
    places_added: list[str] = field(default_factory=list)
    places_changed: list[RecordChange] = field(default_factory=list)
    places_removed: list[str] = field(default_factory=list)
    schema: SchemaDiff = field(default_factory=lambda: SchemaDiff(None, None))
    totals: dict[str, int] = field(default_factory=dict)  # of the new side: events, withdrawn, actors

    @property
    def level(self) -> str:
        """The semver level this difference needs: major, minor, patch or none."""
        if self.schema.breaking or self.removed or self.actors_removed or self.places_removed:
            return "major"
        if self.added or self.schema.additions or self.actors_added or self.places_added:
            return "minor"
        if (
            self.changed
            or self.withdrawn
            or self.reinstated
            or self.actors_changed
            or self.places_changed
            or self.schema.other
        ):
            return "patch"
        return "none"

    @property
    def empty(self) -> bool:
        return self.level == "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "level": self.level,
            "summary": {
                "added": len(self.added),
                "changed": len(self.changed),
                "withdrawn": len(self.withdrawn),
                "reinstated": len(self.reinstated),
                "removed": len(self.removed),
                "actors_added": len(self.actors_added),
                "actors_changed": len(self.actors_changed),
                "actors_removed": len(self.actors_removed),
                "places_added": len(self.places_added),
                "places_changed": len(self.places_changed),
                "places_removed": len(self.places_removed),
            },
            "totals": self.totals,
            "schema": self.schema.to_dict(),
            "added": self.added,
            "changed": [c.to_dict() for c in self.changed],
            "withdrawn": self.withdrawn,
            "reinstated": self.reinstated,
            "removed": self.removed,
            "actors": {
                "added": self.actors_added,
                "changed": [c.to_dict() for c in self.actors_changed],
                "removed": self.actors_removed,
            },
            "places": {
                "added": self.places_added,
                "changed": [c.to_dict() for c in self.places_changed],
                "removed": self.places_removed,
            },
        }


# --- field by field ------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def field_changes(
    old: Any, new: Any, pointer: str = "", ignore: frozenset[str] = frozenset()
) -> list[FieldChange]:
    """Every leaf that differs between two records, as JSON pointers with old and new values.
    Lists of equal length are compared item by item; otherwise the list is one change."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[FieldChange] = []
        for key in [*old, *(k for k in new if k not in old)]:
            if not pointer and key in ignore:
                continue
            sub = pointer + pointer_join(key)
            if key not in new:
                out.append(FieldChange(sub, old[key], ABSENT))
            elif key not in old:
                out.append(FieldChange(sub, ABSENT, new[key]))
            else:
                out.extend(field_changes(old[key], new[key], sub))
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        out = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            out.extend(field_changes(a, b, pointer + pointer_join(i)))
        return out
    if isinstance(old, list) and isinstance(new, list) and old == new:
        return []
    return [] if _same(old, new) else [FieldChange(pointer or "/", old, new)]


def summary(event: dict[str, Any]) -> dict[str, Any]:
    """The few fields that identify an event in a list of additions."""
    keys = ("id", "date_start", "country", "location", "strike_type", "status")
    out = {k: event.get(k) for k in keys}
    out["attackers"] = [a.get("actor") for a in event.get("attackers") or [] if isinstance(a, dict)]
    out["withdrawn"] = bool(event.get("withdrawn"))
    if event.get("water_body"):
        out["water_body"] = event["water_body"]
    return out


def _withdrawal(event: dict[str, Any]) -> dict[str, Any]:
    w = event.get("withdrawn") or {}
    return {
        "id": event["id"],
        "reason": w.get("reason"),
        "superseded_by": w.get("superseded_by"),
        "at": w.get("at"),
        "note": w.get("note"),
    }


def compare(old: Snapshot, new: Snapshot) -> Diff:
    """The difference between two snapshots."""
    diff = Diff(old.label, new.label, old_version=old.version)
    totals = {"events": 0, "withdrawn": 0, "actors": 0}
    old_it, new_it = old.events(), new.events()
    a, b = next(old_it, None), next(new_it, None)
    last_a: str | None = None
    last_b: str | None = None
    while a is not None or b is not None:
        for ev, last, side in ((a, last_a, old.label), (b, last_b, new.label)):
            if ev is not None and last is not None and str(ev["id"]) <= last:
                raise DiffError(f"{side}: events are not in id order or ids repeat at {ev['id']}")
        if b is not None and (a is None or b["id"] < a["id"]):
            diff.added.append(summary(b))
            totals["events"] += 1
            totals["withdrawn"] += bool(b.get("withdrawn"))
            last_b, b = str(b["id"]), next(new_it, None)
        elif a is not None and (b is None or a["id"] < b["id"]):
            diff.removed.append(str(a["id"]))
            last_a, a = str(a["id"]), next(old_it, None)
        else:
            assert a is not None and b is not None
            totals["events"] += 1
            totals["withdrawn"] += bool(b.get("withdrawn"))
            was, now = bool(a.get("withdrawn")), bool(b.get("withdrawn"))
            if not was and now:
                diff.withdrawn.append(_withdrawal(b))
            elif was and not now:
                diff.reinstated.append(str(b["id"]))
            else:
                changes = field_changes(a, b, ignore=IGNORED_FIELDS)
                if changes:
                    diff.changed.append(RecordChange(str(b["id"]), changes))
            last_a, a = str(a["id"]), next(old_it, None)
            last_b, b = str(b["id"]), next(new_it, None)
    old_actors = {str(x["id"]): x for x in old.actors()}
    new_actors = {str(x["id"]): x for x in new.actors()}
    totals["actors"] = len(new_actors)
    diff.actors_added = sorted(new_actors.keys() - old_actors.keys())
    diff.actors_removed = sorted(old_actors.keys() - new_actors.keys())
    for key in sorted(old_actors.keys() & new_actors.keys()):
        changes = field_changes(old_actors[key], new_actors[key])
        if changes:
            diff.actors_changed.append(RecordChange(key, changes))
    old_places = {str(x["slug"]): x for x in old.places()}
    new_places = {str(x["slug"]): x for x in new.places()}
    totals["places"] = len(new_places)
    diff.places_added = sorted(new_places.keys() - old_places.keys())
    diff.places_removed = sorted(old_places.keys() - new_places.keys())
    for key in sorted(old_places.keys() & new_places.keys()):
        changes = field_changes(old_places[key], new_places[key])
        if changes:
            diff.places_changed.append(RecordChange(key, changes))
    diff.schema = compare_schemas(old.schema(), new.schema())
    diff.totals = totals
    return diff


# --- schema ------------------------------------------------------------------------------------


def _schema_facts(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """pointer of every property -> its types, codes and whether it is required."""
    facts: dict[str, dict[str, Any]] = {}
    if not schema:
        return facts

    def resolve(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            ref = str(node["$ref"])
            node = schema.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
            seen += 1
        return node

    def walk(node: Any, path: str, required: bool, depth: int) -> None:
        node = resolve(node)
        if not isinstance(node, dict) or depth > 12:
            return
        types: set[str] = set()
        enum: set[str] | None = None
        variants = [resolve(v) for v in node.get("oneOf", []) + node.get("anyOf", [])] or [node]
        for v in variants:
            if not isinstance(v, dict):
                continue
            t = v.get("type")
            types.update(t if isinstance(t, list) else [t] if t else [])
            if "enum" in v:
                enum = (enum or set()) | {orjson.dumps(x).decode() for x in v["enum"]}
            if "properties" in v:
                types.add("object")
        if path:
            facts[path] = {"types": types, "enum": enum, "required": required}
        for v in variants:
            if not isinstance(v, dict):
                continue
            req = set(v.get("required", []))
            for key, sub in (v.get("properties") or {}).items():
                walk(sub, f"{path}/{key}", key in req, depth + 1)
            if isinstance(v.get("items"), dict):
                walk(v["items"], f"{path}/*", True, depth + 1)

    walk(schema, "", True, 0)
    return facts


def compare_schemas(old: dict[str, Any], new: dict[str, Any]) -> SchemaDiff:
    """Breaking changes and additions between two event schemas."""
    out = SchemaDiff(old.get("x-schema-version"), new.get("x-schema-version"))
    if old == new:
        return out
    if not old:  # nothing to compare with: a first release
        out.additions.append(f"event schema {out.new_version}")
        return out
    a, b = _schema_facts(old), _schema_facts(new)
    for path in sorted(a.keys() - b.keys()):
        out.breaking.append(f"field {path} removed")
    for path in sorted(b.keys() - a.keys()):
        if b[path]["required"] and path.rsplit("/", 1)[0] in a:
            out.breaking.append(f"new required field {path}")
        else:
            out.additions.append(f"new field {path}")
    for path in sorted(a.keys() & b.keys()):
        fa, fb = a[path], b[path]
        if fb["required"] and not fa["required"]:
            out.breaking.append(f"field {path} became required")
        if fa["types"] - fb["types"]:
            out.breaking.append(
                f"field {path} no longer accepts {', '.join(sorted(fa['types'] - fb['types']))}"
            )
        if fb["types"] - fa["types"]:
            out.additions.append(f"field {path} also accepts {', '.join(sorted(fb['types'] - fa['types']))}")
        if fa["enum"] is not None and fb["enum"] is not None:
            if fa["enum"] - fb["enum"]:
                out.breaking.append(f"field {path} lost codes {', '.join(sorted(fa['enum'] - fb['enum']))}")
            if fb["enum"] - fa["enum"]:
                out.additions.append(
                    f"field {path} gained codes {', '.join(sorted(fb['enum'] - fa['enum']))}"
                )
    major = [str(v or "0").split(".")[0] for v in (out.old_version, out.new_version)]
    if major[0] != major[1] and not out.breaking:
        out.breaking.append(f"schema major version {out.old_version} -> {out.new_version}")
    if not out.breaking and not out.additions:
        out.other = True
    return out
