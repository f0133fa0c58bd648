"""The event filters, sorts and group keys, declared once, and the SQL they make.

`FILTERS` is the one table of filters: field, operators, value type, meaning. From it come the SQL
(bound parameters only: `where_clause`), the strict parsing of query arguments and the OpenAPI
and HTML reference (`openstrikes.index.params`). A filter missing from any of them cannot happen:
they all iterate the same table. A filter whose `type` is None takes the values the event schema
of the release enumerates for its field.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from openstrikes.geo import EARTH_RADIUS_KM
from openstrikes.index.text import search_words
from openstrikes.index.values import STRING, TYPES, ValueType, bad

Built = tuple[str, list[Any]]


@dataclass(frozen=True)
class Filter:
    """One filter: `field` with its operators; each operator is one query parameter
    (`eq` -> `field`, others -> `field__op`)."""

    field: str
    type: ValueType | None  # None: one of the values the event schema enumerates for `field`
    ops: tuple[str, ...]
    description: str
    sql: str  # SQL kind: column|casualty|actor|actor_group|actor_country|at_sea|vessel|flag|tag|fts|bbox|near|radius|modified|withdrawn
    column: str = ""
    role: str | None = None

    def param(self, op: str) -> str:
        return self.field if op == "eq" else f"{self.field}__{op}"


OP_TEXT = {
    "eq": "equal to",
    "in": "one of (comma-separated)",
    "gte": "at least (inclusive)",
    "lte": "at most (inclusive)",
}

# Mirror: the client's offline engine (openstrikes_client._filters: EventFilters, predicates)
# implements these filters again over a downloaded release, since the client imports nothing of
# the server; the parity tests hold its names, operators and answers to this table.


def _search(name: str, raw: str) -> str:
    text = str(TYPES["text"].parse(name, raw))
    if not search_words(text):
        raise bad(
            name,
            f"{raw!r} has no word to search for: q matches words (letters and digits); "
            'operators and punctuation such as * " ( are not supported',
        )
    return text


SEARCH = ValueType(_search, STRING, "words: text with at least one letter or digit")

FILTERS: tuple[Filter, ...] = (
    Filter(
        "date_start", TYPES["date"], ("gte", "lte"), "First local date of the strike.", "column", "date_start"
    ),
    Filter("date_end", TYPES["date"], ("gte", "lte"), "Last local date of the strike.", "column", "date_end"),
    Filter(
        "country", TYPES["country"], ("eq", "in"), "Country where the strike landed.", "column", "country"
    ),
    Filter(
        "admin1", TYPES["text"], ("eq",), "First-level administrative division, exactly.", "column", "admin1"
    ),
    Filter(
        "actor",
        TYPES["text"],
        ("eq",),
        "Attacker or target actor: an actor id, name or alias (any case).",
        "actor",
    ),
    Filter(
        "attacker",
        TYPES["text"],
        ("eq", "in"),
        "Attacking actor: id, name or alias.",
        "actor",
        role="attacker",
    ),
    Filter(
        "attacker_group",
        TYPES["text"],
        ("eq", "in"),
        "Attacking actor or any actor under it in the registry (via `parent`): id, name or alias.",
        "actor_group",
        role="attacker",
    ),
    Filter(
        "attacker_country",
        TYPES["country"],
        ("eq", "in"),
        "Attacking actor's country in the registry (ISO 3166-1 alpha-2), e.g. US: every US force.",
        "actor_country",
        role="attacker",
    ),
    Filter(
        "target", TYPES["text"], ("eq", "in"), "Targeted actor: id, name or alias.", "actor", role="target"
    ),
    Filter(
        "target_group",
        TYPES["text"],
        ("eq", "in"),
        "Targeted actor or any actor under it in the registry (via `parent`): id, name or alias.",
        "actor_group",
        role="target",
    ),
    Filter(
        "target_country",
        TYPES["country"],
        ("eq", "in"),
        "Targeted actor's country in the registry (ISO 3166-1 alpha-2).",
        "actor_country",
        role="target",
    ),
    Filter("strike_type", None, ("eq", "in"), "Kind of strike.", "column", "strike_type"),
    Filter("status", None, ("eq", "in"), "Who vouches for the event.", "column", "status"),
    Filter("outcome", None, ("eq", "in"), "Whether the strike hit.", "column", "outcome"),
    Filter(
        "geo_precision",
        None,
        ("eq", "in"),
        "What the coordinates stand for.",
        "column",
        "geo_precision",
    ),
    Filter(
        "killed",
        TYPES["count"],
        ("gte", "lte"),
        "People killed: __gte compares with the highest reported figure, __lte with the lowest; "
        "events with unknown figures never match.",
        "casualty",
        "killed",
    ),
    Filter("injured", TYPES["count"], ("gte", "lte"), "People injured (as killed).", "casualty", "injured"),
    Filter(
        "civilians_killed",
        TYPES["count"],
        ("gte", "lte"),
        "Civilians killed (as killed).",
        "casualty",
        "civilians_killed",
    ),
    Filter("water_body", None, ("eq", "in"), "Body of water of an event at sea.", "column", "water_body"),
    Filter(
        "at_sea",
        TYPES["bool"],
        ("eq",),
        "true: only events at sea (with a water_body); false: only events on land.",
        "at_sea",
    ),
    Filter(
        "place",
        TYPES["slug"],
        ("eq",),
        "Events naming this place of the registry (its slug).",
        "column",
        "place",
    ),
    Filter(
        "vessel",
        TYPES["text"],
        ("eq",),
        "Events against this ship: its IMO number, or its name (any case).",
        "vessel",
    ),
    Filter(
        "flag",
        TYPES["country"],
        ("eq",),
        "Events against a ship flying this flag (ISO 3166-1 alpha-2).",
        "flag",
    ),
    Filter("tag", TYPES["slug"], ("eq",), "Events carrying this tag.", "tag"),
    Filter(
        "operation", TYPES["slug"], ("eq",), "Events of this multi-site operation.", "column", "operation"
    ),
    Filter(
        "q",
        SEARCH,
        ("eq",),
        "Full text: every word must appear in the summary, place names, operation or source titles.",
        "fts",
    ),
    Filter(
        "bbox",
        TYPES["bbox"],
        ("eq",),
        "Bounding box min_lon,min_lat,max_lon,max_lat (WGS84, inclusive); events without coordinates never match.",
        "bbox",
    ),
    Filter("near", TYPES["point"], ("eq",), "Centre lat,lon of a circle; needs radius_km.", "near"),
    Filter("radius_km", TYPES["km"], ("eq",), "Radius of the `near` circle in km; needs near.", "radius"),
    Filter(
        "modified_since",
        TYPES["datetime"],
        ("eq",),
        "Events whose record changed at or after this time.",
        "modified",
    ),
    Filter(
        "include_withdrawn",
        TYPES["bool"],
        ("eq",),
        "Include withdrawn events (left out by default).",
        "withdrawn",
    ),
)


# --- sorts and groups ----------------------------------------------------------------------------

# Mirror: openstrikes_client._filters.sort_key sorts offline by the same keys (parity-tested).
SORTS: dict[str, str] = {
    "id": "events.rid",
    "date_start": "events.date_start",
    "date_end": "events.date_end",
    "modified": "events.modified_utc",
    "killed": "events.killed_sort",
    "injured": "events.injured_sort",
    "civilians_killed": "events.civilians_killed_sort",
}
SORT_OPTIONS = tuple(x for k in SORTS for x in (k, "-" + k))

# The joins a group key needs (by alias), in the order they are made.
JOINS: dict[str, str] = {
    "att": " JOIN event_actors att ON att.rid = events.rid AND att.role = 'attacker'",
    "atti": " LEFT JOIN actor_info atti ON atti.id = att.actor",
    "tgt": " LEFT JOIN event_actors tgt ON tgt.rid = events.rid AND tgt.role = 'target'",
    "tg": " LEFT JOIN event_tags tg ON tg.rid = events.rid",
}


@dataclass(frozen=True)
class GroupKey:
    """One group_by key: its SQL expression and the joins it needs."""

    sql: str
    joins: tuple[str, ...] = ()
    description: str = ""


# Mirror: openstrikes_client._aggregate groups offline by the same keys (parity-tested).
# Keys over several values of an event (attackers, targets, tags) put it in each of their rows,
# once per row however many of its values fall in that row.
GROUP_KEY_TABLE: dict[str, GroupKey] = {
    "country": GroupKey("events.country"),
    "admin1": GroupKey("events.admin1"),
    "admin2": GroupKey("events.admin2"),
    "year": GroupKey("substr(events.date_start, 1, 4)"),
    "month": GroupKey("substr(events.date_start, 1, 7)"),
    "week": GroupKey(
        "date(events.date_start, '-' || ((CAST(strftime('%w', events.date_start) AS INTEGER) + 6) % 7) || ' days')",
        description="the Monday (ISO date) of the week of date_start",
    ),
    "day": GroupKey("events.date_start"),
    "strike_type": GroupKey("events.strike_type"),
    "status": GroupKey("events.status"),
    "outcome": GroupKey("events.outcome"),
    "geo_precision": GroupKey("events.geo_precision"),
    "water_body": GroupKey("events.water_body"),
    "place": GroupKey("events.place"),
    "operation": GroupKey("events.operation"),
    "attacker": GroupKey("att.actor", ("att",)),
    "attacker_group": GroupKey("atti.root", ("att", "atti"), "the top actor of an attacker (via parent)"),
    "attacker_country": GroupKey("atti.country", ("att", "atti"), "the country of an attacker"),
    "attribution": GroupKey("att.attribution", ("att",)),
    "target": GroupKey("tgt.actor", ("tgt",)),
    "tag": GroupKey("tg.tag", ("tg",)),
}
GROUP_KEYS: dict[str, str] = {k: g.sql for k, g in GROUP_KEY_TABLE.items()}
TIME_KEYS = ("year", "month", "week", "day")
MULTI_KEYS = frozenset(k for k, g in GROUP_KEY_TABLE.items() if g.joins)

# --- SQL -----------------------------------------------------------------------------------------


@dataclass
class Where:
    """A WHERE clause (bound parameters only) and what it was built from."""

    sql: str
    params: tuple[Any, ...]
    key: str = field(default="")  # canonical text of the filters, for cursors and ETags


def _column(f: Filter, op: str, value: Any) -> Built:
    col = f"events.{f.column}"
    if op == "eq":
        return f"{col} = ?", [value]
    if op == "in":
        return f"{col} IN ({','.join('?' * len(value))})", list(value)
    return f"{col} {'>=' if op == 'gte' else '<='} ?", [value]


BY_PARAM: dict[str, tuple[Filter, str]] = {f.param(op): (f, op) for f in FILTERS for op in f.ops}


def where_clause(values: Mapping[str, Any], actor_ids: Callable[[str], list[str]]) -> Where:
    """The WHERE clause over `events` for parsed filter values (non-filter values are ignored)."""
    parts: list[str] = []
    params: list[Any] = []
    if not values.get("include_withdrawn", False):
        parts.append("events.withdrawn = 0")
    for name in sorted(values):
        if name not in BY_PARAM:
            continue
        f, op = BY_PARAM[name]
        value = values[name]
        if f.sql == "column":
            sql, ps = _column(f, op, value)
        elif f.sql == "casualty":
            col = f"events.{f.column}_{'max' if op == 'gte' else 'min'}"
            sql, ps = f"{col} {'>=' if op == 'gte' else '<='} ?", [value]
        elif f.sql in ("actor", "actor_group"):
            ids = sorted({i for v in (value if op == "in" else [value]) for i in actor_ids(v)})
            role = " AND role = ?" if f.role else ""
            marks = ",".join("?" * len(ids))
            within = (
                f"actor IN ({marks})"
                if f.sql == "actor"
                else f"actor IN (SELECT actor FROM actor_tree WHERE ancestor IN ({marks}))"
            )
            sql = f"events.rid IN (SELECT rid FROM event_actors WHERE {within}{role})"
            ps = [*ids, *([f.role] if f.role else [])]
        elif f.sql == "actor_country":
            countries = list(value) if op == "in" else [value]
            sql = (
                "events.rid IN (SELECT ea.rid FROM event_actors ea JOIN actor_info ai ON ai.id = ea.actor "
                f"WHERE ea.role = ? AND ai.country IN ({','.join('?' * len(countries))}))"
            )
            ps = [f.role, *countries]
        elif f.sql == "at_sea":
            sql, ps = f"events.water_body IS {'NOT ' if value else ''}NULL", []
        elif f.sql == "vessel":
            sql = "events.rid IN (SELECT rid FROM event_vessels WHERE imo = ? OR name_cf = ?)"
            ps = [value, value.casefold()]
        elif f.sql == "flag":
            sql, ps = "events.rid IN (SELECT rid FROM event_vessels WHERE flag = ?)", [value]
        elif f.sql == "tag":
            sql, ps = "events.rid IN (SELECT rid FROM event_tags WHERE tag = ?)", [value]
        elif f.sql == "fts":
            words = search_words(value)
            if not words:
                continue
            sql = "events.rid IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"
            ps = [" ".join(f'"{w}"' for w in words)]
        elif f.sql == "bbox":
            min_lon, min_lat, max_lon, max_lat = value
            sql = (
                "events.rid IN (SELECT rid FROM events_geo WHERE max_lat >= ? AND min_lat <= ? AND max_lon >= ? "
                "AND min_lon <= ?) AND events.latitude BETWEEN ? AND ? AND events.longitude BETWEEN ? AND ?"
            )
            ps = [min_lat, max_lat, min_lon, max_lon, min_lat, max_lat, min_lon, max_lon]
        elif f.sql == "near":
            lat, lon = value
            km = float(values["radius_km"])
            dlat = math.degrees(km / EARTH_RADIUS_KM) * 1.01 + 1e-9
            coslat = math.cos(math.radians(min(89.999, abs(lat) + dlat)))
            dlon = 180.0 if coslat <= 1e-6 else min(180.0, dlat / coslat)
            sql = (
                "events.rid IN (SELECT rid FROM events_geo WHERE max_lat >= ? AND min_lat <= ?"
                + ("" if dlon >= 180 or abs(lon) + dlon > 180 else " AND max_lon >= ? AND min_lon <= ?")
                + ") AND distance_km(events.latitude, events.longitude, ?, ?) <= ?"
            )
            ps = [lat - dlat, lat + dlat]
            if not (dlon >= 180 or abs(lon) + dlon > 180):
                ps += [lon - dlon, lon + dlon]
            ps += [lat, lon, km]
        elif f.sql == "modified":
            sql, ps = "events.modified_utc >= ?", [value]
        else:  # radius (read with near), withdrawn (above)
            continue
        parts.append(sql)
        params.extend(ps)
    key = orjson.dumps({k: values[k] for k in sorted(values) if k in BY_PARAM}).decode()
    return Where(" AND ".join(parts) or "1", tuple(params), key)


GEO_PARAMS = ("bbox", "near", "radius_km")


def without_coordinates_clause(
    values: Mapping[str, Any], actor_ids: Callable[[str], list[str]]
) -> Where | None:
    """For a query with a geo filter: the events its other filters match that have no coordinates
    (which the geo filter leaves out); None without a geo filter."""
    if not any(k in values for k in GEO_PARAMS):
        return None
    rest = where_clause({k: v for k, v in values.items() if k not in GEO_PARAMS}, actor_ids)
    return Where(f"{rest.sql} AND events.latitude IS NULL", rest.params, rest.key)
