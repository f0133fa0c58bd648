"""The event filters and sorts, declared once.

`FILTERS` is the one table of filters: field, operators, value type, meaning. From it come the SQL
(bound parameters only: `where_clause`), the strict parsing of query arguments (`parse_args`), the
OpenAPI parameter objects (`openapi_parameters`) and the HTML reference (`docs_rows`). A filter
missing from any of them cannot happen: they all iterate the same table.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from openstrikes.geo import EARTH_RADIUS_KM
from openstrikes.index.store import search_words
from openstrikes.schema_files import event_schema
from openstrikes.timefmt import utc_key

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
MAX_LIST_ITEMS = 50
MAX_TEXT = 200
FORMATS = ("json", "csv", "geojson", "ndjson")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "geojson": "application/geo+json",
    "ndjson": "application/x-ndjson",
}


class ParamError(Exception):
    """A query argument is unknown (400) or has a bad value (422)."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter


def _bad(name: str, rule: str) -> ParamError:
    return ParamError(422, "invalid_value", f"{name}: {rule}", name)


# --- value types ----------------------------------------------------------------------------------


def _enum_of(prop: str) -> tuple[str, ...]:
    return tuple(str(v) for v in event_schema()["properties"][prop]["enum"])


SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|z|[+-]\d{2}:\d{2})$")
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


@dataclass(frozen=True)
class ValueType:
    """How one value is read from text, and its JSON Schema for the OpenAPI text."""

    parse: Callable[[str, str], Any]
    schema: dict[str, Any]
    rule: str  # said in the docs


def _date(name: str, raw: str) -> str:
    try:
        if not DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        raise _bad(name, f"expected a date YYYY-MM-DD, got {raw!r}") from None


def _datetime(name: str, raw: str) -> str:
    try:
        if not DATETIME.match(raw):
            raise ValueError
        return utc_key(raw)
    except (ValueError, OverflowError):
        raise _bad(name, f"expected an RFC 3339 date-time with a time zone, got {raw!r}") from None


def _count(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise _bad(name, f"expected a whole number from 0 to 999999999, got {raw!r}")
    return int(raw)


def _bool(name: str, raw: str) -> bool:
    if raw not in ("true", "false"):
        raise _bad(name, f"expected true or false, got {raw!r}")
    return raw == "true"


def _text(name: str, raw: str) -> str:
    if not raw or len(raw) > MAX_TEXT or any(ord(c) < 32 for c in raw):
        raise _bad(name, f"expected 1 to {MAX_TEXT} printable characters")
    return raw


def _pattern(regex: re.Pattern[str], what: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if not regex.match(raw):
            raise _bad(name, f"expected {what}, got {raw!r}")
        return raw

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in options:
            close = difflib.get_close_matches(raw, options, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _bad(name, f"expected one of {', '.join(options)}, got {raw!r}{hint}")
        return raw

    return parse


def _numbers(name: str, raw: str, n: int) -> list[float]:
    parts = raw.split(",")
    if len(parts) != n or not all(NUMBER.match(p.strip()) for p in parts):
        raise _bad(name, f"expected {n} comma-separated numbers, got {raw!r}")
    return [float(p) for p in parts]


def _bbox(name: str, raw: str) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = _numbers(name, raw, 4)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise _bad(
            name,
            "expected min_lon,min_lat,max_lon,max_lat with min <= max, lon in [-180, 180], lat in [-90, 90]",
        )
    return min_lon, min_lat, max_lon, max_lat


def _point(name: str, raw: str) -> tuple[float, float]:
    lat, lon = _numbers(name, raw, 2)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _bad(name, "expected lat,lon with lat in [-90, 90] and lon in [-180, 180]")
    return lat, lon


def _km(name: str, raw: str) -> float:
    (km,) = _numbers(name, raw, 1)
    if not (0 < km <= 20000):
        raise _bad(name, f"expected a distance in km greater than 0 and at most 20000, got {raw!r}")
    return km


STRING = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
TYPES: dict[str, ValueType] = {
    "date": ValueType(_date, {"type": "string", "format": "date"}, "a date YYYY-MM-DD"),
    "datetime": ValueType(
        _datetime, {"type": "string", "format": "date-time"}, "an RFC 3339 date-time with a time zone"
    ),
    "count": ValueType(_count, {"type": "integer", "minimum": 0, "maximum": 999999999}, "a whole number"),
    "bool": ValueType(_bool, {"type": "boolean"}, "true or false"),
    "text": ValueType(_text, STRING, f"text, at most {MAX_TEXT} characters"),
    "country": ValueType(
        _pattern(COUNTRY, "an ISO 3166-1 alpha-2 code such as IQ"),
        {"type": "string", "pattern": COUNTRY.pattern},
        "an ISO 3166-1 alpha-2 code",
    ),
    "slug": ValueType(
        _pattern(SLUG, "a lower-case slug such as border-area"),
        {"type": "string", "pattern": SLUG.pattern, "maxLength": MAX_TEXT},
        "a lower-case slug",
    ),
    "bbox": ValueType(
        _bbox,
        {"type": "string", "pattern": r"^-?[0-9.]+,-?[0-9.]+,-?[0-9.]+,-?[0-9.]+$"},
        "min_lon,min_lat,max_lon,max_lat",
    ),
    "point": ValueType(_point, {"type": "string", "pattern": r"^-?[0-9.]+,-?[0-9.]+$"}, "lat,lon"),
    "km": ValueType(
        _km, {"type": "number", "exclusiveMinimum": 0, "maximum": 20000}, "kilometres, greater than 0"
    ),
}


def _enum_type(prop: str) -> ValueType:
    options = _enum_of(prop)
    return ValueType(
        _choice(options), {"type": "string", "enum": list(options)}, "one of " + ", ".join(options)
    )


# --- the filters ---------------------------------------------------------------------------------

Built = tuple[str, list[Any]]


@dataclass(frozen=True)
class Filter:
    """One filter: `field` with its operators; each operator is one query parameter
    (`eq` -> `field`, others -> `field__op`)."""

    field: str
    type: ValueType
    ops: tuple[str, ...]
    description: str
    sql: str  # kind of SQL: column | casualty | actor | tag | fts | bbox | near | radius | modified | withdrawn
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
        "attacker", TYPES["text"], ("eq",), "Attacking actor: id, name or alias.", "actor", role="attacker"
    ),
    Filter("target", TYPES["text"], ("eq",), "Targeted actor: id, name or alias.", "actor", role="target"),
    Filter(
        "strike_type", _enum_type("strike_type"), ("eq", "in"), "Kind of strike.", "column", "strike_type"
    ),
    Filter("status", _enum_type("status"), ("eq", "in"), "Who vouches for the event.", "column", "status"),
    Filter("outcome", _enum_type("outcome"), ("eq", "in"), "Whether the strike hit.", "column", "outcome"),
    Filter(
        "geo_precision",
        _enum_type("geo_precision"),
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
    Filter("tag", TYPES["slug"], ("eq",), "Events carrying this tag.", "tag"),
    Filter(
        "operation", TYPES["slug"], ("eq",), "Events of this multi-site operation.", "column", "operation"
    ),
    Filter(
        "q",
        TYPES["text"],
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


@dataclass(frozen=True)
class Param:
    """One query parameter of an endpoint."""

    name: str
    type: ValueType
    description: str
    filter: Filter | None = None
    op: str = "eq"
    many: bool = False  # a comma-separated list


def filter_params() -> list[Param]:
    """Every query parameter the filter table defines."""
    out = []
    for f in FILTERS:
        for op in f.ops:
            desc = f"{f.description} Operator: {OP_TEXT[op]}. Value: {f.type.rule}."
            out.append(Param(f.param(op), f.type, desc, f, op, many=op == "in"))
    return out


# --- sorts, paging, output -----------------------------------------------------------------------

SORTS: dict[str, str] = {
    "id": "events.rid",
    "date_start": "events.date_start",
    "date_end": "events.date_end",
    "modified": "events.modified_utc",
    "killed": "events.killed_sort",
}
SORT_OPTIONS = tuple(x for k in SORTS for x in (k, "-" + k))
GROUP_KEYS: dict[str, str] = {
    "country": "events.country",
    "admin1": "events.admin1",
    "year": "substr(events.date_start, 1, 4)",
    "month": "substr(events.date_start, 1, 7)",
    "strike_type": "events.strike_type",
    "status": "events.status",
    "outcome": "events.outcome",
    "geo_precision": "events.geo_precision",
    "attacker": "att.actor",
}
EVENT_FIELDS = tuple(event_schema()["properties"])


def _sort(name: str, raw: str) -> str:
    return _choice(SORT_OPTIONS)(name, raw)


def _page(name: str, raw: str) -> int:
    n = _count(name, raw)
    if n < 1:
        raise _bad(name, "must be at least 1")
    return n


def _page_size(name: str, raw: str) -> int:
    n = _count(name, raw)
    if not 1 <= n <= MAX_PAGE_SIZE:
        raise _bad(name, f"must be from 1 to {MAX_PAGE_SIZE} (the maximum; use the cursor to walk further)")
    return n


def _fields(name: str, raw: str) -> list[str]:
    wanted = raw.split(",")
    for w in wanted:
        if w not in EVENT_FIELDS:
            close = difflib.get_close_matches(w, EVENT_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _bad(name, f"{w!r} is not a field of an event{hint}")
    return wanted


def _group_by(name: str, raw: str) -> list[str]:
    keys = raw.split(",")
    for k in keys:
        _choice(tuple(GROUP_KEYS))(name, k)
    if len(set(keys)) != len(keys):
        raise _bad(name, "names a key twice")
    if len(keys) > 4:
        raise _bad(name, "at most 4 keys")
    return keys


def _cursor_text(name: str, raw: str) -> str:
    if len(raw) > 1000 or not re.match(r"^[A-Za-z0-9_-]+$", raw):
        raise ParamError(400, "invalid_cursor", "cursor: not a cursor this API gave out", name)
    return raw


def _list_schema(item: dict[str, Any]) -> dict[str, Any]:
    alt = "|".join(re.escape(v) for v in item.get("enum", ())) or None
    if alt:
        return {"type": "string", "pattern": f"^({alt})(,({alt}))*$"}
    if "pattern" in item:
        inner = item["pattern"].strip("^$")
        return {"type": "string", "pattern": f"^{inner}(,{inner})*$"}
    return {"type": "string", "minLength": 1}


PAGE_PARAMS = [
    Param(
        "page", ValueType(_page, {"type": "integer", "minimum": 1}, "a page number"), "Page number (from 1)."
    ),
    Param(
        "page_size",
        ValueType(_page_size, {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, "1 to 1000"),
        f"Events per page (default {DEFAULT_PAGE_SIZE}, at most {MAX_PAGE_SIZE}; larger is refused).",
    ),
    Param(
        "sort",
        ValueType(_sort, {"type": "string", "enum": list(SORT_OPTIONS)}, "a sort key"),
        "Order: id (default), date_start, date_end, modified or killed (highest figure); "
        "a leading '-' reverses; ties go by id.",
    ),
    Param(
        "cursor",
        ValueType(_cursor_text, {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}, "an opaque cursor"),
        "Opaque position from `next_cursor`: the next page of the same query; cost does not grow with depth.",
    ),
]
FIELDS_PARAM = Param(
    "fields",
    ValueType(_fields, {"type": "string", "pattern": r"^[a-z0-9_]+(,[a-z0-9_]+)*$"}, "field names"),
    "Comma-separated event fields to keep (json, ndjson, geojson); `id` is always kept.",
)
FORMAT_PARAM = Param(
    "format",
    ValueType(_choice(FORMATS), {"type": "string", "enum": list(FORMATS)}, "json, csv, geojson or ndjson"),
    "Output: json (pages; default), or csv, geojson, ndjson (every matching event, streamed). "
    "Also chosen by the Accept header.",
)
GROUP_PARAM = Param(
    "group_by",
    ValueType(
        _group_by,
        {"type": "string", "pattern": "^({0})(,({0}))*$".format("|".join(GROUP_KEYS))},
        "comma-separated group keys",
    ),
    "Comma-separated keys to group by: "
    + ", ".join(GROUP_KEYS)
    + " (an event with two attackers counts in both).",
)
SINCE_PARAM = Param(
    "since",
    TYPES["datetime"],
    "Changes strictly after this time (pass the previous answer's `until`); all changes when left out.",
)

EVENTS_PARAMS = [*filter_params(), *PAGE_PARAMS, FIELDS_PARAM, FORMAT_PARAM]
AGGREGATE_PARAMS = [*filter_params(), GROUP_PARAM]
CHANGES_PARAMS = [SINCE_PARAM]


def param_schema(p: Param) -> dict[str, Any]:
    return _list_schema(p.type.schema) if p.many else dict(p.type.schema)


def openapi_parameters(params: list[Param]) -> list[dict[str, Any]]:
    """OpenAPI parameter objects for these query parameters."""
    return [
        {
            "name": p.name,
            "in": "query",
            "required": False,
            "description": p.description,
            "schema": param_schema(p),
        }
        for p in params
    ]


def docs_rows(params: list[Param]) -> list[tuple[str, str, str]]:
    """(name, value rule, description) rows for the HTML reference."""
    return [(p.name, ("comma-separated: " if p.many else "") + p.type.rule, p.description) for p in params]


# --- parsing -------------------------------------------------------------------------------------


_KNOWN: dict[int, tuple[list[Param], dict[str, Param]]] = {}


def _known(params: list[Param]) -> dict[str, Param]:
    """`params` by name, memoised per list object (the endpoints' lists are module constants)."""
    hit = _KNOWN.get(id(params))
    if hit is None or hit[0] is not params or len(hit[1]) != len(params):
        if len(_KNOWN) > 64:
            _KNOWN.clear()
        hit = _KNOWN[id(params)] = (params, {p.name: p for p in params})
    return hit[1]


def parse_args(args: Mapping[str, list[str]], params: list[Param]) -> dict[str, Any]:
    """Read query arguments strictly: unknown or repeated -> 400, bad value -> 422 (naming it)."""
    known = _known(params)
    out: dict[str, Any] = {}
    for name, values in args.items():
        p = known.get(name)
        if p is None:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = "none" if not known else "see /docs"
            raise ParamError(
                400, "unknown_parameter", f"unknown query parameter {name!r}{hint} (allowed: {allowed})", name
            )
        if len(values) != 1:
            raise ParamError(
                400, "repeated_parameter", f"{name} is given {len(values)} times; give it once", name
            )
        raw = values[0]
        if p.many:
            items = raw.split(",")
            if not raw or len(items) > MAX_LIST_ITEMS:
                raise _bad(name, f"expected 1 to {MAX_LIST_ITEMS} comma-separated values")
            out[name] = [p.type.parse(name, v) for v in items]
        else:
            out[name] = p.type.parse(name, raw)
    if ("near" in out) != ("radius_km" in out):
        missing = "radius_km" if "near" in out else "near"
        raise _bad(missing, "`near` and `radius_km` go together")
    return out


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
        elif f.sql == "actor":
            ids = actor_ids(value)
            role = " AND role = ?" if f.role else ""
            sql = f"events.rid IN (SELECT rid FROM event_actors WHERE actor IN ({','.join('?' * len(ids))}){role})"
            ps = [*ids, *([f.role] if f.role else [])]
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


# --- cursors -------------------------------------------------------------------------------------


def fingerprint(release_sha: str, where: Where, sort: str) -> str:
    """Ties a cursor to one release, one filter set and one sort."""
    return hashlib.blake2b(f"{release_sha}|{where.key}|{sort}".encode(), digest_size=6).hexdigest()


def encode_cursor(fp: str, value: Any, rid: int, offset: int) -> str:
    """An opaque cursor: the next page starts after (value, rid), at position `offset`."""
    raw = orjson.dumps([fp, value, rid, offset])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, fp: str) -> tuple[Any, int, int]:
    """(value, rid, offset) of a cursor of this query; ParamError if it is not one."""
    bad = ParamError(400, "invalid_cursor", "cursor: not a cursor this API gave out for this query", "cursor")
    try:
        data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not (isinstance(data, list) and len(data) == 4):
        raise bad
    got_fp, value, rid, offset = data
    if got_fp != fp:
        raise ParamError(
            400,
            "cursor_mismatch",
            "cursor: it belongs to another query or release; start again without a cursor",
            "cursor",
        )
    if not (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and isinstance(rid, int)
        and isinstance(offset, int)
        and 0 <= offset < 10**12
        and 0 <= rid < 10**12
    ):
        raise bad
    return value, rid, offset
