"""Helpers of the API tests: a synthetic release built by the real package builder, with some
events linked into chains (retaliation and follow-ups) so /related has something to walk."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


@dataclass
class Release:
    root: Path  # the releases directory
    package: Path
    events: dict[str, dict[str, Any]]  # id -> record, as in the files
    actors: dict[str, dict[str, Any]]


def build_release(tmp: Path, n: int, seed: int, *, version: str = "0.1.0", links: bool = True) -> Release:
    """Write a synthetic dataset of n events, spread them over the generator's places, link every
    9th event to the one before it (and some to one further back), and build it."""
    from openstrikes.package.build import build_package
    from openstrikes.toolchain.records import canonical
    from synthetic import places, write_dataset

    dataset = write_dataset(tmp / f"repo-{version}", n, seed=seed, version=version)
    files = sorted((dataset / "events").rglob("*.json"), key=lambda p: p.name)
    events = {f.name.removesuffix(".json"): json.loads(f.read_text(encoding="utf-8")) for f in files}
    grid = places()
    ids = sorted(events)
    for k, i in enumerate(ids):
        e = events[i]
        country, lat, lon = grid[(k * 7) % len(grid)]
        e["country"] = country
        e["timezone"] = None
        if e["latitude"] is not None:
            e["latitude"], e["longitude"] = lat, lon
    if links:
        for k in range(9, len(ids), 9):
            e = events[ids[k]]
            e["related"] = [{"id": ids[k - 1], "relation": "retaliation_for"}]
            if k % 27 == 0:
                e["related"].append({"id": ids[k - 5], "relation": "follow_up"})
    for f in files:
        e = events[f.name.removesuffix(".json")]
        f.write_text(canonical(e, "event"), encoding="utf-8")
    releases = tmp / "releases"
    package = build_package(dataset, releases, progress=False)
    actors = {}
    for f in sorted((dataset / "actors").glob("*.json")):
        a = json.loads(f.read_text(encoding="utf-8"))
        actors[a["id"]] = a
    return Release(releases, package, events, actors)
