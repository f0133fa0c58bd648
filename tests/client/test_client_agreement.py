"""Property: for random filters, `events.iter()` over the API, the server's NDJSON stream and
`open_release()` on the same release return the same events, in the same order."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from client_fakes import Built
from openstrikes_client import Client, open_release
from openstrikes_client._filters import to_params
from strategies import schema_enum

STRIKE_TYPES = schema_enum("strike_type")
STATUSES = schema_enum("status")
OUTCOMES = ["impact", "intercepted", "failed", "unknown"]


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    f: dict[str, Any] = {}
    if draw(st.booleans()):
        f["country"] = draw(st.sampled_from(["IQ", "SY", "JO", "IR"]))
    elif draw(st.booleans()):
        f["country__in"] = draw(
            st.lists(st.sampled_from(["IQ", "SY", "JO", "IR"]), min_size=1, max_size=3, unique=True)
        )
    if draw(st.booleans()):
        start = date(2000, 1, 1) + timedelta(days=draw(st.integers(0, 8000)))
        f["date_start__gte"] = start
        if draw(st.booleans()):
            f["date_start__lte"] = start + timedelta(days=draw(st.integers(0, 3000)))
    if draw(st.integers(0, 3)) == 0:
        f["strike_type"] = draw(st.sampled_from(STRIKE_TYPES))
    if draw(st.integers(0, 3)) == 0:
        f["status__in"] = draw(st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2, unique=True))
    if draw(st.integers(0, 3)) == 0:
        f["outcome"] = draw(st.sampled_from(OUTCOMES))
    if draw(st.integers(0, 3)) == 0:
        f["killed__gte"] = draw(st.integers(0, 8))
    if draw(st.integers(0, 4)) == 0:
        f["attacker"] = draw(
            st.sampled_from(["synthetic-actor-a-00", "synthetic-actor-b-03", "synthetic-actor-a-07"])
        )
    if draw(st.integers(0, 4)) == 0:
        f["include_withdrawn"] = True
    if draw(st.integers(0, 4)) == 0:
        f["at_sea"] = draw(st.booleans())
    if draw(st.integers(0, 5)) == 0:
        f["water_body__in" if draw(st.booleans()) else "water_body"] = draw(
            st.sampled_from([["red_sea", "gulf_of_aden"], ["persian_gulf"]])
        )
        if "water_body" in f:
            f["water_body"] = f["water_body"][0]
    if draw(st.integers(0, 5)) == 0:
        f["place"] = draw(st.sampled_from(["synthetic-place-00", "synthetic-waters-01", "no-such-place"]))
    if draw(st.integers(0, 5)) == 0:  # a ship of the synthetic fleet by IMO number or name, or a flag
        key = draw(st.sampled_from(["vessel", "flag"]))
        f[key] = draw(
            st.sampled_from(
                ["9000015", "SYNTHETIC TANKER 001", "9000027", "Nobody"]
                if key == "vessel"
                else ["MH", "LR", "ZZ"]
            )
        )
    return f


SORTS = st.sampled_from([None, "date_start", "-date_start", "id", "-id"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=filters(), sort=SORTS, page_size=st.sampled_from([7, 50, 1000]))
def test_api_ndjson_and_offline_release_agree(
    api_client: Client, app: Any, built: Built, f: dict[str, Any], sort: str | None, page_size: int
) -> None:
    with open_release(built.package) as rel:
        offline = [e.id for e in rel.events.iter(sort=sort, **f)]  # type: ignore[arg-type]
    online = [e.id for e in api_client.events.iter(sort=sort, page_size=page_size, **f)]  # type: ignore[arg-type]
    params = to_params(f)
    params["format"] = "ndjson"
    if sort:
        params["sort"] = sort
    resp = app.test_client().get("/v1/events", query_string=params)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    streamed = [json.loads(line)["id"] for line in resp.get_data().splitlines() if line.strip()]
    event(
        "matches: "
        + ("none" if not offline else "one page" if len(offline) <= page_size else "several pages")
    )
    if sort is None or sort.lstrip("-") == "id":
        assert online == offline == streamed
    else:  # ties on the sort key may come in any order the server documents; compare as ordered sets
        assert sorted(online) == sorted(offline) == sorted(streamed)
        assert len(set(online)) == len(online)
        key = sort.lstrip("-")
        by_id = {e["id"]: e for e in built.events.values()}
        values = [by_id[i][key] for i in online]
        assert values == sorted(values, reverse=sort.startswith("-"))


@pytest.mark.parametrize("sort", [None, "-date_start"])
def test_sorted_walks_agree_in_order(api_client: Client, built: Built, sort: str | None) -> None:
    with open_release(built.package) as rel:
        offline = [e.id for e in rel.events.iter(sort=sort, include_withdrawn=True)]  # type: ignore[arg-type]
    online = [e.id for e in api_client.events.iter(sort=sort, include_withdrawn=True, page_size=33)]  # type: ignore[arg-type]
    assert online == offline
