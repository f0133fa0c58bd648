"""One JSON error shape everywhere: {"error": {status, code, message, parameter, details}}."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from openstrikes.index.errors import QueryTimeout
from openstrikes.index.values import ParamError

log = logging.getLogger("openstrikes.web")

CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "body_too_large",
    415: "unsupported_media_type",
    416: "range_not_satisfiable",
    422: "invalid_value",
    500: "internal_error",
    503: "unavailable",
}


class ConfigError(Exception):
    """The server is started without what it needs (e.g. no releases directory)."""


class ApiError(Exception):
    """An error answer of the API."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        parameter: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "error")
        self.message = message
        self.parameter = parameter
        self.details = details
        self.headers = headers or {}


def error_response(err: ApiError) -> Response:
    body = {
        "error": {
            "status": err.status,
            "code": err.code,
            "message": err.message,
            "parameter": err.parameter,
            "details": err.details,
        }
    }
    resp = Response(orjson.dumps(body), status=err.status, mimetype="application/json")
    for k, v in err.headers.items():
        resp.headers[k] = v
    resp.headers["Cache-Control"] = "no-store"
    return resp


def timeout_error(err: QueryTimeout) -> ApiError:
    """The 503 for a query that ran past its time bound."""
    return ApiError(503, f"{err}; narrow the filters", code="query_timeout", headers={"Retry-After": "1"})


def install(app: Flask) -> None:
    """Route every error (HTTP, parameter, timeout, unexpected) to the one JSON shape."""

    @app.errorhandler(ApiError)
    def _api(err: ApiError) -> Response:
        return error_response(err)

    @app.errorhandler(ParamError)
    def _param(err: ParamError) -> Response:
        return error_response(ApiError(err.status, err.message, code=err.code, parameter=err.parameter))

    @app.errorhandler(QueryTimeout)
    def _timeout(err: QueryTimeout) -> Response:
        return error_response(timeout_error(err))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        status = err.code or 500
        headers: dict[str, str] = {}
        if isinstance(err, MethodNotAllowed) and err.valid_methods:
            headers["Allow"] = ", ".join(sorted(err.valid_methods))
        message = err.description or "error"
        if status == 413:
            message = "the request body is larger than the 1 MiB limit"
        if status == 404:
            message = "no such resource; see /docs for the routes"
        if status == 405:
            message = f"method not allowed here; allowed: {headers.get('Allow', 'none')}"
        if status == 416:
            for k, v in err.get_headers():
                if k == "Content-Range":
                    headers[k] = v
        return error_response(ApiError(status, message, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(ApiError(500, "internal error; it has been logged"))
