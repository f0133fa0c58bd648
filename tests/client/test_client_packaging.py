"""The client distribution: builds offline, needs only `requests`, ships py.typed."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client"


def test_pyproject_declares_requests_only() -> None:
    meta = tomllib.loads((CLIENT / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "openstrikes-client"
    assert meta["requires-python"] == ">=3.11"
    assert [d.split(">")[0].split("=")[0].strip() for d in meta["dependencies"]] == ["requests"]


@pytest.mark.slow
def test_the_wheel_requires_requests_and_nothing_else(tmp_path: Path) -> None:
    build_dir = CLIENT / "build"
    had_build_dir = build_dir.exists()
    try:
        _check_wheel(tmp_path)
    finally:
        if not had_build_dir:  # setuptools builds in the source tree: leave it as it was
            shutil.rmtree(build_dir, ignore_errors=True)


def _check_wheel(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(CLIENT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("openstrikes_client-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
        lines = zf.read(metadata).decode().splitlines()
    requires = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" not in r] == ["requests>=2.31"]
    assert "openstrikes_client/py.typed" in names
    assert not [n for n in names if n.startswith("openstrikes/")], "the wheel must not carry the server"
    from openstrikes_client import __version__

    assert f"openstrikes_client-{__version__}-" in wheel.name
