"""Benchmark `openstrikes build` against `frictionless validate`, side by side, on synthetic data.

For each size: generate a synthetic dataset (benchmarks/synthetic.py, in a temp dir, reused
between runs), build it in a child process, then run `frictionless validate` on the result in
another child process. Reported per run: wall time (the build also split into its one pass over
the event files, which validates them and writes the per-event files, and the finish: actors,
descriptor, checksums, the swap into place), peak memory of the main process (its max RSS from wait4) and of the whole
process tree (PSS of the process and its worker processes summed, sampled every 0.1 s from
/proc: pages shared after fork count once). The writing is also run alone (events read from
files listed but not validated) to show the builder's own memory apart from the validator's.

    python benchmarks/bench_build.py [--sizes 100000 1000000 | --dataset ROOT] [--workdir DIR]
        [--no-warm] [--no-write-alone] [--no-frictionless] [--baseline-ref REF | --no-baseline]

`--dataset ROOT` builds a dataset generated before (ROOT holds `dataset/`, e.g. the one
bench_api generated) instead of generating one; it is only read, and its event count is the
size. The package and every other output still go under the workdir.

The peer `before Parquet` (what the Parquet files cost) is, by default, this very build with its
Parquet writers stubbed out in the child process (`--baseline-ref no-parquet`): the same code
writes every other file, so build / before is the cost of typing the rows and writing the
Parquet files and nothing else. `--baseline-ref REF` runs instead the code of git REF (e.g.
b0d8414, the last commit before the Parquet files, which also lacks later files such as
events_flat.csv), checked out with `git archive`, on the same dataset.

Before the timed jobs every event file is read once, untimed, so that no job alone pays for a
cold disk; `--no-warm` skips that where the page cache cannot hold the files anyway (a million
files on a small machine), and every job then reads from the disk.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import warm_page_cache, write_dataset

BUILD_CHILD = """
import sys, time
from pathlib import Path
from openstrikes.package.build import build_package
t0 = time.monotonic()
stages = {}
def stage(name):
    stages[name] = time.monotonic() - t0
target = build_package(Path(sys.argv[1]), Path(sys.argv[2]), progress=False, on_stage=stage)
total = time.monotonic() - t0
print(f"{stages.get('writing', 0.0):.3f} {total - stages.get('writing', 0.0):.3f} {target}")  # pass, finish
"""


# Prepended to BUILD_CHILD for the peer `no-parquet`: the build with its Parquet writers replaced
# by stubs (no Parquet job, no lists for it, no file written but an empty events_flat.parquet the
# descriptor lists).
NO_PARQUET = """
import openstrikes.package.build as _build
from openstrikes.package.parquet_out import file_info as _file_info

class _NoJob:
    def __init__(self, folder):
        self.path = folder / "events_flat.parquet"
    def flat_ready(self): pass
    def result(self):
        self.path.write_bytes(b"")
        return {"events-flat-parquet": _file_info(self.path)}
    def cancel(self): pass

_write_flat = _build.write_flat
_build.ParquetJob = _NoJob
_build.write_parquet_table = lambda folder, key, rows: {}
_build.write_flat = lambda ndjson, folder, actors: _write_flat(ndjson, folder, actors, lists=False)
"""


WRITE_CHILD = """
import sys, time
from pathlib import Path
from openstrikes.package.build import build_package
from openstrikes.toolchain.records import discover_table
dataset = Path(sys.argv[1])
def listed():
    files = discover_table(dataset)
    return files.only("event"), files.only("actor")
t0 = time.monotonic()
target = build_package(dataset, Path(sys.argv[2]), progress=False, validated=listed())
print(f"{time.monotonic() - t0:.3f} {target}")
"""


# Each Parquet form beside the CSV it holds (the size target: events.parquet >= 10x smaller).
SIZE_PAIRS = (
    ("events.parquet", "events.csv"),
    ("events_flat.parquet", "events_flat.csv"),
    ("event_sources.parquet", "event_sources.csv"),
    ("event_actors.parquet", "event_actors.csv"),
    ("event_claims.parquet", "event_claims.csv"),
    ("actors.parquet", "actors.csv"),
    ("places.parquet", "places.csv"),
    ("events.geoparquet", "events.csv"),
    ("parquet", "events.csv"),  # the year partitions, summed
)


def _bytes(path: Path) -> int:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        if path.is_dir()
        else path.stat().st_size
    )


def size_lines(n: int, package: Path) -> list[str]:
    """One line per Parquet file: its bytes, its CSV's and how many times smaller it is."""
    lines = []
    for pq_name, csv_name in SIZE_PAIRS:
        if (package / pq_name).exists() and (package / csv_name).exists():
            pq_bytes, csv_bytes = _bytes(package / pq_name), _bytes(package / csv_name)
            lines.append(
                f"{n:>10,} | {pq_name:<21} {pq_bytes:>13,} | {csv_name:<17} {csv_bytes:>13,} | "
                f"{csv_bytes / pq_bytes:>8.2f}x"
            )
    return lines


@dataclass
class Run:
    seconds: float
    main_peak_mib: float
    tree_peak_mib: float
    returncode: int
    stdout: str
    cpu: float = float("nan")  # user + system seconds of the process and its workers


def _pss_kib(pid: int) -> int | None:
    """Proportional set size: shared (forked, copy-on-write) pages counted once across processes."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _tree_rss_kib(root_pid: int) -> int:
    """Summed memory (PSS where the kernel gives it, else RSS) of a process and its descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
            with open(f"/proc/{entry}/statm") as fh:
                pages = int(fh.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        pss = _pss_kib(pid)
        total += pss if pss is not None else rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(cmd: list[str], env: dict[str, str] | None = None) -> Run:
    """Run a command; its wall time, main-process peak RSS (wait4) and process-tree peak RSS."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kib(proc.pid))
            done.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out_chunks.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
        threading.Thread(target=lambda: err_chunks.append(proc.stderr.read()), daemon=True),  # type: ignore[union-attr]
    ]
    for r in readers:
        r.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.stderr.write(b"".join(err_chunks).decode("utf-8", "replace")[-3000:])
    return Run(
        seconds,
        usage.ru_maxrss / 1024,
        max(peak, usage.ru_maxrss) / 1024,
        proc.returncode,
        b"".join(out_chunks).decode("utf-8", "replace"),
        usage.ru_utime + usage.ru_stime,
    )


def dataset_for(workdir: Path, n: int, seed: int) -> Path:
    root = workdir / f"synthetic-{n}-{seed}"
    marker = root / ".complete"
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        t0 = time.monotonic()
        print(f"generating {n:,} events under {root} ...", file=sys.stderr, flush=True)
        write_dataset(root, n, seed)
        marker.write_text("ok\n")
        print(f"  generated in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return root


def existing_dataset(root: Path) -> tuple[Path, int]:
    """A dataset generated before: its root and its number of event files (read, never written)."""
    events = root / "dataset" / "events"
    if not events.is_dir():
        raise SystemExit(f"--dataset {root}: no dataset/events/ under it")
    n = sum(
        1
        for year in os.scandir(events)
        if year.is_dir()
        for f in os.scandir(year)
        if f.name.endswith(".json")
    )
    return root, n


def baseline_code(workdir: Path, ref: str) -> Path | None:
    """The `api` folder of git `ref` (with the schemas it links to), extracted once under workdir."""
    code = workdir / f"code-{ref}"
    if (code / "api").is_dir():
        return code / "api"
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(["git", "-C", str(repo), "archive", ref, "api", "schema"], capture_output=True)
    if archive.returncode != 0:
        print(f"no baseline: git archive {ref} failed", file=sys.stderr)
        return None
    code.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    return code / "api"


def frictionless_cmd() -> list[str]:
    exe = Path(sys.executable).with_name("frictionless")
    return [str(exe) if exe.exists() else shutil.which("frictionless") or "frictionless"]


def settle() -> None:
    """Write back what earlier jobs wrote and deleted (untimed), so that no job starts while the
    6.5 GB package of the one before it (at 1M events) is still going to disk."""
    os.sync()


def run_line(run: Run) -> str:
    """One build's figures: wall time split into the pass and the finish, CPU, peak memory."""
    pass_s, finish_s = run.stdout.split()[:2]
    return (
        f"{run.seconds:.1f} s (pass {float(pass_s):.1f}, finish {float(finish_s):.1f}), CPU {run.cpu:.1f} s, "
        f"peak MiB main {run.main_peak_mib:.0f} tree {run.tree_peak_mib:.0f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="openstrikes build vs frictionless validate")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--dataset", type=Path, help="build this generated dataset (ROOT/dataset) instead of generating"
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench")
    parser.add_argument("--no-frictionless", action="store_true", help="skip the frictionless runs")
    parser.add_argument("--no-warm", action="store_true", help="do not read the files once before timing")
    parser.add_argument("--no-write-alone", action="store_true", help="skip the write-only build")
    parser.add_argument(
        "--baseline-ref",
        default="no-parquet",
        help="the peer: no-parquet (this build, Parquet writers stubbed) or a git ref of the code to run",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the build before Parquet")
    parser.add_argument(
        "--repeat", type=int, default=1, help="builds (alternated with the baseline); best kept"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    rows = []
    sizes: list[str] = []
    given = existing_dataset(args.dataset.resolve()) if args.dataset else None
    for n in [given[1]] if given else args.sizes:
        root = given[0] if given else dataset_for(args.workdir, n, args.seed)
        out = args.workdir / f"dist-{n}"
        shutil.rmtree(out, ignore_errors=True)
        env = {**os.environ, "OPENSTRIKES_ROOT": str(root)}
        if not args.no_warm:
            warm = warm_page_cache(root / "dataset")
            print(
                f"read every event file once to warm the page cache ({warm:.1f} s, untimed)", file=sys.stderr
            )
        peer_child = NO_PARQUET + BUILD_CHILD if args.baseline_ref == "no-parquet" else BUILD_CHILD
        base_code = None
        run_peer = not args.no_baseline
        if run_peer and args.baseline_ref != "no-parquet":
            base_code = baseline_code(args.workdir, args.baseline_ref)
            run_peer = base_code is not None
        builds: list[Run] = []
        befores: list[Run] = []
        for _ in range(args.repeat):  # alternated, so that both see the same load of the machine
            print(f"building {n:,} events ...", file=sys.stderr, flush=True)
            shutil.rmtree(out, ignore_errors=True)
            settle()
            builds.append(measure([sys.executable, "-c", BUILD_CHILD, str(root / "dataset"), str(out)], env))
            if builds[-1].returncode != 0:
                print(f"build of {n} events failed", file=sys.stderr)
                return 1
            print(f"  {run_line(builds[-1])}", file=sys.stderr, flush=True)
            if run_peer:
                print(f"building {n:,} events, peer {args.baseline_ref} ...", file=sys.stderr)
                peer_env = {**env, "PYTHONPATH": str(base_code)} if base_code is not None else env
                settle()
                befores.append(
                    measure(
                        [sys.executable, "-c", peer_child, str(root / "dataset"), str(out / "before")],
                        peer_env,
                    )
                )
                if befores[-1].returncode != 0:
                    print(f"baseline build of {n} events failed", file=sys.stderr)
                    return 1
                print(f"  {run_line(befores[-1])}", file=sys.stderr, flush=True)
                shutil.rmtree(out / "before", ignore_errors=True)
        build = min(builds, key=lambda r: r.seconds)
        build.cpu = min(r.cpu for r in builds)
        build.main_peak_mib = max(r.main_peak_mib for r in builds)  # memory: the worst run
        build.tree_peak_mib = max(r.tree_peak_mib for r in builds)
        before = Run(float("nan"), float("nan"), float("nan"), 0, "")
        if befores:
            before = min(befores, key=lambda r: r.seconds)
            before.cpu = min(r.cpu for r in befores)
            before.tree_peak_mib = max(r.tree_peak_mib for r in befores)
        validate_s, write_s, target = build.stdout.split()[-3:]
        size_mib = sum(p.stat().st_size for p in Path(target).rglob("*") if p.is_file()) / 2**20
        sizes.extend(size_lines(n, Path(target)))
        if args.no_write_alone:
            alone = Run(float("nan"), float("nan"), float("nan"), 0, "")
        else:
            print(f"writing alone, {n:,} events ...", file=sys.stderr, flush=True)
            settle()
            alone = measure(
                [sys.executable, "-c", WRITE_CHILD, str(root / "dataset"), str(out / "alone")], env
            )
            if alone.returncode != 0:
                print(f"write-only build of {n} events failed", file=sys.stderr)
                return 1
        if args.no_frictionless:
            fl, valid = Run(float("nan"), float("nan"), float("nan"), 0, ""), False
        else:
            print(f"frictionless validate {n:,} events ...", file=sys.stderr, flush=True)
            settle()
            fl = measure([*frictionless_cmd(), "validate", "--json", str(Path(target) / "datapackage.json")])
            valid = fl.returncode == 0 and '"valid": true' in fl.stdout
        shutil.rmtree(out / "alone", ignore_errors=True)
        rows.append((n, build, float(validate_s), float(write_s), size_mib, fl, valid, alone, before))
    print()
    print(
        f"{'events':>10} | {'build s':>7} {'1 pass':>8} {'finish':>6} | {'peak MiB main':>13} {'tree':>6} | "
        f"{'write alone s':>13} {'MiB main':>8} {'tree':>6} | {'package MiB':>11} | "
        f"{'frictionless s':>14} {'MiB main':>8} {'valid':>5} | {'build/frictionless':>18} | "
        f"{'before s':>8} {'MiB tree':>8} {'build/before':>12} {'CPU s':>6} {'before':>6} {'CPU ratio':>9}"
    )
    for n, build, validate_s, write_s, size_mib, fl, valid, alone, before in rows:
        print(
            f"{n:>10,} | {build.seconds:>7.1f} {validate_s:>8.1f} {write_s:>6.1f} | {build.main_peak_mib:>13.0f} "
            f"{build.tree_peak_mib:>6.0f} | {alone.seconds:>13.1f} {alone.main_peak_mib:>8.0f} "
            f"{alone.tree_peak_mib:>6.0f} | {size_mib:>11.0f} | {fl.seconds:>14.1f} {fl.main_peak_mib:>8.0f} "
            f"{'yes' if valid else '-' if args.no_frictionless else 'NO':>5} | {build.seconds / fl.seconds:>17.2f}x | "
            f"{before.seconds:>8.1f} {before.tree_peak_mib:>8.0f} {build.seconds / before.seconds:>11.2f}x "
            f"{build.cpu:>6.1f} {before.cpu:>6.1f} {build.cpu / before.cpu:>8.2f}x"
        )
    print()
    print(
        f"{'events':>10} | {'Parquet':<21} {'bytes':>13} | {'its CSV':<17} {'bytes':>13} | {'CSV/Parquet':>9}"
    )
    for line in sizes:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
