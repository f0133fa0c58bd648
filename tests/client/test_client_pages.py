"""The page feed of events.iter(): the next page is requested from a cursor read off the end of
the current page's bytes; the decoded body always decides. Against a scripted server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from client_fakes import Reply, Seen, fake_server, json_reply
from openstrikes_client import Client, Retries, TransportError
from openstrikes_client._pages import TAIL, tail_cursor
from synthetic import generate_events  # benchmarks/ is on sys.path (conftest.py)

FAST = Retries(total=1, backoff=0.0)


def _events(n: int) -> list[dict[str, Any]]:
    return list(generate_events(n, seed=5))


def test_tail_cursor_reads_the_cursor_the_api_writes_last() -> None:
    page = {
        "items": _events(3),
        "total": 9,
        "page": 1,
        "page_size": 3,
        "next_cursor": "WyJhIiwx_-",
        "next": None,
    }
    assert tail_cursor(json.dumps(page, separators=(",", ":")).encode()) == "WyJhIiwx_-"
    assert tail_cursor(json.dumps(page).encode()) == "WyJhIiwx_-"  # with spaces too
    page["next_cursor"] = None
    assert tail_cursor(json.dumps(page).encode()) is None
    far = {"next_cursor": "abc", "items": [{"pad": "x" * TAIL}]}
    assert tail_cursor(json.dumps(far).encode()) is None  # only the end of the body is looked at


def _route(pages: list[bytes]) -> Any:
    def route(seen: Seen) -> Reply:
        cursor = parse_qs(urlsplit(seen.path).query).get("cursor", ["c0"])[0]
        i = int(cursor[1:]) if cursor[1:].isdigit() else -1
        if not 0 <= i < len(pages):
            return json_reply({"error": {"status": 400, "code": "invalid_cursor", "message": "no"}}, 400)
        return Reply(200, pages[i])

    return route


def test_a_wrong_guess_is_dropped_and_the_body_decides() -> None:
    """Bodies whose real next_cursor comes first and whose last event carries a decoy
    "next_cursor" field: the feed guesses the decoy, the decoded body corrects it."""
    evs = _events(9)
    pages = []
    for i in range(3):
        items = [dict(e) for e in evs[i * 3 : (i + 1) * 3]]
        items[-1]["next_cursor"] = "c7"  # an unknown field of a newer server: ignored by the model
        nxt = f"c{i + 1}" if i < 2 else None
        pages.append(json.dumps({"next_cursor": nxt, "items": items, "total": 9}).encode())
    with fake_server() as srv:
        srv.routes["/v1/events"] = _route(pages)
        got = [e.id for e in Client(srv.url, retries=FAST).events.iter()]
        asked = [parse_qs(urlsplit(h.path).query).get("cursor", [""])[0] for h in srv.hits("/v1/events")]
    assert all(tail_cursor(p) == "c7" for p in pages)  # every guess is wrong...
    assert got == [e["id"] for e in evs]  # ...and yet every event comes once, in order
    assert [c for c in asked if c != "c7"] == ["", "c1", "c2"]  # each real page fetched once


def test_the_feed_follows_the_api_cursor_without_waiting_for_the_decode() -> None:
    evs = _events(16)
    pages = [
        json.dumps(
            {"items": evs[i * 4 : (i + 1) * 4], "total": 16, "next_cursor": f"c{i + 1}" if i < 3 else None}
        ).encode()
        for i in range(4)
    ]
    with fake_server() as srv:
        srv.routes["/v1/events"] = _route(pages)
        it = Client(srv.url, retries=FAST).events.iter()
        first = next(it)
        deadline = time.monotonic() + 5
        while len(srv.hits("/v1/events")) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.3)  # time enough for a fourth request, were the feed unbounded
        assert len(srv.hits("/v1/events")) == 3  # pages 2 and 3 are fetched while page 1 is used, no more
        rest = [e.id for e in it]
    assert [first.id, *rest] == [e["id"] for e in evs]


def test_a_page_cut_short_is_a_transport_error_naming_the_url() -> None:
    body = json.dumps({"items": _events(20), "total": 20, "next_cursor": None}).encode()
    with fake_server() as srv:
        srv.routes["/v1/events"] = [Reply(200, body, cut_after=len(body) // 2)]
        with pytest.raises(TransportError) as info:
            list(Client(srv.url, retries=FAST).events.iter())
    assert "/v1/events" in str(info.value.url)


def test_closing_the_iterator_stops_the_feed_thread() -> None:
    evs = _events(40)
    pages = [
        json.dumps(
            {"items": evs[i * 2 : (i + 1) * 2], "next_cursor": f"c{i + 1}" if i < 19 else None}
        ).encode()
        for i in range(20)
    ]
    with fake_server() as srv:
        srv.routes["/v1/events"] = _route(pages)
        it = Client(srv.url, retries=FAST).events.iter()
        next(it)
        it.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            t.name == "openstrikes-prefetch" for t in threading.enumerate()
        ):
            time.sleep(0.05)
        assert not any(t.name == "openstrikes-prefetch" for t in threading.enumerate())
        assert len(srv.hits("/v1/events")) <= 3
