"""`openstrikes migrate` (1.0 -> 1.1.0, then the places registry), `fmt` and `new --place`,
on a copy of the real dataset and on fixtures."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest

from openstrikes.cli import main
from openstrikes.toolchain.migrate import migrate_event, plan_places
from openstrikes.toolchain.places import PLACE_FIELDS
from openstrikes.toolchain.validate import validate_dataset
from repo_fixtures import make_root, write_event

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-12-01T00:00:00Z"


def _records(dataset: Path, folder: str = "events") -> dict[str, dict[str, Any]]:
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted((dataset / folder).rglob("*.json"))}


# The last released dataset of schema 1.0 (release 0.1.0): the repository's own dataset is at
# 1.1 with a places registry now, so migrating it would show nothing.
RELEASE_1_0 = "ce02883a964ad25435bb3e1ced87c82cb6900d08"


@pytest.fixture
def real_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The schema 1.0 dataset of release 0.1.0 (from git) with the repository's schema/, made the
    current repository."""
    root = tmp_path / "repo"
    shutil.copytree(REPO / "schema", root / "schema")
    if shutil.which("git") is None:
        pytest.skip("git is needed to check out the released 1.0 dataset")
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", RELEASE_1_0, "dataset"], capture_output=True, check=False
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {RELEASE_1_0[:7]} is not available")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    assert main(["stats", "--write"]) == 0  # the coverage tables as the current code writes them
    return root / "dataset"


def _only_new_fields_and_version(old: dict[str, Any], new: dict[str, Any]) -> None:
    if old.get("schema_version", "").startswith("1.0"):
        assert new["schema_version"] == "1.1.0"
    rest_old = {k: v for k, v in old.items() if k not in ("schema_version", "targets")}
    rest_new = {k: v for k, v in new.items() if k not in ("schema_version", "targets", "water_body", "place")}
    assert rest_old == rest_new
    assert new.get("water_body", old.get("water_body")) == old.get("water_body")
    assert new.get("place", old.get("place")) == old.get("place")
    assert len(old["targets"]) == len(new["targets"])
    for t_old, t_new in zip(old["targets"], new["targets"], strict=True):
        assert {k: v for k, v in t_new.items() if k != "vessel"} == t_old
        assert t_new.get("vessel", t_old.get("vessel")) == t_old.get("vessel")


def test_migrating_the_real_dataset_changes_only_the_new_fields_and_the_version(
    real_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _records(real_copy)
    assert main(["migrate", "--check"]) == (1 if any(migrate_event(e) != e for e in before.values()) else 0)
    assert _records(real_copy) == before  # --check writes nothing
    assert main(["migrate"]) == 0
    after = _records(real_copy)
    assert after.keys() == before.keys()
    for key in before:
        _only_new_fields_and_version(before[key], after[key])
        assert after[key]["schema_version"] == "1.1.0"
        assert list(after[key]) == [k for k in _key_order() if k in after[key]]
    assert not (real_copy / "places").exists()  # the registry is a separate, explicit step
    assert main(["migrate"]) == 0 and _records(real_copy) == after  # idempotent
    assert main(["migrate", "--check"]) == 0
    assert validate_dataset(real_copy).problems == []
    assert main(["fmt", "--check"]) == 0


def test_the_places_step_makes_shared_locations_registry_entries(real_copy: Path) -> None:
    assert main(["migrate"]) == 0
    versioned = _records(real_copy)
    assert main(["migrate", "--places", "--now", NOW]) == 0
    places = _records(real_copy, "places")
    events = _records(real_copy)
    assert len(places) >= 5
    used: dict[str, list[dict[str, Any]]] = {}
    for event in events.values():
        if event.get("place"):
            used.setdefault(event["place"], []).append(event)
    assert set(used) == set(places)  # every entry is used ...
    for slug, group in used.items():
        assert len(group) >= 2  # ... by two or more events
        for event in group:  # which agree with it, and so with each other
            assert all(event[f] == places[slug][f] for f in PLACE_FIELDS), (slug, event["id"])
    for eid, event in events.items():  # events not placed are untouched
        if not event.get("place"):
            assert event == versioned[eid]
        elif event != {**versioned[eid], "place": event["place"]}:
            assert event["modified"] == NOW
    assert validate_dataset(real_copy).problems == []
    assert main(["migrate", "--places", "--now", NOW]) == 0  # idempotent
    assert _records(real_copy) == events and _records(real_copy, "places") == places
    assert main(["fmt", "--check"]) == 0
    assert main(["stats", "--check"]) == 0  # places are not events: the coverage tables stand


def _key_order() -> list[str]:
    return list(json.loads((REPO / "schema" / "event.schema.json").read_text())["properties"])


def test_migrate_refuses_to_write_anything_when_a_file_is_unreadable(
    real_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _records(real_copy)
    broken = real_copy / "events" / "2024" / "OS-2024-2222-2222.json"
    broken.write_text("{not json", encoding="utf-8")
    assert main(["migrate"]) == 1
    assert "nothing migrated" in capsys.readouterr().err
    broken.unlink()
    assert _records(real_copy) == before


def test_plan_groups_by_location_text_and_by_point() -> None:
    base = {
        "country": "IQ",
        "water_body": None,
        "admin1": "A",
        "admin2": None,
        "withdrawn": None,
        "place": None,
    }
    events = [
        {
            **base,
            "id": "1",
            "location": "Camp X, north of Y",
            "latitude": 33.0,
            "longitude": 44.0,
            "geo_precision": "exact",
        },
        {
            **base,
            "id": "2",
            "location": "Camp X",
            "latitude": 33.0,
            "longitude": 44.0,
            "geo_precision": "near",
        },
        {
            **base,
            "id": "3",
            "location": "Camp X",
            "latitude": 33.0,
            "longitude": 44.0,
            "geo_precision": "near",
            "admin1": None,
        },
        {
            **base,
            "id": "4",
            "location": "Elsewhere",
            "latitude": 34.0,
            "longitude": 44.0,
            "geo_precision": "near",
        },
        {
            **base,
            "id": "5",
            "location": "Admin area",
            "latitude": 33.0,
            "longitude": 44.0,
            "geo_precision": "admin1",
        },
    ]
    plan = plan_places(events, {})
    assert len(plan.entries) == 1
    entry = plan.entries[0]
    assert entry.event_ids == ["1", "2", "3"]
    assert entry.place["slug"] == "camp-x" and entry.place["name"] == "Camp X"
    assert entry.place["aliases"] == ["Camp X, north of Y"]
    assert entry.place["geo_precision"] == "near" and entry.place["admin1"] == "A"
    curated = {"camp-x": {**entry.place, "latitude": 33.001, "sources": [{"url": "https://g.example/x"}]}}
    again = plan_places(events, curated).entries[0]  # the registry's entry is used, its values win
    assert again.reused and again.place == curated["camp-x"] and again.event_ids == ["1", "2", "3"]
    by_alias = {"x-camp": {**curated["camp-x"], "slug": "x-camp", "name": "X Camp", "aliases": ["Camp X"]}}
    assert plan_places(events, by_alias).entries[0].place["slug"] == "x-camp"
    elsewhere = {"camp-x": {**curated["camp-x"], "country": "SY"}}  # the same slug in another country
    fresh = plan_places(events, elsewhere).entries[0]
    assert not fresh.reused and fresh.place["slug"] == "camp-x-2"


def test_fmt_fills_in_the_place_and_new_scaffolds_with_it(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from strategies import PLACES

    country, lat, lon, _tz = PLACES[0]
    place = {
        "slug": "baghdad-centre",
        "name": "Baghdad",
        "aliases": [],
        "country": country,
        "water_body": None,
        "admin1": "Baghdad Governorate",
        "admin2": None,
        "latitude": lat,
        "longitude": lon,
        "geo_precision": "near",
        "sources": [],
        "external_ids": {},
    }
    (repo_root / "dataset" / "places").mkdir()
    (repo_root / "dataset" / "places" / "baghdad-centre.json").write_text(json.dumps(place), encoding="utf-8")
    assert main(["fmt", "dataset/places"]) == 0
    assert main(["new", "--date", "2024-01-02", "--place", "baghdad-centre", "--no-input"]) == 0
    path = Path(capsys.readouterr().out.strip())
    created = json.loads(path.read_text("utf-8"))
    assert created["place"] == "baghdad-centre" and created["location"] == "Baghdad"
    assert all(created[f] == place[f] for f in PLACE_FIELDS)
    created.update(latitude=None, longitude=None, admin1=None, geo_precision="country")
    write_event(repo_root, created)
    assert main(["fmt"]) == 0
    fixed = json.loads(path.read_text("utf-8"))
    assert all(fixed[f] == place[f] for f in PLACE_FIELDS)
    assert main(["new", "--date", "2024-01-02", "--place", "baghdad", "--no-input"]) == 2
    assert "baghdad-centre" in capsys.readouterr().err


def test_make_root_has_no_places_and_validates(tmp_path: Path) -> None:
    root = make_root(tmp_path / "r")
    assert validate_dataset(root / "dataset").problems == []


def test_new_scaffolds_an_event_at_sea(repo_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "--date", "2024-01-09", "--water-body", "red_sea", "--no-input"]) == 0
    created = json.loads(Path(capsys.readouterr().out.strip()).read_text("utf-8"))
    assert (created["country"], created["water_body"], created["geo_precision"]) == (
        None,
        "red_sea",
        "water_body",
    )
    assert main(["new", "--date", "2024-01-09", "--water-body", "north_sea", "--no-input"]) == 2
    assert "red_sea" in capsys.readouterr().err
    assert (
        main(["new", "--date", "2024-01-09", "--water-body", "red_sea", "--country", "YE", "--no-input"]) == 2
    )
