"""End to end: a real `openstrikes serve` process on 127.0.0.1, over TCP."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest_api import REPO, Release, build_release

pytestmark = pytest.mark.e2e
EXE = str(Path(sys.executable).with_name("openstrikes"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [EXE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            pytest.fail(f"serve exited with {proc.returncode}: {err[-2000:]}")
        try:
            if requests.get(url + "/v1/health", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            pass
        if time.time() > deadline:
            proc.kill()
            pytest.fail("serve did not answer within 120 s")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("e2e"), 200, seed=13)


@pytest.fixture(scope="module")
def server(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = dict(os.environ, OPENSTRIKES_CACHE=str(tmp_path_factory.mktemp("cache")))
    proc, url = start(["--releases", str(rel.root)], env)
    try:
        yield url
    finally:
        stop(proc)


def test_pages_streams_and_headers_over_tcp(server: str, rel: Release) -> None:
    page = requests.get(server + "/v1/events", params={"page_size": 7, "sort": "-date_start"}, timeout=10)
    assert page.status_code == 200 and len(page.json()["items"]) == 7
    assert page.headers["Content-Encoding"] == "gzip"  # requests asks for gzip and undoes it
    again = requests.get(page.url, headers={"If-None-Match": page.headers["ETag"]}, timeout=10)
    assert again.status_code == 304
    stream = requests.get(server + "/v1/events?format=ndjson&include_withdrawn=true", stream=True, timeout=10)
    assert stream.headers.get("Transfer-Encoding") == "chunked"
    lines = [json.loads(x) for x in stream.iter_lines() if x]
    assert [e["id"] for e in lines] == sorted(rel.events)
    raw = requests.get(
        server + "/v1/events?format=csv", headers={"Accept-Encoding": "gzip"}, stream=True, timeout=10
    ).raw.read()
    assert gzip.decompress(raw).startswith(b"id,")
    bad = requests.delete(server + "/v1/events", timeout=10)
    assert bad.status_code == 405 and "GET" in bad.headers["Allow"] and bad.json()["error"]["status"] == 405
    assert requests.get(server + "/docs", timeout=10).text.count("<section>") > 10


def test_serve_builds_the_dataset_when_no_release_is_given(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from synthetic import write_dataset

    write_dataset(tmp_path / "root", 40, seed=2)
    env = dict(os.environ, OPENSTRIKES_ROOT=str(tmp_path / "root"), OPENSTRIKES_CACHE=str(tmp_path / "cache"))
    proc, url = start([], env)
    try:
        assert requests.get(url + "/v1/health", timeout=10).json()["events"] == 40
    finally:
        stop(proc)


def test_a_tampered_release_is_refused_with_one_line(rel: Release, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "releases"
    shutil.copytree(rel.root, copy)
    pkg = copy / rel.package.name
    (pkg / "events.csv").write_bytes((pkg / "events.csv").read_bytes() + b"x")
    env = dict(os.environ, OPENSTRIKES_CACHE=str(tmp_path / "cache"))
    done = subprocess.run(
        [EXE, "serve", "--releases", str(copy), "--port", str(free_port())],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "events.csv" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
