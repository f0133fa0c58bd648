"""The CHANGELOG section of a release, written from its diff, and where it goes in CHANGELOG.md."""

from __future__ import annotations

import re
from collections import Counter

from openstrikes.release.diff import Diff

LIST_LIMIT = 25  # ids listed per CHANGELOG entry before "and N more"


def _ids(ids: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:LIST_LIMIT])
    return shown + (f" and {len(ids) - LIST_LIMIT} more" if len(ids) > LIST_LIMIT else "")


def _count(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def changelog_section(diff: Diff, version: str, date: str) -> str:
    """The CHANGELOG section of a dataset release, written from the diff.

    Long because it is the section's template, read top to bottom as the section reads."""
    t = diff.totals
    lines = [f"## [{version}] - {date}", ""]
    base = f"compared with {diff.old_version}" if diff.old_version else "first release"
    lines.append(
        f"Dataset release: {t.get('events', 0):,} events ({t.get('withdrawn', 0):,} withdrawn), "
        f"{t.get('actors', 0):,} actors; {base}: {len(diff.added):,} added, {len(diff.changed):,} corrected, "
        f"{len(diff.withdrawn):,} withdrawn."
    )
    added: list[str] = []
    if diff.added:
        live = [a for a in diff.added if not a.get("withdrawn")]
        by_country = Counter(str(a.get("country") or f"at sea: {a.get('water_body')}") for a in diff.added)
        by_type = Counter(str(a.get("strike_type")) for a in diff.added)
        dates = sorted(str(a.get("date_start")) for a in diff.added)
        added.append(
            f"- {len(diff.added):,} events ({len(live):,} live) dated {dates[0]} to {dates[-1]}; "
            f"by country: {_count(by_country)}; by type: {_count(by_type)}."
        )
        added.append(f"  Ids: {_ids([str(a['id']) for a in diff.added])}.")
    if diff.actors_added:
        added.append(f"- Actors: {_ids(diff.actors_added)}.")
    if diff.places_added:
        added.append(f"- Places: {_ids(diff.places_added)}.")
    if diff.schema.additions:
        added.append(f"- Schema {diff.schema.new_version}: " + "; ".join(diff.schema.additions) + ".")
    changed: list[str] = []
    for ch in diff.changed[:LIST_LIMIT]:
        fields = sorted({f.pointer.split("/")[1] if f.pointer.count("/") else f.pointer for f in ch.fields})
        changed.append(f"- `{ch.id}`: corrected {', '.join(fields)}.")
    if len(diff.changed) > LIST_LIMIT:
        changed.append(f"- and {len(diff.changed) - LIST_LIMIT:,} more events corrected.")
    if diff.reinstated:
        changed.append(f"- Reinstated (no longer withdrawn): {_ids(diff.reinstated)}.")
    for ch in diff.actors_changed[:LIST_LIMIT]:
        fields = sorted({f.pointer.split("/")[1] for f in ch.fields if f.pointer.count("/")})
        changed.append(f"- Actor `{ch.id}`: corrected {', '.join(fields)}.")
    for ch in diff.places_changed[:LIST_LIMIT]:
        fields = sorted({f.pointer.split("/")[1] for f in ch.fields if f.pointer.count("/")})
        changed.append(f"- Place `{ch.id}`: corrected {', '.join(fields)}.")
    if diff.schema.other and not diff.schema.breaking and not diff.schema.additions:
        changed.append("- Schema text (descriptions) revised; no structural change.")
    withdrawn: list[str] = []
    for w in diff.withdrawn[:LIST_LIMIT]:
        extra = f", superseded by `{w['superseded_by']}`" if w.get("superseded_by") else ""
        withdrawn.append(f"- `{w['id']}`: {w['reason']}{extra}.")
    if len(diff.withdrawn) > LIST_LIMIT:
        withdrawn.append(f"- and {len(diff.withdrawn) - LIST_LIMIT:,} more.")
    removed: list[str] = []
    if diff.schema.breaking:
        removed.append(
            f"- Breaking schema change ({diff.schema.old_version} -> {diff.schema.new_version}): "
            + "; ".join(diff.schema.breaking)
            + "."
        )
    if diff.removed:
        removed.append(f"- Events deleted (they should have been withdrawn): {_ids(diff.removed)}.")
    if diff.actors_removed:
        removed.append(f"- Actors removed: {_ids(diff.actors_removed)}.")
    if diff.places_removed:
        removed.append(f"- Places removed: {_ids(diff.places_removed)}.")
    for title, body in (
        ("Added", added),
        ("Changed", changed),
        ("Withdrawn", withdrawn),
        ("Removed", removed),
    ):
        if body:
            lines += ["", f"### {title}", *body]
    return "\n".join(lines) + "\n"


def insert_section(changelog: str, section: str) -> str:
    """The changelog with a release section placed after the [Unreleased] block (newest first)."""
    lines = changelog.splitlines(keepends=True)
    headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
    unreleased = next((i for i in headings if line_is_unreleased(lines[i])), None)
    if unreleased is not None:
        after = [i for i in headings if i > unreleased]
        at = after[0] if after else len(lines)
    elif headings:
        at = headings[0]
    else:
        at = len(lines)
    head = "".join(lines[:at])
    if head and not head.endswith("\n\n"):
        head = head.rstrip("\n") + "\n\n"
    tail = "".join(lines[at:])
    return head + section + ("\n" + tail if tail else "")


def line_is_unreleased(line: str) -> bool:
    return line.strip().lower().startswith("## [unreleased]")


def has_section(changelog: str, version: str) -> bool:
    return re.search(rf"^## \[{re.escape(version)}\]", changelog, re.M) is not None
