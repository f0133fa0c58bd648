"""OS305: a civilian range must fit in its total, compared by maximum (and best with best), since
the two ranges often span different claimants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from openstrikes.toolchain.record_checks import validate_event_data
from strategies import ACTOR_IDS, NOW, actor_record, events

ACTORS = [actor_record(a) for a in ACTOR_IDS]


def _rng(lo: int, hi: int, best: int | None = None) -> dict[str, Any]:
    return {"min": lo, "max": hi, "best": best}


CASES = [
    # Ras Isa: killed 17-150 from six claimants, Airwars >= 84 civilians: consistent
    ("civilian minimum above the total's minimum", _rng(17, 150), _rng(84, 84), False),
    ("civilian range inside the total", _rng(10, 20), _rng(2, 5), False),
    ("equal maximums", _rng(3, 7), _rng(7, 7), False),
    ("civilian maximum above the total's", _rng(17, 150), _rng(84, 151), True),
    ("preferred civilian figure above the preferred total", _rng(10, 50, 12), _rng(5, 40, 20), True),
    ("preferred figures consistent", _rng(10, 50, 30), _rng(5, 40, 20), False),
    ("only the civilian best is set", _rng(10, 50), _rng(5, 40, 45), False),
]


@pytest.mark.parametrize(("name", "killed", "civilians", "flagged"), CASES, ids=[c[0] for c in CASES])
@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_civilians_are_compared_with_the_total_by_maximum_and_best(
    event: dict[str, Any], name: str, killed: dict[str, Any], civilians: dict[str, Any], flagged: bool
) -> None:
    event["casualties"] = {
        "killed": killed,
        "injured": None,
        "civilians_killed": civilians,
        "civilians_injured": None,
    }
    event["casualty_claims"] = []
    problems = validate_event_data(event, actors=ACTORS, now=NOW)
    hits = [p for p in problems if p.code == "OS305"]
    assert bool(hits) is flagged, name
    if flagged:
        assert hits[0].pointer == "/casualties/civilians_killed"


@settings(max_examples=5, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_a_known_civilian_count_needs_a_total(event: dict[str, Any]) -> None:
    event["casualties"] = {
        "killed": None,
        "injured": None,
        "civilians_killed": _rng(0, 0),
        "civilians_injured": None,
    }
    event["casualty_claims"] = []
    problems = validate_event_data(event, actors=ACTORS, now=NOW)
    assert [p.code for p in problems] == ["OS305"]
