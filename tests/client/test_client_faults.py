"""Fault tests: retries, error mapping and broken downloads, against a scripted server on 127.0.0.1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from client_fakes import Reply, fake_server, free_port, json_reply, ranged
from openstrikes_client import (
    APIError,
    BadRequest,
    Client,
    IntegrityError,
    NotFound,
    RateLimited,
    Retries,
    ServerError,
    TransportError,
)
from openstrikes_client._download import fetch_file, part_path
from openstrikes_client._transport import USER_AGENT, Transport, parse_retry_after
from synthetic import generate_events  # benchmarks/ is on sys.path (conftest.py)

HEALTH = {"status": "ok", "release": "0.1.0"}
FAST = Retries(total=3, backoff=0.0)


def make_client(url: str, retries: Retries = FAST) -> Client:
    return Client(url, retries=retries, timeout=(2, 5))


def test_500_then_200_is_retried_and_succeeds() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [json_reply({"error": {"message": "boom"}}, 500), json_reply(HEALTH)]
        assert make_client(srv.url).health() == HEALTH
        assert len(srv.hits("/v1/health")) == 2


def test_5xx_every_time_raises_server_error_after_the_retries() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [json_reply({"error": {"status": 503, "message": "down"}}, 503)]
        with pytest.raises(ServerError) as info:
            make_client(srv.url).health()
        assert info.value.status == 503 and "down" in str(info.value)
        assert len(srv.hits("/v1/health")) == 1 + FAST.total


def test_429_honours_retry_after() -> None:
    slept: list[float] = []
    with fake_server() as srv:
        srv.routes["/v1/health"] = [
            json_reply({"error": {"message": "slow down"}}, 429, {"Retry-After": "2"}),
            json_reply(HEALTH),
        ]
        client = make_client(srv.url)
        client._transport.sleep = slept.append
        assert client.health() == HEALTH
    assert slept == [2.0]


def test_429_with_a_retry_after_beyond_the_limit_raises_rate_limited_at_once() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [json_reply({"error": {"message": "later"}}, 429, {"Retry-After": "3600"})]
        with pytest.raises(RateLimited) as info:
            make_client(srv.url).health()
        assert info.value.retry_after == 3600.0
        assert len(srv.hits("/v1/health")) == 1


def test_backoff_grows_and_is_jittered_within_its_cap() -> None:
    policy = Retries(total=5, backoff=1.0, max_backoff=4.0)
    for attempt, cap in enumerate([1, 2, 4, 4, 4]):
        waits = {policy.wait(attempt, None) for _ in range(50)}
        assert all(0 <= w <= cap for w in waits)
        assert len(waits) > 1  # jitter


def test_retry_after_http_date_and_garbage() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("5") == 5.0
    assert parse_retry_after("soon") is None


def test_post_is_never_retried() -> None:
    with fake_server() as srv:
        srv.routes["/v1/validate"] = [json_reply({"error": {"message": "boom"}}, 500), json_reply({})]
        with pytest.raises(ServerError):
            make_client(srv.url).validate({"id": "x"})
        assert len(srv.hits("/v1/validate")) == 1


def test_connection_refused_raises_transport_error_naming_the_url() -> None:
    port = free_port()
    client = make_client(f"http://127.0.0.1:{port}", Retries(total=1, backoff=0.0))
    with pytest.raises(TransportError) as info:
        client.events.list(country="IQ")
    assert info.value.url.startswith(f"http://127.0.0.1:{port}/v1/events")
    assert "country=IQ" in info.value.url
    assert "refused" in str(info.value)
    assert f"127.0.0.1:{port}" in str(info.value)


def test_error_body_becomes_bad_request_naming_the_parameter() -> None:
    body = {
        "error": {
            "status": 400,
            "code": "unknown_parameter",
            "message": "unknown parameter 'contry'",
            "parameter": "contry",
            "details": None,
        }
    }
    with fake_server() as srv:
        srv.routes["/v1/events"] = [json_reply(body, 400)]
        with pytest.raises(BadRequest) as info:
            make_client(srv.url).events.list()
    err = info.value
    assert (err.status, err.code, err.parameter) == (400, "unknown_parameter", "contry")
    assert "contry" in str(err)
    assert isinstance(err, APIError)


def test_404_is_not_found_and_not_retried() -> None:
    with fake_server() as srv:
        with pytest.raises(NotFound):
            make_client(srv.url).events.get("OS-2024-2222-2222")
        assert len(srv.seen) == 1


def test_a_200_that_is_not_json_is_a_transport_error() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [Reply(200, b"<html>proxy login</html>", {"Content-Type": "text/html"})]
        with pytest.raises(TransportError, match="not JSON"):
            make_client(srv.url).health()


def test_user_agent_names_the_client_version() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [json_reply(HEALTH)]
        make_client(srv.url).health()
        assert srv.seen[0].headers["User-Agent"] == USER_AGENT
        assert USER_AGENT.startswith("openstrikes-client/")


def test_unknown_filter_is_refused_before_any_request() -> None:
    client = make_client("http://127.0.0.1:9")
    with pytest.raises(TypeError, match="did you mean 'country'"):
        client.events.list(contry="IQ")  # type: ignore[call-arg]


# -- downloads -----------------------------------------------------------------------------------

DATA = bytes(range(256)) * 4096  # 1 MiB
SHA = hashlib.sha256(DATA).hexdigest()


def _transport(url: str, total: int = 3) -> Transport:
    return Transport(url, retries=Retries(total=total, backoff=0.0), timeout=(2, 5))


def test_a_server_that_closes_mid_download_raises_integrity_error_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "events.csv"
    with fake_server() as srv:
        srv.routes["/f"] = [Reply(200, DATA, cut_after=1000)]
        with pytest.raises(IntegrityError, match="truncated"):
            fetch_file(_transport(srv.url), "/f", dest, sha256=SHA, size=len(DATA))
    assert not dest.exists()


def test_a_short_download_is_detected_without_a_published_size(tmp_path: Path) -> None:
    dest = tmp_path / "x.bin"
    with fake_server() as srv:
        srv.routes["/f"] = [Reply(200, DATA, cut_after=70_000)]
        with pytest.raises(IntegrityError):
            fetch_file(_transport(srv.url, total=0), "/f", dest, sha256=None)
    assert not dest.exists()


def test_a_broken_download_resumes_with_range_and_verifies(tmp_path: Path) -> None:
    dest = tmp_path / "events.csv"
    calls: list[str | None] = []
    full = ranged(DATA)

    def flaky(seen):  # type: ignore[no-untyped-def]
        calls.append(seen.headers.get("Range"))
        if len(calls) == 1:
            return Reply(200, DATA, cut_after=300_000)
        return full(seen)

    with fake_server() as srv:
        srv.routes["/f"] = flaky
        fetch_file(_transport(srv.url), "/f", dest, sha256=SHA, size=len(DATA))
    assert dest.read_bytes() == DATA
    assert calls[0] is None
    assert calls[1] is not None and calls[1].startswith("bytes=") and calls[1] != "bytes=0-"
    assert not part_path(dest).exists()


def test_a_corrupted_download_raises_and_leaves_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "events.csv"
    bad = bytearray(DATA)
    bad[12345] ^= 0xFF
    with fake_server() as srv:
        srv.routes["/f"] = [Reply(200, bytes(bad))]
        with pytest.raises(IntegrityError, match="does not match"):
            fetch_file(_transport(srv.url), "/f", dest, sha256=SHA, size=len(DATA))
    assert not dest.exists()
    assert not part_path(dest).exists()


def test_a_checksum_header_that_disagrees_with_the_listing_is_refused(tmp_path: Path) -> None:
    dest = tmp_path / "events.csv"
    with fake_server() as srv:
        srv.routes["/f"] = [Reply(200, DATA, {"X-Checksum-SHA256": "0" * 64})]
        with pytest.raises(IntegrityError, match="announces"):
            fetch_file(_transport(srv.url), "/f", dest, sha256=SHA, size=len(DATA))
    assert not dest.exists()


def test_an_existing_file_is_replaced_only_when_the_new_one_verifies(tmp_path: Path) -> None:
    dest = tmp_path / "events.csv"
    dest.write_bytes(b"old and good")
    with fake_server() as srv:
        srv.routes["/f"] = [Reply(200, DATA[:-1] + b"!")]
        with pytest.raises(IntegrityError):
            fetch_file(_transport(srv.url), "/f", dest, sha256=SHA, size=len(DATA))
        assert dest.read_bytes() == b"old and good"
        srv.routes["/f"] = [Reply(200, DATA)]
        progress: list[tuple[int, int | None]] = []
        fetch_file(
            _transport(srv.url),
            "/f",
            dest,
            sha256=SHA,
            size=len(DATA),
            progress=lambda d, t: progress.append((d, t)),
        )
    assert dest.read_bytes() == DATA
    assert progress[-1] == (len(DATA), len(DATA))
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)


# -- paging --------------------------------------------------------------------------------------


def _pages(n_pages: int, per_page: int = 3) -> list[dict[str, object]]:
    evs = list(generate_events(n_pages * per_page, seed=2))
    out = []
    for i in range(n_pages):
        nxt = f"c{i + 1}" if i + 1 < n_pages else None
        out.append(
            {
                "items": evs[i * per_page : (i + 1) * per_page],
                "total": len(evs),
                "next_cursor": nxt,
                "next": None,
            }
        )
    return out


def _paged_route(pages: list[dict[str, object]], fail_once: set[int] | None = None):  # type: ignore[no-untyped-def]
    failed: set[int] = set()

    def route(seen):  # type: ignore[no-untyped-def]
        from urllib.parse import parse_qs, urlsplit

        cursor = parse_qs(urlsplit(seen.path).query).get("cursor", ["c0"])[0]
        i = int(cursor[1:])
        if fail_once and i in fail_once and i not in failed:
            failed.add(i)
            return json_reply({"error": {"message": "hiccup"}}, 502)
        return json_reply(pages[i])

    return route


def test_iter_follows_the_cursor_and_retries_a_failed_page() -> None:
    pages = _pages(5)
    with fake_server() as srv:
        srv.routes["/v1/events"] = _paged_route(pages, fail_once={2, 4})
        got = [e.id for e in make_client(srv.url).events.iter(country="IQ")]
        hits = srv.hits("/v1/events")
    want = [e["id"] for p in pages for e in p["items"]]  # type: ignore[attr-defined]
    assert got == want
    assert len(hits) == 5 + 2
    assert all("country=IQ" in h.path for h in hits)  # the filters go along with the cursor


def test_iter_is_lazy() -> None:
    pages = _pages(20)
    with fake_server() as srv:
        srv.routes["/v1/events"] = _paged_route(pages)
        it = make_client(srv.url).events.iter()
        assert not srv.seen  # nothing asked before the first next()
        next(it)
        it.close()
        assert len(srv.hits("/v1/events")) <= 2  # the first page, and at most one ahead


def test_iter_stops_on_a_cursor_loop() -> None:
    pages = _pages(2)
    pages[1]["next_cursor"] = "c1"
    with fake_server() as srv:
        srv.routes["/v1/events"] = _paged_route(pages)
        with pytest.raises(IntegrityError, match="same cursor"):
            list(make_client(srv.url).events.iter())


def test_iter_raises_a_failure_of_a_later_page() -> None:
    pages = _pages(3)
    with fake_server() as srv:
        route = _paged_route(pages)

        def failing(seen):  # type: ignore[no-untyped-def]
            if "cursor=c2" in seen.path:
                return json_reply(
                    {"error": {"status": 410, "code": "cursor_expired", "message": "gone"}}, 410
                )
            return route(seen)

        srv.routes["/v1/events"] = failing
        got = []
        with pytest.raises(APIError) as info:
            for e in make_client(srv.url).events.iter():
                got.append(e.id)
        assert info.value.status == 410 and info.value.code == "cursor_expired"
        assert len(got) == 6


def test_compression_is_off_on_loopback_and_on_when_asked() -> None:
    with fake_server() as srv:
        srv.routes["/v1/health"] = [json_reply(HEALTH)]
        make_client(srv.url).health()
        Client(srv.url, compress=True).health()
        first, second = srv.hits("/v1/health")
    assert first.headers["Accept-Encoding"] == "identity"
    assert "gzip" in second.headers["Accept-Encoding"]
    assert Client("https://api.example.org")._transport.compress


def test_a_query_timeout_is_not_retried() -> None:
    """The server's time bound stops the same query the same way every time."""
    body = {"error": {"status": 503, "code": "query_timeout", "message": "the query took longer than 5 s"}}
    with fake_server() as srv:
        srv.routes["/v1/events"] = [json_reply(body, 503)]
        with pytest.raises(ServerError) as info:
            make_client(srv.url).events.list(q="rocket")
        assert info.value.code == "query_timeout"
        assert len(srv.hits("/v1/events")) == 1
