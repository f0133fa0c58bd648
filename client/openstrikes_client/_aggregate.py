"""Group events and sum their casualty figures, as `GET /v1/aggregates` does (for offline use).

Mirror of the server's aggregate SQL, its `GROUP_KEY_TABLE` and its zero rows for empty periods (an
offline release has no SQL index); the parity and agreement tests under tests/client hold the two
together. Per row and casualty field: `min` and `max` sum the lowest and highest reported figures,
`best` the best estimates of the `with_best` events that give one, `unknown` counts the events
whose figure is unknown (they add to no sum). An event counts once per row.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from ._models import Actor, AggregateRow, Aggregates, CountRange

CASUALTY_FIELDS = ("killed", "injured", "civilians_killed", "civilians_injured")
TIME_KEYS = ("year", "month", "week", "day")
MAX_FILLED_ROWS = 20000
COUNTING = (
    "distinct: an event counts once in each row it belongs to; with a key of several values per "
    "event (attacker, attacker_group, attacker_country, attribution, target, tag) it belongs to "
    "several rows, so rows can add up to more than `total`"
)

# One "joined row" of an event: the event plus, for keys over several values, the one attacker
# (`att`), target actor (`tgt`) or tag (`tg`) of this row, as the server's SQL joins them.
Joined = Mapping[str, Any]
KeyFn = Callable[[Joined, Mapping[str, Actor]], Any]


def _week(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


def _root(actor_id: str, actors: Mapping[str, Actor]) -> str | None:
    if actor_id not in actors:
        return None
    line = [actor_id]
    parent = actors[actor_id].parent
    while parent and parent in actors and parent not in line:
        line.append(parent)
        parent = actors[parent].parent
    return line[-1]


def _country(actor_id: str, actors: Mapping[str, Actor]) -> str | None:
    a = actors.get(actor_id)
    return None if a is None else a.country


GROUP_KEYS: dict[str, tuple[KeyFn, str]] = {
    "country": (lambda j, a: j["e"].get("country"), ""),
    "admin1": (lambda j, a: j["e"].get("admin1"), ""),
    "admin2": (lambda j, a: j["e"].get("admin2"), ""),
    "year": (lambda j, a: j["e"]["date_start"][:4], ""),
    "month": (lambda j, a: j["e"]["date_start"][:7], ""),
    "week": (lambda j, a: _week(j["e"]["date_start"]), ""),
    "day": (lambda j, a: j["e"]["date_start"], ""),
    "strike_type": (lambda j, a: j["e"]["strike_type"], ""),
    "status": (lambda j, a: j["e"]["status"], ""),
    "outcome": (lambda j, a: j["e"]["outcome"], ""),
    "geo_precision": (lambda j, a: j["e"]["geo_precision"], ""),
    "water_body": (lambda j, a: j["e"].get("water_body"), ""),
    "place": (lambda j, a: j["e"].get("place"), ""),
    "operation": (lambda j, a: j["e"].get("operation"), ""),
    "attacker": (lambda j, a: j["att"]["actor"], "att"),
    "attacker_group": (lambda j, a: _root(j["att"]["actor"], a), "att"),
    "attacker_country": (lambda j, a: _country(j["att"]["actor"], a), "att"),
    "attribution": (lambda j, a: j["att"].get("attribution"), "att"),
    "target": (lambda j, a: j["tgt"], "tgt"),
    "tag": (lambda j, a: j["tg"], "tg"),
}


def _joined(e: Mapping[str, Any], joins: set[str]) -> Iterable[dict[str, Any]]:
    """The rows the server's joins make of one event (inner join on attackers, left on the rest)."""
    att: list[Any] = list(e["attackers"]) if "att" in joins else [None]
    tgt: list[Any] = [None]
    if "tgt" in joins:
        tgt = [t["actor"] for t in e["targets"] if t.get("actor")] or [None]
    tg: list[Any] = (list(e.get("tags") or ()) or [None]) if "tg" in joins else [None]
    for a, t, g in itertools.product(att, tgt, tg):
        yield {"e": e, "att": a, "tgt": t, "tg": g}


def _sort_value(v: Any) -> tuple[int, Any]:
    return (0, "") if v is None else (1, v)


def _row(key: dict[str, Any], acc: list[int]) -> AggregateRow:
    ranges = [
        CountRange(
            min=acc[1 + 5 * i],
            max=acc[2 + 5 * i],
            best=acc[3 + 5 * i],
            with_best=acc[4 + 5 * i],
            unknown=acc[5 + 5 * i],
        )
        for i in range(4)
    ]
    return AggregateRow(
        key=key,
        events=acc[0],
        killed=ranges[0],
        injured=ranges[1],
        civilians_killed=ranges[2],
        civilians_injured=ranges[3],
    )


def _add(acc: list[int], e: Mapping[str, Any]) -> None:
    acc[0] += 1
    cas = e["casualties"]
    for i, name in enumerate(CASUALTY_FIELDS):
        r = cas.get(name)
        if r is None:
            acc[5 + 5 * i] += 1
            continue
        acc[1 + 5 * i] += r["min"]
        acc[2 + 5 * i] += r["max"]
        if r.get("best") is not None:
            acc[3 + 5 * i] += r["best"]
            acc[4 + 5 * i] += 1


def check_group_by(group_by: list[str]) -> None:
    """ValueError unless `group_by` names 1 to 4 distinct group keys."""
    if not group_by:
        raise ValueError("group_by names at least one of " + ", ".join(GROUP_KEYS))
    for key in group_by:
        if key not in GROUP_KEYS:
            raise ValueError(f"cannot group by {key!r}; choose from {', '.join(GROUP_KEYS)}")
    if len(set(group_by)) != len(group_by):
        raise ValueError("group_by names a key twice")
    if len(group_by) > 4:
        raise ValueError("group_by: at most 4 keys")


def aggregate(
    events: Iterable[Mapping[str, Any]],
    group_by: list[str],
    actors: Mapping[str, Actor] | None = None,
    *,
    fill: bool = False,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Aggregates:
    """Count events and sum their casualty figures per group; each event counts once per row and
    once in `total`. `fill`: zero rows for the periods without events (see `fill_periods`)."""
    check_group_by(group_by)
    registry = actors or {}
    fns = [GROUP_KEYS[k][0] for k in group_by]
    joins = {GROUP_KEYS[k][1] for k in group_by} - {""}
    sums: dict[tuple[Any, ...], list[int]] = {}
    overall = [0] * 21
    for e in events:
        _add(overall, e)
        combos = {tuple(fn(j, registry) for fn in fns) for j in _joined(e, joins)}
        for combo in combos:
            acc = sums.get(combo)
            if acc is None:
                acc = sums[combo] = [0] * 21
            _add(acc, e)
    if fill:
        fill_periods(sums, group_by, date_from, date_to)
    rows = [
        _row(dict(zip(group_by, combo, strict=True)), sums[combo])
        for combo in sorted(sums, key=lambda c: tuple(_sort_value(v) for v in c))
    ]
    return Aggregates(group_by=tuple(group_by), items=tuple(rows), counting=COUNTING, total=_row({}, overall))


def period_of(key: str, day: date) -> str:
    """The value of time key `key` for a date."""
    if key == "year":
        return f"{day.year:04d}"
    if key == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if key == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    return day.isoformat()


def _start(key: str, value: str) -> date:
    if key == "year":
        return date(int(value), 1, 1)
    if key == "month":
        return date(int(value[:4]), int(value[5:7]), 1)
    return date.fromisoformat(value)


def _next(key: str, day: date) -> date:
    if key == "year":
        return date(day.year + 1, 1, 1)
    if key == "month":
        return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return day + timedelta(days=7 if key == "week" else 1)


def fill_periods(
    sums: dict[tuple[Any, ...], list[int]], keys: list[str], lo: date | None, hi: date | None
) -> None:
    """Add zero rows to `sums` for every period from `lo` (else the first found) to `hi` (else the
    last found), for each combination of the other keys found."""
    time = [k for k in keys if k in TIME_KEYS]
    if len(time) != 1:
        raise ValueError("fill: needs exactly one time key in group_by: " + ", ".join(TIME_KEYS))
    t = keys.index(time[0])
    tkey = time[0]
    found = [_start(tkey, str(c[t])) for c in sums]
    first = lo if lo is not None else min(found, default=None)
    last = hi if hi is not None else max(found, default=None)
    if first is None or last is None:
        return
    periods: list[str] = []
    day = _start(tkey, period_of(tkey, first))
    while day <= last:
        periods.append(period_of(tkey, day))
        if len(periods) > MAX_FILLED_ROWS:
            raise ValueError(f"fill: more than {MAX_FILLED_ROWS} periods; narrow date_start")
        day = _next(tkey, day)
    others = {c[:t] + c[t + 1 :] for c in sums} if len(keys) > 1 else {()}
    if len(others) * len(periods) > MAX_FILLED_ROWS:
        raise ValueError(f"fill: more than {MAX_FILLED_ROWS} rows; narrow the query or group by fewer keys")
    for rest in others:
        for p in periods:
            sums.setdefault((*rest[:t], p, *rest[t:]), [0] * 21)
