"""GET /events (filters, sort, pages and cursors, fields, formats), /events/{id}, /events/{id}/related."""

from __future__ import annotations

import csv
import functools
import io
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from openstrikes.geo import geojson_feature
from openstrikes.index.query import (
    DEFAULT_PAGE_SIZE,
    EVENTS_PARAMS,
    FORMATS,
    MEDIA_TYPES,
    SORTS,
    Where,
    decode_cursor,
    encode_cursor,
    fingerprint,
    openapi_parameters,
    where_clause,
)
from openstrikes.index.store import Store
from openstrikes.package.flatten import event_header, flatten_event
from openstrikes.web.common import ERROR_CODES, args, json_response, not_modified, release_of, request_etag
from openstrikes.web.errors import ApiError
from openstrikes.web.response_schemas import ApiErrorSchema, EventListSchema, EventPageSchema

blp = Blueprint("events", __name__, description="Strike events: query, page, stream, look up.")
STREAM_BATCH = 500
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


def _trim(body: bytes, keep: set[str]) -> bytes:
    record = orjson.loads(body)
    return orjson.dumps({k: v for k, v in record.items() if k in keep})


@functools.lru_cache(maxsize=1024)
def _prefix(path: str, keep: tuple[tuple[str, str], ...]) -> str:
    qs = urlencode(keep)
    return path + "?" + (qs + "&" if qs else "")


class _Urls:
    """URLs of other pages of this query: the request's arguments with `page` or `cursor` replaced."""

    def __init__(self, path: str, pairs: list[tuple[str, str]]) -> None:
        self.prefix = _prefix(path, tuple((k, v) for k, v in pairs if k not in ("page", "cursor")))

    def page(self, n: int) -> str:
        return f"{self.prefix}page={n}"

    def cursor(self, c: str) -> str:
        return f"{self.prefix}cursor={c}"


def _order(sort: str) -> tuple[str, str, str]:
    col = SORTS[sort.lstrip("-")]
    desc = sort.startswith("-")
    return col, "DESC" if desc else "ASC", "<" if desc else ">"


def _list_sql(where: Where, col: str, direction: str, keyset: str) -> str:
    return (
        f"SELECT events.rid, {col}, (SELECT body FROM bodies WHERE bodies.rid = events.rid) "
        f"FROM events WHERE {where.sql}{keyset} "
        f"ORDER BY {col} {direction}, events.rid {direction}"
    )


def page_answer(
    store: Store, values: dict[str, Any], where: Where, path: str, pairs: list[tuple[str, str]]
) -> tuple[bytes, dict[str, str]]:
    """The JSON body of one page of events and its X-Pagination and Link headers.

    `pairs` are the request's query arguments in order (for the links). The events are the stored
    bytes of each record (its line of events.ndjson), spliced into the page without decoding
    unless `fields` trims them. Shared by the Flask view and the WSGI fast path."""
    sort = values.get("sort", "id")
    col, direction, cmp = _order(sort)
    page_size = int(values.get("page_size", DEFAULT_PAGE_SIZE))
    fp = fingerprint(store.sha256, where, sort)
    params: list[Any] = list(where.params)
    cursor = values.get("cursor")
    if cursor is not None:
        if "page" in values:
            raise ApiError(
                400, "give either page or cursor, not both", code="conflicting_parameters", parameter="page"
            )
        value, rid, offset = decode_cursor(cursor, fp)
        keyset = (
            f" AND events.rid {cmp} ?" if col == "events.rid" else f" AND ({col}, events.rid) {cmp} (?, ?)"
        )
        params += [rid] if col == "events.rid" else [value, rid]
        sql = _list_sql(where, col, direction, keyset) + " LIMIT ?"
        params.append(page_size + 1)
    else:
        page = int(values.get("page", 1))
        offset = (page - 1) * page_size
        if offset > 10**9:
            raise ApiError(422, "page: too deep; follow next_cursor instead", parameter="page")
        sql = _list_sql(where, col, direction, "") + " LIMIT ? OFFSET ?"
        params += [page_size + 1, offset]
    rows = store.query(sql, params)
    total = store.count(where.sql, where.params)
    more = len(rows) > page_size
    if more:
        rows = rows[:page_size]
    if "fields" in values:
        keep = {"id", *values["fields"]}
        bodies = [_trim(r[2], keep) for r in rows]
    else:
        bodies = [r[2] for r in rows]
    next_cursor = None
    if more:
        last_value = rows[-1][1]
        last_value = last_value.decode() if isinstance(last_value, bytes) else last_value
        next_cursor = encode_cursor(fp, last_value, int(rows[-1][0]), offset + len(rows))
    page_no = offset // page_size + 1
    urls = _Urls(path, pairs)
    if next_cursor is None:
        next_url = None
    elif cursor is not None:
        next_url = urls.cursor(next_cursor)
    else:
        next_url = urls.page(page_no + 1)
    head = orjson.dumps(
        {
            "total": total,
            "page": page_no,
            "page_size": page_size,
            "next_cursor": next_cursor,
            "next": next_url,
        }
    )
    body = b"".join((b'{"items":[', b",".join(bodies), b"],", head[1:]))
    last_page = max(1, -(-total // page_size))
    pagination = {
        "total": total,
        "total_pages": last_page,
        "page": page_no,
        "page_size": page_size,
        "first_page": 1,
        "last_page": last_page,
    }
    links = []
    if next_url:
        links.append(f'<{next_url}>; rel="next"')
        pagination["next_page"] = page_no + 1
    if cursor is None:
        if page_no > 1:
            pagination["previous_page"] = page_no - 1
            links.append(f'<{urls.page(page_no - 1)}>; rel="prev"')
        links.append(f'<{urls.page(1)}>; rel="first"')
        links.append(f'<{urls.page(last_page)}>; rel="last"')
    headers = {"X-Pagination": orjson.dumps(pagination).decode()}
    if links:
        headers["Link"] = ", ".join(links)
    return body, headers


def _page(store: Store, values: dict[str, Any], where: Where) -> Response:
    pairs = [(k, v) for k, vs in request.args.lists() for v in vs]
    body, headers = page_answer(store, values, where, request.path, pairs)
    resp = Response(body, mimetype="application/json")
    resp.headers.update(headers)
    return resp


def _csv_rows(bodies: list[bytes]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(flatten_event(orjson.loads(b)).row for b in bodies)
    return buf.getvalue().encode("utf-8")


def _stream(store: Store, values: dict[str, Any], where: Where, fmt: str) -> Response:
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
    if fmt == "csv" and "fields" in values:
        raise ApiError(
            400,
            "fields applies to json, ndjson and geojson, not csv",
            code="conflicting_parameters",
            parameter="fields",
        )
    col, direction, _ = _order(values.get("sort", "id"))
    conn = store.new_connection()
    try:
        with store.bounded(conn):
            cur = conn.execute(_list_sql(where, col, direction, ""), where.params)
            first = cur.fetchmany(STREAM_BATCH)
    except BaseException:
        conn.close()
        raise
    keep = {"id", *values["fields"]} if "fields" in values else None

    def render(rows: list[Any]) -> bytes:
        bodies: list[bytes] = [r[2] for r in rows]
        if keep is not None:
            bodies = [_trim(b, keep) for b in bodies]
        if fmt == "ndjson":
            return b"".join(b + b"\n" for b in bodies)
        if fmt == "csv":
            return _csv_rows(bodies)
        return b",\n".join(geojson_feature(orjson.loads(b)) for b in bodies)

    def body() -> Iterator[bytes]:
        try:
            if fmt == "csv":
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\r\n").writerow(event_header())
                yield buf.getvalue().encode("utf-8")
            elif fmt == "geojson":
                yield b'{"type":"FeatureCollection","features":[\n'
            rows, started = first, False
            while rows:
                chunk = render(rows)
                if fmt == "geojson" and started:
                    chunk = b",\n" + chunk
                started = True
                yield chunk
                with store.bounded(conn):
                    rows = cur.fetchmany(STREAM_BATCH)
            if fmt == "geojson":
                yield b"\n]}\n"
        except sqlite3.Error as exc:
            raise RuntimeError(f"stream aborted: {exc}") from exc
        finally:
            conn.close()

    resp = Response(body(), mimetype=MEDIA_TYPES[fmt])
    if fmt == "csv":
        resp.headers["Content-Type"] = "text/csv; charset=utf-8; header=present"
    return resp


DOC_RESPONSES = {
    "200": {
        "description": "A page of events (json), or every matching event streamed (csv, geojson, ndjson).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/EventPage"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/geo+json": {"schema": {"type": "object"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def _documented(view: Any) -> Any:
    view = blp.doc(responses=DOC_RESPONSES)(view)
    for code in ERROR_CODES:
        view = blp.alt_response(code, schema=ApiErrorSchema, description="Error")(view)
    return view


@blp.route("/events", parameters=openapi_parameters(EVENTS_PARAMS))
class Events(MethodView):
    @blp.response(200, EventPageSchema, description="A page of events.")
    @_documented
    def get(self, version: str | None = None) -> Response:
        """Query events.

        Filters combine with AND. Pages: `page`/`page_size`, or follow `next_cursor` for deep walks.
        `format=csv|geojson|ndjson` (or Accept) streams every match instead of a page.
        """
        rel = release_of(version)
        values = args(EVENTS_PARAMS)
        fmt = _format(values)
        etag = request_etag(rel, fmt)
        cached = not_modified(etag)
        if cached is not None:
            return cached
        where = where_clause(values, rel.store.actor_ids_for)
        resp = _page(rel.store, values, where) if fmt == "json" else _stream(rel.store, values, where, fmt)
        resp.set_etag(etag)
        resp.headers["Vary"] = "Accept, Accept-Encoding"
        return resp


@blp.route("/events/<string:event_id>")
class EventItem(MethodView):
    @blp.response(200, {"$ref": "#/components/schemas/Event"}, description="The event (withdrawn ones too).")
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


@blp.route("/events/<string:event_id>/related")
class EventRelated(MethodView):
    @blp.response(200, EventListSchema, description="Linked events, by date then id.")
    @blp.alt_response(400, schema=ApiErrorSchema, description="Error")
    @blp.alt_response(404, schema=ApiErrorSchema, description="Error")
    def get(self, event_id: str, version: str | None = None) -> Response:
        """Events linked to this one through `related`, either way, followed transitively
        (a retaliation chain), ordered by date_start then id."""
        rel = release_of(version)
        args([])
        bodies = rel.store.related_bodies(event_id)
        if bodies is None:
            raise ApiError(
                404,
                f"no event {event_id!r} in release {rel.version}",
                code="unknown_event",
                parameter="event_id",
            )
        return json_response(b'{"items":[' + b",".join(bodies) + b"]}")
