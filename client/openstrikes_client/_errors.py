"""One error tree for everything the client can raise (no `requests` exception escapes)."""

from __future__ import annotations

from typing import Any


class OpenStrikesError(Exception):
    """Root of every error raised by openstrikes_client."""


class APIError(OpenStrikesError):
    """The server answered with an error status.

    `status` is the HTTP status; `code`, `message`, `parameter` and `details` come from the
    server's JSON error body (`{"error": {...}}`) when it sent one.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        parameter: str | None = None,
        details: Any = None,
        url: str | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.code = code
        self.parameter = parameter
        self.details = details
        self.url = url
        where = f" (parameter {parameter!r})" if parameter else ""
        at = f" [{url}]" if url else ""
        super().__init__(f"HTTP {status}: {message}{where}{at}")


class BadRequest(APIError):
    """The request was refused as invalid (400, 413, 422): the message names the parameter."""


class NotFound(APIError):
    """No such event, actor, release or file (404)."""


class RateLimited(APIError):
    """Too many requests (429), still refused after the retries; `retry_after` in seconds."""

    def __init__(self, status: int, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(status, message, **kw)
        self.retry_after = retry_after


class ServerError(APIError):
    """The server failed (5xx), still after the retries."""


class TransportError(OpenStrikesError):
    """The server could not be reached or the connection broke; `url` names what was asked."""

    def __init__(self, message: str, *, url: str) -> None:
        self.url = url
        super().__init__(f"{message} [{url}]")


class IntegrityError(OpenStrikesError):
    """A file or response does not match its published sha256 or size, or is malformed."""

    def __init__(
        self, message: str, *, path: str | None = None, expected: str | None = None, actual: str | None = None
    ) -> None:
        self.path = path
        self.expected = expected
        self.actual = actual
        super().__init__(message)


def error_for_status(
    status: int,
    message: str,
    *,
    code: str | None = None,
    parameter: str | None = None,
    details: Any = None,
    url: str | None = None,
    retry_after: float | None = None,
) -> APIError:
    """The most specific APIError subclass for an HTTP status."""
    kw: dict[str, Any] = {"code": code, "parameter": parameter, "details": details, "url": url}
    if status == 404:
        return NotFound(status, message, **kw)
    if status == 429:
        return RateLimited(status, message, retry_after=retry_after, **kw)
    if status >= 500:
        return ServerError(status, message, **kw)
    if status in (400, 413, 415, 422):
        return BadRequest(status, message, **kw)
    return APIError(status, message, **kw)


class InvalidArgument(BadRequest, ValueError):
    """An argument of a query method is not valid: raised alike online and offline, before any
    request is sent or any file is read, where the API would answer 422 (hence a BadRequest)."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(422, f"{parameter}: {message}", code="invalid_value", parameter=parameter)
        self.args = (self.message,)

    def __str__(self) -> str:
        return self.message
