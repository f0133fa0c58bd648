"""The codebook's per-code counts, counted while the index is built (index/code_use.py) and by
`event_usage` (package/codebook.py), equal the pass over every event that /docs/codebook made on
its first request before: a plain reference below, over synthetic releases (withdrawn events,
vessels, related links), a schema 1.0 release, and random events with missing keys, nulls,
repeated and unhashable values, in any order."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest_api import Release, build_legacy_release, build_release
from hypothesis import given, settings
from hypothesis import strategies as st

from openstrikes.index.build import LAYOUT_VERSION
from openstrikes.index.store import Store
from openstrikes.package.codebook import (
    EventCodeUse,
    Field,
    Usage,
    codebook_blocks,
    event_usage,
    fields_of,
    markdown,
)
from openstrikes.package.reader import iter_package_events, package_actors, package_places, package_schema
from openstrikes.schema_files import event_schema
from openstrikes.web import create_app


def _values(record: Any, parts: list[str]) -> Iterable[Any]:
    if not parts:
        yield record
        return
    name = parts[0].removesuffix("[]")
    if not isinstance(record, dict) or name not in record:
        return
    value = record[name]
    if parts[0].endswith("[]"):
        for item in value if isinstance(value, list) else ():
            yield from _values(item, parts[1:])
    else:
        yield from _values(value, parts[1:])


def reference(
    fields: list[Field], events: Iterable[dict[str, Any]]
) -> dict[str, tuple[dict[Any, int], dict[Any, Any]]]:
    """The pass over events the server made on the first request (package/codebook.py before
    the counts moved to the index): per coded field, code -> events, code -> earliest key."""
    coded = [(f.path, f.path.replace("[].", "[] ").replace(".", " ").split()) for f in fields if f.codes]
    counts: dict[str, dict[Any, int]] = {path: {} for path, _ in coded}
    first: dict[str, dict[Any, tuple[str, str]]] = {path: {} for path, _ in coded}
    for event in events:
        key = (str(event.get("date_start")), str(event.get("id")))
        gone = bool(event.get("withdrawn"))
        for path, parts in coded:
            if path.startswith("withdrawn.") != gone:
                continue
            for value in dict.fromkeys(v for v in _values(event, parts) if _hashable(v)):
                counts[path][value] = counts[path].get(value, 0) + 1
                if value not in first[path] or key < first[path][value]:
                    first[path][value] = key
    return {path: (counts[path], first[path]) for path, _ in coded}


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _plain(use: dict[str, Usage]) -> dict[str, tuple[dict[Any, int], dict[Any, Any]]]:
    return {path: (u.counts, u.first) for path, u in use.items()}


def _check_index(package: Path, cache: Path) -> Store:
    store = Store.open(package, cache)
    fields = fields_of(package_schema(package), strict=False)
    want = reference(fields, iter_package_events(package))
    got = {path: (u.counts, u.first) for path, u in store.code_use.items()}
    assert got == {path: use for path, use in want.items() if use[0]}  # a field no event codes: no rows
    # codes with no use and withdrawn events are in the data, not only in the schema
    assert any(not want[f.path][0].get(code) for f in fields if f.codes for code in f.codes)
    assert want["withdrawn.reason"][0] and sum(want["withdrawn.reason"][0].values()) < sum(
        want["strike_type"][0].values()
    )
    assert any(len(f.path.split("[]")) > 1 and want[f.path][0] for f in fields if f.codes)
    return store


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("code-use"), 300, seed=5)


def test_the_index_holds_the_counts_of_the_pass_over_events(rel: Release, tmp_path: Path) -> None:
    _check_index(rel.package, tmp_path)


def test_the_served_codebook_is_the_one_counted_over_events(rel: Release, tmp_path: Path) -> None:
    """/docs/codebook.md is byte for byte the codebook made by counting every event."""
    package = rel.package
    want = markdown(
        codebook_blocks(
            package_schema(package),
            package_schema(package, "actor.schema.json"),
            package_schema(package, "place.schema.json"),
            iter_package_events(package),
            package_actors(package),
            package_places(package),
            strict=False,
        )
    )
    client = create_app(rel.root, cache_dir=tmp_path).test_client()
    assert client.get("/docs/codebook.md").get_data(as_text=True) == want


def test_a_schema_1_0_release_gets_the_same_counts(tmp_path: Path) -> None:
    package = build_legacy_release(tmp_path / "legacy", 120, 4, tmp_path / "releases")
    store = _check_index(package, tmp_path / "index")
    assert store.code_use["strike_type"].counts


def test_an_index_of_the_layout_before_is_built_again(rel: Release, tmp_path: Path) -> None:
    """The counts came with layout 11: an index without them is not reused."""
    store = Store.open(rel.package, tmp_path)
    assert store.db_path.name.endswith(f"-v{LAYOUT_VERSION}.sqlite") and LAYOUT_VERSION >= 11
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("SELECT count(*) FROM code_use").fetchone()[0] > 0


CODES = st.one_of(st.sampled_from(["airstrike", "drone_strike", "day", "claimed", "other", "x"]), st.none())
ODD = st.one_of(CODES, st.integers(0, 2), st.lists(st.just("airstrike"), max_size=1), st.just({"a": 1}))


def _maybe(d: dict[str, Any], key: str, value: Any, keep: bool) -> None:
    if keep:
        d[key] = value


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    e: dict[str, Any] = {}
    _maybe(e, "id", f"OS-{draw(st.integers(0, 30)):04d}", draw(st.integers(0, 9)) > 0)
    _maybe(
        e,
        "date_start",
        draw(st.sampled_from(["2020-01-02", "2020-01-01", "2021-05-05"])),
        draw(st.booleans()),
    )
    withdrawn = draw(st.one_of(st.none(), st.just(False), st.builds(lambda r: {"reason": r}, ODD)))
    _maybe(e, "withdrawn", withdrawn, draw(st.booleans()))
    for key in ("strike_type", "date_precision", "water_body", "status"):
        _maybe(e, key, draw(ODD), draw(st.integers(0, 4)) > 0)
    targets = st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "target_type": ODD,
                "vessel": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"kind": ODD})),
            },
        ),
        max_size=4,
    )
    _maybe(e, "targets", draw(st.one_of(targets, st.none(), st.just("x"))), draw(st.booleans()))
    sources = st.lists(st.fixed_dictionaries({"type": ODD}), max_size=4)
    _maybe(e, "sources", draw(sources), draw(st.booleans()))
    return e


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), max_size=25))
def test_counting_one_event_at_a_time_equals_the_pass(batch: list[dict[str, Any]]) -> None:
    fields = fields_of(event_schema())
    want = reference(fields, batch)
    assert _plain(event_usage(fields, batch)) == want
    counter = EventCodeUse(fields)
    for e in reversed(batch):  # any order
        counter.add(e)
    assert _plain(counter.result()) == want
