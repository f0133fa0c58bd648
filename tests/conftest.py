"""Shared fixtures: a throwaway repository root with the real schemas and fixture actors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from openstrikes.records import canonical, event_path, write_atomic
from strategies import ACTOR_IDS, actor_record

# Timing varies on shared 2-core machines; correctness, not speed, is under test here.
settings.register_profile("openstrikes", deadline=None, print_blob=True)
settings.load_profile("openstrikes")

REPO = Path(__file__).resolve().parents[1]


def make_root(root: Path) -> Path:
    """A repository-shaped directory: schema/ copied from the repo, dataset/ with fixture actors."""
    shutil.copytree(REPO / "schema", root / "schema")
    (root / "dataset" / "events").mkdir(parents=True)
    for actor_id in ACTOR_IDS:
        write_atomic(
            root / "dataset" / "actors" / f"{actor_id}.json", canonical(actor_record(actor_id), "actor")
        )
    return root


def write_event(root: Path, event: dict) -> Path:
    path = event_path(root / "dataset", event["id"], event["date_start"])
    write_atomic(path, canonical(event, "event"))
    return path


@pytest.fixture
def repo_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh repository root, made current via OPENSTRIKES_ROOT and the working directory."""
    root = make_root(tmp_path / "repo")
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    yield root


def dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
