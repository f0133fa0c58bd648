"""End to end: a real `openstrikes serve` process on 127.0.0.1, over TCP."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest_api import EXE, REPO, Release, build_release, free_port, start_server, stop_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rel(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return build_release(tmp_path_factory.mktemp("e2e"), 200, seed=13)


@pytest.fixture(scope="module")
def server(rel: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = dict(os.environ, OPENSTRIKES_CACHE=str(tmp_path_factory.mktemp("cache")))
    proc, url = start_server(["--releases", str(rel.root)], env)
    try:
        yield url
    finally:
        stop_server(proc)


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
    proc, url = start_server([], env)
    try:
        assert requests.get(url + "/v1/health", timeout=10).json()["events"] == 40
    finally:
        stop_server(proc)


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
