"""Atomic placement of a finished build and the one-build-at-a-time lock of an output directory."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from openstrikes.package.lock import output_lock

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def place(tmp: Path, target: Path) -> None:
    """Put the finished directory `tmp` at `target`, replacing any previous one atomically."""
    if target.exists():
        if _exchange(tmp, target):
            fsync_dir(target.parent)
            shutil.rmtree(tmp)  # now holds the previous build
            return
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.rename(target, old)
        os.rename(tmp, target)
        fsync_dir(target.parent)
        shutil.rmtree(old)
        return
    os.rename(tmp, target)
    fsync_dir(target.parent)


@contextmanager
def build_lock(out: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """One build at a time per output directory (see lock.py: `on_wait` hears whom a build
    waits for); stale temporary directories are removed."""
    with output_lock(out, on_wait):
        for stale in out.glob(".*.tmp-*"):
            if stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
        yield


# --- build ----------------------------------------------------------------------------------------
