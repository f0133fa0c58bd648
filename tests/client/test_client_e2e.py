"""End to end: a real `openstrikes serve` process on 127.0.0.1 and the real client over TCP."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from client_fakes import Built, free_port
from openstrikes_client import Client, Retries, TransportError, open_release, sync

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    releases = tmp_path_factory.mktemp("serve") / "releases"
    shutil.copytree(built.releases, releases)
    port = free_port()
    exe = Path(sys.executable).with_name("openstrikes")
    cmd = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--releases", str(releases)]
    env = dict(os.environ, PYTHONUNBUFFERED="1", OPENSTRIKES_CACHE=str(releases.parent / "cache"))
    log = releases.parent / "serve.log"  # a file, not a pipe: an unread pipe fills up and stalls the server
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if proc.poll() is not None:
                err = log.read_text(errors="replace")
                pytest.fail(f"openstrikes serve exited with {proc.returncode}: {err[-2000:]}")
            try:
                if requests.get(url + "/v1/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                pytest.fail("openstrikes serve did not answer within 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_query_iterate_download_and_sync_over_tcp(server: str, built: Built, tmp_path: Path) -> None:
    with Client(server, retries=Retries(total=2, backoff=0.1)) as client:
        assert client.health()["status"] == "ok"
        every = list(client.events.iter(include_withdrawn=True))
        assert {e.id: e.to_dict() for e in every} == built.events
        page = client.events.list(country="IQ", page_size=5)
        assert page.total == sum(
            1 for e in built.events.values() if e["country"] == "IQ" and not e["withdrawn"]
        )

        zipped = client.download(tmp_path, "zip")
        assert (
            hashlib.sha256(zipped.read_bytes()).hexdigest()
            == hashlib.sha256(built.zip.read_bytes()).hexdigest()
        )
        with open_release(zipped) as rel:
            assert sorted(e.id for e in rel.events.iter()) == sorted(e.id for e in client.events.iter())

    result = sync(tmp_path / "live", server)
    assert result.version == client.release_info().version
    with open_release(tmp_path / "live") as rel:
        assert rel.events.count(include_withdrawn=True) == len(built.events)
    assert sync(tmp_path / "live", server).up_to_date


def test_a_stopped_server_is_a_transport_error_naming_the_url() -> None:
    port = free_port()
    client = Client(f"http://127.0.0.1:{port}", retries=Retries(total=1, backoff=0.0))
    with pytest.raises(TransportError) as info:
        client.health()
    assert f"127.0.0.1:{port}/v1/health" in info.value.url
