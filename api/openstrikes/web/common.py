"""Helpers the blueprints share: the release of a request, strict arguments, JSON bodies, ETags."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from flask import Response, current_app, request

from openstrikes.index.params import Param, parse_args
from openstrikes.web.errors import ApiError
from openstrikes.web.headers import gzip_etag
from openstrikes.web.registry import Registry, Release

JSON = "application/json"
ERROR_CODES = (400, 404, 406, 422, 503)


def registry() -> Registry:
    reg: Registry = current_app.extensions["openstrikes"]
    return reg


def release_of(version: str | None) -> Release:
    """The release a request is about (None: the latest); 404 naming the served versions."""
    rel = registry().get(version)
    if rel is None:
        served = ", ".join(sorted(registry().releases))
        raise ApiError(
            404, f"no release {version!r}; served: {served}", code="unknown_release", parameter="version"
        )
    return rel


def args(params: list[Param]) -> dict[str, Any]:
    """The request's query arguments, read strictly against `params`."""
    return parse_args(request.args.to_dict(flat=False), params)


def json_response(body: Any, status: int = 200, mimetype: str = JSON) -> Response:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(data, status=status, mimetype=mimetype)


def request_etag(rel: Release, *extra: str) -> str:
    """A strong ETag derived from the request alone: a release never changes, so the same request
    to the same release always gives the same bytes (no need to compute the body to compare)."""
    items = sorted((k, v) for k, vs in request.args.lists() for v in vs)
    return etag_for(rel.store.sha256, request.path, items, *extra)


def etag_for(release_sha: str, path: str, items: list[tuple[str, str]], *extra: str) -> str:
    """The ETag of a request to an immutable release: release, path, sorted arguments, variant."""
    text = "|".join([release_sha, path, repr(items), *extra])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def not_modified(etag: str) -> Response | None:
    """A 304 if the client already holds this ETag (either encoding variant)."""
    if (
        etag in request.if_none_match
        or gzip_etag(etag) in request.if_none_match
        or request.if_none_match.star_tag
    ):
        resp = Response(status=304)
        resp.set_etag(etag)
        return resp
    return None
