"""Where the repository's schema and dataset live."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


class RepoNotFound(LookupError):
    """No OpenStrikes checkout around the working directory."""


def repo_root() -> Path:
    """The repository root: $OPENSTRIKES_ROOT, else the cwd or its nearest parent, else the nearest
    parent of this package, that holds `schema/event.schema.json`."""
    env = os.environ.get("OPENSTRIKES_ROOT")
    if env:
        return Path(env).resolve()
    cwd = Path.cwd()
    # Not the package directory itself: it ships the schemas as package data (openstrikes/schema).
    for candidate in (cwd, *cwd.parents, *PACKAGE_DIR.parents):
        if (candidate / "schema" / "event.schema.json").is_file():
            return candidate
    raise RepoNotFound(
        "cannot find schema/event.schema.json: run inside an OpenStrikes checkout or set OPENSTRIKES_ROOT"
    )


def schema_dir() -> Path:
    return repo_root() / "schema"


def dataset_dir() -> Path:
    return repo_root() / "dataset"
