"""Worker processes that die with the process that started them.

A pool's worker blocks on its task queue; if its parent is killed (`kill -9`), nothing would ever
wake it. On Linux the kernel sends it SIGKILL when its parent dies (prctl PR_SET_PDEATHSIG);
elsewhere a daemon thread watches for the parent to change. The kernel's signal comes when the
*thread* that started the worker ends: the pools here are started, used and shut down by the
thread that runs the build or the validation.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL_S = 1.0


def die_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker process: end it when `parent_pid` (its parent) ends."""
    if not _kernel_death_signal():
        threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="openstrikes-watch").start()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def _kernel_death_signal() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
    except OSError:
        return False
    return bool(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0)


def _watch(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(_WATCH_INTERVAL_S)
    os._exit(1)
