"""Offline actors (read from actors.csv) equal the API's, for every actor of a built package."""

from __future__ import annotations

from pathlib import Path

from server_side import EMPTY as SERVER_EMPTY
from server_side import OMITTED as SERVER_OMITTED
from server_side import ROUNDTRIP_TABLES as SERVER_ROUNDTRIP_TABLES
from server_side import tables

from client_fakes import VARIED_ACTORS, Built, write_release
from openstrikes_client import Client, open_release
from openstrikes_client._rows import ACTOR_COLUMNS, EMPTY, OMITTED, ROUNDTRIP_TABLES


def test_offline_actor_equals_online_actor_for_every_actor(api_client: Client, built: Built) -> None:
    online = api_client.actors.list()
    assert set(VARIED_ACTORS) <= {a.id for a in online}
    for path in (built.package, built.zip):
        with open_release(path) as rel:
            offline = rel.actors.list()
            assert [a.id for a in offline] == [a.id for a in online]
            for off, on in zip(offline, online, strict=True):
                assert off == on
                assert off.to_dict() == on.to_dict() == built.actors[on.id]
                assert rel.actors.get(on.id).to_dict() == api_client.actors.get(on.id).to_dict()


def test_the_varied_actors_read_back_exactly(built: Built) -> None:
    with open_release(built.package) as rel:
        zero = rel.actors.get("synthetic-actor-a-00")
        assert zero.aliases == ("AA|Zero", "Zero; the first", 'Ze,ro "quoted"')
        assert zero.external_ids.acled == "Militia (Iraq)|x" and zero.external_ids.wikidata == "Q42"
        assert zero.description == ""
        assert zero.sources == ("https://example.org/a?x=1%7C2", "https://example.org/b;c")
        one = rel.actors.get("synthetic-actor-a-01").to_dict()
        assert "description" not in one and one["external_ids"] == {"ucdp": "77"}


def test_actor_columns_mirror_the_servers_layout() -> None:
    """The client's copy of the actors.csv layout (`_rows.ACTOR_COLUMNS`) is the server's."""
    layout = tables().actors
    server = [(c.name, c.path, c.kind) for c in layout.columns if c.path]
    assert list(ACTOR_COLUMNS) == server
    assert [c.name for c in layout.columns if not c.path] == []  # the bookkeeping is in roundtrip.csv
    assert (OMITTED, EMPTY) == (SERVER_OMITTED, SERVER_EMPTY)
    assert ROUNDTRIP_TABLES == SERVER_ROUNDTRIP_TABLES
    assert not layout.nullable_objects, "the client's actor reader handles no nullable objects yet"


def test_place_columns_mirror_the_servers_layout() -> None:
    """The client's copy of the places.csv layout (`_rows.PLACE_COLUMNS`) is the server's."""
    from server_side import places_layout

    from openstrikes_client._rows import PLACE_COLUMNS

    layout = places_layout(tables())
    assert list(PLACE_COLUMNS) == [(c.name, c.path, c.kind) for c in layout.columns if c.path]
    assert [c.name for c in layout.columns if not c.path] == []
    assert not layout.nullable_objects, "the client's place reader handles no nullable objects yet"


def test_releases_before_roundtrip_csv_still_read_exactly(tmp_path: Path, built: Built) -> None:
    """Releases before 0.3 keep the two bookkeeping columns at the end of actors.csv and have no
    roundtrip.csv; both layouts give the same actors."""
    actors = list(built.actors.values())
    for legacy in (True, False):
        folder = write_release(tmp_path / str(legacy), [], actors, legacy=legacy)
        assert (folder / "roundtrip.csv").exists() is not legacy
        header = (folder / "actors.csv").read_text(encoding="utf-8").split("\r\n", 1)[0].split(",")
        assert (OMITTED in header) is legacy
        with open_release(folder) as rel:
            assert {a.id: a.to_dict() for a in rel.actors.list()} == built.actors
