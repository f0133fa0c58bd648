"""HTTP for the client: timeouts, retries with backoff and jitter, and the error tree.

Only idempotent requests (GET, HEAD) are retried: on connection errors, timeouts, 429 and 5xx,
honouring `Retry-After`. Every `requests` exception becomes a TransportError naming the URL.
"""

from __future__ import annotations

import email.utils
import gc
import importlib
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.utils
import urllib3

from ._errors import APIError, TransportError, error_for_status
from ._version import __version__

Timeout = float | tuple[float, float]
DEFAULT_TIMEOUT: tuple[float, float] = (5.0, 30.0)
USER_AGENT = f"openstrikes-client/{__version__} {requests.utils.default_user_agent()}"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "testserver"})


@dataclass(frozen=True)
class Retries:
    """How GET requests are retried.

    `total` retries after the first try; waits grow as `backoff * 2**n` (full jitter, at most
    `max_backoff`); a `Retry-After` from the server is honoured up to `max_retry_after` seconds.
    """

    total: int = 3
    backoff: float = 0.5
    max_backoff: float = 30.0
    max_retry_after: float = 120.0
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        cap = min(self.max_backoff, self.backoff * (2**attempt))
        return random.uniform(0, cap)


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _api_error(resp: requests.Response) -> APIError:
    message, code, parameter, details = resp.reason or "error", None, None, None
    try:
        body = json.loads(resp.content)
    except ValueError:
        body = None
        text = resp.text.strip()
        if text:
            message = text[:200]
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        message = str(err.get("message") or message)
        code = err.get("code")
        parameter = err.get("parameter")
        details = err.get("details")
    elif isinstance(body, dict) and "message" in body:  # a framework's default error body
        message = str(body["message"])
    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
    return error_for_status(
        resp.status_code,
        message,
        code=code,
        parameter=parameter,
        details=details,
        url=resp.url,
        retry_after=retry_after,
    )


class Transport:
    """Sends requests to one API root; owns the retry policy and the mapping of errors."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int | Retries = 3,
        session: requests.Session | None = None,
        user_agent: str | None = None,
        compress: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.retries = retries if isinstance(retries, Retries) else Retries(total=retries)
        self._own_session = session is None
        self.session = session or requests.Session()
        self.headers = {"User-Agent": user_agent or USER_AGENT, "Accept": "application/json"}
        if compress is None:  # compression saves bandwidth on a network, and only costs CPU on loopback
            compress = urlsplit(self.base_url).hostname not in LOOPBACK
        self.compress = compress
        if not compress:
            self.headers["Accept-Encoding"] = "identity"
        self.sleep = sleep

    def url(self, path: str) -> str:
        """An absolute URL for a path relative to the root (or an absolute/root-relative link)."""
        return urljoin(self.base_url, path.lstrip("/") if not path.startswith(("http:", "https:")) else path)

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        ok: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send one request, retrying idempotent ones; return a 2xx response (or a status in `ok`).

        Raises the APIError subclass of the status, or TransportError.
        """
        url = self.url(path)
        hdrs = dict(self.headers)
        if headers:
            hdrs.update(headers)
        idempotent = method in ("GET", "HEAD")
        attempt = 0
        while True:
            try:
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=hdrs,
                    timeout=self.timeout,
                    stream=stream,
                )
            except requests.RequestException as exc:
                if idempotent and attempt < self.retries.total and _retryable_exception(exc):
                    self.sleep(self.retries.wait(attempt, None))
                    attempt += 1
                    continue
                raise TransportError(_describe(exc), url=_full_url(url, params)) from exc
            if resp.status_code < 400 or resp.status_code in ok:
                return resp
            if idempotent and attempt < self.retries.total and resp.status_code in self.retries.statuses:
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                if retry_after is not None and retry_after > self.retries.max_retry_after:
                    raise read_error(resp)
                resp.close()
                self.sleep(self.retries.wait(attempt, retry_after))
                attempt += 1
                continue
            raise read_error(resp)

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a JSON document (decoded); a body that is not JSON is a TransportError."""
        resp = self.request("GET", path, params=params)
        return decode_json(resp)

    def post_json(self, path: str, body: Any, ok: tuple[int, ...] = ()) -> Any:
        """POST a JSON body (never retried) and decode the JSON answer."""
        resp = self.request("POST", path, json_body=body, ok=ok)
        return decode_json(resp)


def decode_body(resp: requests.Response) -> bytes:
    """The whole body of a response; TransportError if the connection breaks first."""
    try:
        return resp.content
    except requests.RequestException as exc:
        raise TransportError(f"the response broke off: {_describe(exc)}", url=resp.url) from exc


def read_streamed(resp: requests.Response) -> bytes:
    """The whole body of a response requested with `stream=True`, read in one call (the C-level
    read loop, not requests' 10 KiB chunks); a short or broken body is a TransportError."""
    raw = resp.raw
    if not isinstance(raw, urllib3.response.HTTPResponse):  # e.g. an in-process test adapter
        return decode_body(resp)
    try:
        data = raw.read(decode_content=True)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        resp.close()
        raise TransportError(f"the response broke off: {type(exc).__name__}: {exc}", url=resp.url) from exc
    length = resp.headers.get("Content-Length")
    identity = "Content-Encoding" not in resp.headers
    if identity and length is not None and length.isdigit() and len(data) != int(length):
        resp.close()  # urllib3 1.x does not check this: never hand on a short page
        raise TransportError(f"the response broke off after {len(data)} of {length} bytes", url=resp.url)
    return bytes(data)


def _stdlib_loads(content: bytes) -> Any:
    return json.loads(content)


def _fast_loads() -> Callable[[bytes], Any] | None:
    """orjson's decoder, from the optional `fast` extra (`pip install "openstrikes-client[fast]"`):
    same values, several times faster; None without it. Imported by name, so the client
    type-checks the same with and without orjson installed."""
    try:
        module = importlib.import_module("orjson")
    except ImportError:
        return None
    fast: Callable[[bytes], Any] = module.loads
    return fast


_FAST = _fast_loads()
loads: Callable[[bytes], Any] = _stdlib_loads if _FAST is None else _FAST
JSON_DECODER = "json" if _FAST is None else "orjson"


def parse_json(content: bytes, url: str) -> Any:
    """Decode a JSON body; TransportError (naming the URL) if it is not JSON. orjson decodes when
    it is installed, else the standard library: both give the same values for what the API sends.

    The host's garbage collector is left alone (no pause, no freeze): a library must not change
    the process that imports it. `parse_json_tuned` is the opt-in that does (`Client(tune_gc=True)`).
    """
    try:
        return loads(content)
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError too
        raise TransportError(f"the server sent a body that is not JSON ({exc})", url=url) from exc


def parse_json_tuned(content: bytes, url: str) -> Any:
    """parse_json, with the process's cyclic garbage collector paused during the decode and the
    decoded page then moved into the oldest generation. Only for `Client(tune_gc=True)`.

    A decoded page is tens of thousands of live containers: left to the collector, young
    collections walk them during the decode and full collections walk them again as they are
    promoted (about 40 % of a walk's time, measured with benchmarks/bench_client.py). This changes
    process-wide state: other threads' allocations go uncollected during the decode, and
    everything young in the process, not only the page, is promoted (gc.freeze then gc.unfreeze;
    skipped when the host keeps objects frozen itself, which unfreeze would thaw).
    """
    if not gc.isenabled():
        return parse_json(content, url)
    gc.disable()
    try:
        return parse_json(content, url)
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def decode_json(resp: requests.Response) -> Any:
    """The JSON body of a response; TransportError if it is cut short or not JSON."""
    return parse_json(decode_body(resp), resp.url)


def read_error(resp: requests.Response) -> APIError:
    """The APIError for an error response (its body read, the response closed)."""
    try:
        return _api_error(resp)
    except requests.RequestException:
        return error_for_status(resp.status_code, resp.reason or "error", url=resp.url)
    finally:
        resp.close()


def _retryable_exception(exc: requests.RequestException) -> bool:
    return isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, requests.ConnectTimeout):
        return "timed out connecting to the server"
    if isinstance(exc, requests.ReadTimeout):
        return "the server did not answer in time"
    if isinstance(exc, requests.ConnectionError):
        root = exc.args[0] if exc.args else exc
        reason = getattr(root, "reason", root)
        text = str(reason)
        if "refused" in text.lower():
            return "connection refused (is the server running?)"
        return f"could not connect: {text}"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke off mid-response"
    return f"{type(exc).__name__}: {exc}"


def _full_url(url: str, params: Mapping[str, str] | None) -> str:
    if not params:
        return url
    return requests.Request("GET", url, params=params).prepare().url or url
