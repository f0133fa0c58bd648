"""One page of events and the stream of every match: the SELECT, ORDER BY and keyset SQL.

A page is read by offset (`page`) or after a cursor (keyset: the cost does not grow with depth);
its rows are the stored bytes of each record, read from `bodies` only for the rows returned.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from openstrikes.index import masks
from openstrikes.index.cursor import decode_cursor, encode_cursor, fingerprint
from openstrikes.index.filters import SORTS, Where
from openstrikes.index.params import DEFAULT_PAGE_SIZE
from openstrikes.index.store import BoundedConnection, Store
from openstrikes.index.values import ParamError

MAX_OFFSET = 10**9
STREAM_BATCH = 500


@dataclass(frozen=True)
class Page:
    """The rows of one page and where it sits in the query."""

    bodies: list[bytes]  # each record's stored JSON
    total: int  # events matching the filters
    offset: int  # position of the first row
    page_size: int
    next_cursor: str | None
    by_cursor: bool  # read after a cursor (no page numbers then)

    @property
    def number(self) -> int:
        return self.offset // self.page_size + 1


def _order(sort: str) -> tuple[str, str, str]:
    """(column, direction, keyset comparison) of a sort option such as "-date_start"."""
    col = SORTS[sort.lstrip("-")]
    desc = sort.startswith("-")
    return col, "DESC" if desc else "ASC", "<" if desc else ">"


def list_sql(where: Where, sort: str, keyset: str = "", limit: str = "") -> str:
    """(rid, sort value, body) of the matching events in the order of `sort`, ties by id. With a
    `limit` (" LIMIT ?..."), the page's rows are chosen first and only their bodies read: when the
    order needs a sort (no index gives it), bodies are not carried through the sorter."""
    col, direction, _ = _order(sort)
    order = f"ORDER BY {col} {direction}, events.rid {direction}"
    if not limit:
        return (
            f"SELECT events.rid, {col}, (SELECT body FROM bodies WHERE bodies.rid = events.rid) "
            f"FROM events WHERE {where.sql}{keyset} {order}"
        )
    return (
        "SELECT page.rid, page.value, (SELECT body FROM bodies WHERE bodies.rid = page.rid) FROM "
        f"(SELECT events.rid AS rid, {col} AS value FROM events WHERE {where.sql}{keyset} {order}{limit}) "
        f"AS page ORDER BY page.value {direction}, page.rid {direction}"
    )


@dataclass(frozen=True)
class Start:
    """Where a page starts: after a cursor's (value, rid), or at an offset."""

    by_cursor: bool
    value: Any
    rid: int
    offset: int
    page_size: int


def page_start(values: Mapping[str, Any], fp: str) -> Start:
    """The start the parsed arguments ask for (`page`/`page_size`, or `cursor` of query `fp`)."""
    page_size = int(values.get("page_size", DEFAULT_PAGE_SIZE))
    cursor = values.get("cursor")
    if cursor is not None:
        if "page" in values:
            raise ParamError(400, "conflicting_parameters", "give either page or cursor, not both", "page")
        value, rid, offset = decode_cursor(cursor, fp)
        return Start(True, value, rid, offset, page_size)
    offset = (int(values.get("page", 1)) - 1) * page_size
    if offset > MAX_OFFSET:
        raise ParamError(422, "invalid_value", "page: too deep; follow next_cursor instead", "page")
    return Start(False, None, 0, offset, page_size)


def _cursor_value(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def finish_page(
    rows: list[Any], total: int, start: Start, fp: str, cursor_value: Callable[[Any], Any] = _cursor_value
) -> Page:
    """The Page of up to page_size + 1 (rid, sort value, body) rows: the extra row only says a
    next page exists, whose cursor starts after the last row kept."""
    next_cursor = None
    if len(rows) > start.page_size:
        rows = rows[: start.page_size]
        last = cursor_value(rows[-1][1])
        next_cursor = encode_cursor(fp, last, int(rows[-1][0]), start.offset + len(rows))
    return Page([r[2] for r in rows], total, start.offset, start.page_size, next_cursor, start.by_cursor)


def read_page(store: Store, values: dict[str, Any], where: Where) -> Page:
    """The page the parsed arguments ask for (`page`/`page_size`, or `cursor`)."""
    sort = values.get("sort", "id")
    col, _, cmp = _order(sort)
    fp = fingerprint(store.sha256, where, sort)
    at = page_start(values, fp)
    params: list[Any] = list(where.params)
    if at.by_cursor:
        if col == "events.rid":
            keyset, params = f" AND events.rid {cmp} ?", [*params, at.rid]
        else:
            keyset, params = f" AND ({col}, events.rid) {cmp} (?, ?)", [*params, at.value, at.rid]
        sql = list_sql(where, sort, keyset, " LIMIT ?")
        params.append(at.page_size + 1)
    else:
        sql = list_sql(where, sort, "", " LIMIT ? OFFSET ?")
        params += [at.page_size + 1, at.offset]
    m = _mask(store, values, sort)
    if m is not None and store.columns is not None:
        first, skip = 0, at.offset
        if at.by_cursor:
            first, skip = masks.start_after(store.columns, sort, at.value, at.rid), 0
        positions = masks.page_positions(store.columns, m, sort, first, skip, at.page_size + 1, values)
        rows = _rows(store, [p + 1 for p in positions], col)
        total = int(np.count_nonzero(m))
    else:
        rows = store.query(sql, params)
        total = store.total(values, where)
    return finish_page(rows, total, at, fp)


def _mask(store: Store, values: dict[str, Any], sort: str) -> np.ndarray | None:
    """The matches as a mask when the page is read from the columns: filters the cube does not
    answer (those pages have an index of their own), in an order the columns hold."""
    if sort.lstrip("-") not in masks.ORDERED or store.cube_answers(values):
        return None
    return store.mask(values)


def _rows(store: Store, rids: list[int], col: str) -> list[tuple[Any, ...]]:
    """(rid, sort value, body) of these events, in this order."""
    if not rids:
        return []
    found = store.query(
        f"SELECT events.rid, {col}, bodies.body FROM events JOIN bodies ON bodies.rid = events.rid "
        f"WHERE events.rid IN ({','.join('?' * len(rids))})",
        rids,
    )
    by_rid = {int(r[0]): r for r in found}
    return [by_rid[r] for r in rids]


class Stream:
    """Every matching event in order, fetched in batches on a connection of its own. The query
    runs and its first batch is read on creation, so bad input fails before a response starts."""

    def __init__(self, store: Store, where: Where, sort: str) -> None:
        self.store = store
        self.conn: BoundedConnection = store.new_connection()
        try:
            with store.bounded(self.conn):
                self.cur = self.conn.execute(list_sql(where, sort), where.params)
                self.first: list[Any] = self.cur.fetchmany(STREAM_BATCH)
        except BaseException:
            self.conn.close()
            raise

    def batches(self) -> Iterator[list[bytes]]:
        """The bodies, batch after batch; the connection is closed at the end (or on error:
        sqlite3 errors are re-raised as RuntimeError so that the server aborts the response)."""
        try:
            rows = self.first
            while rows:
                yield [r[2] for r in rows]
                with self.store.bounded(self.conn):
                    rows = self.cur.fetchmany(STREAM_BATCH)
        except sqlite3.Error as exc:
            raise RuntimeError(f"stream aborted: {exc}") from exc
        finally:
            self.conn.close()
