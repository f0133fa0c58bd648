"""Dataset-wide checks over compact per-file facts: unique ids and aliases, known actors,
existing links, likely duplicates.

`DatasetIndex` takes the facts of one file at a time, as validation workers produce them,
keeps a few compact entries per event (a million events are indexed in a few hundred MB), and
answers every dataset-wide problem at the end."""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
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
# Event ids (`OS-<year>-xxxx-xxxx`) are this many bytes; the index keeps other ids aside.
ID_WIDTH = 17
# The vectorised distance prefilter keeps pairs this much beyond the limit, for rounding.
_KM_MARGIN = 1e-6


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
    values = fact_values(data, kind)
    if values is None:
        return None
    return _FACTS[kind]._make(values)


def fact_values(data: dict[str, Any], kind: str) -> tuple[Any, ...] | None:
    """`facts_of` as a plain tuple (the fields of the kind's facts): what validation's workers
    send, since a plain tuple pickles in half the time of a named one."""
    try:
        if kind == "place":
            return (str(data["slug"]), tuple(data.get(f) for f in PLACE_FIELDS))
        if kind == "actor":
            names = (data["name"], *data.get("aliases", []))
            parent = data.get("parent")
            return (str(data["id"]), tuple(str(n) for n in names), parent if type(parent) is str else None)
        return _event_values(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _event_values(data: dict[str, Any]) -> tuple[Any, ...]:
    # Values of the wrong type are the schema's to report; here they are left out, so that
    # the dataset-wide checks only ever compare strings and numbers.
    links: tuple[tuple[str, str], ...] = ()
    related, distinct = data.get("related"), data.get("distinct_from")
    if related:
        links = tuple([(r["id"], f"/related/{i}/id") for i, r in enumerate(related) if type(r["id"]) is str])
    if distinct:
        links += tuple([(d, f"/distinct_from/{i}") for i, d in enumerate(distinct) if type(d) is str])
    withdrawn = data.get("withdrawn")
    if withdrawn and type(withdrawn.get("superseded_by")) is str:
        links += ((withdrawn["superseded_by"], _WITHDRAWN_LINK),)
    attackers = tuple([a["actor"] for a in data.get("attackers") or ()])
    for attacker in attackers:
        if type(attacker) is not str:
            attackers = _strings_or_none(attackers)
            break
    targets = data.get("targets")
    # "" or a non-string: no actor named
    target_actors = (
        tuple([a if type(a := t.get("actor")) is str and a else None for t in targets]) if targets else ()
    )
    aliases = data.get("aliases")
    if aliases:
        aliases = tuple(aliases)
        for alias in aliases:
            if type(alias) is not str:
                aliases = _strings_or_none(aliases)
                break
    else:
        aliases = tuple(aliases or ())
    lat, lon = data.get("latitude"), data.get("longitude")
    if type(lat) not in _NUMBER or type(lon) not in _NUMBER:
        lat = lon = None
    place = data.get("place")
    place = place if type(place) is str else None
    return (
        str(data["id"]),
        _day(data.get("date_start")),
        lat,
        lon,
        attackers,
        target_actors,
        links,
        aliases,
        bool(withdrawn),
        place,
        tuple([data.get(f) for f in PLACE_FIELDS]) if place is not None else (),
        _vessel_imos(targets) if targets else (),
    )


_NUMBER = (int, float)


_FACTS: dict[str, Any] = {"event": EventFacts, "actor": ActorFacts, "place": PlaceFacts}


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

    A million events are indexed during validation and the package build, so what is kept per
    event is packed in columns, one row per event in the order added: its id as ID_WIDTH bytes
    of one blob (other ids in a side table), its folder's group number (a file not named
    `<id>.json` in a side table), and, for the events that have them, coordinates, attacker
    rows, links, aliases (hashed) and IMO numbers. Ids are sorted once, at the end, to find the
    ones used twice and the links to no event; likely duplicates are found in one vectorised
    sweep over the located events sorted by attacker and day."""

    def __init__(self, display: Callable[[int, str], str] | None = None) -> None:
        """`display(group, file name)` names a file given by a group number (see add_event)."""
        self._display = display
        self._actor_files: dict[str, str] = {}
        self._repeated: dict[tuple[str, str], list[str]] = defaultdict(list)  # actors and places
        self._names: dict[str, list[tuple[str, str, str]]] = defaultdict(
            list
        )  # actor name -> (file, id, ptr)
        self._parents: list[tuple[str, str]] = []  # (file, parent id)
        self._places: dict[str, tuple[str, tuple[Any, ...]]] = {}  # slug -> (file, values)
        # Events, by row.
        self._id_blob = bytearray()  # ID_WIDTH bytes per row (zeros for a row in _odd_ids)
        self._odd_ids: dict[int, str] = {}  # row -> an id that is not ID_WIDTH bytes of UTF-8
        self._groups = array("i")  # group number of a file named <id>.json; -1: see _named
        self._named: dict[int, str] = {}  # row -> display name
        self._actor_refs: list[tuple[int, str, str]] = []  # (row, actor id, pointer), not yet known
        self._place_refs: list[tuple[int, str, tuple[Any, ...]]] = []  # (row, slug, values) to compare
        # Links (rows ascending): target event id and pointer, pointers shared.
        self._link_rows = array("i")
        self._link_targets: list[str] = []
        self._link_pointers: list[str] = []
        self._pointers: dict[str, str] = {}
        # Event aliases: hash, row, index in `aliases`, and the text (UTF-8, one blob).
        self._alias_hashes = array("q")
        self._alias_rows = array("i")
        self._alias_items = array("i")
        self._alias_blob = bytearray()
        self._alias_ends = array("q")
        # Live located events, by slot: row and coordinates.
        self._slot_rows = array("i")
        self._lat = array("d")
        self._lon = array("d")
        # One entry per (slot, attacker): attacker number, day, slot.
        self._attacker_numbers: dict[str, int] = {}
        self._entry_attackers = array("i")
        self._entry_days = array("i")
        self._entry_slots = array("i")
        # Live dated events against a vessel: IMO number's number, day, row.
        self._imo_numbers: dict[str, int] = {}
        self._imo_keys = array("i")
        self._imo_days = array("i")
        self._imo_rows = array("i")

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

    def add_event(self, ref: FileRef, facts: EventFacts) -> None:
        """Index one event. `ref` is its file's display name or, for a file named `<id>.json`,
        the number of its directory's group (an int costs nothing to keep; a name would)."""
        row = len(self._groups)
        encoded = facts.id.encode("utf-8", "surrogatepass")
        if len(encoded) == ID_WIDTH:
            self._id_blob += encoded
        else:
            self._id_blob += bytes(ID_WIDTH)
            self._odd_ids[row] = facts.id
        if type(ref) is int:
            self._groups.append(ref)
        else:
            self._groups.append(-1)
            self._named[row] = str(ref)
        known = self._actor_files
        for i, actor in enumerate(facts.attackers):
            if actor is not None and actor not in known:
                self._actor_refs.append((row, actor, f"/attackers/{i}/actor"))
        for i, actor in enumerate(facts.target_actors):
            if actor is not None and actor not in known:  # None: no actor named
                self._actor_refs.append((row, actor, f"/targets/{i}/actor"))
        if facts.links:
            pointers = self._pointers
            for other, ptr in facts.links:
                self._link_rows.append(row)
                self._link_targets.append(other)
                self._link_pointers.append(pointers.setdefault(ptr, ptr))
        if facts.aliases:
            self._add_aliases(row, facts.aliases)
        if facts.place is not None:
            place = self._places.get(facts.place)
            # A known place is the one every later check would see (the first file with the slug).
            if place is None or not _same_values(facts.place_values, place[1]):
                self._place_refs.append((row, facts.place, facts.place_values))
        if facts.withdrawn or facts.day is None:
            return
        if facts.imos:
            numbers = self._imo_numbers
            for imo in facts.imos:
                self._imo_keys.append(numbers.setdefault(imo, len(numbers)))
                self._imo_days.append(facts.day)
                self._imo_rows.append(row)
        if facts.lat is not None and facts.lon is not None:
            self._add_located(row, facts)

    def _add_aliases(self, row: int, aliases: tuple[str | None, ...]) -> None:
        for i, alias in enumerate(aliases):
            if alias is not None:
                self._alias_hashes.append(hash(alias))
                self._alias_rows.append(row)
                self._alias_items.append(i)
                self._alias_blob += alias.encode("utf-8", "surrogatepass")
                self._alias_ends.append(len(self._alias_blob))

    def _add_located(self, row: int, facts: EventFacts) -> None:
        assert facts.day is not None and facts.lat is not None and facts.lon is not None
        slot = len(self._slot_rows)
        self._slot_rows.append(row)
        self._lat.append(facts.lat)
        self._lon.append(facts.lon)
        numbers = self._attacker_numbers
        attackers: Iterable[str | None] = facts.attackers
        if len(facts.attackers) > 1:
            attackers = dict.fromkeys(facts.attackers)  # each once, in the record's order
        for attacker in attackers:
            if attacker is None:
                continue
            self._entry_attackers.append(numbers.setdefault(attacker, len(numbers)))
            self._entry_days.append(facts.day)
            self._entry_slots.append(slot)

    # --- reading rows back -----------------------------------------------------------------

    def _id(self, row: int) -> str:
        odd = self._odd_ids.get(row)
        if odd is not None:
            return odd
        return self._id_blob[row * ID_WIDTH : (row + 1) * ID_WIDTH].decode("utf-8", "surrogatepass")

    def _file(self, row: int) -> str:
        """The display name of an event's file."""
        group = self._groups[row]
        if group < 0:
            return self._named[row]
        assert self._display is not None, "group references need a display function"
        return self._display(group, self._id(row) + ".json")

    def _linked(self, row: int) -> set[str]:
        """Ids the event names in `related` or `distinct_from` (not superseded_by)."""
        rows = self._link_rows
        lo, hi = bisect_left(rows, row), bisect_right(rows, row)
        return {self._link_targets[k] for k in range(lo, hi) if self._link_pointers[k] != _WITHDRAWN_LINK}

    def _alias(self, k: int) -> str:
        start = self._alias_ends[k - 1] if k else 0
        return self._alias_blob[start : self._alias_ends[k]].decode("utf-8", "surrogatepass")

    def _sorted_ids(self) -> tuple[Any, Any]:
        """(the rows of ID_WIDTH-byte ids, sorted by id then row; those ids in that order)."""
        import numpy as np

        ids = np.frombuffer(self._id_blob, dtype=f"S{ID_WIDTH}")
        if not self._odd_ids:
            order = np.argsort(ids, kind="stable")
            return order, ids[order]
        rows = np.delete(
            np.arange(len(ids), dtype=np.int64),
            np.fromiter(self._odd_ids, dtype=np.int64, count=len(self._odd_ids)),
        )
        order = rows[np.argsort(ids[rows], kind="stable")]
        return order, ids[order]

    # --- answers ---------------------------------------------------------------------------

    def _repeated_events(self, order: Any, ids: Any) -> list[list[int]]:
        """Rows of each id held by two or more events, each in the order added; the groups in
        the order their second row was added."""
        import numpy as np

        groups: list[list[int]] = []
        if len(ids) > 1:
            same = ids[1:] == ids[:-1]
            if same.any():
                starts = np.flatnonzero(~np.concatenate(([False], same)))
                sizes = np.diff(np.append(starts, len(ids)))
                for start, size in zip(starts[sizes > 1].tolist(), sizes[sizes > 1].tolist(), strict=True):
                    groups.append(order[start : start + size].tolist())
        by_id: dict[str, list[int]] = defaultdict(list)
        for row, rid in self._odd_ids.items():
            by_id[rid].append(row)
        groups.extend(rows for rows in by_id.values() if len(rows) > 1)
        return sorted(groups, key=lambda rows: rows[1])

    def _missing_links(self, ids: Any) -> Iterator[int]:
        """Links (by number) to an id no event holds."""
        import numpy as np

        odd = set(self._odd_ids.values())
        targets = self._link_targets
        wide = [k for k, t in enumerate(targets) if len(t.encode("utf-8", "surrogatepass")) == ID_WIDTH]
        present = np.zeros(len(targets), dtype=bool)
        if wide and len(ids):
            wanted = np.array(
                [targets[k].encode("utf-8", "surrogatepass") for k in wide], dtype=f"S{ID_WIDTH}"
            )
            at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
            present[np.asarray(wide, dtype=np.int64)] = ids[at] == wanted
        for k, target in enumerate(targets):
            if not present[k] and target not in odd:
                yield k

    def _alias_groups(self) -> Iterator[list[int]]:
        """Aliases (by number) used two or more times, each group in the order added."""
        import numpy as np

        hashes = np.frombuffer(self._alias_hashes, dtype=np.int64)
        if len(hashes) < 2:
            return
        order = np.argsort(hashes, kind="stable")
        ordered = hashes[order]
        same = np.flatnonzero(ordered[1:] == ordered[:-1])
        if not len(same):
            return
        candidates = np.unique(np.concatenate((order[same], order[same + 1])))
        by_text: dict[str, list[int]] = defaultdict(list)
        for k in candidates.tolist():  # ascending: the order added
            by_text[self._alias(k)].append(k)
        for ks in by_text.values():
            if len(ks) > 1:
                yield ks

    def likely_duplicates(self) -> Iterator[Problem]:
        """Pairs of live events within a day of each other, within 25 km, sharing an attacker,
        and not linked by `related` or `distinct_from` on either side; both files get a problem
        naming both ids."""
        import numpy as np

        if len(self._entry_slots) < 2:
            return
        attacker_column = np.frombuffer(self._entry_attackers, dtype=np.int32)
        day_column = np.frombuffer(self._entry_days, dtype=np.int32)
        order = np.lexsort((day_column, attacker_column))  # by attacker and day, then as added
        by_attacker, days = attacker_column[order], day_column[order]
        slots = np.frombuffer(self._entry_slots, dtype=np.int32)[order]
        del order
        lats = np.frombuffer(self._lat, dtype=np.float64)
        lons = np.frombuffer(self._lon, dtype=np.float64)
        sorted_lats = lats[slots]
        # Every pair (i, j), i < j in that order, of one attacker and at most DUPLICATE_DAYS
        # apart: j - i grows until no pair that far apart is within the window (the keys are
        # sorted, so a pair out of the window stays out of it as j moves on).
        firsts, seconds = [], []
        count = len(days)
        starts = np.arange(count - 1, dtype=np.int32)
        step = 1
        while len(starts):
            ends = starts + step
            within = (by_attacker[ends] == by_attacker[starts]) & (
                days[ends] - days[starts] <= DUPLICATE_DAYS
            )
            starts = starts[within]
            ends = ends[within]
            # Farther apart along the meridian alone than the limit: not a pair.
            close = np.abs(sorted_lats[starts] - sorted_lats[ends]) <= _LATITUDE_SPAN
            firsts.append(starts[close])
            seconds.append(ends[close])
            step += 1
            starts = starts[starts + step < count]
        first = np.concatenate(firsts)
        second = np.concatenate(seconds)
        a, b = slots[first], slots[second]
        near = _haversine_km(lats[a], lons[a], lats[b], lons[b]) <= DUPLICATE_KM + _KM_MARGIN
        first, second = first[near], second[near]
        pairs = np.lexsort((first, second))  # as a sweep meets them: by the later, then the earlier
        attackers = sorted(self._attacker_numbers, key=self._attacker_numbers.__getitem__)
        reported: set[tuple[int, int]] = set()
        for i, j in zip(first[pairs].tolist(), second[pairs].tolist(), strict=True):
            a, b = int(slots[i]), int(slots[j])
            pair = (min(a, b), max(a, b))
            km = None if pair in reported else self._near(a, b)
            if km is not None:
                reported.add(pair)
                yield from self._duplicate(a, b, km, int(days[j] - days[i]), attackers[by_attacker[j]])

    def _near(self, a: int, b: int) -> float | None:
        """The distance of two located events (by slot) when they may be one event, else None."""
        row_a, row_b = self._slot_rows[a], self._slot_rows[b]
        id_a, id_b = self._id(row_a), self._id(row_b)
        if id_a == id_b or id_b in self._linked(row_a) or id_a in self._linked(row_b):
            return None
        km = haversine_km(self._lat[a], self._lon[a], self._lat[b], self._lon[b])
        return km if km <= DUPLICATE_KM else None

    def _duplicate(self, a: int, b: int, km: float, days: int, attacker: str) -> Iterator[Problem]:
        rows = self._slot_rows
        for this, that in ((rows[a], rows[b]), (rows[b], rows[a])):
            other = self._id(that)
            yield _problem(
                "OS401",
                self._file(this),
                "",
                f"likely duplicate of {other} ({self._file(that)}): "
                f"{km:.1f} km apart, {days} day(s) apart, shared attacker {attacker!r}",
                f"if they are the same event, withdraw one as `duplicate` (superseded_by); if not, "
                f"add {other!r} to distinct_from or link it in related",
            )

    def problems(self) -> Iterator[Problem]:
        """Every dataset-wide problem; each names the file it should be fixed in."""
        order, ids = self._sorted_ids()
        repeated, missing = self._repeated_events(order, ids), list(self._missing_links(ids))
        del order, ids  # the sweep for likely duplicates below needs room of its own
        for (kind, rid), more in self._repeated.items():
            first = self._actor_files[rid] if kind == "actor" else self._places[rid][0]
            yield from _shared_id(kind, rid, [first, *more])
        for rows in repeated:
            yield from _shared_id("event", self._id(rows[0]), [self._file(row) for row in rows])
        for key, places in self._names.items():
            yield from _shared_name(key.split(":", 1)[1], places)
        for ks in self._alias_groups():
            named = [(self._file(self._alias_rows[k]), "", f"/aliases/{self._alias_items[k]}") for k in ks]
            yield from _shared_name(self._alias(ks[0]), named)
        for row, actor, ptr in self._actor_refs:
            if actor not in self._actor_files:
                yield _problem("OS309", self._file(row), ptr, f"actor {actor!r} is not in dataset/actors/")
        for k in missing:
            yield _problem(
                "OS310",
                self._file(self._link_rows[k]),
                self._link_pointers[k],
                f"event {self._link_targets[k]!r} does not exist",
            )
        for file, parent in self._parents:
            if parent not in self._actor_files:
                yield _problem("OS309", file, "/parent", f"parent actor {parent!r} is not in dataset/actors/")
        yield from self.place_problems()
        yield from self.likely_duplicates()
        yield from self.same_ship_same_day()

    def place_problems(self) -> Iterator[Problem]:
        """Events naming a place the registry lacks, or differing from their place."""
        for row, slug, values in self._place_refs:
            file = self._file(row)
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
        import numpy as np

        if len(self._imo_rows) < 2:
            return
        keys = np.frombuffer(self._imo_keys, dtype=np.int32).astype(np.int64) << 32
        keys |= np.frombuffer(self._imo_days, dtype=np.int32).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        same = ordered[1:] == ordered[:-1]
        if not same.any():
            return
        starts = np.flatnonzero(~np.concatenate(([False], same)))
        sizes = np.diff(np.append(starts, len(ordered)))
        groups = [
            order[s : s + n].tolist() for s, n in zip(starts.tolist(), sizes.tolist(), strict=True) if n > 1
        ]
        imos = sorted(self._imo_numbers, key=self._imo_numbers.__getitem__)
        for hits in sorted(groups):  # in the order each (IMO, day) was first met
            imo = imos[self._imo_keys[hits[0]]]
            for i, k in enumerate(hits):
                row_a = self._imo_rows[k]
                id_a, linked_a = self._id(row_a), self._linked(row_a)
                for other in hits[i + 1 :]:
                    row_b = self._imo_rows[other]
                    id_b = self._id(row_b)
                    if id_a == id_b or id_b in linked_a or id_a in self._linked(row_b):
                        continue
                    for me, them, their_id in ((row_a, row_b, id_b), (row_b, row_a, id_a)):
                        yield _problem(
                            "OS402",
                            self._file(me),
                            "",
                            f"likely duplicate of {their_id} ({self._file(them)}): "
                            f"the same ship (IMO {imo}) on the same day",
                        )


def _shared_id(kind: str, rid: str, files: list[str]) -> Iterator[Problem]:
    for f in files:
        others = ", ".join(x for x in files if x != f)
        yield _problem("OS302", f, "/id", f"{kind} id {rid!r} is also used by {others}")


def _shared_name(name: str, places: list[tuple[str, str, str]]) -> Iterator[Problem]:
    """OS303 for a name (or alias) given in two or more places, when they are in two or more files."""
    if len(places) < 2:
        return  # a name used once
    files = {f for f, _, _ in places}
    if len(files) > 1:
        for f, _, ptr in places:
            others = ", ".join(sorted(files - {f}))
            yield _problem("OS303", f, ptr, f"{name!r} also names {others}")


def _haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> Any:
    """`geo.haversine_km` over arrays (a prefilter: each pair it keeps is measured again)."""
    import numpy as np

    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def _same_values(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))


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
