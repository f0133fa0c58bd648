"""Helpers to build repository-shaped directories for tests (importable from any test module)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from openstrikes.index.store import Store
from openstrikes.package.build import build_package
from openstrikes.toolchain.records import canonical, event_path, write_atomic
from strategies import ACTOR_IDS, actor_record

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


def dump(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def synthetic_store(tmp: Path, events: int, seed: int) -> Store:
    """The index of a release built from `events` synthetic events spread over the map
    (benchmarks/synthetic.py), in `tmp`."""
    if str(REPO / "benchmarks") not in sys.path:
        sys.path.insert(0, str(REPO / "benchmarks"))
    from synthetic import write_dataset

    dataset = write_dataset(tmp / "repo", events, seed=seed, spread=True)
    build_package(dataset, tmp / "releases", progress=False)
    package = next((tmp / "releases").glob("*/datapackage.json")).parent
    return Store.open(package, tmp / "cache")
