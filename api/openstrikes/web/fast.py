"""A WSGI fast path for the hottest routes: GET /v1[/releases/{version}]/events/{id} and the JSON
pages of GET /v1[/releases/{version}]/events.

It answers exactly as the Flask views would (same body, ETag, Cache-Control, CORS, Vary, gzip,
X-Pagination, Link) but without Flask's request machinery, which costs more than the lookup
itself. The list reads its arguments with the same strict table (index.params.parse_args, with the
parameters of the release's own schema) and builds the page with the same function as the view
(web.pages.page_answer); the header rules are web.headers, as for the Flask finisher. Anything else - a conditional
request, HEAD, another format or an Accept header that is not plain JSON, an unusual query string,
an unknown id or release, and every error (bad arguments included) - goes to the Flask app
unchanged, so every error still comes from one place; only a query timeout is answered here, with
the same error answer, rather than run again. Tests hold the two paths to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit

from werkzeug.http import parse_accept_header

from openstrikes.index.errors import QueryTimeout
from openstrikes.index.filters import where_clause
from openstrikes.index.params import parse_args
from openstrikes.web import headers
from openstrikes.web.common import etag_for
from openstrikes.web.errors import error_response, timeout_error
from openstrikes.web.pages import page_answer
from openstrikes.web.registry import Registry

EVENT_PATH = re.compile(r"^/v1/(?:releases/([^/]+)/)?events/([^/]+)$")
EVENTS_PATH = re.compile(r"^/v1/(?:releases/([^/]+)/)?events$")
PLAIN_QUERY = re.compile(r"^[A-Za-z0-9_.,:%+=&~-]*$")  # anything else: the Flask app reads it
JSON_ACCEPT = frozenset({"", "*/*", "application/json"})  # what the view answers with JSON
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _keep_encoded_slashes(environ: dict[str, Any]) -> None:
    """An encoded slash (%2F) stays part of the segment it is in: the server decodes it into
    PATH_INFO, where `/v1/events/X%2Frelated` would become the route of X's related events."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path = raw.split("?", 1)[0] if raw.startswith("/") else urlsplit(raw).path  # or absolute-form
    if "%2f" not in path.lower():
        return
    script = environ.get("SCRIPT_NAME", "")
    if script and path.startswith(script):
        path = path[len(script) :]
    parts = re.split("%2[fF]", path)
    environ["PATH_INFO"] = "%2F".join(unquote_to_bytes(p).decode("latin-1") for p in parts)


class FastPaths:
    """Wraps the Flask WSGI app; serves single-event lookups directly."""

    def __init__(self, app: WSGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        _keep_encoded_slashes(environ)
        if environ.get("REQUEST_METHOD") != "GET" or "HTTP_IF_NONE_MATCH" in environ:
            return self.app(environ, start_response)
        path = environ.get("PATH_INFO", "")
        listing = EVENTS_PATH.match(path)
        if listing is not None:
            return self.events(environ, start_response, path, listing.group(1))
        m = None if environ.get("QUERY_STRING") else EVENT_PATH.match(path)
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
        return self.answer(environ, start_response, body, etag, path, "Accept-Encoding", [])

    def events(
        self, environ: dict[str, Any], start_response: Callable[..., Any], path: str, version: str | None
    ) -> Iterable[bytes]:
        """A JSON page of events, or the Flask app for anything unusual and for every error."""
        query = environ.get("QUERY_STRING", "")
        if (
            environ.get("HTTP_ACCEPT", "").strip() not in JSON_ACCEPT
            or not PLAIN_QUERY.match(query)
            or not path.isascii()
        ):
            return self.app(environ, start_response)
        rel = self.registry.get(version)
        if rel is None:
            return self.app(environ, start_response)
        try:
            pairs = parse_qsl(query, keep_blank_values=True, errors="strict")
            args: dict[str, list[str]] = {}
            for k, v in pairs:
                args.setdefault(k, []).append(v)
            values = parse_args(args, rel.params.events)
            if values.get("format", "json") != "json" or "flat" in values:
                return self.app(environ, start_response)
            where = where_clause(values, rel.store.actor_ids_for)
            body, extra = page_answer(rel.store, values, where, path, pairs)
        except QueryTimeout as exc:  # answered here: the view would only run the slow query again
            resp = error_response(timeout_error(exc))
            resp.headers.extend(headers.CORS)
            return resp(environ, start_response)
        except Exception:  # bad arguments and anything else: the view answers (and logs) in one shape
            return self.app(environ, start_response)
        etag = etag_for(rel.store.sha256, path, sorted(pairs), "json")
        return self.answer(
            environ, start_response, body, etag, path, "Accept, Accept-Encoding", list(extra.items())
        )

    def answer(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        body: bytes,
        etag: str,
        path: str,
        vary: str,
        extra: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        """A 200 with the headers every API answer carries (the rules of web.headers)."""
        accept = environ.get("HTTP_ACCEPT_ENCODING")
        if accept and len(body) >= headers.MIN_GZIP_BYTES and parse_accept_header(accept)["gzip"] > 0:
            body = headers.gzip_bytes(body)
            etag = headers.gzip_etag(etag)
            extra = [*extra, ("Content-Encoding", "gzip")]
        out = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("ETag", f'"{etag}"'),
            *headers.CORS,
            ("Cache-Control", headers.cache_control(path)),
            ("Vary", vary),
            *extra,
        ]
        start_response("200 OK", out)
        return [body]
