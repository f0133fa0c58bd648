"""GET /events (filters, sort, pages and cursors, fields, formats), /events/{id}, /events/{id}/related."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import orjson
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from openstrikes.geo import geojson_feature
from openstrikes.index.filters import Where
from openstrikes.index.nearby import events_where, stream_for
from openstrikes.index.params import FORMATS, MEDIA_TYPES, RELATED_PARAMS, ParamSet, openapi_parameters
from openstrikes.index.store import Store
from openstrikes.package.flat_rows import FLAT_COLUMNS, flat_row
from openstrikes.package.flatten import event_header, flatten_event
from openstrikes.package.table_schema import Tables
from openstrikes.web.common import ERROR_CODES, args, json_response, not_modified, release_of, request_etag
from openstrikes.web.errors import ApiError
from openstrikes.web.pages import page_answer, trim
from openstrikes.web.response_schemas import ApiErrorSchema, EventPageSchema, RelatedListSchema

ACCEPTED = [MEDIA_TYPES[f] for f in FORMATS] + ["application/ndjson"]


def _format(values: dict[str, Any]) -> str:
    if "format" in values:
        return str(values["format"])
    if not request.accept_mimetypes:
        return "json"
    best = request.accept_mimetypes.best_match(ACCEPTED)
    if best is None:
        raise ApiError(
            406,
            "none of the media types in Accept is offered; use " + ", ".join(ACCEPTED[:-1]),
            parameter="Accept",
        )
    return "ndjson" if best == "application/ndjson" else next(f for f, m in MEDIA_TYPES.items() if m == best)


def _page(store: Store, values: dict[str, Any], where: Where) -> Response:
    pairs = [(k, v) for k, vs in request.args.lists() for v in vs]
    body, headers = page_answer(store, values, where, request.path, pairs)
    resp = Response(body, mimetype="application/json")
    resp.headers.update(headers)
    return resp


def _csv_rows(bodies: list[bytes], layout: Tables) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        flatten_event(orjson.loads(b), layout).row for b in bodies
    )
    return buf.getvalue().encode("utf-8")


def _flat_rows(bodies: list[bytes], names: dict[str, str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(flat_row(orjson.loads(b), names) for b in bodies)
    return buf.getvalue().encode("utf-8")


def _stream(store: Store, values: dict[str, Any], where: Where, fmt: str, layout: Tables) -> Response:
    """Every matching event, streamed in batches with constant memory. The query runs and its first
    batch is read before the first byte, so bad input never starts a 200; a failure later raises out
    of the body iterator, which makes the server abort the response (no clean end: never a
    truncated file that looks complete)."""
    for name in ("page", "page_size", "cursor"):
        if name in values:
            raise ApiError(
                400,
                f"{name} applies to format=json; format={fmt} streams every match",
                code="conflicting_parameters",
                parameter=name,
            )
    flat = bool(values.get("flat"))
    if fmt == "csv" and "fields" in values:
        raise ApiError(
            400,
            "fields applies to json, ndjson and geojson, not csv",
            code="conflicting_parameters",
            parameter="fields",
        )
    rows = stream_for(store, values, where)
    names = {a["id"]: a["name"] for a in map(orjson.loads, store.actors())} if flat else {}
    keep = {"id", *values["fields"]} if "fields" in values else None

    def render(bodies: list[bytes]) -> bytes:
        if keep is not None:
            bodies = [trim(b, keep) for b in bodies]
        if fmt == "ndjson":
            return b"".join(b + b"\n" for b in bodies)
        if fmt == "csv":
            return _flat_rows(bodies, names) if flat else _csv_rows(bodies, layout)
        return b",\n".join(geojson_feature(orjson.loads(b)) for b in bodies)

    def body() -> Iterator[bytes]:
        if fmt == "csv":
            buf = io.StringIO()
            csv.writer(buf, lineterminator="\r\n").writerow(FLAT_COLUMNS if flat else event_header(layout))
            yield buf.getvalue().encode("utf-8")
        elif fmt == "geojson":
            yield b'{"type":"FeatureCollection","features":[\n'
        started = False
        for bodies in rows.batches():
            chunk = render(bodies)
            if fmt == "geojson" and started:
                chunk = b",\n" + chunk
            started = True
            yield chunk
        if fmt == "geojson":
            yield b"\n]}\n"

    resp = Response(body(), mimetype=MEDIA_TYPES[fmt])
    if fmt == "csv":
        resp.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    return resp


# The shape of format=geojson (geo.geojson_feature): typed, so that generated clients can read it.
GEOJSON_SCHEMA = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"type": "string", "enum": ["FeatureCollection"]},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "id", "geometry", "properties"],
                "properties": {
                    "type": {"type": "string", "enum": ["Feature"]},
                    "id": {"type": "string"},
                    "geometry": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["type", "coordinates"],
                                "properties": {
                                    "type": {"type": "string", "enum": ["Point"]},
                                    "coordinates": {
                                        "description": "longitude, latitude",
                                        "type": "array",
                                        "items": {"type": "number"},
                                        "minItems": 2,
                                        "maxItems": 2,
                                    },
                                },
                            },
                        ]
                    },
                    "properties": {"$ref": "#/components/schemas/Event"},
                },
            },
        },
    },
}
DOC_RESPONSES = {
    "200": {
        "description": "A page of events (json), or every matching event streamed (csv, geojson, ndjson).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": GEOJSON_SCHEMA},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def events_blueprint(params: ParamSet) -> Blueprint:
    """The events routes, documented with `params` (those of the latest release's schema); each
    request is read with the parameters of the schema of the release it asks for.

    Long because it holds the three view classes of the blueprint (flask-smorest documents a
    route by decorating its class, with the parameter list known when the app is created)."""
    blp = Blueprint("events", __name__, description="Strike events: query, page, stream, look up.")

    def _documented(view: Any) -> Any:
        view = blp.doc(responses=DOC_RESPONSES)(view)
        for code in ERROR_CODES:
            view = blp.alt_response(code, schema=ApiErrorSchema, description="Error")(view)
        return view

    @blp.route("/events", parameters=openapi_parameters(params.events))
    class Events(MethodView):
        @blp.response(200, EventPageSchema, description="A page of events.")
        @_documented
        def get(self, version: str | None = None) -> Response:
            """Query events.

            Filters combine with AND. Pages: `page`/`page_size`, or follow `next_cursor` for deep walks.
            `format=csv|geojson|ndjson` (or Accept) streams every match instead of a page.
            """
            rel = release_of(version)
            values = args(rel.params.events)
            fmt = _format(values)
            if values.get("flat") and fmt != "csv":
                raise ApiError(
                    400, "flat applies to format=csv", code="conflicting_parameters", parameter="flat"
                )
            etag = request_etag(rel, fmt)
            cached = not_modified(etag)
            if cached is not None:
                return cached
            where = events_where(values, rel.store)
            resp = (
                _page(rel.store, values, where)
                if fmt == "json"
                else _stream(rel.store, values, where, fmt, rel.tables)
            )
            resp.set_etag(etag)
            resp.headers["Vary"] = "Accept, Accept-Encoding"
            return resp

    @blp.route("/events/<string:event_id>")
    class EventItem(MethodView):
        @blp.response(
            200, {"$ref": "#/components/schemas/Event"}, description="The event (withdrawn ones too)."
        )
        @blp.alt_response(400, schema=ApiErrorSchema, description="Error")
        @blp.alt_response(404, schema=ApiErrorSchema, description="Error")
        def get(self, event_id: str, version: str | None = None) -> Response:
            """One event by id; a withdrawn event is returned too, with its `withdrawn` record."""
            rel = release_of(version)
            args([])
            etag = request_etag(rel)
            cached = not_modified(etag)
            if cached is not None:
                return cached
            body = rel.store.event_body(event_id)
            if body is None:
                raise ApiError(
                    404,
                    f"no event {event_id!r} in release {rel.version}",
                    code="unknown_event",
                    parameter="event_id",
                )
            resp = json_response(body)
            resp.set_etag(etag)
            return resp

    @blp.route("/events/<string:event_id>/related", parameters=openapi_parameters(RELATED_PARAMS))
    class EventRelated(MethodView):
        @blp.response(
            200, RelatedListSchema, description="Linked events, by date then id, and how each is linked."
        )
        @blp.alt_response(400, schema=ApiErrorSchema, description="Error")
        @blp.alt_response(404, schema=ApiErrorSchema, description="Error")
        def get(self, event_id: str, version: str | None = None) -> Response:
            """Events linked to this one through `related`, either way, followed transitively
            (a retaliation chain) up to `depth` steps, ordered by date_start then id. `links[i]`
            says how `items[i]` was reached: `distance` from this event, `via` (the event one step
            nearer), `relation`, and `direction` (`names`: its record names `via`, e.g. it is a
            retaliation_for `via`; `named_by`: `via`'s record names it)."""
            rel = release_of(version)
            values = args(RELATED_PARAMS)
            found = rel.store.related_links(event_id, values.get("depth"))
            if found is None:
                raise ApiError(
                    404,
                    f"no event {event_id!r} in release {rel.version}",
                    code="unknown_event",
                    parameter="event_id",
                )
            links = orjson.dumps([link for _, link in found])
            return json_response(
                b'{"items":[' + b",".join(b for b, _ in found) + b'],"links":' + links + b"}"
            )

    return blp
