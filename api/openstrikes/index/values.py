"""Query argument values: how each kind is read from text (strictly), its JSON Schema and its rule
in words; and the error a bad argument raises."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from openstrikes.schema_files import EVENT_SCHEMA_FILE, packaged_schema
from openstrikes.timefmt import utc_key

MAX_TEXT = 200


class ParamError(Exception):
    """A query argument is unknown (400) or has a bad value (422)."""

    def __init__(self, status: int, code: str, message: str, parameter: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter


def bad(name: str, rule: str) -> ParamError:
    return ParamError(422, "invalid_value", f"{name}: {rule}", name)


# --- value types ----------------------------------------------------------------------------------


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
        raise bad(name, f"expected a date YYYY-MM-DD, got {raw!r}") from None


def _datetime(name: str, raw: str) -> str:
    try:
        if not DATETIME.match(raw):
            raise ValueError
        return utc_key(raw)
    except (ValueError, OverflowError):
        raise bad(name, f"expected an RFC 3339 date-time with a time zone, got {raw!r}") from None


def count(name: str, raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise bad(name, f"expected a whole number from 0 to 999999999, got {raw!r}")
    return int(raw)


def _bool(name: str, raw: str) -> bool:
    if raw not in ("true", "false"):
        raise bad(name, f"expected true or false, got {raw!r}")
    return raw == "true"


def _text(name: str, raw: str) -> str:
    if not raw or len(raw) > MAX_TEXT or any(ord(c) < 32 for c in raw):
        raise bad(name, f"expected 1 to {MAX_TEXT} printable characters")
    return raw


def _pattern(regex: re.Pattern[str], what: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if not regex.match(raw):
            raise bad(name, f"expected {what}, got {raw!r}")
        return raw

    return parse


def choice(options: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        if raw not in options:
            close = difflib.get_close_matches(raw, options, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise bad(name, f"expected one of {', '.join(options)}, got {raw!r}{hint}")
        return raw

    return parse


def _numbers(name: str, raw: str, n: int) -> list[float]:
    parts = raw.split(",")
    if len(parts) != n or not all(NUMBER.match(p.strip()) for p in parts):
        raise bad(name, f"expected {n} comma-separated numbers, got {raw!r}")
    return [float(p) for p in parts]


def _bbox(name: str, raw: str) -> tuple[float, float, float, float]:
    min_lon, min_lat, max_lon, max_lat = _numbers(name, raw, 4)
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise bad(
            name,
            "expected min_lon,min_lat,max_lon,max_lat with min <= max, lon in [-180, 180], lat in [-90, 90]",
        )
    return min_lon, min_lat, max_lon, max_lat


def _point(name: str, raw: str) -> tuple[float, float]:
    lat, lon = _numbers(name, raw, 2)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad(name, "expected lat,lon with lat in [-90, 90] and lon in [-180, 180]")
    return lat, lon


def _km(name: str, raw: str) -> float:
    (km,) = _numbers(name, raw, 1)
    if not (0 < km <= 20000):
        raise bad(name, f"expected a distance in km greater than 0 and at most 20000, got {raw!r}")
    return km


STRING = {"type": "string", "minLength": 1, "maxLength": MAX_TEXT}
TYPES: dict[str, ValueType] = {
    "date": ValueType(_date, {"type": "string", "format": "date"}, "a date YYYY-MM-DD"),
    "datetime": ValueType(
        _datetime, {"type": "string", "format": "date-time"}, "an RFC 3339 date-time with a time zone"
    ),
    "count": ValueType(count, {"type": "integer", "minimum": 0, "maximum": 999999999}, "a whole number"),
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


def enum_type(schema: dict[str, Any], prop: str) -> ValueType:
    """One of the values the event schema enumerates for `prop` (null, for a nullable one, left
    out). A property a release's older schema lacks takes its values from the schema shipped with
    this code: `water_body=red_sea` is a valid question to a schema 1.0 release (no event matches)."""
    node = schema["properties"].get(prop) or packaged_schema(EVENT_SCHEMA_FILE)["properties"][prop]
    options = tuple(str(v) for v in node["enum"] if v is not None)
    return ValueType(
        choice(options), {"type": "string", "enum": list(options)}, "one of " + ", ".join(options)
    )
