"""A WSGI fast path for the hottest route, GET /v1[/releases/{version}]/events/{id}.

It answers exactly as the Flask view would (same body, ETag, Cache-Control, CORS, Vary, gzip) but
without Flask's request machinery, which costs more than the lookup itself. Anything else - a query
string, a conditional request, HEAD, an unknown id or release - goes to the Flask app unchanged,
so every error still comes from one place. A test holds the two paths to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import parse_accept_header

from .common import etag_for
from .registry import Registry

EVENT_PATH = re.compile(r"^/v1/(?:releases/([^/]+)/)?events/([^/]+)$")
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class FastPaths:
    """Wraps the Flask WSGI app; serves single-event lookups directly."""

    def __init__(self, app: WSGIApp, registry: Registry, finish: Callable[..., Any]) -> None:
        self.app = app
        self.registry = registry
        self.cors = (
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Expose-Headers", finish.__globals__["EXPOSED"]),
        )
        self.gzip: Callable[[bytes], bytes] = finish.__globals__["_gzip"]

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or environ.get("QUERY_STRING")
            or "HTTP_IF_NONE_MATCH" in environ
        ):
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        m = EVENT_PATH.match(path)
        if m is None:
            return self.app(environ, start_response)
        version, event_id = m.groups()
        rel = self.registry.get(version)
        if rel is None:
            return self.app(environ, start_response)
        body = rel.store.event_body(event_id)
        if body is None:
            return self.app(environ, start_response)
        etag = etag_for(rel.store.sha256, path, [])
        accept = environ.get("HTTP_ACCEPT_ENCODING")
        if accept and len(body) >= 1024 and parse_accept_header(accept)["gzip"] > 0:
            body = self.gzip(body)
            etag += "-gz"
            extra = [("Content-Encoding", "gzip")]
        else:
            extra = []
        cache = "public, max-age=31536000, immutable" if version is not None else "public, max-age=60"
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("ETag", f'"{etag}"'),
            *self.cors,
            ("Cache-Control", cache),
            ("Vary", "Accept-Encoding"),
            *extra,
        ]
        start_response("200 OK", headers)
        return [body]
