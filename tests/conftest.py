"""Shared fixtures: a throwaway repository root with the real schemas and fixture actors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from repo_fixtures import make_root

# Timing varies on shared 2-core machines; correctness, not speed, is under test here.
settings.register_profile("openstrikes", deadline=None, print_blob=True)
settings.load_profile("openstrikes")


@pytest.fixture
def repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh repository root, made current via OPENSTRIKES_ROOT and the working directory."""
    root = make_root(tmp_path / "repo")
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    yield root
