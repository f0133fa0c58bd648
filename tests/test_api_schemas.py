"""Each release is queried and documented with the schema bundled in it: two releases built with
different event schemas are served side by side, each by its own rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest_api import Release, build_release

from openstrikes.schema_files import schema_version
from openstrikes.toolchain.records import canonical
from openstrikes.web import create_app

NEW_TYPE = "naval_gunfire"
NEW_FIELD = "weather"
NEXT_SCHEMA = "{}.{}.0".format(*[int(x) + (i == 1) for i, x in enumerate(schema_version().split(".")[:2])])


@pytest.fixture(scope="module")
def two_schemas(tmp_path_factory: pytest.TempPathFactory) -> tuple[Release, Path, str]:
    """Release 0.1.0 with the repository's schema; 0.2.0 built (in a process of its own, from a
    copy of the repository) with a schema one minor version up that adds a strike type one event uses and an
    optional field."""
    tmp = tmp_path_factory.mktemp("two-schemas")
    old = build_release(tmp, 60, seed=4)
    repo = tmp / "repo-0.2.0"
    shutil.copytree(old.package.parents[1] / "repo-0.1.0", repo)
    schema_path = repo / "schema" / "event.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["x-schema-version"] = NEXT_SCHEMA
    schema["properties"]["strike_type"]["enum"].append(NEW_TYPE)
    schema["properties"][NEW_FIELD] = {"description": "Weather at the time.", "type": ["string", "null"]}
    schema_path.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
    meta_path = repo / "dataset" / "datapackage.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["version"] = "0.2.0"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    event_file = min((repo / "dataset" / "events").rglob("*.json"))
    event = json.loads(event_file.read_text(encoding="utf-8"))
    event["strike_type"] = NEW_TYPE
    event_file.write_text(canonical(event, "event"), encoding="utf-8")
    env = {**os.environ, "OPENSTRIKES_ROOT": str(repo)}
    proc = subprocess.run(
        [sys.executable, "-m", "openstrikes.cli", "build", "--out", str(old.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return old, tmp / "index", str(event["id"])


@pytest.fixture(scope="module")
def client(two_schemas: tuple[Release, Path, str]) -> Any:
    rel, cache, _ = two_schemas
    return create_app(rel.root, cache_dir=cache).test_client()


def test_each_release_reads_its_filters_with_its_own_schema(
    client: Any, two_schemas: tuple[Release, Path, str]
) -> None:
    _, _, event_id = two_schemas
    new = client.get(f"/v1/releases/0.2.0/events?strike_type={NEW_TYPE}")
    assert new.status_code == 200, new.get_json()
    assert [e["id"] for e in new.get_json()["items"]] == [event_id]
    latest = client.get(f"/v1/events?strike_type__in=airstrike,{NEW_TYPE}")
    assert latest.status_code == 200 and event_id in {e["id"] for e in latest.get_json()["items"]}
    old = client.get(f"/v1/releases/0.1.0/events?strike_type={NEW_TYPE}")
    assert old.status_code == 422
    assert old.get_json()["error"]["parameter"] == "strike_type"
    old_agg = client.get(f"/v1/releases/0.1.0/aggregates?group_by=country&strike_type={NEW_TYPE}")
    assert old_agg.status_code == 422


def test_each_release_ships_and_serves_its_schema(client: Any) -> None:
    versions = {}
    for release in ("0.1.0", "0.2.0"):
        resp = client.get(f"/v1/releases/{release}/files/event.schema.json")
        assert resp.status_code == 200
        versions[release] = json.loads(resp.get_data())["x-schema-version"]
    assert versions == {"0.1.0": schema_version(), "0.2.0": NEXT_SCHEMA}


def test_the_api_is_documented_with_the_latest_releases_schema(client: Any) -> None:
    spec = client.get("/openapi.json").get_json()
    event = spec["components"]["schemas"]["Event"]
    assert NEW_TYPE in event["properties"]["strike_type"]["enum"]
    path = spec["paths"]["/v1/events"]
    params = {p["name"]: p for p in path.get("parameters", []) + path["get"].get("parameters", [])}
    assert NEW_TYPE in params["strike_type"]["schema"]["enum"]
    assert NEW_TYPE in client.get("/docs").get_data(as_text=True)


def test_validate_checks_against_the_latest_releases_schema(
    client: Any, two_schemas: tuple[Release, Path, str]
) -> None:
    rel, _, _ = two_schemas
    event = dict(next(iter(rel.events.values())))
    event["id"] = "OS-2099-0000-0001"
    event["strike_type"] = NEW_TYPE
    report = client.post("/v1/validate", json=event).get_json()
    assert not [p for p in report["problems"] if p["pointer"] == "/strike_type"], report


def test_each_release_streams_csv_in_its_own_columns(
    client: Any, two_schemas: tuple[Release, Path, str]
) -> None:
    rel, _, _ = two_schemas
    for version, has_field in (("0.1.0", False), ("0.2.0", True)):
        header = client.get(f"/v1/releases/{version}/events?format=csv").get_data().split(b"\r\n", 1)[0]
        stored = client.get(f"/v1/releases/{version}/files/events.csv").get_data().split(b"\r\n", 1)[0]
        assert header == stored
        assert (NEW_FIELD.encode() in header.split(b",")) is has_field
    assert client.get(f"/v1/releases/0.2.0/events?fields={NEW_FIELD}").status_code == 200
    assert client.get(f"/v1/releases/0.1.0/events?fields={NEW_FIELD}").status_code == 422
    actors = client.get("/v1/releases/0.1.0/actors").get_json()["items"]
    assert {a["id"]: a for a in actors} == rel.actors
