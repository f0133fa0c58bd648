"""The client's models: lossless round trip, unknown fields ignored, errors never silent."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings

from openstrikes_client import Aggregates, Event, IntegrityError, Page, Range, Releases, Report
from openstrikes_client._models import event_from_json
from strategies import events


@settings(max_examples=60)
@given(events())
def test_round_trip_is_lossless(record: dict[str, Any]) -> None:
    event = Event.from_dict(record)
    assert event.to_dict() == record
    assert list(event.to_dict()) == list(record)  # keys in schema order
    assert Event.from_dict(event.to_dict()) == event
    assert pickle.loads(pickle.dumps(event)) == event
    assert hash(event) == hash(Event.from_dict(copy.deepcopy(record)))


@settings(max_examples=30)
@given(events())
def test_fields_have_real_types(record: dict[str, Any]) -> None:
    event = Event.from_dict(record)
    assert isinstance(event.date_start, date) and not isinstance(event.date_start, datetime)
    assert isinstance(event.modified, datetime) and event.modified.tzinfo is not None
    assert isinstance(event.attackers, tuple) and event.attackers[0].actor == record["attackers"][0]["actor"]
    assert isinstance(event.sources[0].url, str)
    killed = record["casualties"]["killed"]
    assert event.casualties.killed == (None if killed is None else Range(**killed))
    assert event.is_withdrawn == (record["withdrawn"] is not None)


@settings(max_examples=10)
@given(events())
def test_unknown_fields_from_a_newer_server_are_ignored(record: dict[str, Any]) -> None:
    record = copy.deepcopy(record)
    newer = copy.deepcopy(record)
    newer["confidence"] = "high"
    newer["to_dict"] = "would shadow a method"
    newer["casualties"]["missing"] = {"min": 0, "max": 1}
    newer["attackers"][0]["role"] = "lead"
    newer["sources"][0]["language"] = "ar"
    event = event_from_json(newer)
    assert event.to_dict() == record
    assert not hasattr(event, "confidence")


@settings(max_examples=10)
@given(events())
def test_from_dict_copies_its_input(record: dict[str, Any]) -> None:
    record = copy.deepcopy(record)
    event = Event.from_dict(record)
    before = event.to_dict()
    record["attackers"][0]["actor"] = "changed-after"
    record["summary"] = "changed after the fact, longer than twenty"
    assert event.to_dict() == before


@settings(max_examples=10)
@given(events())
def test_a_missing_required_field_is_an_integrity_error(record: dict[str, Any]) -> None:
    record = copy.deepcopy(record)
    del record["summary"]
    with pytest.raises(IntegrityError, match="summary"):
        Event.from_dict(record)


@settings(max_examples=10)
@given(events())
def test_a_malformed_nested_value_is_an_integrity_error_naming_the_field(record: dict[str, Any]) -> None:
    record = copy.deepcopy(record)
    record["date_start"] = "28/01/2024"
    record["attackers"] = [{"attribution": "claimed"}]
    event = Event.from_dict(record)
    with pytest.raises(IntegrityError, match=r"Event\.date_start"):
        _ = event.date_start
    with pytest.raises(IntegrityError, match="actor"):
        _ = event.attackers


@settings(max_examples=10)
@given(events())
def test_models_are_frozen(record: dict[str, Any]) -> None:
    event = Event.from_dict(record)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.country = "SY"  # type: ignore[misc]
    changed = dataclasses.replace(event, country="SY")
    assert changed.country == "SY" and changed.id == event.id and changed.date_start == event.date_start


@settings(max_examples=10)
@given(events())
def test_datetimes_keep_their_offset_and_write_utc_with_z(record: dict[str, Any]) -> None:
    record = copy.deepcopy(record)
    record["modified"] = "2024-01-28T10:00:00Z"
    event = Event.from_dict(record)
    assert event.modified == datetime(2024, 1, 28, 10, tzinfo=UTC)
    assert event.to_dict()["modified"] == "2024-01-28T10:00:00Z"


def test_responses_parse() -> None:
    page: Page[Event] = Page(items=(), total=0)
    assert not page.has_next and len(page) == 0
    agg = Aggregates.from_dict(
        {
            "group_by": ["country", "month"],
            "items": [
                {
                    "country": "IQ",
                    "month": "2024-01",
                    "events": 3,
                    "killed": {"min": 1, "max": 5},
                    "injured": {"min": 0, "max": 0},
                    "civilians_killed": {"min": 0, "max": 2},
                    "civilians_injured": {"min": 0, "max": 0},
                    "future": 1,
                }
            ],
        }
    )
    assert agg.records() == [
        {
            "country": "IQ",
            "month": "2024-01",
            "events": 3,
            "killed_min": 1,
            "killed_max": 5,
            "killed_best": None,
            "killed_with_best": None,
            "killed_unknown": None,
            "injured_min": 0,
            "injured_max": 0,
            "injured_best": None,
            "injured_with_best": None,
            "injured_unknown": None,
            "civilians_killed_min": 0,
            "civilians_killed_max": 2,
            "civilians_killed_best": None,
            "civilians_killed_with_best": None,
            "civilians_killed_unknown": None,
            "civilians_injured_min": 0,
            "civilians_injured_max": 0,
            "civilians_injured_best": None,
            "civilians_injured_with_best": None,
            "civilians_injured_unknown": None,
        }
    ]
    rel = Releases.from_dict(
        {
            "items": [
                {
                    "version": "0.1.0",
                    "name": "openstrikes",
                    "created": "2026-01-01T00:00:00Z",
                    "sha256": "ab" * 32,
                    "files": [{"name": "events.csv", "bytes": 3, "sha256": "cd" * 32, "url": "/x"}],
                }
            ],
            "latest": "0.1.0",
        }
    )
    assert rel.get().file("events.csv").bytes == 3
    with pytest.raises(KeyError, match=r"events\.csv"):
        rel.get().file("nope.csv")
    report = Report.from_dict(
        {
            "valid": False,
            "problems": [
                {"file": "<request>", "pointer": "/country", "code": "OS201", "message": "bad", "hint": "fix"}
            ],
        }
    )
    assert not report and report.problems[0].code == "OS201" and "/country" in str(report.problems[0])
