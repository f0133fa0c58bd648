"""One argument checker online and offline: random valid and invalid arguments give the same
answer, or the same error class with the same message, from `Client` and `open_release`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Built
from openstrikes_client import BadRequest, Client, InvalidArgument, LocalRelease, open_release
from openstrikes_client._filters import FILTER_NAMES


@pytest.fixture(scope="module")
def rel(built: Built) -> Iterator[LocalRelease]:
    with open_release(built.package) as release:
        yield release


def outcome(run: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "answer", run()
    except Exception as exc:
        return type(exc).__name__, str(exc)


VALUES: list[Any] = [
    None,
    "SY",
    "IQ",
    "Syria",
    "",
    "drone",
    "airstrike",
    "drone_strike",
    "claimed",
    "synthetic",
    "rocket",
    "--",
    "a,b",
    "2024-01-01",
    5,
    0,
    -1,
    True,
    2.5,
    date(2000, 6, 1),
    datetime(2000, 6, 1, tzinfo=UTC),
    (35.0, 25.0, 45.0, 36.0),
    (45.0, 36.0, 35.0, 25.0),  # inverted bbox
    (33.5, 44.5),
    (95.0, 44.5),
    ["SY", "IQ"],
    ["drone"],
    [],
    ("airstrike", "missile"),
    300.0,
]
NAMES = [*sorted(FILTER_NAMES), "countries", "killed__gt"]
SORTS = [None, "date_start", "-killed", "injured", "-civilians_killed", "date", "killed "]
FIELDS = [None, ["casualties"], ["casualtys"], "id", ["summary", "country"]]
GROUPS: list[Any] = [
    ["country"],
    ["month"],
    "year,country",
    ["attacker_country"],
    ["nope"],
    [],
    ["day", "week"],
]

SLOW = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _filters(data: st.DataObject) -> dict[str, Any]:
    names = data.draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True), label="names")
    return {n: data.draw(st.sampled_from(VALUES), label=n) for n in names}


def _page(p: Any) -> Any:
    return ([e.id for e in p.items], p.total, p.without_coordinates)


@SLOW
@given(data=st.data())
def test_random_arguments_give_the_same_answer_or_error_online_and_offline(
    api_client: Client, rel: LocalRelease, data: st.DataObject
) -> None:
    f = _filters(data)
    sort = data.draw(st.sampled_from(SORTS), label="sort")
    call = data.draw(st.sampled_from(["list", "iter", "records", "count", "aggregates"]), label="call")
    size = data.draw(st.sampled_from([7, 50, 0, 1001, "7", True]), label="page_size")
    fields = data.draw(st.sampled_from(FIELDS), label="fields")
    group = data.draw(st.sampled_from(GROUPS), label="group_by")
    fill = data.draw(st.booleans(), label="fill")

    def run(side: Any) -> Callable[[], Any]:
        if call == "list":
            return lambda: _page(side.events.list(sort=sort, page_size=size, **f))
        if call == "iter":
            return lambda: [e.id for e in side.events.iter(sort=sort, page_size=size, **f)]
        if call == "records":
            return lambda: list(side.events.records(fields=fields, sort=sort, **f))
        if call == "count":
            return lambda: side.events.count(**f)
        return lambda: side.aggregates(group, fill=fill, **f)

    online, offline = outcome(run(api_client)), outcome(run(rel))
    assert online == offline
    assert online[0] in ("answer", "InvalidArgument", "TypeError")


def test_the_issue_examples_fail_alike(api_client: Client, rel: LocalRelease) -> None:
    bad: list[Callable[[Any], Any]] = [
        lambda s: s.events.list(strike_type="drone"),
        lambda s: s.events.list(country="Syria"),
        lambda s: s.events.list(bbox=(45.0, 36.0, 35.0, 25.0)),
        lambda s: list(s.events.records(fields=["casualtys"])),
        lambda s: s.events.list(date_start__gte="2024-01-01"),
        lambda s: s.events.iter(page_size=0),
    ]
    for call in bad:
        with pytest.raises(InvalidArgument) as online:
            call(api_client)
        with pytest.raises(InvalidArgument) as offline:
            call(rel)
        assert str(online.value) == str(offline.value)
        assert isinstance(online.value, BadRequest) and isinstance(online.value, ValueError)
        assert online.value.parameter == offline.value.parameter
    assert [e.id for e in rel.events.iter(page_size=7)] == [e.id for e in api_client.events.iter(page_size=7)]
