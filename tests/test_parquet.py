"""The Parquet files of a package: typed, lossless, deterministic, read by DuckDB, pandas and
geopandas unmodified, served by the API like every other file."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import geopandas
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest_api import Release, build_release
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from openstrikes.package import build as build_module
from openstrikes.package import columnar, parquet_out
from openstrikes.package.build import build_package
from openstrikes.package.flat_file import write_flat
from openstrikes.package.lock import LOCK_FILE
from openstrikes.package.metadata import PackageError
from openstrikes.package.parquet_job import ParquetJob, write_flat_parquet, write_per_event_parquet
from openstrikes.package.parquet_read import read_parquet_events
from openstrikes.package.parquet_tables import PER_EVENT, memory_schema
from openstrikes.web import create_app
from repo_fixtures import make_root, write_event
from strategies import events

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402

N = 240


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("parquet"), N, seed=11)


def json_events(package: Path) -> list[dict[str, Any]]:
    return list(json.loads((package / "events.json").read_bytes()))


def test_columns_have_real_types_derived_from_the_schema(rel: Release) -> None:
    schema = pq.read_schema(rel.package / "events.parquet")
    assert schema.field("date_start").type == pa.date32()
    assert schema.field("casualties_killed_best").type == pa.int64()
    assert schema.field("latitude").type == pa.float64()
    assert schema.field("strike_type").type == pa.dictionary(pa.int32(), pa.string())
    assert schema.field("platforms").type == pa.list_(pa.string())
    assert "omitted_keys" not in schema.names and "empty_strings" not in schema.names
    assert not schema.field("id").nullable and schema.field("admin2").nullable
    assert schema.field("date_start").metadata[b"description"].startswith(b"First local date")
    sources = pq.read_schema(rel.package / "event_sources.parquet")
    assert sources.field("published").type == pa.date32() and sources.field("index").type == pa.int64()
    csv_header = (rel.package / "events.csv").read_bytes().decode("utf-8").split("\r\n", 1)[0].split(",")
    assert schema.names == csv_header
    meta = pq.ParquetFile(rel.package / "events.parquet").metadata
    assert b"time" not in b"".join(meta.metadata or {})  # no clock in the key-value metadata
    assert meta.num_rows == N


def test_parquet_holds_the_same_events_as_the_json(rel: Release) -> None:
    assert list(read_parquet_events(rel.package)) == json_events(rel.package)


def test_nulls_and_empty_lists_are_kept_apart(rel: Release) -> None:
    table = pq.read_table(rel.package / "events.parquet", columns=["id", "platforms", "admin2"])
    by_id = {e["id"]: e for e in json_events(rel.package)}
    for row in table.to_pylist():
        event = by_id[row["id"]]
        assert row["platforms"] == event.get("platforms")  # None stays None, [] stays []
        assert row["admin2"] == (event.get("admin2") or None)


@st.composite
def datasets(draw: st.DrawFn) -> list[dict[str, Any]]:
    evs = draw(st.lists(events(), min_size=0, max_size=6, unique_by=lambda e: e["id"]))
    ids = [e["id"] for e in evs]
    for ev in evs:
        ev["distinct_from"] = sorted(i for i in ids if i != ev["id"])
    return evs


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(evs=datasets())
def test_generated_events_come_back_from_parquet_exactly(evs: list[dict[str, Any]], tmp_path: Path) -> None:
    root = tmp_path / f"r{time.monotonic_ns()}"
    make_root(root)
    (root / "dataset" / "datapackage.json").write_text(json.dumps({"name": "t", "version": "1.2.3"}))
    for ev in evs:
        write_event(root, ev)
    package = build_package(root / "dataset", root / "dist", progress=False)
    back = list(read_parquet_events(package))
    assert back == sorted(evs, key=lambda e: e["id"])
    for got, want in zip(back, sorted(evs, key=lambda e: e["id"]), strict=True):
        assert set(got) == set(want)  # left-out keys stay left out
    shutil.rmtree(root)


def test_row_groups_do_not_depend_on_how_the_rows_were_batched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_dataset(tmp_path / "repo", 300, seed=3)
    package = build_package(dataset, tmp_path / "dist", progress=False)
    actors = [json.loads(p.read_bytes()) for p in sorted((dataset / "actors").glob("*.json"))]
    monkeypatch.setattr(parquet_out, "ROW_GROUP", 64)
    written = []
    # Each file in one batch; or a few rows a batch, the CSV's and the lists' batches out of step.
    for block, list_rows in ((1 << 22, 4096), (4096, 7)):
        monkeypatch.setattr(columnar, "CSV_BLOCK", block)
        monkeypatch.setattr(columnar, "LIST_ROWS", list_rows)
        folder = tmp_path / f"block-{block}"
        folder.mkdir()
        for name in [f"{key}.csv" for key in PER_EVENT] + ["events.ndjson"]:
            shutil.copy(package / name, folder)
        batches = list(columnar.csv_batches(folder / "events.csv", memory_schema("events")))
        assert (len(batches) == 1) is (block == 1 << 22)
        write_per_event_parquet(folder)
        write_flat(folder / "events.ndjson", folder, actors)
        write_flat_parquet(folder)
        written.append(
            {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*parquet") if p.is_file()}
        )
    assert pq.ParquetFile(tmp_path / "block-4096" / "events.parquet").metadata.num_row_groups == 5
    assert written[0] == written[1]
    assert len(written[0]) == len([p for p in package.rglob("*parquet") if p.is_file()]) - 2  # registries
    flat = pq.read_table(tmp_path / "block-4096" / "events_flat.parquet")
    assert flat.to_pylist() == pq.read_table(package / "events_flat.parquet").to_pylist()  # same rows


def test_a_failed_parquet_job_fails_the_build_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = write_dataset(tmp_path / "repo", 40, seed=2)

    class BrokenInput(ParquetJob):
        def __init__(self, folder: Path) -> None:
            (folder / "event_sources.csv").write_text("not,the,header\r\n", encoding="utf-8")
            super().__init__(folder)

    class Killed(ParquetJob):
        def __init__(self, folder: Path) -> None:
            super().__init__(folder)
            self.process.kill()

    cases = [
        (BrokenInput, r"ValueError: event_sources\.csv: the header is not"),
        (Killed, r"the process ended with exit code -9"),
    ]
    for job, why in cases:
        monkeypatch.setattr(build_module, "ParquetJob", job)
        out = tmp_path / f"dist-{job.__name__}"
        with pytest.raises(PackageError, match=r"writing the Parquet files failed: " + why):
            build_package(dataset, out, progress=False)
        assert [p.name for p in out.iterdir() if p.name != LOCK_FILE] == []  # no package, no temporary


def test_duckdb_reads_the_hive_partitions(rel: Release) -> None:
    glob = str(rel.package / "parquet" / "*" / "*.parquet")
    got = duckdb.sql(
        f"SELECT year, count(*) FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    want: dict[int, int] = {}
    for e in json_events(rel.package):
        want[int(e["date_start"][:4])] = want.get(int(e["date_start"][:4]), 0) + 1
    assert got == sorted(want.items())
    ((killed,),) = duckdb.sql(
        f"SELECT sum(casualties_killed_best) FROM read_parquet('{rel.package / 'events.parquet'}')"
    ).fetchall()
    assert killed == sum((e["casualties"]["killed"] or {}).get("best") or 0 for e in json_events(rel.package))


def test_pandas_and_geopandas_read_the_files(rel: Release) -> None:
    evs = json_events(rel.package)
    frame = pandas.read_parquet(rel.package / "events.parquet")
    assert list(frame["id"]) == [e["id"] for e in evs]
    assert str(frame["strike_type"].dtype) == "category"
    for table in ("event_sources", "event_actors", "actors", "places"):
        with (rel.package / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert len(pandas.read_parquet(rel.package / f"{table}.parquet")) == len(rows)
    geo = geopandas.read_parquet(rel.package / "events.geoparquet")
    assert geo.crs is not None and geo.crs.to_string() == "OGC:CRS84"
    for e, point in zip(evs, geo.geometry, strict=True):
        if e["latitude"] is None:
            assert point is None
        else:
            assert point.equals(Point(e["longitude"], e["latitude"]))
    meta = json.loads(pq.read_schema(rel.package / "events.geoparquet").metadata[b"geo"])
    assert meta["version"] == "1.1.0" and meta["columns"]["geometry"]["encoding"] == "WKB"


def test_the_api_serves_the_parquet_files(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> None:
    client = create_app(rel.root, cache_dir=tmp_path_factory.mktemp("index")).test_client()
    files = {f["name"]: f for f in client.get("/v1/releases/0.1.0").get_json()["files"]}
    year = sorted(n for n in files if n.startswith("parquet/year="))[0]
    for name in ("events.parquet", "events.geoparquet", "places.parquet", year):
        resp = client.get(files[name]["url"])
        data = resp.get_data()
        assert resp.status_code == 200 and resp.mimetype == "application/vnd.apache.parquet"
        assert hashlib.sha256(data).hexdigest() == files[name]["sha256"] == resp.headers["X-Checksum-SHA256"]
        assert resp.headers["ETag"] == f'"{files[name]["sha256"]}"'
        tail = client.get(files[name]["url"], headers={"Range": "bytes=-8"})  # Parquet readers start here
        assert tail.status_code == 206 and tail.get_data() == data[-8:] and data.endswith(b"PAR1")


def test_events_flat_parquet_is_the_csv_typed(rel: Release) -> None:
    """events_flat.parquet has events_flat.csv's columns and rows, with real types: counts int64
    (Int64 in pandas, never float64), dates date32, enums dictionary-encoded, lists list<string>."""
    path = rel.package / "events_flat.parquet"
    schema = pq.read_schema(path)
    with (rel.package / "events_flat.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert schema.names == list(rows[0])
    assert schema.field("killed_best").type == pa.int64() and schema.field("sources_count").type == pa.int64()
    assert schema.field("date_start").type == pa.date32()
    assert schema.field("strike_type").type == pa.dictionary(pa.int32(), pa.string())
    assert schema.field("attacker_ids").type == pa.list_(pa.string())
    assert schema.field("withdrawn").type == pa.bool_()
    for got, want in zip(pq.read_table(path).to_pylist(), rows, strict=True):
        for name, cell in want.items():
            value = got[name]
            if isinstance(value, list):
                assert "; ".join(value) == cell, name
            else:
                assert (
                    "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
                ) == cell
    frame = pandas.read_parquet(path)
    assert str(frame["killed_best"].dtype) == "Int64" and str(frame["withdrawn"].dtype) == "boolean"
    assert frame["killed_best"].isna().sum() == sum(1 for r in rows if r["killed_best"] == "")


def test_claims_have_their_own_table(rel: Release) -> None:
    evs = json_events(rel.package)
    claims = pq.read_table(rel.package / "event_claims.parquet")
    assert claims.num_rows == sum(len(e.get("casualty_claims") or []) for e in evs) > 0
    assert claims.schema.field("figures_killed_min").type == pa.int64()
    header = (rel.package / "events.csv").read_text(encoding="utf-8").split("\r\n", 1)[0].split(",")
    assert "casualty_claims" not in header


def test_no_csv_a_user_reads_carries_the_bookkeeping(rel: Release) -> None:
    """omitted_keys and empty_strings live in roundtrip.csv only, which the descriptor lists as
    technical; every other table (CSV and Parquet) is free of them."""
    for path in [*rel.package.glob("*.csv"), *rel.package.glob("*.parquet")]:
        names = (
            pq.read_schema(path).names
            if path.suffix == ".parquet"
            else path.read_text(encoding="utf-8").split("\r\n", 1)[0].split(",")
        )
        bookkeeping = {"omitted_keys", "empty_strings"} & set(names)
        assert bool(bookkeeping) is (path.name == "roundtrip.csv"), path.name
    desc = json.loads((rel.package / "datapackage.json").read_text(encoding="utf-8"))
    (res,) = [r for r in desc["resources"] if r["path"] == "roundtrip.csv"]
    assert "technical" in res["title"].lower() and res["schema"]["primaryKey"] == ["table", "key"]
