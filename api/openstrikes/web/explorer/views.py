"""The explorer's routes: the page (/ and /releases/{version}/), the event pages rendered on the
server (/events/{id}), the basemap outlines and the vendored static files."""

from __future__ import annotations

import mimetypes
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, render_template

from openstrikes.index.filters import where_clause
from openstrikes.index.pages import read_page
from openstrikes.index.values import enum_type
from openstrikes.web.common import registry
from openstrikes.web.explorer import csp
from openstrikes.web.explorer.boundaries import boundaries
from openstrikes.web.explorer.render import event_view
from openstrikes.web.registry import Release

TILE_ENV = "OPENSTRIKES_TILE_URL"
CACHE_KEY = "openstrikes.cache_dir"
STATIC = "openstrikes.web.explorer"
MAX_OPERATION_SITES = 200
ENUMS = ("strike_type", "status", "outcome", "water_body")


@cache
def _static_file(name: str) -> bytes | None:
    """A file under static/ (vendored libraries included), read once; None if there is none."""
    if ".." in name.split("/") or name.startswith("/"):
        return None
    node = resources.files(STATIC).joinpath("static", *name.split("/"))
    try:
        return node.read_bytes() if node.is_file() else None
    except OSError:
        return None


def _tile_url() -> str | None:
    return os.environ.get(TILE_ENV) or None


def _secure(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = csp.policy(_tile_url())
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    return resp


def _prefix(version: str | None) -> str:
    return f"/releases/{version}" if version else ""


def _citation(rel: Release) -> str | None:
    f = rel.files.get("CITATION.cff")
    if f is None:
        return None
    try:
        return f.path.read_text(encoding="utf-8")
    except OSError:
        return None


def _page(version: str | None) -> Response:
    reg = registry()
    rel = reg.get(version)
    message = None
    status = 200
    if rel is None:
        message = f"There is no release {version!r} here; showing the latest release, {reg.latest}."
        status = 404
        version = None
        rel = reg.get(None)
    assert rel is not None
    zips = [f for f in rel.files.values() if f.name.endswith(".zip")]
    html = render_template(
        "explorer.html",
        release=rel,
        pinned=version,
        latest=reg.latest,
        releases=[r.version for r in reg.ordered()],
        message=message,
        tile_url=_tile_url() or "",
        zips=zips,
        citation=_citation(rel),
        enums={k: enum_type(rel.event_schema, k).schema["enum"] for k in ENUMS},
    )
    return _secure(Response(html, status=status, mimetype="text/html"))


def _event_page(version: str | None, event_id: str) -> Response:
    reg = registry()
    rel = reg.get(version)
    if rel is None:
        return _not_found(
            f"There is no release {version!r} here (served: {', '.join(sorted(reg.releases))})."
        )
    body = rel.store.event_body(event_id)
    if body is None:
        return _not_found(f"There is no event {event_id!r} in release {rel.version}.", version)
    event = orjson.loads(body)
    links = rel.store.related_links(event_id) or []
    chain = [orjson.loads(b) for b, _ in links]
    sites: list[dict[str, Any]] = []
    if event.get("operation"):
        values = {"operation": event["operation"], "include_withdrawn": True, "sort": "date_start"}
        page = read_page(
            rel.store,
            {**values, "page_size": MAX_OPERATION_SITES},
            where_clause(values, rel.store.actor_ids_for),
        )
        sites = [e for e in (orjson.loads(b) for b in page.bodies) if e["id"] != event_id]
    actors = {a["id"]: a for a in (orjson.loads(b) for b in rel.store.actors())}
    view = event_view(event, chain, sites, actors, [link for _, link in links])
    html = render_template(
        "event.html",
        v=view,
        e=event,
        release=rel,
        pinned=version,
        prefix=_prefix(version),
        api=f"/v1{_prefix(version)}",
    )
    return _secure(Response(html, mimetype="text/html"))


def _not_found(message: str, version: str | None = None) -> Response:
    html = render_template("missing.html", message=message, prefix=_prefix(version))
    return _secure(Response(html, status=404, mimetype="text/html"))


def explorer_blueprint() -> Blueprint:
    """The explorer's routes (outside /v1: the page is a client of the API like any other)."""
    bp = Blueprint("explorer", __name__, template_folder="templates")

    @bp.get("/")
    def index() -> Response:
        return _page(None)

    @bp.get("/releases/<string:version>/")
    def pinned(version: str) -> Response:
        return _page(version)

    @bp.get("/events/<string:event_id>")
    def event(event_id: str) -> Response:
        return _event_page(None, event_id)

    @bp.get("/releases/<string:version>/events/<string:event_id>")
    def pinned_event(version: str, event_id: str) -> Response:
        return _event_page(version, event_id)

    @bp.get("/explorer/boundaries.geojson")
    def outlines() -> Response:
        cache_dir: Path = current_app.extensions[CACHE_KEY]
        resp = Response(boundaries(cache_dir), mimetype="application/geo+json")
        resp.headers["Cache-Control"] = "public, max-age=86400"
        return resp

    @bp.get("/explorer/static/<path:name>")
    def static(name: str) -> Response:
        data = _static_file(name)
        if data is None:
            return _not_found(f"There is no file {name!r} here.")
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        resp = Response(data, mimetype=mime)
        resp.headers["Cache-Control"] = "public, max-age=3600"
        return _secure(resp)

    return bp
