"""The client and the Parquet files: download() fetches them (partitions in their folders),
open_release() offers to_arrow()/to_pandas() when pyarrow is installed, not as a dependency."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from client_fakes import Built
from openstrikes_client import Client, IntegrityError, NotFound, OpenStrikesError, open_release


def test_download_fetches_parquet_files_and_partitions(
    api_client: Client, built: Built, tmp_path: Path
) -> None:
    path = api_client.download(tmp_path, "events.parquet")
    assert path.read_bytes() == (built.package / "events.parquet").read_bytes()
    year = min(e["date_start"][:4] for e in built.events.values())
    name = f"parquet/year={year}/part-0.parquet"
    part = api_client.download(tmp_path, name)
    assert part == tmp_path / name and part.read_bytes() == (built.package / name).read_bytes()
    folder = api_client.download(tmp_path / "pkg", "package")
    for p in built.package.rglob("*parquet"):
        if p.is_file():
            rel = p.relative_to(built.package)
            assert (
                hashlib.sha256((folder / rel).read_bytes()).digest()
                == hashlib.sha256(p.read_bytes()).digest()
            )
    with open_release(folder) as release:
        assert release.to_arrow().num_rows == len(built.events)


def test_download_refuses_a_name_outside_the_destination(api_client: Client, tmp_path: Path) -> None:
    with pytest.raises(IntegrityError):
        api_client.download(tmp_path, "../events.parquet")


@pytest.mark.parametrize("where", ["package", "zip"])
def test_to_arrow_and_to_pandas(built: Built, where: str) -> None:
    with open_release(built.package if where == "package" else built.zip) as release:
        table = release.to_arrow()
        assert table.column("id").to_pylist() == sorted(built.events)
        frame = release.to_pandas("event_sources")
        assert set(frame["event_id"]) == set(built.events)
        flat = release.to_pandas("events_flat")
        assert list(flat["id"]) == sorted(built.events) and str(flat["killed_best"].dtype) == "Int64"
        claims = release.to_arrow("event_claims")
        assert claims.num_rows == sum(len(e.get("casualty_claims") or []) for e in built.events.values())
        geo = release.to_arrow("events_geo")
        assert json.loads(geo.schema.metadata[b"geo"])["primary_column"] == "geometry"
        with pytest.raises(ValueError, match="unknown table"):
            release.to_arrow("nope")


def test_to_arrow_verifies_the_file(built: Built, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(built.package, copy)
    data = bytearray((copy / "events.parquet").read_bytes())
    data[100] ^= 1
    (copy / "events.parquet").write_bytes(bytes(data))
    with open_release(copy) as release, pytest.raises(IntegrityError):
        release.to_arrow()


def test_a_release_without_parquet_files(built: Built, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "old"
    shutil.copytree(built.package, copy)
    (copy / "events.parquet").unlink()
    with open_release(copy) as release, pytest.raises(NotFound, match="predates the Parquet files"):
        release.to_arrow()


def test_without_pyarrow_the_error_says_what_to_install(
    built: Built, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("pyarrow", "pyarrow.parquet"):
        monkeypatch.setitem(sys.modules, name, None)  # `import` then raises ImportError
    with open_release(built.package) as release, pytest.raises(OpenStrikesError, match="pip install pyarrow"):
        release.to_arrow()


def test_to_pandas_gives_the_lists_arrow_backed_and_read_parquets_values(built: Built) -> None:
    """to_pandas() is pd.read_parquet's frame (same columns, dtypes, values) but for the list
    columns, Arrow-backed (each cell a Python list, a null <NA>) instead of a numpy array per cell."""
    pandas = pytest.importorskip("pandas")
    for table in ("events", "events_flat"):
        with open_release(built.package) as release:
            frame = release.to_pandas(table)
        ref = pandas.read_parquet(built.package / f"{table}.parquet")
        assert list(frame.columns) == list(ref.columns)
        lists = [c for c in ref.columns if str(frame[c].dtype).startswith("list<")]
        assert "tags" in lists and all(ref[c].dtype == object for c in lists)
        assert any(len(v) for v in ref["tags"] if v is not None)
        for name in lists:
            assert isinstance(frame[name].dtype, pandas.ArrowDtype)
            want = [None if v is None else list(v) for v in ref[name]]
            got = [None if v is pandas.NA else v for v in frame[name].tolist()]  # a null list: <NA>
            assert got == want
        pandas.testing.assert_frame_equal(frame.drop(columns=lists), ref.drop(columns=lists))
    assert str(frame["killed_best"].dtype) == "Int64" and str(frame["strike_type"].dtype) == "category"


def test_without_pandas_to_pandas_says_what_to_install(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with open_release(built.package) as release:
        assert release.to_arrow().num_rows == len(built.events)
        with pytest.raises(OpenStrikesError, match="pip install pandas"):
            release.to_pandas()
