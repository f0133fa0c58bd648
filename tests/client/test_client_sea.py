"""The client and schema 1.1: places, ships and events at sea online and offline with the same
answers, and a client pinned to a schema 1.0 release (0.1.0) served beside a 1.1 release."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest_api import build_legacy_release

from client_fakes import Built, session_into
from openstrikes_client import Client, Retries, open_release


def test_places_online_and_offline_agree(api_client: Client, built: Built) -> None:
    online = api_client.places.list()
    with open_release(built.package) as rel:
        offline = rel.places.list()
        assert online == offline and online
        for place in online:
            assert api_client.places.get(place.slug) == rel.places.get(place.slug)


@pytest.mark.parametrize("group_by", [["water_body"], ["place"], ["country", "water_body"]])
def test_aggregates_by_body_of_water_and_place_agree(
    api_client: Client, built: Built, group_by: list[str]
) -> None:
    with open_release(built.package) as rel:
        assert api_client.aggregates(group_by, include_withdrawn=True) == rel.aggregates(
            group_by, include_withdrawn=True
        )


def test_ship_filters_agree_and_select_what_they_say(api_client: Client, built: Built) -> None:
    ships = [
        (i, t["vessel"])
        for i, e in built.events.items()
        if not e["withdrawn"]
        for t in e["targets"]
        if t.get("vessel")
    ]
    imo = next(s["imo"] for _i, s in ships if s["imo"])
    expected = sorted({i for i, s in ships if s["imo"] == imo})
    with open_release(built.package) as rel:
        assert [e.id for e in rel.events.iter(vessel=imo)] == expected
    assert [e.id for e in api_client.events.iter(vessel=imo)] == expected


@pytest.fixture(scope="module")
def two_releases(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A releases directory with a schema 1.0 release 0.1.0 built by the code of that time, and
    the synthetic 1.1 dataset built as 0.2.0."""
    from server_side import build_package

    tmp = tmp_path_factory.mktemp("two")
    releases = tmp / "releases"
    build_legacy_release(tmp, 50, seed=4, releases=releases)
    dataset = tmp / "repo" / "dataset"
    shutil.copytree(built.dataset, dataset)
    meta = (dataset / "datapackage.json").read_text("utf-8").replace('"0.1.0"', '"0.2.0"')
    (dataset / "datapackage.json").write_text(meta, encoding="utf-8")
    build_package(dataset, releases, progress=False)
    return releases


@pytest.fixture
def pinned(two_releases: Path, tmp_path: Path) -> Iterator[Client]:
    from server_side import create_app

    app = create_app(two_releases, cache_dir=tmp_path / "cache")
    with Client(
        "http://testserver", release="0.1.0", session=session_into(app), retries=Retries(total=1, backoff=0.0)
    ) as client:
        yield client


def test_a_client_pinned_to_a_schema_1_0_release_still_works(pinned: Client, two_releases: Path) -> None:
    legacy = next(p for p in two_releases.iterdir() if p.name.endswith("-0.1.0"))
    with open_release(legacy) as rel:
        offline = list(rel.events.iter(include_withdrawn=True))
        assert rel.places.list() == []
    online = list(pinned.events.iter(include_withdrawn=True))
    assert [e.id for e in online] == [e.id for e in offline] and online
    for event in online[:20]:
        assert event.water_body is None and event.place is None and event.country is not None
        record: dict[str, Any] = event.to_dict()
        assert "water_body" not in record and "place" not in record  # a 1.0 record stays one
        assert pinned.events.get(event.id) == event
    assert pinned.places.list() == []
    assert pinned.release_info().version == "0.1.0"
    assert pinned.aggregates(["country"]) == rel_aggregates(legacy)
    assert list(pinned.events.iter(at_sea=True)) == []


def rel_aggregates(path: Path) -> Any:
    with open_release(path) as rel:
        return rel.aggregates(["country"])
