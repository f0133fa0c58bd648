"""open_release(): offline queries over a release directory or zip, verified against its hashes."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from client_fakes import write_release
from openstrikes_client import IntegrityError, NotFound, open_release
from strategies import ACTOR_IDS, actor_record, events
from synthetic import generate_events  # benchmarks/ is on sys.path (conftest.py)

SETTINGS = settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])


def unique(evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return list({e["id"]: e for e in evs}.values())


def actors() -> list[dict[str, Any]]:
    out = [actor_record(a) for a in ACTOR_IDS]
    out[2]["aliases"] = ["KH", "Kata'ib Hizballah"]
    out[2]["external_ids"] = {"acled": "123", "wikidata": "Q123"}
    return out


def zip_release(folder: Path, target: Path, prefix: str = "openstrikes-0.1.0/") -> Path:
    with zipfile.ZipFile(target, "w") as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, prefix + f.name)
    return target


@SETTINGS
@given(st.lists(events(), min_size=1, max_size=25))
def test_directory_and_zip_answer_the_same(
    tmp_path_factory: pytest.TempPathFactory, evs: list[dict[str, Any]]
) -> None:
    evs = unique(evs)
    tmp = tmp_path_factory.mktemp("rel")
    folder = write_release(tmp / "openstrikes-0.1.0", evs, actors())
    z = zip_release(folder, tmp / "openstrikes-0.1.0.zip")
    with open_release(folder) as a, open_release(z) as b:
        assert a.version == b.version == "0.1.0"
        every_a = [e.to_dict() for e in a.events.iter(include_withdrawn=True)]
        assert every_a == [e.to_dict() for e in b.events.iter(include_withdrawn=True)]
        assert every_a == sorted(evs, key=lambda e: e["id"])
        live = [e for e in evs if e["withdrawn"] is None]
        assert a.events.count() == len(live)
        first = evs[0]
        assert a.events.get(first["id"]).to_dict() == first
        assert b.events.get(first["id"]).to_dict() == first


@SETTINGS
@given(st.lists(events(), min_size=0, max_size=30), st.integers(1, 7))
def test_pages_cover_every_event_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, evs: list[dict[str, Any]], size: int
) -> None:
    evs = unique(evs)
    folder = write_release(tmp_path_factory.mktemp("rel"), evs, actors())
    with open_release(folder) as rel:
        want = [e.id for e in rel.events.iter(sort="-date_start", include_withdrawn=True)]
        got, cursor = [], None
        while True:
            page = rel.events.list(page_size=size, cursor=cursor, sort="-date_start", include_withdrawn=True)
            assert page.total == len(evs)
            got += [e.id for e in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert got == want and len(set(got)) == len(evs)
        dates = [e.date_start for e in rel.events.iter(sort="-date_start", include_withdrawn=True)]
        assert dates == sorted(dates, reverse=True)


@SETTINGS
@given(st.lists(events(), min_size=1, max_size=30))
def test_filters_select_what_they_say(
    tmp_path_factory: pytest.TempPathFactory, evs: list[dict[str, Any]]
) -> None:
    evs = unique(evs)
    folder = write_release(tmp_path_factory.mktemp("rel"), evs, actors())
    live = [e for e in evs if e["withdrawn"] is None]
    with open_release(folder) as rel:

        def ids(**filters: Any) -> set[str]:
            return {e.id for e in rel.events.iter(**filters)}

        assert ids(country="IQ") == {e["id"] for e in live if e["country"] == "IQ"}
        assert ids(country__in=["SY", "JO"]) == {e["id"] for e in live if e["country"] in ("SY", "JO")}
        cut = date(2012, 6, 1)
        assert ids(date_start__gte=cut) == {
            e["id"] for e in live if date.fromisoformat(e["date_start"]) >= cut
        }
        assert ids(attacker="KH") == {
            e["id"] for e in live if any(a["actor"] == "kataib-hezbollah" for a in e["attackers"])
        }
        assert ids(killed__gte=10) == {
            e["id"] for e in live if e["casualties"]["killed"] and e["casualties"]["killed"]["max"] >= 10
        }
        assert ids(include_withdrawn=True) == {e["id"] for e in evs}
        assert ids(bbox=(40.0, 34.0, 41.5, 36.0)) == {
            e["id"]
            for e in live
            if e["latitude"] is not None and 34.0 <= e["latitude"] <= 36.0 and 40.0 <= e["longitude"] <= 41.5
        }
        # Aggregates agree with counting by hand.
        agg = rel.aggregates(["country"])
        assert {r.key["country"]: r.events for r in agg.items} == {
            c: sum(1 for e in live if e["country"] == c) for c in {e["country"] for e in live}
        }
        assert sum(r.killed.max for r in agg.items) == sum(
            e["casualties"]["killed"]["max"] for e in live if e["casualties"]["killed"]
        )


def test_actors_are_read_from_the_release(tmp_path: Path) -> None:
    folder = write_release(tmp_path / "rel", [], actors())
    with open_release(folder) as rel:
        kh = rel.actors.get("kataib-hezbollah")
        assert kh.aliases == ("KH", "Kata'ib Hizballah")
        assert kh.external_ids.wikidata == "Q123" and kh.external_ids.acled == "123"
        assert [a.id for a in rel.actors.list()] == sorted(ACTOR_IDS)
        with pytest.raises(NotFound):
            rel.actors.get("nobody")
        with pytest.raises(NotFound):
            rel.events.get("OS-2024-2222-2222")


@pytest.mark.parametrize("victim", ["events.ndjson", "actors.csv", "changes.csv"])
def test_a_tampered_file_is_refused(tmp_path: Path, victim: str) -> None:
    evs = list(generate_events(3, seed=21))
    folder = write_release(tmp_path / "rel", unique(evs), actors())
    path = folder / victim
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=victim):
        open_release(folder)
    open_release(folder, verify=False).close()  # the caller may opt out


def test_a_descriptor_without_hashes_is_refused(tmp_path: Path) -> None:
    folder = write_release(tmp_path / "rel", [], actors())
    desc = json.loads((folder / "datapackage.json").read_text())
    for res in desc["resources"]:
        res.pop("hash")
    (folder / "datapackage.json").write_text(json.dumps(desc))
    with pytest.raises(IntegrityError, match="no sha256"):
        open_release(folder)


def test_not_a_release(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_release(tmp_path / "missing")
    with pytest.raises(IntegrityError, match=r"datapackage\.json"):
        open_release(tmp_path)


def test_changes_since(tmp_path: Path) -> None:
    evs = list(generate_events(8, seed=22))
    folder = write_release(tmp_path / "rel", evs, actors())
    with open_release(folder) as rel:
        every = rel.changes()
        assert {c.id for c in every.items} == {e["id"] for e in evs}
        middle = sorted(c.modified for c in every.items)[len(every.items) // 2]
        later = rel.changes(since=middle)
        assert {c.id for c in later.items} == {c.id for c in every.items if c.modified > middle}
        assert {c.id for c in every.items if c.withdrawn} == {e["id"] for e in evs if e["withdrawn"]}
