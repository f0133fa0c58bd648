"""Releases: the next semantic version from a diff, the CHANGELOG section written from the data,
and the release itself (build, deterministic zip, version and date recorded in the metadata).

Levels: major for a breaking schema change (or a deleted event or actor), minor for new events,
actors or schema fields, patch for corrections and withdrawals.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openstrikes.package.archive import write_zip
from openstrikes.package.build import build_package
from openstrikes.package.metadata import citation_cff, load_metadata
from openstrikes.release.diff import (
    Diff,
    DiffError,
    Snapshot,
    compare,
    empty_snapshot,
    git_snapshot,
    is_git_ref,
    package_snapshot,
    worktree_snapshot,
)
from openstrikes.semver import bump, parse_version, satisfies
from openstrikes.toolchain.records import write_atomic

LIST_LIMIT = 25  # ids listed per CHANGELOG entry before "and N more"


class ReleaseError(Exception):
    """A release cannot be made (exit status 1)."""


class VersionRefused(ReleaseError):
    """The requested version is malformed, does not increase, or is too small for the changes."""


# --- changelog -----------------------------------------------------------------------------------


def _ids(ids: list[str]) -> str:
    shown = ", ".join(f"`{i}`" for i in ids[:LIST_LIMIT])
    return shown + (f" and {len(ids) - LIST_LIMIT} more" if len(ids) > LIST_LIMIT else "")


def _count(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))


def changelog_section(diff: Diff, version: str, date: str) -> str:
    """The CHANGELOG section of a dataset release, written from the diff."""
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
        by_country = Counter(str(a.get("country")) for a in diff.added)
        by_type = Counter(str(a.get("strike_type")) for a in diff.added)
        dates = sorted(str(a.get("date_start")) for a in diff.added)
        added.append(
            f"- {len(diff.added):,} events ({len(live):,} live) dated {dates[0]} to {dates[-1]}; "
            f"by country: {_count(by_country)}; by type: {_count(by_type)}."
        )
        added.append(f"  Ids: {_ids([str(a['id']) for a in diff.added])}.")
    if diff.actors_added:
        added.append(f"- Actors: {_ids(diff.actors_added)}.")
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


# --- the release ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a release will do."""

    current: str
    version: str
    level: str
    baseline: str | None
    diff: Diff
    section: str
    date: str


def find_baseline(root: Path, out: Path, name: str, version: str) -> Snapshot | None:
    """The release `version` as it was published: its zip or directory in out/, or a git tag."""
    for candidate in (out / f"{name}-{version}.zip", out / f"{name}-{version}"):
        if candidate.exists():
            try:
                return package_snapshot(candidate)
            except DiffError:
                continue
    for tag in (f"v{version}", f"data-v{version}", version):
        if is_git_ref(root, tag):
            return git_snapshot(root, tag)
    return None


def plan_release(root: Path, out: Path, requested: str | None, now: datetime | None = None) -> Plan:
    """Work out the next version, the diff since the last release and its CHANGELOG section."""

    meta = load_metadata(root / "dataset")
    current = meta["version"]
    changelog_path = root / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
    baseline = find_baseline(root, out, meta["name"], current)
    first = baseline is None
    if first and has_section(changelog, current):
        raise ReleaseError(
            f"{current} was released (CHANGELOG.md has it) but neither {out}/{meta['name']}-{current}.zip "
            f"nor a git tag v{current} is here to compare with: restore one of them"
        )
    new = worktree_snapshot(root)
    diff = compare(baseline or empty_snapshot(), new)
    level = diff.level
    if first:
        proposed = current
    elif level == "none":
        proposed = None
    else:
        proposed = bump(current, level)
    if requested is not None:
        try:
            parse_version(requested)
        except ValueError as exc:
            raise VersionRefused(str(exc)) from None
        if first:
            if parse_version(requested) < parse_version(current):
                raise VersionRefused(
                    f"version {requested} is lower than {current} in dataset/datapackage.json"
                )
        elif parse_version(requested) <= parse_version(current):
            raise VersionRefused(f"version {requested} does not increase on the last release {current}")
        elif level != "none" and not satisfies(current, requested, level):
            raise VersionRefused(
                f"the changes since {current} need a {level} release (at least {bump(current, level)}), "
                f"not {requested}"
            )
        version = requested
    else:
        if proposed is None:
            raise ReleaseError(f"nothing changed since {current}: there is nothing to release")
        version = proposed
    if has_section(changelog, version):
        raise ReleaseError(f"CHANGELOG.md already has a section for {version}")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    date = stamp.date().isoformat()
    section = changelog_section(diff, version, date)
    return Plan(
        current,
        version,
        "initial" if first else level,
        baseline.label if baseline else None,
        diff,
        section,
        stamp.isoformat().replace("+00:00", "Z"),
    )


def apply_release(
    root: Path,
    out: Path,
    plan: Plan,
    progress: bool = True,
    validated: tuple[list[Any], list[Any]] | None = None,
) -> tuple[Path, Path]:
    """Build the package at the new version, zip it, then record the version, the date, the
    CHANGELOG section and the citation. Returns (package directory, zip)."""

    dataset = root / "dataset"
    package_dir = build_package(
        dataset, out, version=plan.version, release_date=plan.date, progress=progress, validated=validated
    )
    zip_path = write_zip(package_dir, out / f"{package_dir.name}.zip")
    meta_path = dataset / "datapackage.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["version"] = plan.version
    meta["created"] = plan.date
    write_atomic(meta_path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    changelog_path = root / "CHANGELOG.md"
    changelog = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else "# Changelog\n"
    write_atomic(changelog_path, insert_section(changelog, plan.section))
    write_atomic(root / "CITATION.cff", citation_cff(load_metadata(dataset), plan.version, plan.date))
    return package_dir, zip_path
