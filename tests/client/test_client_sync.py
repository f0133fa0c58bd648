"""sync(): a local copy kept current from the changes feed, verified, safe to interrupt."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from client_fakes import FakeAPI, FakeServer, fake_server, write_release
from openstrikes_client import Client, IntegrityError, Retries, ServerError, open_release, sync
from openstrikes_client import _sync as sync_module

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from synthetic import actors, generate_events

LATER = "2026-02-01T00:00:00Z"


def evolve(evs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], set[str], set[str]]:
    """A next release: three events corrected, one withdrawn, two added."""
    new = copy.deepcopy(evs)
    changed: set[str] = set()
    for e in new[1:4]:
        e["summary"] = e["summary"] + " Corrected after a second source."
        e["modified"] = LATER
        changed.add(e["id"])
    live = next(e for e in new[5:] if e["withdrawn"] is None)
    live["withdrawn"] = {"at": LATER, "reason": "erroneous", "superseded_by": None, "note": None}
    live["modified"] = LATER
    changed.add(live["id"])
    ids = {e["id"] for e in new}
    for extra in generate_events(len(evs) + 2, seed=99):
        if extra["id"] not in ids and len(changed) < 6:
            extra["modified"] = LATER
            new.append(extra)
            changed.add(extra["id"])
    return new, changed, {live["id"]}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[FakeServer, FakeAPI, list[dict[str, Any]]]]:
    evs = list(generate_events(40, seed=5))
    with fake_server() as srv:
        fake = FakeAPI(srv)
        fake.add("0.1.0", write_release(tmp_path / "r1", evs, actors(), "0.1.0"))
        yield srv, fake, evs


def client(srv: FakeServer) -> Client:
    return Client(srv.url, retries=Retries(total=2, backoff=0.0), timeout=(2, 5))


def test_first_sync_downloads_then_changes_come_incrementally(tmp_path: Path, api: Any) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    first = sync(local, client(srv))
    assert first.version == "0.1.0" and first.previous_version is None
    # the fake release is of schema 1.0: it has no places.csv, which is optional
    assert set(first.downloaded) == set(sync_module.DEFAULT_FILES) - sync_module.OPTIONAL_FILES
    with open_release(local) as rel:
        assert rel.events.count(include_withdrawn=True) == len(evs)

    assert sync(local, client(srv)).up_to_date

    new, changed, withdrawn = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))
    srv.seen.clear()
    second = sync(local, client(srv))
    assert second.previous_version == "0.1.0" and second.version == "0.2.0"
    assert second.incremental
    assert "events.ndjson" not in second.downloaded
    assert set(second.changed) == changed and set(second.withdrawn) == withdrawn
    assert not srv.hits("/v1/releases/0.2.0/files/events.ndjson")
    assert (local / "events.ndjson").read_bytes() == (tmp_path / "r2" / "events.ndjson").read_bytes()
    with open_release(local) as rel:
        assert rel.version == "0.2.0"
        gone = next(iter(withdrawn))
        assert rel.events.get(gone).is_withdrawn
        assert gone not in {e.id for e in rel.events.iter()}
        assert rel.events.count(include_withdrawn=True) == len(new)


def test_lines_that_do_not_hash_to_the_release_fall_back_to_a_full_download(tmp_path: Path, api: Any) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    sync(local, client(srv))
    new, _, _ = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))
    fake.reserialize = True
    result = sync(local, client(srv))
    assert not result.incremental and "events.ndjson" in result.downloaded
    assert (local / "events.ndjson").read_bytes() == (tmp_path / "r2" / "events.ndjson").read_bytes()
    open_release(local).close()


def test_a_failed_sync_leaves_the_previous_copy_intact_and_the_next_one_finishes(
    tmp_path: Path, api: Any
) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    sync(local, client(srv))
    new, _, _ = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))
    fake.broken_files = {"changes.csv"}
    with pytest.raises(ServerError):
        sync(local, client(srv))
    with open_release(local) as rel:  # still the old release, consistent with its hashes
        assert rel.version == "0.1.0"
        assert rel.events.count(include_withdrawn=True) == len(evs)
    fake.broken_files = set()
    assert sync(local, client(srv)).version == "0.2.0"
    with open_release(local) as rel:
        assert rel.version == "0.2.0"


def test_an_interrupted_commit_is_refused_by_open_release_and_finished_by_sync(
    tmp_path: Path, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    sync(local, client(srv))
    new, _, _ = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))

    real_replace = sync_module.os.replace
    moves = {"n": 0}

    def crash_after_one_move(src: Any, dst: Any) -> None:
        if Path(src).parent.name == sync_module.STAGING and Path(dst).parent == local:
            moves["n"] += 1
            if moves["n"] == 2:
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(sync_module.os, "replace", crash_after_one_move)
    with pytest.raises(KeyboardInterrupt):
        sync(local, client(srv))
    monkeypatch.setattr(sync_module.os, "replace", real_replace)
    with pytest.raises(IntegrityError, match="interrupted"):
        open_release(local)
    result = sync(local, client(srv))
    assert result.version == "0.2.0"
    with open_release(local) as rel:
        assert rel.version == "0.2.0"
        assert rel.events.count(include_withdrawn=True) == len(new)


def test_a_damaged_local_copy_is_repaired(tmp_path: Path, api: Any) -> None:
    srv, _, _ = api
    local = tmp_path / "live"
    sync(local, client(srv))
    (local / "actors.csv").write_text("id,name\nedited,by hand\n")
    with pytest.raises(IntegrityError):
        open_release(local)
    result = sync(local, client(srv))
    assert result.downloaded == ("actors.csv",)
    open_release(local).close()


def test_files_a_release_drops_are_removed(tmp_path: Path, api: Any) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    fake.folders.clear()
    fake.add("0.1.0", write_release(tmp_path / "r1x", evs, actors(), "0.1.0", extra={"NOTES.md": b"old\n"}))
    wanted = (*sync_module.DEFAULT_FILES, "NOTES.md")
    sync(local, client(srv), files=wanted)
    assert (local / "NOTES.md").read_bytes() == b"old\n"

    new, _, _ = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))
    result = sync(local, client(srv), files=wanted)
    assert result.version == "0.2.0" and result.removed == ("NOTES.md",)
    assert not (local / "NOTES.md").exists()
    with open_release(local) as rel:
        assert rel.version == "0.2.0"
    assert sync(local, client(srv), files=wanted).up_to_date


def test_a_file_no_longer_asked_for_is_removed_and_one_never_held_is_an_error(
    tmp_path: Path, api: Any
) -> None:
    srv, _, _ = api
    local = tmp_path / "live"
    sync(local, client(srv))
    with pytest.raises(IntegrityError, match=r"NOTES\.md"):
        sync(local, client(srv), files=(*sync_module.DEFAULT_FILES, "NOTES.md"))
    result = sync(local, client(srv), files=("events.ndjson",))
    assert set(result.removed) == {"actors.csv", "changes.csv"}
    assert sorted(p.name for p in local.iterdir() if not p.name.startswith(".")) == [
        "datapackage.json",
        "events.ndjson",
    ]


def test_a_copy_synced_before_files_were_recorded_still_drops_files(tmp_path: Path, api: Any) -> None:
    srv, fake, evs = api
    local = tmp_path / "live"
    fake.folders.clear()
    fake.add("0.1.0", write_release(tmp_path / "r1x", evs, actors(), "0.1.0", extra={"NOTES.md": b"old\n"}))
    wanted = (*sync_module.DEFAULT_FILES, "NOTES.md")
    sync(local, client(srv), files=wanted)
    state_file = local / sync_module.META / sync_module.STATE
    state = json.loads(state_file.read_text())
    del state["files"], state["asked"]  # as an older client wrote it
    state_file.write_text(json.dumps(state))
    new, _, _ = evolve(evs)
    fake.add("0.2.0", write_release(tmp_path / "r2", new, actors(), "0.2.0"))
    assert sync(local, client(srv), files=wanted).removed == ("NOTES.md",)
    assert not (local / "NOTES.md").exists()
