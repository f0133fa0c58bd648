"""The one argument checker of the query methods, online (`Client`) and offline (`open_release`).

A bad argument raises the same `InvalidArgument` with the same message whichever runs the query,
before anything is sent or read. Mirror of the server's value rules (`openstrikes.index.values`):
the API would answer 422 to the same values.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, get_args

from ._errors import InvalidArgument
from ._filters import GroupKey, SortKey, check_filters, server_words
from ._models import Event, GeoPrecision, Outcome, Status, StrikeType, WaterBody

MAX_TEXT = 200
MAX_LIST_ITEMS = 50
MAX_PAGE_SIZE = 1000
MAX_COUNT = 999_999_999
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
EVENT_FIELDS = tuple(f.name for f in dataclasses.fields(Event))

Rule = Callable[[str, Any], None]


def _fail(name: str, rule: str, value: Any) -> InvalidArgument:
    return InvalidArgument(name, f"expected {rule}, got {value!r}")


def _date(name: str, v: Any) -> None:
    if not isinstance(v, date) or isinstance(v, datetime):
        raise _fail(name, "a datetime.date", v)


def _datetime(name: str, v: Any) -> None:
    if not isinstance(v, datetime):
        raise _fail(name, "a datetime.datetime", v)


def _text(name: str, v: Any) -> None:
    if not isinstance(v, str) or not v or len(v) > MAX_TEXT or any(ord(c) < 32 for c in v):
        raise _fail(name, f"a text of 1 to {MAX_TEXT} printable characters", v)


def _search(name: str, v: Any) -> None:
    _text(name, v)
    if not server_words(v):
        raise _fail(name, "words (at least one letter or digit)", v)


def _pattern(regex: re.Pattern[str], what: str) -> Rule:
    def check(name: str, v: Any) -> None:
        if not isinstance(v, str) or not regex.match(v):
            raise _fail(name, what, v)

    return check


def _choice(options: tuple[str, ...]) -> Rule:
    def check(name: str, v: Any) -> None:
        if v not in options:
            raise _fail(name, "one of " + ", ".join(options), v)

    return check


def _count(name: str, v: Any) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_COUNT:
        raise _fail(name, f"a whole number from 0 to {MAX_COUNT}", v)


def _bool(name: str, v: Any) -> None:
    if not isinstance(v, bool):
        raise _fail(name, "True or False", v)


def _numbers(name: str, v: Any, n: int, what: str) -> list[float]:
    if (
        isinstance(v, str | bytes)
        or not isinstance(v, Sequence)
        or len(v) != n
        or not all(isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v)
    ):
        raise _fail(name, what, v)
    return [float(x) for x in v]


def _bbox(name: str, v: Any) -> None:
    what = "(min_lon, min_lat, max_lon, max_lat) with min <= max, lon in [-180, 180], lat in [-90, 90]"
    min_lon, min_lat, max_lon, max_lat = _numbers(name, v, 4, what)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise _fail(name, what, v)


def _point(name: str, v: Any) -> None:
    what = "(lat, lon) with lat in [-90, 90] and lon in [-180, 180]"
    lat, lon = _numbers(name, v, 2, what)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise _fail(name, what, v)


def _km(name: str, v: Any) -> None:
    what = "a distance in km greater than 0 and at most 20000"
    (km,) = _numbers(name, [v], 1, what)
    if not 0 < km <= 20000:
        raise _fail(name, what, v)


_COUNTRY = _pattern(COUNTRY, "an ISO 3166-1 alpha-2 code such as 'SY'")
_SLUG = _pattern(SLUG, "a slug (lower-case letters, digits and single hyphens)")

RULES: dict[str, Rule] = {
    "date_start": _date,
    "date_end": _date,
    "country": _COUNTRY,
    "admin1": _text,
    "actor": _text,
    "attacker": _text,
    "attacker_group": _text,
    "attacker_country": _COUNTRY,
    "target": _text,
    "target_group": _text,
    "target_country": _COUNTRY,
    "strike_type": _choice(get_args(StrikeType)),
    "status": _choice(get_args(Status)),
    "outcome": _choice(get_args(Outcome)),
    "geo_precision": _choice(get_args(GeoPrecision)),
    "water_body": _choice(get_args(WaterBody)),
    "at_sea": _bool,
    "place": _SLUG,
    "vessel": _text,
    "flag": _COUNTRY,
    "killed": _count,
    "injured": _count,
    "civilians_killed": _count,
    "tag": _SLUG,
    "operation": _SLUG,
    "q": _search,
    "bbox": _bbox,
    "near": _point,
    "radius_km": _km,
    "modified_since": _datetime,
    "include_withdrawn": _bool,
    "geo_fallback": _choice(("admin",)),
}


def check_filter_values(filters: Mapping[str, Any]) -> None:
    """TypeError for a name that is not a filter; InvalidArgument for a bad value (None: not given)."""
    check_filters(filters)
    for name, value in filters.items():
        if value is None:
            continue
        field, _, op = name.partition("__")
        rule = RULES[field]
        if op == "in":
            if isinstance(value, str | bytes) or not isinstance(value, Sequence):
                raise _fail(name, "a list or tuple of values", value)
            if not 1 <= len(value) <= MAX_LIST_ITEMS:
                raise _fail(name, f"1 to {MAX_LIST_ITEMS} values", value)
            for item in value:
                rule(name, item)
                if isinstance(item, str) and "," in item:
                    raise _fail(name, "values without commas (a list is sent comma-separated)", item)
        else:
            rule(name, value)


def check_query(
    filters: Mapping[str, Any],
    *,
    sort: str | None = None,
    page: int | None = None,
    page_size: int | None = None,
    fields: Sequence[str] | None = None,
) -> None:
    """Every argument of an event query: filters, sort, page, page_size and fields."""
    check_filter_values(filters)
    if sort is not None:
        _choice(get_args(SortKey))("sort", sort)
        if sort == "distance" and filters.get("near") is None:
            raise TypeError("sort='distance' needs `near` and `radius_km`")
    if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
        raise _fail("page", "a whole number from 1", page)
    if page_size is not None and (
        isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE
    ):
        raise _fail("page_size", f"a whole number from 1 to {MAX_PAGE_SIZE}", page_size)
    if fields is not None:
        if isinstance(fields, str | bytes) or not isinstance(fields, Sequence):
            raise _fail("fields", "a list of event field names", fields)
        for f in fields:
            if f not in EVENT_FIELDS:
                raise _fail("fields", "names of event fields (" + ", ".join(EVENT_FIELDS) + ")", f)


def check_group_by(group_by: Sequence[str] | str, fill: bool = False) -> list[str]:
    """The group keys of an aggregate, checked (1 to 4 distinct keys; with `fill`, exactly one
    time key)."""
    keys = group_by.split(",") if isinstance(group_by, str) else list(group_by)
    options = get_args(GroupKey)
    if not keys:
        raise _fail("group_by", "1 to 4 of " + ", ".join(options), group_by)
    for k in keys:
        _choice(options)("group_by", k)
    if len(set(keys)) != len(keys) or len(keys) > 4:
        raise _fail("group_by", "1 to 4 distinct keys", group_by)
    _bool("fill", fill)
    if fill and sum(k in ("year", "month", "week", "day") for k in keys) != 1:
        raise _fail("group_by", "exactly one of year, month, week, day with fill=True", group_by)
    return [str(k) for k in keys]
