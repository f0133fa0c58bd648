"""Whether a version is released, and the version a build of the work tree is given.

A released version's bytes never change: once `openstrikes release` has published X.Y.Z (its zip
in the output directory, its CHANGELOG section, or a git tag), a build of the work tree is named
X.Y.Z+dev (semver build metadata: the released version plus unreleased changes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openstrikes.release.changelog import has_section
from openstrikes.release.snapshots import is_git_ref

DEV_SUFFIX = "+dev"


def is_released(root: Path, out: Path, name: str, version: str) -> bool:
    """Whether `version` was released: its zip in `out`, a CHANGELOG.md section or a git tag."""
    if (out / f"{name}-{version}.zip").exists():
        return True
    changelog = root / "CHANGELOG.md"
    if changelog.is_file() and has_section(changelog.read_text(encoding="utf-8"), version):
        return True
    return any(is_git_ref(root, tag) for tag in (f"v{version}", f"data-v{version}"))


def build_version(root: Path, out: Path, meta: dict[str, Any]) -> str | None:
    """The version to build the work tree as: None to keep dataset/datapackage.json's, or
    X.Y.Z+dev when X.Y.Z is released."""
    version = str(meta["version"])
    return version + DEV_SUFFIX if is_released(root, out, str(meta["name"]), version) else None
