"""Group events and sum their casualty ranges, as `GET /v1/aggregates` does (for offline use).

Mirror of the server's aggregate SQL and its `GROUP_KEYS` (an offline release has no SQL index);
the parity and agreement tests under tests/client hold the two together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ._models import AggregateRow, Aggregates, CountRange

CASUALTY_FIELDS = ("killed", "injured", "civilians_killed", "civilians_injured")

KeyFn = Callable[[Mapping[str, Any]], list[Any]]

GROUP_KEYS: dict[str, KeyFn] = {
    "country": lambda e: [e["country"]],
    "admin1": lambda e: [e.get("admin1")],
    "year": lambda e: [e["date_start"][:4]],
    "month": lambda e: [e["date_start"][:7]],
    "strike_type": lambda e: [e["strike_type"]],
    "status": lambda e: [e["status"]],
    "outcome": lambda e: [e["outcome"]],
    "geo_precision": lambda e: [e["geo_precision"]],
    "water_body": lambda e: [e.get("water_body")],
    "place": lambda e: [e.get("place")],
    "attacker": lambda e: sorted({a["actor"] for a in e["attackers"]}),
}


def _sort_value(v: Any) -> tuple[int, Any]:
    return (0, "") if v is None else (1, v)


def aggregate(events: Iterable[Mapping[str, Any]], group_by: list[str]) -> Aggregates:
    """Count events and sum casualty ranges per group (an event with two attackers counts in both).

    Unknown casualty figures (null) add nothing to either bound.
    """
    if not group_by:
        raise ValueError("group_by names at least one of " + ", ".join(GROUP_KEYS))
    for key in group_by:
        if key not in GROUP_KEYS:
            raise ValueError(f"cannot group by {key!r}; choose from {', '.join(GROUP_KEYS)}")
    fns = [GROUP_KEYS[k] for k in group_by]
    sums: dict[tuple[Any, ...], list[int]] = {}
    for e in events:
        combos: list[tuple[Any, ...]] = [()]
        for fn in fns:
            combos = [(*c, v) for c in combos for v in fn(e)]
        cas = e["casualties"]
        for combo in combos:
            acc = sums.get(combo)
            if acc is None:
                acc = sums[combo] = [0] * 9
            acc[0] += 1
            for i, name in enumerate(CASUALTY_FIELDS):
                r = cas.get(name)
                if r is not None:
                    acc[1 + 2 * i] += r["min"]
                    acc[2 + 2 * i] += r["max"]
    rows = []
    for combo in sorted(sums, key=lambda c: tuple(_sort_value(v) for v in c)):
        acc = sums[combo]
        ranges = [CountRange(min=acc[1 + 2 * i], max=acc[2 + 2 * i]) for i in range(4)]
        rows.append(
            AggregateRow(
                key=dict(zip(group_by, combo, strict=True)),
                events=acc[0],
                killed=ranges[0],
                injured=ranges[1],
                civilians_killed=ranges[2],
                civilians_injured=ranges[3],
            )
        )
    return Aggregates(group_by=tuple(group_by), items=tuple(rows))
