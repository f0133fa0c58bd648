"""The client against the real API app, in-process (a requests adapter into the Flask test client):
every endpoint, and agreement with open_release() over the same release."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from client_fakes import Built
from openstrikes_client import (
    APIError,
    BadRequest,
    Client,
    Event,
    IntegrityError,
    NotFound,
    open_release,
)


@pytest.fixture(scope="module")
def local(built: Built) -> Any:
    with open_release(built.package) as rel:
        yield rel


def ids(events: Any) -> list[str]:
    return [e.id for e in events]


def test_health_names_the_release(api_client: Client, built: Built) -> None:
    health = api_client.health()
    assert health["status"] == "ok"
    assert health["release"] == built.package.name.rsplit("-", 1)[1]


def test_list_gives_a_page_with_the_total(api_client: Client, local: Any) -> None:
    page = api_client.events.list(page_size=7)
    assert page.total == local.events.count()
    assert len(page.items) == 7 and all(isinstance(e, Event) for e in page)
    assert page.has_next


def test_iter_walks_every_page_and_agrees_with_the_release(
    api_client: Client, local: Any, built: Built
) -> None:
    online = list(api_client.events.iter(include_withdrawn=True, page_size=50))
    assert sorted(ids(online)) == sorted(built.events)
    assert len(set(ids(online))) == len(online)
    assert {e.id: e.to_dict() for e in online} == built.events  # records exactly as in their files
    assert sorted(ids(api_client.events.iter())) == sorted(ids(local.events.iter()))


def test_get_and_not_found(api_client: Client, built: Built) -> None:
    withdrawn = next(i for i, e in built.events.items() if e["withdrawn"])
    event = api_client.events.get(withdrawn)
    assert event.is_withdrawn and event.to_dict() == built.events[withdrawn]
    with pytest.raises(NotFound) as info:
        api_client.events.get("OS-1999-2222-2222")
    assert info.value.status == 404


def test_related_agrees_with_the_release(api_client: Client, local: Any, built: Built) -> None:
    linked = [i for i, e in built.events.items() if e.get("related")]
    assert linked, "the synthetic release should link some events"
    for event_id in linked[:5]:
        assert set(ids(api_client.events.related(event_id))) == set(ids(local.events.related(event_id)))


def test_aggregates_agree_with_the_release(api_client: Client, local: Any) -> None:
    for group_by in (["country"], ["year", "strike_type"], ["attacker"], ["month"]):
        online = api_client.aggregates(group_by)
        offline = local.aggregates(group_by)
        assert {json.dumps(r.flat(), sort_keys=True) for r in online.items} == {
            json.dumps(r.flat(), sort_keys=True) for r in offline.items
        }, group_by
    assert api_client.aggregates(["country"], strike_type="missile") == local.aggregates(
        ["country"], strike_type="missile"
    )


def test_changes_since_agree_with_the_release(api_client: Client, local: Any) -> None:
    everything = local.changes()
    middle = sorted(c.modified for c in everything.items)[len(everything.items) // 2]
    online = api_client.changes(since=middle)
    assert {c.id for c in online.items} == {c.id for c in local.changes(since=middle).items}
    assert {c.id for c in online.items if c.withdrawn} == {
        c.id for c in local.changes(since=middle).items if c.withdrawn
    }
    assert online.until is not None and online.until >= middle


def test_actors(api_client: Client, local: Any) -> None:
    online = api_client.actors.list()
    assert [a.id for a in online] == [a.id for a in local.actors.list()]
    first = online[0]
    assert api_client.actors.get(first.id) == first == local.actors.get(first.id)
    with pytest.raises(NotFound):
        api_client.actors.get("no-such-actor")


def test_releases_list_the_package_files_with_their_hashes(api_client: Client, built: Built) -> None:
    releases = api_client.releases()
    release = releases.get()
    assert release.version == releases.latest
    on_disk = {p.relative_to(built.package).as_posix(): p for p in built.package.rglob("*") if p.is_file()}
    listed = {f.name: f for f in release.files}
    for name, path in on_disk.items():
        assert name in listed, name
        assert listed[name].sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert listed[name].bytes == path.stat().st_size
    assert release.sha256 == hashlib.sha256((built.package / "datapackage.json").read_bytes()).hexdigest()


def test_download_the_zip_a_file_and_the_whole_package(
    api_client: Client, built: Built, tmp_path: Path
) -> None:
    seen: list[int] = []
    path = api_client.download(tmp_path, "zip", progress=lambda done, total: seen.append(done))
    assert path.read_bytes() == built.zip.read_bytes() and seen
    with open_release(path) as rel:
        assert rel.events.count(include_withdrawn=True) == len(built.events)
    csv_path = api_client.download(tmp_path / "my-events.csv", "events.csv")
    assert csv_path.read_bytes() == (built.package / "events.csv").read_bytes()
    folder = api_client.download(tmp_path / "pkg", "package")
    with open_release(folder) as rel:
        assert rel.version == open_release(built.package).version
    with pytest.raises(NotFound):
        api_client.download(tmp_path, "nope.csv")


def test_a_pinned_client_reads_that_release(app: Any, built: Built) -> None:
    from client_fakes import session_into

    version = built.package.name.rsplit("-", 1)[1]
    pinned = Client("http://testserver", release=version, session=session_into(app))
    assert pinned.events.count() == open_release(built.package).events.count()
    with pytest.raises(NotFound):
        Client("http://testserver", release="99.0.0", session=session_into(app)).events.list()


def test_validate_reports_problems_with_codes_and_pointers(api_client: Client, built: Built) -> None:
    record = next(e for e in built.events.values() if not e.get("related"))
    ok = api_client.validate(record)
    assert ok.valid, ok.problems
    broken = dict(record, country="Iraq", date_end="1999-01-01")
    report = api_client.validate(broken)
    assert not report.valid
    pointers = {p.pointer for p in report.problems}
    assert "/country" in pointers
    assert all(p.code.startswith("OS") for p in report.problems)
    assert api_client.validate(Event.from_dict(record)).valid


def test_bad_filter_values_are_bad_requests_naming_the_parameter(api_client: Client) -> None:
    with pytest.raises(BadRequest) as info:
        api_client.events.list(country="iraq")
    assert info.value.parameter == "country" or "country" in info.value.message
    with pytest.raises(APIError) as info2:
        api_client.events.list(page_size=10**6)
    assert info2.value.status in (400, 422)


@pytest.mark.parametrize(
    "filters",
    [
        {"country": "IQ"},
        {"country__in": ["SY", "JO"], "strike_type": "drone_strike"},
        {"date_start__gte": date(2005, 1, 1), "date_start__lte": date(2012, 12, 31)},
        {"status__in": ["declared", "claimed"], "killed__gte": 3},
        {"include_withdrawn": True, "outcome": "impact"},
        {"bbox": (38.0, 32.0, 45.0, 36.0)},
    ],
)
def test_filters_agree_with_the_release(api_client: Client, local: Any, filters: dict[str, Any]) -> None:
    online = api_client.events.list(page_size=1, **filters).total
    assert online == local.events.count(**filters)
    assert sorted(ids(api_client.events.iter(**filters))) == sorted(ids(local.events.iter(**filters)))


def test_a_page_of_the_wrong_shape_is_an_integrity_error(
    api_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_client._transport, "get_json", lambda path, params=None: {"items": [{"id": "x"}]})
    with pytest.raises(IntegrityError):
        api_client.events.list()


def test_records_are_plain_dicts_trimmed_to_the_fields(api_client: Client, built: Built) -> None:
    rows = list(api_client.events.records(fields=["country", "date_start"], include_withdrawn=True))
    assert len(rows) == len(built.events)
    assert all(set(r) == {"id", "country", "date_start"} for r in rows)
    assert {r["id"]: r["country"] for r in rows} == {i: e["country"] for i, e in built.events.items()}


def test_download_destinations_and_existing_files(api_client: Client, built: Built, tmp_path: Path) -> None:
    monkey = pytest.MonkeyPatch()
    monkey.chdir(tmp_path)
    try:
        path = api_client.download("data", "events.csv")  # no slash, no extension: a directory
        assert path == Path("data") / "events.csv" and Path("data").is_dir()
        assert path.read_bytes() == (built.package / "events.csv").read_bytes()
        assert api_client.download("data", "events.csv") == path  # the same file: kept, no error
        path.write_bytes(b"my own notes")
        with pytest.raises(FileExistsError, match="overwrite=True"):
            api_client.download("data", "events.csv")
        assert path.read_bytes() == b"my own notes"  # nothing lost
        assert (
            api_client.download("data", "events.csv", overwrite=True).read_bytes()
            == (built.package / "events.csv").read_bytes()
        )
        named = api_client.download("copy.csv", "events.csv")  # with the file's extension: a file name
        assert named == Path("copy.csv") and named.is_file()
    finally:
        monkey.undo()


def test_open_release_of_a_damaged_zip_says_so(tmp_path: Path) -> None:
    for name, data in (("cut.zip", b"PK\x03\x04 cut short"), ("noise.zip", bytes(range(256)))):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(IntegrityError, match="not a zip"):
            open_release(tmp_path / name)
    with pytest.raises(FileNotFoundError):
        open_release(tmp_path / "missing.zip")


def test_validate_refuses_what_is_not_one_record(api_client: Client) -> None:
    with pytest.raises(TypeError, match="takes an Event or a mapping"):
        api_client.validate([1, 2])  # type: ignore[arg-type]
