"""The Flask application: blueprints under /v1 and /v1/releases/{version}, and the HTTP manners
every response shares (ETag/304, gzip, CORS, Cache-Control)."""

from __future__ import annotations

import hashlib
import math
import os
from pathlib import Path
from typing import Any

from flask import Flask, Request, Response, request
from flask_smorest import Api

from openstrikes import __version__
from openstrikes.index.store import DEFAULT_TIMEOUT_S
from openstrikes.schema_files import PLACE_SCHEMA_FILE, packaged_schema
from openstrikes.web import errors, headers
from openstrikes.web.codebook import codebook_blueprint
from openstrikes.web.docs import docs_blueprint
from openstrikes.web.events import events_blueprint
from openstrikes.web.explorer import explorer_blueprint
from openstrikes.web.explorer.views import CACHE_KEY
from openstrikes.web.fast import FastPaths
from openstrikes.web.meta import MAX_BODY, files_blp, health_blp, releases_blp, validate_blp
from openstrikes.web.overview import overview_blueprint
from openstrikes.web.places import places_blp
from openstrikes.web.registry import Registry
from openstrikes.web.resources import actors_blp, aggregates_blueprint, changes_blp
from openstrikes.web.response_schemas import ApiErrorSchema, components

RELEASES_ENV = "OPENSTRIKES_RELEASES"
CACHE_ENV = "OPENSTRIKES_CACHE"
TIMEOUT_ENV = "OPENSTRIKES_QUERY_TIMEOUT"
VERSION_PARAM = {
    "in": "path",
    "name": "version",
    "required": True,
    "description": "A release version (see /v1/releases); everything under it is immutable.",
    "schema": {"type": "string"},
}


def default_cache_dir() -> Path:
    """Where indexes go: $OPENSTRIKES_CACHE, else $XDG_CACHE_HOME/openstrikes, else ~/.cache/openstrikes."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "openstrikes"


def _query_timeout(given: float | None) -> float:
    """The query time bound: `given`, else $OPENSTRIKES_QUERY_TIMEOUT, else 5 s; above 0, at most an hour."""
    raw: object = given if given is not None else os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not 0 < value <= 3600:  # also refuses NaN
        source = "the query timeout" if given is not None else f"{TIMEOUT_ENV}={raw!r}"
        raise errors.ConfigError(f"{source}: expected seconds, above 0 and at most 3600")
    return value


def create_app(
    releases: str | Path | None = None,
    *,
    cache_dir: str | Path | None = None,
    timeout: float | None = None,
) -> Flask:
    """The API over every built package in `releases` (default: $OPENSTRIKES_RELEASES).

    Each package is verified against its sha256 hashes and indexed into SQLite under `cache_dir`
    (default: $OPENSTRIKES_CACHE or ~/.cache/openstrikes); a tampered package raises StoreError.
    `timeout` bounds each query in seconds (default: $OPENSTRIKES_QUERY_TIMEOUT or 5).
    """
    if releases is None:
        env = os.environ.get(RELEASES_ENV)
        if not env:
            raise errors.ConfigError(f"no releases directory: pass one or set {RELEASES_ENV}")
        releases = env
    timeout = _query_timeout(timeout)
    # Relative paths mean the working directory at start-up: Flask would resolve a relative
    # file path against the package directory instead.
    cache = Path(os.path.abspath(cache_dir or default_cache_dir()))
    registry = Registry(Path(os.path.abspath(releases)), cache, timeout=timeout)

    app = Flask("openstrikes.web")
    app.config.update(_config())
    app.extensions["openstrikes"] = registry
    app.extensions[CACHE_KEY] = cache
    api = _Api(app)
    latest = registry.get(None)
    assert latest is not None  # a registry holds at least one release
    place = latest.place_schema or packaged_schema(PLACE_SCHEMA_FILE)  # a 1.0 release documents 1.1 places
    for name, schema in components(latest.event_schema, latest.actor_schema, place).items():
        api.spec.components.schema(name, component=schema)
    events_blp, aggregates_blp = events_blueprint(latest.params), aggregates_blueprint(latest.params)
    overview_blp = overview_blueprint(latest.params)
    for blp in (events_blp, aggregates_blp, changes_blp, actors_blp, places_blp, overview_blp):
        api.register_blueprint(blp, url_prefix="/v1")
        api.register_blueprint(
            blp,
            url_prefix="/v1/releases/<string:version>",
            name=f"{blp.name}-pinned",
            parameters=[VERSION_PARAM],
        )
    api.register_blueprint(files_blp, url_prefix="/v1/releases/<string:version>", parameters=[VERSION_PARAM])
    for blp in (releases_blp, validate_blp, health_blp):
        api.register_blueprint(blp, url_prefix="/v1")
    app.register_blueprint(docs_blueprint(api, latest.params))
    app.register_blueprint(codebook_blueprint())
    app.register_blueprint(explorer_blueprint())
    errors.install(app)
    app.before_request(_no_arguments_on_static_pages)
    app.after_request(_finish)
    app.extensions["openstrikes.flask_wsgi"] = app.wsgi_app
    app.wsgi_app = FastPaths(app.wsgi_app, registry)  # type: ignore[method-assign]
    return app


def _config() -> dict[str, Any]:
    """Flask and flask-smorest settings: the OpenAPI document's title, version and texts."""
    return dict(
        API_TITLE="OpenStrikes API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=MAX_BODY,
        JSON_SORT_KEYS=False,
        API_SPEC_OPTIONS={
            "info": {
                "description": "Read-only API over the OpenStrikes releases. Every route under /v1 also "
                "exists under /v1/releases/{version}/ (immutable, cacheable forever). Errors: one JSON "
                'shape, {"error": {status, code, message, parameter, details}}.',
                "license": {"name": "Data CC-BY-4.0; code MIT", "identifier": "CC-BY-4.0"},
            },
            "servers": [{"url": "/"}],
        },
    )


def _no_arguments_on_static_pages() -> None:
    """/openapi.json, /docs and the codebook take no query arguments either (the API routes check their own)."""
    if request.path in ("/openapi.json", "/docs", "/docs/codebook", "/docs/codebook.md") and request.args:
        name = next(iter(request.args))
        raise errors.ApiError(
            400, f"unknown query parameter {name!r} (allowed: none)", code="unknown_parameter", parameter=name
        )


class _Api(Api):  # type: ignore[misc]
    """flask-smorest's Api documenting our one error shape as the default error response."""

    ERROR_SCHEMA = ApiErrorSchema


def _matches(resp: Response, req: Request) -> bool:
    etag, _ = resp.get_etag()
    return etag is not None and (etag in req.if_none_match or req.if_none_match.star_tag)


def _finish(resp: Response) -> Response:
    """CORS, Cache-Control, ETag/304 and gzip for every response."""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    h = resp.headers
    for k, v in headers.CORS:
        h[k] = v
    method = req.method
    if method == "OPTIONS":
        h["Access-Control-Allow-Methods"] = h.get("Allow", "GET, HEAD, OPTIONS")
        for k, v in headers.PREFLIGHT:
            h[k] = v
        return resp
    status = resp.status_code
    if (method != "GET" and method != "HEAD") or status >= 400:
        return resp
    h["Cache-Control"] = headers.cache_control(req.path)
    if status != 200 or resp.direct_passthrough:
        return resp
    compressible = (resp.mimetype or "").startswith(headers.COMPRESSIBLE)
    encodings = req.environ.get("HTTP_ACCEPT_ENCODING")
    gzip_ok = compressible and bool(encodings) and req.accept_encodings["gzip"] > 0
    if compressible:
        h["Vary"] = "Accept, Accept-Encoding" if "Vary" in h else "Accept-Encoding"
    if resp.is_streamed:
        if gzip_ok:
            resp.response = headers.gzip_stream(resp.response)  # type: ignore[arg-type]
            h["Content-Encoding"] = "gzip"
            h.pop("Content-Length", None)
            _gz_etag(resp)
        return resp
    body = resp.get_data()
    if "ETag" not in h:
        resp.set_etag(hashlib.blake2b(body, digest_size=16).hexdigest())
    if "HTTP_IF_NONE_MATCH" in req.environ and _matches(resp, req):
        return _not_modified(resp)
    if gzip_ok and len(body) >= headers.MIN_GZIP_BYTES:
        resp.set_data(headers.gzip_bytes(body))
        h["Content-Encoding"] = "gzip"
        _gz_etag(resp)
    return resp


def _gz_etag(resp: Response) -> None:
    etag, weak = resp.get_etag()
    if etag is not None:
        resp.set_etag(headers.gzip_etag(etag), weak=bool(weak))


def _not_modified(resp: Response) -> Response:
    out = Response(status=304)
    for k in headers.NOT_MODIFIED_KEEPS:
        if k in resp.headers:
            out.headers[k] = resp.headers[k]
    return out
