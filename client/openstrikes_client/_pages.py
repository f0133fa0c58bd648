"""Walking a paginated resource with the next page always in flight.

A background thread fetches page after page: as soon as the bytes of page N are in, it reads the
next cursor from the end of the body (where the API writes it) and requests page N+1, so the
server prepares it while this thread decodes page N. The guess is only a head start: every page
is decoded in full and its `next_cursor` compared with the cursor the feed went on with; when
they differ (or the server gives only a `next` link) the feed is dropped and a new one starts from
the page the body names. The feed runs at most two pages ahead of the consumer: one waiting in
the hand-over queue, one being fetched. Two, not one, so that the request for the next page is
on its way while the consumer decodes (a decode holds the GIL for milliseconds at a time, and the
feed would otherwise wait for it before even sending the request).
"""

from __future__ import annotations

import contextlib
import queue
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ._errors import IntegrityError

Fetch = Callable[[str, dict[str, str] | None], tuple[bytes, str]]
Parse = Callable[[bytes, str], Any]

_CURSOR_KEY = b'"next_cursor":'
_CURSOR_VALUE = re.compile(rb'\s*"([A-Za-z0-9_\-]{1,1000})"')
TAIL = 4096  # the API writes next_cursor after the items: look only at the end of the body


def tail_cursor(content: bytes) -> str | None:
    """The `next_cursor` an API page most likely names (read from the end of its bytes, not
    decoded); None if there is none to be seen. A guess: the decoded body decides."""
    at = content.rfind(_CURSOR_KEY, max(0, len(content) - TAIL))
    if at < 0:
        return None
    m = _CURSOR_VALUE.match(content, at + len(_CURSOR_KEY))
    return m.group(1).decode("ascii") if m else None


class _Feed:
    """A thread fetching pages from `start`, following guessed cursors, into a small queue."""

    def __init__(self, fetch: Fetch, target: str, query: dict[str, str] | None) -> None:
        self._fetch = fetch
        self._queue: queue.Queue[tuple[bytes, str, str | None, BaseException | None]] = queue.Queue(1)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(target, query), name="openstrikes-prefetch", daemon=True
        )
        self._thread.start()

    def _run(self, target: str, query: dict[str, str] | None) -> None:
        try:
            while not self._stop.is_set():
                content, url = self._fetch(target, query)
                guess = tail_cursor(content) if query is not None else None  # not after a `next` link
                if not self._put((content, url, guess, None)) or guess is None:
                    return
                query = {**{k: v for k, v in (query or {}).items() if k != "page"}, "cursor": guess}
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((b"", "", None, exc))

    def _put(self, item: tuple[bytes, str, str | None, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> tuple[bytes, str, str | None]:
        """The next page's bytes, its URL and the cursor the feed went on with (None: it stopped)."""
        content, url, guess, exc = self._queue.get()
        if exc is not None:
            raise exc
        return content, url, guess

    def close(self) -> None:
        """Stop fetching (a request in flight finishes and is dropped)."""
        self._stop.set()
        with contextlib.suppress(queue.Empty):
            self._queue.get_nowait()


def walk_pages(fetch: Fetch, parse: Parse, target: str, params: dict[str, str]) -> Iterator[Any]:
    """Every page (decoded JSON) of a resource, following `next_cursor` (or else `next`)."""
    seen: set[str] = set()
    start: tuple[str, dict[str, str] | None] | None = (target, params)
    while start is not None:
        feed = _Feed(fetch, start[0], start[1])
        start = None
        try:
            while True:
                content, url, guess = feed.get()
                body = parse(content, url)
                cursor = body.get("next_cursor") if isinstance(body, dict) else None
                link = body.get("next") if isinstance(body, dict) else None
                if cursor:
                    if cursor in seen:
                        raise IntegrityError(f"the server sent the same cursor twice ({cursor!r}); stopping")
                    seen.add(cursor)
                    if cursor != guess:
                        query = {k: v for k, v in params.items() if k != "page"}
                        query["cursor"] = str(cursor)
                        start = (target, query)
                elif link:
                    if link in seen:
                        raise IntegrityError(f"the server sent the same next link twice ({link!r}); stopping")
                    seen.add(link)
                    start = (str(link), None)
                yield body
                if start is not None or not (cursor or link):
                    break
        finally:
            feed.close()
