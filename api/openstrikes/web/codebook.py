"""GET /docs/codebook (HTML) and /docs/codebook.md (Markdown): the codebook of the latest served
release, from the schemas bundled in it, the per-code counts of its events that its index holds
(index/code_use.py: counted when the index is built, so no request reads the events), and its
actors and places (see package/codebook.py). Made on the first request and kept. A release
whose schemas predate the code definitions gets its codebook with the codes undefined."""

from __future__ import annotations

import threading

from flask import Blueprint, Response, current_app

from openstrikes.package.codebook import Block, codebook_blocks, html_page, markdown
from openstrikes.package.reader import package_actors, package_places
from openstrikes.web.registry import Registry


def _blocks(registry: Registry, cache: dict[str, list[Block]], lock: threading.Lock) -> list[Block]:
    release = registry.get(None)
    assert release is not None  # a registry holds at least one release
    with lock:
        if release.version not in cache:
            package = release.store.package
            places = package_places(package) if release.place_schema is not None else []
            cache[release.version] = codebook_blocks(
                release.event_schema,
                release.actor_schema,
                release.place_schema,
                (),
                package_actors(package),
                places,
                strict=False,  # a release made before the code definitions is still served
                event_use=release.store.code_use,
            )
        return cache[release.version]


def codebook_blueprint() -> Blueprint:
    """The codebook routes."""
    bp = Blueprint("codebook", __name__)
    cache: dict[str, list[Block]] = {}
    lock = threading.Lock()

    def registry() -> Registry:
        reg: Registry = current_app.extensions["openstrikes"]
        return reg

    @bp.get("/docs/codebook")
    def codebook_html() -> Response:
        page = html_page(_blocks(registry(), cache, lock), event_link="/v1/events/{id}")
        return Response(page.encode("utf-8"), mimetype="text/html")

    @bp.get("/docs/codebook.md")
    def codebook_markdown() -> Response:
        text = markdown(_blocks(registry(), cache, lock))
        return Response(text.encode("utf-8"), mimetype="text/markdown")

    return bp
