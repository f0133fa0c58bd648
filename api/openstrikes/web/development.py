"""The development server of `openstrikes serve --dev`: werkzeug's, one process, a thread per
connection, with the same read timeout as production (a client that stops sending loses its
connection instead of keeping it forever) and its own error answers (414, 431, 400, 505: before
the application runs) in the API's JSON error shape like everything else."""

from __future__ import annotations

import contextlib
import socket
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from openstrikes.web.raw_errors import raw_error

MESSAGES = {
    414: "the request line is too long (at most 65536 bytes)",
    431: "the request headers are too large or too many",
}


class JsonErrorRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler; http.server's HTML error page replaced by the JSON document."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        self.log_error("code %d, message %s", code, message)
        text = MESSAGES.get(code) or (f"malformed request: {message}" if message else "malformed request")
        self.close_connection = True
        with contextlib.suppress(OSError):  # the client has gone
            self.wfile.write(raw_error(code, text, body=getattr(self, "command", None) != "HEAD"))


def dev_server(host: str, port: int, app: Any, sock: socket.socket, client_timeout: float) -> BaseWSGIServer:
    """A threaded werkzeug server of `app` on the already listening `sock`; reads from a client
    time out after `client_timeout` seconds."""
    handler = type("TimedJsonErrorRequestHandler", (JsonErrorRequestHandler,), {"timeout": client_timeout})
    return make_server(host, port, app, threaded=True, request_handler=handler, fd=sock.fileno())
