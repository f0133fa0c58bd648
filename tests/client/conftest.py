"""Fixtures of the client tests: a synthetic release built by the real package builder."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client_fakes import Built, session_into
from openstrikes_client import Client, Retries

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))

N_EVENTS = 400


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from openstrikes.package import build_package, write_zip
    from synthetic import write_dataset

    tmp = tmp_path_factory.mktemp("client-release")
    dataset = write_dataset(tmp / "repo", N_EVENTS, seed=11)
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


def make_app(releases: Path) -> Any:
    """The API's Flask app serving the built releases in `releases`."""
    import inspect

    from openstrikes.web import create_app

    params = inspect.signature(create_app).parameters
    if "releases" in params:
        return create_app(releases=releases)
    if "releases_dir" in params:
        return create_app(releases_dir=releases)
    return create_app(releases)


@pytest.fixture(scope="session")
def app(built: Built) -> Any:
    web = pytest.importorskip("openstrikes.web", reason="the API (issue 4) is not there yet")
    if not hasattr(web, "create_app"):
        pytest.skip("the API (issue 4) is not there yet")
    return make_app(built.releases)


@pytest.fixture
def api_client(app: Any) -> Iterator[Client]:
    """A Client whose requests go into the Flask app in-process (no network)."""
    with Client(
        "http://testserver", session=session_into(app), retries=Retries(total=1, backoff=0.0)
    ) as client:
        yield client
