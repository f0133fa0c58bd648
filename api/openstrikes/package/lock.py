"""The build lock of an output directory: one build at a time, never held by a dead process.

A POSIX record lock (fcntl) belongs to the process that took it: the kernel drops it when that
process dies, however it dies, and forked worker processes do not inherit it. The holder writes
its pid into the lock file, so a build that has to wait can say for whom; a pid left there by a
process that is gone is simply overwritten by the next build.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".openstrikes-build.lock"


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"process {text}" if text.isdigit() else "another process"


@contextmanager
def output_lock(out: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the lock of `out` (created if needed); `on_wait(message)` is called once if another
    build holds it (this one then waits for it). Yields the lock file's path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            if on_wait is not None:
                on_wait(f"waiting for {_holder(fd)}, which is building into {out} (lock {path})")
            fcntl.lockf(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)  # closing drops the lock
