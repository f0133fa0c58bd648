"""Test helpers for the client: a scripted HTTP server on 127.0.0.1 and a release writer."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Reply:
    """One scripted answer: status, headers, body; `cut_after` sends only that many body bytes
    (with the full Content-Length) and then closes the connection."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeServer:
    """Answers each path with its scripted replies in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply] | Callable[[Seen], Reply]] = {}
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, dict(self.headers), body)
                fake.seen.append(seen)
                reply = fake.reply_for(seen)
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.cut_after is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.cut_after is not None:
                    self.wfile.write(reply.body[: reply.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_HEAD = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reply_for(self, seen: Seen) -> Reply:
        path = seen.path.split("?", 1)[0]
        route = self.routes.get(path)
        if route is None:
            return json_reply({"error": {"status": 404, "code": "not_found", "message": f"no {path}"}}, 404)
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path.split("?", 1)[0] == path]


def json_reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body=json.dumps(data).encode(), headers=dict(headers or {}))


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ranged(data: bytes, headers: dict[str, str] | None = None) -> Callable[[Seen], Reply]:
    """A route serving `data` with Range support (206 for `bytes=N-`)."""

    def route(seen: Seen) -> Reply:
        rng = seen.headers.get("Range")
        extra = dict(headers or {})
        if rng and rng.startswith("bytes="):
            start = int(rng.removeprefix("bytes=").split("-")[0])
            extra["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return Reply(status=206, body=data[start:], headers=extra)
        return Reply(status=200, body=data, headers=extra)

    return route


# -- A release on disk, in the package's layout (for offline tests) -----------------------------

ACTOR_COLUMNS = ["id", "name", "aliases", "kind", "country", "parent", "acled", "ucdp", "wikidata", "description"]


def write_release(
    folder: Path,
    events: Iterable[dict[str, Any]],
    actors: Iterable[dict[str, Any]],
    version: str = "0.1.0",
    name: str = "openstrikes",
) -> Path:
    """Write a minimal package (datapackage.json with sha256, events.ndjson, actors.csv, changes.csv)."""
    folder.mkdir(parents=True, exist_ok=True)
    evs = sorted(events, key=lambda e: e["id"])
    ndjson = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in evs)
    files: dict[str, bytes] = {"events.ndjson": ndjson.encode()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ACTOR_COLUMNS)
    for a in sorted(actors, key=lambda a: a["id"]):
        ext = a.get("external_ids") or {}
        w.writerow(
            [
                a["id"],
                a["name"],
                "|".join(a.get("aliases") or []),
                a["kind"],
                a.get("country") or "",
                a.get("parent") or "",
                ext.get("acled", ""),
                ext.get("ucdp", ""),
                ext.get("wikidata", ""),
                a.get("description") or "",
            ]
        )
    files["actors.csv"] = buf.getvalue().encode()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "modified", "withdrawn"])
    for e in evs:
        w.writerow([e["id"], e["modified"], "true" if e["withdrawn"] else "false"])
    files["changes.csv"] = buf.getvalue().encode()
    resources = []
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
        resources.append(
            {
                "name": fname.split(".")[0].replace("_", "-"),
                "path": fname,
                "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
            }
        )
    descriptor = {"name": name, "version": version, "resources": resources}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n")
    return folder
