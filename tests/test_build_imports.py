"""The build types its Parquet rows without pandas: importing it costs every build process
(the main one, each worker and the Parquet job) about 0.7 s and tens of MiB, and pyarrow imports
it on the first `pa.array` of Python objects, `pa.scalar` or `to_numpy(zero_copy_only=False)`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from synthetic import write_dataset  # noqa: E402

CHILD = """
import sys
from pathlib import Path
from openstrikes.package.build import build_package
target = build_package(Path(sys.argv[1]), Path(sys.argv[2]), progress=False, workers=1)
assert (target / "events.geoparquet").is_file() and (target / "events_flat.parquet").is_file()
print("pandas" in sys.modules, "pyarrow" in sys.modules, target)
"""

# The Parquet job as the build runs it (its own process), on a copy of a package's CSV files.
JOB = """
import sys
from pathlib import Path
from openstrikes.package.parquet_job import write_per_event_parquet
write_per_event_parquet(Path(sys.argv[1]))
print("pandas" in sys.modules, "pyarrow" in sys.modules)
"""


def test_a_build_never_imports_pandas(tmp_path: Path) -> None:
    dataset = write_dataset(tmp_path / "repo", 300, seed=5, spread=True)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(dataset), str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pandas, pyarrow, target = done.stdout.split()
    assert (pandas, pyarrow) == ("False", "True")
    copy = tmp_path / "job"
    copy.mkdir()
    for csv_file in Path(target).glob("*.csv"):
        shutil.copy(csv_file, copy)
    job = subprocess.run([sys.executable, "-c", JOB, str(copy)], capture_output=True, text=True, check=False)
    assert job.returncode == 0, job.stderr[-2000:]
    assert job.stdout.split() == ["False", "True"]
    assert (copy / "events.parquet").read_bytes() == (Path(target) / "events.parquet").read_bytes()
