"""Releases: the next semantic version from a diff, the CHANGELOG section written from the data,
and the release itself (build, deterministic zip, version and date recorded in the metadata).

Levels: major for a breaking schema change (or a deleted event or actor), minor for new events,
actors or schema fields, patch for corrections and withdrawals.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openstrikes.package.archive import write_zip
from openstrikes.package.build import build_package
from openstrikes.package.metadata import citation_cff, load_metadata
from openstrikes.release.changelog import changelog_section, has_section, insert_section
from openstrikes.release.diff import Diff, DiffError, Snapshot, compare
from openstrikes.release.snapshots import (
    empty_snapshot,
    git_snapshot,
    is_git_ref,
    package_snapshot,
    worktree_snapshot,
)
from openstrikes.semver import bump, parse_version, satisfies
from openstrikes.toolchain.records import write_atomic


class ReleaseError(Exception):
    """A release cannot be made (exit status 1)."""


class VersionRefused(ReleaseError):
    """The requested version is malformed, does not increase, or is too small for the changes."""


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
    on_wait: Callable[[str], None] | None = None,
) -> tuple[Path, Path]:
    """Build the package at the new version, zip it, then record the version, the date, the
    CHANGELOG section and the citation. Returns (package directory, zip). `on_wait` is told
    when another build holds the output directory."""

    dataset = root / "dataset"
    package_dir = build_package(
        dataset,
        out,
        version=plan.version,
        release_date=plan.date,
        progress=progress,
        validated=validated,
        on_wait=on_wait,
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
