"""A one-line progress bar for long runs (validating or building a million events)."""

from __future__ import annotations

import sys
import time
from typing import IO


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = total > 0 and self.stream.isatty()
        self.total, self.label = total, label
        self.done = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.drawn = -1  # progress shown by the last draw

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last < 0.1 and self.done < self.total:
            return
        self.last = now
        self.drawn = self.done
        self.stream.write("\r" + self.render(now))
        self.stream.flush()

    def render(self, now: float) -> str:
        frac = min(1.0, self.done / self.total) if self.total else 1.0
        width = 28
        filled = int(frac * width)
        elapsed = max(now - self.start, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * filled + "-" * (width - filled)
        return (
            f"{self.label} [{bar}] {frac * 100:5.1f}% {self.done:,}/{self.total:,} "
            f"{rate:,.0f}/s ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        )

    def close(self) -> None:
        if self.enabled:
            if self.drawn != self.done:
                self.stream.write("\r" + self.render(time.monotonic()))
            self.stream.write("\n")
            self.stream.flush()


class ProgressBar:
    """A Progress whose total is learnt from the first update (`update(done, total)`); drawn only
    for runs long enough to need one."""

    MIN_TOTAL = 2000

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label, self.stream = label, stream
        self.bar: Progress | None = None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = Progress(total if total >= self.MIN_TOTAL else 0, self.label, self.stream)
        self.bar.advance(done - self.bar.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
