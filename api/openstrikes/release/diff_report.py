"""A diff as text for people and as JSON for programs."""

from __future__ import annotations

from typing import Any

import orjson

from openstrikes.release.diff import ABSENT, Diff


def _value(v: Any) -> str:
    if v is ABSENT:
        return "(absent)"
    text = orjson.dumps(v).decode("utf-8")
    return text if len(text) <= 80 else text[:77] + "..."


def render_text(diff: Diff) -> str:
    """The difference for a terminal."""
    s = diff.schema
    lines = [f"--- {diff.old}", f"+++ {diff.new}"]
    lines.append(
        f"{len(diff.added)} added, {len(diff.changed)} changed, {len(diff.withdrawn)} withdrawn, "
        f"{len(diff.reinstated)} reinstated, {len(diff.removed)} removed; actors: {len(diff.actors_added)} added, "
        f"{len(diff.actors_changed)} changed, {len(diff.actors_removed)} removed; needs a {diff.level} release"
        if diff.level != "none"
        else "no differences"
    )
    if s.breaking or s.additions or s.other:
        lines.append(f"schema {s.old_version} -> {s.new_version}:")
        lines.extend(f"  ! {b}" for b in s.breaking)
        lines.extend(f"  + {a}" for a in s.additions)
        if s.other:
            lines.append("  ~ descriptions or other text changed")
    if diff.added:
        lines.append("added:")
        for ev in diff.added:
            place = ev.get("location") or ""
            lines.append(
                f"  + {ev['id']}  {ev.get('date_start')} {ev.get('country')} {ev.get('strike_type')}"
                + (f"  {place}" if place else "")
                + ("  (withdrawn)" if ev.get("withdrawn") else "")
            )
    if diff.withdrawn:
        lines.append("withdrawn:")
        for w in diff.withdrawn:
            extra = f", superseded by {w['superseded_by']}" if w.get("superseded_by") else ""
            lines.append(f"  - {w['id']}  {w['reason']}{extra}")
    if diff.reinstated:
        lines.append("reinstated:")
        lines.extend(f"  + {i}" for i in diff.reinstated)
    if diff.changed:
        lines.append("changed:")
        for ch in diff.changed:
            lines.append(f"  ~ {ch.id}")
            lines.extend(f"      {f.pointer}: {_value(f.old)} -> {_value(f.new)}" for f in ch.fields)
    if diff.removed:
        lines.append("removed (events must be withdrawn, never deleted):")
        lines.extend(f"  ! {i}" for i in diff.removed)
    if diff.actors_added or diff.actors_changed or diff.actors_removed:
        lines.append("actors:")
        lines.extend(f"  + {i}" for i in diff.actors_added)
        for ch in diff.actors_changed:
            lines.append(f"  ~ {ch.id}")
            lines.extend(f"      {f.pointer}: {_value(f.old)} -> {_value(f.new)}" for f in ch.fields)
        lines.extend(f"  ! {i} removed" for i in diff.actors_removed)
    if diff.places_added or diff.places_changed or diff.places_removed:
        lines.append("places:")
        lines.extend(f"  + {i}" for i in diff.places_added)
        for ch in diff.places_changed:
            lines.append(f"  ~ {ch.id}")
            lines.extend(f"      {f.pointer}: {_value(f.old)} -> {_value(f.new)}" for f in ch.fields)
        lines.extend(f"  ! {i} removed" for i in diff.places_removed)
    return "\n".join(lines)


def render_json(diff: Diff) -> str:
    return orjson.dumps(diff.to_dict(), option=orjson.OPT_INDENT_2).decode("utf-8")
