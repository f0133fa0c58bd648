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
`near`, the changes feed, and the actor registry with a case-folded name/alias index.
"""

from __future__ import annotations

import csv
import fcntl
import io
import math
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from openstrikes.geo import haversine_km
from openstrikes.index.text import search_text
from openstrikes.package.metadata import PackageError, PackageInfo
from openstrikes.package.reader import package_actors, read_package
from openstrikes.schema_files import CASUALTY_FIELDS
from openstrikes.timefmt import utc_key

LAYOUT_VERSION = 2
DEFAULT_TIMEOUT_S = 5.0
PROGRESS_STEPS = 5000  # SQLite VM instructions between two deadline checks


class StoreError(Exception):
    """A package cannot be indexed or opened (missing, tampered, unreadable)."""


class QueryTimeout(Exception):
    """A query ran past its time bound and was interrupted."""


def _sql_distance(lat1: float | None, lon1: float | None, lat2: float, lon2: float) -> float | None:
    if lat1 is None or lon1 is None:
        return None
    return haversine_km(lat1, lon1, lat2, lon2)


# --- building the index ------------------------------------------------------------------------------

DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
  withdrawn INTEGER NOT NULL, date_start TEXT NOT NULL, date_end TEXT NOT NULL, modified_utc TEXT NOT NULL,
  country TEXT, admin1 TEXT, strike_type TEXT, status TEXT, outcome TEXT, geo_precision TEXT, operation TEXT,
  killed_min INTEGER, killed_max INTEGER, injured_min INTEGER, injured_max INTEGER,
  civilians_killed_min INTEGER, civilians_killed_max INTEGER,
  civilians_injured_min INTEGER, civilians_injured_max INTEGER,
  killed_sort INTEGER NOT NULL, latitude REAL, longitude REAL
);
CREATE TABLE bodies(rid INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE event_actors(actor TEXT NOT NULL, role TEXT NOT NULL, rid INTEGER NOT NULL,
  PRIMARY KEY(actor, role, rid)) WITHOUT ROWID;
CREATE TABLE event_tags(tag TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(tag, rid)) WITHOUT ROWID;
CREATE TABLE event_aliases(alias TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(alias, rid)) WITHOUT ROWID;
CREATE TABLE event_links(a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY(a, b)) WITHOUT ROWID;
CREATE VIRTUAL TABLE events_fts USING fts5(text, content='', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE events_geo USING rtree(rid, min_lat, max_lat, min_lon, max_lon);
CREATE TABLE changes(id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,
  withdrawn_at TEXT, stamp TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE actors(id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE actor_names(name_cf TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(name_cf, id)) WITHOUT ROWID;
"""

# One index per filter column (equality keeps rid order: the default sort), the sort orders, and
# the common "filter by country, newest first" pair.
INDEXES = [
    *(
        f"CREATE INDEX ix_{c} ON events({c})"
        for c in ("country", "admin1", "strike_type", "status", "outcome", "geo_precision", "operation")
    ),
    *(
        f"CREATE INDEX ix_{c} ON events({c})"
        for c in ("killed_min", "killed_max", "injured_min", "injured_max")
    ),
    "CREATE INDEX ix_civilians_killed ON events(civilians_killed_max)",
    "CREATE INDEX ix_date_start ON events(date_start)",
    "CREATE INDEX ix_date_end ON events(date_end)",
    "CREATE INDEX ix_modified ON events(modified_utc)",
    "CREATE INDEX ix_killed_sort ON events(killed_sort)",
    "CREATE INDEX ix_country_date ON events(country, date_start)",
    "CREATE INDEX ix_changes_stamp ON changes(stamp)",
]


def _range(cas: dict[str, Any], name: str) -> tuple[int | None, int | None]:
    r = cas.get(name) if isinstance(cas, dict) else None
    if not isinstance(r, dict):
        return None, None
    return int(r["min"]), int(r["max"])


def _event_row(rid: int, e: dict[str, Any]) -> tuple[Any, ...]:
    cas = e.get("casualties") or {}
    ranges = [v for name in CASUALTY_FIELDS for v in _range(cas, name)]
    killed_max = ranges[1]
    return (
        rid,
        e["id"],
        1 if e.get("withdrawn") else 0,
        e["date_start"],
        e["date_end"],
        utc_key(e["modified"]),
        e.get("country"),
        e.get("admin1"),
        e.get("strike_type"),
        e.get("status"),
        e.get("outcome"),
        e.get("geo_precision"),
        e.get("operation"),
        *ranges,
        -1 if killed_max is None else killed_max,
        e.get("latitude"),
        e.get("longitude"),
    )


def _read_lines(package: Path) -> Iterator[bytes]:
    with (package / "events.ndjson").open("rb") as fh:
        for raw in fh:
            line = raw.rstrip(b"\r\n")
            if line.strip():
                yield line


def build_index(package: Path, info: PackageInfo, target: Path) -> None:
    """Write the SQLite index of a verified package to `target` (atomically)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;")
        db.executescript(DDL)
        rows: list[tuple[Any, ...]] = []
        bodies: list[tuple[int, bytes]] = []
        actors_rows: list[tuple[str, str, int]] = []
        tags: list[tuple[str, int]] = []
        aliases: list[tuple[str, int]] = []
        links: set[tuple[str, str]] = set()
        fts: list[tuple[int, str]] = []
        geo: list[tuple[int, float, float, float, float]] = []

        def flush() -> None:
            db.executemany(f"INSERT INTO events VALUES ({','.join('?' * 24)})", rows)
            db.executemany("INSERT INTO bodies VALUES (?,?)", bodies)
            db.executemany("INSERT OR IGNORE INTO event_actors VALUES (?,?,?)", actors_rows)
            db.executemany("INSERT OR IGNORE INTO event_tags VALUES (?,?)", tags)
            db.executemany("INSERT OR IGNORE INTO event_aliases VALUES (?,?)", aliases)
            db.executemany("INSERT INTO events_fts(rowid, text) VALUES (?,?)", fts)
            db.executemany("INSERT INTO events_geo VALUES (?,?,?,?,?)", geo)
            for lst in (rows, bodies, actors_rows, tags, aliases, fts, geo):
                lst.clear()

        rid = 0
        previous = ""
        for line in _read_lines(package):
            e = orjson.loads(line)
            rid += 1
            if e["id"] <= previous:
                raise StoreError(f"{package}: events.ndjson is not sorted by id at {e['id']!r}")
            previous = e["id"]
            rows.append(_event_row(rid, e))
            bodies.append((rid, line))
            for a in e.get("attackers") or ():
                actors_rows.append((a["actor"], "attacker", rid))
            for t in e.get("targets") or ():
                if t.get("actor"):
                    actors_rows.append((t["actor"], "target", rid))
            tags.extend((t, rid) for t in e.get("tags") or ())
            aliases.extend((a, rid) for a in e.get("aliases") or ())
            for r in e.get("related") or ():
                links.add((e["id"], r["id"]))
                links.add((r["id"], e["id"]))
            fts.append((rid, search_text(e)))
            lat, lon = e.get("latitude"), e.get("longitude")
            if lat is not None and lon is not None:
                geo.append((rid, lat, lat, lon, lon))
            if len(rows) >= 5000:
                flush()
        flush()
        db.executemany("INSERT INTO event_links VALUES (?,?)", sorted(links))
        db.executemany("INSERT INTO changes VALUES (?,?,?,?,?)", _changes(package))
        for actor in package_actors(package):
            db.execute("INSERT INTO actors VALUES (?,?)", (actor["id"], orjson.dumps(actor)))
            names = {actor["id"], actor.get("name") or "", *(actor.get("aliases") or ())}
            db.executemany(
                "INSERT OR IGNORE INTO actor_names VALUES (?,?)",
                [(n.casefold(), actor["id"]) for n in names if n],
            )
        for ddl in INDEXES:
            db.execute(ddl)
        meta = {
            "package_sha256": info.sha256,
            "layout": str(LAYOUT_VERSION),
            "version": info.version,
            "name": info.name,
            "events": str(rid),
        }
        db.executemany("INSERT INTO meta VALUES (?,?)", sorted(meta.items()))
        db.commit()
        db.execute("ANALYZE")
        db.commit()
        db.close()
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        db.close()
        tmp.unlink(missing_ok=True)
        raise


def _changes(package: Path) -> Iterator[tuple[str, str, int, str | None, str]]:
    text = (package / "changes.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(text, newline="")):
        withdrawn = (row.get("withdrawn") or "").strip().lower() not in ("", "false", "0", "no")
        at = (row.get("withdrawn_at") or "").strip() or None
        modified = row["modified"]
        stamp = max(utc_key(modified), utc_key(at) if at else "")
        yield row["id"], modified, 1 if withdrawn else 0, at, stamp


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
        finally:
            conn.close()
        got = {k.decode(): v.decode() for k, v in meta.items()}
        if got.get("package_sha256") != info.sha256 or got.get("layout") != str(LAYOUT_VERSION):
            raise StoreError(f"{db_path}: the index does not belong to {package}; delete it to rebuild")
        self.event_count = int(got["events"])
        self._count_cache: dict[tuple[str, tuple[Any, ...]], int] = {}
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
        cache_dir.mkdir(parents=True, exist_ok=True)
        db_path = cache_dir / f"{info.sha256}-v{LAYOUT_VERSION}.sqlite"
        if not db_path.exists():
            with _locked(cache_dir / f"{info.sha256}.lock"):
                if not db_path.exists():
                    try:
                        build_index(package, info, db_path)
                    except (KeyError, TypeError, ValueError) as exc:
                        raise StoreError(f"cannot index {package}: malformed record ({exc})") from None
        try:
            return cls(package, info, db_path, timeout)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{db_path}: unreadable index ({exc}); delete it to rebuild") from None

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
        """A fresh read-only connection with the time bound and SQL helper functions installed."""
        uri = f"file:{self.db_path}?mode=ro&immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, factory=BoundedConnection)
        conn.text_factory = bytes
        deadline = conn.deadline = _Deadline()
        conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline.at else 0, PROGRESS_STEPS)
        conn.create_function("distance_km", 4, _sql_distance, deterministic=True)
        conn.execute("PRAGMA query_only = 1")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA mmap_size = 1073741824")
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
                self._count_cache.clear()
            self._count_cache[key] = n
        return n

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

    def related_bodies(self, event_id: str) -> list[bytes] | None:
        """Events linked to this one either way, followed transitively, by (date_start, id)."""
        if self.event_body(event_id) is None:
            return None
        seen, todo = {event_id}, [event_id]
        while todo:
            batch, todo = todo[:500], todo[500:]
            marks = ",".join("?" * len(batch))
            for (other,) in self.query(f"SELECT b FROM event_links WHERE a IN ({marks})", batch):
                o = other.decode()
                if o not in seen:
                    seen.add(o)
                    todo.append(o)
        seen.discard(event_id)
        out: list[tuple[bytes, bytes, bytes]] = []
        ids = sorted(seen)
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            marks = ",".join("?" * len(part))
            out += self.query(
                f"SELECT e.date_start, e.id, b.body FROM events e JOIN bodies b ON b.rid = e.rid WHERE e.id IN ({marks})",
                part,
            )
        out.sort()
        return [bytes(r[2]) for r in out]

    def actors(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.query("SELECT body FROM actors ORDER BY id")]

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


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
