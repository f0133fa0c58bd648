"""Hand-written hypothesis strategies for valid events and actors (hypothesis-jsonschema is
broken with current hypothesis). Every value drawn here passes the schema and the coded checks."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import strategies as st

from openstrikes.schema_files import event_schema

ID_ALPHABET = "23456789cfghjmpqrvwx"
ACTOR_IDS = ("us-air-force", "us-centcom", "kataib-hezbollah", "unidentified-attackers")
# Points well inside their countries (city centres), jittered by at most ~1 km.
PLACES = (
    ("IQ", 33.3152, 44.3661, "Asia/Baghdad"),
    ("IQ", 34.3850, 40.9990, "Asia/Baghdad"),
    ("SY", 35.3360, 40.1410, "Asia/Damascus"),
    ("SY", 34.4510, 40.9180, "Asia/Damascus"),
    ("JO", 31.9539, 35.9106, "Asia/Amman"),
)
NOW = datetime(2026, 1, 1, tzinfo=UTC)

safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"),
    min_size=1,
    max_size=40,
)
slug = st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,2}\Z")


def schema_enum(field: str, definition: str | None = None) -> list[str]:
    """The allowed codes of a field, from the canonical schema (top level or a $defs entry)."""
    schema = event_schema()
    node = schema["$defs"][definition] if definition else schema
    return list(node["properties"][field]["enum"])


def stamp(dt: datetime) -> str:
    return dt.replace(microsecond=0).isoformat().replace("+00:00", "Z")


@st.composite
def event_ids(draw: st.DrawFn, year: int) -> str:
    part = draw(st.text(alphabet=ID_ALPHABET, min_size=8, max_size=8))
    return f"OS-{year:04d}-{part[:4]}-{part[4:]}"


@st.composite
def ranges(draw: st.DrawFn, cap: int = 500) -> dict[str, Any]:
    lo = draw(st.integers(0, cap))
    hi = draw(st.integers(lo, cap))
    best = draw(st.one_of(st.none(), st.integers(lo, hi)))
    return {"min": lo, "max": hi, "best": best}


@st.composite
def casualties(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for total, civ in (("killed", "civilians_killed"), ("injured", "civilians_injured")):
        rng = draw(st.one_of(st.none(), ranges()))
        out[total] = rng
        if rng is None:
            out[civ] = None
        else:
            lo = draw(st.integers(0, rng["min"]))
            hi = draw(st.integers(lo, rng["max"]))
            out[civ] = draw(st.one_of(st.none(), st.just({"min": lo, "max": hi, "best": None})))
    return {k: out[k] for k in ("killed", "injured", "civilians_killed", "civilians_injured")}


@st.composite
def sources(draw: st.DrawFn, latest: date) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    paths = draw(st.lists(slug, min_size=n, max_size=n, unique=True))
    return [
        {
            "url": f"https://news.example.org/{p}",
            "archive_url": draw(st.one_of(st.none(), st.just(f"https://archive.example.org/{p}"))),
            "title": draw(safe_text),
            "publisher": draw(safe_text),
            "published": draw(st.one_of(st.none(), st.dates(date(2000, 1, 1), latest).map(date.isoformat))),
            "type": draw(st.sampled_from(schema_enum("type", "source"))),
        }
        for p in paths
    ]


@st.composite
def events(draw: st.DrawFn, day: date | None = None, event_id: str | None = None) -> dict[str, Any]:
    """One valid event (links to other events left empty: they must exist)."""
    start = day or draw(st.dates(date(2000, 1, 1), date(2025, 12, 1)))
    span = draw(st.sampled_from([0, 0, 0, 1, 2, 6]))
    end = start + timedelta(days=span)
    precision = "day" if span == 0 else draw(st.sampled_from(["days", "week", "month"]))
    country, lat, lon, tz = draw(st.sampled_from(PLACES))
    located = draw(st.booleans())
    published = datetime.combine(end, time(0), UTC) + timedelta(
        days=draw(st.integers(1, 20)), seconds=draw(st.integers(0, 86399))
    )
    # at most NOW, the clock the tests validate with (published is always before it)
    modified = min(published + timedelta(seconds=draw(st.integers(0, 10_000_000))), NOW)
    withdrawn = None
    if draw(st.integers(0, 9)) == 0:
        withdrawn = {
            "at": stamp(modified),
            "reason": draw(st.sampled_from(["erroneous", "not_a_strike", "insufficient_evidence"])),
            "superseded_by": None,
            "note": draw(st.one_of(st.none(), safe_text)),
        }
    srcs = draw(sources(end + timedelta(days=1)))
    cas = draw(casualties())
    claims = []
    if cas["killed"] is not None and draw(st.booleans()):
        claims.append(
            {"source": srcs[0]["url"], "claimant": draw(safe_text), "figures": {"killed": cas["killed"]}}
        )
    datetime_utc = None
    if draw(st.booleans()):
        # Local noon of the first day, expressed in UTC: always inside the local dates.
        datetime_utc = stamp(datetime.combine(start, time(9), UTC))
    return {
        "id": event_id or draw(event_ids(start.year)),
        "schema_version": "1.0.0",
        "published": stamp(published),
        "modified": stamp(modified),
        "withdrawn": withdrawn,
        "date_start": start.isoformat(),
        "date_end": end.isoformat(),
        "date_precision": precision,
        "datetime_utc": datetime_utc,
        "timezone": tz if datetime_utc or draw(st.booleans()) else None,
        "country": country,
        "admin1": draw(st.one_of(st.none(), safe_text)),
        "admin2": draw(st.one_of(st.none(), safe_text)),
        "location": draw(st.one_of(st.none(), safe_text)),
        "latitude": round(lat + draw(st.floats(-0.01, 0.01)), 5) if located else None,
        "longitude": round(lon + draw(st.floats(-0.01, 0.01)), 5) if located else None,
        "geo_precision": draw(st.sampled_from(["exact", "near"]))
        if located
        else draw(st.sampled_from(["admin2", "admin1", "country"])),
        "strike_type": draw(st.sampled_from(schema_enum("strike_type"))),
        "platforms": draw(st.lists(safe_text, max_size=2, unique=True)),
        "munitions": draw(st.lists(safe_text, max_size=2, unique=True)),
        "outcome": draw(st.sampled_from(schema_enum("outcome"))),
        "status": draw(st.sampled_from(schema_enum("status"))),
        "attackers": [
            {"actor": a, "attribution": draw(st.sampled_from(schema_enum("attribution", "attacker")))}
            for a in draw(st.lists(st.sampled_from(ACTOR_IDS), min_size=1, max_size=2, unique=True))
        ],
        "targets": [
            {
                "actor": draw(st.one_of(st.none(), st.sampled_from(ACTOR_IDS))),
                "target_type": draw(
                    st.sampled_from(["militia_facility", "weapons_storage", "military_base", "unknown"])
                ),
                "description": draw(st.one_of(st.none(), safe_text)),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "casualties": cas,
        "casualty_claims": claims,
        "operation": draw(st.one_of(st.none(), slug)),
        "related": [],
        "distinct_from": [],
        "aliases": draw(st.lists(st.from_regex(r"\Aacled:[A-Z]{3}[0-9]{1,6}\Z"), max_size=1)),
        "summary": draw(st.text(alphabet="abcdefghij klmnopqrstuvwxyz.,", min_size=20, max_size=200)),
        "sources": srcs,
        "tags": draw(st.lists(slug, max_size=3, unique=True)),
        "contributors": draw(st.lists(safe_text, max_size=2, unique=True)),
    }


# Points at sea, well away from any coast, by body of water.
SEA_POINTS = (
    ("red_sea", 20.0, 38.5),
    ("red_sea", 16.5, 41.0),
    ("gulf_of_aden", 12.5, 47.0),
    ("arabian_sea", 15.0, 60.0),
    ("gulf_of_oman", 24.5, 58.5),
    ("persian_gulf", 27.0, 51.5),
    ("mediterranean_sea", 34.0, 20.0),
    ("caspian_sea", 41.0, 51.0),
)


def imo_with_check_digit(six: str) -> str:
    """A valid IMO number from its first six digits."""
    return six + str(sum(int(d) * w for d, w in zip(six, (7, 6, 5, 4, 3, 2), strict=True)) % 10)


@st.composite
def vessels(draw: st.DrawFn) -> dict[str, Any]:
    """One valid `vessel` object (schema 1.1)."""
    return {
        "name": draw(safe_text),
        "imo": draw(st.one_of(st.none(), st.from_regex(r"\A9[0-9]{5}\Z").map(imo_with_check_digit))),
        "flag": draw(st.sampled_from([None, "MH", "LR", "PA", "MT", "GR", "GB", "US"])),
        "kind": draw(st.sampled_from(schema_enum("kind", "vessel"))),
        "owner": draw(st.one_of(st.none(), safe_text)),
        "operator": draw(st.one_of(st.none(), safe_text)),
    }


@st.composite
def sea_events(draw: st.DrawFn, day: date | None = None, event_id: str | None = None) -> dict[str, Any]:
    """One valid event at sea (schema 1.1): no country, a body of water, ships as targets."""
    event = draw(events(day=day, event_id=event_id))
    water, lat, lon = draw(st.sampled_from(SEA_POINTS))
    located = draw(st.booleans())
    event.update(
        schema_version="1.1.0",
        timezone="Asia/Aden" if event["timezone"] else None,  # 09:00 UTC is the same day there
        country=None,
        water_body=water,
        admin1=None,
        admin2=None,
        latitude=round(lat + draw(st.floats(-0.05, 0.05)), 5) if located else None,
        longitude=round(lon + draw(st.floats(-0.05, 0.05)), 5) if located else None,
        geo_precision=draw(st.sampled_from(["exact", "near", "offset", "water_body"]))
        if located
        else "water_body",
        place=None,
    )
    event["targets"] = [
        {
            "actor": None,
            "target_type": "vessel",
            "description": draw(st.one_of(st.none(), safe_text)),
            "vessel": draw(vessels()),
        }
        for _ in range(draw(st.integers(1, 2)))
    ]
    return event


def actor_record(actor_id: str) -> dict[str, Any]:
    """A valid actor record for one of ACTOR_IDS (fixtures, not real data)."""
    return {
        "id": actor_id,
        "name": actor_id.replace("-", " ").title(),
        "aliases": [],
        "kind": "unidentified" if actor_id.startswith("unidentified") else "armed_group",
        "country": None,
        "parent": None,
        "external_ids": {},
        "description": None,
        "sources": [],
    }
