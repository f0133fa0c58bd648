"""The filter table: parsing is strict, SQL uses bound parameters only, every filter is documented."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openstrikes.index.cursor import decode_cursor, encode_cursor
from openstrikes.index.filters import FILTERS, where_clause
from openstrikes.index.params import docs_rows, openapi_parameters, params_for, parse_args
from openstrikes.index.params import filter_params as _filter_params
from openstrikes.index.values import ParamError
from openstrikes.schema_files import event_schema

EVENTS_PARAMS = params_for(event_schema()).events
AGGREGATE_PARAMS = params_for(event_schema()).aggregates


def filter_params() -> list:  # type: ignore[type-arg]
    return _filter_params(event_schema())


def test_every_filter_operator_is_a_parameter_with_docs() -> None:
    names = {p.name for p in filter_params()}
    for f in FILTERS:
        for op in f.ops:
            assert f.param(op) in names
    documented = {p["name"]: p for p in openapi_parameters(EVENTS_PARAMS)}
    rows = {name: desc for name, _, desc in docs_rows(EVENTS_PARAMS)}
    for name in names:
        assert documented[name]["description"] and documented[name]["schema"]
        assert rows[name]
    assert names <= {p.name for p in AGGREGATE_PARAMS}


def test_the_required_filters_exist() -> None:
    names = {p.name for p in filter_params()}
    required = {
        "date_start__gte", "date_start__lte", "country", "country__in", "admin1", "actor", "attacker", "target",
        "strike_type", "status", "outcome", "killed__gte", "tag", "operation", "q", "bbox", "near", "radius_km",
        "modified_since", "include_withdrawn",
    }  # fmt: skip
    assert required <= names


def test_unknown_and_repeated_parameters_are_400() -> None:
    with pytest.raises(ParamError) as info:
        parse_args({"contry": ["IQ"]}, EVENTS_PARAMS)
    assert info.value.status == 400 and info.value.parameter == "contry" and "country" in info.value.message
    with pytest.raises(ParamError) as info:
        parse_args({"country": ["IQ", "SY"]}, EVENTS_PARAMS)
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("name", "raw"),
    [("country", "Iraq"), ("killed__gte", "1.5"), ("date_start__gte", "2020-02-30"), ("bbox", "1,2,3,x"),
     ("near", "95,0"), ("page_size", "1001"), ("sort", "size"), ("fields", "id,weather"), ("strike_type__in", "airstrike,,")],
)  # fmt: skip
def test_bad_values_are_422_naming_the_parameter(name: str, raw: str) -> None:
    args = {name: [raw]}
    if name == "near":
        args["radius_km"] = ["5"]
    with pytest.raises(ParamError) as info:
        parse_args(args, EVENTS_PARAMS)
    assert info.value.status == 422 and info.value.parameter == name and name in info.value.message


@given(st.text(max_size=60))
def test_any_text_is_bound_never_spliced(text: str) -> None:
    values = {"admin1": text, "q": text or "x", "actor": text, "tag": "a-b"}
    where = where_clause(values, lambda v: [v])
    if text:
        assert text in where.params  # the value travels as a bound parameter
    assert where.sql.count("?") == len(where.params)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE events(rid INTEGER PRIMARY KEY, withdrawn, admin1)")
    db.execute("CREATE TABLE event_actors(actor, role, rid)")
    db.execute("CREATE TABLE event_tags(tag, rid)")
    db.execute("CREATE VIRTUAL TABLE events_fts USING fts5(text, content='')")
    db.execute(f"SELECT count(*) FROM events WHERE {where.sql}", where.params).fetchall()


def test_cursor_round_trip_and_tamper() -> None:
    text = encode_cursor("abc", "2020-01-01", 42, 100)
    assert decode_cursor(text, "abc") == ("2020-01-01", 42, 100)
    with pytest.raises(ParamError, match="another query"):
        decode_cursor(text, "xyz")
    with pytest.raises(ParamError):
        decode_cursor("bm90IGpzb24", "abc")
