"""End to end: the API installed from a built wheel, with no checkout around, serves a release.

The wheel is built offline from a copy of the sources and unpacked into a bare virtual
environment in a temporary directory. Its dependencies come from this environment's
site-packages through a plain path line in a `.pth` file (a path line does not run this
environment's own `.pth` files, so the editable install of the checkout is not importable).
gunicorn then serves a built release from that environment, started in the temporary directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest_api import REPO, Release, build_release

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sources(dest: Path) -> Path:
    """What the wheel is built from (a copy: building writes build/ and *.egg-info beside it)."""
    dest.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "schema", dest / "schema")
    shutil.copytree(
        REPO / "api", dest / "api", symlinks=True, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    return dest


def _bare_venv(tmp: Path, wheel: Path) -> Path:
    """A venv without pip holding the wheel's files; the dependencies come from this venv."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(purelib)
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Release]]:
    tmp = tmp_path_factory.mktemp("installed")
    src = _sources(tmp / "src")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q"]
    proc = subprocess.run(
        [*pip, str(src), "-w", str(tmp / "wheel")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp / "wheel").glob("openstrikes-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        assert {"openstrikes/schema/event.schema.json", "openstrikes/schema/actor.schema.json"} <= set(
            zf.namelist()
        )
    python = _bare_venv(tmp, wheel)
    rel = build_release(tmp / "data", 50, seed=8)
    run = tmp / "run"  # the server's working directory: nothing of the checkout above it
    run.mkdir()
    yield python, run, rel


def _env(run: Path, rel: Release) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENSTRIKES_", "PYTHON"))}
    env.update(OPENSTRIKES_RELEASES=str(rel.root), OPENSTRIKES_CACHE=str(run / "cache"))
    return env


def test_the_wheel_is_imported_not_the_checkout(installed: tuple[Path, Path, Release]) -> None:
    python, run, rel = installed
    code = (
        "import openstrikes, openstrikes.web, openstrikes.paths as p\n"
        "print(openstrikes.__file__)\n"
        "try:\n    p.repo_root()\nexcept p.RepoNotFound:\n    print('no checkout')\n"
    )
    out = subprocess.run(
        [str(python), "-c", code], cwd=run, env=_env(run, rel), capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert Path(out[0]).is_relative_to(python.parents[1]), out
    assert out[1] == "no checkout"


def test_gunicorn_serves_a_release_from_the_installed_wheel(installed: tuple[Path, Path, Release]) -> None:
    python, run, rel = installed
    port = _free_port()
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "openstrikes.web:create_app()"],
        cwd=run,
        env=_env(run, rel),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            if server.poll() is not None:
                err = server.stderr.read().decode() if server.stderr else ""
                pytest.fail(f"gunicorn exited with {server.returncode}: {err[-3000:]}")
            try:
                health = requests.get(url + "/v1/health", timeout=2)
                break
            except requests.RequestException:
                if time.time() > deadline:
                    pytest.fail("gunicorn did not answer within 120 s")
                time.sleep(0.2)
        assert health.status_code == 200 and health.json()["release"] == "0.1.0"
        events = requests.get(url + "/v1/events?page_size=5&strike_type=airstrike", timeout=10)
        assert events.status_code == 200
        body = events.json()
        assert body["items"] and all(e["strike_type"] == "airstrike" for e in body["items"])
        some = next(iter(rel.events))
        assert requests.get(f"{url}/v1/events/{some}", timeout=10).json() == rel.events[some]
        assert requests.get(url + "/openapi.json", timeout=10).status_code == 200
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
