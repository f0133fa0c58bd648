"""The registry of coded meaning checks: what the schema cannot say.

Each check is one function registered under a stable code. Per-record checks see one parsed
record and the context (known actor ids, the clock); dataset checks in `crosscheck.py` see the
compact facts of every record. CONTRIBUTING.md documents every code (a test enforces it).

One module over 400 lines on purpose: it is one table (the registry), a check per entry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any, Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from openstrikes import geo
from openstrikes.problems import pointer_join
from openstrikes.schema_files import CASUALTY_FIELDS
from openstrikes.timefmt import parse_rfc3339

Scope = Literal["event", "actor", "place", "dataset"]
# A finding: (pointer, message) or (pointer, message, hint) when the hint depends on the record.
Finding = tuple[str, str] | tuple[str, str, str]
Findings = Sequence[Finding]
# The errors a wrongly shaped record raises in a check (validate.check_record stops a check on them).
SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)

COUNTRY_TOLERANCE_KM = 10.0
FUTURE_MARGIN = timedelta(hours=14)  # the furthest time zone ahead of UTC
_CIVILIAN_TOTALS = (("civilians_killed", "killed"), ("civilians_injured", "injured"))
# An absolute http(s) URL with a host; no whitespace anywhere (urlsplit is too slow per source).
_HTTP_URL = re.compile(r"(?i)https?://[^\s/?#@:]+(?::[0-9]{1,5})?(?:[/?#]\S*)?\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# How a control character can appear in canonical bytes: raw DEL, or escaped by orjson as
# \u00XX, \b or \f (it escapes nothing else that way; \t, \n and \r are allowed). A miss
# proves the record has none; a hit sends it to the exact walk.
_CONTROL_ESCAPES = (b"u", b"b", b"f")


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    hint: str
    scope: Scope
    func: Callable[..., Findings] | None = None


REGISTRY: dict[str, Check] = {}


def register(code: str, title: str, hint: str, scope: Scope = "event") -> Callable[..., Any]:
    """Register a check function under a stable code."""

    def wrap(func: Callable[..., Findings]) -> Callable[..., Findings]:
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
declare("OS333", "Unknown place", "add the place to dataset/places/ or fix the slug", "dataset")
declare(
    "OS334",
    "Event differs from its place",
    "run `openstrikes fmt` to take the place's values, or point the event to another place (or none)",
    "dataset",
)
declare(
    "OS401", "Likely duplicate", "link the events in `related` or list them in `distinct_from`", "dataset"
)
declare(
    "OS402",
    "Same ship hit twice on one day",
    "one ship on one day is one event: merge them (withdraw one as `duplicate`), or link them in "
    "`related` / `distinct_from` if they really are two attacks",
    "dataset",
)


# --- helpers --------------------------------------------------------------------------------


def _may_hold_control(raw: bytes) -> bool:
    """Whether canonical bytes may hold a control character (backslashes are found by memchr;
    a substring search per escape would scan the whole text each time)."""
    if b"\x7f" in raw:
        return True
    at = raw.find(b"\\")
    while at >= 0:
        if raw[at + 1 : at + 2] in _CONTROL_ESCAPES:
            return True
        at = raw.find(b"\\", at + 2)  # past the escaped character (it may be a backslash)
    return False


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
    return parse_rfc3339(text) > limit.instant


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
#
# A check returns its findings as a tuple or list (cheaper than a generator; most records have
# none). A check that can report several findings stops at the first sign of a wrongly shaped
# record, keeping what it found before, as a generator stopped by check_record would.


@register("OS301", "Id differs from the file name", "rename the file to <id>.json, or fix the id", "event")
def id_matches_file(ev: dict[str, Any], ctx: Context) -> Findings:
    stem = ctx.file_stem
    if stem is not None and "id" in ev and ev["id"] != stem:
        return (("/id", f"id {ev['id']!r} differs from the file name {stem!r}.json"),)
    return ()


@register(
    "OS320", "Event file in the wrong year folder", "move the file to dataset/events/<year of date_start>/"
)
def file_in_year_folder(ev: dict[str, Any], ctx: Context) -> Findings:
    year = str(ev["date_start"])[:4]
    if ctx.year_dir is not None and ctx.year_dir != year:
        return (("/date_start", f"file is in folder {ctx.year_dir!r} but date_start is in {year}"),)
    return ()


def _range_order(found: list[Finding], path: tuple[str | int, ...], rng: dict[str, Any]) -> None:
    lo, hi, best = rng.get("min"), rng.get("max"), rng.get("best")
    if type(lo) is not int or type(hi) is not int:
        return
    if lo > hi:
        found.append((pointer_join(*path, "min"), f"min {lo} is greater than max {hi}"))
    if type(best) is int and not lo <= best <= hi:
        found.append((pointer_join(*path, "best"), f"best {best} is outside [{lo}, {hi}]"))


@register("OS304", "Casualty range out of order", "keep min <= best <= max")
def range_order(ev: dict[str, Any], ctx: Context) -> Findings:
    found: list[Finding] = []
    try:
        cas = ev.get("casualties") or {}
        for name in CASUALTY_FIELDS:
            rng = cas.get(name)
            if type(rng) is dict:
                _range_order(found, ("casualties", name), rng)
        for i, claim in enumerate(ev.get("casualty_claims") or ()):
            for name, rng in (claim.get("figures") or {}).items():
                if type(rng) is dict:
                    _range_order(found, ("casualty_claims", i, "figures", name), rng)
    except SHAPE_ERRORS:
        pass
    return found


def _civilians_exceed(civ: dict[str, Any], total: dict[str, Any]) -> bool:
    """Whether a civilian range cannot be part of its total. The two ranges often span different
    claimants (a monitor's civilian count, the belligerents' totals), so their minimums are not
    compared: only the highest figures, and the preferred ones when both are set."""
    if civ["max"] > total["max"]:
        return True
    civ_best, total_best = civ.get("best"), total.get("best")
    return civ_best is not None and total_best is not None and civ_best > total_best


@register(
    "OS305",
    "More civilians than people",
    "civilian counts are part of the totals: raise the total or lower the civilian count",
)
def civilians_within_total(ev: dict[str, Any], ctx: Context) -> Findings:
    cas = ev.get("casualties") or {}
    found: list[Finding] = []
    try:
        for civ_name, total_name in _CIVILIAN_TOTALS:
            civ = cas.get(civ_name)
            if civ is None:
                continue
            total = cas.get(total_name)
            ptr = "/casualties/" + civ_name
            if total is None:
                found.append(
                    (
                        ptr,
                        f"{civ_name} is known but {total_name} is null",
                        f"set {total_name} to at least the civilian range",
                    )
                )
            elif _civilians_exceed(civ, total):
                found.append(
                    (
                        ptr,
                        f"{civ_name} [{civ['min']}, {civ['max']}] exceeds {total_name} "
                        f"[{total['min']}, {total['max']}]",
                    )
                )
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS306",
    "Dates out of order",
    "date_end must be on or after date_start; a `day` event starts and ends on one date",
)
def dates_in_order(ev: dict[str, Any], ctx: Context) -> Findings:
    start, end = ev["date_start"], ev["date_end"]
    if not (_is_plain_date(start) and _is_plain_date(end)):  # else they sort as the days they name
        start, end = date.fromisoformat(start), date.fromisoformat(end)
    if end < start:
        return (("/date_end", f"date_end {end} is before date_start {start}"),)
    if end != start and ev.get("date_precision") == "day":
        return (
            (
                "/date_end",
                "date_precision is `day` but date_end differs from date_start",
                "set date_precision to `days`, or split into one event per day",
            ),
        )
    return ()


@register(
    "OS307", "Date in the future", "use the date the sources report; events are recorded after they happen"
)
def no_future_dates(ev: dict[str, Any], ctx: Context) -> Findings:
    limit = _limits(ctx.now)
    day, instant = limit.day_text, limit.instant_text
    found: list[Finding] = []
    # Each text is first tested inline as a plain one not after the limit (most are): only the
    # others go through _date_after / _time_after, which decide (and raise) as always.
    try:
        for key in ("date_start", "date_end"):
            text = ev[key]
            if len(text) == 10 and text <= day and text[4] == "-" and text[7] == "-" and text.isascii():
                continue
            if _date_after(text, limit):
                found.append(("/" + key, f"{key} {text} is in the future"))
        for key in ("published", "modified", "datetime_utc"):
            text = ev.get(key)
            if not text or (
                len(text) == 20 and text <= instant and text[19] == "Z" and text[10] == "T" and text.isascii()
            ):
                continue
            if _time_after(text, limit):
                found.append(("/" + key, f"{key} {text} is in the future"))
        withdrawn = ev.get("withdrawn")
        if withdrawn and _time_after(withdrawn["at"], limit):
            found.append(("/withdrawn/at", "withdrawal time is in the future"))
        for i, src in enumerate(ev.get("sources") or ()):
            published = src.get("published")
            if not published or (
                len(published) == 10
                and published <= day
                and published[4] == "-"
                and published[7] == "-"
                and published.isascii()
            ):
                continue
            if _date_after(published, limit):
                found.append(
                    (
                        pointer_join("sources", i, "published"),
                        f"source published date {published} is in the future",
                    )
                )
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS308",
    "Coordinates outside the declared country",
    "fix latitude/longitude (not swapped?) or the country code",
)
def coordinates_in_country(ev: dict[str, Any], ctx: Context) -> Findings:
    lat, lon, country = ev.get("latitude"), ev.get("longitude"), ev.get("country")
    if lat is None or lon is None or not geo.known_country(country):
        return ()
    km = geo.distance_outside_km(country, lat, lon)
    if not (km is not None and km > COUNTRY_TOLERANCE_KM) or not geo.on_land(lat, lon):
        return ()  # inside or near its country, or in the water (OS327 says so)
    swapped = geo.distance_outside_km(country, lon, lat) if -90 <= lon <= 90 else None
    hint = (
        "latitude and longitude look swapped"
        if swapped == 0.0
        else f"the point is {km:.0f} km outside {country}: check the coordinates and the country code"
    )
    return (
        (
            "/latitude",
            f"({lat}, {lon}) lies {km:.1f} km outside {country} (tolerance {COUNTRY_TOLERANCE_KM:.0f} km)",
            hint,
        ),
    )


@register("OS318", "Unknown country code", "use an ISO 3166-1 alpha-2 code (e.g. IQ, SY, JO)")
def country_known(ev: dict[str, Any], ctx: Context) -> Findings:
    if ev["country"] is None or geo.known_country(ev["country"]):
        return ()
    return (
        (
            "/country",
            f"{ev['country']!r} is not an ISO 3166-1 alpha-2 code known to the Natural Earth boundaries",
        ),
    )


@register(
    "OS315",
    "Coordinates incomplete or precision inconsistent",
    "give both latitude and longitude, or neither; `exact`, `near` and `offset` need coordinates",
)
def coordinates_complete(ev: dict[str, Any], ctx: Context) -> Findings:
    lat, lon = ev.get("latitude"), ev.get("longitude")
    if (lat is None) != (lon is None):
        return (
            (("/longitude" if lon is None else "/latitude"), "only one of latitude and longitude is given"),
        )
    if lat is None and ev.get("geo_precision") in ("exact", "near", "offset"):
        return (("/geo_precision", f"geo_precision is {ev['geo_precision']!r} but there are no coordinates"),)
    return ()


@register(
    "OS311",
    "Withdrawal incomplete",
    "a `duplicate` or `merged` withdrawal names the event that supersedes it in superseded_by",
)
def withdrawal_complete(ev: dict[str, Any], ctx: Context) -> Findings:
    w = ev.get("withdrawn")
    if not w:
        return ()
    found: list[Finding] = []
    try:
        if w.get("reason") in ("duplicate", "merged") and not w.get("superseded_by"):
            found.append(("/withdrawn/superseded_by", f"reason {w['reason']!r} needs superseded_by"))
        if w.get("superseded_by") == ev.get("id"):
            found.append(("/withdrawn/superseded_by", "an event cannot supersede itself"))
        if parse_rfc3339(w["at"]) < parse_rfc3339(ev["published"]):
            found.append(("/withdrawn/at", "withdrawn before it was published"))
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS312", "Source URL not absolute http(s)", "use the full address, starting with https:// or http://"
)
def source_urls_absolute(ev: dict[str, Any], ctx: Context) -> Findings:
    found: list[Finding] = []
    match = _HTTP_URL.match
    try:
        for i, src in enumerate(ev.get("sources") or ()):
            url, archive = src.get("url"), src.get("archive_url")
            if url is not None and not match(url):
                found.append((pointer_join("sources", i, "url"), f"{url!r} is not an absolute http(s) URL"))
            if archive is not None and not match(archive):
                found.append(
                    (pointer_join("sources", i, "archive_url"), f"{archive!r} is not an absolute http(s) URL")
                )
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS313",
    "Casualty claim cites no listed source",
    "add the page to `sources`, or cite a URL that is listed there",
)
def claims_cite_sources(ev: dict[str, Any], ctx: Context) -> Findings:
    claims = ev.get("casualty_claims")
    if not claims:
        return ()
    urls = {s.get("url") for s in ev.get("sources") or ()}
    found: list[Finding] = []
    try:
        for i, claim in enumerate(claims):
            if claim.get("source") not in urls:
                found.append(
                    (
                        pointer_join("casualty_claims", i, "source"),
                        f"{claim.get('source')!r} is not among the event's sources",
                    )
                )
    except SHAPE_ERRORS:
        pass
    return found


@register("OS314", "Control character in text", "remove the invisible control character (copy-paste residue)")
def no_control_characters(ev: dict[str, Any], ctx: Context) -> Findings:
    raw = ctx.raw
    if raw is not None and not _may_hold_control(raw):
        return ()
    found: list[Finding] = []
    for ptr, text in _strings(ev):
        m = _CONTROL.search(text)
        if m:
            found.append((ptr, f"contains control character U+{ord(m.group()):04X}"))
    return found


@register(
    "OS316",
    "UTC time outside the local dates",
    "check datetime_utc and timezone: the local date of that instant must fall within date_start..date_end",
)
def utc_time_matches_dates(ev: dict[str, Any], ctx: Context) -> Findings:
    if not ev.get("datetime_utc"):
        return ()
    instant = parse_rfc3339(ev["datetime_utc"])
    start, end = date.fromisoformat(ev["date_start"]), date.fromisoformat(ev["date_end"])
    tzname = ev.get("timezone")
    if tzname:
        try:
            local = instant.astimezone(ZoneInfo(tzname)).date()
        except (ZoneInfoNotFoundError, ValueError):
            return (
                ("/timezone", f"unknown time zone {tzname!r}", "use an IANA zone name such as Asia/Baghdad"),
            )
        if not start <= local <= end:
            return (
                ("/datetime_utc", f"{ev['datetime_utc']} is {local} in {tzname}, outside {start}..{end}"),
            )
    elif not start - timedelta(days=1) <= instant.date() <= end + timedelta(days=1):
        return (("/datetime_utc", f"{ev['datetime_utc']} is more than a day away from {start}..{end}"),)
    return ()


@register(
    "OS317", "Modified before published", "modified is the time of the last change, on or after published"
)
def modified_after_published(ev: dict[str, Any], ctx: Context) -> Findings:
    modified, published = ev["modified"], ev["published"]
    if _is_plain_instant(modified) and _is_plain_instant(published):
        if modified < published:
            return (("/modified", f"modified {modified} is before published {published}"),)
    elif parse_rfc3339(modified) < parse_rfc3339(published):
        return (("/modified", f"modified {modified} is before published {published}"),)
    return ()


@register("OS319", "Link to itself", "remove the link: an event is not related to or distinct from itself")
def no_self_links(ev: dict[str, Any], ctx: Context) -> Findings:
    related, distinct = ev.get("related"), ev.get("distinct_from")
    if not related and not distinct:
        return ()
    own = ev.get("id")
    found: list[Finding] = []
    try:
        for i, rel in enumerate(related or ()):
            if rel.get("id") == own:
                found.append((pointer_join("related", i, "id"), "event links to itself"))
        for i, other in enumerate(distinct or ()):
            if other == own:
                found.append((pointer_join("distinct_from", i), "event is marked distinct from itself"))
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS321", "Actor id differs from the file name", "rename the file to <id>.json, or fix the id", "actor"
)
def actor_id_matches_file(actor: dict[str, Any], ctx: Context) -> Findings:
    return id_matches_file(actor, ctx)


@register(
    "OS322",
    "Actor is its own parent",
    "set parent to the umbrella or command the actor belongs to, or null",
    "actor",
)
def actor_parent_not_self(actor: dict[str, Any], ctx: Context) -> Findings:
    if actor.get("parent") is not None and actor.get("parent") == actor.get("id"):
        return (("/parent", "actor names itself as parent"),)
    return ()


@register("OS323", "Control character in actor text", "remove the invisible control character", "actor")
def actor_no_control_characters(actor: dict[str, Any], ctx: Context) -> Findings:
    return no_control_characters(actor, ctx)


# --- at sea, vessels (schema 1.1) -------------------------------------------------------------

INLAND_TOLERANCE_KM = 10.0
_LAND_PRECISIONS = ("admin2", "admin1", "country")


def imo_check_digit_ok(imo: str) -> bool:
    """Whether a 7-digit IMO number's last digit is its check digit: the sum of the first six
    digits weighted 7, 6, 5, 4, 3, 2, modulo 10."""
    if len(imo) != 7 or not imo.isascii() or not imo.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(imo[:6], (7, 6, 5, 4, 3, 2), strict=True)) % 10 == int(imo[6])


def _land_or_sea(record: dict[str, Any]) -> Findings:
    country, water = record.get("country"), record.get("water_body")
    if country is not None and water is not None:
        return (
            (
                "/water_body",
                f"names both a country ({country}) and a body of water ({water})",
                "at sea, set country to null; on land (territorial waters count as sea), set water_body to null",
            ),
        )
    if country is None and water is None:
        return (
            (
                "/country",
                "names neither a country nor a body of water",
                "on land, give the ISO code of the country; at sea, set water_body",
            ),
        )
    return ()


@register(
    "OS324",
    "Land and sea mixed up",
    "an event on land names its country and has water_body null; at sea, country is null and "
    "water_body names the body of water",
)
def land_or_sea(ev: dict[str, Any], ctx: Context) -> Findings:
    return _land_or_sea(ev)


@register(
    "OS325",
    "Precision or admin division does not fit land or sea",
    "at sea use geo_precision exact, near, offset or water_body and leave admin1/admin2 null; "
    "`water_body` precision is for events at sea only",
)
def precision_fits_place(ev: dict[str, Any], ctx: Context) -> Findings:
    return _precision_fits(ev, "event")


def _precision_fits(record: dict[str, Any], what: str) -> Findings:
    """Land divisions and their precisions on land only; `water_body` precision at sea only."""
    precision = record.get("geo_precision")
    if record.get("water_body") is None:
        if precision == "water_body" and record.get("country") is not None:
            return (("/geo_precision", f"geo_precision `water_body` on {_ARTICLE[what]} {what} on land"),)
        return ()
    found: list[Finding] = []
    if precision in _LAND_PRECISIONS:
        found.append(
            ("/geo_precision", f"geo_precision {precision!r} names a land division, but the {what} is at sea")
        )
    for key in ("admin1", "admin2"):
        if record.get(key) is not None:
            found.append(("/" + key, f"{key} is set, but the {what} is at sea"))
    return found


_ARTICLE = {"event": "an", "place": "a"}


@register(
    "OS326",
    "Point at sea lies on land",
    "check the coordinates (not swapped?); if the strike hit a port or the coast, it is a land "
    "event: set country and water_body null",
)
def sea_point_at_sea(ev: dict[str, Any], ctx: Context) -> Findings:
    lat, lon = ev.get("latitude"), ev.get("longitude")
    if ev.get("water_body") is None or lat is None or lon is None:
        return ()
    if not geo.inland(lat, lon, INLAND_TOLERANCE_KM):
        return ()
    where = ", ".join(geo.countries_at(lat, lon)) or "land"
    return (
        (
            "/latitude",
            f"({lat}, {lon}) lies in {where}, more than {INLAND_TOLERANCE_KM:.0f} km from the sea, "
            f"but the event is at sea ({ev['water_body']})",
        ),
    )


@register(
    "OS327",
    "Land event lies in the water",
    "fix latitude/longitude; if the strike was at sea, set country to null and name the water_body",
)
def land_point_on_land(ev: dict[str, Any], ctx: Context) -> Findings:
    lat, lon, country = ev.get("latitude"), ev.get("longitude"), ev.get("country")
    if lat is None or lon is None or not geo.known_country(country):
        return ()
    km = geo.distance_outside_km(country, lat, lon)
    if km is None or km <= COUNTRY_TOLERANCE_KM or geo.on_land(lat, lon):
        return ()  # inside (or near) its country, or on someone's land: OS308 says which
    return (
        (
            "/latitude",
            f"({lat}, {lon}) lies in the water, {km:.1f} km off {country}, but the event is on land",
        ),
    )


@register(
    "OS328", "Wrong IMO check digit", "copy the 7-digit IMO number again from the source (or set it to null)"
)
def imo_check_digits(ev: dict[str, Any], ctx: Context) -> Findings:
    found: list[Finding] = []
    try:
        for i, target in enumerate(ev.get("targets") or ()):
            vessel = target.get("vessel")
            imo = vessel.get("imo") if type(vessel) is dict else None
            if type(imo) is str and len(imo) == 7 and imo.isdigit() and not imo_check_digit_ok(imo):
                found.append(
                    (
                        pointer_join("targets", i, "vessel", "imo"),
                        f"IMO {imo}: the check digit should be "
                        f"{sum(int(d) * w for d, w in zip(imo[:6], (7, 6, 5, 4, 3, 2), strict=True)) % 10}",
                    )
                )
    except SHAPE_ERRORS:
        pass
    return found


@register(
    "OS329",
    "Unknown flag state",
    "use the ISO 3166-1 alpha-2 code of the flag state (e.g. MH Marshall Islands, LR Liberia, PA Panama)",
)
def vessel_flags_known(ev: dict[str, Any], ctx: Context) -> Findings:
    found: list[Finding] = []
    try:
        for i, target in enumerate(ev.get("targets") or ()):
            vessel = target.get("vessel")
            flag = vessel.get("flag") if type(vessel) is dict else None
            if type(flag) is str and not geo.known_country(flag):
                found.append(
                    (pointer_join("targets", i, "vessel", "flag"), f"{flag!r} is not a known ISO 3166-1 code")
                )
    except SHAPE_ERRORS:
        pass
    return found


# --- places of the registry ---------------------------------------------------------------------


@register(
    "OS330",
    "Place slug differs from the file name",
    "rename the file to <slug>.json, or fix the slug",
    "place",
)
def place_slug_matches_file(place: dict[str, Any], ctx: Context) -> Findings:
    stem = ctx.file_stem
    if stem is not None and "slug" in place and place["slug"] != stem:
        return (("/slug", f"slug {place['slug']!r} differs from the file name {stem!r}.json"),)
    return ()


@register(
    "OS331",
    "Place coordinates outside its country, or on land for a place at sea",
    "fix the place's latitude/longitude (not swapped?) or its country / water_body",
    "place",
)
def place_coordinates(place: dict[str, Any], ctx: Context) -> Findings:
    if place.get("country") is not None:  # outside its country, on land or in the water
        return coordinates_in_country(place, ctx) or land_point_on_land(place, ctx)
    return sea_point_at_sea(place, ctx)


@register(
    "OS332",
    "Place mixes land and sea",
    "a place on land names its country and has water_body null; a place at sea the reverse",
    "place",
)
def place_land_or_sea(place: dict[str, Any], ctx: Context) -> Findings:
    return _land_or_sea(place)


@register(
    "OS336",
    "Place precision or admin division does not fit land or sea",
    "a place at sea has geo_precision exact, near, offset or water_body and admin1/admin2 null; "
    "`water_body` precision is for places at sea only",
    "place",
)
def place_precision_fits(place: dict[str, Any], ctx: Context) -> Findings:
    return _precision_fits(place, "place")


@register("OS335", "Control character in place text", "remove the invisible control character", "place")
def place_no_control_characters(place: dict[str, Any], ctx: Context) -> Findings:
    return no_control_characters(place, ctx)


@cache
def per_record_checks(kind: Literal["event", "actor", "place"]) -> tuple[Check, ...]:
    """The registered per-record checks for one kind of record, in code order."""
    return tuple(sorted((c for c in REGISTRY.values() if c.scope == kind and c.func), key=lambda c: c.code))
