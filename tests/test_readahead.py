"""Read-ahead of runs of files: turned on by a slow run, harmless on odd entries, never left running."""

from __future__ import annotations

import os
import time
from pathlib import Path
from unittest import mock

from openstrikes.toolchain import readahead
from openstrikes.toolchain.readahead import ReadAhead


def _files(tmp_path: Path, n: int) -> list[str]:
    for i in range(n):
        (tmp_path / f"f{i:03}.json").write_text("{}\n")
    return sorted(p.name for p in tmp_path.iterdir())


def test_a_fast_run_leaves_it_off_and_a_slow_run_turns_it_on(tmp_path: Path) -> None:
    names = _files(tmp_path, 20)
    fast = ReadAhead(slow_per_file_s=3600.0)
    with fast.around(str(tmp_path), names):
        pass
    assert not fast.active
    slow = ReadAhead(slow_per_file_s=0.0)
    with slow.around(str(tmp_path), names):
        pass
    assert slow.active


def test_an_active_read_ahead_reads_every_file_once_and_stops_with_the_run(tmp_path: Path) -> None:
    names = _files(tmp_path, 40)
    ahead = ReadAhead(threads=4, slow_per_file_s=0.0)
    ahead.active = True
    opened: list[str] = []
    real_open = os.open

    def spy(path: str, *args: object, **kwargs: object) -> int:
        opened.append(os.path.basename(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(readahead.os, "open", spy):
        with ahead.around(str(tmp_path), names):
            time.sleep(0.5)  # the worker checks its files meanwhile
        after_run = len(opened)
        time.sleep(0.2)
    assert sorted(opened) == names  # each once
    assert len(opened) == after_run  # nothing read after the run ended


def test_odd_entries_are_left_for_the_worker_to_report(tmp_path: Path) -> None:
    names = _files(tmp_path, 3)
    (tmp_path / "dir.json").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / names[0])
    os.mkfifo(tmp_path / "fifo.json")
    odd = [*names, "dir.json", "link.json", "fifo.json", "missing.json"]
    ahead = ReadAhead(threads=2, slow_per_file_s=0.0)
    ahead.active = True
    with ahead.around(str(tmp_path), odd):  # no error, no wait on the FIFO
        pass
