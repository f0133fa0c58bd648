"""Read-ahead for runs of files on a slow disk.

A worker checks its files one after the other, so on a cold disk it waits for one read at a
time. When the files of a run took long per file (they were read from the disk, not the page
cache), the next runs are read ahead by a few threads, which keep several reads in flight at
once; the worker then finds its files in the page cache. On a warm cache nothing is read twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager

from openstrikes.toolchain.files import OPEN_FLAGS

THREADS = 8
# Per file, above the cost of checking and rendering a cached file (about 0.15 ms) and below a read
# that waits on a disk (a few ms).
SLOW_PER_FILE_S = 0.0003
READ_SIZE = 1 << 16


class ReadAhead:
    """Decides run by run whether to read ahead, from how long the previous run took."""

    def __init__(self, threads: int = THREADS, slow_per_file_s: float = SLOW_PER_FILE_S) -> None:
        self._threads = threads
        self._slow = slow_per_file_s
        self._pool: ThreadPoolExecutor | None = None
        self.active = False

    @contextmanager
    def around(self, directory: str, names: list[str]) -> Iterator[None]:
        """Wrap the checking of these files of `directory`: read them ahead if the disk has
        been slow, and time the run to decide for the next one. No read outlives the run."""
        stop = threading.Event()
        futures: list[Future[None]] = []
        if self.active and names:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="openstrikes-read-ahead")
            futures = [
                self._pool.submit(_read_files, directory, names[i :: self._threads], stop)
                for i in range(self._threads)
            ]
        started = time.perf_counter()
        try:
            yield
        finally:
            stop.set()
            wait(futures)
            if names:
                self.active = (time.perf_counter() - started) / len(names) > self._slow


def _read_files(directory: str, names: list[str], stop: threading.Event) -> None:
    """Read each file once, so that it is in the page cache when the worker comes to it.
    Errors are left for the worker to find and report."""
    for name in names:
        if stop.is_set():
            return
        try:
            fd = os.open(os.path.join(directory, name), OPEN_FLAGS)
        except OSError:
            continue
        try:
            os.read(fd, READ_SIZE)
        except OSError:
            pass
        finally:
            os.close(fd)
