"""Dataset-wide checks over compact per-file facts: unique ids and aliases, known actors,
existing links, likely duplicates.

`DatasetIndex` takes the facts of one file at a time, as validation workers produce them,
keeps a few compact entries per event (a million events are indexed in a few hundred MB), and
answers every dataset-wide problem at the end."""

from __future__ import annotations

import math
from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, NamedTuple

from openstrikes.geo import EARTH_RADIUS_KM, haversine_km
from openstrikes.problems import Problem, pointer_join
from openstrikes.toolchain.checks import REGISTRY
from openstrikes.toolchain.places import PLACE_FIELDS

DUPLICATE_DAYS = 1
DUPLICATE_KM = 25.0
# Two points more than this many degrees of latitude apart are more than DUPLICATE_KM apart
# (a great circle is never shorter than the meridian arc between the two latitudes); the small
# margin keeps rounding on the safe side.
_LATITUDE_SPAN = math.degrees(DUPLICATE_KM / EARTH_RADIUS_KM) + 1e-6
_WITHDRAWN_LINK = "/withdrawn/superseded_by"


class EventFacts(NamedTuple):
    """What the dataset-wide checks need of one event (a plain tuple: cheap to send between
    processes and small to keep)."""

    id: str
    day: int | None  # ordinal of date_start (None when unreadable)
    lat: float | None
    lon: float | None
    attackers: tuple[str | None, ...]  # actor ids of `attackers`, in order (None: not a string)
    target_actors: tuple[str | None, ...]  # actor ids of `targets`, in order (None: no actor)
    links: tuple[tuple[str, str], ...]  # (event id, pointer): related, distinct_from, superseded_by
    aliases: tuple[str | None, ...]  # None: not a string
    withdrawn: bool
    place: str | None = None  # slug of the place the event names
    place_values: tuple[Any, ...] = ()  # its PLACE_FIELDS values, when it names a place
    imos: tuple[str, ...] = ()  # IMO numbers of its target vessels (each once)

    @property
    def linked(self) -> frozenset[str]:
        """Ids this event names in `related` or `distinct_from` (not superseded_by)."""
        return frozenset(other for other, ptr in self.links if ptr != _WITHDRAWN_LINK)


class ActorFacts(NamedTuple):
    id: str
    names: tuple[str, ...]  # name, then aliases
    parent: str | None


class PlaceFacts(NamedTuple):
    slug: str
    values: tuple[Any, ...]  # PLACE_FIELDS values


def _vessel_imos(targets: Any) -> tuple[str, ...]:
    imos: dict[str, None] = {}
    for t in targets or ():
        vessel = t.get("vessel")
        if type(vessel) is dict and type(imo := vessel.get("imo")) is str:
            imos[imo] = None
    return tuple(imos)


def facts_of(data: dict[str, Any], kind: str) -> EventFacts | ActorFacts | PlaceFacts | None:
    """The facts of one record, or None when its shape is too broken to read them."""
    try:
        if kind == "place":
            return PlaceFacts(str(data["slug"]), tuple(data.get(f) for f in PLACE_FIELDS))
        if kind == "actor":
            names = (data["name"], *data.get("aliases", []))
            parent = data.get("parent")
            return ActorFacts(
                str(data["id"]), tuple(str(n) for n in names), parent if type(parent) is str else None
            )
        # Values of the wrong type are the schema's to report; here they are left out, so that
        # the dataset-wide checks only ever compare strings and numbers.
        links: tuple[tuple[str, str], ...] = ()
        related, distinct = data.get("related"), data.get("distinct_from")
        if related:
            links = tuple(
                (r["id"], f"/related/{i}/id") for i, r in enumerate(related) if type(r["id"]) is str
            )
        if distinct:
            links += tuple((d, f"/distinct_from/{i}") for i, d in enumerate(distinct) if type(d) is str)
        withdrawn = data.get("withdrawn")
        if withdrawn and type(withdrawn.get("superseded_by")) is str:
            links += ((withdrawn["superseded_by"], _WITHDRAWN_LINK),)
        attackers = tuple([a["actor"] for a in data.get("attackers") or ()])
        targets = data.get("targets")
        # "" or a non-string: no actor named
        target_actors = tuple([a if type(a := t.get("actor")) is str and a else None for t in targets or ()])
        aliases = tuple(data.get("aliases") or ())
        lat, lon = data.get("latitude"), data.get("longitude")
        if type(lat) not in _NUMBER or type(lon) not in _NUMBER:
            lat = lon = None
        place = data.get("place")
        place = place if type(place) is str else None
        return EventFacts(
            str(data["id"]),
            _day(data.get("date_start")),
            lat,
            lon,
            attackers if all(type(a) is str for a in attackers) else _strings_or_none(attackers),
            target_actors,
            links,
            aliases if not aliases or all(type(a) is str for a in aliases) else _strings_or_none(aliases),
            bool(withdrawn),
            place,
            tuple(data.get(f) for f in PLACE_FIELDS) if place is not None else (),
            _vessel_imos(targets) if targets else (),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


_NUMBER = (int, float)


def _strings_or_none(values: tuple[Any, ...]) -> tuple[str | None, ...]:
    """The values, with None in place of any that is not a string (indexes kept for pointers)."""
    return tuple(v if type(v) is str else None for v in values)


def _day(value: Any) -> int | None:
    try:
        return date.fromisoformat(value).toordinal()
    except (TypeError, ValueError):
        return None


def _problem(code: str, file: str, pointer: str, message: str, hint: str | None = None) -> Problem:
    return Problem(file, pointer, code, message, hint or REGISTRY[code].hint)


# A record file: its display name, or the group number of a file named after the event's id.
FileRef = str | int


class DatasetIndex:
    """Dataset-wide checks, fed one file's facts at a time.

    What it keeps per event is small (a million events are indexed during validation): the id,
    a file reference, and for live located events a few numbers in arrays. Likely duplicates are
    found at the end, in one sweep over those events sorted by attacker and day."""

    def __init__(self, display: Callable[[int, str], str] | None = None) -> None:
        """`display(group, file name)` names a file given by a group number (see add_event)."""
        self._display = display
        self._event_files: dict[str, FileRef] = {}  # id -> first file holding it
        self._actor_files: dict[str, str] = {}
        self._repeated: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, id) -> more files
        # Places hold a file reference and the record's id: file names are built when reported.
        self._names: dict[str, list[tuple[FileRef, str, str]]] = defaultdict(list)  # key -> places
        # (file, id, actor id, pointer) and (file, id, event id, pointer) of ids not yet known:
        self._actor_refs: list[tuple[FileRef, str, str, str]] = []
        self._links: list[tuple[FileRef, str, str, str]] = []
        self._parents: list[tuple[str, str]] = []  # (file, parent id)
        # Live located events, by slot: id, file, coordinates; ids they link to (when any).
        self._ids: list[str] = []
        self._files: list[FileRef] = []
        self._lat = array("d")
        self._lon = array("d")
        self._linked: dict[int, frozenset[str]] = {}
        # One row per (slot, attacker): attacker number << 32 | day, and the slot.
        self._attacker_numbers: dict[str, int] = {}
        self._row_keys = array("q")
        self._row_slots = array("I")
        # The places registry, and the events that name a place or a vessel's IMO number.
        self._places: dict[str, tuple[str, tuple[Any, ...]]] = {}  # slug -> (file, values)
        self._place_refs: list[tuple[FileRef, str, str, tuple[Any, ...]]] = []
        self._imo_days: dict[tuple[str, int], list[tuple[FileRef, str, frozenset[str]]]] = defaultdict(list)

    def add_place(self, file: str, facts: PlaceFacts) -> None:
        if facts.slug in self._places:
            self._repeated[("place", facts.slug)].append(file)
        else:
            self._places[facts.slug] = (file, facts.values)

    def add_actor(self, file: str, facts: ActorFacts) -> None:
        if facts.id in self._actor_files:
            self._repeated[("actor", facts.id)].append(file)
        else:
            self._actor_files[facts.id] = file
        for i, name in enumerate(facts.names):
            ptr = "/name" if i == 0 else pointer_join("aliases", i - 1)
            self._names["actor:" + name.casefold()].append((file, facts.id, ptr))
        if facts.parent:
            self._parents.append((file, facts.parent))

    def file(self, ref: FileRef, event_id: str) -> str:
        """The display name of a file reference."""
        if isinstance(ref, str):
            return ref
        assert self._display is not None, "group references need a display function"
        return self._display(ref, event_id + ".json")

    def add_event(self, ref: FileRef, facts: EventFacts) -> None:
        """Index one event. `ref` is its file's display name or, for a file named `<id>.json`,
        the number of its directory's group (an int costs nothing to keep; a name would)."""
        if facts.id in self._event_files:
            self._repeated[("event", facts.id)].append(self.file(ref, facts.id))
        else:
            self._event_files[facts.id] = ref
        known = self._actor_files.__contains__
        if (
            facts.aliases
            or facts.links
            or not all(map(known, facts.attackers))
            or not all(map(known, facts.target_actors))
        ):
            # Only these are kept; the usual event names known actors and nothing else.
            self._add_references(ref, facts)
        if facts.place is not None:
            self._place_refs.append((ref, facts.id, facts.place, facts.place_values))
        if facts.imos and not facts.withdrawn and facts.day is not None:
            for imo in facts.imos:
                self._imo_days[(imo, facts.day)].append((ref, facts.id, facts.linked))
        if not facts.withdrawn and facts.day is not None and facts.lat is not None and facts.lon is not None:
            self._add_located(ref, facts)

    def _add_references(self, ref: FileRef, facts: EventFacts) -> None:
        rid = facts.id
        if facts.aliases:
            for i, alias in enumerate(facts.aliases):
                if alias is not None:
                    self._names["event:" + alias].append((ref, rid, f"/aliases/{i}"))
        known_actors = self._actor_files
        for i, actor in enumerate(facts.attackers):
            if actor is not None and actor not in known_actors:
                self._actor_refs.append((ref, rid, actor, f"/attackers/{i}/actor"))
        for i, actor in enumerate(facts.target_actors):
            if actor is not None and actor not in known_actors:  # None: no actor named
                self._actor_refs.append((ref, rid, actor, f"/targets/{i}/actor"))
        if facts.links:
            known_events = self._event_files
            for other, ptr in facts.links:
                if other not in known_events:
                    self._links.append((ref, rid, other, ptr))

    def _add_located(self, ref: FileRef, facts: EventFacts) -> None:
        assert facts.day is not None and facts.lat is not None and facts.lon is not None
        slot = len(self._ids)
        self._ids.append(facts.id)
        self._files.append(ref)
        self._lat.append(facts.lat)
        self._lon.append(facts.lon)
        if facts.links:
            self._linked[slot] = facts.linked
        numbers = self._attacker_numbers
        attackers: Iterable[str | None] = facts.attackers
        if len(facts.attackers) > 1:
            attackers = dict.fromkeys(facts.attackers)  # each once, in the record's order
        for attacker in attackers:
            if attacker is None:
                continue
            number = numbers.setdefault(attacker, len(numbers))
            self._row_keys.append(number << 32 | facts.day)
            self._row_slots.append(slot)

    def likely_duplicates(self) -> Iterator[Problem]:
        """Pairs of live events within a day of each other, within 25 km, sharing an attacker,
        and not linked by `related` or `distinct_from` on either side; both files get a problem
        naming both ids."""
        keys, slots, lats = self._row_keys, self._row_slots, self._lat
        attackers = sorted(self._attacker_numbers, key=self._attacker_numbers.__getitem__)
        reported: set[tuple[int, int]] = set()
        window: deque[int] = deque()  # rows of the current attacker, at most a day before this one
        # Sort (key, row) packed into one int each: half the memory of sorting rows by a key.
        for packed in sorted(key << 32 | row for row, key in enumerate(keys)):
            key, row = packed >> 32, packed & 0xFFFFFFFF
            while window and (keys[window[0]] >> 32 != key >> 32 or key - keys[window[0]] > DUPLICATE_DAYS):
                window.popleft()
            b = slots[row]
            lat_b = lats[b]
            for other in window:
                a = slots[other]
                if abs(lats[a] - lat_b) > _LATITUDE_SPAN:
                    continue  # farther apart along the meridian alone than the limit
                pair = (min(a, b), max(a, b))
                km = None if pair in reported else self._near(a, b)
                if km is not None:
                    reported.add(pair)
                    yield from self._duplicate(a, b, km, int(key - keys[other]), attackers[key >> 32])
            window.append(row)

    def _near(self, a: int, b: int) -> float | None:
        """The distance of two located events when they may be one event, else None."""
        ids, linked = self._ids, self._linked
        if ids[a] == ids[b] or ids[b] in linked.get(a, ()) or ids[a] in linked.get(b, ()):
            return None
        km = haversine_km(self._lat[a], self._lon[a], self._lat[b], self._lon[b])
        return km if km <= DUPLICATE_KM else None

    def _duplicate(self, a: int, b: int, km: float, days: int, attacker: str) -> Iterator[Problem]:
        ids = self._ids
        for this, that in ((a, b), (b, a)):
            yield _problem(
                "OS401",
                self.file(self._files[this], ids[this]),
                "",
                f"likely duplicate of {ids[that]} ({self.file(self._files[that], ids[that])}): "
                f"{km:.1f} km apart, {days} day(s) apart, shared attacker {attacker!r}",
                f"if they are the same event, withdraw one as `duplicate` (superseded_by); if not, "
                f"add {ids[that]!r} to distinct_from or link it in related",
            )

    def problems(self) -> Iterator[Problem]:
        """Every dataset-wide problem; each names the file it should be fixed in."""
        for (kind, rid), more in self._repeated.items():
            if kind == "event":
                first = self.file(self._event_files[rid], rid)
            else:
                first = self._actor_files[rid] if kind == "actor" else self._places[rid][0]
            files = [first, *more]
            for f in files:
                others = ", ".join(x for x in files if x != f)
                yield _problem("OS302", f, "/id", f"{kind} id {rid!r} is also used by {others}")
        for key, places in self._names.items():
            if len(places) < 2:
                continue  # a name used once
            named = [(self.file(ref, rid), ptr) for ref, rid, ptr in places]
            files = {f for f, _ in named}
            if len(files) > 1:
                for f, ptr in named:
                    others = ", ".join(sorted(files - {f}))
                    yield _problem("OS303", f, ptr, f"{key.split(':', 1)[1]!r} also names {others}")
        for ref, rid, actor, ptr in self._actor_refs:
            if actor not in self._actor_files:
                yield _problem(
                    "OS309", self.file(ref, rid), ptr, f"actor {actor!r} is not in dataset/actors/"
                )
        for ref, rid, other, ptr in self._links:
            if other not in self._event_files:
                yield _problem("OS310", self.file(ref, rid), ptr, f"event {other!r} does not exist")
        for file, parent in self._parents:
            if parent not in self._actor_files:
                yield _problem("OS309", file, "/parent", f"parent actor {parent!r} is not in dataset/actors/")
        yield from self.place_problems()
        yield from self.likely_duplicates()
        yield from self.same_ship_same_day()

    def place_problems(self) -> Iterator[Problem]:
        """Events naming a place the registry lacks, or differing from their place."""
        for ref, rid, slug, values in self._place_refs:
            file = self.file(ref, rid)
            known = self._places.get(slug)
            if known is None:
                yield _problem("OS333", file, "/place", f"place {slug!r} is not in dataset/places/")
                continue
            for name, mine, theirs in zip(PLACE_FIELDS, values, known[1], strict=True):
                if not _same_value(mine, theirs):
                    yield _problem(
                        "OS334",
                        file,
                        "/" + name,
                        f"{name} is {_shown(mine)} but place {slug!r} has {_shown(theirs)}",
                    )

    def same_ship_same_day(self) -> Iterator[Problem]:
        """Live events on one day against one IMO number, not linked to each other."""
        for (imo, _day), hits in self._imo_days.items():
            if len(hits) < 2:
                continue
            for i, (ref_a, id_a, linked_a) in enumerate(hits):
                for ref_b, id_b, linked_b in hits[i + 1 :]:
                    if id_a == id_b or id_b in linked_a or id_a in linked_b:
                        continue
                    for ref, me, other, other_ref in ((ref_a, id_a, id_b, ref_b), (ref_b, id_b, id_a, ref_a)):
                        yield _problem(
                            "OS402",
                            self.file(ref, me),
                            "",
                            f"likely duplicate of {other} ({self.file(other_ref, other)}): "
                            f"the same ship (IMO {imo}) on the same day",
                        )


def _same_value(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 and 1.0 are one coordinate; true is not 1)."""
    if type(a) is bool or type(b) is bool:
        return a is b
    return bool(a == b)


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def dataset_problems(
    events: Iterable[tuple[str, EventFacts]],
    actors: Iterable[tuple[str, ActorFacts]],
    places: Iterable[tuple[str, PlaceFacts]] = (),
) -> list[Problem]:
    """Every dataset-wide problem of the given (file, facts) pairs."""
    index = DatasetIndex()
    for file, actor in actors:
        index.add_actor(file, actor)
    for file, place in places:
        index.add_place(file, place)
    for file, event in events:
        index.add_event(file, event)
    return list(index.problems())
