"""One background thread that runs calls in the order they were submitted.

The build hands its Parquet work to it: Arrow types, encodes and compresses with the GIL
released, so the main thread goes on writing the text files meanwhile. One thread and a FIFO
queue keep the order of the calls, hence the bytes of the files, what they would be inline.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

DEPTH = 4  # calls waiting at most (each holds a chunk's rows): bounds the memory held


class Background:
    """Calls run one after the other in a thread; the first error is raised to the submitter."""

    def __init__(self, name: str) -> None:
        self.calls: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]] | None] = queue.Queue(DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (call := self.calls.get()) is not None:
            if self.error is None:  # after an error the rest is drained, not run
                fn, args = call
                try:
                    fn(*args)
                except BaseException as exc:  # handed to the submitting thread
                    self.error = exc

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue `fn(*args)` (waits while DEPTH calls are queued); raises an earlier call's error."""
        self._raise()
        self.calls.put((fn, args))

    def join(self) -> None:
        """Wait for every queued call; raise the first error one of them raised."""
        self.stop()
        self._raise()

    def stop(self) -> None:
        """Let the queued calls finish (or drain) and the thread end."""
        if self.thread.is_alive():
            self.calls.put(None)
            self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
