"""`openstrikes release`: the next semver from the diff, the CHANGELOG from the data, a deterministic zip."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openstrikes.cli import main
from openstrikes.package.archive import write_zip
from openstrikes.package.build import build_package
from openstrikes.package.metadata import PackageError
from openstrikes.package.reader import read_package
from openstrikes.release.changelog import changelog_section, has_section, insert_section
from openstrikes.release.plan import plan_release
from openstrikes.semver import bump, parse_version, satisfies
from openstrikes.toolchain.records import canonical

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import generate_events, write_dataset  # noqa: E402

CHANGELOG = """# Changelog

Intro text.

## [Unreleased]

### Added
- A toolchain feature.

## [0.0.9] - 2020-01-01

Old notes.
"""


def tree_digest(root: Path) -> str:
    sha = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts):
        sha.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return sha.hexdigest()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    write_dataset(root, 60, seed=4)
    (root / "CHANGELOG.md").write_text(CHANGELOG)
    monkeypatch.setenv("OPENSTRIKES_ROOT", str(root))
    monkeypatch.chdir(root)
    return root


def _meta(root: Path) -> dict:
    return json.loads((root / "dataset" / "datapackage.json").read_text())


def _add_events(root: Path, start: int, count: int) -> list[str]:
    ids = []
    for event in list(generate_events(start + count, seed=4))[start:]:
        path = root / "dataset" / "events" / event["date_start"][:4] / f"{event['id']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(canonical(event, "event"))
        ids.append(event["id"])
    return ids


def _correct_one(root: Path) -> str:
    path = sorted((root / "dataset" / "events").rglob("*.json"))[0]
    event = json.loads(path.read_bytes())
    event["summary"] = "A corrected summary of what happened there."
    path.write_text(canonical(event, "event"))
    return event["id"]


@pytest.mark.parametrize("text", ["1.2", "01.2.3", "1.2.3-rc1", "v1.2.3", " 1.2.3", "a.b.c", ""])
def test_parse_version_rejects_non_semver(text: str) -> None:
    with pytest.raises(ValueError):
        parse_version(text)


@given(
    st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
    st.sampled_from(["major", "minor", "patch"]),
)
def test_bump_increases_by_exactly_its_level(parts: tuple[int, int, int], level: str) -> None:
    version = ".".join(map(str, parts))
    new = bump(version, level)
    assert parse_version(new) > parse_version(version)
    assert satisfies(version, new, level)
    lower = {"major": "minor", "minor": "patch"}.get(level)
    if lower:
        assert not satisfies(version, bump(version, lower), level)
    assert not satisfies(version, version, "patch")


def test_section_goes_after_unreleased_and_before_older_releases() -> None:
    text = insert_section(CHANGELOG, "## [0.1.0] - 2026-01-01\n\nNew.\n")
    assert text.index("## [Unreleased]") < text.index("- A toolchain feature.") < text.index("## [0.1.0]")
    assert text.index("## [0.1.0]") < text.index("## [0.0.9]")
    assert has_section(text, "0.1.0") and not has_section(text, "0.1.1")
    assert "\n\n\n" not in text


def test_first_release_then_minor_patch_and_refusals(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_digest(repo)
    assert main(["release", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "0.1.0 -> 0.1.0 (first release)" in out and "60 events" in out
    assert tree_digest(repo) == before  # a dry run writes nothing

    assert main(["release"]) == 0
    capsys.readouterr()
    package = repo / "dist" / "openstrikes-synthetic-0.1.0"
    zipped = repo / "dist" / "openstrikes-synthetic-0.1.0.zip"
    assert read_package(zipped).sha256 == read_package(package).sha256
    assert zipped.stat().st_mode & 0o777 == 0o644  # readable by the server's user, as the package
    meta = _meta(repo)
    assert meta["version"] == "0.1.0" and meta["created"].endswith("Z")
    changelog = (repo / "CHANGELOG.md").read_text()
    assert "## [0.1.0] - " in changelog and "60 events" in changelog
    assert 'version: "0.1.0"' in (repo / "CITATION.cff").read_text()
    assert 'version: "0.1.0"' in (package / "CITATION.cff").read_text()

    # Nothing changed: nothing to release.
    assert main(["release", "--dry-run"]) == 1
    assert "nothing changed since 0.1.0" in capsys.readouterr().err

    # A correction is a patch; the version must increase.
    corrected = _correct_one(repo)
    assert main(["release", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "0.1.0 -> 0.1.1" in out and f"`{corrected}`: corrected summary." in out
    assert main(["release", "--version", "0.1.0"]) == 2
    assert "does not increase" in capsys.readouterr().err
    assert main(["release", "--version", "0.0.5"]) == 2
    capsys.readouterr()

    # New events need a minor release: a patch version is refused, the proposal is 0.2.0.
    added = _add_events(repo, 60, 2)
    assert main(["release", "--version", "0.1.1"]) == 2
    assert "need a minor release (at least 0.2.0)" in capsys.readouterr().err
    assert main(["release"]) == 0
    out = capsys.readouterr().out
    assert "0.1.0 -> 0.2.0" in out
    changelog = (repo / "CHANGELOG.md").read_text()
    section = changelog[changelog.index("## [0.2.0]") : changelog.index("## [0.1.0]")]
    assert "2 added, 1 corrected, 0 withdrawn" in section
    assert all(f"`{i}`" in section for i in added)
    assert changelog.index("## [Unreleased]") < changelog.index("## [0.2.0]") < changelog.index("## [0.1.0]")
    assert _meta(repo)["version"] == "0.2.0"
    assert (repo / "dist" / "openstrikes-synthetic-0.2.0.zip").exists()

    # A build after the release reproduces the released package byte for byte.
    rebuilt = build_package(repo / "dataset", repo / "again", progress=False)
    released = repo / "dist" / "openstrikes-synthetic-0.2.0"
    assert {p.relative_to(rebuilt): p.read_bytes() for p in rebuilt.rglob("*") if p.is_file()} == {
        p.relative_to(released): p.read_bytes() for p in released.rglob("*") if p.is_file()
    }


def test_breaking_schema_change_proposes_a_major_release(repo: Path) -> None:
    assert main(["release"]) == 0
    schema_path = repo / "schema" / "event.schema.json"
    schema = json.loads(schema_path.read_text())
    schema["properties"]["outcome"]["enum"].append("partial")
    schema_path.write_text(json.dumps(schema, indent=2))
    plan = plan_release(repo, repo / "dist", None, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert plan.version == "0.2.0" and plan.level == "minor"
    schema["properties"]["outcome"]["enum"].remove("unknown")
    schema_path.write_text(json.dumps(schema, indent=2))
    plan = plan_release(repo, repo / "dist", None, now=datetime(2026, 1, 2, tzinfo=UTC))
    assert plan.version == "1.0.0" and plan.level == "major"
    assert "### Removed" in plan.section and "lost codes" in plan.section and '"unknown"' in plan.section
    assert plan.section.startswith("## [1.0.0] - 2026-01-02")


def test_missing_baseline_of_a_released_version_is_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["release"]) == 0
    for path in (repo / "dist").iterdir():
        if path.is_file():
            path.unlink()
        else:
            import shutil

            shutil.rmtree(path)
    _correct_one(repo)
    assert main(["release", "--dry-run"]) == 1
    assert "restore one of them" in capsys.readouterr().err


def test_zip_is_deterministic_with_fixed_times(repo: Path, tmp_path: Path) -> None:
    package = build_package(repo / "dataset", tmp_path / "dist", progress=False)
    a = write_zip(package, tmp_path / "a.zip")
    b = write_zip(package, tmp_path / "b.zip")
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        infos = zf.infolist()
        files = sorted(p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file())
        assert [i.filename for i in infos] == [f"{package.name}/{f}" for f in files]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        for info in infos:
            assert zf.read(info) == (package / info.filename.split("/", 1)[1]).read_bytes()


def test_changelog_section_is_written_from_the_diff(repo: Path) -> None:
    plan = plan_release(repo, repo / "dist", None, now=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    section = changelog_section(plan.diff, "9.9.9", "2026-03-04")
    events = list((repo / "dataset" / "events").rglob("*.json"))
    withdrawn = sum(1 for p in events if json.loads(p.read_bytes())["withdrawn"])
    assert f"Dataset release: {len(events)} events ({withdrawn} withdrawn), 48 actors" in section
    records = [json.loads(p.read_bytes()) for p in events]
    countries = {e["country"] or f"at sea: {e['water_body']}" for e in records}
    assert all(f"{c} " in section for c in countries)
    assert plan.date == "2026-03-04T05:06:07Z"


def test_build_never_overwrites_a_released_version(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["release"]) == 0
    package = repo / "dist" / "openstrikes-synthetic-0.1.0"
    zipped = repo / "dist" / "openstrikes-synthetic-0.1.0.zip"
    released, released_zip = tree_digest(package), zipped.read_bytes()
    first = sorted((repo / "dataset" / "events").rglob("*.json"))[0]
    original = first.read_bytes()
    _correct_one(repo)
    capsys.readouterr()
    assert main(["build"]) == 0
    err = capsys.readouterr().err
    assert "0.1.0 is released" in err and "0.1.0+dev" in err
    assert tree_digest(package) == released and zipped.read_bytes() == released_zip
    dev = read_package(repo / "dist" / "openstrikes-synthetic-0.1.0+dev")
    assert dev.version == "0.1.0+dev" and 'version: "0.1.0+dev"' in (dev.path / "CITATION.cff").read_text()
    # The library refuses to put other bytes under a released version, with a clear message.
    with pytest.raises(
        PackageError, match=r"refusing to overwrite .*openstrikes-synthetic-0\.1\.0: that version is released"
    ):
        build_package(repo / "dataset", repo / "dist", progress=False)
    assert tree_digest(package) == released
    # The released state rebuilt under its own version gives the same bytes: allowed.
    first.write_bytes(original)
    assert build_package(repo / "dataset", repo / "dist", progress=False) == package
    assert tree_digest(package) == released
