"""Benchmark: `openstrikes validate` against its peers, side by side in one run.

Generates N synthetic events as files under a temporary directory (never in dataset/), then
times, each in a fresh process:

  validate   the full `openstrikes validate` (schema, coded checks, dataset-wide checks, duplicates)
  floor      reading and json.load-ing every event file, nothing else
  frictionless  `frictionless validate` of the same events flattened to one CSV with the
             equivalent table schema (generated from schema/event.schema.json)

and prints seconds, events/s, peak memory and the ratios. Targets (issue 2): validate <= 2x
the floor, >= 3x faster than frictionless, peak memory <= 1 GiB at 1M events.

With `--rounds R` (default 3) the jobs run R times, taking turns (floor, validate, frictionless,
floor, ...), so that the drift of a noisy machine hits each alike; every round is printed, and
the table and the ratios use the median of each job.

    .venv/bin/python benchmarks/bench_validate.py [--events 100000] [--seed 1] [--keep DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from openstrikes.package.flatten import event_header, flatten_event  # noqa: E402
from openstrikes.package.table_schema import events_schema  # noqa: E402
from synthetic import warm_page_cache, write_dataset  # noqa: E402

# Each measured job runs in its own interpreter and reports its own wall time and the peak
# resident memory of itself and its children (validate's worker processes).
RUNNER = r"""
import json, resource, sys, time
job, root = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if job == "validate":
    import os
    os.environ["OPENSTRIKES_ROOT"] = root
    os.chdir(root)
    from openstrikes.cli import main
    status = main(["validate", "--format", "json"])
    assert status == 0, f"validate found problems (exit {status})"
elif job == "floor":
    from pathlib import Path
    n = 0
    for path in sorted(Path(root, "dataset", "events").glob("*/*.json")):
        with open(path, "rb") as fh:
            json.load(fh)
        n += 1
    print(f"loaded {n}", file=sys.stderr)
elif job == "frictionless":
    import os, subprocess
    tool = os.path.join(os.path.dirname(sys.executable), "frictionless")
    proc = subprocess.run([tool, "validate", "--json", "resource.json"], cwd=root,
                          capture_output=True, text=True)
    report = json.loads(proc.stdout)
    assert report["valid"], json.dumps(report)[:2000]
elapsed = time.perf_counter() - start
# VmHWM, not RUSAGE_SELF: Linux carries the exec-ing parent's high-water mark into ru_maxrss,
# so every job would show at least this benchmark's own size.
with open("/proc/self/status") as fh:
    self_kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_mib": max(self_kib, children_kib) / 1024}), file=sys.stderr)
"""


def write_flat_csv(root: Path) -> int:
    """events.csv + resource.json: the same events as one flat table with the derived schema."""
    n = 0
    with (root / "events.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(event_header())
        for path in sorted((root / "dataset" / "events").glob("*/*.json")):
            writer.writerow(flatten_event(json.loads(path.read_bytes())).row)
            n += 1
    schema = events_schema()
    schema["foreignKeys"] = []  # one table alone: the self-reference is checked by validate
    resource = {
        "name": "events",
        "type": "table",
        "path": "events.csv",
        "scheme": "file",
        "format": "csv",
        "encoding": "utf-8",
        "mediatype": "text/csv",
        "schema": schema,
    }
    (root / "resource.json").write_text(json.dumps(resource, indent=2))
    return n


def run(job: str, root: Path) -> dict[str, float]:
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, job, str(root)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{job} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    result: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    parser.add_argument("--skip-frictionless", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each job, taking turns")
    args = parser.parse_args()

    tmp = None if args.keep else tempfile.mkdtemp(prefix="openstrikes-bench-validate-")
    root = args.keep or Path(tmp or ".")
    try:
        t0 = time.perf_counter()
        if not (root / "dataset").exists():
            write_dataset(root, args.events, args.seed)
        print(
            f"generated {args.events} events in {time.perf_counter() - t0:.1f} s under {root}",
            file=sys.stderr,
        )
        if not args.skip_frictionless:
            write_flat_csv(root)
        cores = os.cpu_count()
        warm = warm_page_cache(root / "dataset")
        print(f"read every event file once to warm the page cache ({warm:.1f} s, untimed)", file=sys.stderr)
        jobs = ["floor", "validate"] + ([] if args.skip_frictionless else ["frictionless"])
        runs: dict[str, list[dict[str, float]]] = {job: [] for job in jobs}
        for round_no in range(1, args.rounds + 1):
            for job in jobs:
                runs[job].append(run(job, root))
            line = "  ".join(f"{job} {runs[job][-1]['seconds']:.2f} s" for job in jobs)
            print(f"round {round_no}: {line}  (load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
        results = {
            job: {key: statistics.median(r[key] for r in rs) for key in ("seconds", "peak_mib")}
            for job, rs in runs.items()
        }
        n = args.events
        print(
            f"\nbench_validate: {n} events, {cores} cores (validate uses a process per core), "
            f"median of {args.rounds} round(s)"
        )
        print(f"{'job':<14}{'seconds':>10}{'events/s':>12}{'peak MiB':>10}")
        for job, r in results.items():
            print(f"{job:<14}{r['seconds']:>10.2f}{n / r['seconds']:>12,.0f}{r['peak_mib']:>10.0f}")
        v, f = results["validate"]["seconds"], results["floor"]["seconds"]
        print(f"\nvalidate / floor        = {v / f:.2f}x   (target <= 2.00x)")
        if "frictionless" in results:
            fr = results["frictionless"]["seconds"]
            print(f"frictionless / validate = {fr / v:.2f}x   (target >= 3.00x)")
        print(
            f"validate peak memory    = {results['validate']['peak_mib']:.0f} MiB (target <= 1024 MiB at 1M events)"
        )
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
