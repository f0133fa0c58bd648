"""sync() against the real API app (in-process) serving two releases built by the real builder:
the second sync fetches only the changed events and ends byte-identical to the new release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from server_side import build_package, canonical, create_app

from client_fakes import Built, session_into
from openstrikes_client import Client, open_release, sync

LATER = "2025-06-01T00:00:00Z"


@pytest.fixture(scope="module")
def two_releases(built: Built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str], set[str]]:
    """A releases directory with built's 0.1.0 and a 0.2.0: three corrections and one withdrawal."""
    tmp = tmp_path_factory.mktemp("two")
    dataset = tmp / "repo" / "dataset"
    shutil.copytree(built.dataset.parent, tmp / "repo")
    releases = tmp / "releases"
    releases.mkdir()
    shutil.copytree(built.package, releases / built.package.name)
    files = sorted((dataset / "events").rglob("*.json"))
    changed, withdrawn = set(), set()
    for path in files[100:103]:
        record = json.loads(path.read_text(encoding="utf-8"))
        record["summary"] += " Corrected after a second source."
        record["modified"] = LATER
        path.write_text(canonical(record, "event"), encoding="utf-8")
        changed.add(record["id"])
    for path in files[150:]:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record["withdrawn"] is None and not record.get("related"):
            record["withdrawn"] = {"at": LATER, "reason": "erroneous", "superseded_by": None, "note": None}
            record["modified"] = LATER
            path.write_text(canonical(record, "event"), encoding="utf-8")
            changed.add(record["id"])
            withdrawn.add(record["id"])
            break
    build_package(dataset, releases, version="0.2.0", progress=False)
    return releases, changed, withdrawn


def test_incremental_sync_over_the_real_api(two_releases: Any, tmp_path: Path) -> None:
    releases, changed, withdrawn = two_releases
    app = create_app(releases, cache_dir=tmp_path / "cache")
    session = session_into(app)
    local = tmp_path / "live"

    first = sync(local, Client("http://testserver", release="0.1.0", session=session))
    assert first.version == "0.1.0"
    second = sync(local, Client("http://testserver", session=session))
    assert second.version == "0.2.0" and second.previous_version == "0.1.0"
    assert second.incremental, "the events should come from the changes feed, not a full download"
    assert "events.ndjson" not in second.downloaded
    assert set(second.changed) == changed and set(second.withdrawn) == withdrawn
    new_package = next(p for p in releases.iterdir() if p.name.endswith("-0.2.0"))
    assert (local / "events.ndjson").read_bytes() == (new_package / "events.ndjson").read_bytes()
    with open_release(local) as rel:
        assert rel.version == "0.2.0"
        gone = next(iter(withdrawn))
        assert rel.events.get(gone).is_withdrawn
        assert gone not in {e.id for e in rel.events.iter()}
    assert sync(local, Client("http://testserver", session=session)).up_to_date
