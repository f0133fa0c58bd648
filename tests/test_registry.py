"""What a server offers is what it verified: relative paths, the zip, SHA256SUMS."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from conftest_api import Release, build_release

from openstrikes.index.errors import StoreError
from openstrikes.package.archive import write_zip
from openstrikes.web import create_app
from openstrikes.web.errors import ConfigError


@pytest.fixture(scope="module")
def zipped(tmp_path_factory: pytest.TempPathFactory) -> Release:
    rel = build_release(tmp_path_factory.mktemp("registry"), 25, seed=31)
    write_zip(rel.package, rel.root / f"{rel.package.name}.zip")
    return rel


def _copy(rel: Release, tmp_path: Path) -> Path:
    copy = tmp_path / "releases"
    shutil.copytree(rel.root, copy)
    return copy


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_a_relative_releases_path_is_resolved_at_start_up(
    zipped: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    copy = _copy(zipped, tmp_path)
    monkeypatch.chdir(copy.parent)
    if how == "environment":
        monkeypatch.setenv("OPENSTRIKES_RELEASES", copy.name)
        app = create_app(cache_dir="cache")
    else:
        app = create_app(copy.name, cache_dir="cache")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # a later change of directory changes nothing
    client = app.test_client()
    files = client.get("/v1/releases/0.1.0").get_json()["files"]
    assert {f["name"] for f in files} >= {"events.csv", "SHA256SUMS", f"{zipped.package.name}.zip"}
    for f in files:
        got = client.get(f["url"])
        assert got.status_code == 200, (f["name"], got.get_data()[:300])
        on_disk = copy / f["name"] if f["name"].endswith(".zip") else copy / zipped.package.name / f["name"]
        assert got.get_data() == on_disk.read_bytes()


def test_a_truncated_zip_is_refused_at_start_up(zipped: Release, tmp_path: Path) -> None:
    copy = _copy(zipped, tmp_path)
    archive = copy / f"{zipped.package.name}.zip"
    archive.write_bytes(archive.read_bytes()[:-200])
    with pytest.raises(StoreError, match=archive.name):
        create_app(copy, cache_dir=tmp_path / "cache")


def test_a_zip_with_an_altered_member_is_refused_at_start_up(zipped: Release, tmp_path: Path) -> None:
    copy = _copy(zipped, tmp_path)
    archive = copy / f"{zipped.package.name}.zip"
    with zipfile.ZipFile(zipped.root / archive.name) as src, zipfile.ZipFile(archive, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("/events.csv"):
                assert b"airstrike" in data
                data = data.replace(b"airstrike", b"artillery", 1)
            dst.writestr(info, data)
    with pytest.raises(StoreError, match=f"{archive.name}.*events.csv"):
        create_app(copy, cache_dir=tmp_path / "cache")


def test_a_zip_of_another_package_is_refused(zipped: Release, tmp_path: Path) -> None:
    other = build_release(tmp_path / "other", 5, seed=32)
    copy = _copy(zipped, tmp_path)
    write_zip(other.package, copy / f"{zipped.package.name}.zip")
    with pytest.raises(StoreError, match="zip"):
        create_app(copy, cache_dir=tmp_path / "cache")


def test_a_truncated_sha256sums_is_refused(zipped: Release, tmp_path: Path) -> None:
    copy = _copy(zipped, tmp_path)
    sums = copy / zipped.package.name / "SHA256SUMS"
    sums.write_text("".join(sums.read_text().splitlines(keepends=True)[1:]))
    with pytest.raises(StoreError, match="SHA256SUMS"):
        create_app(copy, cache_dir=tmp_path / "cache")


def test_versions_sort_by_precedence_with_dev_builds_after_their_release() -> None:
    from openstrikes.web.registry import version_key

    versions = ["0.10.0", "0.2.0+dev", "0.2.0", "0.9.1", "not-a-version"]
    assert sorted(versions, key=version_key) == [
        "not-a-version",
        "0.2.0",
        "0.2.0+dev",
        "0.9.1",
        "0.10.0",
    ]


@pytest.mark.parametrize("value", ["abc", "-1", "0", "nan", "inf", "1e9"])
def test_a_bad_query_timeout_is_a_configuration_error(
    zipped: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OPENSTRIKES_QUERY_TIMEOUT", value)
    with pytest.raises(ConfigError, match=f"OPENSTRIKES_QUERY_TIMEOUT={value!r}: expected seconds"):
        create_app(zipped.root, cache_dir=tmp_path / "cache")


def test_a_bad_cache_directory_is_a_clear_error(
    zipped: Release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("OPENSTRIKES_CACHE", str(tmp_path / "file"))
    with pytest.raises(StoreError, match="cannot use the index cache"):
        create_app(zipped.root)


def test_a_folder_without_datapackage_json_is_skipped_with_a_warning(
    zipped: Release, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = _copy(zipped, tmp_path)
    (copy / "notes").mkdir()
    (copy / ".hidden-build.tmp-1").mkdir()  # a builder's temporary folder: not worth a word
    with caplog.at_level("WARNING", logger="openstrikes.web"):
        app = create_app(copy, cache_dir=tmp_path / "cache")
    assert app.test_client().get("/v1/health").status_code == 200
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [f"skipping {copy / 'notes'}: not a built package (no datapackage.json)"]
