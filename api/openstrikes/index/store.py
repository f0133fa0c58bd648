"""The SQLite index of one built package: what the API queries.

`Store.open(package, cache_dir)` verifies every file of the package against its recorded sha256
(a tampered package is refused with a StoreError naming the file), then opens the index for it:
`<cache_dir>/<sha256 of datapackage.json>-v<layout>.sqlite`, built once (atomically, under a file
lock, so concurrent workers build it once) and opened read-only and immutable afterwards. Every
query runs under a time bound enforced by SQLite's progress handler.

Layout: `events` holds the columns the filters and sorts use, in narrow rows (so counts and scans
stay cheap at a million events); `bodies` keeps each record's exact NDJSON line by the same `rid`,
read only for the rows a page returns. `rid` follows id order, so "by id" is "by rid". Side tables: actors per event (with
role), tags, aliases, related links (both ways), an FTS5 index for `q`, an R*Tree for `bbox` /
`near`, the changes feed, the actor registry with a case-folded name/alias index, and the
precomputed tables below (`cube`, `columns`, `postings`, `code_use`).

Precomputed at index time (everything a query needs that a B-tree walk would make cost as much
as the rows it matches):

- the *cube* (index.cube): each event falls in one cell of its values of the low-cardinality
  columns (withdrawn, country, water_body, strike_type; and a finer level adding status, outcome,
  geo_precision). Per cell: the day numbers of its events, sorted, their casualty figures in that
  order (lowest, highest, best, events with a best, unknowns) and their positions. Loaded once per
  process as flat arrays per level: sorted keys (cell << 32 | day), running sums of the figures
  (int32 when every sum fits), latitudes and longitudes; and, for the coarse level, the same
  events by (cell, position, day) with running killed sums (one *run* per cell and distinct
  position). About 8 + 20 x 4 + 16 bytes per event and level, and 32 per event for the runs.
- the *columns* (index.columns): per event, a few bytes each: start and end day numbers,
  withdrawn, the codes of the six low-cardinality columns, the lowest and highest killed,
  injured and civilians killed, the number of its point (each distinct latitude/longitude pair is
  stored once); the event positions in (date_start, rid) order; and per search word and per
  (role, actor) the events holding it (their positions, or a bitmap when denser than 1 in 32).
- the codebook's counts (index.code_use): per coded field and code, the events using it and the
  earliest of them, so that /docs/codebook reads a few hundred rows instead of every event.
- SQL indexes for the pages: one per filter column and sort, and (country | water_body
  [, strike_type], date_start) for the common "one place, by date" pages.

Costs, n events, m matching, c cells matching the filters, p periods, P distinct points, k rows
of a page:

- list total (`X-Pagination`), filters among the cell columns and a `date_start` window: the
  cells are found once per filter set (cached), then one vectorised binary search of the 2c
  bounds: O(c log n), independent of m; exact (tested against SQL).
- aggregates by cell columns and one time key (year, month, week or day; or year and month),
  and `total`, same filters: one vectorised binary search of the c x (p + 1) bounds, the figures
  as differences of running sums, summed per group: O(c p log n). Above 400,000 bounds (many
  cells over thousands of days) SQL answers instead.
- the timeline (/histogram) is that aggregate by strike type and month, week or day.
- the map's grid (/grid), same filters and a bbox: the runs of the matching cells whose position
  is in the bbox, two binary searches each for the window, killed sums by running sums, then one
  bincount per figure over the runs: O(r log n), r the runs in view (at most the distinct
  positions per cell: events cluster at places; data of all-distinct positions makes r ~ n).
  With a killed range it reads the window's rows instead: O(rows in the window).
- the page of a cube-answered list: SQL through the (place[, type], date) index, bodies read for
  the page's rows only: O(k + rows skipped by the other filters).
- total with text (`q`), actor / attacker / target, bbox, near, casualty ranges, date_end (with
  any of the above): one boolean per event from the columns (index.masks): O(n) with a small
  constant (numpy, one pass over 1-4 bytes per event per filter; a frequent word or actor is an
  unpacking of n bits, a rare one a scatter of its positions; bbox and near test each of the P
  points once, the great-circle distance only inside the R*Tree's box, then one gather per
  event): a few ms at 1M events; exact (tests/test_masks.py holds it to SQL).
- their page (sort by id or date_start): the order walked in chunks from the cursor (or the
  offset) until the page is full: O(k x n / m) rows tested, at most n; bodies for the page only.
- a page by distance (`sort=distance` with `near`, index.by_distance): the candidates from the
  columns (or the rids SQL matches, for filters they do not hold), one numpy distance per distinct
  point among them, a partition for the page's rows: O(m + P' log P'), P' the candidates' points;
  the stream sorts all m once.
- anything else (admin1, admin2, place, operation, tags, vessels, flags, actor groups and
  countries, modified_since, geo_fallback, other sorts, group keys through joins): SQL, counted
  once per distinct query (`count` caches it; a release never changes); cost grows with the rows
  the first index range holds.
- a single event: one lookup by the unique id index: O(log n).

Why: totals are exact (no estimates, no sampling), so a filtered total counts its matches every
time. Counted by SQL that is a B-tree step and a row lookup per matching row (0.5 to 4 s at 1M
events, more than the query time limit under load); per-day prefix sums make the commonest
totals and aggregates a subtraction, and in-memory columns make the rest a vectorised pass over
a few bytes per event. Answers are computed with numpy over whole arrays, not a Python loop per
cell and period: a month or a country x year aggregate costs about the same as one by strike
type. Cubes per actor, word or map cell were not built: they multiply the cells by the keys and
still do not answer a query that combines two of those filters, while the columns answer every
combination alike. Memory per worker at 1M synthetic events: about 160 MiB of cube arrays and
65 MiB of columns (the index file itself is read through SQLite's bounded page cache, see
`Store.new_connection`); in the index, 45 MiB of columns and 12 MiB of postings.
"""

from __future__ import annotations

import fcntl
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from openstrikes.geo import haversine_km
from openstrikes.index import masks
from openstrikes.index.build import LAYOUT_VERSION, build_index
from openstrikes.index.code_use import read_code_use
from openstrikes.index.columns import Columns, read_postings
from openstrikes.index.cube import Cubes
from openstrikes.index.errors import QueryTimeout, StoreError, UnusableIndex
from openstrikes.index.filters import BY_PARAM, Where
from openstrikes.package.metadata import PackageError, PackageInfo
from openstrikes.package.reader import read_package

DEFAULT_TIMEOUT_S = 5.0
LIVE = "events.withdrawn = 0"  # the WHERE clause of a listing without filters (index.filters)
PROGRESS_STEPS = 5000  # SQLite VM instructions between two deadline checks
# Each connection reads the index through its own page cache of at most this many KiB, and never
# through mmap: see `Store.new_connection` for why.
PAGE_CACHE_KIB = 2048


def _sql_distance(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float | None:
    if lat1 is None or lon1 is None:
        return None
    return haversine_km(lat1, lon1, lat2, lon2)


# --- opening ---------------------------------------------------------------------------------------


@dataclass
class _Deadline:
    at: float = math.inf


class BoundedConnection(sqlite3.Connection):
    """A connection whose statements stop (SQLITE_INTERRUPT) once `deadline.at` has passed."""

    deadline: _Deadline


class Store:
    """One release: its verified package and the read-only SQLite index of it."""

    def __init__(self, package: Path, info: PackageInfo, db_path: Path, timeout: float) -> None:
        self.package = package
        self.info = info
        self.db_path = db_path
        self.timeout = timeout
        self._local = threading.local()
        conn = self.new_connection()  # not the thread's: a preloading server forks after this
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            # The count of the default listing, taken now without a time bound: on a cold cache
            # of a large release the first request would otherwise spend its bound on it (503).
            live = int(conn.execute(f"SELECT count(*) FROM events WHERE {LIVE}").fetchone()[0])
            self.cubes = Cubes.load(conn)
            self.columns = Columns.load(conn)
            self.code_use = read_code_use(conn)
        finally:
            conn.close()
        got = {k.decode(): v.decode() for k, v in meta.items()}
        if got.get("package_sha256") != info.sha256 or got.get("layout") != str(LAYOUT_VERSION):
            raise UnusableIndex(f"{db_path}: the index does not belong to {package}")
        try:
            self.event_count = int(got["events"])
        except (KeyError, ValueError):
            raise UnusableIndex(f"{db_path}: the index has no event count") from None
        self._defaults: dict[tuple[str, tuple[Any, ...]], int] = {
            (LIVE, ()): live,
            ("1", ()): self.event_count,
        }
        self._count_cache: dict[tuple[str, tuple[Any, ...]], int] = dict(self._defaults)
        self._count_lock = threading.Lock()

    @classmethod
    def open(cls, package: Path, cache_dir: Path, *, timeout: float = DEFAULT_TIMEOUT_S) -> Store:
        """Verify `package` and open (building it first if needed) its index under `cache_dir`."""
        package = Path(package)
        if not package.is_dir():
            raise StoreError(f"{package} is not a package directory")
        try:
            info = read_package(package, verify=True)
        except PackageError as exc:
            raise StoreError(f"refusing to serve {package}: {exc}") from None
        except OSError as exc:
            raise StoreError(f"cannot read {package}: {exc}") from None
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot use the index cache {cache_dir}: {exc.strerror or exc}") from None
        db_path = cache_dir / f"{info.sha256}-v{LAYOUT_VERSION}.sqlite"
        try:
            if not db_path.exists():
                _build_once(package, info, db_path, rebuild=None)
            try:
                return cls(package, info, db_path, timeout)
            except (sqlite3.DatabaseError, UnusableIndex):
                # A corrupt or foreign index (a crash, a full disk, a copied cache): built again.
                _build_once(package, info, db_path, rebuild=_inode(db_path))
            try:
                return cls(package, info, db_path, timeout)
            except (sqlite3.DatabaseError, UnusableIndex) as exc:
                raise StoreError(f"{db_path}: unreadable index, even rebuilt ({exc})") from None
        except OSError as exc:
            raise StoreError(
                f"cannot write the index of {package} in {cache_dir}: {exc.strerror or exc}"
            ) from None

    @property
    def version(self) -> str:
        return self.info.version

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def sha256(self) -> str:
        return self.info.sha256

    def connect(self) -> BoundedConnection:
        """This thread's read-only connection (rows of bytes: bodies go out untouched)."""
        conn: BoundedConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.new_connection()
            self._local.conn = conn
        return conn

    def new_connection(self) -> BoundedConnection:
        """A fresh read-only connection with the time bound and SQL helper functions installed.

        Memory: no mmap, and a page cache of PAGE_CACHE_KIB per connection, so that a serving
        process's memory is bounded by threads x PAGE_CACHE_KIB over what it loads at start
        (benchmarks/soak.py, 10 minutes after a one-minute warm-up: replicas' RSS +0.4 % and
        +2.2 %). With the index mapped
        (mmap_size 1 GiB, before), each connection of each thread mapped the file for itself, and
        a process's resident memory kept growing as more threads touched more pages, towards
        threads x index size: benchmarks/soak.py saw +12-15 % in 2 minutes with the heap flat,
        and an API worker of bench_api at 100k events had 938-1018 MiB resident after the random
        mixes (95-96 MiB now). A page missed costs a copy from the OS page cache instead:
        benchmarks/bench_page_cache.py, 100k events, side by side in 4 rounds, after/before req/s
        (median): fixed list 1.04, single 1.52, random list mix 0.88, random single mix 0.98
        (rounds from 0.78 to 2.90 on the shared machine). Bounded memory was worth that.
        """
        uri = f"file:{self.db_path}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, factory=BoundedConnection)
        conn.text_factory = bytes
        deadline = conn.deadline = _Deadline()
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline.at else 0, PROGRESS_STEPS)
        conn.create_function("distance_km", 4, _sql_distance, deterministic=True)
        conn.execute("PRAGMA query_only = 1")
        conn.execute(f"PRAGMA cache_size = -{PAGE_CACHE_KIB}")
        conn.execute("PRAGMA mmap_size = 0")
        return conn

    @contextmanager
    def bounded(self, conn: BoundedConnection, seconds: float | None = None) -> Iterator[None]:
        """Run the enclosed statements under a time bound; QueryTimeout when it is passed."""
        deadline = conn.deadline
        deadline.at = time.monotonic() + (self.timeout if seconds is None else seconds)
        try:
            yield
        except sqlite3.OperationalError as exc:
            if "interrupted" in str(exc):
                raise QueryTimeout(f"the query took longer than {self.timeout:g} s") from None
            raise
        finally:
            deadline.at = math.inf

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """All rows of a statement, under the time bound."""
        conn = self.connect()
        with self.bounded(conn):
            return conn.execute(sql, params).fetchall()

    def count(self, where: str, params: tuple[Any, ...]) -> int:
        """How many events match; cached per query (a release never changes)."""
        key = (where, params)
        hit = self._count_cache.get(key)
        if hit is not None:
            return hit
        rows = self.query(f"SELECT count(*) FROM events WHERE {where}", params)
        n = int(rows[0][0])
        with self._count_lock:
            if len(self._count_cache) > 4096:
                self._count_cache = dict(self._defaults)
            self._count_cache[key] = n
        return n

    def total(self, values: dict[str, Any], where: Where) -> int:
        """How many events match: from the cube when it answers these filters, else from the
        columns, else counted by SQL."""
        if self.cube_answers(values):
            return self.cubes.pick(values, BY_PARAM).count(values)  # type: ignore[union-attr]
        m = self.mask(values)
        if m is not None:
            return int(np.count_nonzero(m))
        return self.count(where.sql, where.params)

    def cube_answers(self, values: dict[str, Any]) -> bool:
        return self.cubes is not None and self.cubes.pick(values, BY_PARAM) is not None

    def mask(self, values: dict[str, Any], *, without_coordinates: bool = False) -> np.ndarray | None:
        """The events matching the filters, one boolean each (index.masks); None when the columns
        do not answer them."""
        if self.columns is None:
            return None
        return masks.build(
            self.columns, values, self.actor_ids_for, self.postings, without_coordinates=without_coordinates
        )

    def postings(self, kind: str, key: str) -> np.ndarray:
        conn = self.connect()
        with self.bounded(conn):
            return read_postings(conn, kind, key, self.columns.n if self.columns else 0)

    # -- lookups ------------------------------------------------------------------------------------

    def event_body(self, event_id: str) -> bytes | None:
        rows = self.query(
            "SELECT b.body FROM events e JOIN bodies b ON b.rid = e.rid WHERE e.id = ?", (event_id,)
        )
        return bytes(rows[0][0]) if rows else None

    def actor_ids_for(self, value: str) -> list[str]:
        """The actor ids a filter value names: the value itself, or an actor's name/alias (any case)."""
        rows = self.query("SELECT id FROM actor_names WHERE name_cf = ?", (value.casefold(),))
        return sorted({value, *(r[0].decode() for r in rows)})

    def related_bodies(self, event_id: str, depth: int | None = None) -> list[bytes] | None:
        """Events linked to this one either way, followed transitively, by (date_start, id)."""
        found = self.related_links(event_id, depth)
        return None if found is None else [body for body, _ in found]

    def related_links(
        self, event_id: str, depth: int | None = None
    ) -> list[tuple[bytes, dict[str, Any]]] | None:
        """Each event linked to this one (either way, transitively, up to `depth` steps), by
        (date_start, id), with how it was reached: `distance` (steps from the start), `via` (the
        event one step nearer), `relation` and `direction` (`names`: its record names `via`;
        `named_by`: `via`'s record names it). Breadth first, ties by id: deterministic."""
        if self.event_body(event_id) is None:
            return None
        reached: dict[str, dict[str, Any]] = {}
        seen, frontier, distance = {event_id}, [event_id], 0
        while frontier and (depth is None or distance < depth):
            distance += 1
            edges: list[tuple[str, str, str, int]] = []
            for i in range(0, len(frontier), 500):
                batch = frontier[i : i + 500]
                marks = ",".join("?" * len(batch))
                edges += [
                    (a.decode(), b.decode(), r.decode(), int(n))
                    for a, b, r, n in self.query(
                        f"SELECT a, b, relation, names FROM event_links WHERE a IN ({marks})", batch
                    )
                ]
            edges.sort(key=lambda x: (x[0], x[1], x[2], -x[3]))
            frontier = []
            for a, b, relation, names in edges:
                if b in seen:
                    continue
                seen.add(b)
                frontier.append(b)
                direction = "named_by" if names else "names"
                reached[b] = {
                    "id": b,
                    "distance": distance,
                    "via": a,
                    "relation": relation,
                    "direction": direction,
                }
            frontier.sort()
        out: list[tuple[bytes, bytes, bytes]] = []
        ids = sorted(reached)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            out += self.query(
                f"SELECT e.date_start, e.id, b.body FROM events e JOIN bodies b ON b.rid = e.rid WHERE e.id IN ({marks})",
                part,
            )
        out.sort()
        return [(bytes(r[2]), reached[r[1].decode()]) for r in out]

    def actors(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.query("SELECT body FROM actors ORDER BY id")]

    def places(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.query("SELECT body FROM places ORDER BY slug")]

    def place_body(self, slug: str) -> bytes | None:
        rows = self.query("SELECT body FROM places WHERE slug = ?", (slug,))
        return bytes(rows[0][0]) if rows else None

    def place_event_bodies(self, slug: str) -> list[bytes]:
        """The live events that name the place, by date_start then id."""
        rows = self.query(
            "SELECT b.body FROM events e JOIN bodies b ON b.rid = e.rid "
            "WHERE e.place = ? AND e.withdrawn = 0 ORDER BY e.date_start, e.rid",
            (slug,),
        )
        return [bytes(r[0]) for r in rows]

    def actor_body(self, actor_id: str) -> bytes | None:
        rows = self.query("SELECT body FROM actors WHERE id = ?", (actor_id,))
        return bytes(rows[0][0]) if rows else None

    def changes(self, since_key: str | None) -> tuple[list[tuple[str, str, bool, str | None]], str | None]:
        """Changes after `since_key` (a utc_key) in id order, and the latest change time overall."""
        latest = self.query("SELECT max(stamp) FROM changes")[0][0]
        sql = "SELECT id, modified, withdrawn, withdrawn_at FROM changes"
        params: tuple[Any, ...] = ()
        if since_key is not None:
            sql += " WHERE stamp > ?"
            params = (since_key,)
        rows = self.query(sql + " ORDER BY id", params)
        items = [(r[0].decode(), r[1].decode(), bool(r[2]), r[3].decode() if r[3] else None) for r in rows]
        return items, stamp_of(latest.decode()) if latest else None

    def validation_context(
        self, day: str | None, links: Iterable[str], aliases: Iterable[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The events a posted event is checked against (same days +/- 1, linked ids, shared
        aliases) and every actor."""
        bodies: dict[str, bytes] = {}
        if day:
            try:
                d = datetime.fromisoformat(day).date()
            except ValueError:
                d = None
            if d is not None:
                lo, hi = d.fromordinal(d.toordinal() - 1), d.fromordinal(d.toordinal() + 1)
                for i, b in self.query(
                    "SELECT e.id, b.body FROM events e JOIN bodies b ON b.rid = e.rid "
                    "WHERE e.date_start BETWEEN ? AND ? LIMIT 20000",
                    (lo.isoformat(), hi.isoformat()),
                ):
                    bodies[i.decode()] = bytes(b)
        for i in set(links):
            b = self.event_body(i)
            if b is not None:
                bodies[i] = b
        for a in set(aliases):
            for i, b in self.query(
                "SELECT e.id, b.body FROM event_aliases x JOIN events e ON e.rid = x.rid "
                "JOIN bodies b ON b.rid = e.rid WHERE x.alias = ?",
                (a,),
            ):
                bodies[i.decode()] = bytes(b)
        events = [orjson.loads(b) for b in bodies.values()]
        actors = [orjson.loads(b) for b in self.actors()]
        return events, actors


def stamp_of(key: str) -> str:
    """The RFC 3339 form of a utc_key, without needless fractions."""
    return key.replace(".000000Z", "Z")


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _build_once(package: Path, info: PackageInfo, db_path: Path, *, rebuild: int | None) -> None:
    """Build the index under the cache's lock, unless another process has just done it.
    `rebuild`: the inode of an index found unusable, replaced unless another process has
    already replaced it."""
    with _locked(db_path.with_name(f"{info.sha256}.lock")):
        if rebuild is not None and _inode(db_path) == rebuild:
            db_path.unlink()
        if db_path.exists():
            return
        try:
            build_index(package, info, db_path)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"cannot index {package}: malformed record ({exc})") from None


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
