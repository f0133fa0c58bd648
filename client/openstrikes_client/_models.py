"""Frozen, typed models of what the API and a release hold.

Every model is a frozen dataclass built from the JSON form by `from_dict` (fields a newer server
adds are ignored) and turned back into it by `to_dict`. The event fields follow
schema/event.schema.json one to one (a parity test holds them to it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from ._errors import IntegrityError

DatePrecision = Literal["day", "days", "week", "month", "year"]
GeoPrecision = Literal["exact", "near", "offset", "admin2", "admin1", "country", "water_body"]
WaterBody = Literal[
    "red_sea",
    "bab_el_mandeb",
    "gulf_of_aden",
    "arabian_sea",
    "gulf_of_oman",
    "persian_gulf",
    "mediterranean_sea",
    "caspian_sea",
    "indian_ocean",
]
VesselKind = Literal[
    "bulk_carrier",
    "tanker",
    "chemical_tanker",
    "lpg_carrier",
    "container_ship",
    "general_cargo",
    "vehicle_carrier",
    "warship",
    "other",
    "unknown",
]
StrikeType = Literal[
    "airstrike", "drone_strike", "missile", "rocket", "artillery", "loitering_munition", "unknown"
]
Outcome = Literal["impact", "intercepted", "failed", "unknown"]
Status = Literal["declared", "claimed", "alleged", "contested"]
Attribution = Literal["declared", "claimed", "suspected"]
TargetType = Literal[
    "military_base",
    "militia_facility",
    "weapons_storage",
    "command_and_control",
    "vehicle",
    "personnel",
    "infrastructure",
    "residential",
    "diplomatic",
    "vessel",
    "other",
    "unknown",
]
WithdrawalReason = Literal["duplicate", "erroneous", "not_a_strike", "merged", "insufficient_evidence"]
RelationType = Literal["retaliation_for", "response_to", "same_operation", "follow_up"]
SourceType = Literal["official", "news", "ngo", "monitor", "social", "other"]
ActorKind = Literal[
    "state_military", "state_command", "state_agency", "armed_group", "umbrella", "unidentified"
]

T = TypeVar("T")


# -- JSON <-> Python value helpers ---------------------------------------------------------------


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 date-time ("2024-01-28T10:00:00Z") as an aware datetime."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    """An aware datetime as RFC 3339 text, UTC written with a `Z` like the dataset does."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _opt_dt(text: str | None) -> datetime | None:
    return None if text is None else parse_datetime(text)


def _json_value(value: Any) -> Any:
    if isinstance(value, _JSONModel):
        return value.to_dict()
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _fields_json(obj: Any) -> dict[str, Any]:
    """The JSON form of a model's fields, in field order. An optional property that was absent
    from the JSON the model came from stays absent, so a record round-trips exactly."""
    present = getattr(obj, "__dict__", None)
    return {
        f.name: _json_value(getattr(obj, f.name))
        for f in dataclasses.fields(obj)
        if present is None or f.name in present
    }


class _JSONModel:
    """Mixin: `to_dict()` gives the JSON form (dates as ISO text, tuples as lists)."""

    __slots__ = ()
    _fields: ClassVar[frozenset[str]] = frozenset()
    _required: ClassVar[frozenset[str]] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of this object, keys in field order."""
        return _fields_json(self)


# -- Lazy conversion -----------------------------------------------------------------------------
# A model adopts the dict decoded from JSON as its instance dict after checking its keys (fields
# a newer server adds are dropped); fields whose Python type differs from their JSON form (dates,
# nested models, tuples) are converted once, on first read, by a data descriptor. Iterating
# 100k events thus costs little more than decoding their JSON, and every field is still typed.

M = TypeVar("M", bound=_JSONModel)
_new = object.__new__
_set = object.__setattr__
_RAW = (str, dict, list)


class _Lazy:
    """Data descriptor of one field: JSON form in, typed value out (converted once)."""

    __slots__ = ("convert", "default", "has_default", "name", "owner")

    def __init__(self, owner: str, name: str, convert: Callable[[Any], Any], default: Any, has_default: bool):
        self.owner, self.name, self.convert = owner, name, convert
        self.default, self.has_default = default, has_default

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        d = obj.__dict__
        try:
            raw = d[self.name]
        except KeyError:
            if self.has_default:
                return self.default
            raise AttributeError(self.name) from None
        if not isinstance(raw, _RAW):
            return raw
        try:
            value = self.convert(raw)
        except (KeyError, TypeError, ValueError, AttributeError, IntegrityError) as exc:
            ident = d.get("id")
            who = f" of {ident!r}" if isinstance(ident, str) else ""
            raise IntegrityError(f"malformed {self.owner}.{self.name}{who}: {exc}") from exc
        d[self.name] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.name] = value


def _json_model(**converters: Callable[[Any], Any]) -> Callable[[type[M]], type[M]]:
    """Register a dataclass model: its field names, required names, and lazy converters."""

    def register(cls: type[M]) -> type[M]:
        fields = dataclasses.fields(cls)  # type: ignore[arg-type]
        cls._fields = frozenset(f.name for f in fields)
        cls._required = frozenset(
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
        for f in fields:
            if f.name in converters:
                has_default = f.default is not dataclasses.MISSING
                lazy = _Lazy(cls.__name__, f.name, converters[f.name], f.default, has_default)
                setattr(cls, f.name, lazy)
        return cls

    return register


def _adopt(cls: type[M], d: Any) -> M:
    """Make a `cls` from a JSON object this module owns (not copied, not to be shared)."""
    if type(d) is not dict:
        raise IntegrityError(f"expected a JSON object for {cls.__name__}, got {type(d).__name__}")
    keys = d.keys()
    if keys != cls._fields:  # the common case (every field, nothing more) is one comparison
        if not keys >= cls._required:
            missing = sorted(cls._required - keys)
            raise IntegrityError(
                f"{cls.__name__} {d.get('id', '')!r} lacks required field(s) {missing}".replace(" ''", "")
            )
        if not keys <= cls._fields:
            d = {k: v for k, v in d.items() if k in cls._fields}
    obj: M = _new(cls)
    _set(obj, "__dict__", d)
    return obj


def _copy_json(value: Any) -> Any:
    """A deep copy of a JSON value (so a model never shares the caller's dicts)."""
    if isinstance(value, Mapping):
        return {k: _copy_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_json(v) for v in value]
    return value


def _load(cls: type[M], d: Mapping[str, Any]) -> M:
    return _adopt(cls, _copy_json(d))


def _tuple(raw: list[Any]) -> tuple[Any, ...]:
    return tuple(raw)


def _tuple_of(cls: type[M]) -> Callable[[list[Any]], tuple[M, ...]]:
    def convert(raw: list[Any]) -> tuple[M, ...]:
        return tuple([_adopt(cls, x) for x in raw])

    return convert


def _one(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    def convert(raw: dict[str, Any]) -> M:
        return _adopt(cls, raw)

    return convert


# -- The event record ----------------------------------------------------------------------------


@_json_model()
@dataclass(frozen=True, kw_only=True)
class Range(_JSONModel):
    """A count as a range over what the sources say; `best` is the best single estimate."""

    min: int
    max: int
    best: int | None = None


_range = _one(Range)
_CASUALTY_KEYS = ("killed", "injured", "civilians_killed", "civilians_injured")


@_json_model(killed=_range, injured=_range, civilians_killed=_range, civilians_injured=_range)
@dataclass(frozen=True, kw_only=True)
class Casualties(_JSONModel):
    """Casualty counts; None means unknown (never zero), a Range of 0 means reported none."""

    killed: Range | None
    injured: Range | None
    civilians_killed: Range | None
    civilians_injured: Range | None


@_json_model(killed=_range, injured=_range, civilians_killed=_range, civilians_injured=_range)
@dataclass(frozen=True, kw_only=True)
class ClaimFigures(_JSONModel):
    """The figures one claimant gave (only those it gave are set)."""

    killed: Range | None = None
    injured: Range | None = None
    civilians_killed: Range | None = None
    civilians_injured: Range | None = None

    def to_dict(self) -> dict[str, Any]:
        return {f: r.to_dict() for f in _CASUALTY_KEYS if (r := getattr(self, f)) is not None}


@_json_model(figures=_one(ClaimFigures))
@dataclass(frozen=True, kw_only=True)
class CasualtyClaim(_JSONModel):
    """Who said what about casualties: `source` is the URL of the reporting source."""

    source: str
    claimant: str
    figures: ClaimFigures


@_json_model(at=parse_datetime)
@dataclass(frozen=True, kw_only=True)
class Withdrawal(_JSONModel):
    """Why and when an event was withdrawn (it is never deleted)."""

    at: datetime
    reason: WithdrawalReason
    superseded_by: str | None = None
    note: str | None = None


@_json_model()
@dataclass(frozen=True, kw_only=True)
class Attacker(_JSONModel):
    """An actor id (see Client.actors) and how the strike is attributed to it."""

    actor: str
    attribution: Attribution


@_json_model()
@dataclass(frozen=True, kw_only=True)
class Vessel(_JSONModel):
    """A ship targeted by a strike (schema 1.1): `imo` is its 7-digit IMO number, `flag` an ISO
    3166-1 alpha-2 code; both None when no source states them."""

    name: str
    imo: str | None
    flag: str | None
    kind: VesselKind
    owner: str | None = None
    operator: str | None = None


@_json_model(vessel=_one(Vessel))
@dataclass(frozen=True, kw_only=True)
class Target(_JSONModel):
    """What and whom the strike hit or aimed at; `vessel` describes a ship (schema 1.1)."""

    actor: str | None = None
    target_type: TargetType
    description: str | None = None
    vessel: Vessel | None = None


@_json_model()
@dataclass(frozen=True, kw_only=True)
class Relation(_JSONModel):
    """A link to another event."""

    id: str
    relation: RelationType


@_json_model(published=date.fromisoformat)
@dataclass(frozen=True, kw_only=True)
class Source(_JSONModel):
    """Where the facts of an event come from."""

    url: str
    archive_url: str | None = None
    title: str
    publisher: str
    published: date | None = None
    type: SourceType


@_json_model(
    published=parse_datetime,
    modified=parse_datetime,
    withdrawn=_one(Withdrawal),
    date_start=date.fromisoformat,
    date_end=date.fromisoformat,
    datetime_utc=parse_datetime,
    platforms=_tuple,
    munitions=_tuple,
    attackers=_tuple_of(Attacker),
    targets=_tuple_of(Target),
    casualties=_one(Casualties),
    casualty_claims=_tuple_of(CasualtyClaim),
    related=_tuple_of(Relation),
    distinct_from=_tuple,
    aliases=_tuple,
    sources=_tuple_of(Source),
    tags=_tuple,
    contributors=_tuple,
)
@dataclass(frozen=True, kw_only=True)
class Event(_JSONModel):
    """One strike event: one location on one day (fields as in schema/event.schema.json).

    `withdrawn` is None for a live event; a withdrawn event stays in the data with its reason.
    At sea (schema 1.1) `country` is None and `water_body` names the body of water; `place` is
    the slug of a place of the registry. Records of schema 1.0 give None for both.
    """

    id: str
    schema_version: str
    published: datetime
    modified: datetime
    withdrawn: Withdrawal | None
    date_start: date
    date_end: date
    date_precision: DatePrecision
    datetime_utc: datetime | None = None
    timezone: str | None = None
    country: str | None
    water_body: WaterBody | None = None
    admin1: str | None = None
    admin2: str | None = None
    location: str | None = None
    latitude: float | None
    longitude: float | None
    geo_precision: GeoPrecision
    place: str | None = None
    strike_type: StrikeType
    platforms: tuple[str, ...] = ()
    munitions: tuple[str, ...] = ()
    outcome: Outcome
    status: Status
    attackers: tuple[Attacker, ...]
    targets: tuple[Target, ...]
    casualties: Casualties
    casualty_claims: tuple[CasualtyClaim, ...] = ()
    operation: str | None = None
    related: tuple[Relation, ...] = ()
    distinct_from: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    summary: str
    sources: tuple[Source, ...]
    tags: tuple[str, ...] = ()
    contributors: tuple[str, ...] = ()

    @property
    def is_withdrawn(self) -> bool:
        """True when the event has been withdrawn (it stays in the data, marked)."""
        return self.withdrawn is not None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Event:
        """Build an Event from its JSON form (unknown fields ignored; IntegrityError if malformed)."""
        return _load(cls, d)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, keys in schema order: exactly the record the event was read from."""
        return _fields_json(self)


def event_from_json(d: Any) -> Event:
    """An Event from a freshly decoded JSON object, adopted without a copy (the hot path)."""
    return _adopt(Event, d)


# -- Actors --------------------------------------------------------------------------------------


@_json_model()
@dataclass(frozen=True, kw_only=True)
class ExternalIds(_JSONModel):
    """Identifiers of an actor in other registries."""

    acled: str | None = None
    ucdp: str | None = None
    wikidata: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k in ("acled", "ucdp", "wikidata") if (v := getattr(self, k)) is not None}


@_json_model(aliases=_tuple, external_ids=_one(ExternalIds), sources=_tuple)
@dataclass(frozen=True, kw_only=True)
class Actor(_JSONModel):
    """One actor of the registry (fields as in schema/actor.schema.json)."""

    id: str
    name: str
    aliases: tuple[str, ...]
    kind: ActorKind
    country: str | None
    parent: str | None
    external_ids: ExternalIds
    description: str | None = None
    sources: tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Actor:
        """Build an Actor from its JSON form (unknown fields ignored; IntegrityError if malformed)."""
        return _load(cls, d)


# -- Places --------------------------------------------------------------------------------------


@_json_model()
@dataclass(frozen=True, kw_only=True)
class PlaceSource(_JSONModel):
    """A gazetteer page a place was taken from."""

    url: str
    title: str
    publisher: str


@_json_model()
@dataclass(frozen=True, kw_only=True)
class PlaceIds(_JSONModel):
    """Identifiers of a place in other gazetteers."""

    geonames: str | None = None
    wikidata: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k in ("geonames", "wikidata") if (v := getattr(self, k)) is not None}


@_json_model(aliases=_tuple, sources=_tuple_of(PlaceSource), external_ids=_one(PlaceIds))
@dataclass(frozen=True, kw_only=True)
class Place(_JSONModel):
    """One place of the registry (fields as in schema/place.schema.json); events that name it
    in `place` share its country, body of water, admin names, coordinates and precision."""

    slug: str
    name: str
    aliases: tuple[str, ...]
    country: str | None
    water_body: WaterBody | None
    admin1: str | None
    admin2: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: GeoPrecision
    sources: tuple[PlaceSource, ...]
    external_ids: PlaceIds

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Place:
        """Build a Place from its JSON form (unknown fields ignored; IntegrityError if malformed)."""
        return _load(cls, d)


@dataclass(frozen=True, kw_only=True)
class PlaceEvents:
    """A place and the live events that name it (by date, then id)."""

    place: Place
    events: tuple[Event, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PlaceEvents:
        return cls(place=Place.from_dict(d["place"]), events=tuple(Event.from_dict(e) for e in d["events"]))


# -- Responses -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results: `items`, the `total` matching, and how to get the next page."""

    items: tuple[T, ...]
    total: int | None = None
    page: int | None = None
    page_size: int | None = None
    next_cursor: str | None = None
    next: str | None = None
    without_coordinates: int | None = None  # with bbox/near: matching events left out for lack of coordinates
    distance_km: dict[str, float] | None = None  # with near: each item's distance from the centre, by id

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        """True when there is a further page."""
        return self.next_cursor is not None or self.next is not None


@dataclass(frozen=True, kw_only=True)
class RelatedEvent:
    """An event linked to the one asked for, and how: `distance` steps away, reached from `via`
    (the event one step nearer) by a link of type `relation`; `direction` "names": this event's
    record names `via` (it is e.g. a retaliation_for `via`, it answered it); "named_by": `via`'s
    record names this event (`via` answered it)."""

    event: Event
    distance: int
    via: str
    relation: str
    direction: Literal["names", "named_by"]


def related_from_json(body: Mapping[str, Any]) -> list[RelatedEvent]:
    """The answer of /events/{id}/related: `items` and the `links` that say how each is linked."""
    links = body.get("links")
    if links is None:  # a server older than the links: distances unknown
        raise KeyError("links (the server is older than relation types in related events)")
    return [
        RelatedEvent(
            event=event_from_json(item),
            distance=int(link["distance"]),
            via=link["via"],
            relation=link["relation"],
            direction="names" if link["direction"] == "names" else "named_by",
        )
        for item, link in zip(body["items"], links, strict=True)
    ]


def check_depth(depth: int | None) -> None:
    """ValueError unless `depth` is None or a whole number from 1."""
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise ValueError(f"depth: a whole number from 1, got {depth!r}")


@dataclass(frozen=True, kw_only=True)
class Change(_JSONModel):
    """An event modified or withdrawn since a time (an entry of the changes feed)."""

    id: str
    modified: datetime
    withdrawn: bool
    withdrawn_at: datetime | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Change:
        return cls(
            id=d["id"],
            modified=parse_datetime(d["modified"]),
            withdrawn=bool(d["withdrawn"]),
            withdrawn_at=_opt_dt(d.get("withdrawn_at")),
        )


@dataclass(frozen=True, kw_only=True)
class Changes(_JSONModel):
    """The changes between `since` and `until` (pass `until` as the next `since`)."""

    items: tuple[Change, ...]
    since: datetime | None
    until: datetime | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Changes:
        return cls(
            items=tuple(Change.from_dict(x) for x in d["items"]),
            since=_opt_dt(d.get("since")),
            until=_opt_dt(d.get("until")),
        )


@dataclass(frozen=True, kw_only=True)
class CountRange(_JSONModel):
    """One casualty figure summed over a group: `min` and `max` sum the lowest and highest reported
    figures, `best` the best estimates of the `with_best` events that give one, and `unknown`
    counts the events whose figure is unknown, which add to no sum (`unknown > 0`: a partial sum).
    The last three are None from a server older than these fields (it did not say)."""

    min: int
    max: int
    best: int | None = None
    with_best: int | None = None
    unknown: int | None = None

    @property
    def complete(self) -> bool:
        """True only when every event of the group is known to report this figure."""
        return self.unknown == 0


def _count_range(d: Mapping[str, Any] | None) -> CountRange:
    if d is None:
        return CountRange(min=0, max=0)
    return CountRange(
        min=d["min"],
        max=d["max"],
        best=d.get("best"),
        with_best=d.get("with_best"),
        unknown=d.get("unknown"),
    )


@dataclass(frozen=True, kw_only=True)
class AggregateRow(_JSONModel):
    """One group: its key values (by group_by name), the number of distinct events and, per
    casualty field, the summed figures with the count of events whose figure is unknown."""

    key: dict[str, Any]
    events: int
    killed: CountRange
    injured: CountRange
    civilians_killed: CountRange
    civilians_injured: CountRange

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], group_by: tuple[str, ...] = ()) -> AggregateRow:
        return cls(
            key={k: d.get(k) for k in group_by},
            events=d["events"],
            killed=_count_range(d.get("killed")),
            injured=_count_range(d.get("injured")),
            civilians_killed=_count_range(d.get("civilians_killed")),
            civilians_injured=_count_range(d.get("civilians_injured")),
        )

    def flat(self) -> dict[str, Any]:
        """One flat record (`country`, ..., `events`, `killed_min`, `killed_max`, `killed_best`,
        `killed_with_best`, `killed_unknown`, ...), e.g. for pandas."""
        out = dict(self.key)
        out["events"] = self.events
        for name in _CASUALTY_KEYS:
            r: CountRange = getattr(self, name)
            out[f"{name}_min"] = r.min
            out[f"{name}_max"] = r.max
            out[f"{name}_best"] = r.best
            out[f"{name}_with_best"] = r.with_best
            out[f"{name}_unknown"] = r.unknown
        return out


@dataclass(frozen=True, kw_only=True)
class Aggregates(_JSONModel):
    """Counts and casualty figures per group, in the order the groups sort.

    `counting` says how events are counted: once per row, so with a key of several values per event
    (attackers, targets, tags) rows can add up to more than `total`, which counts each matching
    event once.
    """

    group_by: tuple[str, ...]
    items: tuple[AggregateRow, ...]
    counting: str = ""
    total: AggregateRow | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Aggregates:
        group_by = tuple(d["group_by"])
        total = d.get("total")
        return cls(
            group_by=group_by,
            items=tuple(AggregateRow.from_dict(x, group_by) for x in d["items"]),
            counting=d.get("counting", ""),
            total=None if total is None else AggregateRow.from_dict(total),
        )

    def records(self) -> list[dict[str, Any]]:
        """Flat records, one per group: `pandas.DataFrame(aggregates.records())`."""
        return [row.flat() for row in self.items]


@dataclass(frozen=True, kw_only=True)
class ReleaseFile(_JSONModel):
    """A downloadable file of a release."""

    name: str
    bytes: int
    sha256: str
    url: str


@dataclass(frozen=True, kw_only=True)
class Release(_JSONModel):
    """A published, immutable release of the dataset."""

    version: str
    name: str
    created: datetime | None
    sha256: str
    files: tuple[ReleaseFile, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Release:
        return cls(
            version=d["version"],
            name=d["name"],
            created=_opt_dt(d.get("created")),
            sha256=d["sha256"],
            files=tuple(
                ReleaseFile(name=f["name"], bytes=f["bytes"], sha256=f["sha256"], url=f["url"])
                for f in d["files"]
            ),
        )

    def file(self, name: str) -> ReleaseFile:
        """The file called `name` (KeyError naming the available files if there is none)."""
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"release {self.version} has no file {name!r}; it has {[f.name for f in self.files]}")


@dataclass(frozen=True, kw_only=True)
class Releases(_JSONModel):
    """Every published release, and which one is the latest."""

    items: tuple[Release, ...]
    latest: str | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Releases:
        return cls(items=tuple(Release.from_dict(x) for x in d["items"]), latest=d.get("latest"))

    def get(self, version: str | None = None) -> Release:
        """The release `version` (default: the latest); KeyError if there is none."""
        want = version or self.latest
        for r in self.items:
            if r.version == want:
                return r
        raise KeyError(f"no release {want!r}; available: {[r.version for r in self.items]}")


@dataclass(frozen=True, kw_only=True)
class Problem(_JSONModel):
    """One problem found by validation: where (file, JSON pointer, line), a stable code, the fix."""

    file: str
    pointer: str
    code: str
    message: str
    hint: str
    line: int | None = None
    column: int | None = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Problem:
        return cls(
            file=d.get("file", ""),
            pointer=d.get("pointer", ""),
            code=d["code"],
            message=d.get("message", ""),
            hint=d.get("hint", ""),
            line=d.get("line"),
            column=d.get("column"),
        )

    def __str__(self) -> str:
        at = f" at {self.pointer}" if self.pointer else ""
        return f"{self.code} {self.message}{at} (fix: {self.hint})"


@dataclass(frozen=True, kw_only=True)
class Report(_JSONModel):
    """The result of validating one event: `valid`, and every problem found."""

    valid: bool
    problems: tuple[Problem, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Report:
        return cls(valid=bool(d["valid"]), problems=tuple(Problem.from_dict(p) for p in d["problems"]))

    def __bool__(self) -> bool:
        return self.valid
