"""Fixtures of the client tests: a synthetic release built by the real package builder."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from server_side import build_package, canonical, create_app, write_zip

from client_fakes import Built, session_into, spread_places, vary_actors
from openstrikes_client import Client, Retries

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

N_EVENTS = 400


def link_chains(dataset: Path) -> None:
    """Link a few events into retaliation chains (the synthetic generator links only beyond 8,800
    events): each chain is three events, each a response to the one before."""
    files = sorted((dataset / "events").rglob("*.json"))
    for start in range(0, 60, 12):
        chain = files[start : start + 3]
        for prev, path in itertools.pairwise(chain):
            record = json.loads(path.read_text(encoding="utf-8"))
            prev_id = prev.stem
            record["related"] = [*record.get("related", []), {"id": prev_id, "relation": "response_to"}]
            path.write_text(canonical(record, "event"), encoding="utf-8")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from synthetic import write_dataset

    tmp = tmp_path_factory.mktemp("client-release")
    dataset = write_dataset(tmp / "repo", N_EVENTS, seed=11)
    spread_places(dataset)
    link_chains(dataset)
    vary_actors(dataset)
    releases = tmp / "releases"
    package = build_package(dataset, releases)
    zipped = write_zip(package, releases / f"{package.name}.zip")
    events = {}
    for f in sorted((dataset / "events").rglob("*.json")):
        record = json.loads(f.read_text(encoding="utf-8"))
        events[record["id"]] = record
    actors = {}
    for f in sorted((dataset / "actors").glob("*.json")):
        record = json.loads(f.read_text(encoding="utf-8"))
        actors[record["id"]] = record
    return Built(dataset, releases, package, zipped, events, actors)


def make_app(releases: Path, cache_dir: Path) -> Any:
    """The API's Flask app serving the built releases in `releases`."""
    return create_app(releases, cache_dir=cache_dir)


@pytest.fixture(scope="session")
def app(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_app(built.releases, tmp_path_factory.mktemp("api-cache"))


@pytest.fixture
def api_client(app: Any) -> Iterator[Client]:
    """A Client whose requests go into the Flask app in-process (no network)."""
    with Client(
        "http://testserver", session=session_into(app), retries=Retries(total=1, backoff=0.0)
    ) as client:
        yield client
