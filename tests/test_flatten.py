"""Events <-> flat CSV rows: the round trip through real CSV text is lossless."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openstrikes.package.flatten import (
    actor_header,
    child_header,
    event_header,
    flatten_actor,
    flatten_event,
    roundtrip_row,
    unflatten_actor,
    unflatten_event,
)
from openstrikes.package.table_schema import EMPTY, OMITTED, ROUNDTRIP_COLUMNS, tables
from openstrikes.schema_files import event_schema
from openstrikes.toolchain.records import canonical
from strategies import ACTOR_IDS, actor_record, events

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synthetic import generate_events

OPTIONAL_TOP = sorted(set(event_schema()["properties"]) - set(event_schema()["required"]))


def _through_csv(header: list[str], rows: list[list[str]]) -> list[dict[str, str]]:
    """Write rows as CSV text and read them back, as a user of the package would."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return list(csv.DictReader(io.StringIO(buf.getvalue(), newline="")))


def _with_roundtrip(cells: dict[str, str], table: str, key: str, meta: dict[str, str]) -> dict[str, str]:
    """The row's cells completed by its roundtrip.csv row (written and read back as CSV too)."""
    if not meta:
        return cells
    (extra,) = _through_csv(list(ROUNDTRIP_COLUMNS), [roundtrip_row(table, key, meta)])
    return {**cells, OMITTED: extra[OMITTED], EMPTY: extra[EMPTY]}


def roundtrip(event: dict[str, Any]) -> dict[str, Any]:
    flat = flatten_event(event)
    (cells,) = _through_csv(event_header(), [flat.row])
    children = {t: _through_csv(child_header(t), rows) for t, rows in flat.children.items()}
    return unflatten_event(_with_roundtrip(cells, "events", event["id"], flat.meta), children)


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """Valid-shaped events that also leave optional keys out and use "" where null is allowed."""
    ev = draw(events())
    for key in draw(st.lists(st.sampled_from(OPTIONAL_TOP), unique=True, max_size=4)):
        ev.pop(key, None)
    for target in ev["targets"]:
        choice = draw(st.sampled_from(["keep", "drop-description", "empty-description", "drop-actor"]))
        if choice == "drop-description":
            target.pop("description", None)
        elif choice == "empty-description":
            target["description"] = ""
        elif choice == "drop-actor":
            target.pop("actor", None)
    for src in ev["sources"]:
        if draw(st.booleans()):
            src.pop("archive_url")
    if ev["withdrawn"] is not None and draw(st.booleans()):
        ev["withdrawn"].pop("note")
        ev["withdrawn"].pop("superseded_by")
    if ev["casualties"]["killed"] is not None and draw(st.booleans()):
        ev["casualties"]["killed"].pop("best")
    if draw(st.booleans()):
        ev["latitude"] = float(round(draw(st.floats(-89, 89)), 3))
        ev["longitude"] = draw(st.integers(-179, 179))  # an integer stays an integer
    return ev


@settings(max_examples=200)
@given(events())
def test_generated_events_round_trip_exactly(event: dict[str, Any]) -> None:
    back = roundtrip(event)
    assert back == event
    assert canonical(back, "event") == canonical(event, "event")


@settings(max_examples=200)
@given(mutated_events())
def test_absent_keys_empty_strings_and_number_types_survive(event: dict[str, Any]) -> None:
    back = roundtrip(event)
    assert back == event
    for key in ("latitude", "longitude"):
        if key in event:
            assert type(back[key]) is type(event[key])
    assert canonical(back, "event") == canonical(event, "event")


def test_absent_and_empty_are_recorded_apart_from_the_tables() -> None:
    ev = next(generate_events(1, seed=3))
    ev.pop("tags")
    ev["targets"] = [{"target_type": "other", "description": ""}]
    flat = flatten_event(ev)
    assert '"/tags"' in flat.meta[OMITTED]
    assert '"/targets/0/actor"' in flat.meta[OMITTED]
    assert flat.meta[EMPTY] == '["/targets/0/description"]'
    assert OMITTED not in event_header() and EMPTY not in event_header()
    assert not any(OMITTED in child_header(t) or EMPTY in child_header(t) for t in tables().children)
    assert OMITTED not in actor_header() and EMPTY not in actor_header()
    assert roundtrip(ev) == ev


def test_an_event_with_nothing_left_out_needs_no_roundtrip_row() -> None:
    ev = next(generate_events(1, seed=3))
    ev["targets"] = [{"target_type": "other", "actor": None, "description": None, "vessel": None}]
    for claim in ev.get("casualty_claims", []):
        claim["figures"] = {
            k: {"min": 1, "max": 2, "best": None}
            for k in ("killed", "injured", "civilians_killed", "civilians_injured")
        }
    ev.setdefault("munitions", [])
    ev.setdefault("operation", None)
    flat = flatten_event(ev)
    assert flat.meta == {}, flat.meta
    assert roundtrip(ev) == ev


def test_one_row_per_event_and_one_per_list_item() -> None:
    ev = next(generate_events(1, seed=3))
    flat = flatten_event(ev)
    assert len(flat.row) == len(event_header())
    assert len(flat.children["event_sources"]) == len(ev["sources"])
    assert len(flat.children["event_actors"]) == len(ev["attackers"]) + len(ev["targets"])
    assert len(flat.children["event_claims"]) == len(ev.get("casualty_claims", []))
    roles = [r[1] for r in flat.children["event_actors"]]
    assert roles == ["attacker"] * len(ev["attackers"]) + ["target"] * len(ev["targets"])


def test_withdrawn_null_and_present_both_survive() -> None:
    ev = next(generate_events(1, seed=3))
    ev["withdrawn"] = None
    assert roundtrip(ev)["withdrawn"] is None
    ev["withdrawn"] = {"at": ev["modified"], "reason": "erroneous", "superseded_by": None, "note": None}
    assert roundtrip(ev)["withdrawn"] == ev["withdrawn"]


def test_columns_follow_the_schema() -> None:
    """Every scalar leaf of the schema has a column; no column is invented."""
    header = set(event_header())
    props = event_schema()["properties"]
    for key in props:
        if key in ("sources", "attackers", "targets", "casualty_claims"):
            assert key not in header
        elif key in ("withdrawn", "casualties"):
            assert any(h.startswith(key + "_") for h in header)
        else:
            assert key in header
    child_keys = {c.name for _p, _r, lay in tables().children["event_actors"] for c in lay.columns}
    assert set(child_header("event_actors")) == {"event_id", "role", "index"} | child_keys


@pytest.mark.parametrize("actor_id", ACTOR_IDS)
def test_actor_round_trip(actor_id: str) -> None:
    actor = actor_record(actor_id)
    actor["external_ids"] = {"wikidata": "Q42"}
    actor["aliases"] = ['A, "quoted"', "ب"]
    row, meta = flatten_actor(actor)
    (cells,) = _through_csv(actor_header(), [row])
    assert unflatten_actor(_with_roundtrip(cells, "actors", actor["id"], meta)) == actor
