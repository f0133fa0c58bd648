"""`openstrikes serve` as an operator runs it: gunicorn worker processes, time bounds on slow
clients, `kill -HUP` to serve a new release, SIGTERM to stop cleanly, a taken port."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests
from conftest_api import EXE, Release, build_release, children_of, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("serve"), 40, seed=21)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, OPENSTRIKES_CACHE=str(tmp_path / "cache"))


def _hup_with_a_broken_release(proc: subprocess.Popen[bytes], url: str, releases: Path, good: Path) -> None:
    """A release that fails verification is refused on HUP; the served ones stay served."""
    bad = releases / "broken-9.9.9"
    shutil.copytree(good, bad)
    (bad / "events.csv").write_bytes(b"altered")
    os.kill(proc.pid, signal.SIGHUP)
    time.sleep(3)
    assert requests.get(url + "/v1/health", timeout=10).json()["releases"] == ["0.2.0", "0.1.0"]


def test_production_server_by_default(rel: Release, env: dict[str, str]) -> None:
    proc, url = start_server(["--releases", str(rel.root), "--workers", "2"], env)
    try:
        assert requests.get(url + "/v1/health", timeout=10).json()["events"] == 40
        deadline = time.time() + 20
        while len(children_of(proc.pid)) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(children_of(proc.pid)) == 2  # two worker processes under the master
    finally:
        err = stop_server(proc)
    assert proc.returncode == 0, err
    assert "development server" not in err.lower() and "Traceback" not in err


def _stall(port: int) -> socket.socket:
    """A client that sends its headers and one byte of the announced body, then nothing."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    return sock


@pytest.mark.parametrize("mode", ["production", "dev"])
def test_stalled_clients_lose_their_connection_and_do_not_stall_health(
    rel: Release, env: dict[str, str], mode: str
) -> None:
    flags = ["--workers", "1", "--threads", "2"] if mode == "production" else ["--dev"]
    args = ["--releases", str(rel.root), *flags, "--client-timeout", "1"]
    proc, url = start_server(args, env)
    port = int(url.rsplit(":", 1)[1])
    stalled = [_stall(port) for _ in range(6)]  # three times the threads
    try:
        started = time.monotonic()
        assert requests.get(url + "/v1/health", timeout=30).status_code == 200
        assert time.monotonic() - started < 15
        for sock in stalled:
            sock.settimeout(15)
            try:
                answer = sock.recv(4096)  # the server gives up on it: an answer or EOF
            except ConnectionResetError:
                answer = b""
            assert not answer or answer.startswith(b"HTTP/1.1 408"), answer[:200]
    finally:
        for sock in stalled:
            sock.close()
        stop_server(proc)


def test_sighup_serves_a_release_added_to_the_directory(
    rel: Release, env: dict[str, str], tmp_path: Path
) -> None:
    releases = tmp_path / "releases"
    shutil.copytree(rel.root, releases)
    proc, url = start_server(["--releases", str(releases), "--workers", "2"], env)
    try:
        assert requests.get(url + "/v1/health", timeout=10).json()["releases"] == ["0.1.0"]
        newer = build_release(tmp_path / "newer", 45, seed=22, version="0.2.0")
        shutil.copytree(newer.package, releases / newer.package.name)
        os.kill(proc.pid, signal.SIGHUP)
        deadline = time.time() + 60
        while time.time() < deadline:
            health = requests.get(url + "/v1/health", timeout=10).json()
            if health["releases"] == ["0.2.0", "0.1.0"]:
                break
            time.sleep(0.2)
        assert health["release"] == "0.2.0" and health["events"] == 45
        old = requests.get(url + "/v1/releases/0.1.0/files/events.csv", timeout=10)
        assert old.status_code == 200 and old.content == (rel.package / "events.csv").read_bytes()
        _hup_with_a_broken_release(proc, url, releases, newer.package)
    finally:
        err = stop_server(proc)
    assert "reload refused" in err and "events.csv" in err


def test_sigterm_stops_and_removes_the_temporary_build(tmp_path: Path, env: dict[str, str]) -> None:
    from synthetic import write_dataset

    write_dataset(tmp_path / "root", 30, seed=3)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(env, OPENSTRIKES_ROOT=str(tmp_path / "root"), TMPDIR=str(scratch))
    proc, url = start_server([], env)
    assert requests.get(url + "/v1/health", timeout=10).json()["events"] == 30
    assert [p.name for p in scratch.iterdir() if p.name.startswith("openstrikes-serve-")]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("openstrikes-serve-")]


def test_a_taken_port_is_refused_before_anything_is_announced(rel: Release, env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [EXE, "serve", "--releases", str(rel.root), "--port", str(port)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert done.returncode == 2
    assert "cannot listen on 127.0.0.1" in done.stderr and "serving" not in done.stderr


def test_a_relative_releases_path_serves_every_file(rel: Release, env: dict[str, str]) -> None:
    proc, url = start_server(["--releases", rel.root.name], env, cwd=rel.root.parent)
    try:
        listing = requests.get(url + "/v1/releases/0.1.0", timeout=10).json()
        for f in listing["files"]:
            got = requests.get(url + f["url"], timeout=10)
            assert got.status_code == 200, (f["name"], got.text[:200])
            assert got.headers["X-Checksum-SHA256"] == f["sha256"]
    finally:
        stop_server(proc)


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize("mode", ["production", "dev"])
def test_the_servers_own_errors_have_the_json_error_shape(
    rel: Release, env: dict[str, str], mode: str
) -> None:
    """414, 431 and 400 come from gunicorn or werkzeug before the application runs."""
    flags = ["--workers", "1"] if mode == "production" else ["--dev"]
    proc, url = start_server(["--releases", str(rel.root), *flags], env)
    port = int(url.rsplit(":", 1)[1])
    line = 9000 if mode == "production" else 70000  # over gunicorn's 4094 and http.server's 65536
    try:
        cases = {
            414: b"GET /v1/events?q=" + b"a" * line + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            431: b"GET /v1/health HTTP/1.1\r\nHost: x\r\n"
            + b"".join(b"X-%d: 1\r\n" % i for i in range(200))
            + b"\r\n",
            400: b"GET /v1/health HTTP/x.y\r\nHost: x\r\n\r\n",
        }
        for status, request in cases.items():
            head, _, body = _raw(port, request).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 %d " % status), head
            assert b"Content-Type: application/json" in head, head
            assert json.loads(body)["error"]["status"] == status
    finally:
        stop_server(proc)


def _gunicorn(releases: Path, env: dict[str, str], extra: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn run by hand, as the README shows; once /v1/health answers."""
    port = free_port()
    proc = subprocess.Popen(
        [
            str(Path(EXE).with_name("gunicorn")),
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            *extra,
            "openstrikes.web:create_app()",
        ],
        env=dict(env, OPENSTRIKES_RELEASES=str(releases)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            if requests.get(url + "/v1/health", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("gunicorn did not answer within 120 s")


def _releases_after_hup(proc: subprocess.Popen[bytes], url: str, want: list[str]) -> list[str]:
    os.kill(proc.pid, signal.SIGHUP)
    deadline = time.time() + 60
    while time.time() < deadline:
        got = requests.get(url + "/v1/health", timeout=10).json()["releases"]
        if got == want:
            break
        time.sleep(0.2)
    return list(got)


@pytest.mark.parametrize("settings", [True, False])
def test_gunicorn_by_hand_reloads_a_new_release_on_hup(
    rel: Release, env: dict[str, str], tmp_path: Path, settings: bool
) -> None:
    """With the settings module (preloaded, reloaded on HUP by its hook), or plain gunicorn
    without --preload (each new worker loads the application); the README's two commands."""
    releases = tmp_path / "releases"
    shutil.copytree(rel.root, releases)
    args = ["-c", "python:openstrikes.web.gunicorn_conf"] if settings else ["-k", "gthread"]
    proc, url = _gunicorn(releases, env, args)
    try:
        if settings:  # its worker class answers gunicorn's own errors in the JSON shape
            answer = _raw(int(url.rsplit(":", 1)[1]), b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 414 ") and b"Content-Type: application/json" in head, head
            assert json.loads(body)["error"]["code"] == "uri_too_long"
        newer = build_release(tmp_path / "newer", 45, seed=22, version="0.2.0")
        shutil.copytree(newer.package, releases / newer.package.name)
        assert _releases_after_hup(proc, url, ["0.2.0", "0.1.0"]) == ["0.2.0", "0.1.0"]
        old = requests.get(url + "/v1/releases/0.1.0/files/events.csv", timeout=10)
        assert old.status_code == 200 and old.content == (rel.package / "events.csv").read_bytes()
        if settings:
            _hup_with_a_broken_release(proc, url, releases, newer.package)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert not settings or (b"reload refused" in err and b"events.csv" in err)
