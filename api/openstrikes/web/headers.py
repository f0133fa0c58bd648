"""The response-header rules every API answer shares: CORS, Cache-Control, Vary, ETag variants
and gzip. One module, used by the Flask finisher (app.py) and the WSGI fast path (fast.py)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Iterator

MIN_GZIP_BYTES = 1024  # smaller bodies are sent as they are, even when gzip is asked for
IMMUTABLE = re.compile(r"^/v1/releases/[^/]+/")
COMPRESSIBLE = ("application/json", "application/geo+json", "application/x-ndjson", "text/")
EXPOSED = "ETag, Link, X-Pagination, X-Checksum-SHA256, Content-Range, Content-Disposition, Retry-After"
CORS = (("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", EXPOSED))
PREFLIGHT = (
    ("Access-Control-Allow-Headers", "Accept, Content-Type, If-None-Match, Range"),
    ("Access-Control-Max-Age", "86400"),
)
# Headers a 304 keeps from the answer it stands for.
NOT_MODIFIED_KEEPS = (
    "ETag",
    "Cache-Control",
    "Vary",
    "Access-Control-Allow-Origin",
    "Access-Control-Expose-Headers",
)


def cache_control(path: str) -> str:
    """Everything under a pinned release never changes; the latest moves; pages are revalidated."""
    if IMMUTABLE.match(path):
        return "public, max-age=31536000, immutable"
    if path.startswith("/v1/"):
        return "public, max-age=60"
    return "no-cache"


def gzip_etag(etag: str) -> str:
    """The ETag of the gzip variant of an answer."""
    return etag + "-gz"


def gzip_bytes(body: bytes) -> bytes:
    comp = zlib.compressobj(5, zlib.DEFLATED, 31)
    return comp.compress(body) + comp.flush()


def gzip_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    for chunk in chunks:
        out = comp.compress(chunk)
        if out:
            yield out
    yield comp.flush()
