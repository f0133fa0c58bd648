"""Two options of the event list's geo filters (`bbox`, `near`), kept beside the filter table:

- `sort=distance` (with `near`): nearest first, ties by id; events without coordinates (those
  that `geo_fallback` brings in) come last, by id.
- `geo_fallback=admin`: an event without coordinates also matches when its admin area is known to
  reach into the query area. Its area is the finest division it names: (country, admin1, admin2)
  when it has an admin2, else (country, admin1). The area reaches into the query area when a live
  event of the release with coordinates inside the query area names the same area (the same
  admin2, or for an admin1-only event any point in that admin1). Events located only to the
  country, and events at sea without coordinates, never match through it. The rule only knows
  areas through points the release holds, so an area that reaches into the query area without any
  located event there is missed; it never brings in an area with no located event in the area.

The SQL of the filters themselves is index/filters.py's. The distance order is computed over the
in-memory columns (index/by_distance.py: numpy over the candidates, haversine_km's order); the
candidates are the columns' mask of the filters, or with `geo_fallback` the rids SQL matches.
An index without point columns (an event with one coordinate) orders by SQL's distance_km, as
pages and streams are read in index/pages.py.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from openstrikes.index.by_distance import NO_DISTANCE, DistanceOrder
from openstrikes.index.cursor import fingerprint
from openstrikes.index.filters import GEO_PARAMS, Where, where_clause
from openstrikes.index.pages import STREAM_BATCH, Page, Start, Stream, finish_page, page_start
from openstrikes.index.params import DISTANCE_SORT
from openstrikes.index.store import BoundedConnection, Store
from openstrikes.index.values import ParamError

SEP = "\x1f"
# The area an event names, as one text: country, admin1[, admin2], joined by SEP (char 31).
AREA_SQL = (
    "coalesce(events.country, '') || char(31) || events.admin1 || "
    "CASE WHEN events.admin2 IS NULL THEN '' ELSE char(31) || events.admin2 END"
)


def uses_fallback(values: Mapping[str, Any]) -> bool:
    return values.get("geo_fallback") == "admin"


def fallback_areas(store: Store, values: Mapping[str, Any]) -> list[str]:
    """The admin areas (AREA_SQL texts) of the live located events inside the query area."""
    geo = where_clause({k: values[k] for k in GEO_PARAMS if k in values}, store.actor_ids_for)
    rows = store.query(
        f"SELECT DISTINCT events.country, events.admin1, events.admin2 FROM events "
        f"WHERE {geo.sql} AND events.admin1 IS NOT NULL",
        geo.params,
    )
    keys: set[str] = set()
    for row in rows:  # the index's connections read text as bytes
        country, admin1, admin2 = (v.decode() if isinstance(v, bytes) else v for v in row)
        keys.add(f"{country or ''}{SEP}{admin1}")
        if admin2 is not None:
            keys.add(f"{country or ''}{SEP}{admin1}{SEP}{admin2}")
    return sorted(keys)


def _area_match(store: Store, values: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """SQL (and its parameter) of "no coordinates, and its area reaches into the query area"."""
    return (
        f"(events.latitude IS NULL AND events.admin1 IS NOT NULL AND ({AREA_SQL}) IN "
        "(SELECT value FROM json_each(?)))",
        (json.dumps(fallback_areas(store, values)),),
    )


def events_where(values: Mapping[str, Any], store: Store) -> Where:
    """The WHERE clause of an event list: `where_clause`, or with `geo_fallback` the geo filter
    widened to the events without coordinates whose admin area reaches into the query area."""
    if not uses_fallback(values):
        return where_clause(values, store.actor_ids_for)
    rest = where_clause({k: v for k, v in values.items() if k not in GEO_PARAMS}, store.actor_ids_for)
    geo_values = {k: values[k] for k in GEO_PARAMS if k in values}
    geo = where_clause({**geo_values, "include_withdrawn": True}, store.actor_ids_for)
    match, match_params = _area_match(store, values)
    return Where(
        f"{rest.sql} AND (({geo.sql}) OR {match})",
        (*rest.params, *geo.params, *match_params),
        f"{rest.key}|{geo.key}|geo_fallback=admin",
    )


def left_out(values: Mapping[str, Any], store: Store) -> Where | None:
    """With `geo_fallback`: the events the other filters match that have no coordinates and that
    the fallback does not bring in; None without it."""
    if not uses_fallback(values):
        return None
    rest = where_clause({k: v for k, v in values.items() if k not in GEO_PARAMS}, store.actor_ids_for)
    match, match_params = _area_match(store, values)
    return Where(f"{rest.sql} AND events.latitude IS NULL AND NOT {match}", (*rest.params, *match_params))


def _distance_sql(values: Mapping[str, Any]) -> str:
    # The centre is inlined: two floats the parser made (finite, in range), so the text is safe.
    lat, lon = (float(x) for x in values["near"])
    return f"coalesce(distance_km(events.latitude, events.longitude, {lat!r}, {lon!r}), {NO_DISTANCE!r})"


def _select(values: Mapping[str, Any], where: Where, keyset: str = "", limit: str = "") -> str:
    order = "ORDER BY value, rid"
    inner = (
        f"SELECT events.rid AS rid, {_distance_sql(values)} AS value FROM events WHERE {where.sql}{keyset}"
    )
    return (
        "SELECT page.rid, page.value, (SELECT body FROM bodies WHERE bodies.rid = page.rid) "
        f"FROM ({inner} {order}{limit}) AS page ORDER BY page.value, page.rid"
    )


def distance_order(store: Store, values: Mapping[str, Any], where: Where) -> DistanceOrder | None:
    """The matching events with their distances from `near`, from the columns; None when the
    index has no point columns."""
    cols = store.columns
    if cols is None or cols.point is None:
        return None
    m = store.mask(dict(values))
    if m is not None:
        positions = np.flatnonzero(m)
    else:  # filters the columns do not hold (geo_fallback, tags, ...): SQL finds the candidates
        rows = store.query(
            f"SELECT events.rid FROM events WHERE {where.sql} ORDER BY events.rid", where.params
        )
        positions = np.fromiter((int(r[0]) - 1 for r in rows), dtype=np.intp, count=len(rows))
    lat, lon = (float(x) for x in values["near"])
    return DistanceOrder(cols, positions, (lat, lon))


def _cursor_distance(at: Start) -> float:
    try:
        return float(at.value)
    except (TypeError, ValueError):
        raise ParamError(400, "invalid_cursor", "cursor: not a cursor of a distance sort", "cursor") from None


def _bodies(store: Store, rids: list[int], conn: BoundedConnection | None = None) -> dict[int, bytes]:
    """The stored records of these events, by rid."""
    if not rids:
        return {}
    sql = f"SELECT rid, body FROM bodies WHERE rid IN ({','.join('?' * len(rids))})"
    if conn is None:
        rows = store.query(sql, rids)
    else:
        with store.bounded(conn):
            rows = conn.execute(sql, rids).fetchall()
    return {int(r[0]): r[1] for r in rows}


def read_distance_page(store: Store, values: Mapping[str, Any], where: Where) -> Page:
    """The page the parsed arguments ask for, nearest first (`sort=distance`)."""
    fp = fingerprint(store.sha256, where, DISTANCE_SORT)
    at = page_start(values, fp)
    order = distance_order(store, values, where)
    if order is None:
        return _read_distance_page_sql(store, values, where, fp, at)
    if at.by_cursor:
        picked = order.first(order.after(at.rid, _cursor_distance(at)), at.page_size + 1)
    else:
        picked = order.first(None, at.offset + at.page_size + 1)[at.offset :]
    rids = [int(p) + 1 for p in order.positions[picked]]
    bodies = _bodies(store, rids)
    rows = [(rid, float(d), bodies[rid]) for rid, d in zip(rids, order.distance[picked], strict=True)]
    return finish_page(rows, len(order), at, fp, lambda d: repr(float(d)))


def _read_distance_page_sql(
    store: Store, values: Mapping[str, Any], where: Where, fp: str, at: Start
) -> Page:
    """read_distance_page by SQL's distance_km, for an index without point columns."""
    params: list[Any] = list(where.params)
    if at.by_cursor:
        after = _cursor_distance(at)
        sql = _select(values, where, f" AND ({_distance_sql(values)}, events.rid) > (?, ?)", " LIMIT ?")
        params += [after, at.rid, at.page_size + 1]
    else:
        sql = _select(values, where, "", " LIMIT ? OFFSET ?")
        params += [at.page_size + 1, at.offset]
    rows = store.query(sql, params)
    return finish_page(rows, store.total(dict(values), where), at, fp, lambda d: repr(float(d)))


class OrderedStream(Stream):
    """Every candidate of a DistanceOrder, nearest first, their bodies read in batches on a
    connection of its own (see Stream)."""

    def __init__(self, store: Store, order: DistanceOrder) -> None:
        self.store = store
        self.rids = order.positions[order.all()] + 1
        self.conn = store.new_connection()
        try:
            self.first = self._batch(0)
        except BaseException:
            self.conn.close()
            raise

    def _batch(self, start: int) -> list[bytes]:
        rids = [int(r) for r in self.rids[start : start + STREAM_BATCH]]
        bodies = _bodies(self.store, rids, self.conn)
        return [bodies[r] for r in rids]

    def batches(self) -> Iterator[list[bytes]]:
        try:
            start, batch = 0, self.first
            while batch:
                yield batch
                start += STREAM_BATCH
                batch = self._batch(start)
        except sqlite3.Error as exc:
            raise RuntimeError(f"stream aborted: {exc}") from exc
        finally:
            self.conn.close()


class DistanceStream(Stream):
    """Every matching event, nearest first by SQL's distance_km, in batches (see Stream), for an
    index without point columns."""

    def __init__(self, store: Store, values: Mapping[str, Any], where: Where) -> None:
        self.store = store
        self.conn = store.new_connection()
        try:
            with store.bounded(self.conn):
                self.cur = self.conn.execute(_select(values, where), where.params)
                self.first: list[Any] = self.cur.fetchmany(STREAM_BATCH)
        except BaseException:
            self.conn.close()
            raise


def stream_for(store: Store, values: Mapping[str, Any], where: Where) -> Stream:
    """The stream of every match in the order `values` ask for."""
    if values.get("sort") == DISTANCE_SORT:
        order = distance_order(store, values, where)
        return DistanceStream(store, values, where) if order is None else OrderedStream(store, order)
    return Stream(store, where, str(values.get("sort", "id")))
