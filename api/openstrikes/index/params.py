"""The query parameters of each endpoint, read strictly, and documented (OpenAPI and HTML).

The parameters depend on the event schema of a release (the values of its enumerations, its field
names): `params_for(schema)` makes an endpoint's parameter lists for one schema (cached), so each
release is queried with the schema bundled in it.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from openstrikes.index.filters import FILTERS, GROUP_KEYS, OP_TEXT, SORT_OPTIONS, Filter
from openstrikes.index.values import TYPES, ParamError, ValueType, bad, choice, count, enum_type

MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 50
MAX_LIST_ITEMS = 50
FORMATS = ("json", "csv", "geojson", "ndjson")
MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "geojson": "application/geo+json",
    "ndjson": "application/x-ndjson",
}


@dataclass(frozen=True)
class Param:
    """One query parameter of an endpoint."""

    name: str
    type: ValueType
    description: str
    filter: Filter | None = None
    op: str = "eq"
    many: bool = False  # a comma-separated list


def filter_params(schema: dict[str, Any]) -> list[Param]:
    """Every query parameter the filter table defines, for releases of this event schema."""
    out = []
    for f in FILTERS:
        vtype = f.type if f.type is not None else enum_type(schema, f.field)
        for op in f.ops:
            desc = f"{f.description} Operator: {OP_TEXT[op]}. Value: {vtype.rule}."
            out.append(Param(f.param(op), vtype, desc, f, op, many=op == "in"))
    return out


DISTANCE_SORT = "distance"  # nearest first; needs near (index/nearby.py)
EVENT_SORTS = (*SORT_OPTIONS, DISTANCE_SORT)
GEO_FALLBACKS = ("admin",)


def _sort(name: str, raw: str) -> str:
    return choice(EVENT_SORTS)(name, raw)


def _page(name: str, raw: str) -> int:
    n = count(name, raw)
    if n < 1:
        raise bad(name, "must be at least 1")
    return n


def _page_size(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise bad(name, f"expected a whole number from 1 to {MAX_PAGE_SIZE}, got {raw!r}")
    n = int(raw)
    if not 1 <= n <= MAX_PAGE_SIZE:
        raise bad(name, f"must be from 1 to {MAX_PAGE_SIZE} (the maximum; use the cursor to walk further)")
    return n


def _fields_type(event_fields: tuple[str, ...]) -> Callable[[str, str], list[str]]:
    def parse(name: str, raw: str) -> list[str]:
        wanted = raw.split(",")
        for w in wanted:
            if w not in event_fields:
                close = difflib.get_close_matches(w, event_fields, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise bad(name, f"{w!r} is not a field of an event{hint}")
        return wanted

    return parse


def _group_by(name: str, raw: str) -> list[str]:
    keys = raw.split(",")
    for k in keys:
        choice(tuple(GROUP_KEYS))(name, k)
    if len(set(keys)) != len(keys):
        raise bad(name, "names a key twice")
    if len(keys) > 4:
        raise bad(name, "at most 4 keys")
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
        ValueType(_sort, {"type": "string", "enum": list(EVENT_SORTS)}, "a sort key"),
        "Order: id (default), date_start, date_end, modified, or killed, injured, civilians_killed "
        "(by the highest figure; unknown sorts below 0); "
        "a leading '-' reverses; ties go by id. `distance` (with near): nearest first, events "
        "without coordinates (from geo_fallback) last.",
    ),
    Param(
        "cursor",
        ValueType(_cursor_text, {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"}, "an opaque cursor"),
        "Opaque position from `next_cursor`: the next page of the same query; cost does not grow with depth.",
    ),
]
GEO_FALLBACK_PARAM = Param(
    "geo_fallback",
    ValueType(choice(GEO_FALLBACKS), {"type": "string", "enum": list(GEO_FALLBACKS)}, "admin"),
    "With bbox or near: admin also matches events without coordinates whose admin area reaches "
    "into the query area, i.e. a located event inside the query area names the same admin2 (or, "
    "for an event located only to its admin1, the same admin1). Country-only and unlocated sea "
    "events never match; areas without any located event inside the query area are missed.",
)
FORMAT_PARAM = Param(
    "format",
    ValueType(choice(FORMATS), {"type": "string", "enum": list(FORMATS)}, "json, csv, geojson or ndjson"),
    "Output: json (pages; default), or csv, geojson, ndjson (every matching event, streamed). "
    "Also chosen by the Accept header.",
)
FLAT_PARAM = Param(
    "flat",
    TYPES["bool"],
    "With format=csv: true gives the flat table (as events_flat.csv): one row per event with "
    "attacker and target ids and names, and casualty figures as low/best/high.",
)
GROUP_PARAM = Param(
    "group_by",
    ValueType(
        _group_by,
        {"type": "string", "pattern": "^({0})(,({0}))*$".format("|".join(GROUP_KEYS))},
        "comma-separated group keys",
    ),
    "Comma-separated keys to group by (at most 4): "
    + ", ".join(GROUP_KEYS)
    + ". `week` is the Monday of the week; `attacker_group` the top actor of an attacker (via "
    "`parent`). An event counts once per row: two US ids in one event count once in "
    "attacker_country=US, but an event with attackers of two countries counts in both rows.",
)
FILL_PARAM = Param(
    "fill",
    TYPES["bool"],
    "true: also return zero rows for the periods without events (group_by needs exactly one of "
    "year, month, week, day), from date_start__gte (else the first period found) to "
    "date_start__lte (else the last), for each combination of the other keys found.",
)
SINCE_PARAM = Param(
    "since",
    TYPES["datetime"],
    "Changes strictly after this time (pass the previous answer's `until`); all changes when left out.",
)

CHANGES_PARAMS = [SINCE_PARAM]
RELATED_PARAMS = [
    Param(
        "depth",
        ValueType(_page, {"type": "integer", "minimum": 1}, "a whole number from 1"),
        "Follow links at most this many steps from the event (default: the whole chain).",
    )
]


def fields_param(schema: dict[str, Any]) -> Param:
    """`fields=`: names of the event schema's top-level properties."""
    return Param(
        "fields",
        ValueType(
            _fields_type(tuple(schema["properties"])),
            {"type": "string", "pattern": r"^[a-z0-9_]+(,[a-z0-9_]+)*$"},
            "field names",
        ),
        "Comma-separated event fields to keep (json, ndjson, geojson); `id` is always kept.",
    )


@dataclass(frozen=True)
class ParamSet:
    """The query parameters of each endpoint for releases of one event schema."""

    schema_version: str
    events: list[Param]
    aggregates: list[Param]
    changes: list[Param]


_SETS: dict[str, ParamSet] = {}


def params_for(schema: dict[str, Any]) -> ParamSet:
    """The endpoints' parameters for this event schema (one set per distinct schema text)."""
    key = hashlib.sha256(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS)).hexdigest()
    found = _SETS.get(key)
    if found is None:
        filters = filter_params(schema)
        found = _SETS[key] = ParamSet(
            str(schema.get("x-schema-version", "")),
            [*filters, *PAGE_PARAMS, fields_param(schema), FORMAT_PARAM, FLAT_PARAM, GEO_FALLBACK_PARAM],
            [*filters, GROUP_PARAM, FILL_PARAM],
            CHANGES_PARAMS,
        )
    return found


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
                raise bad(name, f"expected 1 to {MAX_LIST_ITEMS} comma-separated values")
            out[name] = [p.type.parse(name, v) for v in items]
        else:
            out[name] = p.type.parse(name, raw)
    if ("near" in out) != ("radius_km" in out):
        missing = "radius_km" if "near" in out else "near"
        raise bad(missing, "`near` and `radius_km` go together")
    if out.get("sort") == DISTANCE_SORT and "near" not in out:
        raise bad("sort", "distance needs `near` and `radius_km`")
    if "geo_fallback" in out and not ("near" in out or "bbox" in out):
        raise bad("geo_fallback", "needs `bbox` or `near`")
    return out
