"""The API and schema 1.1: events at sea and their ships, the places registry, and a schema 1.0
release (0.1.0, built by the code of that time) served beside a 1.1 release (0.2.0)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest_api import Release, build_legacy_release, build_release

from openstrikes.web import create_app

N = 200


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("sea"), N, seed=9, version="0.2.0")


@pytest.fixture(scope="module")
def legacy(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_legacy_release(tmp_path_factory.mktemp("legacy"), 60, seed=3, releases=rel.root)


@pytest.fixture(scope="module")
def client(rel: Release, legacy: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(rel.root, cache_dir=tmp_path_factory.mktemp("index")).test_client()


def _live(rel: Release) -> list[dict[str, Any]]:
    return [e for e in rel.events.values() if e["withdrawn"] is None]


def test_the_release_holds_events_at_sea_ships_and_places(rel: Release) -> None:
    at_sea = [e for e in rel.events.values() if e.get("water_body")]
    assert at_sea and all(e["country"] is None for e in at_sea)
    assert any(t.get("vessel") for e in at_sea for t in e["targets"])
    assert any(e.get("place") for e in rel.events.values())
    assert any("water_body" not in e for e in rel.events.values())  # 1.0 records too


def test_places_list_and_one_place_with_its_events(client: Any, rel: Release) -> None:
    places_dir = rel.package.parent.parent / "repo-0.2.0" / "dataset" / "places"
    registry = {p.stem: json.loads(p.read_text("utf-8")) for p in places_dir.glob("*.json")}
    body = client.get("/v1/places").get_json()
    assert body["total"] == len(registry) and [p["slug"] for p in body["items"]] == sorted(registry)
    assert all(p == registry[p["slug"]] for p in body["items"])
    used = sorted({e["place"] for e in _live(rel) if e.get("place")})
    for slug in used:
        one = client.get(f"/v1/places/{slug}").get_json()
        assert one["place"] == registry[slug]
        expected = sorted(
            (e for e in _live(rel) if e.get("place") == slug), key=lambda e: (e["date_start"], e["id"])
        )
        assert one["events"] == expected and one["total"] == len(expected)
        pinned = client.get(f"/v1/releases/0.2.0/places/{slug}").get_json()
        assert pinned == one
    missing = client.get("/v1/places/no-such-place")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_place"


def test_events_with_no_country_in_every_format(client: Any, rel: Release) -> None:
    at_sea = sorted(e["id"] for e in _live(rel) if e.get("water_body"))
    page = client.get("/v1/events", query_string={"at_sea": "true", "page_size": "1000"}).get_json()
    assert [e["id"] for e in page["items"]] == at_sea
    text = client.get("/v1/events", query_string={"at_sea": "true", "format": "csv"}).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["id"] for r in rows] == at_sea and all(r["country"] == "" and r["water_body"] for r in rows)
    geo = client.get("/v1/events", query_string={"at_sea": "true", "format": "geojson"}).get_json()
    assert [f["id"] for f in geo["features"]] == at_sea
    for f in geo["features"]:
        e = rel.events[f["id"]]
        expected = None if e["latitude"] is None else [e["longitude"], e["latitude"]]
        assert (f["geometry"] or {}).get("coordinates") == expected
    nd = client.get("/v1/events", query_string={"at_sea": "true", "format": "ndjson"}).get_data(as_text=True)
    assert [json.loads(line)["id"] for line in nd.splitlines()] == at_sea
    box = client.get(
        "/v1/events", query_string={"bbox": "32,10,45,28", "at_sea": "true", "page_size": "1000"}
    )
    located = [
        e["id"]
        for e in _live(rel)
        if e.get("water_body")
        and e["latitude"] is not None
        and 10 <= e["latitude"] <= 28
        and 32 <= e["longitude"] <= 45
    ]
    assert sorted(e["id"] for e in box.get_json()["items"]) == sorted(located)


def test_aggregates_group_events_at_sea_under_a_null_country(client: Any, rel: Release) -> None:
    body = client.get("/v1/aggregates?group_by=country,water_body").get_json()
    counts = {(r["country"], r["water_body"]): r["events"] for r in body["items"]}
    expected: dict[tuple[Any, Any], int] = {}
    for e in _live(rel):
        key = (e["country"], e.get("water_body"))
        expected[key] = expected.get(key, 0) + 1
    assert counts == expected
    assert any(c is None for c, _w in counts)


def test_vessel_and_flag_filters(client: Any, rel: Release) -> None:
    ships = [(e["id"], t["vessel"]) for e in _live(rel) for t in e["targets"] if t.get("vessel")]
    with_imo = next(s for _i, s in ships if s["imo"])
    by_imo = client.get(
        "/v1/events", query_string={"vessel": with_imo["imo"], "page_size": "1000"}
    ).get_json()
    assert sorted(e["id"] for e in by_imo["items"]) == sorted(
        {i for i, s in ships if s["imo"] == with_imo["imo"]}
    )
    by_name = client.get("/v1/events", query_string={"vessel": with_imo["name"].lower(), "page_size": "1000"})
    assert sorted(e["id"] for e in by_name.get_json()["items"]) == sorted(
        {i for i, s in ships if s["name"] == with_imo["name"]}
    )
    flag = next(s["flag"] for _i, s in ships if s["flag"])
    by_flag = client.get("/v1/events", query_string={"flag": flag, "page_size": "1000"}).get_json()
    assert sorted(e["id"] for e in by_flag["items"]) == sorted({i for i, s in ships if s["flag"] == flag})
    bad = client.get("/v1/events?water_body=north_sea")
    assert bad.status_code in (400, 422) and bad.get_json()["error"]["parameter"] == "water_body"
    assert client.get("/v1/events?at_sea=maybe").status_code in (400, 422)


def test_a_schema_1_0_release_is_served_beside_a_1_1_release_each_with_its_own_schema(client: Any) -> None:
    releases = client.get("/v1/releases").get_json()
    assert {r["version"] for r in releases["items"]} == {"0.1.0", "0.2.0"} and releases["latest"] == "0.2.0"
    old = client.get("/v1/releases/0.1.0/files/event.schema.json").get_json()
    new = client.get("/v1/releases/0.2.0/files/event.schema.json").get_json()
    assert old["x-schema-version"] == "1.0.0" and "water_body" not in old["properties"]
    assert new["x-schema-version"] == "1.1.0" and "water_body" in new["properties"]
    assert client.get("/v1/releases/0.1.0/files/places.csv").status_code == 404
    old_events = client.get("/v1/releases/0.1.0/events?page_size=1000").get_json()
    assert old_events["total"] > 0 and all("water_body" not in e for e in old_events["items"])
    assert client.get("/v1/releases/0.1.0/events?at_sea=true").get_json()["total"] == 0
    assert client.get("/v1/releases/0.1.0/events?at_sea=false").get_json()["total"] == old_events["total"]
    assert client.get("/v1/releases/0.1.0/places").get_json() == {"items": [], "total": 0}
    agg = client.get("/v1/releases/0.1.0/aggregates?group_by=water_body").get_json()
    assert agg["items"] == [{**agg["items"][0], "water_body": None}]
    one = old_events["items"][0]
    assert client.get(f"/v1/releases/0.1.0/events/{one['id']}").get_json() == one
    assert client.get(f"/v1/events/{one['id']}").status_code == 404  # the latest is another release


def test_post_validate_knows_the_places_and_the_ships(client: Any, rel: Release) -> None:
    """POST /v1/validate checks an event against the latest release's places registry."""
    placed = next(e for e in _live(rel) if e.get("place") and e["latitude"] is not None)
    assert client.post("/v1/validate", json=placed).get_json() == {"valid": True, "problems": []}
    moved = dict(placed, latitude=placed["latitude"] + 0.01)
    body = client.post("/v1/validate", json=moved).get_json()
    assert [(p["code"], p["pointer"]) for p in body["problems"]] == [("OS334", "/latitude")]
    unknown = dict(placed, place="no-such-place")
    assert [p["code"] for p in client.post("/v1/validate", json=unknown).get_json()["problems"]] == ["OS333"]
    ship = next(e for e in _live(rel) if any((t.get("vessel") or {}).get("imo") for t in e["targets"]))
    targets = [dict(t) for t in ship["targets"]]
    vessel = dict(next(t["vessel"] for t in targets if (t.get("vessel") or {}).get("imo")))
    vessel["imo"] = vessel["imo"][:6] + str((int(vessel["imo"][6]) + 1) % 10)
    targets = [dict(t, vessel=vessel) if t.get("vessel") else t for t in targets]
    body = client.post("/v1/validate", json=dict(ship, targets=targets)).get_json()
    assert "OS328" in {p["code"] for p in body["problems"]}
