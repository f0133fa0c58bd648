"""The production server of `openstrikes serve`: gunicorn, run in this process as its master.

Worker processes with threads (gthread), keep-alive, a worker timeout, graceful shutdown on
SIGTERM, and a time bound on every read from a client (a client that stops sending its headers
or body loses its connection instead of holding a thread). The application is loaded once in the
master (the index is built there, once) and forked into the workers; `kill -HUP <master>` loads
it again, so releases added to the releases directory are served by the new workers, and a
release that fails verification is refused while the old workers keep serving.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import ssl
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import TConn, ThreadWorker

from openstrikes.web.raw_errors import raw_error

log = logging.getLogger("openstrikes.serve")

WsgiApp = Callable[..., Any]
CLIENT_TIMEOUT_S = 10.0  # the longest wait for the next bytes of a request's headers or body


class _TimedConn(TConn):  # type: ignore[misc]
    """A client connection whose reads time out (set again each time a thread takes it up)."""

    client_timeout = CLIENT_TIMEOUT_S

    def init(self) -> None:
        super().init()
        self.sock.settimeout(self.client_timeout)


class TimedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker with a read timeout on every client connection."""

    client_timeout = CLIENT_TIMEOUT_S

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        """gunicorn's own answers (414, 431, 400 before the application runs) in the API's one
        JSON error shape rather than an HTML page."""
        status, code, message = _gunicorn_error(exc)
        if status >= 500:
            self.log.exception("Error handling request")
        else:
            self.log.warning("Invalid request from %s: %s", (addr or ("",))[0], exc)
        try:
            util.write_nonblock(client, raw_error(status, message, code=code))
        except Exception:
            self.log.debug("Failed to send error message.")

    def accept(self, listener: socket.socket) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        client_sock.setblocking(True)
        conn = _TimedConn(self.cfg, client_sock, client_addr, listener.getsockname())
        conn.client_timeout = self.client_timeout
        self.enqueue_req(conn)


def _gunicorn_error(exc: BaseException) -> tuple[int, str, str]:
    """(status, code, message) of an error gunicorn meets before or around the application."""
    if isinstance(exc, http_errors.LimitRequestLine):
        return 414, "uri_too_long", "the request line is too long (at most 4094 bytes)"
    if isinstance(exc, http_errors.LimitRequestHeaders):
        return 431, "headers_too_large", "the request headers are too large or too many"
    if isinstance(exc, http_errors.UnsupportedTransferCoding):
        return 501, "not_implemented", str(exc)
    if isinstance(exc, http_errors.ExpectationFailed):
        return 417, "expectation_failed", str(exc)
    if isinstance(exc, http_errors.ForbiddenProxyRequest):
        return 403, "forbidden", "request forbidden"
    application_fault = (
        http_errors.InvalidResponseHeader,
        http_errors.InvalidResponseHeaderName,
        http_errors.ConfigurationProblem,
    )
    if isinstance(exc, http_errors.ParseException | ssl.SSLError) and not isinstance(exc, application_fault):
        return 400, "bad_request", f"malformed request: {exc}"
    return 500, "internal_error", "internal error; it has been logged"


def worker_class(client_timeout: float) -> type[TimedThreadWorker]:
    """The worker class with this client read timeout."""
    return type("OpenStrikesWorker", (TimedThreadWorker,), {"client_timeout": client_timeout})


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn with an application factory and settings given in code (not from argv)."""

    def __init__(
        self,
        factory: Callable[[], WsgiApp],
        options: dict[str, Any],
        on_reload_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self._factory = factory
        self._options = options
        self._on_reload_error = on_reload_error
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> WsgiApp:
        return self._factory()

    def reload(self) -> None:
        """On SIGHUP: load the application again (gunicorn keeps a preloaded one otherwise).
        If the new one cannot be loaded, the one already loaded is kept."""
        super().reload()
        try:
            self.callable = self.load()
        except Exception as exc:
            if self._on_reload_error is not None:
                self._on_reload_error(exc)


def listen(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket, bound before anything is announced (OSError if taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))
