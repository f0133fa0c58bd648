"""Parity of the client's mirrors of server logic, importing both sides: the filter names,
operators and value types (`EventFilters` == the server's `FILTERS`), the sort keys, the group
keys, and the text tokeniser `q` matches on."""

from __future__ import annotations

import re
import sqlite3
import typing
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal, get_args, get_origin

from hypothesis import given
from hypothesis import strategies as st
from server_side import (
    DDL,
    EVENT_SORTS,
    FILTERS,
    GEO_FALLBACK_PARAM,
    GROUP_KEYS,
    Filter,
    filter_type,
    search_text,
    search_words,
)

from openstrikes_client import _aggregate, _filters
from openstrikes_client._filters import EventFilters, GroupKey, SortKey

SERVER_PARAMS: dict[str, tuple[Filter, str]] = {f.param(op): (f, op) for f in FILTERS for op in f.ops}
HINTS = typing.get_type_hints(EventFilters)

# The Python type a client filter takes, by the server's value type (its docs rule).
SCALARS: dict[str, Any] = {
    "a date YYYY-MM-DD": date,
    "an RFC 3339 date-time with a time zone": datetime,
    "a whole number": int,
    "true or false": bool,
    "min_lon,min_lat,max_lon,max_lat": tuple[float, float, float, float],
    "lat,lon": tuple[float, float],
    "kilometres, greater than 0": float,
}


def test_filter_names_and_operators_are_the_servers() -> None:
    """The client's filters are the server's filters plus `geo_fallback` (an option of the geo
    filters of event lists, declared beside the page parameters on the server)."""
    fallback = GEO_FALLBACK_PARAM.name
    assert set(HINTS) == {*SERVER_PARAMS, fallback} == set(_filters.FILTER_NAMES)
    assert list(get_args(HINTS[fallback])) == GEO_FALLBACK_PARAM.type.schema["enum"]


def test_filter_value_types_are_the_servers() -> None:
    for name, (f, op) in SERVER_PARAMS.items():
        hint = HINTS[name]
        if op == "in":
            assert get_origin(hint) is Sequence, f"{name}: a list filter takes a Sequence, not {hint}"
            (hint,) = get_args(hint)
        ftype = filter_type(f)
        options = ftype.schema.get("enum")
        if options is not None:
            assert get_origin(hint) is Literal and list(get_args(hint)) == options, name
        elif ftype.rule in SCALARS:
            assert hint == SCALARS[ftype.rule], f"{name}: {hint} for {ftype.rule}"
        else:  # text, slug, country code
            assert ftype.schema["type"] == "string" and hint is str, f"{name}: {hint}"


def test_every_server_filter_has_an_offline_meaning() -> None:
    """Each filter (each operator) builds a predicate offline: none is refused as unknown."""
    values = {
        date: date(2020, 1, 1),
        datetime: datetime(2020, 1, 1, tzinfo=datetime.now().astimezone().tzinfo),
        int: 1,
        bool: True,
        float: 10.0,
        str: "x",
        tuple[float, float, float, float]: (40.0, 30.0, 45.0, 35.0),
        tuple[float, float]: (33.0, 44.0),
    }
    for name in SERVER_PARAMS:
        hint = HINTS[name]
        many = get_origin(hint) is Sequence
        inner = get_args(hint)[0] if many else hint
        value = get_args(inner)[0] if get_origin(inner) is Literal else values[inner]
        f = {name: [value] if many else value}
        if name in ("near", "radius_km"):
            f = {"near": (33.0, 44.0), "radius_km": 10.0}
        _filters.check_filters(f)
        assert _filters.predicates(f, None) is not None


def test_sort_keys_are_the_servers() -> None:
    assert set(get_args(SortKey)) == set(EVENT_SORTS)
    for sort in EVENT_SORTS:
        key, reverse = _filters.sort_key(sort, (33.0, 44.0))
        assert reverse is sort.startswith("-") and callable(key)


def test_group_keys_are_the_servers() -> None:
    assert list(get_args(GroupKey)) == list(GROUP_KEYS) == list(_aggregate.GROUP_KEYS)


# Code points where SQLite's FTS5 (unicode61, as the server's index uses it) and the server's own
# Python tokeniser disagree: FTS5 folds more than str.lower() (final sigma, micro sign, long s,
# Greek symbol variants) and splits at a few letters newer than its Unicode 6.1 tables. Reported
# as a server bug; online `q` matches by the FTS5 tokens, so the client's words are those.
FTS_FOLDS = "\u00b5\u017f\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5\u1e9b\u1fbe"
FTS_SPLITS = "".join(chr(c) for c in (*range(0x19B0, 0x19C1), 0x19C8, 0x19C9, 0x1CF2, 0x1CF3))


def fts_tokens(text: str) -> list[str]:
    """The tokens the server's FTS5 index makes of `text` (same tokenizer, read back by fts5vocab)."""
    tokenize = re.search(r"tokenize='([^']*)'", DDL)
    assert tokenize is not None, "the server's FTS table names its tokenizer"
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize='{tokenize.group(1)}')")
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        db.execute("INSERT INTO t(rowid, text) VALUES (1, ?)", (text,))
        return [row[0] for row in db.execute("SELECT term FROM v ORDER BY offset")]
    finally:
        db.close()


ANY_CHAR = st.characters(codec="utf-8", exclude_categories=("Cs",))
TEXT = st.text(st.one_of(ANY_CHAR, st.sampled_from(FTS_FOLDS + FTS_SPLITS + "ΣΟΔ")), max_size=60)


@given(TEXT)
def test_the_tokeniser_makes_the_tokens_the_servers_fts_index_holds(text: str) -> None:
    """The server indexes (and splits `q` into) its tokeniser's words, which FTS5 tokenises again."""
    assert _filters.words(text) == fts_tokens(" ".join(search_words(text)))


@given(TEXT)
def test_the_tokeniser_is_the_servers(text: str) -> None:
    assert _filters.words(text) == search_words(text)


@given(st.text(ANY_CHAR, max_size=20), st.text(ANY_CHAR, max_size=20), st.text(ANY_CHAR, max_size=20))
def test_the_searched_text_is_the_servers(summary: str, location: str, title: str) -> None:
    event = {"summary": summary, "location": location or None, "sources": [{"title": title}]}
    assert _filters.words(_filters._text_of(event)) == fts_tokens(search_text(event))


def test_the_servers_tokeniser_is_its_fts_tokenising() -> None:
    text = "ΟΔΟΣ " + " ".join(f"a{ch}b" for ch in FTS_FOLDS + FTS_SPLITS)
    assert fts_tokens(" ".join(search_words(text))) == search_words(text)
