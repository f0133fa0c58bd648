"""Helpers of the API tests: a synthetic release built by the real package builder, with some
events linked into chains (retaliation and follow-ups) so /related has something to walk."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))


@dataclass
class Release:
    root: Path  # the releases directory
    package: Path
    events: dict[str, dict[str, Any]]  # id -> record, as in the files
    actors: dict[str, dict[str, Any]]


def build_release(tmp: Path, n: int, seed: int, *, version: str = "0.1.0", links: bool = True) -> Release:
    """Write a synthetic dataset of n events, spread the land events that name no place over the
    generator's grid, link every
    9th event to the one before it (and some to one further back), and build it."""
    from openstrikes.package.build import build_package
    from openstrikes.toolchain.records import canonical
    from synthetic import places, write_dataset

    dataset = write_dataset(tmp / f"repo-{version}", n, seed=seed, version=version)
    files = sorted((dataset / "events").rglob("*.json"), key=lambda p: p.name)
    events = {f.name.removesuffix(".json"): json.loads(f.read_text(encoding="utf-8")) for f in files}
    grid = places()
    ids = sorted(events)
    for k, i in enumerate(ids):
        e = events[i]
        if e.get("water_body") or e.get("place"):
            continue  # at sea, or at a place of the registry: its position is fixed
        country, lat, lon = grid[(k * 7) % len(grid)]
        e["country"] = country
        e["timezone"] = None
        if e["latitude"] is not None:
            e["latitude"], e["longitude"] = lat, lon
    if links:
        for k in range(9, len(ids), 9):
            e = events[ids[k]]
            e["related"] = [{"id": ids[k - 1], "relation": "retaliation_for"}]
            if k % 27 == 0:
                e["related"].append({"id": ids[k - 5], "relation": "follow_up"})
    for f in files:
        e = events[f.name.removesuffix(".json")]
        f.write_text(canonical(e, "event"), encoding="utf-8")
    releases = tmp / "releases"
    package = build_package(dataset, releases, progress=False)
    actors = {}
    for f in sorted((dataset / "actors").glob("*.json")):
        a = json.loads(f.read_text(encoding="utf-8"))
        actors[a["id"]] = a
    return Release(releases, package, events, actors)


# --- real server processes (end-to-end tests) ---------------------------------------------------

EXE = str(Path(sys.executable).with_name("openstrikes"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortTaken(RuntimeError):
    """The server could not listen on the port it was given."""


def start_server(
    args: list[str], env: dict[str, str], *, port: int | None = None, cwd: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`openstrikes serve ARGS` on 127.0.0.1 (a free port unless given), once /v1/health answers.
    Its stderr goes to a temporary file (read back by stop_server)."""
    port = port or free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop_server)
    proc = subprocess.Popen(
        [EXE, "serve", "--host", "127.0.0.1", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
        cwd=cwd,
    )
    _LOGS[proc.pid] = log
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        if proc.poll() is not None:
            err = _read_log(proc)
            if "cannot listen" in err:
                raise PortTaken(err)
            raise AssertionError(f"serve exited with {proc.returncode}: {err[-2000:]}")
        try:
            if requests.get(url + "/v1/health", timeout=2).ok:
                return proc, url
        except requests.RequestException:
            pass
        if time.time() > deadline:
            proc.kill()
            raise AssertionError("serve did not answer within 120 s: " + _read_log(proc)[-2000:])
        time.sleep(0.1)


_LOGS: dict[int, Any] = {}


def _read_log(proc: subprocess.Popen[bytes]) -> str:
    log = _LOGS.get(proc.pid)
    if log is None:
        return ""
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    """SIGTERM, then SIGKILL after 20 s; what the server wrote to stderr."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    err = _read_log(proc)
    log = _LOGS.pop(proc.pid, None)
    if log is not None:
        log.close()
    return err


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# The last commit of the code before schema 1.1: it builds releases as 0.1.0 was built.
LEGACY_COMMIT = "ce02883a964ad25435bb3e1ced87c82cb6900d08"


def build_legacy_release(tmp: Path, n: int, seed: int, releases: Path) -> Path:
    """Build a schema 1.0 release (version 0.1.0) into `releases` with the code of LEGACY_COMMIT,
    checked out of git into `tmp` and run in a child process (the current code cannot build
    packages of the old layout). Skips the test when git or the commit is not available."""
    import shutil
    import subprocess

    import pytest

    if shutil.which("git") is None:
        pytest.skip("git is needed to check out the schema 1.0 code")
    code = tmp / "legacy-code"
    code.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", LEGACY_COMMIT, "api", "schema", "benchmarks"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        pytest.skip(f"commit {LEGACY_COMMIT[:12]} is not in this checkout")
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    root = tmp / "legacy-root"
    script = (
        "import sys; from pathlib import Path\n"
        "from synthetic import write_dataset\n"
        "from openstrikes.package import build_package\n"
        f"dataset = write_dataset(Path({str(root)!r}), {n}, seed={seed}, version='0.1.0')\n"
        f"print(build_package(dataset, Path({str(releases)!r}), progress=False))\n"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{code / 'api'}:{code / 'benchmarks'}",
        "OPENSTRIKES_ROOT": str(code),
    }
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=code, check=False
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip().splitlines()[-1])
