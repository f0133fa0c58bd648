"""The SQLite index of a package: cached by the package hash, verified on load, read-only, bounded."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest_api import Release, build_release

from openstrikes.index.errors import QueryTimeout, StoreError
from openstrikes.index.store import Store
from openstrikes.index.text import search_words
from openstrikes.timefmt import utc_key


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("store"), 120, seed=5)


def test_index_is_built_once_and_reused(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path)
    (db,) = list(tmp_path.glob("*.sqlite"))
    assert db.name.startswith(store.sha256)
    mtime = db.stat().st_mtime_ns
    again = Store.open(rel.package, tmp_path)
    assert db.stat().st_mtime_ns == mtime and again.event_count == store.event_count == len(rel.events)


def test_every_record_is_stored_byte_for_byte(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path)
    lines = (rel.package / "events.ndjson").read_bytes().splitlines()
    got = [r[0] for r in store.query("SELECT body FROM bodies ORDER BY rid")]
    assert got == lines


@pytest.mark.parametrize("name", ["events.ndjson", "actors.csv", "changes.csv", "datapackage.json"])
def test_a_tampered_package_is_refused(rel: Release, tmp_path: Path, name: str) -> None:
    copy = tmp_path / "pkg"
    shutil.copytree(rel.package, copy)
    target = copy / name
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info:
        Store.open(copy, tmp_path / "cache")
    message = str(info.value)
    assert "refusing to serve" in message and (name in message or "SHA256SUMS" in message)
    assert not list((tmp_path / "cache").glob("*.sqlite")) if (tmp_path / "cache").exists() else True


def test_a_missing_package_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a package directory"):
        Store.open(tmp_path / "nope", tmp_path)


def test_the_index_is_opened_read_only(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path)
    with pytest.raises(sqlite3.OperationalError):
        store.connect().execute("DELETE FROM events")
    assert store.event_count == len(rel.events)


def test_an_index_of_another_package_is_built_again(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path)
    db = store.db_path
    other = build_release(tmp_path / "other", 30, seed=9)
    info_other = Store.open(other.package, tmp_path / "c2")
    os.replace(info_other.db_path, db)  # someone swapped the cache file
    again = Store.open(rel.package, tmp_path)
    assert again.event_count == len(rel.events) and again.db_path == db


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_corrupt_index_is_built_again(rel: Release, tmp_path: Path, damage: str) -> None:
    db = Store.open(rel.package, tmp_path).db_path
    data = db.read_bytes()
    db.write_bytes(
        {"garbage": b"not a database" * 100, "truncated": data[: len(data) // 3], "empty": b""}[damage]
    )
    store = Store.open(rel.package, tmp_path)
    assert store.event_count == len(rel.events)
    assert store.query("SELECT count(*) FROM events")[0][0] == len(rel.events)


def test_an_unusable_cache_directory_is_a_clear_error(rel: Release, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with pytest.raises(StoreError, match="cannot use the index cache"):
        Store.open(rel.package, tmp_path / "a-file" / "cache")


def test_queries_are_time_bounded(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path, timeout=0.05)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    with pytest.raises(QueryTimeout):
        store.query(slow)
    assert store.query("SELECT count(*) FROM events")[0][0] == len(rel.events)  # the connection still works


def test_actor_names_resolve_case_insensitively(rel: Release, tmp_path: Path) -> None:
    store = Store.open(rel.package, tmp_path)
    actor = next(iter(rel.actors.values()))
    assert actor["id"] in store.actor_ids_for(actor["name"].swapcase())
    assert store.actor_ids_for("nobody at all") == ["nobody at all"]


def test_utc_key_orders_instants() -> None:
    a = utc_key("2020-01-01T03:00:00+03:00")
    b = utc_key("2020-01-01T00:00:00.5Z")
    assert a < b and a == utc_key("2020-01-01T00:00:00Z")
    assert utc_key("0730-08-31T04:29:15Z").startswith("0730-")


def test_search_words() -> None:
    assert search_words("Al-Qa'im, 107 mm ROCKET") == ["al", "qa", "im", "107", "mm", "rocket"]


def test_the_default_counts_are_taken_at_start_up_not_on_the_first_request(
    rel: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold cache of a large release must not make the first listing spend its time bound on
    counting (a 503): the counts of the listings without filters are known when the store opens."""
    from openstrikes.index.filters import where_clause

    store = Store.open(rel.package, tmp_path)

    def no_query(*_: object) -> None:
        raise AssertionError("a query at request time")

    monkeypatch.setattr(store, "query", no_query)
    default = where_clause({}, lambda v: [v])
    everything = where_clause({"include_withdrawn": True}, lambda v: [v])
    live = sum(1 for e in rel.events.values() if not e.get("withdrawn"))
    assert store.count(default.sql, default.params) == live
    assert store.count(everything.sql, everything.params) == len(rel.events)
