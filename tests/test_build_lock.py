"""A killed build leaves nothing running and nothing locked; a waiting build says whom it waits for."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest_api import EXE, children_of

from openstrikes.package.lock import LOCK_FILE, output_lock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(predicate: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _env(root: Path) -> dict[str, str]:
    return dict(os.environ, OPENSTRIKES_ROOT=str(root))


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: the build runs no worker processes")
def test_kill_9_of_a_build_ends_its_workers_and_the_next_build_runs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_dataset(root, 2500, seed=8)  # above the threshold for worker processes
    out = tmp_path / "dist"
    build = subprocess.Popen(
        [EXE, "build", "--out", str(out)],
        env=_env(root),
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    workers: list[int] = []
    try:
        assert _wait_for(lambda: len(children_of(build.pid)) >= 2, 120), "no worker processes started"
        workers = children_of(build.pid)
        build.send_signal(signal.SIGKILL)
        build.wait()
        assert _wait_for(lambda: not any(_alive(w) for w in workers), 10), "workers outlived the build"
        again = subprocess.run(
            [EXE, "build", "--out", str(out)],
            env=_env(root),
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert "waiting" not in again.stderr
    finally:
        for pid in workers:  # before the fix they survive: do not leave them behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("command", ["build", "release"])
def test_a_waiting_build_names_the_holder_then_takes_the_lock_when_it_dies(
    tmp_path: Path, command: str
) -> None:
    root = write_dataset(tmp_path / "root", 20, seed=9).parent
    out = tmp_path / "dist"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from openstrikes.package.lock import output_lock\n"
            "with output_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(600)",
            str(out),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        build = subprocess.Popen(
            [EXE, command, "--out", str(out)], env=_env(root), cwd=root, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        assert build.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(build.stderr), daemon=True)  # type: ignore[arg-type]
        reader.start()
        assert _wait_for(lambda: any("waiting for process" in line for line in lines), 60), lines
        assert f"process {holder.pid}" in "".join(lines) and str(out) in "".join(lines)
        assert build.poll() is None  # still waiting
        holder.kill()
        holder.wait()
        assert build.wait(timeout=120) == 0, "".join(lines)[-2000:]
    finally:
        holder.kill()


def test_a_lock_file_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    (out / LOCK_FILE).write_text(dead.stdout)
    waited: list[str] = []
    with output_lock(out, on_wait=waited.append):
        assert (out / LOCK_FILE).read_text().strip() == str(os.getpid())
    assert waited == []
