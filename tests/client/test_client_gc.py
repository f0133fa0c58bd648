"""The client never changes its host's garbage collector unless asked: walking large pages over
HTTP and decoding large bodies leaves the collector's switch, thresholds and frozen objects as they
were, and calls none of the gc functions that change them. `Client(tune_gc=True)` opts in."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from client_fakes import Reply, Seen, fake_server
from openstrikes_client import Client, Retries
from openstrikes_client._transport import parse_json
from synthetic import generate_events  # benchmarks/ is on sys.path (conftest.py)

CHANGERS = ("disable", "enable", "freeze", "unfreeze", "set_threshold", "collect", "set_debug")


@pytest.fixture
def gc_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every call of a gc function that changes the collector, recorded (and still made)."""
    calls: list[str] = []
    for name in CHANGERS:
        real = getattr(gc, name)

        def spy(*args: Any, _name: str = name, _real: Any = real) -> Any:
            calls.append(_name)
            return _real(*args)

        monkeypatch.setattr(gc, name, spy)
    yield calls


def _pages(n_pages: int, per_page: int) -> list[bytes]:
    evs = list(generate_events(n_pages * per_page, seed=3))
    return [
        json.dumps(
            {
                "items": evs[i * per_page : (i + 1) * per_page],
                "total": len(evs),
                "next_cursor": f"c{i + 1}" if i + 1 < n_pages else None,
            }
        ).encode()
        for i in range(n_pages)
    ]


def _walk(pages: list[bytes], tune_gc: bool = False) -> int:
    def route(seen: Seen) -> Reply:
        cursor = parse_qs(urlsplit(seen.path).query).get("cursor", ["c0"])[0]
        return Reply(200, pages[int(cursor[1:])])

    with fake_server() as srv:
        srv.routes["/v1/events"] = route
        with Client(srv.url, retries=Retries(total=1, backoff=0.0), tune_gc=tune_gc) as client:
            return sum(1 for e in client.events.iter() if e.id)


def test_a_walk_calls_no_gc_function(gc_calls: list[str]) -> None:
    pages = _pages(4, 300)
    assert min(len(p) for p in pages) > 256 * 1024  # large pages: where a pause would kick in
    assert _walk(pages) == 1200
    assert parse_json(pages[0], "u")["total"] == 1200
    assert gc_calls == []


def test_the_hosts_collector_state_is_untouched_by_a_walk() -> None:
    pages = _pages(3, 300)
    was_enabled, thresholds = gc.isenabled(), gc.get_threshold()
    host_objects = [[i] for i in range(1000)]  # the host's own, frozen by the host
    gc.freeze()
    try:
        assert _walk(pages) == 900
        tracked = {id(o) for o in gc.get_objects()}  # the generations, not the frozen objects
        assert not any(id(o) in tracked for o in host_objects), "the host's frozen objects were thawed"
        assert gc.isenabled() is was_enabled and gc.get_threshold() == thresholds
    finally:
        gc.unfreeze()
    del host_objects


def test_tune_gc_is_an_opt_in_that_restores_the_switch(gc_calls: list[str]) -> None:
    pages = _pages(2, 300)
    assert _walk(pages, tune_gc=True) == 600
    assert gc.isenabled()
    assert gc_calls.count("disable") == gc_calls.count("enable") == 2
    assert gc_calls.count("freeze") == gc_calls.count("unfreeze") == 2


def test_tune_gc_never_thaws_what_the_host_froze(gc_calls: list[str]) -> None:
    pages = _pages(2, 300)
    host_objects = [[i] for i in range(1000)]
    gc.freeze()
    try:
        assert _walk(pages, tune_gc=True) == 600
        tracked = {id(o) for o in gc.get_objects()}
        assert not any(id(o) in tracked for o in host_objects)
        assert "unfreeze" not in gc_calls[1:]  # the spy saw the host's own freeze first
    finally:
        gc.unfreeze()
