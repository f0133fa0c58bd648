"""Natural Earth boundaries: read in memory, so no command leaves files behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402

EXE = str(Path(sys.executable).with_name("openstrikes"))


def test_a_cli_run_checking_coordinates_leaves_no_temporary_files(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write_dataset(root, 5, seed=6)  # events with coordinates: the boundaries are loaded
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = dict(os.environ, OPENSTRIKES_ROOT=str(root), TMPDIR=str(scratch))
    done = subprocess.run([EXE, "validate"], env=env, cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in scratch.iterdir()) == []


def test_boundaries_answer_from_memory() -> None:
    from openstrikes import geo

    assert geo.known_country("SY") and geo.distance_outside_km("SY", 33.51, 36.29) == 0.0
    assert geo.distance_outside_km("SY", 33.31, 44.36) > 300  # Baghdad is far from Syria
