"""`openstrikes migrate`: rewrite records written against an older schema to the current one.

Two steps, each idempotent:
- `migrate_event` brings a 1.0 event to 1.1.0: it adds the 1.1 fields with null values
  (`water_body`, `place`, and `vessel` on each target) and sets `schema_version`; nothing else
  changes (not even `modified`: the facts are the same).
- `plan_places` (asked for explicitly, `--places`) groups the events that name one location
  (the same location text in one country or body of water, or the same exact/near coordinates)
  and proposes a registry entry for every group of two or more events not yet pointing to a
  place; `apply_plan` points those events to it, takes the place-fixed fields from it (the
  coordinates, admin names and precision the group uses most) and bumps their `modified`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openstrikes.toolchain.places import PLACE_FIELDS, apply_place

TARGET_VERSION = "1.1.0"
# Fields schema 1.1 adds, with the value a migrated 1.0 record gets.
NEW_EVENT_FIELDS: dict[str, Any] = {"water_body": None, "place": None}
NEW_TARGET_FIELDS: dict[str, Any] = {"vessel": None}
_GROUPED_PRECISIONS = ("exact", "near")  # coordinates that stand for one site
POINT_DECIMALS = 3


def _version(text: Any) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in str(text).split("."))
    except ValueError:
        return ()


def needs_migration(event: Mapping[str, Any]) -> bool:
    """Whether the event record is older than the target schema version."""
    return _version(event.get("schema_version")) < _version(TARGET_VERSION)


def migrate_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event rewritten to schema 1.1.0 (the same dict when it is already there)."""
    if not needs_migration(event):
        return event
    out = dict(event)
    for key, value in NEW_EVENT_FIELDS.items():
        out.setdefault(key, value)
    targets = out.get("targets")
    if isinstance(targets, list):
        out["targets"] = [
            {**t, **{k: v for k, v in NEW_TARGET_FIELDS.items() if k not in t}} if isinstance(t, dict) else t
            for t in targets
        ]
    out["schema_version"] = TARGET_VERSION
    return out


# --- places ------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """A registry slug: ASCII lower-case words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "place"


def place_name(location: str) -> str:
    """The name of a place from an event's location text: without parenthesised remarks, the
    part before the first comma ("Erbil International Airport (coalition base), Erbil" ->
    "Erbil International Airport")."""
    bare = re.sub(r"\s*\([^)]*\)", "", location)
    return bare.split(",", 1)[0].strip() or location.strip()


@dataclass
class PlanEntry:
    """A proposed registry entry and the events that will point to it."""

    place: dict[str, Any]
    event_ids: list[str] = field(default_factory=list)
    reused: bool = False  # the registry already holds this exact entry


@dataclass
class PlacePlan:
    entries: list[PlanEntry] = field(default_factory=list)

    def assignments(self) -> dict[str, str]:
        """event id -> slug of its place."""
        return {eid: e.place["slug"] for e in self.entries for eid in e.event_ids}


class _Groups:
    """Union-find over event indexes."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _mode(values: Iterable[Any]) -> Any:
    """The most common value (the first seen among equals); None when there is none."""
    counts = Counter(values)
    if not counts:
        return None
    best = max(counts.values())
    return next(v for v in counts if counts[v] == best)


def _keys(event: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """What makes two events name one location: the same location text, or the same name in it
    (without remarks), in one country or body of water; or the same exact/near point (to about
    100 m: copies of one point differ in their last decimals)."""
    keys: list[tuple[Any, ...]] = []
    location = event.get("location")
    where = (event.get("country"), event.get("water_body"))
    if isinstance(location, str) and location.strip():
        keys.append(("text", *where, location.strip().casefold()))
        keys.append(("name", *where, place_name(location).casefold()))
    lat, lon = event.get("latitude"), event.get("longitude")
    if lat is not None and lon is not None and event.get("geo_precision") in _GROUPED_PRECISIONS:
        keys.append(("point", round(float(lat), POINT_DECIMALS), round(float(lon), POINT_DECIMALS)))
    return keys


def _entry(group: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The registry entry a group of events agrees on most: the point most of them give (a point
    over none: events that name a site without its coordinates get them), the precision the
    events at that point give, the admin names most of them give."""
    points = [(e.get("latitude"), e.get("longitude")) for e in group]
    point = _mode(p for p in points if p[0] is not None and p[1] is not None) or (None, None)
    at_point = [e for e in group if (e.get("latitude"), e.get("longitude")) == point]
    names = [
        e["location"].strip() for e in group if isinstance(e.get("location"), str) and e["location"].strip()
    ]
    name = place_name(min(names, key=lambda n: (len(n), n))) if names else "Unnamed place"
    aliases = sorted({n for n in names if n != name})
    return {
        "slug": slugify(name),
        "name": name,
        "aliases": aliases,
        "country": _mode(e.get("country") for e in group),
        "water_body": _mode(e.get("water_body") for e in group),
        "admin1": _mode(e["admin1"] for e in group if e.get("admin1") is not None),
        "admin2": _mode(e["admin2"] for e in group if e.get("admin2") is not None),
        "latitude": point[0],
        "longitude": point[1],
        "geo_precision": _mode(e.get("geo_precision") for e in at_point),
        "sources": [],
        "external_ids": {},
    }


def _registry_match(
    group: list[Mapping[str, Any]], slug: str, registry: Mapping[str, Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The registry entry a group of events names already: one with the slug the group's name
    gives, or whose name or an alias is the name in one of the group's location texts, in the
    same country or body of water."""
    where = {(e.get("country"), e.get("water_body")) for e in group}
    names = {
        place_name(e["location"]).casefold()
        for e in group
        if isinstance(e.get("location"), str) and e["location"].strip()
    }
    for candidate in (registry.get(slug), *registry.values()):
        if candidate is None or (candidate.get("country"), candidate.get("water_body")) not in where:
            continue
        known = {str(n).casefold() for n in (candidate.get("name"), *(candidate.get("aliases") or ()))}
        if candidate is registry.get(slug) or known & names:
            return candidate
    return None


def plan_places(
    events: Iterable[Mapping[str, Any]], registry: Mapping[str, Mapping[str, Any]], min_events: int = 2
) -> PlacePlan:
    """Places for the locations that `min_events` or more live events share and that none of
    them points to yet: the registry's entry for that location when it has one (by slug, name
    or alias: its values win), else a new entry; a new slug that is taken gets a numeric suffix."""
    pool = [e for e in events if not e.get("withdrawn") and e.get("place") is None and _keys(e)]
    pool.sort(key=lambda e: str(e.get("id")))
    groups = _Groups(len(pool))
    first: dict[tuple[Any, ...], int] = {}
    for i, event in enumerate(pool):
        for key in _keys(event):
            groups.union(i, first.setdefault(key, i))
    members: dict[int, list[int]] = {}
    for i in range(len(pool)):
        members.setdefault(groups.find(i), []).append(i)
    taken = set(registry)
    plan = PlacePlan()
    for root in sorted(members):
        idx = members[root]
        if len(idx) < min_events:
            continue
        group = [pool[i] for i in idx]
        ids = [str(e["id"]) for e in group]
        place = _entry(group)
        existing = _registry_match(group, place["slug"], registry)
        if existing is not None:
            plan.entries.append(PlanEntry(dict(existing), ids, reused=True))
            continue
        base, n = place["slug"], 1
        while place["slug"] in taken:
            n += 1
            place["slug"] = f"{base}-{n}"
        taken.add(place["slug"])
        plan.entries.append(PlanEntry(place, ids))
    return plan


def point_to_place(event: dict[str, Any], place: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The event pointing to `place`, its place-fixed fields taken from it, `modified` = now
    (unchanged when it already was so)."""
    out = apply_place(event, place)
    out["place"] = place["slug"]
    if out != event:
        out["modified"] = now
    return out


__all__ = [
    "NEW_EVENT_FIELDS",
    "PLACE_FIELDS",
    "TARGET_VERSION",
    "PlacePlan",
    "migrate_event",
    "needs_migration",
    "plan_places",
    "point_to_place",
]
