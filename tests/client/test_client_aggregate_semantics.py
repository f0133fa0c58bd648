"""What an aggregate row means, offline (the API is held to the same answers by the agreement tests)."""

from __future__ import annotations

from typing import Any

import pytest

from openstrikes_client import Actor
from openstrikes_client._aggregate import aggregate


def _actor(aid: str, country: str | None, parent: str | None = None) -> Actor:
    return Actor.from_dict(
        {
            "id": aid,
            "name": aid,
            "aliases": [],
            "kind": "state_military",
            "country": country,
            "parent": parent,
            "external_ids": {},
            "sources": [],
        }
    )


ACTORS = {
    "us-forces": _actor("us-forces", "US"),
    "us-air-force": _actor("us-air-force", "US", "us-forces"),
    "kh": _actor("kh", "IQ"),
}


def _event(day: str, attackers: list[str], killed: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": day + "-".join(attackers),
        "country": "SY",
        "date_start": day,
        "strike_type": "airstrike",
        "status": "declared",
        "outcome": "impact",
        "geo_precision": "exact",
        "attackers": [{"actor": a, "attribution": "declared"} for a in attackers],
        "targets": [],
        "tags": [],
        "casualties": {"killed": killed},
    }


def test_unknown_figures_are_counted_not_summed_as_zero() -> None:
    events = [
        _event("2024-01-01", ["kh"], None),
        _event("2024-01-02", ["kh"], None),
        _event("2024-01-03", ["kh"], {"min": 2, "max": 5, "best": 3}),
        _event("2024-01-04", ["kh"], {"min": 1, "max": 1, "best": None}),
    ]
    row = aggregate(events, ["country"], ACTORS).items[0]
    assert row.events == 4
    assert (row.killed.min, row.killed.max, row.killed.best) == (3, 6, 3)
    assert (row.killed.with_best, row.killed.unknown) == (1, 2)
    assert not row.killed.complete
    assert row.injured.unknown == 4 and (row.injured.min, row.injured.max) == (0, 0)


def test_an_event_with_two_us_ids_counts_once_in_us() -> None:
    events = [
        _event("2024-01-01", ["us-forces", "us-air-force"], {"min": 10, "max": 10, "best": 10}),
        _event("2024-01-02", ["us-air-force", "kh"], {"min": 1, "max": 2, "best": 1}),
    ]
    by_country = {r.key["attacker_country"]: r for r in aggregate(events, ["attacker_country"], ACTORS).items}
    assert by_country["US"].events == 2 and by_country["US"].killed.max == 12
    assert by_country["IQ"].events == 1
    by_group = {
        r.key["attacker_group"]: r.events for r in aggregate(events, ["attacker_group"], ACTORS).items
    }
    assert by_group == {"us-forces": 2, "kh": 1}
    per_id = aggregate(events, ["attacker"], ACTORS)
    assert sum(r.events for r in per_id.items) == 4  # once per id: rows add up to more than the total
    assert per_id.total is not None and per_id.total.events == 2
    assert "once" in per_id.counting


def test_fill_adds_zero_rows_for_empty_periods() -> None:
    events = [_event("2024-01-01", ["kh"], None), _event("2024-04-30", ["kh"], None)]
    rows = aggregate(events, ["month"], ACTORS, fill=True).items
    assert [(r.key["month"], r.events) for r in rows] == [
        ("2024-01", 1),
        ("2024-02", 0),
        ("2024-03", 0),
        ("2024-04", 1),
    ]
    weeks = aggregate(events[:1], ["week"], ACTORS).items
    assert weeks[0].key["week"] == "2024-01-01"  # a Monday
    with pytest.raises(ValueError, match="time key"):
        aggregate(events, ["country"], ACTORS, fill=True)
