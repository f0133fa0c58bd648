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

import server_side


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
        self.fallback: Callable[[Seen], Reply] | None = None
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
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def reply_for(self, seen: Seen) -> Reply:
        path = seen.path.split("?", 1)[0]
        route = self.routes.get(path)
        if route is None and self.fallback is not None:
            return self.fallback(seen)
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


def write_release(
    folder: Path,
    events: Iterable[dict[str, Any]],
    actors: Iterable[dict[str, Any]],
    version: str = "0.1.0",
    name: str = "openstrikes",
    extra: dict[str, bytes] | None = None,
    legacy: bool = False,
) -> Path:
    """A minimal package in the layout `openstrikes build` writes: datapackage.json (resources with
    sha256, events.ndjson under `files`), events.ndjson, actors.csv (by the server's flattener),
    roundtrip.csv (`legacy`: its two columns at the end of actors.csv, as releases before 0.3 have
    them), changes.csv, and `extra` files (listed under `files`)."""
    folder.mkdir(parents=True, exist_ok=True)
    evs = sorted(events, key=lambda e: e["id"])
    ndjson = "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in evs)
    files: dict[str, bytes] = {"events.ndjson": ndjson.encode()}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(server_side.actor_header() + ([server_side.OMITTED, server_side.EMPTY] if legacy else []))
    roundtrip = [list(server_side.ROUNDTRIP_COLUMNS)]
    for a in sorted(actors, key=lambda a: a["id"]):
        row, meta = server_side.flatten_actor(a)
        if legacy:
            row += [meta.get(server_side.OMITTED, "[]"), meta.get(server_side.EMPTY, "[]")]
        elif meta:
            roundtrip.append(server_side.roundtrip_row("actors", a["id"], meta))
        w.writerow(row)
    files["actors.csv"] = buf.getvalue().encode()
    if not legacy:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\r\n").writerows(roundtrip)
        files["roundtrip.csv"] = buf.getvalue().encode()
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["id", "modified", "withdrawn", "withdrawn_at"])
    for e in evs:
        wd = e["withdrawn"]
        w.writerow([e["id"], e["modified"], "true" if wd else "false", wd["at"] if wd else ""])
    files["changes.csv"] = buf.getvalue().encode()
    files.update(extra or {})
    listed: dict[str, list[dict[str, Any]]] = {"resources": [], "files": []}
    for fname, data in files.items():
        (folder / fname).write_bytes(data)
        entry = {"path": fname, "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)}
        if fname.endswith(".csv"):
            listed["resources"].append({"name": fname.removesuffix(".csv"), **entry})
        else:
            listed["files"].append(entry)
    descriptor = {"name": name, "version": version, **listed}
    (folder / "datapackage.json").write_text(json.dumps(descriptor, indent=2) + "\n")
    return folder


# Actor shapes the synthetic registry lacks: every optional part present, absent, null or "", and
# text with the characters a CSV or a list separator could trip on.
VARIED_ACTORS: dict[str, dict[str, Any]] = {
    "synthetic-actor-a-00": {
        "aliases": ["AA|Zero", "Zero; the first", 'Ze,ro "quoted"'],
        "kind": "state_military",
        "country": "IQ",
        "parent": "synthetic-actor-a-01",
        "external_ids": {"acled": "Militia (Iraq)|x", "ucdp": "123", "wikidata": "Q42"},
        "description": "",
        "sources": ["https://example.org/a?x=1%7C2", "https://example.org/b;c"],
    },
    "synthetic-actor-a-01": {"external_ids": {"ucdp": "77"}, "kind": "umbrella"},
    "synthetic-actor-a-02": {"name": 'Actor "Two", the second', "description": None, "aliases": ["Două"]},
}


def spread_places(dataset: Path) -> None:
    """Move the land events that name no place over the synthetic grid (the generator puts its
    first 8,800 events, one a day, at one point): the countries and coordinates that geo filters
    need to tell apart."""
    from synthetic import COUNTRIES, places

    grid = places()
    for i, path in enumerate(sorted((dataset / "events").rglob("*.json"))):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("water_body") or record.get("place"):
            continue  # at sea, or at a place of the registry: its position is fixed
        country, lat, lon = grid[(i * 7919) % len(grid)]
        record["country"] = country
        if record["latitude"] is not None:
            record["latitude"], record["longitude"] = lat, lon
        if record.get("timezone"):
            record["timezone"] = COUNTRIES[country]
        path.write_text(server_side.canonical(record, "event"), encoding="utf-8")


def vary_actors(dataset: Path) -> None:
    """Give a few actors the shapes of VARIED_ACTORS (a-01 loses its description key)."""
    for actor_id, changes in VARIED_ACTORS.items():
        path = dataset / "actors" / f"{actor_id}.json"
        record = {**json.loads(path.read_text(encoding="utf-8")), **changes}
        if actor_id == "synthetic-actor-a-01":
            del record["description"]
        path.write_text(server_side.canonical(record, "actor"), encoding="utf-8")


# -- A requests adapter into a WSGI app (the Flask test client): unit tests with no network -------


class WSGIAdapter:
    """Mount on a requests.Session: every request goes to a Flask app's test client in-process."""

    def __init__(self, app: Any) -> None:
        import requests.adapters

        self.app = app
        self.client = app.test_client()
        outer = self

        class _Adapter(requests.adapters.BaseAdapter):
            def send(self, request: Any, stream: bool = False, **kwargs: Any) -> Any:
                return outer.send(request)

            def close(self) -> None:
                pass

        self.adapter = _Adapter()

    def send(self, request: Any) -> Any:
        from urllib.parse import urlsplit

        import requests

        parts = urlsplit(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode()
        resp = self.client.open(
            parts.path,
            method=request.method,
            query_string=parts.query,
            headers={k: v for k, v in request.headers.items() if k.lower() != "accept-encoding"},
            data=body,
        )
        out = requests.Response()
        out.status_code = resp.status_code
        out.headers = requests.structures.CaseInsensitiveDict(resp.headers)
        out._content = resp.get_data()
        out._content_consumed = True
        out.raw = io.BytesIO(out._content)
        out.url = request.url
        out.reason = resp.status.split(" ", 1)[1] if " " in resp.status else ""
        out.request = request
        out.encoding = "utf-8"
        return out


def session_into(app: Any) -> Any:
    """A requests.Session whose requests to http://testserver go into `app` in-process."""
    import requests

    session = requests.Session()
    session.mount("http://testserver", WSGIAdapter(app).adapter)
    return session


class FakeAPI:
    """Just enough of the API, from release folders, for sync and download tests: the releases
    listing, file downloads (with Range), the changes feed and NDJSON event queries."""

    def __init__(self, server: FakeServer, name: str = "openstrikes") -> None:
        self.server = server
        self.name = name
        self.folders: dict[str, Path] = {}
        self.latest = ""
        self.broken_files: set[str] = set()
        self.reserialize = False  # send NDJSON lines re-encoded (not byte-identical to the package)
        server.fallback = self.route

    def add(self, version: str, folder: Path) -> None:
        self.folders[version] = folder
        self.latest = version

    def listing(self) -> dict[str, Any]:
        items = []
        for version, folder in self.folders.items():
            files = []
            for f in sorted(folder.iterdir()):
                data = f.read_bytes()
                files.append(
                    {
                        "name": f.name,
                        "bytes": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                        "url": f"/v1/releases/{version}/files/{f.name}",
                    }
                )
            sha = hashlib.sha256((folder / "datapackage.json").read_bytes()).hexdigest()
            items.append(
                {
                    "version": version,
                    "name": self.name,
                    "created": "2026-01-01T00:00:00Z",
                    "sha256": sha,
                    "files": files,
                }
            )
        return {"items": items, "latest": self.latest}

    def events(self, version: str) -> list[dict[str, Any]]:
        text = (self.folders[version] / "events.ndjson").read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def route(self, seen: Seen) -> Reply:
        from urllib.parse import parse_qs, urlsplit

        parts = urlsplit(seen.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        segs = path.strip("/").split("/")
        if path == "/v1/releases":
            return json_reply(self.listing())
        if path == "/v1/changes":
            since = query.get("since", "")
            evs = [e for e in self.events(self.latest) if e["modified"] > since]
            items = [
                {
                    "id": e["id"],
                    "modified": e["modified"],
                    "withdrawn": e["withdrawn"] is not None,
                    "withdrawn_at": (e["withdrawn"] or {}).get("at"),
                }
                for e in evs
            ]
            until = max([e["modified"] for e in self.events(self.latest)] + [since])
            return json_reply({"items": items, "since": since or None, "until": until})
        if len(segs) == 5 and segs[:2] == ["v1", "releases"] and segs[3] == "files":
            version, fname = segs[2], segs[4]
            if fname in self.broken_files:
                return json_reply({"error": {"status": 503, "message": "unavailable"}}, 503)
            data = (self.folders[version] / fname).read_bytes()
            return ranged(data, {"X-Checksum-SHA256": hashlib.sha256(data).hexdigest()})(seen)
        if len(segs) == 4 and segs[:2] == ["v1", "releases"] and segs[3] == "events":
            since = query.get("modified_since", "")
            lines = (self.folders[segs[2]] / "events.ndjson").read_bytes().splitlines(keepends=True)
            picked = [ln for ln in lines if json.loads(ln)["modified"] >= since]
            if self.reserialize:
                picked = [(json.dumps(json.loads(ln), sort_keys=True) + "\n").encode() for ln in picked]
            return Reply(200, b"".join(picked), {"Content-Type": "application/x-ndjson"})
        return json_reply({"error": {"status": 404, "message": f"no route {path}"}}, 404)


@dataclass(frozen=True)
class Built:
    dataset: Path  # repository-shaped dataset (events/, actors/)
    releases: Path  # directory holding the package directory and its zip
    package: Path  # the package directory
    zip: Path  # its deterministic zip
    events: dict[str, dict[str, Any]]  # the source records by id
    actors: dict[str, dict[str, Any]]
