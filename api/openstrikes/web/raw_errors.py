"""The servers' own error answers, sent before the application runs (gunicorn's in production,
werkzeug's with `serve --dev`: a request line or headers too long, a malformed request), in the
API's one JSON error shape rather than an HTML page, as raw HTTP/1.1 bytes."""

from __future__ import annotations

from http import HTTPStatus

import orjson

CODES = {
    400: "bad_request",
    403: "forbidden",
    408: "request_timeout",
    414: "uri_too_long",
    417: "expectation_failed",
    431: "headers_too_large",
    500: "internal_error",
    501: "not_implemented",
    505: "http_version_not_supported",
}


def raw_error(status: int, message: str, *, code: str | None = None, body: bool = True) -> bytes:
    """A whole `Connection: close` response with the JSON error document (no body if not `body`,
    as for HEAD)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    document = orjson.dumps(
        {
            "error": {
                "status": status,
                "code": code or CODES.get(status, "error"),
                "message": message,
                "parameter": None,
                "details": None,
            }
        }
    )
    head = (
        f"HTTP/1.1 {status} {phrase}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(document)}\r\n"
        "Cache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n\r\n"
    )
    return head.encode("latin-1") + (document if body else b"")
