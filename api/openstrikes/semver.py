"""Dataset versions: semantic versions X.Y.Z (no leading zeros, no pre-release), the one grammar
of the server side (releases are made with it, the API orders served releases by it)."""

from __future__ import annotations

import re

SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def parse_version(text: str) -> tuple[int, int, int]:
    """X.Y.Z as three integers; ValueError for anything else."""
    m = SEMVER.fullmatch(text) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"version {text!r} is not of the form X.Y.Z (semantic versioning, no leading zeros)")
    return int(m[1]), int(m[2]), int(m[3])


BUILD = re.compile(r"\+[0-9A-Za-z.-]+")  # X.Y.Z+dev: a build of changes made after X.Y.Z


def version_key(text: str) -> tuple[int, int, int, int]:
    """Precedence for sorting: a version that is not X.Y.Z sorts before every one that is; a
    build of unreleased changes (X.Y.Z+dev) after the release X.Y.Z."""
    base, plus, build = text.partition("+") if isinstance(text, str) else ("", "", "")
    try:
        major, minor, patch = parse_version(base)
    except ValueError:
        return (-1, -1, -1, 0)
    if plus and not BUILD.fullmatch(plus + build):
        return (-1, -1, -1, 0)
    return (major, minor, patch, 1 if plus else 0)


def bump(version: str, level: str) -> str:
    """The next version at a level (major, minor, patch)."""
    major, minor, patch = parse_version(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise ValueError(f"nothing to bump at level {level!r}")


def satisfies(old: str, new: str, level: str) -> bool:
    """Whether stepping old -> new is an increase of at least the given level."""
    a, b = parse_version(old), parse_version(new)
    if b <= a:
        return False
    if level == "major":
        return b[0] > a[0]
    if level == "minor":
        return b[:2] > a[:2]
    return True
