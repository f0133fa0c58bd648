"""The API in process (Flask test client): every filter against a plain-Python oracle, pages and
cursors, formats and streaming, errors, HTTP manners (ETag, gzip, CORS, caching), downloads."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import math
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest_api import Release, build_release
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openstrikes.index.filters import FILTERS
from openstrikes.index.params import MAX_PAGE_SIZE, params_for
from openstrikes.schema_files import event_schema
from openstrikes.web import create_app

EVENTS_PARAMS = params_for(event_schema()).events

N = 300
ERROR_SHAPE = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["status", "code", "message", "parameter", "details"],
            "properties": {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "code": {"type": "string", "pattern": "^[a-z_]+$"},
                "message": {"type": "string", "minLength": 5},
                "parameter": {"type": ["string", "null"]},
                "details": {},
            },
        }
    },
}


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("api"), N, seed=7)


@pytest.fixture(scope="module")
def app(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return create_app(rel.root, cache_dir=tmp_path_factory.mktemp("index"))


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


# --- the oracle ---------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    out, cur = [], ""
    for ch in text.lower():
        if ch.isalnum():
            cur += ch
        elif cur:
            out.append(cur)
            cur = ""
    return [*out, cur] if cur else out


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def from_utc(stamp: str) -> str:
    from datetime import UTC, datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(UTC).isoformat()


def matches(e: dict[str, Any], f: dict[str, str], actors: dict[str, dict[str, Any]]) -> bool:
    """Does event e pass the query-string filters f? Written from the docs, independently of the SQL."""
    if f.get("include_withdrawn") != "true" and e["withdrawn"] is not None:
        return False

    def ids_for(v: str) -> set[str]:
        return {v} | {
            a["id"]
            for a in actors.values()
            if v.casefold() in {n.casefold() for n in [a["id"], a["name"], *a["aliases"]]}
        }

    def rng(name: str, bound: str) -> int | None:
        r = e["casualties"].get(name)
        return None if r is None else r[bound]

    for k, v in f.items():
        field, _, op = k.partition("__")
        if k == "include_withdrawn" or k == "radius_km":
            continue
        if field in ("date_start", "date_end"):
            if not (e[field] >= v if op == "gte" else e[field] <= v):
                return False
        elif field in (
            "country",
            "admin1",
            "strike_type",
            "status",
            "outcome",
            "geo_precision",
            "operation",
            "water_body",
            "place",
        ):
            if op == "in":
                if e.get(field) not in v.split(","):
                    return False
            elif e.get(field) != v:
                return False
        elif field in ("actor", "attacker", "target"):
            ids = {i for x in (v.split(",") if op == "in" else [v]) for i in ids_for(x)}
            att = any(a["actor"] in ids for a in e["attackers"])
            tgt = any(t.get("actor") in ids for t in e["targets"])
            if not {"actor": att or tgt, "attacker": att, "target": tgt}[field]:
                return False
        elif field in ("attacker_group", "target_group", "attacker_country", "target_country"):
            role = field.split("_")[0]
            mine = (
                [a["actor"] for a in e["attackers"]]
                if role == "attacker"
                else [t["actor"] for t in e["targets"] if t.get("actor")]
            )
            wanted = v.split(",") if op == "in" else [v]
            if field.endswith("_country"):
                if not any(actors[i]["country"] in wanted for i in mine):
                    return False
            else:
                roots = {i for x in wanted for i in ids_for(x)}

                def ancestors(aid: str) -> set[str]:
                    line = {aid}
                    while actors.get(aid, {}).get("parent"):
                        aid = actors[aid]["parent"]
                        line.add(aid)
                    return line

                if not any(ancestors(i) & roots for i in mine):
                    return False
        elif field in ("killed", "injured", "civilians_killed"):
            x = rng(field, "max" if op == "gte" else "min")
            if x is None or not (x >= int(v) if op == "gte" else x <= int(v)):
                return False
        elif field == "tag":
            if v not in (e.get("tags") or []):
                return False
        elif field == "q":
            text = " ".join(
                [
                    e.get("summary") or "",
                    e.get("location") or "",
                    e.get("admin1") or "",
                    e.get("admin2") or "",
                ]
                + [e.get("operation") or ""]
                + [s.get("title") or "" for s in e["sources"]]
            )
            if not set(words(v)) <= set(words(text)):
                return False
        elif field == "bbox":
            x0, y0, x1, y1 = map(float, v.split(","))
            lat, lon = e["latitude"], e["longitude"]
            if lat is None or lon is None or not (y0 <= lat <= y1 and x0 <= lon <= x1):
                return False
        elif field == "near":
            lat0, lon0 = map(float, v.split(","))
            lat, lon = e["latitude"], e["longitude"]
            if lat is None or lon is None or haversine(lat0, lon0, lat, lon) > float(f["radius_km"]):
                return False
        elif field == "modified_since":
            if from_utc(e["modified"]) < from_utc(v):
                return False
        elif field == "at_sea":
            if (e.get("water_body") is not None) != (v == "true"):
                return False
        elif field in ("vessel", "flag"):
            ships = [t["vessel"] for t in e["targets"] if t.get("vessel")]
            if field == "vessel" and not any(
                s["imo"] == v or s["name"].casefold() == v.casefold() for s in ships
            ):
                return False
            if field == "flag" and not any(s["flag"] == v for s in ships):
                return False
        else:
            raise AssertionError(f"the oracle does not know {k}")
    return True


def oracle(rel: Release, f: dict[str, str], sort: str = "id") -> list[str]:
    hits = [e for e in rel.events.values() if matches(e, f, rel.actors)]
    field = sort.lstrip("-")

    def key(e: dict[str, Any]) -> tuple[Any, str]:
        if field in ("killed", "injured", "civilians_killed"):
            r = e["casualties"].get(field)
            return (-1 if r is None else r["max"], e["id"])
        return (e[field], e["id"])

    hits.sort(key=key, reverse=sort.startswith("-"))
    return [e["id"] for e in hits]


# --- strategies over the data -------------------------------------------------------------------


@st.composite
def filters(draw: st.DrawFn, rel: Release) -> dict[str, str]:
    evs = list(rel.events.values())
    pick = lambda xs: draw(st.sampled_from(sorted(set(xs), key=str)))  # noqa: E731
    ev = lambda: draw(st.sampled_from(evs))  # noqa: E731
    options: dict[str, Any] = {
        "date_start__gte": lambda: ev()["date_start"],
        "date_start__lte": lambda: ev()["date_start"],
        "date_end__gte": lambda: ev()["date_end"],
        "date_end__lte": lambda: ev()["date_end"],
        "country": lambda: pick([e["country"] for e in evs if e["country"]] + ["ZZ"]),
        "country__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(["IQ", "SY", "YE", "ZZ"]), min_size=1, max_size=3))
        ),
        "admin1": lambda: pick([e.get("admin1") or "Anbar" for e in evs]),
        "actor": lambda: pick(rel.actors),
        "attacker": lambda: draw(
            st.sampled_from([a["name"].upper() for a in rel.actors.values()] + list(rel.actors))
        ),
        "target": lambda: pick(rel.actors),
        "attacker__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(sorted(rel.actors)), min_size=1, max_size=3))
        ),
        "target__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(sorted(rel.actors)), min_size=1, max_size=3))
        ),
        "attacker_group": lambda: pick(rel.actors),
        "attacker_group__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(sorted(rel.actors)), min_size=1, max_size=2))
        ),
        "target_group": lambda: pick(rel.actors),
        "target_group__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(sorted(rel.actors)), min_size=1, max_size=2))
        ),
        "attacker_country": lambda: draw(st.sampled_from(["US", "IQ", "IR", "ZZ"])),
        "attacker_country__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(["US", "IQ", "IR", "ZZ"]), min_size=1, max_size=2))
        ),
        "target_country": lambda: draw(st.sampled_from(["US", "IQ", "IR", "ZZ"])),
        "target_country__in": lambda: ",".join(
            draw(st.lists(st.sampled_from(["US", "IQ", "IR", "ZZ"]), min_size=1, max_size=2))
        ),
        "strike_type": lambda: pick([e["strike_type"] for e in evs]),
        "strike_type__in": lambda: ",".join(sorted({ev()["strike_type"], ev()["strike_type"]})),
        "status": lambda: pick([e["status"] for e in evs]),
        "status__in": lambda: ",".join(sorted({ev()["status"], ev()["status"]})),
        "outcome": lambda: pick([e["outcome"] for e in evs]),
        "outcome__in": lambda: ",".join(sorted({ev()["outcome"], ev()["outcome"]})),
        "geo_precision": lambda: pick([e["geo_precision"] for e in evs]),
        "geo_precision__in": lambda: ",".join(sorted({ev()["geo_precision"], ev()["geo_precision"]})),
        "killed__gte": lambda: str(draw(st.integers(0, 9))),
        "killed__lte": lambda: str(draw(st.integers(0, 9))),
        "injured__gte": lambda: str(draw(st.integers(0, 12))),
        "injured__lte": lambda: str(draw(st.integers(0, 12))),
        "civilians_killed__gte": lambda: str(draw(st.integers(0, 4))),
        "civilians_killed__lte": lambda: str(draw(st.integers(0, 4))),
        "tag": lambda: draw(st.sampled_from(["synthetic", "benchmark", "border", "none-such"])),
        "operation": lambda: draw(st.sampled_from(["operation-synthetic", "other-op"])),
        "q": lambda: " ".join(
            draw(st.lists(st.sampled_from([*words(ev()["summary"]), "Anbar", "zzz"]), min_size=1, max_size=2))
        ),
        "bbox": lambda: "{},{},{},{}".format(*_box(draw)),
        "near": lambda: f"{draw(st.floats(28, 38))},{draw(st.floats(38, 48))}",
        "modified_since": lambda: ev()["modified"],
        "include_withdrawn": lambda: draw(st.sampled_from(["true", "false"])),
        "water_body": lambda: pick([e.get("water_body") or "red_sea" for e in evs]),
        "water_body__in": lambda: ",".join(sorted({ev().get("water_body") or "caspian_sea", "red_sea"})),
        "at_sea": lambda: draw(st.sampled_from(["true", "false"])),
        "place": lambda: pick([e.get("place") or "no-such-place" for e in evs]),
        "vessel": lambda: pick([*_ship_keys(evs), "Nobody"]),
        "flag": lambda: pick([s["flag"] or "ZZ" for e in evs for s in _ships(e)] + ["ZZ"]),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), max_size=3, unique=True))
    out = {name: options[name]() for name in chosen}
    if "near" in out:
        out["radius_km"] = str(draw(st.sampled_from([1, 50, 200, 800])))
    return out


def _ships(e: dict[str, Any]) -> list[dict[str, Any]]:
    return [t["vessel"] for t in e["targets"] if t.get("vessel")]


def _ship_keys(evs: list[dict[str, Any]]) -> list[str]:
    """Names (in another case) and IMO numbers of the ships the events name."""
    return [k for e in evs for s in _ships(e) for k in (s["name"].upper(), s["imo"]) if k]


def _box(draw: st.DrawFn) -> tuple[float, float, float, float]:
    lons = sorted(draw(st.lists(st.floats(30, 55), min_size=2, max_size=2)))
    lats = sorted(draw(st.lists(st.floats(20, 42), min_size=2, max_size=2)))
    return lons[0], lats[0], lons[1], lats[1]


def walk(client: Any, params: dict[str, str], *, by: str) -> Iterator[dict[str, Any]]:
    """Every page of a query, following next_cursor (by="cursor") or page numbers (by="page")."""
    body = client.get("/v1/events", query_string=params).get_json()
    seen_pages = 0
    while True:
        assert "error" not in body, body
        yield body
        seen_pages += 1
        assert seen_pages <= N + 1
        if body["next_cursor"] is None:
            assert body["next"] is None
            return
        if by == "cursor":
            resp = client.get("/v1/events", query_string={**params, "cursor": body["next_cursor"]})
        else:
            resp = client.get(body["next"])
        assert resp.status_code == 200, resp.get_data(as_text=True)
        body = resp.get_json()


@settings(max_examples=70, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_page_of_a_random_query_agrees_with_the_oracle(
    client: Any, rel: Release, data: st.DataObject
) -> None:
    f = data.draw(filters(rel))
    sort = data.draw(
        st.sampled_from(
            ["id", "-id", "date_start", "-date_start", "date_end", "-modified", "killed", "-killed"]
        )
    )
    size = data.draw(st.integers(1, 80))
    by = data.draw(st.sampled_from(["cursor", "page"]))
    expected = oracle(rel, f, sort)
    got: list[str] = []
    for body in walk(client, {**f, "sort": sort, "page_size": str(size)}, by=by):
        assert body["total"] == len(expected)
        assert body["page_size"] == size
        assert len(body["items"]) <= size
        got += [e["id"] for e in body["items"]]
        for e in body["items"]:
            assert e == rel.events[e["id"]]  # exactly the record of the file
    assert got == expected


@pytest.mark.parametrize("f", [flt for flt in FILTERS])
def test_each_filter_narrows_and_agrees(client: Any, rel: Release, f: Any) -> None:
    """Every filter of the table, alone, on a value that selects some but not all events."""
    samples = {
        "date_start": ("gte", "2000-06-01"),
        "date_end": ("lte", "2000-06-01"),
        "country": ("eq", "SY"),
        "admin1": ("eq", "Anbar"),
        "actor": ("eq", sorted(rel.actors)[0]),
        "attacker": ("eq", rel.actors[sorted(rel.actors)[1]]["name"].lower()),
        "target": (
            "eq",
            next(t["actor"] for e in rel.events.values() for t in e["targets"] if t.get("actor")),
        ),
        "attacker_group": ("eq", "synthetic-actor-a-01"),
        "attacker_country": ("in", "IQ,IL"),
        "target_group": ("in", "synthetic-actor-b-02,synthetic-actor-a-03"),
        "target_country": ("eq", "US"),
        "strike_type": ("in", "airstrike,missile"),
        "status": ("eq", "claimed"),
        "outcome": ("in", "impact,failed"),
        "geo_precision": ("eq", "exact"),
        "killed": ("gte", "4"),
        "injured": ("lte", "5"),
        "civilians_killed": ("gte", "1"),
        "tag": ("eq", "border"),
        "operation": ("eq", "operation-synthetic"),
        "q": ("eq", "rocket"),
        "bbox": ("eq", "35,25,45,36"),
        "near": ("eq", "33.5,44.5"),
        "radius_km": ("eq", "300"),
        "modified_since": ("eq", "2000-09-01T00:00:00+03:00"),
        "include_withdrawn": ("eq", "true"),
        "water_body": ("in", "red_sea,gulf_of_aden"),
        "at_sea": ("eq", "true"),
        "place": ("eq", next(e["place"] for e in rel.events.values() if e.get("place"))),
        "vessel": ("eq", _ship_keys(list(rel.events.values()))[0]),
        "flag": ("eq", "MH"),
    }
    op, value = samples[f.field]
    params = {f.param(op): value}
    if f.field in ("near", "radius_km"):
        params = {"near": "33.5,44.5", "radius_km": "300"}
    expected = oracle(rel, params)
    assert 0 < len(expected) < N or f.field == "include_withdrawn"
    got = [
        e["id"] for body in walk(client, {**params, "page_size": "1000"}, by="cursor") for e in body["items"]
    ]
    assert got == expected


def test_withdrawn_left_out_unless_asked_and_marked_when_fetched(client: Any, rel: Release) -> None:
    withdrawn = [i for i, e in rel.events.items() if e["withdrawn"]]
    assert withdrawn
    body = client.get("/v1/events", query_string={"page_size": 1000}).get_json()
    assert body["total"] == N - len(withdrawn)
    one = client.get(f"/v1/events/{withdrawn[0]}").get_json()
    assert one["withdrawn"]["reason"] and one == rel.events[withdrawn[0]]


# --- pagination details ---------------------------------------------------------------------------


def test_headers_of_a_page(client: Any) -> None:
    resp = client.get("/v1/events?page=2&page_size=10&country=IQ")
    meta = json.loads(resp.headers["X-Pagination"])
    assert meta["page"] == 2 and meta["page_size"] == 10 and meta["previous_page"] == 1
    assert 'rel="next"' in resp.headers["Link"] and 'rel="prev"' in resp.headers["Link"]
    assert resp.get_json()["page"] == 2


def test_a_cursor_belongs_to_its_query(client: Any) -> None:
    body = client.get("/v1/events?page_size=5&country=IQ").get_json()
    other = client.get(f"/v1/events?page_size=5&country=SY&cursor={body['next_cursor']}")
    assert other.status_code == 400 and other.get_json()["error"]["parameter"] == "cursor"
    both = client.get(f"/v1/events?page_size=5&country=IQ&page=2&cursor={body['next_cursor']}")
    assert both.status_code == 400


def test_page_size_above_the_maximum_is_refused_not_clamped(client: Any) -> None:
    resp = client.get(f"/v1/events?page_size={MAX_PAGE_SIZE + 1}")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["parameter"] == "page_size"


# --- fields and formats ---------------------------------------------------------------------------


def test_fields_trims_records(client: Any, rel: Release) -> None:
    body = client.get("/v1/events?fields=country,date_start&page_size=3").get_json()
    for e in body["items"]:
        assert list(e) == ["id", "date_start", "country"]
        assert e["country"] == rel.events[e["id"]]["country"]
    bad = client.get("/v1/events?fields=country,nope")
    assert bad.status_code == 422 and "nope" in bad.get_json()["error"]["message"]


def _lines_of_package(rel: Release) -> dict[str, bytes]:
    lines = (rel.package / "events.ndjson").read_bytes().splitlines()
    return {json.loads(x)["id"]: x for x in lines}


def test_ndjson_streams_the_exact_lines_of_the_package(client: Any, rel: Release) -> None:
    resp = client.get("/v1/events?format=ndjson&include_withdrawn=true&country=IQ")
    assert resp.is_streamed and resp.mimetype == "application/x-ndjson"
    lines = resp.get_data().splitlines()
    package = _lines_of_package(rel)
    assert lines == [package[i] for i in oracle(rel, {"include_withdrawn": "true", "country": "IQ"})]


def test_csv_streams_the_rows_of_the_package(client: Any, rel: Release) -> None:
    resp = client.get(
        "/v1/events", query_string={"include_withdrawn": "true"}, headers={"Accept": "text/csv"}
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.get_data() == (rel.package / "events.csv").read_bytes()


def test_geojson_is_a_feature_collection(client: Any, rel: Release) -> None:
    doc = json.loads(client.get("/v1/events?format=geojson&tag=border").get_data())
    assert doc["type"] == "FeatureCollection"
    assert [f["id"] for f in doc["features"]] == oracle(rel, {"tag": "border"})
    for feat in doc["features"]:
        e = rel.events[feat["id"]]
        assert feat["properties"] == e
        assert (feat["geometry"] is None) == (e["latitude"] is None)


def test_streams_refuse_paging_arguments(client: Any) -> None:
    resp = client.get("/v1/events?format=csv&page=2")
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "page"


def test_a_late_failure_breaks_the_stream(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first batch, an error must not end the body cleanly: it propagates to the server."""
    import openstrikes.index.pages as pages
    import openstrikes.web.events as ev

    monkeypatch.setattr(pages, "STREAM_BATCH", 10)
    calls = {"n": 0}
    real = ev._csv_rows

    def flaky(bodies: list[bytes], *rest: Any) -> bytes:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk went away")
        return real(bodies, *rest)

    monkeypatch.setattr(ev, "_csv_rows", flaky)
    resp = client.get("/v1/events?format=csv", buffered=False)
    assert resp.status_code == 200
    got = b""
    with pytest.raises(OSError, match="disk went away"):
        for chunk in resp.response:
            got += chunk
    assert got.count(b"\r\n") == 21  # the header and two batches, then the break


def test_bad_input_never_starts_a_stream(client: Any) -> None:
    resp = client.get("/v1/events?format=ndjson&killed__gte=many")
    assert resp.status_code == 422 and resp.mimetype == "application/json"
    assert resp.get_json()["error"]["parameter"] == "killed__gte"


def test_streaming_memory_stays_flat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming 3,000 events holds one batch at a time: peak traced memory stays far below the body."""
    import tracemalloc

    import openstrikes.index.pages as pages

    monkeypatch.setattr(pages, "STREAM_BATCH", 100)
    big = build_release(tmp_path, 3000, seed=3, links=False)
    app = create_app(big.root, cache_dir=tmp_path / "index")
    resp = app.test_client().get("/v1/events?format=ndjson&include_withdrawn=true", buffered=False)
    tracemalloc.start()
    total = 0
    for chunk in resp.response:
        total += len(chunk)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert total == (big.package / "events.ndjson").stat().st_size
    assert peak < total / 5, (peak, total)


# --- other resources ------------------------------------------------------------------------------


def test_single_event_and_404(client: Any, rel: Release) -> None:
    some = sorted(rel.events)[5]
    assert client.get(f"/v1/events/{some}").get_json() == rel.events[some]
    missing = client.get("/v1/events/OS-1999-2222-2222")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "unknown_event"


def related_oracle(rel: Release, start: str) -> list[str]:
    links: dict[str, set[str]] = {}
    for e in rel.events.values():
        for r in e.get("related") or ():
            links.setdefault(e["id"], set()).add(r["id"])
            links.setdefault(r["id"], set()).add(e["id"])
    seen, todo = {start}, [start]
    while todo:
        for o in links.get(todo.pop(), ()):
            if o not in seen and o in rel.events:
                seen.add(o)
                todo.append(o)
    seen.discard(start)
    return sorted(seen, key=lambda i: (rel.events[i]["date_start"], i))


def test_related_walks_the_chain_both_ways(client: Any, rel: Release) -> None:
    linked = [i for i, e in rel.events.items() if e.get("related")]
    assert len(linked) > 10
    for start in [*linked[:15], sorted(rel.events)[0]]:
        body = client.get(f"/v1/events/{start}/related").get_json()
        assert [e["id"] for e in body["items"]] == related_oracle(rel, start)
    assert any(len(related_oracle(rel, i)) >= 2 for i in linked)


FIELDS4 = ("killed", "injured", "civilians_killed", "civilians_injured")


def _zero_group() -> dict[str, Any]:
    return {
        "events": 0,
        **{f: {"min": 0, "max": 0, "best": 0, "with_best": 0, "unknown": 0} for f in FIELDS4},
    }


def _add_event(g: dict[str, Any], e: dict[str, Any]) -> None:
    g["events"] += 1
    for f in FIELDS4:
        r = e["casualties"].get(f)
        if r is None:
            g[f]["unknown"] += 1
            continue
        g[f]["min"] += r["min"]
        g[f]["max"] += r["max"]
        if r.get("best") is not None:
            g[f]["best"] += r["best"]
            g[f]["with_best"] += 1


def aggregate_oracle(rel: Release, ids: list[str], keys: list[str]) -> tuple[dict[Any, Any], dict[str, Any]]:
    """Plain-Python groups: an event counts once in each distinct key tuple its attackers, targets
    and tags make (an inner join on attackers, outer on targets and tags)."""

    def root(aid: str) -> str:
        while rel.actors[aid].get("parent"):
            aid = rel.actors[aid]["parent"]
        return aid

    def monday(day: str) -> str:
        d = date.fromisoformat(day)
        return (d - timedelta(days=d.weekday())).isoformat()

    plain = {
        "country": lambda e: e["country"],
        "admin1": lambda e: e.get("admin1"),
        "admin2": lambda e: e.get("admin2"),
        "year": lambda e: e["date_start"][:4],
        "month": lambda e: e["date_start"][:7],
        "week": lambda e: monday(e["date_start"]),
        "day": lambda e: e["date_start"],
        "strike_type": lambda e: e["strike_type"],
        "status": lambda e: e["status"],
        "outcome": lambda e: e["outcome"],
        "geo_precision": lambda e: e["geo_precision"],
        "water_body": lambda e: e.get("water_body"),
        "place": lambda e: e.get("place"),
        "operation": lambda e: e.get("operation"),
    }
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    total = _zero_group()
    for i in ids:
        e = rel.events[i]
        _add_event(total, e)
        uses_att = any(k in ("attacker", "attacker_group", "attacker_country", "attribution") for k in keys)
        attackers = e["attackers"] if uses_att else [None]
        targets = [t["actor"] for t in e["targets"] if t.get("actor")] or [None]
        tags = e.get("tags") or [None]
        combos = set()
        for a in attackers:
            for t in targets:
                for g in tags:
                    row = []
                    for k in keys:
                        if k in plain:
                            row.append(plain[k](e))
                        elif k == "attacker":
                            row.append(a["actor"])
                        elif k == "attacker_group":
                            row.append(root(a["actor"]))
                        elif k == "attacker_country":
                            row.append(rel.actors[a["actor"]]["country"])
                        elif k == "attribution":
                            row.append(a["attribution"])
                        elif k == "target":
                            row.append(t)
                        else:
                            row.append(g)
                    combos.add(tuple(row))
        for c in combos:
            _add_event(groups.setdefault(c, _zero_group()), e)
    return groups, total


@pytest.mark.parametrize(
    "group_by",
    [
        "country",
        "month,strike_type",
        "attacker",
        "year,status,outcome",
        "admin1,geo_precision",
        "water_body",
        "country,water_body,place",
        "attacker_country",
        "attacker_group,year",
        "attacker,attribution",
        "target",
        "tag,week",
        "week",
        "tag",
        "day,operation",
        "admin2",
    ],
)
def test_aggregates_agree_with_a_plain_sum(client: Any, rel: Release, group_by: str) -> None:
    keys = group_by.split(",")
    params = {"group_by": group_by, "killed__gte": "1"}
    groups, total = aggregate_oracle(rel, oracle(rel, {"killed__gte": "1"}), keys)
    body = client.get("/v1/aggregates", query_string=params).get_json()
    assert body["group_by"] == keys
    got = {
        tuple(row[k] for k in keys): {k: v for k, v in row.items() if k not in keys} for row in body["items"]
    }
    assert got == groups
    assert body["total"] == total
    assert "once" in body["counting"]
    order = [tuple((0, "") if v is None else (1, v) for v in c) for c in got]
    assert order == sorted(order)


def test_aggregates_report_unknown_figures_instead_of_zero(client: Any, rel: Release) -> None:
    body = client.get("/v1/aggregates", query_string={"group_by": "year"}).get_json()
    unknown = sum(
        1 for e in rel.events.values() if not e["withdrawn"] and e["casualties"].get("killed") is None
    )
    assert unknown > 0
    assert (
        sum(row["killed"]["unknown"] for row in body["items"])
        == unknown
        == body["total"]["killed"]["unknown"]
    )


def test_aggregates_fill_empty_periods_with_zero_rows(client: Any, rel: Release) -> None:
    days = sorted(e["date_start"] for e in rel.events.values())
    first, last = int(days[0][:4]) - 1, int(days[-1][:4]) + 1
    q = {"group_by": "month", "date_start__gte": f"{first}-01-15", "date_start__lte": f"{last}-12-31"}
    plain = client.get("/v1/aggregates", query_string=q).get_json()["items"]
    filled = client.get("/v1/aggregates", query_string={**q, "fill": "true"}).get_json()["items"]
    assert [r["month"] for r in filled] == [
        f"{y}-{m:02d}" for y in range(first, last + 1) for m in range(1, 13)
    ]
    by_month = {r["month"]: r for r in filled}
    for r in plain:
        assert by_month[r["month"]] == r
    empty = [r for r in filled if r not in plain]
    assert empty and all(r["events"] == 0 and r["killed"]["unknown"] == 0 for r in empty)
    bad = client.get("/v1/aggregates", query_string={"group_by": "country", "fill": "true"})
    assert bad.status_code == 422 and bad.get_json()["error"]["parameter"] == "fill"


def test_aggregates_need_a_known_group(client: Any) -> None:
    assert client.get("/v1/aggregates").status_code == 422
    bad = client.get("/v1/aggregates?group_by=country,weather")
    assert bad.status_code == 422 and "weather" in bad.get_json()["error"]["message"]


def test_changes_since(client: Any, rel: Release) -> None:
    rows = list(csv.DictReader(io.StringIO((rel.package / "changes.csv").read_text(encoding="utf-8"))))
    stamps = sorted({from_utc(r["withdrawn_at"] or r["modified"]) for r in rows})
    pivot = stamps[len(stamps) // 2]
    body = client.get("/v1/changes", query_string={"since": pivot}).get_json()

    def stamp(r: dict[str, str]) -> str:
        return max(from_utc(r["modified"]), from_utc(r["withdrawn_at"]) if r["withdrawn_at"] else "")

    expected = sorted(r["id"] for r in rows if stamp(r) > pivot)
    assert [c["id"] for c in body["items"]] == expected
    assert from_utc(body["until"]) == stamps[-1]
    assert client.get("/v1/changes", query_string={"since": body["until"]}).get_json()["items"] == []
    every = client.get("/v1/changes").get_json()
    assert len(every["items"]) == N and every["since"] is None
    assert {c["id"] for c in every["items"] if c["withdrawn"]} == {
        i for i, e in rel.events.items() if e["withdrawn"]
    }


def test_actors(client: Any, rel: Release) -> None:
    body = client.get("/v1/actors").get_json()
    assert body["total"] == len(rel.actors)
    assert {a["id"]: a for a in body["items"]} == rel.actors
    one = sorted(rel.actors)[0]
    assert client.get(f"/v1/actors/{one}").get_json() == rel.actors[one]
    assert client.get("/v1/actors/nobody").status_code == 404


def test_releases_and_downloads(client: Any, rel: Release) -> None:
    body = client.get("/v1/releases").get_json()
    assert body["latest"] == "0.1.0"
    (release,) = body["items"]
    assert release["sha256"] == hashlib.sha256((rel.package / "datapackage.json").read_bytes()).hexdigest()
    names = {f["name"] for f in release["files"]}
    assert {"events.csv", "events.ndjson", "datapackage.json", "SHA256SUMS", "changes.csv"} <= names
    for f in release["files"]:
        resp = client.get(f["url"])
        data = resp.get_data()
        assert resp.status_code == 200 and len(data) == f["bytes"]
        assert hashlib.sha256(data).hexdigest() == f["sha256"] == resp.headers["X-Checksum-SHA256"]
        assert resp.headers["ETag"] == f'"{f["sha256"]}"'
        assert "immutable" in resp.headers["Cache-Control"]
        again = client.get(f["url"], headers={"If-None-Match": resp.headers["ETag"]})
        assert again.status_code == 304
    url = next(f["url"] for f in release["files"] if f["name"] == "events.csv")
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.get_data() == (rel.package / "events.csv").read_bytes()[10:20]
    assert client.get(url, headers={"Range": "bytes=999999999-"}).status_code == 416


def test_health(client: Any) -> None:
    body = client.get("/v1/health").get_json()
    assert body["status"] == "ok" and body["release"] == "0.1.0" and body["events"] == N


# --- validation as a service ----------------------------------------------------------------------


def test_validate_a_good_and_a_bad_event(client: Any, rel: Release) -> None:
    good = dict(rel.events[sorted(rel.events)[3]])
    body = client.post("/v1/validate", json=good).get_json()
    assert body == {"valid": True, "problems": []}, body
    bad = dict(good, country="Iraq", attackers=[{"actor": "no-such-actor", "attribution": "declared"}])
    body = client.post("/v1/validate", json=bad).get_json()
    assert body["valid"] is False
    codes = {p["code"] for p in body["problems"]}
    pointers = {p["pointer"] for p in body["problems"]}
    assert "/country" in pointers and any(c.startswith("OS2") for c in codes) and "OS309" in codes


def test_validate_flags_a_likely_duplicate(client: Any, rel: Release) -> None:
    original = next(e for e in rel.events.values() if not e["withdrawn"] and e["latitude"] is not None)
    twin = dict(
        original, id=original["id"][:-1] + ("2" if original["id"][-1] != "2" else "3"), related=[], aliases=[]
    )
    body = client.post("/v1/validate", json=twin).get_json()
    assert any(p["code"].startswith("OS4") for p in body["problems"]), body


def test_validate_limits_and_bad_bodies(client: Any) -> None:
    huge = b'{"summary": "' + b"x" * (1 << 20) + b'"}'
    assert client.post("/v1/validate", data=huge, content_type="application/json").status_code == 413
    assert client.post("/v1/validate", data=b"{}", content_type="text/plain").status_code == 415
    broken = client.post("/v1/validate", data=b'{"id": "x",\n "a": }', content_type="application/json")
    assert broken.status_code == 200 and broken.get_json()["valid"] is False  # as the CLI reports a file
    (p,) = broken.get_json()["problems"]
    assert p["code"] == "OS104" and p["line"] == 2
    long_number = b'{"id": "x",\n "casualties": {"killed": {"min": ' + b"9" * 5000 + b"}}}"
    answer = client.post("/v1/validate", data=long_number, content_type="application/json")
    assert answer.status_code == 200 and answer.get_json()["valid"] is False
    (p,) = answer.get_json()["problems"]
    assert p["code"] == "OS104" and p["line"] == 2 and "5000 digits" in p["message"]


# --- errors, strictness, HTTP manners -------------------------------------------------------------

ERROR_CASES = [
    ("GET", "/v1/events?colour=red", 400, "colour"),
    ("GET", "/v1/events?country=IQ&country=SY", 400, "country"),
    ("GET", "/v1/events?country=iraq", 422, "country"),
    ("GET", "/v1/events?country__in=", 422, "country__in"),
    ("GET", "/v1/events?date_start__gte=2020-13-01", 422, "date_start__gte"),
    ("GET", "/v1/events?killed__gte=-1", 422, "killed__gte"),
    ("GET", "/v1/events?strike_type=airstrik", 422, "strike_type"),
    ("GET", "/v1/events?bbox=1,2,3", 422, "bbox"),
    ("GET", "/v1/events?bbox=10,10,5,5", 422, "bbox"),
    ("GET", "/v1/events?near=33,44", 422, "radius_km"),
    ("GET", "/v1/events?radius_km=0&near=1,1", 422, "radius_km"),
    ("GET", "/v1/events?modified_since=2020-01-01T00:00:00", 422, "modified_since"),
    ("GET", "/v1/events?include_withdrawn=yes", 422, "include_withdrawn"),
    ("GET", "/v1/events?page=0", 422, "page"),
    ("GET", "/v1/events?page_size=0", 422, "page_size"),
    ("GET", "/v1/events?sort=colour", 422, "sort"),
    ("GET", "/v1/events?cursor=!!", 400, "cursor"),
    ("GET", "/v1/events?cursor=AAAA", 400, "cursor"),
    ("GET", "/v1/events?format=xml", 422, "format"),
    ("GET", "/v1/events?tag=Not%20A%20Slug", 422, "tag"),
    ("GET", "/v1/events/OS-2000-2222-2222?x=1", 400, "x"),
    ("GET", "/v1/events/OS-2000-2222-2222", 404, "event_id"),
    ("GET", "/v1/releases/9.9.9/events", 404, "version"),
    ("GET", "/v1/releases/0.1.0/files/../datapackage.json", 404, None),
    ("GET", "/v1/releases/0.1.0/files/nope.csv", 404, "name"),
    ("GET", "/v1/nowhere", 404, None),
    ("GET", "/v1/changes?since=yesterday", 422, "since"),
    ("GET", "/v1/actors?page=1", 400, "page"),
    ("GET", "/openapi.json?v=2", 400, "v"),
    ("GET", "/docs?theme=dark", 400, "theme"),
    ("POST", "/v1/events", 405, None),
    ("DELETE", "/v1/events/OS-2000-2222-2222", 405, None),
    ("PUT", "/v1/validate", 405, None),
]


@pytest.mark.parametrize(("method", "url", "status", "parameter"), ERROR_CASES)
def test_every_error_has_the_one_shape(
    client: Any, method: str, url: str, status: int, parameter: str | None
) -> None:
    resp = client.open(url, method=method)
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    jsonschema.validate(body, ERROR_SHAPE)
    assert body["error"]["status"] == status
    if parameter:
        assert body["error"]["parameter"] == parameter
        assert parameter.split("__")[0] in body["error"]["message"] or status == 404
    if status == 405:
        allow = {m.strip() for m in resp.headers["Allow"].split(",")}
        assert "GET" in allow or "POST" in allow


def test_not_acceptable(client: Any) -> None:
    resp = client.get("/v1/events", headers={"Accept": "application/xml"})
    assert resp.status_code == 406
    jsonschema.validate(resp.get_json(), ERROR_SHAPE)


def test_query_timeout_is_a_503_in_the_error_shape(rel: Release, tmp_path: Path) -> None:
    app = create_app(rel.root, cache_dir=tmp_path, timeout=1e-9)  # every query runs out of time
    resp = app.test_client().get("/v1/events?q=rocket&sort=-killed&page_size=1000")
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json()["error"]["code"] == "query_timeout" and resp.headers["Retry-After"]


GET_ROUTES = [
    "/v1/events?page_size=5",
    "/v1/events/{id}",
    "/v1/events/{id}/related",
    "/v1/aggregates?group_by=country",
    "/v1/changes",
    "/v1/actors",
    "/v1/actors/{actor}",
    "/v1/releases",
    "/v1/releases/0.1.0",
    "/v1/health",
    "/v1/events?format=ndjson&country=SY",
    "/v1/releases/0.1.0/files/events.csv",
    "/openapi.json",
    "/docs",
]


def _fill(url: str, rel: Release) -> str:
    return url.replace("{id}", sorted(rel.events)[9]).replace("{actor}", sorted(rel.actors)[0])


@pytest.mark.parametrize("url", GET_ROUTES)
@pytest.mark.parametrize("pinned", [False, True])
def test_etag_and_304_on_every_get(client: Any, rel: Release, url: str, pinned: bool) -> None:
    if pinned:
        if not url.startswith("/v1/") or url.startswith(("/v1/releases", "/v1/health")):
            pytest.skip("not a per-release route")
        url = "/v1/releases/0.1.0/" + url.removeprefix("/v1/")
    url = _fill(url, rel)
    first = client.get(url)
    assert first.status_code == 200, first.get_data(as_text=True)
    etag = first.headers["ETag"]
    second = client.get(url, headers={"If-None-Match": etag})
    assert second.status_code == 304 and second.get_data() == b""
    assert second.headers["ETag"] == etag
    if url.startswith("/v1/releases/0.1.0/"):
        assert "immutable" in first.headers["Cache-Control"]
    assert first.headers["Access-Control-Allow-Origin"] == "*"


def test_gzip_when_asked(client: Any) -> None:
    plain = client.get("/v1/events?page_size=50")
    zipped = client.get("/v1/events?page_size=50", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"] != plain.headers["ETag"]
    assert (
        client.get("/v1/events?page_size=50", headers={"If-None-Match": zipped.headers["ETag"]}).status_code
        == 304
    )
    stream = client.get("/v1/events?format=ndjson", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(stream.get_data()) == client.get("/v1/events?format=ndjson").get_data()


def test_cors_preflight(client: Any) -> None:
    resp = client.options(
        "/v1/events", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"}
    )
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in resp.headers["Access-Control-Allow-Methods"]


def test_every_filter_is_documented(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/v1/events", "/v1/releases/{version}/events"):
        op = spec["paths"][path]
        documented = {p["name"] for p in op.get("parameters", []) + op["get"].get("parameters", [])}
        missing = {p.name for p in EVENTS_PARAMS} - documented
        assert not missing, f"{path}: undocumented {missing}"
    docs = client.get("/docs").get_data(as_text=True)
    for p in EVENTS_PARAMS:
        assert f"<code>{p.name}</code>" in docs, p.name
    assert (
        "http://" not in docs.replace("http://{args", "") and "https://" not in docs
    )  # nothing fetched from a CDN


INJECTIONS = [
    "' OR '1'='1",
    '"; DROP TABLE events; --',
    "../../../../etc/passwd",
    "%00",
    "1) UNION SELECT body FROM events--",
    "\\x00",
    "*",
]


@pytest.mark.parametrize("attack", INJECTIONS)
def test_injection_strings_in_every_parameter(client: Any, rel: Release, attack: str) -> None:
    names = [p.name for p in EVENTS_PARAMS]
    for name in names:
        params = {name: attack}
        if name == "near":
            params["radius_km"] = "10"
        if name == "radius_km":
            params["near"] = "1,1"
        resp = client.get("/v1/events", query_string=params)
        assert resp.status_code < 500, (name, resp.get_data(as_text=True))
        if resp.status_code == 200:
            body = resp.get_json()
            assert body["total"] == len(oracle(rel, params)), name
            assert body["total"] == 0 or name == "q", name
        else:
            jsonschema.validate(resp.get_json(), ERROR_SHAPE)
    for path in (
        "/v1/events/{}",
        "/v1/events/{}/related",
        "/v1/actors/{}",
        "/v1/releases/{}/events",
        "/v1/releases/0.1.0/files/{}",
    ):
        resp = client.get(path.format(attack.replace("/", "%2F")))
        assert 400 <= resp.status_code < 500, path
        jsonschema.validate(resp.get_json(), ERROR_SHAPE)


@pytest.mark.parametrize("pinned", [False, True])
@pytest.mark.parametrize("encoding", [None, "gzip", "gzip;q=0", "br"])
def test_the_fast_path_answers_exactly_as_the_flask_view(
    app: Any, rel: Release, pinned: bool, encoding: str | None
) -> None:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response as WResponse

    flask_only = Client(app.extensions["openstrikes.flask_wsgi"], WResponse)
    fast = Client(app.wsgi_app, WResponse)
    headers = {"Accept-Encoding": encoding} if encoding else {}
    for event_id in sorted(rel.events)[:5]:
        url = ("/v1/releases/0.1.0" if pinned else "/v1") + f"/events/{event_id}"
        a, b = fast.get(url, headers=headers), flask_only.get(url, headers=headers)
        assert a.status_code == b.status_code == 200
        assert a.get_data() == b.get_data()
        assert sorted(a.headers.items()) == sorted(b.headers.items())


def _list_urls(flask_only: Any, rel: Release, pinned: bool) -> list[str]:
    base = ("/v1/releases/0.1.0" if pinned else "/v1") + "/events"
    first = json.loads(flask_only.get(base + "?page_size=7&sort=-date_start").get_data())
    attacker = next(a["actor"] for e in rel.events.values() for a in e["attackers"])
    return [
        base,
        base + "?page_size=7&sort=-date_start",
        base + f"?page_size=7&sort=-date_start&cursor={first['next_cursor']}",
        base + "?country=IQ&sort=date_start&page=2&page_size=5",
        base + "?country__in=IQ,SY&killed__gte=1&fields=country,casualties&page_size=3",
        base + f"?attacker={attacker}&include_withdrawn=true&page_size=1000",
        base + "?q=strike+drone&page_size=4",
        base + "?format=json&page=1",
        base + "?date_start__gte=2020-01-01&date_start__lte=2024-12-31&page_size=1000",
    ]


@pytest.mark.parametrize("pinned", [False, True])
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Accept-Encoding": "gzip"},
        {"Accept": "*/*"},
        {"Accept": "application/json", "Accept-Encoding": "br"},
    ],
)
def test_the_fast_list_path_answers_exactly_as_the_flask_view(
    app: Any, rel: Release, pinned: bool, headers: dict[str, str]
) -> None:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response as WResponse

    import openstrikes.web.fast as fast_module

    flask_only = Client(app.extensions["openstrikes.flask_wsgi"], WResponse)
    fast = Client(app.wsgi_app, WResponse)
    answered: list[str] = []
    real = fast_module.FastPaths.answer

    def spy(self: Any, *args: Any) -> Any:
        answered.append(args[0]["QUERY_STRING"])
        return real(self, *args)

    fast_module.FastPaths.answer = spy  # type: ignore[method-assign]
    try:
        urls = _list_urls(flask_only, rel, pinned)
        for url in urls:
            a, b = fast.get(url, headers=headers), flask_only.get(url, headers=headers)
            assert a.status_code == b.status_code == 200, url
            assert a.get_data() == b.get_data(), url
            assert sorted(a.headers.items()) == sorted(b.headers.items()), url
    finally:
        fast_module.FastPaths.answer = real  # type: ignore[method-assign]
    assert len(answered) == len(urls)  # every one of them was answered by the fast path


@pytest.mark.parametrize(
    "query",
    [
        "page_size=5&bogus=1",
        "page_size=0",
        "page_size=5&page_size=6",
        "country=iq",
        "cursor=%%%",
        "cursor=AAAA",
        "near=10,10",
        "fields=nope",
        "format=ndjson&page=2",
        "sort=size",
        "q=%FF%FE",
        "admin1=Caf%C3%A9",
    ],
)
def test_list_errors_and_oddities_are_the_views_own(app: Any, query: str) -> None:
    """Whatever the fast path does not answer itself goes to the view: same status, body, headers."""
    from werkzeug.test import Client
    from werkzeug.wrappers import Response as WResponse

    flask_only = Client(app.extensions["openstrikes.flask_wsgi"], WResponse)
    fast = Client(app.wsgi_app, WResponse)
    a, b = fast.get("/v1/events?" + query), flask_only.get("/v1/events?" + query)
    assert a.status_code == b.status_code
    assert a.get_data() == b.get_data()
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    if a.status_code >= 400:
        jsonschema.validate(json.loads(a.get_data()), ERROR_SHAPE)


def test_a_timeout_on_the_fast_path_is_the_views_503(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client
    from werkzeug.wrappers import Response as WResponse

    from openstrikes.index.errors import QueryTimeout
    from openstrikes.index.store import Store

    def slow(self: Store, where: str, params: tuple[Any, ...]) -> int:
        raise QueryTimeout(f"the query took longer than {self.timeout:g} s")

    monkeypatch.setattr(Store, "count", slow)
    flask_only = Client(app.extensions["openstrikes.flask_wsgi"], WResponse)
    fast = Client(app.wsgi_app, WResponse)
    # admin1 is counted by SQL (country alone would be answered by the cube, see index.cube)
    a, b = fast.get("/v1/events?admin1=Anbar"), flask_only.get("/v1/events?admin1=Anbar")
    assert a.status_code == b.status_code == 503
    assert a.get_data() == b.get_data()
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    jsonschema.validate(json.loads(a.get_data()), ERROR_SHAPE)


def test_a_page_splices_the_stored_lines_of_the_package(client: Any, rel: Release) -> None:
    """The items of a page are byte for byte the package's events.ndjson lines."""
    lines = _lines_of_package(rel)
    raw = client.get("/v1/events?include_withdrawn=true&page_size=1000").get_data()
    body = json.loads(raw)
    assert len(body["items"]) == len(rel.events)
    want = b'{"items":[' + b",".join(lines[e["id"]] for e in body["items"]) + b"],"
    assert raw.startswith(want)
    assert set(lines) == {e["id"] for e in body["items"]}


def test_aggregate_rows_declare_every_group_key(client: Any) -> None:
    """Schemathesis found rows with group keys the response schema did not declare."""
    from openstrikes.index.filters import GROUP_KEYS

    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    row = next(s for name, s in schemas.items() if name.startswith("AggregateRow"))
    assert set(GROUP_KEYS) <= set(row["properties"])
    for key in GROUP_KEYS:
        body = client.get(f"/v1/aggregates?group_by={key}").get_json()
        assert body["items"] and all(set(item) <= set(row["properties"]) for item in body["items"])


# --- small faults found by testing as a user and an attacker (issue 14) ----------------------------


def test_content_type_names_the_charset_once(client: Any) -> None:
    for name in ("events.csv", "CITATION.cff"):
        resp = client.get(f"/v1/releases/0.1.0/files/{name}")
        assert resp.status_code == 200 and resp.headers["Content-Type"].count("charset") == 1


@pytest.mark.parametrize("header", ["items=0-5", "bytes=0-5,10-20", "bytes=abc", "bytes=0-5, 7-9"])
def test_a_range_of_an_unknown_unit_or_several_ranges_is_ignored(
    client: Any, rel: Release, header: str
) -> None:
    resp = client.get("/v1/releases/0.1.0/files/events.csv", headers={"Range": header})
    assert resp.status_code == 200 and resp.get_data() == (rel.package / "events.csv").read_bytes()


def test_one_range_is_still_served_and_an_unsatisfiable_one_refused(client: Any, rel: Release) -> None:
    part = client.get("/v1/releases/0.1.0/files/events.csv", headers={"Range": "bytes=0-5"})
    assert part.status_code == 206 and part.get_data() == (rel.package / "events.csv").read_bytes()[:6]
    far = client.get("/v1/releases/0.1.0/files/events.csv", headers={"Range": "bytes=999999999-"})
    assert far.status_code == 416 and far.get_json()["error"]["status"] == 416


@pytest.mark.parametrize("suffix", ["%2Frelated", "%2f/related", "%2F"])
def test_an_encoded_slash_stays_in_the_event_id(client: Any, rel: Release, suffix: str) -> None:
    event_id = sorted(rel.events)[9]  # one with related events
    assert client.get(f"/v1/events/{event_id}/related").status_code == 200
    resp = client.get(f"/v1/events/{event_id}{suffix}")
    assert resp.status_code == 404 and resp.get_json()["error"]["code"] == "unknown_event"


@pytest.mark.parametrize("q", ["*", '"', "(", "**", "- +"])
def test_a_search_without_a_word_is_refused(client: Any, q: str) -> None:
    resp = client.get("/v1/events", query_string={"q": q})
    assert resp.status_code == 422
    assert (
        resp.get_json()["error"]["parameter"] == "q"
        and "no word to search for" in resp.get_json()["error"]["message"]
    )


@pytest.mark.parametrize("raw", ["abc", "-1", "1.5", "0", "100000"])
def test_page_size_messages_agree_on_the_range(client: Any, raw: str) -> None:
    message = client.get(f"/v1/events?page_size={raw}").get_json()["error"]["message"]
    assert f"1 to {MAX_PAGE_SIZE}" in message and "999999999" not in message


def test_a_cursor_with_edited_fields_is_refused(client: Any) -> None:
    import base64

    first = client.get("/v1/events?page_size=3&sort=-date_start").get_json()
    cursor = first["next_cursor"]
    fields = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert client.get(f"/v1/events?page_size=3&sort=-date_start&cursor={cursor}").status_code == 200
    for i, edit in ((2, 1), (3, 0), (3, 10**6), (2, 10**9)):
        forged = list(fields)
        forged[i] = edit
        text = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("=")
        resp = client.get(f"/v1/events?page_size=3&sort=-date_start&cursor={text}")
        assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "invalid_cursor", forged


def test_health_says_which_version_is_the_data_and_which_the_server(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    props = spec["components"]["schemas"]["Health"]["properties"]
    assert "DATA release" in props["release"]["description"]
    assert "SERVER software" in props["version"]["description"]


@pytest.mark.parametrize("geo", [{"bbox": "35,25,45,36"}, {"near": "33.5,44.5", "radius_km": "300"}])
def test_geo_filters_say_how_many_events_they_left_out_for_lack_of_coordinates(
    client: Any, rel: Release, geo: dict[str, str]
) -> None:
    other = {"status": "claimed"}
    body = client.get("/v1/events", query_string={**other, **geo}).get_json()
    left_out = [i for i in oracle(rel, other) if rel.events[i]["latitude"] is None]
    assert left_out and body["without_coordinates"] == len(left_out)
    assert body["total"] == len(oracle(rel, {**other, **geo}))
    assert client.get("/v1/events", query_string=other).get_json()["without_coordinates"] is None


def test_related_says_how_each_event_is_linked_and_stops_at_depth(client: Any, rel: Release) -> None:
    named = {(e["id"], r["id"]): r["relation"] for e in rel.events.values() for r in e.get("related") or ()}
    deep = [i for i, e in rel.events.items() if e.get("related") and len(related_oracle(rel, i)) >= 2]
    assert deep
    for start in deep[:10]:
        body = client.get(f"/v1/events/{start}/related").get_json()
        assert [x["id"] for x in body["links"]] == [e["id"] for e in body["items"]]
        dist = {start: 0}
        for link in sorted(body["links"], key=lambda x: x["distance"]):
            via, me = link["via"], link["id"]
            assert dist[via] == link["distance"] - 1  # reached from an event one step nearer
            dist[me] = link["distance"]
            if link["direction"] == "names":
                assert named[(me, via)] == link["relation"]
            else:
                assert link["direction"] == "named_by" and named[(via, me)] == link["relation"]
        one = client.get(f"/v1/events/{start}/related", query_string={"depth": "1"}).get_json()
        assert [x["id"] for x in one["links"]] == [x["id"] for x in body["links"] if x["distance"] == 1]
        assert all(x["distance"] == 1 for x in one["links"])
    assert client.get(f"/v1/events/{deep[0]}/related", query_string={"depth": "0"}).status_code == 422


def test_near_gives_each_events_distance(client: Any, rel: Release) -> None:
    q = {"near": "33.5,44.5", "radius_km": "400", "page_size": "20"}
    body = client.get("/v1/events", query_string=q).get_json()
    assert body["items"] and set(body["distance_km"]) == {e["id"] for e in body["items"]}
    for e in body["items"]:
        km = haversine(33.5, 44.5, e["latitude"], e["longitude"])
        assert abs(body["distance_km"][e["id"]] - km) < 0.001 and km <= 400
    assert client.get("/v1/events").get_json()["distance_km"] is None
