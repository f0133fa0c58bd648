"""The registry of coded meaning checks: what the schema cannot say.

Each check is one function registered under a stable code. Per-record checks see one parsed
record and the context (known actor ids, the clock); dataset checks in `crosscheck.py` see the
compact facts of every record. CONTRIBUTING.md documents every code (a test enforces it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import geo
from .problems import pointer_join

Scope = Literal["event", "actor", "dataset"]
# A finding: (pointer, message) or (pointer, message, hint) when the hint depends on the record.
Finding = tuple[str, str] | tuple[str, str, str]

COUNTRY_TOLERANCE_KM = 10.0
FUTURE_MARGIN = timedelta(hours=14)  # the furthest time zone ahead of UTC
CASUALTY_FIELDS = ("killed", "injured", "civilians_killed", "civilians_injured")
# An absolute http(s) URL with a host; no whitespace anywhere (urlsplit is too slow per source).
_HTTP_URL = re.compile(r"(?i)https?://[^\s/?#@:]+(?::[0-9]{1,5})?(?:[/?#]\S*)?\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How a control character can appear in canonical bytes (orjson escapes no other character as
# \u00XX): escaped, as \b or \f, or DEL raw. A miss proves the record has none; a hit (an
# allowed tab, or a backslash in the text) sends it to the exact walk.
_CONTROL_MARKERS = (b"\\u00", b"\\b", b"\\f", b"\x7f")


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    hint: str
    scope: Scope
    func: Callable[..., Iterator[Finding]] | None = None


REGISTRY: dict[str, Check] = {}


def register(code: str, title: str, hint: str, scope: Scope = "event") -> Callable[..., Any]:
    """Register a check function under a stable code."""

    def wrap(func: Callable[..., Iterator[Finding]]) -> Callable[..., Iterator[Finding]]:
        if code in REGISTRY:
            raise ValueError(f"check code {code} registered twice")
        REGISTRY[code] = Check(code, title, hint, scope, func)
        return func

    return wrap


def declare(code: str, title: str, hint: str, scope: Scope) -> None:
    """Declare a code whose logic lives elsewhere (file reading, schema, dataset-wide checks)."""
    if code in REGISTRY:
        raise ValueError(f"check code {code} registered twice")
    REGISTRY[code] = Check(code, title, hint, scope)


@dataclass
class Context:
    """What a per-record check may know beyond the record itself."""

    actor_ids: frozenset[str] = frozenset()
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    file_stem: str | None = None
    year_dir: str | None = None  # name of the folder holding an event file
    raw: bytes | None = None  # the record's canonical bytes, when known (lets text scans be skipped)


# --- codes whose logic lives in jsontext.py, validate.py and crosscheck.py ------------------

declare("OS100", "File cannot be read as a regular file", "use a plain, readable .json file", "dataset")
declare("OS101", "File too large", "one record is a few kilobytes", "dataset")
declare("OS102", "Not UTF-8 (or has a byte order mark)", "save as UTF-8 without a BOM", "dataset")
declare("OS103", "Empty file", "write one JSON object", "dataset")
declare("OS104", "Invalid JSON syntax", "fix the syntax at the given line and column", "dataset")
declare("OS105", "Duplicate key in an object", "keep one value per key", "dataset")
declare("OS106", "NaN or Infinity literal", "use a number or null", "dataset")
declare("OS107", "JSON nested too deeply", "fix the structure", "dataset")
declare("OS108", "Top level is not an object", "a record is one JSON object", "dataset")
declare("OS109", "Not in canonical format", "run `openstrikes fmt`", "dataset")
declare("OS201", "Required field missing", "add the field", "dataset")
declare("OS202", "Unknown field", "remove or rename the field", "dataset")
declare("OS203", "Wrong JSON type", "use the type the schema gives", "dataset")
declare("OS204", "Value not among the allowed codes", "use one of the listed values", "dataset")
declare("OS205", "Text does not match the required pattern", "follow the pattern", "dataset")
declare("OS206", "Malformed date, date-time or URL", "use YYYY-MM-DD, RFC 3339 or an absolute URL", "dataset")
declare("OS207", "Number out of range", "use a value within the bounds", "dataset")
declare("OS208", "Wrong size (empty, too short, repeated items)", "see the message", "dataset")
declare("OS209", "Value does not fit the schema", "see the message", "dataset")
declare("OS302", "Two files share one id", "give one of them a fresh id (`openstrikes new`)", "dataset")
declare("OS303", "Alias used twice", "an alias names one event or one actor only", "dataset")
declare("OS309", "Unknown actor id", "add the actor to dataset/actors/ or fix the id", "dataset")
declare("OS310", "Unknown event id in a link", "link only to existing event ids", "dataset")
declare(
    "OS401", "Likely duplicate", "link the events in `related` or list them in `distinct_from`", "dataset"
)


# --- helpers --------------------------------------------------------------------------------


def _parse_dt(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _has_marker(raw: bytes) -> bool:
    return any(marker in raw for marker in _CONTROL_MARKERS)


class _Limit(NamedTuple):
    instant: datetime
    day: date
    day_text: str  # YYYY-MM-DD
    instant_text: str  # YYYY-MM-DDTHH:MM:SSZ


@lru_cache(maxsize=8)
def _limits(now: datetime) -> _Limit:
    """The latest acceptable time for `now`, as values and as the texts records usually hold."""
    limit = (now + FUTURE_MARGIN).astimezone(UTC)
    return _Limit(limit, limit.date(), limit.date().isoformat(), limit.strftime("%Y-%m-%dT%H:%M:%SZ"))


def _is_plain_date(text: str) -> bool:
    return len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii()


def _is_plain_instant(text: str) -> bool:
    """YYYY-MM-DDTHH:MM:SSZ: such texts sort as the instants they name."""
    return len(text) == 20 and text[19] == "Z" and text[10] == "T" and text.isascii()


def _date_after(text: str, limit: _Limit) -> bool:
    if _is_plain_date(text):
        return text > limit.day_text
    return date.fromisoformat(text) > limit.day


def _time_after(text: str, limit: _Limit) -> bool:
    if _is_plain_instant(text):
        return text > limit.instant_text
    return _parse_dt(text) > limit.instant


def _ranges(ev: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], dict[str, Any]]]:
    """Every casualty range of an event, with its path (joined into a pointer only when needed)."""
    cas = ev.get("casualties") or {}
    for name in CASUALTY_FIELDS:
        rng = cas.get(name)
        if type(rng) is dict:
            yield ("casualties", name), rng
    for i, claim in enumerate(ev.get("casualty_claims") or ()):
        for name, rng in (claim.get("figures") or {}).items():
            if type(rng) is dict:
                yield ("casualty_claims", i, "figures", name), rng


def _strings(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k, pointer + pointer_join(k))
            yield from _strings(v, pointer + pointer_join(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, pointer + pointer_join(i))


# --- per-record checks ----------------------------------------------------------------------


@register("OS301", "Id differs from the file name", "rename the file to <id>.json, or fix the id", "event")
def id_matches_file(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    if ctx.file_stem is not None and "id" in ev and ev["id"] != ctx.file_stem:
        yield "/id", f"id {ev.get('id')!r} differs from the file name {ctx.file_stem!r}.json"


@register(
    "OS320", "Event file in the wrong year folder", "move the file to dataset/events/<year of date_start>/"
)
def file_in_year_folder(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    year = str(ev["date_start"])[:4]
    if ctx.year_dir is not None and ctx.year_dir != year:
        yield "/date_start", f"file is in folder {ctx.year_dir!r} but date_start is in {year}"


@register("OS304", "Casualty range out of order", "keep min <= best <= max")
def range_order(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    for path, rng in _ranges(ev):
        lo, hi, best = rng.get("min"), rng.get("max"), rng.get("best")
        if type(lo) is not int or type(hi) is not int:
            continue
        if lo > hi:
            yield pointer_join(*path, "min"), f"min {lo} is greater than max {hi}"
        if type(best) is int and not lo <= best <= hi:
            yield pointer_join(*path, "best"), f"best {best} is outside [{lo}, {hi}]"


@register(
    "OS305",
    "More civilians than people",
    "civilian counts are part of the totals: raise the total or lower the civilian count",
)
def civilians_within_total(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    cas = ev.get("casualties") or {}
    for civ_name, total_name in (("civilians_killed", "killed"), ("civilians_injured", "injured")):
        civ, total = cas.get(civ_name), cas.get(total_name)
        if civ is None:
            continue
        ptr = pointer_join("casualties", civ_name)
        if total is None:
            yield (
                ptr,
                f"{civ_name} is known but {total_name} is null",
                f"set {total_name} to at least the civilian range",
            )
        elif civ["max"] > total["max"] or civ["min"] > total["min"]:
            yield (
                ptr,
                f"{civ_name} [{civ['min']}, {civ['max']}] exceeds {total_name} [{total['min']}, {total['max']}]",
            )


@register(
    "OS306",
    "Dates out of order",
    "date_end must be on or after date_start; a `day` event starts and ends on one date",
)
def dates_in_order(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    start, end = ev["date_start"], ev["date_end"]
    if not (_is_plain_date(start) and _is_plain_date(end)):  # else they sort as the days they name
        start, end = date.fromisoformat(start), date.fromisoformat(end)
    if end < start:
        yield "/date_end", f"date_end {end} is before date_start {start}"
    elif ev.get("date_precision") == "day" and end != start:
        yield (
            "/date_end",
            "date_precision is `day` but date_end differs from date_start",
            "set date_precision to `days`, or split into one event per day",
        )


@register(
    "OS307", "Date in the future", "use the date the sources report; events are recorded after they happen"
)
def no_future_dates(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    limit = _limits(ctx.now)
    for key in ("date_start", "date_end"):
        if _date_after(ev[key], limit):
            yield "/" + key, f"{key} {ev[key]} is in the future"
    for key in ("published", "modified", "datetime_utc"):
        if ev.get(key) and _time_after(ev[key], limit):
            yield "/" + key, f"{key} {ev[key]} is in the future"
    if ev.get("withdrawn") and _time_after(ev["withdrawn"]["at"], limit):
        yield "/withdrawn/at", "withdrawal time is in the future"
    for i, src in enumerate(ev.get("sources") or []):
        if src.get("published") and _date_after(src["published"], limit):
            yield (
                pointer_join("sources", i, "published"),
                f"source published date {src['published']} is in the future",
            )


@register(
    "OS308",
    "Coordinates outside the declared country",
    "fix latitude/longitude (not swapped?) or the country code",
)
def coordinates_in_country(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    lat, lon, country = ev.get("latitude"), ev.get("longitude"), ev.get("country")
    if lat is None or lon is None or not geo.known_country(country):
        return
    km = geo.distance_outside_km(country, lat, lon)
    if km is not None and km > COUNTRY_TOLERANCE_KM:
        swapped = geo.distance_outside_km(country, lon, lat) if -90 <= lon <= 90 else None
        hint = (
            "latitude and longitude look swapped"
            if swapped == 0.0
            else f"the point is {km:.0f} km outside {country}: check the coordinates and the country code"
        )
        yield (
            "/latitude",
            f"({lat}, {lon}) lies {km:.1f} km outside {country} (tolerance {COUNTRY_TOLERANCE_KM:.0f} km)",
            hint,
        )


@register("OS318", "Unknown country code", "use an ISO 3166-1 alpha-2 code (e.g. IQ, SY, JO)")
def country_known(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    if not geo.known_country(ev["country"]):
        yield (
            "/country",
            f"{ev['country']!r} is not an ISO 3166-1 alpha-2 code known to the Natural Earth boundaries",
        )


@register(
    "OS315",
    "Coordinates incomplete or precision inconsistent",
    "give both latitude and longitude, or neither; `exact` and `near` need coordinates",
)
def coordinates_complete(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    lat, lon = ev.get("latitude"), ev.get("longitude")
    if (lat is None) != (lon is None):
        yield ("/longitude" if lon is None else "/latitude"), "only one of latitude and longitude is given"
    elif lat is None and ev.get("geo_precision") in ("exact", "near"):
        yield "/geo_precision", f"geo_precision is {ev['geo_precision']!r} but there are no coordinates"


@register(
    "OS311",
    "Withdrawal incomplete",
    "a `duplicate` or `merged` withdrawal names the event that supersedes it in superseded_by",
)
def withdrawal_complete(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    w = ev.get("withdrawn")
    if not w:
        return
    if w.get("reason") in ("duplicate", "merged") and not w.get("superseded_by"):
        yield "/withdrawn/superseded_by", f"reason {w['reason']!r} needs superseded_by"
    if w.get("superseded_by") == ev.get("id"):
        yield "/withdrawn/superseded_by", "an event cannot supersede itself"
    if _parse_dt(w["at"]) < _parse_dt(ev["published"]):
        yield "/withdrawn/at", "withdrawn before it was published"


@register(
    "OS312", "Source URL not absolute http(s)", "use the full address, starting with https:// or http://"
)
def source_urls_absolute(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    for i, src in enumerate(ev.get("sources") or []):
        for key in ("url", "archive_url"):
            url = src.get(key)
            if url is None:
                continue
            if not _HTTP_URL.match(url):
                yield pointer_join("sources", i, key), f"{url!r} is not an absolute http(s) URL"


@register(
    "OS313",
    "Casualty claim cites no listed source",
    "add the page to `sources`, or cite a URL that is listed there",
)
def claims_cite_sources(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    urls = {s.get("url") for s in ev.get("sources") or []}
    for i, claim in enumerate(ev.get("casualty_claims") or []):
        if claim.get("source") not in urls:
            yield (
                pointer_join("casualty_claims", i, "source"),
                f"{claim.get('source')!r} is not among the event's sources",
            )


@register("OS314", "Control character in text", "remove the invisible control character (copy-paste residue)")
def no_control_characters(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    raw = ctx.raw
    # Every marker but DEL starts with a backslash, which most records do not contain.
    if raw is not None and b"\x7f" not in raw and (b"\\" not in raw or not _has_marker(raw)):
        return
    for ptr, text in _strings(ev):
        m = _CONTROL.search(text)
        if m:
            yield ptr, f"contains control character U+{ord(m.group()):04X}"


@register(
    "OS316",
    "UTC time outside the local dates",
    "check datetime_utc and timezone: the local date of that instant must fall within date_start..date_end",
)
def utc_time_matches_dates(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    if not ev.get("datetime_utc"):
        return
    instant = _parse_dt(ev["datetime_utc"])
    start, end = date.fromisoformat(ev["date_start"]), date.fromisoformat(ev["date_end"])
    tzname = ev.get("timezone")
    if tzname:
        try:
            local = instant.astimezone(ZoneInfo(tzname)).date()
        except (ZoneInfoNotFoundError, ValueError):
            yield "/timezone", f"unknown time zone {tzname!r}", "use an IANA zone name such as Asia/Baghdad"
            return
        if not start <= local <= end:
            yield "/datetime_utc", f"{ev['datetime_utc']} is {local} in {tzname}, outside {start}..{end}"
    elif not start - timedelta(days=1) <= instant.date() <= end + timedelta(days=1):
        yield "/datetime_utc", f"{ev['datetime_utc']} is more than a day away from {start}..{end}"


@register(
    "OS317", "Modified before published", "modified is the time of the last change, on or after published"
)
def modified_after_published(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    modified, published = ev["modified"], ev["published"]
    if _is_plain_instant(modified) and _is_plain_instant(published):
        if modified < published:
            yield "/modified", f"modified {modified} is before published {published}"
    elif _parse_dt(modified) < _parse_dt(published):
        yield "/modified", f"modified {ev['modified']} is before published {ev['published']}"


@register("OS319", "Link to itself", "remove the link: an event is not related to or distinct from itself")
def no_self_links(ev: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    for i, rel in enumerate(ev.get("related") or []):
        if rel.get("id") == ev.get("id"):
            yield pointer_join("related", i, "id"), "event links to itself"
    for i, other in enumerate(ev.get("distinct_from") or []):
        if other == ev.get("id"):
            yield pointer_join("distinct_from", i), "event is marked distinct from itself"


@register(
    "OS321", "Actor id differs from the file name", "rename the file to <id>.json, or fix the id", "actor"
)
def actor_id_matches_file(actor: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    if ctx.file_stem is not None and "id" in actor and actor["id"] != ctx.file_stem:
        yield "/id", f"id {actor.get('id')!r} differs from the file name {ctx.file_stem!r}.json"


@register(
    "OS322",
    "Actor is its own parent",
    "set parent to the umbrella or command the actor belongs to, or null",
    "actor",
)
def actor_parent_not_self(actor: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    if actor.get("parent") is not None and actor.get("parent") == actor.get("id"):
        yield "/parent", "actor names itself as parent"


@register("OS323", "Control character in actor text", "remove the invisible control character", "actor")
def actor_no_control_characters(actor: dict[str, Any], ctx: Context) -> Iterator[Finding]:
    yield from no_control_characters(actor, ctx)


@cache
def per_record_checks(kind: Literal["event", "actor"]) -> tuple[Check, ...]:
    """The registered per-record checks for one kind of record, in code order."""
    return tuple(sorted((c for c in REGISTRY.values() if c.scope == kind and c.func), key=lambda c: c.code))
