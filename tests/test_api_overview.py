"""GET /v1/grid and /v1/histogram (the explorer's map and timeline) against a plain-Python oracle
over the records of a synthetic release; the explorer's pages and files, in process."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import pytest
from conftest_api import Release, build_release

from openstrikes.web import create_app

N = 400


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("overview"), N, seed=5)


@pytest.fixture(scope="module")
def client(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(rel.root, cache_dir=tmp_path_factory.mktemp("index")).test_client()


def live(rel: Release) -> list[dict[str, Any]]:
    return [e for e in rel.events.values() if not e.get("withdrawn")]


@pytest.mark.parametrize("cell", [2, 7.5, 45, 90])
def test_grid_counts_every_located_event_in_its_cell(client: Any, rel: Release, cell: float) -> None:
    body = client.get(f"/v1/grid?cell={cell}").get_json()
    want: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    unlocated = 0
    for e in live(rel):
        if e["latitude"] is None or e["longitude"] is None:
            unlocated += 1
            continue
        key = (math.floor((e["latitude"] + 90) / cell), math.floor((e["longitude"] + 180) / cell))
        want[key][e["strike_type"]] += 1
    got = {}
    for c in body["items"]:
        key = (round((c["south"] + 90) / cell), round((c["west"] + 180) / cell))
        got[key] = Counter(c["by_strike_type"])
        assert c["events"] == sum(c["by_strike_type"].values())
        assert c["south"] <= c["lat"] <= c["north"] and c["west"] <= c["lon"] <= c["east"]
    assert got == want
    assert body["total"] == len(live(rel)) and body["unlocated"] == unlocated


def test_grid_killed_sums_are_ranges_and_unknown_is_counted(client: Any, rel: Release) -> None:
    body = client.get("/v1/grid?cell=90").get_json()
    located = [e for e in live(rel) if e["latitude"] is not None and e["longitude"] is not None]
    killed = [(e.get("casualties") or {}).get("killed") for e in located]
    assert sum(c["killed_unknown"] for c in body["items"]) == sum(k is None for k in killed)
    assert sum(c["killed"]["min"] for c in body["items"]) == sum(k["min"] for k in killed if k)
    assert sum(c["killed"]["max"] for c in body["items"]) == sum(k["max"] for k in killed if k)


def test_grid_filters_and_bbox(client: Any, rel: Release) -> None:
    body = client.get("/v1/grid?cell=1&bbox=30,20,60,45&status=declared").get_json()
    want = [
        e
        for e in live(rel)
        if e["status"] == "declared"
        and e["latitude"] is not None
        and e["longitude"] is not None
        and 20 <= e["latitude"] <= 45
        and 30 <= e["longitude"] <= 60
    ]
    assert sum(c["events"] for c in body["items"]) == len(want)


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("", 422, "invalid_value"),
        ("cell=0", 422, "invalid_value"),
        ("cell=abc", 422, "invalid_value"),
        ("cell=0.01", 422, "too_many_cells"),
        ("cell=1&colour=red", 400, "unknown_parameter"),
        ("cell=1&group_by=country", 400, "unknown_parameter"),
    ],
)
def test_grid_refuses_bad_input(client: Any, query: str, status: int, code: str) -> None:
    resp = client.get(f"/v1/grid?{query}")
    assert resp.status_code == status
    assert resp.get_json()["error"]["code"] == code


def _bucket(day: str, interval: str) -> str:
    d = date.fromisoformat(day)
    if interval == "month":
        return d.replace(day=1).isoformat()
    if interval == "week":
        return (d - timedelta(days=d.weekday())).isoformat()
    return day


@pytest.mark.parametrize("interval", ["month", "week", "day"])
def test_histogram_agrees_with_the_records(client: Any, rel: Release, interval: str) -> None:
    body = client.get(f"/v1/histogram?interval={interval}&outcome=impact").get_json()
    want: dict[str, Counter[str]] = defaultdict(Counter)
    for e in live(rel):
        if e["outcome"] == "impact":
            want[_bucket(e["date_start"], interval)][e["strike_type"]] += 1
    assert body["interval"] == interval
    assert [b["start"] for b in body["items"]] == sorted(want)
    assert {b["start"]: Counter(b["by_strike_type"]) for b in body["items"]} == want
    assert all(b["events"] == sum(b["by_strike_type"].values()) for b in body["items"])


def test_histogram_default_interval_and_pinned_release(client: Any) -> None:
    a = client.get("/v1/histogram").get_json()
    b = client.get("/v1/releases/0.1.0/histogram?interval=month").get_json()
    assert a == b and a["interval"] == "month"
    assert client.get("/v1/histogram?interval=year").status_code == 422
    assert client.get("/v1/releases/9.9.9/histogram").status_code == 404


def test_pages_carry_a_same_origin_policy(client: Any, rel: Release) -> None:
    some = sorted(rel.events)[0]
    for url in ("/", "/releases/0.1.0/", f"/events/{some}", f"/releases/0.1.0/events/{some}"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        policy = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "http" not in policy  # no other origin without an operator's tile server
    assert client.get("/releases/9.9.9/").status_code == 404
    assert client.get("/events/nope").status_code == 404
    assert client.get("/explorer/static/../app.py").status_code == 404


def test_event_page_shows_every_claim_and_source(client: Any, rel: Release) -> None:
    e = next(x for x in rel.events.values() if x.get("casualty_claims") and x.get("sources"))
    html = client.get(f"/events/{e['id']}").get_data(as_text=True)
    for s in e["sources"]:
        assert s["url"].replace("&", "&amp;") in html
    for c in e["casualty_claims"]:
        assert (c.get("claimant") or "—") in html


def test_operator_tile_server_is_allowed_for_images_only(
    rel: Release, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENSTRIKES_TILE_URL", "https://tiles.example.org/{z}/{x}/{y}.png")
    c = create_app(rel.root, cache_dir=tmp_path_factory.mktemp("index2")).test_client()
    resp = c.get("/")
    policy = resp.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.org" in policy
    assert "connect-src 'self';" in policy
    assert b'data-tile="https://tiles.example.org/{z}/{x}/{y}.png"' in resp.data


def test_boundaries_are_generated_once_and_cached(client: Any) -> None:
    resp = client.get("/explorer/boundaries.geojson")
    assert resp.status_code == 200
    body = resp.get_json()
    codes = {f["properties"]["iso"] for f in body["features"]}
    assert {"IQ", "SY", "YE", "IL"} <= codes
    assert client.get("/explorer/boundaries.geojson").get_data() == resp.get_data()


def test_overviews_answer_304_to_their_etag(client: Any) -> None:
    for url in ("/v1/grid?cell=10&status=declared", "/v1/histogram?interval=week"):
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert client.get(url).get_data() == first.get_data()
