"""The flat table: the client's to_rows() online and offline, and the API's format=csv&flat=true,
give the same rows; the server's and the client's column lists are the same."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from server_side import FLAT_COLUMNS

from conftest import Built
from openstrikes_client import Client, LocalRelease, _flat, open_release


@pytest.fixture(scope="module")
def rel(built: Built) -> Iterator[LocalRelease]:
    with open_release(built.package) as release:
        yield release


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@pytest.mark.parametrize("filters", [{}, {"country": "SY"}, {"status__in": ["claimed"], "killed__gte": 1}])
def test_flat_rows_agree_online_offline_and_with_the_api_csv(
    api_client: Client, app: Any, rel: LocalRelease, filters: dict[str, Any]
) -> None:
    assert _flat.FLAT_COLUMNS == FLAT_COLUMNS
    online = list(api_client.events.to_rows(**filters))
    assert online == list(rel.events.to_rows(**filters))
    params = {k: ",".join(v) if isinstance(v, list) else str(v) for k, v in filters.items()}
    resp = app.test_client().get("/v1/events", query_string={**params, "format": "csv", "flat": "true"})
    assert resp.status_code == 200
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True), newline="")))
    assert tuple(rows[0]) == FLAT_COLUMNS
    assert rows[1:] == [[_cell(r[c]) for c in FLAT_COLUMNS] for r in online]
    assert online and all(r["attacker_ids"] for r in online)
    assert not any(c in FLAT_COLUMNS for c in ("omitted_keys", "empty_strings"))


def test_flat_rows_say_unknown_as_none(rel: LocalRelease) -> None:
    for event, row in zip(rel.events.records(), rel.events.to_rows(), strict=True):
        killed = event["casualties"].get("killed")
        assert (row["killed_low"], row["killed_high"]) == (
            (None, None) if killed is None else (killed["min"], killed["max"])
        )


def test_flat_applies_to_csv_only(app: Any) -> None:
    resp = app.test_client().get("/v1/events", query_string={"flat": "true"})
    assert resp.status_code == 400 and resp.get_json()["error"]["parameter"] == "flat"


def test_the_release_ships_the_same_flat_table(app: Any, built: Built) -> None:
    shipped = (built.package / "events_flat.csv").read_bytes()
    query = {"format": "csv", "flat": "true", "include_withdrawn": "true"}
    assert app.test_client().get("/v1/events", query_string=query).get_data() == shipped
    header = shipped.split(b"\r\n", 1)[0].decode()
    assert "omitted_keys" not in header and "empty_strings" not in header
