"""Dataset-wide checks over compact per-file facts: unique ids and aliases, known actors,
existing links, likely duplicates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from .checks import REGISTRY
from .geo import haversine_km
from .problems import Problem, pointer_join

DUPLICATE_DAYS = 1
DUPLICATE_KM = 25.0


@dataclass(frozen=True, slots=True)
class EventFacts:
    file: str
    id: str
    day: int | None  # ordinal of date_start (None when unreadable)
    lat: float | None
    lon: float | None
    attackers: tuple[str, ...]
    actor_refs: tuple[tuple[str, str], ...]  # (actor id, pointer)
    links: tuple[tuple[str, str], ...]  # (event id, pointer): related, distinct_from, superseded_by
    linked: frozenset[str]  # ids in related or distinct_from
    aliases: tuple[str, ...]
    withdrawn: bool


@dataclass(frozen=True, slots=True)
class ActorFacts:
    file: str
    id: str
    names: tuple[str, ...]
    parent: str | None


def facts_of(data: dict[str, Any], kind: str, file: str) -> EventFacts | ActorFacts | None:
    """The facts of one record, or None when its shape is too broken to read them."""
    try:
        if kind == "actor":
            names = (data["name"], *data.get("aliases", []))
            return ActorFacts(file, str(data["id"]), tuple(str(n) for n in names), data.get("parent"))
        refs: list[tuple[str, str]] = []
        for i, a in enumerate(data.get("attackers") or []):
            refs.append((a["actor"], pointer_join("attackers", i, "actor")))
        for i, t in enumerate(data.get("targets") or []):
            if t.get("actor"):
                refs.append((t["actor"], pointer_join("targets", i, "actor")))
        links = [(r["id"], pointer_join("related", i, "id")) for i, r in enumerate(data.get("related") or [])]
        links += [
            (d, pointer_join("distinct_from", i)) for i, d in enumerate(data.get("distinct_from") or [])
        ]
        withdrawn = data.get("withdrawn")
        if withdrawn and withdrawn.get("superseded_by"):
            links.append((withdrawn["superseded_by"], "/withdrawn/superseded_by"))
        linked = {r["id"] for r in data.get("related") or []} | set(data.get("distinct_from") or [])
        return EventFacts(
            file=file,
            id=str(data["id"]),
            day=_day(data.get("date_start")),
            lat=data.get("latitude"),
            lon=data.get("longitude"),
            attackers=tuple(sorted({a["actor"] for a in data.get("attackers") or []})),
            actor_refs=tuple(refs),
            links=tuple(links),
            linked=frozenset(linked),
            aliases=tuple(data.get("aliases") or []),
            withdrawn=bool(withdrawn),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _day(value: Any) -> int | None:
    try:
        return date.fromisoformat(value).toordinal()
    except (TypeError, ValueError):
        return None


def _problem(code: str, file: str, pointer: str, message: str, hint: str | None = None) -> Problem:
    return Problem(file, pointer, code, message, hint or REGISTRY[code].hint)


def dataset_problems(events: list[EventFacts], actors: list[ActorFacts]) -> Iterator[Problem]:
    """Every dataset-wide problem; each names the file it should be fixed in."""
    yield from _unique_ids(events, "event")
    yield from _unique_ids(actors, "actor")
    yield from _unique_aliases(events, actors)
    actor_ids = {a.id for a in actors}
    event_ids = {e.id for e in events}
    for ev in events:
        for actor, ptr in ev.actor_refs:
            if actor not in actor_ids:
                yield _problem("OS309", ev.file, ptr, f"actor {actor!r} is not in dataset/actors/")
        for other, ptr in ev.links:
            if other not in event_ids:
                yield _problem("OS310", ev.file, ptr, f"event {other!r} does not exist")
    for actor in actors:
        if actor.parent and actor.parent not in actor_ids:
            yield _problem(
                "OS309", actor.file, "/parent", f"parent actor {actor.parent!r} is not in dataset/actors/"
            )
    yield from likely_duplicates(events)


def _unique_ids(records: list[EventFacts] | list[ActorFacts], kind: str) -> Iterator[Problem]:
    by_id: dict[str, list[str]] = defaultdict(list)
    for r in records:
        by_id[r.id].append(r.file)
    for rid, files in by_id.items():
        if len(files) > 1:
            for f in files:
                others = ", ".join(x for x in files if x != f)
                yield _problem("OS302", f, "/id", f"{kind} id {rid!r} is also used by {others}")


def _unique_aliases(events: list[EventFacts], actors: list[ActorFacts]) -> Iterator[Problem]:
    seen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for ev in events:
        for i, alias in enumerate(ev.aliases):
            seen["event:" + alias].append((ev.file, pointer_join("aliases", i)))
    for actor in actors:
        for i, name in enumerate(actor.names):
            ptr = "/name" if i == 0 else pointer_join("aliases", i - 1)
            seen["actor:" + name.casefold()].append((actor.file, ptr))
    for key, places in seen.items():
        files = {f for f, _ in places}
        if len(files) > 1:
            for f, ptr in places:
                others = ", ".join(sorted(files - {f}))
                yield _problem("OS303", f, ptr, f"{key.split(':', 1)[1]!r} also names {others}")


def likely_duplicates(events: list[EventFacts]) -> Iterator[Problem]:
    """Pairs of live events within a day of each other, within 25 km, sharing an attacker, and not
    linked by `related` or `distinct_from` on either side. Both files get a problem naming both ids."""
    buckets: dict[tuple[int, str], list[EventFacts]] = defaultdict(list)
    for ev in events:
        if ev.withdrawn or ev.day is None or ev.lat is None or ev.lon is None:
            continue
        for attacker in ev.attackers:
            buckets[(ev.day, attacker)].append(ev)
    reported: set[tuple[str, str]] = set()
    for (day, attacker), group in list(buckets.items()):
        for delta in range(0, DUPLICATE_DAYS + 1):
            others = buckets.get((day + delta, attacker), [])
            for a in group:
                for b in others:
                    if a is b or (delta == 0 and a.id >= b.id):
                        continue
                    pair = (min(a.id, b.id), max(a.id, b.id))
                    if pair in reported or b.id in a.linked or a.id in b.linked or a.id == b.id:
                        continue
                    assert a.lat is not None and a.lon is not None and b.lat is not None and b.lon is not None
                    km = haversine_km(a.lat, a.lon, b.lat, b.lon)
                    if km > DUPLICATE_KM:
                        continue
                    reported.add(pair)
                    for this, that in ((a, b), (b, a)):
                        yield _problem(
                            "OS401",
                            this.file,
                            "",
                            f"likely duplicate of {that.id} ({that.file}): {km:.1f} km apart, "
                            f"{delta} day(s) apart, shared attacker {attacker!r}",
                            f"if they are the same event, withdraw one as `duplicate` (superseded_by); if not, "
                            f"add {that.id!r} to distinct_from or link it in related",
                        )
