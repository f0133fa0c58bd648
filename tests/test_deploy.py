"""The production setup end to end: nginx with deploy/openstrikes.nginx.conf in front of two
`openstrikes serve` replicas, all on 127.0.0.1, under bounded load."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from conftest_api import Release, build_release, free_port, start_server, stop_server
from proxy_setup import nginx_binary, nginx_command, nginx_conf

pytestmark = pytest.mark.e2e
if nginx_binary() is None:
    if os.environ.get("CI"):
        raise RuntimeError("nginx is missing: .ci/run installs it (apt-get install -y nginx)")
    pytest.skip("nginx is not installed (apt-get install -y nginx)", allow_module_level=True)


@dataclass
class Deployment:
    url: str
    releases: Path
    env: dict[str, str]
    ports: list[int]
    replicas: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_replica(self, i: int) -> None:
        deadline = time.time() + 30
        while True:  # the killed replica's workers may hold its port for a moment
            try:
                proc, _ = start_server(
                    ["--releases", str(self.releases), "--workers", "2"], self.env, port=self.ports[i]
                )
                break
            except RuntimeError:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        self.replicas[i] = proc


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("deploy"), 60, seed=41)


@pytest.fixture(scope="module")
def deployment(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("nginx")
    releases = tmp / "releases"
    shutil.copytree(rel.root, releases)
    env = dict(os.environ, OPENSTRIKES_CACHE=str(tmp / "index-cache"))
    ports = [free_port(), free_port()]
    dep = Deployment("", releases, env, ports, [None, None])  # type: ignore[list-item]
    nginx = None
    try:
        dep.start_replica(0)
        dep.start_replica(1)
        listen = free_port()
        conf = nginx_conf(tmp, listen, ports)
        nginx = subprocess.Popen(nginx_command(tmp, conf))
        dep.url = f"http://127.0.0.1:{listen}"
        deadline = time.time() + 30
        while True:
            try:
                if requests.get(dep.url + "/v1/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if nginx.poll() is not None or time.time() > deadline:
                pytest.fail("nginx did not start: " + (tmp / "error.log").read_text()[-2000:])
            time.sleep(0.2)
        yield dep
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=20)
        for proc in dep.replicas:
            if proc is not None:
                stop_server(proc)


def _load(url: str, paths: list[str], stop: threading.Event, per_second: float) -> list[str]:
    """GET the paths round robin at a bounded rate until stopped; the failures, described."""
    failures: list[str] = []
    session = requests.Session()
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        try:
            resp = session.get(url + path, timeout=15)
            if resp.status_code != 200:
                failures.append(f"{path}: {resp.status_code} {resp.text[:200]}")
        except requests.RequestException as exc:
            failures.append(f"{path}: {exc}")
        time.sleep(1 / per_second)
    return failures


def test_no_failed_request_while_a_replica_is_killed_and_restarted(deployment: Deployment) -> None:
    paths = [
        "/v1/events?page_size=5",
        "/v1/health",
        "/v1/releases/0.1.0/files/events.csv",
        "/v1/aggregates?group_by=country",
    ]
    stop = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        loads = [pool.submit(_load, deployment.url, paths, stop, 5.0) for _ in range(2)]
        time.sleep(1.5)
        deployment.replicas[0].send_signal(signal.SIGKILL)
        deployment.replicas[0].wait()
        time.sleep(3)  # served by the other replica meanwhile
        deployment.start_replica(0)
        time.sleep(2)
        stop.set()
        failures = [f for load in loads for f in load.result()]
    assert failures == []


def _slow_body(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(
        b"POST /v1/validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100000\r\n\r\n{"
    )
    return sock


def test_64_slow_body_connections_do_not_stall_health(deployment: Deployment) -> None:
    port = int(deployment.url.rsplit(":", 1)[1])
    slow = [_slow_body(port) for _ in range(64)]
    try:
        for _ in range(5):
            started = time.monotonic()
            assert requests.get(deployment.url + "/v1/health", timeout=10).status_code == 200
            assert time.monotonic() - started < 2
            time.sleep(0.2)
    finally:
        for sock in slow:
            sock.close()


def test_release_files_are_cached_gzipped_and_carry_security_headers(deployment: Deployment) -> None:
    url = deployment.url + "/v1/releases/0.1.0/files/events.csv"
    first = requests.get(url, timeout=10)
    second = requests.get(url, timeout=10)
    assert first.status_code == second.status_code == 200 and first.content == second.content
    assert second.headers["X-Cache-Status"] == "HIT"
    assert second.headers["Content-Encoding"] == "gzip"
    for resp in (second, requests.get(deployment.url + "/v1/events?page_size=1", timeout=10)):
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_a_new_release_is_served_after_the_documented_reload(deployment: Deployment, tmp_path: Path) -> None:
    newer = build_release(tmp_path, 70, seed=42, version="0.2.0")
    shutil.copytree(newer.package, deployment.releases / newer.package.name)
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        load = pool.submit(_load, deployment.url, ["/v1/events?page_size=5", "/v1/actors"], stop, 5.0)
        for proc in deployment.replicas:  # `systemctl reload 'openstrikes@*'` sends SIGHUP
            proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 60
        streak = 0
        while streak < 10 and time.time() < deadline:
            health = requests.get(deployment.url + "/v1/health", timeout=10).json()
            streak = streak + 1 if health["release"] == "0.2.0" else 0
            time.sleep(0.1)
        stop.set()
        assert load.result() == []  # no request failed during the reload
    assert streak == 10, health
    assert health["releases"] == ["0.2.0", "0.1.0"]
    old = requests.get(deployment.url + "/v1/releases/0.1.0/files/events.csv", timeout=10)
    assert old.status_code == 200
    fresh = requests.get(deployment.url + "/v1/releases/0.2.0/files/events.csv", timeout=10)
    assert fresh.status_code == 200 and fresh.content == (newer.package / "events.csv").read_bytes()


def test_the_rate_limit_answers_429_with_retry_after(deployment: Deployment) -> None:
    def get(_: int) -> requests.Response:
        return requests.get(deployment.url + "/v1/events?page_size=1", timeout=10)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(get, range(200)))
    limited = [r for r in answers if r.status_code == 429]
    assert limited and all(r.status_code in (200, 429) for r in answers)
    assert limited[0].headers["Retry-After"] == "1"
    assert limited[0].json()["error"]["code"] == "rate_limited"
    time.sleep(2)  # let the bucket drain
    assert requests.get(deployment.url + "/v1/events?page_size=1", timeout=10).status_code == 200


def test_the_proxys_own_errors_have_the_json_error_shape(deployment: Deployment) -> None:
    long = requests.get(deployment.url + "/v1/events?q=" + "a" * 9000, timeout=10)
    big = requests.post(
        deployment.url + "/v1/validate",
        data=b"{" + b" " * (2 << 20) + b"}",
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    many = requests.get(
        deployment.url + "/v1/health", headers={f"X-{i}": "x" * 7000 for i in range(8)}, timeout=10
    )
    for resp, status in ((long, 414), (big, 413), (many, 431)):
        assert resp.status_code == status and resp.json()["error"]["status"] == status, resp.text[:300]
        assert resp.headers["Content-Type"] == "application/json"
    host, port = deployment.url.rsplit("/", 1)[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /v1/health HTTP/x.y\r\nHost: x\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"Content-Type: application/json" in head, head
    assert json.loads(body)["error"]["status"] == 400
