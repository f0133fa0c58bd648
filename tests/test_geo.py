"""Natural Earth boundaries: read in memory, so no command leaves files behind."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

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


def _every_ring() -> list[tuple[list[float], list[Any]]]:
    """Each record's box and its rings as polygons, read by pyshp (not by geo's own reader)."""
    import shapely

    from openstrikes import geo

    out = []
    for shape in geo._reader().shapes():
        if shape.points:
            bounds = [*shape.parts, len(shape.points)]
            rings = [shapely.polygons(shape.points[a:b]) for a, b in pairwise(bounds) if b - a >= 4]
            out.append((list(shape.bbox), rings))
    return out


def _odd_rings_oracle(records: list[tuple[list[float], list[Any]]], lat: float, lon: float) -> bool:
    """On land by the even-odd rule, the slow way: every ring of every record that may hold it."""
    import shapely

    return any(
        sum(bool(shapely.contains_xy(r, lon, lat)) for r in rings) % 2
        for box, rings in records
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]
    )


def test_land_test_agrees_with_every_ring_of_the_boundary_data() -> None:
    import random

    from openstrikes import geo

    rng = random.Random(12)
    # The Red Sea and the Gulfs, with their coasts and islands, then anywhere.
    points = [(rng.uniform(10.0, 31.0), rng.uniform(32.0, 60.0)) for _ in range(300)]
    points += [(rng.uniform(-60.0, 75.0), rng.uniform(-180.0, 180.0)) for _ in range(100)]
    points += [(12.5, 43.5), (15.0, 42.0), (29.5, 48.0), (26.0, 56.0)]  # cell corners too
    answers = [geo.on_land(lat, lon) for lat, lon in points]
    records = _every_ring()
    assert answers == [_odd_rings_oracle(records, lat, lon) for lat, lon in points]
    assert 0 < sum(answers) < len(answers)  # both kinds were asked about
