"""Properties of validation: generated events pass, single mutations fail at the right pointer,
the fast and the reference validators agree."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from openstrikes.schema_files import event_schema
from openstrikes.toolchain.checks import Context
from openstrikes.toolchain.record_checks import check_record, validate_event_data
from strategies import ACTOR_IDS, NOW, actor_record, events

ACTORS = [actor_record(a) for a in ACTOR_IDS]
FAST = jsonschema_rs.validator_for(event_schema(), validate_formats=True)
REFERENCE = Draft202012Validator(event_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_every_generated_event_validates(event: dict[str, Any]) -> None:
    problems = validate_event_data(event, actors=ACTORS, now=NOW)
    assert problems == []


def _set(pointer: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(ev: dict[str, Any]) -> None:
        *parents, last = pointer.strip("/").split("/")
        node: Any = ev
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _delete(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda ev: ev.pop(key)


# (name, mutation, expected pointer, expected code)
MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("missing id", _delete("id"), "/id", "OS201"),
    ("missing summary", _delete("summary"), "/summary", "OS201"),
    ("missing sources", _delete("sources"), "/sources", "OS201"),
    ("unknown field", _set("/colour", "red"), "/colour", "OS202"),
    ("id pattern", _set("/id", "../x"), "/id", "OS205"),
    ("country pattern", _set("/country", "Syria"), "/country", "OS205"),
    ("strike type enum", _set("/strike_type", "airstrik"), "/strike_type", "OS204"),
    ("status enum", _set("/status", "confirmed"), "/status", "OS204"),
    ("impossible date", _set("/date_start", "2021-02-30"), "/date_start", "OS206"),
    ("not a date", _set("/date_end", "yesterday"), "/date_end", "OS206"),
    ("bad url", _set("/sources/0/url", "ht tp://x"), "/sources/0/url", "OS206"),
    ("latitude range", _set("/latitude", 123.0), "/latitude", "OS207"),
    ("empty attackers", _set("/attackers", []), "/attackers", "OS208"),
    ("no sources", _set("/sources", []), "/sources", "OS208"),
    ("short summary", _set("/summary", "too short"), "/summary", "OS208"),
    ("type", _set("/platforms", "F-15"), "/platforms", "OS203"),
    (
        "negative casualties",
        _set("/casualties/killed", {"min": -1, "max": 3}),
        "/casualties/killed/min",
        "OS207",
    ),
    (
        "range order",
        _set("/casualties/killed", {"min": 5, "max": 2, "best": None}),
        "/casualties/killed/min",
        "OS304",
    ),
    ("future date", _set("/modified", "2999-01-01T00:00:00Z"), "/modified", "OS307"),
    ("non-http source", _set("/sources/0/url", "ftp://example.org/x"), "/sources/0/url", "OS312"),
    ("control character", _set("/summary", "a summary with a bell \x07 inside it"), "/summary", "OS314"),
    ("unknown actor", _set("/attackers/0/actor", "nobody-at-all"), "/attackers/0/actor", "OS309"),
    (
        "unknown related",
        _set("/related", [{"id": "OS-1999-2222-2222", "relation": "follow_up"}]),
        "/related/0/id",
        "OS310",
    ),
    (
        "withdrawn without reason",
        _set("/withdrawn", {"at": "2025-01-01T00:00:00Z"}),
        "/withdrawn/reason",
        "OS201",
    ),
    (
        "claim cites unknown source",
        _set(
            "/casualty_claims",
            [
                {
                    "source": "https://other.example/x",
                    "claimant": "x",
                    "figures": {"killed": {"min": 1, "max": 1}},
                }
            ],
        ),
        "/casualty_claims/0/source",
        "OS313",
    ),
    ("unknown country", _set("/country", "ZZ"), "/country", "OS318"),
]


@pytest.mark.parametrize(("name", "mutate", "pointer", "code"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(event=events())
def test_each_single_mutation_is_rejected_at_its_pointer(
    name: str, mutate: Callable[[dict[str, Any]], None], pointer: str, code: str, event: dict[str, Any]
) -> None:
    mutated = copy.deepcopy(event)
    mutate(mutated)
    problems = validate_event_data(mutated, actors=ACTORS, now=NOW)
    assert any(p.pointer == pointer and p.code == code for p in problems), (name, problems)


@settings(max_examples=60)
@given(events())
def test_coordinates_outside_the_country_are_rejected(event: dict[str, Any]) -> None:
    event.update(latitude=-26.2, longitude=28.04, geo_precision="exact")  # Johannesburg
    problems = check_record(event, "event", "x.json", Context(now=NOW))
    assert [p.code for p in problems if p.pointer == "/latitude"] == ["OS308"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(events(), st.data())
def test_fast_and_reference_validators_agree(event: dict[str, Any], data: st.DataObject) -> None:
    candidates = [event]
    mutated = copy.deepcopy(event)
    key = data.draw(st.sampled_from(sorted(mutated)), label="key")
    mutated[key] = data.draw(json_values, label="value")
    candidates.append(mutated)
    candidates.append(data.draw(json_values, label="random document"))
    for candidate in candidates:
        assert FAST.is_valid(candidate) == REFERENCE.is_valid(candidate), candidate


def test_validation_is_deterministic_about_now() -> None:
    assert datetime.now(UTC) > NOW


def _shuffle_some_keys(value: Any, data: st.DataObject) -> Any:
    """A copy of `value` where some objects, at any depth, have their keys reordered."""
    if isinstance(value, dict):
        keys = list(value)
        if len(keys) > 1 and data.draw(st.booleans()):
            keys = data.draw(st.permutations(keys))
        return {k: _shuffle_some_keys(value[k], data) for k in keys}
    if isinstance(value, list):
        return [_shuffle_some_keys(v, data) for v in value]
    return value


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(events(), st.data())
def test_the_fast_canonical_check_agrees_with_the_canonical_bytes(
    event: dict[str, Any], data: st.DataObject
) -> None:
    """`is_canonical` (orjson layout + key order of the objects the schema shapes + a count of
    objects) answers exactly as comparing with the canonical bytes does, for any key order,
    including objects the schema does not describe."""
    import orjson

    from openstrikes.toolchain.canonical import canonical_bytes, is_canonical
    from openstrikes.toolchain.records import key_shape

    shape = key_shape("event")
    if data.draw(st.booleans()):
        event["tags"] = [{"b": 1, "a": {"d": 2, "c": 3}}]  # objects with no shape (sorted when canonical)
    if data.draw(st.booleans()):
        event["summary"] += " {not an object} {}"  # braces that open no object
        event["figures"] = {}  # an empty object
    shuffled = _shuffle_some_keys(event, data)
    raw = orjson.dumps(shuffled, option=orjson.OPT_INDENT_2) + b"\n"
    assert is_canonical(shuffled, raw, shape) == (canonical_bytes(shuffled, shape) == raw)
    canonical = canonical_bytes(event, shape)
    assert is_canonical(orjson.loads(canonical), canonical, shape)


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "tab\there\nnewline",
        'quote " and \\ backslash',
        "literal \\u0001 and \\b and \\f",
        "bell\x07",
        "back\bspace",
        "form\ffeed",
        "del\x7f",
        "nul\x00",
        "\\\x01",
    ],
)
def test_control_character_check_agrees_with_and_without_the_canonical_bytes(text: str) -> None:
    """OS314 skips the walk over the strings only when the canonical bytes prove it needless."""
    import orjson

    from openstrikes.toolchain.checks import no_control_characters

    record = {"summary": text, "sources": [{"title": text}]}
    raw = orjson.dumps(record, option=orjson.OPT_INDENT_2) + b"\n"
    fast = list(no_control_characters(record, Context(now=NOW, raw=raw)))
    assert fast == list(no_control_characters(record, Context(now=NOW)))


@settings(max_examples=20, suppress_health_check=[HealthCheck.too_slow])
@given(events())
def test_a_check_keeps_what_it_found_before_a_wrongly_shaped_part(event: dict[str, Any]) -> None:
    """A check stops at the first wrongly shaped part and reports what it found before it."""
    event["sources"] = [{"url": "ftp://example.org/a", "archive_url": None}, "not an object"]
    problems = check_record(event, "event", "x.json", Context(now=NOW))
    assert ("/sources/0/url", "OS312") in {(p.pointer, p.code) for p in problems}
