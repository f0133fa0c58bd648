"""The event filters, declared once: their types (for the type checker), how each becomes a query
parameter of the API, and what each means over an event's JSON form (for offline releases).

Mirrors of the server (the client installs on its own and cannot import it, and an offline release
has no SQL index to ask): `EventFilters` mirrors the server's filter table `FILTERS` (names,
operators, value types), `SortKey` its `SORT_OPTIONS`, `GroupKey` its `GROUP_KEYS`, `words` and
`_text_of` its full-text tokeniser and searched text, `predicates` and `sort_key` the SQL it runs.
tests/client/test_client_server_parity.py and test_client_agreement.py hold them to the server.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, TypedDict

from ._models import (
    Actor,
    GeoPrecision,
    Outcome,
    Status,
    StrikeType,
    WaterBody,
    format_datetime,
    parse_datetime,
)

SortKey = Literal[
    "date_start",
    "-date_start",
    "date_end",
    "-date_end",
    "id",
    "-id",
    "modified",
    "-modified",
    "killed",
    "-killed",
    "injured",
    "-injured",
    "civilians_killed",
    "-civilians_killed",
    "distance",
]
GroupKey = Literal[
    "country",
    "admin1",
    "admin2",
    "year",
    "month",
    "week",
    "day",
    "strike_type",
    "status",
    "outcome",
    "geo_precision",
    "water_body",
    "place",
    "operation",
    "attacker",
    "attacker_group",
    "attacker_country",
    "attribution",
    "target",
    "tag",
]


class EventFilters(TypedDict, total=False):
    """Keyword filters of `events.list`, `events.iter`, `events.records` and `aggregates`.

    Dates are `datetime.date`, times aware `datetime.datetime`; `__in` filters take a sequence;
    thresholds compare with the casualty range (`killed__gte=10`: at least 10 killed by the highest
    count reported; `killed__lte`: by the lowest; unknown figures never match). `actor`,
    `attacker` and `target` take an actor id, name or alias (any case); `attacker_group` and
    `target_group` the same, and also match every actor under it in the registry (via `parent`);
    `attacker_country` and `target_country` the actor's country in the registry. `q` matches events whose
    summary, place names, operation or source titles contain every word. Withdrawn events are
    left out unless `include_withdrawn=True`. Schema 1.1: `at_sea=True` keeps events at sea
    (`False` those on land), `water_body` their body of water, `place` a place slug, `vessel` a
    ship by IMO number or name (any case), `flag` a ship's flag state.
    """

    date_start__gte: date
    date_start__lte: date
    date_end__gte: date
    date_end__lte: date
    country: str
    country__in: Sequence[str]
    admin1: str
    actor: str
    attacker: str
    attacker__in: Sequence[str]
    attacker_group: str
    attacker_group__in: Sequence[str]
    attacker_country: str
    attacker_country__in: Sequence[str]
    target: str
    target__in: Sequence[str]
    target_group: str
    target_group__in: Sequence[str]
    target_country: str
    target_country__in: Sequence[str]
    strike_type: StrikeType
    strike_type__in: Sequence[StrikeType]
    status: Status
    status__in: Sequence[Status]
    outcome: Outcome
    outcome__in: Sequence[Outcome]
    geo_precision: GeoPrecision
    geo_precision__in: Sequence[GeoPrecision]
    water_body: WaterBody
    water_body__in: Sequence[WaterBody]
    at_sea: bool
    place: str
    vessel: str
    flag: str
    killed__gte: int
    killed__lte: int
    injured__gte: int
    injured__lte: int
    civilians_killed__gte: int
    civilians_killed__lte: int
    tag: str
    operation: str
    q: str
    bbox: tuple[float, float, float, float]
    near: tuple[float, float]
    radius_km: float
    modified_since: datetime
    include_withdrawn: bool
    geo_fallback: Literal["admin"]


FILTER_NAMES: frozenset[str] = frozenset(EventFilters.__annotations__)
GEO_FILTERS = ("bbox", "near", "radius_km")
# Not a filter but how the geo filters treat events without coordinates (the server's
# index/nearby.py): for event lists, not aggregates.
GEO_FALLBACK = "geo_fallback"
AREA_SEP = "\x1f"


def check_filters(filters: Mapping[str, Any], extra: Collection[str] = ()) -> None:
    """Raise TypeError naming any keyword that is not a filter (with the closest match)."""
    allowed = FILTER_NAMES | set(extra)
    for name in filters:
        if name not in allowed:
            close = difflib.get_close_matches(name, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TypeError(f"unknown event filter {name!r}{hint}")
    if ("near" in filters) != ("radius_km" in filters):
        raise TypeError("`near` and `radius_km` go together")
    if filters.get(GEO_FALLBACK) is not None and filters.get("bbox") is None and filters.get("near") is None:
        raise TypeError("`geo_fallback` needs `bbox` or `near`")


def check_no_fallback(filters: Mapping[str, Any]) -> None:
    """Aggregates take the filters but not `geo_fallback` (TypeError, as for an unknown filter)."""
    if filters.get(GEO_FALLBACK) is not None:
        raise TypeError("`geo_fallback` applies to event lists, not aggregates")


def area_key(event: Mapping[str, Any]) -> str | None:
    """The admin area an event names, as the server's index/nearby.py AREA_SQL text (None: no admin1)."""
    admin1 = event.get("admin1")
    if admin1 is None:
        return None
    key = f"{event.get('country') or ''}{AREA_SEP}{admin1}"
    admin2 = event.get("admin2")
    return key if admin2 is None else f"{key}{AREA_SEP}{admin2}"


def fallback_areas(events: Iterable[Mapping[str, Any]], geo: Sequence[Predicate]) -> set[str]:
    """The admin areas of the live located events that the geo predicates `geo` match: an area
    by (country, admin1) and, when the event names one, by (country, admin1, admin2)."""
    out: set[str] = set()
    for e in events:
        if e["withdrawn"] is None and e.get("admin1") is not None and all(p(e) for p in geo):
            out.add(f"{e.get('country') or ''}{AREA_SEP}{e['admin1']}")
            if e.get("admin2") is not None:
                out.add(f"{e.get('country') or ''}{AREA_SEP}{e['admin1']}{AREA_SEP}{e['admin2']}")
    return out


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        text = repr(value)
        return format(value, ".12f").rstrip("0").rstrip(".") if "e" in text or "E" in text else text
    if isinstance(value, list | tuple):
        return ",".join(_param(v) for v in value)
    return str(value)


def as_aware(value: datetime) -> datetime:
    """A naive datetime taken as UTC (as `to_params` sends it to the API); an aware one as is."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def to_params(filters: Mapping[str, Any]) -> dict[str, str]:
    """Query parameters of the API for these filters (None values are left out)."""
    return {name: _param(value) for name, value in filters.items() if value is not None}


# -- Meaning over an event's JSON form (what an offline release answers with) ---------------------

Predicate = Callable[[Mapping[str, Any]], bool]


def _range_max(event: Mapping[str, Any], field: str) -> int | None:
    r = event["casualties"].get(field)
    return None if r is None else int(r["max"])


def _range_min(event: Mapping[str, Any], field: str) -> int | None:
    r = event["casualties"].get(field)
    return None if r is None else int(r["min"])


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


# What SQLite FTS5's unicode61 tokenizer (the server's search index) does beyond lower-case
# alphanumeric words: it folds these letters further, and splits at these letters (newer than its
# Unicode 6.1 tables); the server's tokeniser does the same (mirror of openstrikes.index.text).
# Measured against SQLite by test_client_server_parity.py.
_FTS_FOLD = str.maketrans(
    {
        "\u00b5": "\u03bc",  # micro sign -> mu
        "\u017f": "s",  # long s
        "\u03c2": "\u03c3",  # final sigma -> sigma
        "\u03d0": "\u03b2",
        "\u03d1": "\u03b8",
        "\u03d5": "\u03c6",
        "\u03d6": "\u03c0",
        "\u03f0": "\u03ba",
        "\u03f1": "\u03c1",
        "\u03f5": "\u03b5",  # Greek symbol variants -> letters
        "\u1e9b": "\u1e61",  # long s with dot above
        "\u1fbe": "\u03b9",  # prosgegrammeni -> iota
    }
)
_FTS_SEPARATORS = frozenset(chr(c) for c in (*range(0x19B0, 0x19C1), 0x19C8, 0x19C9, 0x1CF2, 0x1CF3))


def _split(text: str, excluded: frozenset[str]) -> list[str]:
    out, cur = [], []
    for ch in text:
        if ch.isalnum() and ch not in excluded:
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def server_words(text: str) -> list[str]:
    """The words of a text: mirror of the server's tokeniser, which splits a `q` into words, each
    searched for as a phrase of its index's tokens (the same tokens: see `words`)."""
    return words(text)


def words(text: str) -> list[str]:
    """The tokens full-text search matches on: the server's words (`server_words`) as its SQLite
    FTS5 index folds and splits them (mirror: the client has no index to ask)."""
    return _split(text.lower().translate(_FTS_FOLD), _FTS_SEPARATORS)


def _has_run(tokens: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(tokens[i : i + n] == run for i in range(len(tokens) - n + 1))


def _search(value: str) -> Predicate:
    """`q`, as the server runs it: every word of the query is an FTS5 phrase (its tokens next to
    each other in the text); a query without words is refused (ValueError), as the server refuses
    it (422)."""
    phrases = [words(w) for w in server_words(value)]
    if not phrases:
        raise ValueError(
            f"q: {value!r} has no word to search for: q matches words (letters and digits); "
            'operators and punctuation such as * " ( are not supported'
        )
    if all(len(p) == 1 for p in phrases):
        wanted = {p[0] for p in phrases}
        return lambda e: wanted <= set(words(_text_of(e)))

    def by_phrases(e: Mapping[str, Any]) -> bool:
        tokens = words(_text_of(e))
        return all(_has_run(tokens, p) for p in phrases)

    return by_phrases


def _text_of(event: Mapping[str, Any]) -> str:
    """The text `q` searches (mirror of the server's searched text)."""
    parts = [event.get("summary") or "", event.get("location") or "", event.get("admin1") or ""]
    parts += [event.get("admin2") or "", event.get("operation") or ""]
    parts += [s.get("title") or "" for s in event.get("sources") or ()]
    return " ".join(parts)


def predicates(
    filters: Mapping[str, Any],
    actor_names: Callable[[str], set[str]] | None = None,
    registry: Mapping[str, Actor] | None = None,
    areas: Collection[str] | None = None,
) -> list[Predicate]:
    """One predicate per filter; an event matches when all hold.

    `actor_names(value)` gives the actor ids a name or alias stands for (default: the value itself);
    `registry` the actors by id (their `parent` and `country`, for the group and country filters);
    `areas` the admin areas `geo_fallback` admits (see `fallback_areas`).
    """
    resolve = actor_names or (lambda v: {v})
    actors = registry or {}
    preds: list[Predicate] = []
    f = dict(filters)
    fallback = f.pop(GEO_FALLBACK, None) is not None
    if not f.pop("include_withdrawn", False):
        preds.append(lambda e: e["withdrawn"] is None)
    geo: list[Predicate] = []
    for name, value in f.items():
        if value is None:
            continue
        (geo if fallback and name in GEO_FILTERS else preds).append(
            _predicate(name, value, f, resolve, actors)
        )
    if fallback:
        preds.append(_with_fallback([p for p in geo if p is not _ALWAYS], areas or set()))
    return [p for p in preds if p is not _ALWAYS]


def _with_fallback(geo: list[Predicate], areas: Collection[str]) -> Predicate:
    """The geo predicates, or: no coordinates and an admin area among `areas`."""

    def match(e: Mapping[str, Any]) -> bool:
        if all(p(e) for p in geo):
            return True
        return e["latitude"] is None and area_key(e) in areas

    return match


def _always(event: Mapping[str, Any]) -> bool:
    return True


_ALWAYS: Predicate = _always


def _descendants(ids: set[str], actors: Mapping[str, Actor]) -> set[str]:
    """`ids` and every actor whose line of parents reaches one of them."""
    out = set(ids)
    for aid in actors:
        line, parent = [aid], actors[aid].parent
        while parent and parent in actors and parent not in line:
            line.append(parent)
            parent = actors[parent].parent
        if ids.intersection(line):
            out.add(aid)
    return out


def _role_ids(e: Mapping[str, Any], role: str) -> list[str]:
    if role == "attacker":
        return [a["actor"] for a in e["attackers"]]
    return [t["actor"] for t in e["targets"] if t.get("actor")]


def _predicate(
    name: str,
    value: Any,
    f: Mapping[str, Any],
    resolve: Callable[[str], set[str]],
    actors: Mapping[str, Actor],
) -> Predicate:
    field, _, op = name.partition("__")
    values = list(value) if op == "in" else [value]
    if field in ("attacker", "target", "attacker_group", "target_group"):
        role = field.split("_")[0]
        ids = {i for v in values for i in resolve(v)}
        if field.endswith("_group"):
            ids = _descendants(ids, actors)
        return lambda e: any(i in ids for i in _role_ids(e, role))
    if field in ("attacker_country", "target_country"):
        role, wanted = field.split("_")[0], set(values)

        def by_country(e: Mapping[str, Any]) -> bool:
            return any((a := actors.get(i)) is not None and a.country in wanted for i in _role_ids(e, role))

        return by_country
    if field in ("date_start", "date_end"):
        iso = value.isoformat()
        if op == "gte":
            return lambda e: bool(e[field] >= iso)
        return lambda e: bool(e[field] <= iso)
    if field in (
        "country",
        "admin1",
        "strike_type",
        "status",
        "outcome",
        "geo_precision",
        "operation",
        "water_body",
        "place",
    ):
        if op == "in":
            allowed = set(value)
            return lambda e: e.get(field) in allowed
        return lambda e: e.get(field) == value
    if field in ("actor", "attacker", "target"):
        ids = resolve(value)

        def by_actor(e: Mapping[str, Any]) -> bool:
            if field != "target" and any(a["actor"] in ids for a in e["attackers"]):
                return True
            return field != "attacker" and any(t.get("actor") in ids for t in e["targets"])

        return by_actor
    if field in ("killed", "civilians_killed", "injured"):
        n = int(value)
        if op == "gte":
            return lambda e: (m := _range_max(e, field)) is not None and m >= n
        return lambda e: (m := _range_min(e, field)) is not None and m <= n
    if field == "at_sea":
        wanted_at_sea = bool(value)
        return lambda e: (e.get("water_body") is not None) == wanted_at_sea
    if field in ("vessel", "flag"):
        folded = str(value).casefold()

        def by_ship(e: Mapping[str, Any]) -> bool:
            for t in e["targets"]:
                ship = t.get("vessel")
                if not ship:
                    continue
                if field == "flag" and ship.get("flag") == value:
                    return True
                if field == "vessel" and (ship.get("imo") == value or ship["name"].casefold() == folded):
                    return True
            return False

        return by_ship
    if field == "tag":
        return lambda e: value in (e.get("tags") or ())
    if field == "q":
        return _search(value)
    if field == "bbox":
        min_lon, min_lat, max_lon, max_lat = value

        def in_bbox(e: Mapping[str, Any]) -> bool:
            lat, lon = e["latitude"], e["longitude"]
            return (
                lat is not None
                and lon is not None
                and min_lat <= lat <= max_lat
                and min_lon <= lon <= max_lon
            )

        return in_bbox
    if field == "near":
        lat0, lon0 = value
        radius = float(f["radius_km"])

        def near(e: Mapping[str, Any]) -> bool:
            lat, lon = e["latitude"], e["longitude"]
            return lat is not None and lon is not None and _haversine_km(lat0, lon0, lat, lon) <= radius

        return near
    if field == "radius_km":
        return _ALWAYS
    if field == "modified_since":
        since = as_aware(value)

        def modified(e: Mapping[str, Any]) -> bool:
            return bool(parse_datetime(e["modified"]) >= since)

        return modified
    raise TypeError(f"unknown event filter {name!r}")


def sort_key(
    sort: str | None, near: tuple[float, float] | None = None
) -> tuple[Callable[[Mapping[str, Any]], Any], bool]:
    """The key function and `reverse` flag of a sort order (default: by id); `distance` sorts by
    the distance from `near`, events without coordinates last."""
    if not sort:
        return (lambda e: e["id"]), False
    if sort == "distance":
        if near is None:
            raise TypeError("sort='distance' needs `near` and `radius_km`")
        lat0, lon0 = near

        def distance(e: Mapping[str, Any]) -> tuple[float, str]:
            lat, lon = e["latitude"], e["longitude"]
            d = 1e308 if lat is None or lon is None else _haversine_km(lat0, lon0, lat, lon)
            return (d, e["id"])

        return distance, False
    reverse = sort.startswith("-")
    field = sort.lstrip("-")
    if field in ("killed", "injured", "civilians_killed"):  # by the highest figure; unknown below 0

        def killed(e: Mapping[str, Any]) -> tuple[int, str]:
            m = _range_max(e, field)
            return (-1 if m is None else m, e["id"])

        return killed, reverse
    if field == "modified":
        return (lambda e: (parse_datetime(e["modified"]), e["id"])), reverse
    if field in ("date_start", "date_end", "id"):
        return (lambda e: (e[field], e["id"])), reverse
    raise TypeError(f"unknown sort {sort!r}")
