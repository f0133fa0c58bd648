"""`openstrikes diff`: added, changed (field by field), withdrawn; builds, zips, git refs, work tree."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openstrikes.cli import main
from openstrikes.package.archive import write_zip
from openstrikes.package.build import build_package
from openstrikes.release.diff import FieldChange, compare, compare_schemas, field_changes
from openstrikes.release.diff_report import render_text
from openstrikes.release.snapshots import open_snapshot, worktree_snapshot
from openstrikes.toolchain.records import canonical
from strategies import events

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import generate_events, write_dataset  # noqa: E402


def _files(root: Path) -> list[Path]:
    return sorted((root / "dataset" / "events").rglob("*.json"), key=lambda p: p.stem)


def _edit(path: Path, change: Any) -> dict[str, Any]:
    event = json.loads(path.read_bytes())
    change(event)
    path.write_text(canonical(event, "event"), encoding="utf-8")
    return event


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    write_dataset(root, 120, seed=5)
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    return root


def _mutate(root: Path) -> dict[str, Any]:
    """Add 3 events, correct one, withdraw one, add an actor; return what was done."""
    files = _files(root)
    corrected = _edit(
        files[10],
        lambda e: e.update(
            location="Corrected place",
            casualties={
                **e["casualties"],
                "killed": {"min": 1, "max": 3, "best": 2},
                "civilians_killed": None,
            },
            modified="2025-06-01T00:00:00Z",
        ),
    )
    live = next(p for p in files[20:] if json.loads(p.read_bytes())["withdrawn"] is None)
    withdrawn = _edit(
        live,
        lambda e: e.update(
            withdrawn={
                "at": "2025-06-02T00:00:00Z",
                "reason": "erroneous",
                "superseded_by": None,
                "note": "x",
            },
            modified="2025-06-02T00:00:00Z",
        ),
    )
    added = []
    for event in list(generate_events(123, seed=5))[120:]:  # the next days of the same series
        dest = root / "dataset" / "events" / event["date_start"][:4] / f"{event['id']}.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(canonical(event, "event"), encoding="utf-8")
        added.append(event["id"])
    actor = json.loads((root / "dataset" / "actors" / "synthetic-actor-a-00.json").read_bytes())
    actor["id"], actor["name"] = "zz-new-actor", "A New Actor"
    (root / "dataset" / "actors" / "zz-new-actor.json").write_text(canonical(actor, "actor"))
    return {"corrected": corrected["id"], "withdrawn": withdrawn["id"], "added": sorted(added)}


def _check(result: Any, done: dict[str, Any]) -> None:
    assert sorted(a["id"] for a in result.added) == done["added"]
    assert [c.id for c in result.changed] == [done["corrected"]]
    pointers = {f.pointer: (f.old, f.new) for f in result.changed[0].fields}
    assert pointers["/location"][1] == "Corrected place"
    assert pointers.get("/casualties/killed", (None, None))[1] == {"min": 1, "max": 3, "best": 2} or (
        pointers.get("/casualties/killed/min", (None, None))[1] == 1
    )
    assert "/modified" not in pointers
    assert [w["id"] for w in result.withdrawn] == [done["withdrawn"]]
    assert result.withdrawn[0]["reason"] == "erroneous"
    assert result.actors_added == ["zz-new-actor"]
    assert result.removed == [] and result.reinstated == []
    assert result.level == "minor"


def test_diff_of_two_builds_and_their_zips(repo: Path, tmp_path: Path) -> None:
    old = build_package(repo / "dataset", tmp_path / "old", progress=False)
    done = _mutate(repo)
    new = build_package(repo / "dataset", tmp_path / "new", progress=False)
    _check(compare(open_snapshot(str(old), repo), open_snapshot(str(new), repo)), done)
    old_zip = write_zip(old, tmp_path / "old.zip")
    new_zip = write_zip(new, tmp_path / "new.zip")
    _check(compare(open_snapshot(str(old_zip), repo), open_snapshot(str(new_zip), repo)), done)
    # A build against the work tree it was built from: no difference.
    assert compare(open_snapshot(str(new), repo), open_snapshot(None, repo)).empty


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_diff_against_a_git_ref_and_the_work_tree(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    _git(repo, "tag", "base")
    done = _mutate(repo)
    _check(compare(open_snapshot("base", repo), open_snapshot(None, repo)), done)
    assert main(["diff", "base", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["level"] == "minor"
    assert sorted(a["id"] for a in data["added"]) == done["added"]
    assert data["changed"][0]["id"] == done["corrected"]
    assert {"pointer": "/location", "change": "modified"}.items() <= {
        k: v for k, v in data["changed"][0]["fields"][0].items() if k in ("pointer", "change")
    }.items() or any(f["pointer"] == "/location" for f in data["changed"][0]["fields"])
    assert data["withdrawn"][0]["id"] == done["withdrawn"]
    assert main(["diff", "base"]) == 0
    text = capsys.readouterr().out
    assert f"+ {done['added'][0]}" in text
    assert f"- {done['withdrawn']}  erroneous" in text
    assert f"~ {done['corrected']}" in text and "/location: " in text and '"Corrected place"' in text
    assert "needs a minor release" in text
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "next")
    assert main(["diff", "base", "HEAD", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["added"] == 3


def test_diff_refuses_what_it_cannot_read(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", "no-such-ref-or-path"]) == 2
    assert "not a package directory, a zip or a git ref" in capsys.readouterr().err
    package = build_package(repo / "dataset", tmp_path / "d", progress=False)
    with (package / "events.ndjson").open("ab") as fh:
        fh.write(b"\n")
    assert main(["diff", str(package)]) == 2
    err = capsys.readouterr().err
    assert "events.ndjson" in err and "Traceback" not in err


def test_deleted_event_is_reported_as_removed(repo: Path, tmp_path: Path) -> None:
    old = build_package(repo / "dataset", tmp_path / "old", progress=False)
    victim = _files(repo)[0]
    victim.unlink()
    result = compare(open_snapshot(str(old), repo), worktree_snapshot(repo))
    assert result.removed == [victim.stem]
    assert result.level == "major"
    assert "removed (events must be withdrawn, never deleted)" in render_text(result)


@settings(max_examples=150)
@given(events(), events())
def test_field_changes_are_empty_exactly_when_records_are_equal(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert (field_changes(a, b) == []) == (a == b)
    assert field_changes(a, copy.deepcopy(a)) == []


@settings(max_examples=150)
@given(events(), st.data())
def test_each_changed_leaf_is_reported_at_its_pointer(ev: dict[str, Any], data: st.DataObject) -> None:
    new = copy.deepcopy(ev)
    key = data.draw(st.sampled_from(["location", "summary", "status", "latitude"]))
    new[key] = {
        "location": "Elsewhere",
        "summary": ev["summary"] + " More.",
        "status": "contested",
        "latitude": 1.5,
    }[key]
    changes = field_changes(ev, new)
    if ev[key] == new[key]:
        assert changes == []
    else:
        assert changes == [FieldChange("/" + key, ev[key], new[key])]


def test_integer_and_float_are_different_values() -> None:
    assert field_changes({"latitude": 33}, {"latitude": 33.0}) == [FieldChange("/latitude", 33, 33.0)]


def _schema() -> dict[str, Any]:
    return json.loads((REPO / "schema" / "event.schema.json").read_text())


def test_schema_changes_are_classified() -> None:
    old = _schema()
    assert compare_schemas(old, copy.deepcopy(old)).breaking == []
    added = copy.deepcopy(old)
    added["properties"]["weather"] = {"type": ["string", "null"]}
    added["properties"]["strike_type"]["enum"].append("naval_gunfire")
    diff = compare_schemas(old, added)
    assert diff.breaking == []
    assert "new field /weather" in diff.additions
    assert any("gained codes" in a and "naval_gunfire" in a for a in diff.additions)
    removed = copy.deepcopy(old)
    del removed["properties"]["admin2"]
    removed["$defs"]["withdrawal"]["properties"]["reason"]["enum"].remove("merged")
    removed["required"].append("operation")
    diff = compare_schemas(old, removed)
    assert "field /admin2 removed" in diff.breaking
    assert any("/withdrawn/reason lost codes" in b and "merged" in b for b in diff.breaking)
    assert "field /operation became required" in diff.breaking
    retyped = copy.deepcopy(old)
    retyped["properties"]["latitude"]["type"] = "number"
    assert any("no longer accepts null" in b for b in compare_schemas(old, retyped).breaking)
    reworded = copy.deepcopy(old)
    reworded["properties"]["summary"]["description"] = "Reworded."
    d = compare_schemas(old, reworded)
    assert d.other and not d.breaking and not d.additions


def test_schema_1_1_is_an_additive_minor_change() -> None:
    from openstrikes.release.diff import compare_schemas
    from openstrikes.schema_files import event_schema

    old = json.loads((Path(__file__).parent / "data" / "event.schema-1.0.0.json").read_text())
    diff = compare_schemas(old, event_schema())
    assert diff.breaking == []
    assert (diff.old_version, diff.new_version) == ("1.0.0", "1.1.0")
    text = "; ".join(diff.additions)
    for needle in (
        "new field /water_body",
        "new field /place",
        "new field /targets/*/vessel",
        "gained codes",
    ):
        assert needle in text, text


def test_a_release_adding_places_and_migrating_records_is_minor(repo: Path) -> None:
    """Migrating records to 1.1 (new fields, version) and adding places needs a minor release."""
    from openstrikes.cli import main
    from openstrikes.release.diff import compare
    from openstrikes.release.snapshots import worktree_snapshot

    old_root = repo.parent / "old"
    shutil.copytree(repo, old_root)
    shutil.rmtree(old_root / "dataset" / "places")
    shutil.copy(
        Path(__file__).parent / "data" / "event.schema-1.0.0.json", old_root / "schema" / "event.schema.json"
    )
    assert main(["migrate"]) == 0
    diff = compare(worktree_snapshot(old_root), worktree_snapshot(repo))
    assert diff.places_added and not diff.places_removed
    assert diff.level == "minor"
