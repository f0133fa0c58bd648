"""The JSON answer of one page of events: its body and its X-Pagination and Link headers.

Shared by the Flask view (events.py) and the WSGI fast path (fast.py), so both answer alike.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlencode

import numpy as np
import orjson

from openstrikes.geo import haversine_km
from openstrikes.index.filters import GEO_PARAMS, Where, without_coordinates_clause
from openstrikes.index.nearby import events_where, left_out, read_distance_page, uses_fallback
from openstrikes.index.pages import Page, read_page
from openstrikes.index.params import DISTANCE_SORT
from openstrikes.index.store import Store


def trim(body: bytes, keep: set[str]) -> bytes:
    """A record's JSON with only the `keep` fields."""
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


def page_answer(
    store: Store, values: dict[str, Any], where: Where, path: str, pairs: list[tuple[str, str]]
) -> tuple[bytes, dict[str, str]]:
    """The JSON body of one page of events and its X-Pagination and Link headers.

    `pairs` are the request's query arguments in order (for the links). The events are the stored
    bytes of each record (its line of events.ndjson), spliced into the page without decoding
    unless `fields` trims them."""
    if uses_fallback(values):  # the geo filter widened (the fast path builds the plain clause)
        where = events_where(values, store)
    reader = read_distance_page if values.get("sort") == DISTANCE_SORT else read_page
    page = reader(store, values, where)
    bodies = page.bodies
    distances = _distances(bodies, values["near"]) if "near" in values else None
    if "fields" in values:
        keep = {"id", *values["fields"]}
        bodies = [trim(b, keep) for b in bodies]
    urls = _Urls(path, pairs)
    next_url = None
    if page.next_cursor is not None:
        next_url = urls.cursor(page.next_cursor) if page.by_cursor else urls.page(page.number + 1)
    head = orjson.dumps(
        {
            "total": page.total,
            "page": page.number,
            "page_size": page.page_size,
            "next_cursor": page.next_cursor,
            "next": next_url,
            "without_coordinates": _without_coordinates(store, values),
            "distance_km": distances,
        }
    )
    body = b"".join((b'{"items":[', b",".join(bodies), b"],", head[1:]))
    return body, _headers(page, urls, next_url)


def _distances(bodies: list[bytes], near: tuple[float, float]) -> dict[str, float]:
    """Each event's distance from the `near` centre in km (to the metre), by id; none for an
    event without coordinates (which only geo_fallback brings in)."""
    out = {}
    for b in bodies:
        e = orjson.loads(b)
        if e["latitude"] is not None and e["longitude"] is not None:
            out[e["id"]] = round(haversine_km(near[0], near[1], e["latitude"], e["longitude"]), 3)
    return out


def _without_coordinates(store: Store, values: dict[str, Any]) -> int | None:
    if uses_fallback(values):
        gap = left_out(values, store)
        return None if gap is None else store.count(gap.sql, gap.params)
    gap = without_coordinates_clause(values, store.actor_ids_for)
    if gap is None:
        return None
    rest = {k: v for k, v in values.items() if k not in GEO_PARAMS}
    m = store.mask(rest, without_coordinates=True)
    return store.count(gap.sql, gap.params) if m is None else int(np.count_nonzero(m))


def _headers(page: Page, urls: _Urls, next_url: str | None) -> dict[str, str]:
    last_page = max(1, -(-page.total // page.page_size))
    pagination = {
        "total": page.total,
        "total_pages": last_page,
        "page": page.number,
        "page_size": page.page_size,
        "first_page": 1,
        "last_page": last_page,
    }
    links = []
    if next_url:
        links.append(f'<{next_url}>; rel="next"')
        pagination["next_page"] = page.number + 1
    if not page.by_cursor:
        if page.number > 1:
            pagination["previous_page"] = page.number - 1
            links.append(f'<{urls.page(page.number - 1)}>; rel="prev"')
        links.append(f'<{urls.page(1)}>; rel="first"')
        links.append(f'<{urls.page(last_page)}>; rel="last"')
    headers = {"X-Pagination": orjson.dumps(pagination).decode()}
    if links:
        headers["Link"] = ", ".join(links)
    return headers
