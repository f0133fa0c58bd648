"""open_release() over a package built by the real builder (`openstrikes build` / `release`)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from client_fakes import Built
from openstrikes_client import IntegrityError, open_release


def test_every_event_and_actor_reads_back_exactly_as_its_file(built: Built) -> None:
    with open_release(built.package) as rel:
        got = {e.id: e.to_dict() for e in rel.events.iter(include_withdrawn=True)}
        assert got == built.events
        for event_id, record in list(built.events.items())[:20]:
            assert list(rel.events.get(event_id).to_dict()) == list(record)  # key order too
        assert {a.id: a.to_dict() for a in rel.actors.list()}.keys() == built.actors.keys()
        for actor in rel.actors.list():
            source = built.actors[actor.id]
            assert actor.name == source["name"] and list(actor.aliases) == source["aliases"]
            assert actor.kind == source["kind"] and actor.parent == source["parent"]


def test_the_zip_answers_like_the_directory(built: Built) -> None:
    with open_release(built.package) as a, open_release(built.zip) as b:
        assert (a.name, a.version) == (b.name, b.version)
        assert [e.id for e in a.events.iter(sort="-date_start")] == [
            e.id for e in b.events.iter(sort="-date_start")
        ]
        assert a.aggregates(["year", "strike_type"]) == b.aggregates(["year", "strike_type"])
        some = next(iter(built.events))
        assert a.events.get(some) == b.events.get(some)
        assert a.changes().items == b.changes().items
        assert "cff-version" in b.citation()


def test_withdrawn_events_are_left_out_unless_asked(built: Built) -> None:
    withdrawn = {i for i, e in built.events.items() if e["withdrawn"]}
    assert withdrawn, "the synthetic release should hold withdrawn events"
    with open_release(built.package) as rel:
        assert not withdrawn & {e.id for e in rel.events.iter()}
        assert withdrawn <= {e.id for e in rel.events.iter(include_withdrawn=True)}
        one = rel.events.get(next(iter(withdrawn)))
        assert one.is_withdrawn and one.withdrawn is not None and one.withdrawn.reason
        assert {c.id for c in rel.changes().items if c.withdrawn} == withdrawn


def test_a_tampered_zip_member_is_refused(built: Built, tmp_path: Path) -> None:
    bad = tmp_path / built.zip.name
    with zipfile.ZipFile(built.zip) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("events.ndjson"):
                data = data.replace(b'"killed":null', b'"killed":{"min":0,"max":0,"best":0}', 1)
            dst.writestr(info, data)
    with pytest.raises(IntegrityError, match=r"events\.ndjson"):
        open_release(bad)


def test_a_tampered_directory_is_refused(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / built.package.name
    shutil.copytree(built.package, copy)
    with (copy / "actors.csv").open("a", encoding="utf-8") as fh:
        fh.write("forged-actor,Forged,[],armed_group,,,,,,,[],[],[]\r\n")
    with pytest.raises(IntegrityError, match=r"actors\.csv"):
        open_release(copy)


def test_events_at_sea_ships_and_places_read_back_offline(built: Built) -> None:
    """Schema 1.1 offline: events at sea, their ships, the places registry and its events."""
    from openstrikes_client import PlaceEvents, Vessel

    places_dir = built.dataset / "places"
    registry = {p.stem: json.loads(p.read_text("utf-8")) for p in places_dir.glob("*.json")}
    with open_release(built.package) as rel:
        assert [p.to_dict() for p in rel.places.list()] == [registry[s] for s in sorted(registry)]
        at_sea = list(rel.events.iter(at_sea=True))
        assert at_sea and all(e.country is None and e.water_body is not None for e in at_sea)
        ships = [t.vessel for e in at_sea for t in e.targets if t.vessel is not None]
        assert ships and all(isinstance(s, Vessel) for s in ships)
        slug = next(e["place"] for e in built.events.values() if e.get("place") and not e["withdrawn"])
        there = rel.places.get(slug)
        assert isinstance(there, PlaceEvents) and there.place.slug == slug
        assert [e.id for e in there.events] == sorted(
            (i for i, e in built.events.items() if e.get("place") == slug and not e["withdrawn"]),
            key=lambda i: (built.events[i]["date_start"], i),
        )
        agg = rel.aggregates(["water_body"])
        assert {r.key["water_body"] for r in agg.items} >= {None, at_sea[0].water_body}
