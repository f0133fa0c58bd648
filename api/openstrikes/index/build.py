"""Building the SQLite index of a verified package (see store.py for its layout and use)."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from openstrikes.index.code_use import CodeUseBuilder
from openstrikes.index.columns import ColumnsBuilder
from openstrikes.index.cube import CubeBuilder
from openstrikes.index.errors import StoreError
from openstrikes.index.text import search_text
from openstrikes.package.metadata import PackageInfo
from openstrikes.package.reader import package_actors, package_places
from openstrikes.schema_files import CASUALTY_FIELDS
from openstrikes.timefmt import utc_key

LAYOUT_VERSION = 11  # 11: the codebook's counts (code_use)


DDL = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE events(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
  withdrawn INTEGER NOT NULL, date_start TEXT NOT NULL, date_end TEXT NOT NULL, modified_utc TEXT NOT NULL,
  country TEXT, admin1 TEXT, strike_type TEXT, status TEXT, outcome TEXT, geo_precision TEXT, operation TEXT,
  killed_min INTEGER, killed_max INTEGER, injured_min INTEGER, injured_max INTEGER,
  civilians_killed_min INTEGER, civilians_killed_max INTEGER,
  civilians_injured_min INTEGER, civilians_injured_max INTEGER,
  killed_sort INTEGER NOT NULL, latitude REAL, longitude REAL, water_body TEXT, place TEXT,
  admin2 TEXT, killed_best INTEGER, injured_best INTEGER, civilians_killed_best INTEGER,
  civilians_injured_best INTEGER, injured_sort INTEGER NOT NULL, civilians_killed_sort INTEGER NOT NULL
);
CREATE TABLE bodies(rid INTEGER PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE event_actors(actor TEXT NOT NULL, role TEXT NOT NULL, rid INTEGER NOT NULL,
  attribution TEXT, PRIMARY KEY(actor, role, rid)) WITHOUT ROWID;
CREATE INDEX ix_event_actors_rid ON event_actors(rid, role);
CREATE TABLE event_tags(tag TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(tag, rid)) WITHOUT ROWID;
CREATE INDEX ix_event_tags_rid ON event_tags(rid);
CREATE TABLE event_aliases(alias TEXT NOT NULL, rid INTEGER NOT NULL, PRIMARY KEY(alias, rid)) WITHOUT ROWID;
CREATE TABLE event_links(a TEXT NOT NULL, b TEXT NOT NULL, relation TEXT NOT NULL, names INTEGER NOT NULL,
  PRIMARY KEY(a, b, relation, names)) WITHOUT ROWID;
CREATE VIRTUAL TABLE events_fts USING fts5(text, content='', tokenize='unicode61 remove_diacritics 0');
CREATE VIRTUAL TABLE events_geo USING rtree(rid, min_lat, max_lat, min_lon, max_lon);
CREATE TABLE changes(id TEXT PRIMARY KEY, modified TEXT NOT NULL, withdrawn INTEGER NOT NULL,
  withdrawn_at TEXT, stamp TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE actors(id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE event_vessels(rid INTEGER NOT NULL, imo TEXT, name_cf TEXT NOT NULL, flag TEXT);
CREATE TABLE places(slug TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE actor_info(id TEXT PRIMARY KEY, parent TEXT, root TEXT NOT NULL, country TEXT) WITHOUT ROWID;
CREATE TABLE actor_tree(ancestor TEXT NOT NULL, actor TEXT NOT NULL, PRIMARY KEY(ancestor, actor)) WITHOUT ROWID;
CREATE TABLE actor_names(name_cf TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY(name_cf, id)) WITHOUT ROWID;
"""

# One index per filter column (equality keeps rid order: the default sort), the sort orders, and
# the common "filter by country, newest first" pair.
INDEXES = [
    *(
        f"CREATE INDEX ix_{c} ON events({c})"
        for c in (
            "country",
            "admin1",
            "strike_type",
            "status",
            "outcome",
            "geo_precision",
            "operation",
            "water_body",
            "place",
        )
    ),
    *(
        f"CREATE INDEX ix_{c} ON events({c})"
        for c in ("killed_min", "killed_max", "injured_min", "injured_max")
    ),
    "CREATE INDEX ix_injured_sort ON events(injured_sort)",
    "CREATE INDEX ix_civilians_killed_sort ON events(civilians_killed_sort)",
    "CREATE INDEX ix_admin2 ON events(admin2)",
    "CREATE INDEX ix_civilians_killed ON events(civilians_killed_max)",
    "CREATE INDEX ix_date_start ON events(date_start)",
    "CREATE INDEX ix_date_end ON events(date_end)",
    "CREATE INDEX ix_modified ON events(modified_utc)",
    "CREATE INDEX ix_killed_sort ON events(killed_sort)",
    "CREATE INDEX ix_country_date ON events(country, date_start)",
    # lists at sea and of one strike type in a country, by date (the common pages: no sort step)
    "CREATE INDEX ix_water_date ON events(water_body, date_start)",
    "CREATE INDEX ix_country_type_date ON events(country, strike_type, date_start)",
    # the same at sea (a tenth of the events: the index holds those only)
    "CREATE INDEX ix_water_type_date ON events(water_body, strike_type, date_start) WHERE water_body IS NOT NULL",
    "CREATE INDEX ix_changes_stamp ON changes(stamp)",
    "CREATE INDEX ix_vessel_imo ON event_vessels(imo)",
    "CREATE INDEX ix_vessel_name ON event_vessels(name_cf)",
    "CREATE INDEX ix_vessel_flag ON event_vessels(flag)",
]


def _range(cas: dict[str, Any], name: str) -> tuple[int | None, int | None, int | None]:
    """(min, max, best) of a casualty figure; all None when the figure is unknown."""
    r = cas.get(name) if isinstance(cas, dict) else None
    if not isinstance(r, dict):
        return None, None, None
    best = r.get("best")
    return int(r["min"]), int(r["max"]), None if best is None else int(best)


def _sort_value(high: int | None) -> int:
    return -1 if high is None else high  # unknown sorts below 0


def _event_row(rid: int, e: dict[str, Any]) -> tuple[Any, ...]:
    cas = e.get("casualties") or {}
    figures = [_range(cas, name) for name in CASUALTY_FIELDS]
    ranges = [v for f in figures for v in f[:2]]
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
        e.get("water_body"),
        e.get("place"),
        e.get("admin2"),
        *(f[2] for f in figures),
        _sort_value(figures[1][1]),
        _sort_value(figures[2][1]),
    )


def _read_lines(package: Path) -> Iterator[bytes]:
    with (package / "events.ndjson").open("rb") as fh:
        for raw in fh:
            line = raw.rstrip(b"\r\n")
            if line.strip():
                yield line


class _Batches:
    """Rows of the event tables, inserted every BATCH events."""

    BATCH = 5000

    def __init__(self, db: sqlite3.Connection, code_use: CodeUseBuilder) -> None:
        self.db = db
        self.rows: list[tuple[Any, ...]] = []
        self.bodies: list[tuple[int, bytes]] = []
        self.actors: list[tuple[str, str, int, str | None]] = []
        self.tags: list[tuple[str, int]] = []
        self.aliases: list[tuple[str, int]] = []
        self.fts: list[tuple[int, str]] = []
        self.geo: list[tuple[int, float, float, float, float]] = []
        self.vessels: list[tuple[int, str | None, str, str | None]] = []
        self.links: set[tuple[str, str, str, int]] = set()  # inserted once, at the end
        self.cube = CubeBuilder()  # written once, at the end
        self.columns = ColumnsBuilder()  # written once, at the end
        self.code_use = code_use  # written once, at the end

    def add(self, rid: int, line: bytes, e: dict[str, Any]) -> None:
        self.rows.append(_event_row(rid, e))
        self.cube.add(e)
        self.code_use.add(e)
        self.bodies.append((rid, line))
        for a in e.get("attackers") or ():
            self.actors.append((a["actor"], "attacker", rid, a.get("attribution")))
        for t in e.get("targets") or ():
            if t.get("actor"):
                self.actors.append((t["actor"], "target", rid, None))
            vessel = t.get("vessel")
            if vessel:
                self.vessels.append((rid, vessel.get("imo"), vessel["name"].casefold(), vessel.get("flag")))
        self.tags.extend((t, rid) for t in e.get("tags") or ())
        self.aliases.extend((a, rid) for a in e.get("aliases") or ())
        for r in e.get("related") or ():
            self.links.add((e["id"], r["id"], r["relation"], 1))  # a's record names b
            self.links.add((r["id"], e["id"], r["relation"], 0))
        text = search_text(e)
        self.fts.append((rid, text))
        self.columns.add(rid, e, text)
        lat, lon = e.get("latitude"), e.get("longitude")
        if lat is not None and lon is not None:
            self.geo.append((rid, lat, lat, lon, lon))
        if len(self.rows) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        db = self.db
        db.executemany(f"INSERT INTO events VALUES ({','.join('?' * 33)})", self.rows)
        db.executemany("INSERT INTO event_vessels VALUES (?,?,?,?)", self.vessels)
        db.executemany("INSERT INTO bodies VALUES (?,?)", self.bodies)
        db.executemany("INSERT OR IGNORE INTO event_actors VALUES (?,?,?,?)", self.actors)
        db.executemany("INSERT OR IGNORE INTO event_tags VALUES (?,?)", self.tags)
        db.executemany("INSERT OR IGNORE INTO event_aliases VALUES (?,?)", self.aliases)
        db.executemany("INSERT INTO events_fts(rowid, text) VALUES (?,?)", self.fts)
        db.executemany("INSERT INTO events_geo VALUES (?,?,?,?,?)", self.geo)
        for lst in (
            self.rows,
            self.bodies,
            self.actors,
            self.tags,
            self.aliases,
            self.fts,
            self.geo,
            self.vessels,
        ):
            lst.clear()


def _write_events(db: sqlite3.Connection, package: Path) -> int:
    """Every event of the package (in id order, else StoreError) into the event tables; how many."""
    batches = _Batches(db, CodeUseBuilder.for_package(package))
    rid = 0
    previous = ""
    for line in _read_lines(package):
        e = orjson.loads(line)
        rid += 1
        if e["id"] <= previous:
            raise StoreError(f"{package}: events.ndjson is not sorted by id at {e['id']!r}")
        previous = e["id"]
        batches.add(rid, line, e)
    batches.flush()
    db.executemany("INSERT INTO event_links VALUES (?,?,?,?)", sorted(batches.links))
    batches.cube.write(db)
    batches.columns.write(db)
    batches.code_use.write(db)
    return rid


def actor_roots(actors: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Each actor id's line of ancestors via `parent`, itself first, its root last (a cycle or a
    missing parent ends the line)."""
    lines: dict[str, list[str]] = {}
    for aid in actors:
        line = [aid]
        parent = actors[aid].get("parent")
        while parent and parent in actors and parent not in line:
            line.append(parent)
            parent = actors[parent].get("parent")
        lines[aid] = line
    return lines


def _write_actors(db: sqlite3.Connection, package: Path) -> None:
    registry = {a["id"]: a for a in package_actors(package)}
    for aid, line in actor_roots(registry).items():
        a = registry[aid]
        db.execute(
            "INSERT INTO actor_info VALUES (?,?,?,?)", (aid, a.get("parent"), line[-1], a.get("country"))
        )
        db.executemany("INSERT OR IGNORE INTO actor_tree VALUES (?,?)", [(anc, aid) for anc in line])
    for actor in registry.values():
        db.execute("INSERT INTO actors VALUES (?,?)", (actor["id"], orjson.dumps(actor)))
        names = {actor["id"], actor.get("name") or "", *(actor.get("aliases") or ())}
        db.executemany(
            "INSERT OR IGNORE INTO actor_names VALUES (?,?)",
            [(n.casefold(), actor["id"]) for n in names if n],
        )


def _write_places(db: sqlite3.Connection, package: Path) -> None:
    for place in package_places(package):
        db.execute("INSERT INTO places VALUES (?,?)", (place["slug"], orjson.dumps(place)))


def build_index(package: Path, info: PackageInfo, target: Path) -> None:
    """Write the SQLite index of a verified package to `target` (atomically)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    try:
        db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192;")
        db.executescript(DDL)
        count = _write_events(db, package)
        db.executemany("INSERT INTO changes VALUES (?,?,?,?,?)", _changes(package))
        _write_actors(db, package)
        _write_places(db, package)
        for ddl in INDEXES:
            db.execute(ddl)
        meta = {
            "package_sha256": info.sha256,
            "layout": str(LAYOUT_VERSION),
            "version": info.version,
            "name": info.name,
            "events": str(count),
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
