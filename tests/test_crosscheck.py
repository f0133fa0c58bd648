"""Dataset-wide checks: unique ids and aliases, actors and links that exist, likely duplicates."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openstrikes.toolchain.validate import validate_dataset
from repo_fixtures import make_root, write_event
from strategies import NOW, events


def _codes(root: Path) -> list[tuple[str, str, str]]:
    result = validate_dataset(root / "dataset", now=NOW, workers=1)
    return sorted((Path(p.file).name, p.pointer, p.code) for p in result.problems)


def _located(event: dict) -> dict:
    event = copy.deepcopy(event)
    event.update(latitude=34.4510, longitude=40.9180, country="SY", geo_precision="near", withdrawn=None)
    event["attackers"] = [{"actor": "us-air-force", "attribution": "declared"}]
    event["aliases"] = []
    return event


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(first=events(), second=events(), gap=st.integers(0, 1))
def test_two_nearby_events_a_day_apart_with_a_shared_attacker_are_flagged_until_linked(
    tmp_path_factory, first: dict, second: dict, gap: int
) -> None:
    root = make_root(tmp_path_factory.mktemp("dup"))
    a, b = _located(first), _located(second)
    b["date_start"] = b["date_end"] = a["date_start"]
    b["date_precision"] = "day"
    b["datetime_utc"] = None
    if gap:
        from datetime import date, timedelta

        b["date_start"] = b["date_end"] = (
            date.fromisoformat(a["date_start"]) + timedelta(days=1)
        ).isoformat()
        b["id"] = f"OS-{b['date_start'][:4]}{b['id'][7:]}"
    if b["id"] == a["id"]:  # checked last: moving b to the next day can make the ids equal
        b["id"] = b["id"][:-1] + ("2" if b["id"][-1] != "2" else "3")
    write_event(root, a)
    path_b = write_event(root, b)
    flagged = [c for c in _codes(root) if c[2] == "OS401"]
    assert sorted(name for name, _, _ in flagged) == sorted([f"{a['id']}.json", f"{b['id']}.json"])
    b["distinct_from"] = [a["id"]]
    path_b.unlink()
    write_event(root, b)
    assert [c for c in _codes(root) if c[2] == "OS401"] == []


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=events())
def test_far_apart_or_withdrawn_events_are_not_duplicates(tmp_path_factory, event: dict) -> None:
    root = make_root(tmp_path_factory.mktemp("far"))
    a = _located(event)
    b = copy.deepcopy(a)
    b["id"] = a["id"][:-4] + ("2222" if not a["id"].endswith("2222") else "3333")
    b.update(latitude=33.5100, longitude=36.2900)  # Damascus, ~450 km away
    write_event(root, a)
    write_event(root, b)
    assert [c for c in _codes(root) if c[2] == "OS401"] == []


@settings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(event=events())
def test_the_same_id_in_two_files_and_a_shared_alias_are_reported(tmp_path_factory, event: dict) -> None:
    repo_root = make_root(tmp_path_factory.mktemp("ids"))
    event = _located(event)
    event["aliases"] = ["acled:SYR1"]
    write_event(repo_root, event)
    copy_dir = repo_root / "dataset" / "events" / "1999"
    copy_dir.mkdir()
    (copy_dir / f"{event['id']}.json").write_text(
        (repo_root / "dataset" / "events" / event["date_start"][:4] / f"{event['id']}.json").read_text()
    )
    codes = {c[2] for c in _codes(repo_root)}
    assert {"OS302", "OS303", "OS320"} <= codes


def test_unknown_actor_parent_is_reported(repo_root: Path) -> None:
    actor = repo_root / "dataset" / "actors" / "kataib-hezbollah.json"
    actor.write_text(actor.read_text().replace('"parent": null', '"parent": "no-such-umbrella"'))
    assert ("kataib-hezbollah.json", "/parent", "OS309") in _codes(repo_root)


@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    event=events(),
    bad=st.sampled_from([{"x": 1}, ["a"], 7, True]),
    field=st.sampled_from(["attacker", "target", "alias", "related", "distinct", "latitude", "superseded"]),
)
def test_wrong_types_reach_the_dataset_checks_without_crashing(
    tmp_path_factory, event: dict, bad: object, field: str
) -> None:
    """A value of the wrong type is reported by the schema; the dataset-wide checks skip it
    instead of failing on it (unhashable ids, text coordinates)."""
    root = make_root(tmp_path_factory.mktemp("types"))
    event = _located(event)
    twin = copy.deepcopy(event)
    twin["id"] = event["id"][:-1] + ("2" if event["id"][-1] != "2" else "3")
    if field == "attacker":
        event["attackers"].append({"actor": bad, "attribution": "declared"})
    elif field == "target":
        event["targets"] = [{"actor": bad, "target_type": "military", "description": None}]
    elif field == "alias":
        event["aliases"] = ["acled:1", bad]
    elif field == "related":
        event["related"] = [{"id": bad, "relation": "follow_up"}]
    elif field == "distinct":
        event["distinct_from"] = [bad]
    elif field == "latitude":
        event["latitude"] = str(event["latitude"])
    else:
        event["withdrawn"] = {
            "at": event["modified"],
            "reason": "duplicate",
            "superseded_by": bad,
            "note": None,
        }
    write_event(root, event)
    write_event(root, twin)
    codes = _codes(root)
    assert any(code.startswith("OS2") for _, _, code in codes), codes


def test_parallel_and_serial_validation_agree(tmp_path: Path) -> None:
    """The process pool (used for large datasets) reports exactly what one process reports."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from synthetic import write_dataset

    write_dataset(tmp_path, 2500, 7)
    # Damage a few files in different ways, so there is something to agree on.
    files = sorted((tmp_path / "dataset" / "events").glob("*/*.json"))
    files[0].write_text("{")
    files[10].write_text(files[10].read_text().replace('"day"', '"weekly"'))
    files[20].write_text(files[11].read_text())  # an id that is not the file name, and repeated
    serial = validate_dataset(tmp_path / "dataset", now=NOW, workers=1)
    parallel = validate_dataset(tmp_path / "dataset", now=NOW, workers=2)
    assert serial.problems == parallel.problems
    assert {p.code for p in serial.problems} >= {"OS104", "OS204", "OS301", "OS302"}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 4),  # day
            st.lists(st.sampled_from(["a", "b", "c"]), max_size=2),  # attackers
            st.floats(33.0, 33.5),  # latitude: points up to ~55 km apart
            st.floats(44.0, 44.3),
            st.booleans(),  # withdrawn
        ),
        max_size=25,
    ),
    st.data(),
)
def test_likely_duplicates_match_a_pairwise_oracle(rows: list, data: st.DataObject) -> None:
    """The sorted sweep finds exactly the pairs a plain comparison of every pair finds."""
    from openstrikes.geo import haversine_km
    from openstrikes.toolchain.crosscheck import DUPLICATE_KM, DatasetIndex, EventFacts

    # Ids of the usual width (packed by the index) or not (kept aside).
    name = data.draw(st.sampled_from(["E{}", "OS-2020-2222-{:04d}"]))
    facts = [
        EventFacts(name.format(i), 738000 + day, lat, lon, tuple(att), (), (), (), withdrawn)
        for i, (day, att, lat, lon, withdrawn) in enumerate(rows)
    ]
    # Some events name others as distinct.
    facts = [
        f._replace(
            links=tuple((name.format(j), "/distinct_from/0") for j in data.draw(st.sets(st.integers(0, 24))))
        )
        for f in facts
    ]
    index = DatasetIndex()
    for f in facts:
        index.add_event(f"{f.id}.json", f)
    found = {
        tuple(sorted((p.file[:-5], p.message.split()[3]))) for p in index.problems() if p.code == "OS401"
    }
    expected = set()
    for i, a in enumerate(facts):
        for b in facts[i + 1 :]:
            if a.withdrawn or b.withdrawn or abs(a.day - b.day) > 1:
                continue
            if not set(a.attackers) & set(b.attackers) or a.id in b.linked or b.id in a.linked:
                continue
            if haversine_km(a.lat, a.lon, b.lat, b.lon) <= DUPLICATE_KM:
                expected.add(tuple(sorted((a.id, b.id))))
    assert found == expected


def test_the_index_reports_shared_ids_aliases_and_missing_links_of_any_id_width() -> None:
    """Ids of the usual width are packed and sorted, others kept aside: both are checked alike."""
    from openstrikes.toolchain.crosscheck import DatasetIndex, EventFacts

    def event(rid: str, links: tuple = (), aliases: tuple = ()) -> EventFacts:
        return EventFacts(rid, None, None, None, (), (), links, aliases, False)

    wide, odd = "OS-2020-2222-3333", "E1"
    index = DatasetIndex(lambda group, name: f"g{group}/{name}")
    index.add_event(0, event(wide, aliases=("the strike",)))
    index.add_event(
        "b.json", event(odd, links=((wide, "/related/0/id"), ("OS-2020-2222-4444", "/related/1/id")))
    )
    index.add_event(1, event(wide, links=((odd, "/distinct_from/0"), ("E2", "/distinct_from/1"))))
    index.add_event("c.json", event(odd, aliases=(None, "the strike")))
    found = sorted((p.code, p.file, p.pointer, p.message) for p in index.problems())
    assert found == [
        ("OS302", "b.json", "/id", "event id 'E1' is also used by c.json"),
        ("OS302", "c.json", "/id", "event id 'E1' is also used by b.json"),
        ("OS302", "g0/OS-2020-2222-3333.json", "/id", f"event id {wide!r} is also used by g1/{wide}.json"),
        ("OS302", "g1/OS-2020-2222-3333.json", "/id", f"event id {wide!r} is also used by g0/{wide}.json"),
        ("OS303", "c.json", "/aliases/1", f"'the strike' also names g0/{wide}.json"),
        ("OS303", "g0/OS-2020-2222-3333.json", "/aliases/0", "'the strike' also names c.json"),
        ("OS310", "b.json", "/related/1/id", "event 'OS-2020-2222-4444' does not exist"),
        ("OS310", "g1/OS-2020-2222-3333.json", "/distinct_from/1", "event 'E2' does not exist"),
    ]
