"""The package of the real dataset (when it validates) and of a 10k-event synthetic one."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jsonschema
import pytest
from test_package import PROFILE, file_bytes, frictionless_validate

from openstrikes.package.build import build_package
from openstrikes.package.flatten import read_events
from openstrikes.package.reader import read_package
from openstrikes.toolchain.validate import validate_dataset

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402


def _real_dataset_or_skip() -> Path:
    dataset = REPO / "dataset"
    if not (dataset / "datapackage.json").is_file() or not any((dataset / "events").rglob("*.json")):
        pytest.skip("the real dataset has no events yet")
    result = validate_dataset(dataset)
    if not result.ok:
        pytest.skip(f"the real dataset does not validate yet ({len(result.problems)} problems)")
    return dataset


def _check_package(package: Path, dataset: Path) -> None:
    proc = frictionless_validate(package / "datapackage.json")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert json.loads(proc.stdout)["valid"] is True
    desc = json.loads((package / "datapackage.json").read_text())
    assert list(jsonschema.Draft7Validator(PROFILE).iter_errors(desc)) == []
    files = sorted((dataset / "events").rglob("*.json"), key=lambda p: p.stem)
    back = list(read_events(package))
    assert back == [json.loads(p.read_bytes()) for p in files]
    read_package(package)


def test_real_dataset_builds_validly_and_deterministically(tmp_path: Path) -> None:
    _real_dataset_or_skip()
    # A snapshot of the real data: contributors may be editing the work tree meanwhile.
    shutil.copytree(REPO / "dataset", tmp_path / "repo" / "dataset")
    dataset = tmp_path / "repo" / "dataset"
    if not validate_dataset(dataset).ok:
        pytest.skip("the real dataset changed into an invalid state while it was copied")
    a = build_package(dataset, tmp_path / "a", progress=False)
    b = build_package(dataset, tmp_path / "b", progress=False, workers=1)
    assert file_bytes(a) == file_bytes(b)
    _check_package(a, dataset)


@pytest.mark.slow
def test_ten_thousand_synthetic_events_pass_frictionless(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    dataset = write_dataset(root, 10_000, seed=11)
    package = build_package(dataset, tmp_path / "dist", progress=False)
    _check_package(package, dataset)
    result = validate_dataset(dataset)  # the same package from a second reading of every file
    again = build_package(
        dataset, tmp_path / "again", progress=False, validated=(result.event_files, result.actor_files)
    )
    assert file_bytes(again) == file_bytes(package)
