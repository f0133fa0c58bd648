"""The data package: every file, Frictionless-valid, Data Package v2, lossless, deterministic, atomic."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openstrikes import schema_files as schemas
from openstrikes.cli import main
from openstrikes.package import table_schema as tableschema
from openstrikes.package.build import build_package
from openstrikes.package.flatten import read_actors, read_events
from openstrikes.package.metadata import InvalidDataset, PackageError, load_metadata
from openstrikes.package.reader import read_package
from openstrikes.toolchain.progress import Progress
from openstrikes.toolchain.records import canonical
from repo_fixtures import make_root, write_event
from strategies import events

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402

PROFILE = json.loads((REPO / "tests" / "data" / "data-package-2.0.profile.json").read_text(encoding="utf-8"))
EXPECTED_FILES = {
    "datapackage.json",
    "events.csv",
    "events_flat.csv",
    "event_sources.csv",
    "event_actors.csv",
    "event_claims.csv",
    "roundtrip.csv",
    "actors.csv",
    "places.csv",
    "events.json",
    "events.ndjson",
    "events.geojson",
    "changes.csv",
    "event.schema.json",
    "actor.schema.json",
    "place.schema.json",
    "CITATION.cff",
    "SHA256SUMS",
    "events.parquet",
    "event_sources.parquet",
    "event_actors.parquet",
    "event_claims.parquet",
    "events_flat.parquet",
    "actors.parquet",
    "places.parquet",
    "events.geoparquet",
    "parquet",  # parquet/year=YYYY/part-0.parquet
}


def frictionless_validate(descriptor: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("frictionless")
    cmd = [str(exe) if exe.exists() else shutil.which("frictionless") or "frictionless"]
    return subprocess.run(
        [*cmd, "validate", "--json", str(descriptor)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def file_bytes(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def dataset_events(dataset: Path) -> list[dict[str, Any]]:
    paths = sorted((dataset / "events").rglob("*.json"), key=lambda p: p.stem)
    return [json.loads(p.read_bytes()) for p in paths]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository-shaped synthetic dataset of 400 events (48 actors)."""
    root = tmp_path_factory.mktemp("synthetic") / "repo"
    write_dataset(root, 400, seed=7)
    return root


@pytest.fixture(scope="module")
def built(synthetic: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_package(synthetic / "dataset", tmp_path_factory.mktemp("dist"), progress=False)


def test_build_writes_every_file_under_name_and_version(built: Path, synthetic: Path) -> None:
    meta = load_metadata(synthetic / "dataset")
    assert built.name == f"{meta['name']}-{meta['version']}"
    assert set(os.listdir(built)) == EXPECTED_FILES
    # Nothing else is left beside it but the lock file.
    assert [p.name for p in built.parent.iterdir() if p.name != ".openstrikes-build.lock"] == [built.name]


def test_descriptor_metadata_and_hashes(built: Path, synthetic: Path) -> None:
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert desc["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert desc["version"] == "0.1.0"
    assert desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert desc["contributors"] and desc["sources"] and desc["title"]
    for res in [*desc["resources"], *desc["files"]]:
        data = (built / res["path"]).read_bytes()
        assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert res["bytes"] == len(data)
    years = {
        f"parquet/year={e['date_start'][:4]}/part-0.parquet" for e in dataset_events(synthetic / "dataset")
    }
    every = (EXPECTED_FILES - {"parquet"}) | years
    names = {res["path"] for res in [*desc["resources"], *desc["files"]]}
    assert names == every - {"datapackage.json", "SHA256SUMS"}
    sums = dict(reversed(line.split("  ")) for line in (built / "SHA256SUMS").read_text().splitlines())
    assert set(sums) == every - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == digest
    evs = dataset_events(synthetic / "dataset")
    assert desc["created"] == max(e["modified"] for e in evs)
    assert desc["counts"] == {
        "events": len(evs),
        "withdrawn": sum(1 for e in evs if e["withdrawn"]),
        "actors": len(list((synthetic / "dataset" / "actors").iterdir())),
        "places": len(list((synthetic / "dataset" / "places").glob("*.json"))),
    }


def test_frictionless_validate_passes_unmodified(built: Path) -> None:
    proc = frictionless_validate(built / "datapackage.json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert report["valid"] is True
    assert {t["name"] for t in report["tasks"]} >= {
        "events",
        "event-sources",
        "event-actors",
        "actors",
        "changes",
    }


def _rewrite(package: Path, name: str, transform: Any) -> None:
    """Change a CSV file and re-record its hash, so only the content check can catch it."""
    path = package / name
    path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8", newline="")
    desc = json.loads((package / "datapackage.json").read_text())
    for res in desc["resources"]:
        if res["path"] == name:
            data = path.read_bytes()
            res["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
            res["bytes"] = len(data)
    (package / "datapackage.json").write_text(json.dumps(desc, indent=2))


def test_frictionless_checks_the_foreign_keys(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / built.name
    shutil.copytree(built, copy)
    _rewrite(copy, "event_actors.csv", lambda t: t.replace(",synthetic-actor-a-00,", ",no-such-actor,", 1))
    proc = frictionless_validate(copy / "datapackage.json")
    assert proc.returncode != 0
    assert "foreign-key" in proc.stdout


def test_frictionless_notices_a_tampered_file(built: Path, tmp_path: Path) -> None:
    copy = tmp_path / built.name
    shutil.copytree(built, copy)
    with (copy / "events.csv").open("ab") as fh:
        fh.write(b" ")
    proc = frictionless_validate(copy / "datapackage.json")
    assert proc.returncode != 0
    with pytest.raises(PackageError, match=r"events\.csv"):
        read_package(copy)


def test_descriptor_validates_against_the_data_package_v2_profile(built: Path) -> None:
    desc = json.loads((built / "datapackage.json").read_text())
    validator = jsonschema.Draft7Validator(PROFILE)
    assert list(validator.iter_errors(desc)) == []
    # The profile is not a rubber stamp: a non-table `type` or a bad hash is caught.
    bad = json.loads(json.dumps(desc))
    bad["resources"][5]["type"] = "json"
    bad["resources"][0]["hash"] = "sha256"
    assert len(list(validator.iter_errors(bad))) >= 1
    assert not validator.is_valid({**desc, "resources": []})


def test_read_package_verifies_and_reads_zip_and_dir(built: Path, tmp_path: Path) -> None:
    from openstrikes.package.archive import write_zip

    info = read_package(built)
    assert info.version == "0.1.0"
    assert info.sha256 == hashlib.sha256((built / "datapackage.json").read_bytes()).hexdigest()
    names = {f.name for f in info.files}
    assert {n for n in names if not n.startswith("parquet/")} == EXPECTED_FILES - {"SHA256SUMS", "parquet"}
    assert {n for n in names if n.startswith("parquet/")} == {
        p.relative_to(built).as_posix() for p in (built / "parquet").rglob("*.parquet")
    }
    zipped = write_zip(built, tmp_path / f"{built.name}.zip")
    assert read_package(zipped).sha256 == info.sha256


def test_csv_tables_reconstruct_every_event_exactly(built: Path, synthetic: Path) -> None:
    originals = dataset_events(synthetic / "dataset")
    back = list(read_events(built))
    assert back == originals
    files = sorted((synthetic / "dataset" / "events").rglob("*.json"), key=lambda p: p.stem)
    for event, path in zip(back, files, strict=True):
        assert canonical(event, "event").encode() == path.read_bytes()
    actors = sorted(
        (json.loads(p.read_bytes()) for p in (synthetic / "dataset" / "actors").iterdir()),
        key=lambda a: a["id"],
    )
    assert list(read_actors(built)) == actors


def test_json_ndjson_and_geojson_hold_the_records(built: Path, synthetic: Path) -> None:
    originals = dataset_events(synthetic / "dataset")
    assert json.loads((built / "events.json").read_bytes()) == originals
    lines = (built / "events.ndjson").read_bytes().splitlines()
    assert [json.loads(line) for line in lines] == originals
    geo = json.loads((built / "events.geojson").read_bytes())
    assert geo["type"] == "FeatureCollection"
    assert len(geo["features"]) == len(originals)
    for feat, ev in zip(geo["features"], originals, strict=True):
        assert feat["type"] == "Feature" and feat["id"] == ev["id"] and feat["properties"] == ev
        if ev["latitude"] is None:
            assert feat["geometry"] is None
        else:
            assert feat["geometry"] == {"type": "Point", "coordinates": [ev["longitude"], ev["latitude"]]}


def test_withdrawn_events_stay_everywhere_with_their_reason(built: Path, synthetic: Path) -> None:
    originals = {e["id"]: e for e in dataset_events(synthetic / "dataset")}
    withdrawn = {i for i, e in originals.items() if e["withdrawn"]}
    assert withdrawn, "the synthetic data should hold withdrawn events"
    with (built / "events.csv").open(newline="", encoding="utf-8") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    with (built / "changes.csv").open(newline="", encoding="utf-8") as fh:
        changes = {r["id"]: r for r in csv.DictReader(fh)}
    assert set(rows) == set(changes) == set(originals)
    for event_id in withdrawn:
        assert rows[event_id]["withdrawn_reason"] == originals[event_id]["withdrawn"]["reason"]
        assert changes[event_id]["withdrawn"] == "true"
        assert changes[event_id]["withdrawn_at"] == originals[event_id]["withdrawn"]["at"]
    for event_id in set(originals) - withdrawn:
        assert changes[event_id]["withdrawn"] == "false"
        assert changes[event_id]["modified"] == originals[event_id]["modified"]
    assert list(changes) == sorted(changes)


def test_rebuild_is_byte_identical_and_replaces_in_place(
    built: Path, synthetic: Path, tmp_path: Path
) -> None:
    again = build_package(synthetic / "dataset", tmp_path, progress=False, workers=1)
    assert file_bytes(again) == file_bytes(built)
    parallel = build_package(synthetic / "dataset", tmp_path / "p", progress=False, workers=2)
    assert file_bytes(parallel) == file_bytes(built)
    third = build_package(synthetic / "dataset", tmp_path, progress=False)
    assert third == again and file_bytes(third) == file_bytes(built)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [built.name, "p"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(f".{built.name}")]


def test_each_event_file_is_read_once(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openstrikes.package import render as package
    from openstrikes.toolchain.validate import validate_dataset

    result = validate_dataset(synthetic / "dataset")
    twice = build_package(
        synthetic / "dataset",
        tmp_path / "twice",
        progress=False,
        validated=(result.event_files, result.actor_files),  # the events are read a second time
    )

    def second_reading(*args: Any) -> Any:
        raise AssertionError("an event file was read again after validation")

    monkeypatch.setattr(package, "render_chunk", second_reading)
    once = build_package(synthetic / "dataset", tmp_path / "once", progress=False, workers=1)
    assert file_bytes(once) == file_bytes(twice)


def test_events_in_folders_out_of_id_order_still_come_out_in_id_order(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openstrikes.package import render as package

    second_readings: list[int] = []
    render_chunk = package.render_chunk
    monkeypatch.setattr(
        package,
        "render_chunk",
        lambda base, paths: second_readings.append(len(paths)) or render_chunk(base, paths),
    )
    root = tmp_path / "repo"
    shutil.copytree(synthetic, root)
    late = dataset_events(root / "dataset")[-1]  # in the last folder
    early = {**late, "id": "OS-1999-2222-3333", "distinct_from": [late["id"]]}  # sorts first, filed late
    write_event(root, early)
    assert f"/{late['date_start'][:4]}/" in str(next((root / "dataset").rglob("OS-1999-2222-3333.json")))
    package = build_package(root / "dataset", tmp_path / "dist", progress=False, workers=1)
    assert [e["id"] for e in read_events(package)] == sorted(
        e["id"] for e in dataset_events(root / "dataset")
    )
    assert sum(second_readings) == 401  # written from a second reading, in id order


@st.composite
def datasets(draw: st.DrawFn) -> list[dict[str, Any]]:
    evs = draw(st.lists(events(), min_size=0, max_size=6, unique_by=lambda e: e["id"]))
    ids = [e["id"] for e in evs]
    for ev in evs:  # generated events may look alike: say they are distinct, as a contributor would
        ev["distinct_from"] = sorted(i for i in ids if i != ev["id"])
    return evs


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(evs=datasets())
def test_builds_of_generated_datasets_are_byte_identical(evs: list[dict[str, Any]], tmp_path: Path) -> None:
    root = tmp_path / f"r{time.monotonic_ns()}"
    make_root(root)
    (root / "dataset" / "datapackage.json").write_text(json.dumps({"name": "t", "version": "1.2.3"}))
    for ev in evs:
        write_event(root, ev)
    a = build_package(root / "dataset", root / "a", progress=False)
    b = build_package(root / "dataset", root / "b", progress=False)
    assert file_bytes(a) == file_bytes(b)
    assert list(read_events(a)) == sorted(evs, key=lambda e: e["id"])
    shutil.rmtree(root)


def test_invalid_dataset_is_refused_and_nothing_is_written(synthetic: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(synthetic, root)
    first = build_package(root / "dataset", tmp_path / "dist", progress=False)
    before = file_bytes(first)
    bad = root / "dataset" / "events" / "2001" / "OS-2001-2222-2222.json"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text('{"id": "OS-2001-2222-2222"}\n')
    with pytest.raises(InvalidDataset) as info:
        build_package(root / "dataset", tmp_path / "fresh", progress=False)
    assert any(p.file.endswith("OS-2001-2222-2222.json") for p in info.value.problems)
    assert not (tmp_path / "fresh").exists() or not any((tmp_path / "fresh").iterdir())
    with pytest.raises(InvalidDataset):
        build_package(root / "dataset", tmp_path / "dist", progress=False)
    assert file_bytes(first) == before


def test_cli_build_refuses_with_the_report(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(synthetic, root)
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    assert main(["build", "--out", str(tmp_path / "dist")]) == 0
    out = capsys.readouterr()
    assert "built" in out.out and "sha256" in out.out
    assert "building [" not in out.err  # no progress bar when stderr is not a terminal
    (root / "dataset" / "events" / "2001").mkdir(exist_ok=True)
    (root / "dataset" / "events" / "2001" / "OS-2001-2222-2222.json").write_text("{not json")
    assert main(["build", "--out", str(tmp_path / "dist2")]) == 1
    out = capsys.readouterr()
    assert "OS104" in out.out and "refused" in out.err and "Traceback" not in out.err
    assert not (tmp_path / "dist2" / "openstrikes-synthetic-0.1.0").exists()


def test_bad_metadata_is_a_clear_error(
    synthetic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "repo"
    shutil.copytree(synthetic, root)
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    (root / "dataset" / "datapackage.json").write_text('{"name": "x", "version": "1.0"}')
    assert main(["build", "--out", str(tmp_path / "d")]) == 1
    assert "X.Y.Z" in capsys.readouterr().err


KILL_SCRIPT = """
import sys
from pathlib import Path
from openstrikes.package.build import build_package
build_package(Path(sys.argv[1]), Path(sys.argv[2]), progress=False, workers=1)
"""


@pytest.mark.slow
def test_a_killed_build_leaves_the_previous_build_intact(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    write_dataset(root, 6000, seed=3)
    out = tmp_path / "dist"
    first = build_package(root / "dataset", out, progress=False)
    before = file_bytes(first)
    # Change the data so that the second build would differ, then kill it while it writes.
    write_dataset(root, 6500, seed=3)
    env = {**os.environ, "OPENSTRIKES_ROOT": str(root)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(root / "dataset"), str(out)], env=env)
    deadline = time.monotonic() + 300
    partial: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        partial = [p for p in out.glob(f".{first.name}.tmp-*") if (p / "events.csv").exists()]
        if partial and (partial[0] / "events.csv").stat().st_size > 100_000:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the build finished before it could be killed"
    assert partial, "no temporary build directory appeared"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # The previous build is intact and verifies; the partial one is hidden, never at the target.
    assert file_bytes(first) == before
    read_package(first)
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == [first.name]
    # The next build cleans up the leftover and succeeds.
    second = build_package(root / "dataset", out, progress=False)
    assert not list(out.glob(".*.tmp-*"))
    assert json.loads((second / "datapackage.json").read_text())["counts"]["events"] == 6500


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    tty = _Tty()
    bar = Progress(1000, "building", tty)
    for _ in range(10):
        bar.advance(100)
    bar.close()
    text = tty.getvalue()
    assert "\r" in text and "100.0%" in text and "1,000/1,000" in text and text.endswith("\n")
    pipe = io.StringIO()
    bar = Progress(1000, "building", pipe)
    bar.advance(1000)
    bar.close()
    assert pipe.getvalue() == ""


def test_table_schemas_are_generated_from_the_json_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_root(tmp_path / "repo")
    schema_path = root / "schema" / "event.schema.json"
    schema = json.loads(schema_path.read_text())
    schema["properties"]["strike_type"]["enum"].append("naval_gunfire")
    schema["properties"]["weather"] = {"description": "Weather.", "type": ["string", "null"], "minLength": 2}
    schema_path.write_text(json.dumps(schema))
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    schemas.load_schema.cache_clear()
    tableschema.tables.cache_clear()
    try:
        fields = {f["name"]: f for f in tableschema.events_schema()["fields"]}
        assert "naval_gunfire" in fields["strike_type"]["constraints"]["enum"]
        assert fields["weather"] == {
            "name": "weather",
            "type": "string",
            "description": "Weather.",
            "constraints": {"minLength": 2},
        }
    finally:
        monkeypatch.delenv("OPENSTRIKES_ROOT")
        schemas.load_schema.cache_clear()
        tableschema.tables.cache_clear()
    fields = {f["name"]: f for f in tableschema.events_schema()["fields"]}
    assert "weather" not in fields and "naval_gunfire" not in fields["strike_type"]["constraints"]["enum"]
    assert fields["casualties_killed_min"]["type"] == "integer"
    assert fields["casualties_killed_min"]["constraints"] == {"minimum": 0}
    assert fields["id"]["constraints"]["required"] is True
    assert fields["date_start"]["type"] == "date" and fields["published"]["type"] == "datetime"


def test_citation_files_are_valid_cff(built: Path) -> None:
    import yaml

    cff = yaml.safe_load((built / "CITATION.cff").read_text(encoding="utf-8"))
    desc = json.loads((built / "datapackage.json").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == desc["version"] and cff["title"] == desc["title"]
    assert cff["license"] == "CC-BY-4.0" and cff["authors"]
    assert cff["date-released"] == desc["created"][:10]
    root = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    meta = load_metadata(REPO / "dataset")
    assert root["version"] == meta["version"] and root["title"] == meta["title"]


def test_an_empty_dataset_builds_a_valid_package(tmp_path: Path) -> None:
    root = make_root(tmp_path / "repo")
    (root / "dataset" / "datapackage.json").write_text(json.dumps({"name": "empty", "version": "0.0.1"}))
    package = build_package(root / "dataset", tmp_path / "dist", progress=False)
    assert json.loads((package / "events.json").read_bytes()) == []
    assert json.loads((package / "events.geojson").read_bytes()) == {
        "type": "FeatureCollection",
        "features": [],
    }
    assert (package / "events.ndjson").read_bytes() == b""
    assert "created" not in json.loads((package / "datapackage.json").read_text())
    proc = frictionless_validate(package / "datapackage.json")
    assert proc.returncode == 0, proc.stdout[-2000:]


def test_progress_bar_learns_its_total_and_draws_only_for_long_runs() -> None:
    from openstrikes.toolchain.progress import ProgressBar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    long_run, short_run = Tty(), Tty()
    bar = ProgressBar("validating", long_run)
    for done in range(500, 5001, 500):
        bar.update(done, 5000)
    bar.close()
    assert "validating [" in long_run.getvalue() and "5,000/5,000" in long_run.getvalue()
    small = ProgressBar("validating", short_run)
    small.update(10, 10)
    small.close()
    assert short_run.getvalue() == ""


def test_foreign_keys_and_columns_of_schema_1_1_are_derived_from_the_schema(built: Path) -> None:
    """Every `x-references` of the JSON Schemas is a foreign key of the table holding the column;
    vessel columns, the body of water and the place slug are columns; places.csv holds the
    registry, and events at sea and events naming a place are in the package."""
    desc = json.loads((built / "datapackage.json").read_text())
    res = {r["name"]: r for r in desc["resources"]}
    fks = {
        r: [(fk["fields"][0], fk["reference"]["resource"]) for fk in res[r]["schema"].get("foreignKeys", [])]
        for r in res
        if "schema" in res[r]
    }
    assert ("place", "places") in fks["events"]
    assert ("withdrawn_superseded_by", "events") in fks["events"]
    assert ("actor", "actors") in fks["event-actors"] and ("parent", "actors") in fks["actors"]
    assert res["places"]["schema"]["primaryKey"] == ["slug"]
    events_fields = {f["name"]: f for f in res["events"]["schema"]["fields"]}
    assert "required" not in events_fields["country"].get("constraints", {})  # null at sea
    assert "red_sea" in events_fields["water_body"]["constraints"]["enum"]
    actor_fields = [f["name"] for f in res["event-actors"]["schema"]["fields"]]
    assert {
        "vessel_name",
        "vessel_imo",
        "vessel_flag",
        "vessel_kind",
        "vessel_owner",
        "vessel_operator",
    } <= set(actor_fields)
    with (built / "events.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert any(r["water_body"] and not r["country"] for r in rows)
    assert any(r["place"] for r in rows)
    with (built / "places.csv").open(newline="", encoding="utf-8") as fh:
        slugs = {r["slug"] for r in csv.DictReader(fh)}
    assert {r["place"] for r in rows if r["place"]} <= slugs
    with (built / "event_actors.csv").open(newline="", encoding="utf-8") as fh:
        assert any(r["vessel_imo"] for r in csv.DictReader(fh))
