"""The canonical schemas themselves: well-formed Draft 2020-12, versioned, formats enforced."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from openstrikes.schema_files import actor_schema, event_schema, place_schema, schema_version
from openstrikes.toolchain.schema_check import checker


@pytest.mark.parametrize(
    "schema", [event_schema(), actor_schema(), place_schema()], ids=["event", "actor", "place"]
)
def test_schema_is_valid_draft_2020_12_with_id_and_version(schema: dict) -> None:
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].startswith("https://")
    assert schema["x-schema-version"].count(".") == 2
    assert schema["additionalProperties"] is False


def test_every_object_in_the_event_schema_is_closed() -> None:
    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                assert node.get("additionalProperties") is False, sorted(node["properties"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(event_schema())
    walk(actor_schema())
    walk(place_schema())


@pytest.mark.parametrize(
    ("fmt", "bad"),
    [("date", "2021-02-30"), ("date", "not-a-date"), ("uri", "ht tp://x"), ("date-time", "2021-06-27 25:00")],
)
def test_format_checkers_are_active_in_both_validators(fmt: str, bad: str) -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "format": fmt}
    reference = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert not reference.is_valid(bad)
    import jsonschema_rs

    assert not jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(bad)


def test_project_checker_rejects_bad_formats_in_a_record() -> None:
    check = checker("event.schema.json")
    for pointer, value in (("date_start", "2021-02-30"), ("date_end", "not-a-date")):
        problems = check.problems({pointer: value}, "x.json")
        assert any(p.pointer == "/" + pointer and p.code == "OS206" for p in problems)
    problems = check.problems({"sources": [{"url": "ht tp://x"}]}, "x.json")
    assert any(p.pointer == "/sources/0/url" and p.code == "OS206" for p in problems)


def test_schema_version_is_the_version_new_records_get() -> None:
    assert schema_version() == event_schema()["x-schema-version"]
    assert Draft202012Validator(event_schema()["properties"]["schema_version"]).is_valid(schema_version())


def test_schema_1_1_still_admits_1_0_records() -> None:
    """1.1 is additive: a record written against 1.0 (no water_body, place or vessel; a country)
    is still valid, and schema_version 1.0.x is still accepted."""
    version = Draft202012Validator(event_schema()["properties"]["schema_version"])
    assert version.is_valid("1.0.0") and version.is_valid("1.1.0") and not version.is_valid("2.0.0")
    assert event_schema()["$id"].endswith("/1.1.0/event.schema.json")
    assert schema_version() == "1.1.0"


def test_event_and_place_schemas_share_the_place_fields() -> None:
    """The fields a place fixes in an event have the same meaning-bearing constraints in both schemas."""
    from openstrikes.toolchain.places import PLACE_FIELDS

    for name in PLACE_FIELDS:
        ev, pl = dict(event_schema()["properties"][name]), dict(place_schema()["properties"][name])
        ev.pop("description"), pl.pop("description")
        assert ev == pl, name
