"""Soak: the production setup (nginx with deploy/openstrikes.nginx.conf in front of two
`openstrikes serve` replicas) under saturation for a long time, with a random query mix.

Prints the requests made, the errors (anything but the expected answer: must be 0), throughput and
latency, and each replica's resident memory (master and workers), split into anonymous memory
(heaps and SQLite's page caches: where a leak shows) and file-backed memory (libraries, files
read). The start figure is taken after a warm-up under the same load (--warmup, stated in the
output): each SQLite connection's page cache is bounded (index.store.PAGE_CACHE_KIB) and fills
once as its thread touches pages; after that, memory must stay flat (within 10 % of the start).
Memory is also printed each minute, so that a fill that has not ended shows as a slope. The
per-client rate limit of the configuration is raised for the run (one load generator on
127.0.0.1 would be limited to 20 requests a second); everything else is the file operators install.

    python benchmarks/soak.py [--minutes 10] [--events 20000] [--connections 32] [--warmup 60]
                              [--workdir DIR]   # keeps the built release for the next run

Not a test: it takes minutes and measures; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from proxy_setup import nginx_command, nginx_conf  # noqa: E402

from synthetic import write_dataset  # noqa: E402

EXE = str(Path(sys.executable).with_name("openstrikes"))
COUNTRIES = ("IQ", "SY", "YE", "LB", "IR", "JO")
SORTS = ("date_start", "-date_start", "-killed", "id")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ok(url: str, proc: subprocess.Popen[bytes], seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def rss_kib(pid: int) -> tuple[int, int]:
    """Resident memory of a process and its children (a replica's master and workers), in KiB:
    (anonymous: heaps and caches, file-backed: the mapped index and libraries)."""
    anon = file = 0
    pids = [pid] + [int(p.parent.name) for p in Path("/proc").glob("[0-9]*/stat") if _ppid(p) == pid]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("RssAnon:"):
                    anon += int(line.split()[1])
                elif line.startswith(("RssFile:", "RssShmem:")):
                    file += int(line.split()[1])
        except OSError:
            continue
    return anon, file


def _ppid(stat: Path) -> int:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def query_mix(ids: list[str]) -> list[tuple[str, int]]:
    """(path, expected status) of one random request."""
    rng = random.Random()
    event = rng.choice(ids)
    choices = [
        (f"/v1/events?country={rng.choice(COUNTRIES)}&sort={rng.choice(SORTS)}&page_size=50", 200),
        (f"/v1/events?page={rng.randint(1, 20)}&page_size=100", 200),
        (f"/v1/events?q=strike&killed__gte={rng.randint(0, 5)}&page_size=20", 200),
        (f"/v1/events/{event}", 200),
        (f"/v1/events/{event}/related", 200),
        (f"/v1/aggregates?group_by={rng.choice(['country', 'month', 'strike_type'])}", 200),
        ("/v1/changes?since=2020-01-01T00:00:00Z", 200),
        ("/v1/actors", 200),
        ("/v1/releases/0.1.0/files/events.csv", 200),
        ("/v1/health", 200),
        (f"/v1/events/OS-1999-{rng.randint(1000, 9999)}-xxxx", 404),
    ]
    return [rng.choice(choices)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--events", type=int, default=20000)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--warmup", type=float, default=60.0, help="seconds of load before the first RSS reading")
    ap.add_argument("--workdir", type=Path, help="keep the dataset and release here (reused if built)")
    args = ap.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="openstrikes-soak-"))
    run = Path(tempfile.mkdtemp(prefix="openstrikes-soak-run-"))  # index cache, nginx: never reused
    procs: list[subprocess.Popen[bytes]] = []
    try:
        releases = work / f"n{args.events}" / "releases"
        dataset = work / f"n{args.events}" / "repo" / "dataset"
        if not any(releases.glob("*/datapackage.json")):
            shutil.rmtree(work / f"n{args.events}", ignore_errors=True)
            write_dataset(dataset.parent, args.events, seed=7)
            subprocess.run(
                [EXE, "build", "--out", str(releases)],
                env=dict(os.environ, OPENSTRIKES_ROOT=str(dataset.parent)),
                cwd=dataset.parent,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        ids = sorted(p.stem for p in (dataset / "events").rglob("*.json"))
        env = dict(os.environ, OPENSTRIKES_CACHE=str(run / "index"))
        ports = [free_port(), free_port()]
        replicas = []
        for i, port in enumerate(ports):
            cmd = [EXE, "serve", "--host", "127.0.0.1", "--port", str(port), "--releases", str(releases)]
            log = (run / f"replica-{i + 1}.log").open("wb")
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=log)
            procs.append(proc)
            replicas.append(proc)
            wait_ok(f"http://127.0.0.1:{port}/v1/health", proc)
        listen = free_port()
        conf = nginx_conf(run, listen, ports, rate_per_second=1_000_000)
        nginx = subprocess.Popen(nginx_command(run, conf), stdout=subprocess.DEVNULL)
        procs.append(nginx)
        url = f"http://127.0.0.1:{listen}"
        wait_ok(url + "/v1/health", nginx)

        stop = threading.Event()
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []
        count = [0]

        def worker() -> None:
            session = requests.Session()
            while not stop.is_set():
                ((path, expected),) = query_mix(ids)
                started = time.perf_counter()
                try:
                    resp = session.get(url + path, timeout=30)
                    body_ok = resp.status_code == expected
                    if (
                        body_ok
                        and expected == 200
                        and resp.headers.get("Content-Type", "").startswith("application/json")
                    ):
                        json.loads(resp.content)
                    problem = None if body_ok else f"{path}: {resp.status_code} {resp.text[:120]}"
                except (requests.RequestException, ValueError) as exc:
                    problem = f"{path}: {type(exc).__name__}: {exc}"
                took = time.perf_counter() - started
                with lock:
                    count[0] += 1
                    latencies.append(took)
                    if problem is not None:
                        errors.append(problem)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.connections)]
        for t in threads:
            t.start()
        time.sleep(args.warmup)
        with lock:
            count[0] = 0
            latencies.clear()
        rss_start = [rss_kib(p.pid) for p in replicas]
        started = time.monotonic()
        print(
            f"soak: {args.minutes:g} min, {args.events} events, {args.connections} connections, "
            f"2 replicas behind nginx; start figures taken after a {args.warmup:g} s warm-up under the same load",
            flush=True,
        )
        print(f"  0 min  RSS {_mib(rss_start)}", flush=True)
        end = started + args.minutes * 60
        minute = 1
        while (now := time.monotonic()) < end:
            time.sleep(min(end, started + minute * 60) - now)
            if time.monotonic() >= started + minute * 60 and minute < args.minutes:
                print(f"{minute:3d} min  RSS {_mib([rss_kib(p.pid) for p in replicas])}", flush=True)
                minute += 1
        stop.set()
        for t in threads:
            t.join(timeout=60)
        elapsed = time.monotonic() - started
        rss_end = [rss_kib(p.pid) for p in replicas]

        lat = sorted(latencies)
        print(f"requests {count[0]}  errors {len(errors)}  {count[0] / elapsed:.0f} req/s")
        if lat:
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
            print(f"latency p50 {statistics.median(lat) * 1000:.1f} ms  p99 {p99 * 1000:.1f} ms")
        flat = True
        for i, ((a_anon, a_file), (b_anon, b_file)) in enumerate(zip(rss_start, rss_end, strict=True)):
            a, b = a_anon + a_file, b_anon + b_file
            change = (b - a) / a if a else 0.0
            flat &= abs(change) <= 0.10
            print(
                f"replica {i + 1} RSS {a / 1024:.1f} MiB -> {b / 1024:.1f} MiB ({change:+.1%}); "
                f"anonymous {a_anon / 1024:.1f} -> {b_anon / 1024:.1f} MiB, "
                f"file-backed {a_file / 1024:.1f} -> {b_file / 1024:.1f} MiB"
            )
        for line in errors[:10]:
            print("error:", line)
        if errors:  # why: what nginx and the replicas logged
            for name in ["error.log", *(f"replica-{i + 1}.log" for i in range(len(replicas)))]:
                for message, n in _log_summary(run / name):
                    print(f"{name}: {n} x {message}")
        ok = not errors and flat
        print("OK: no error, memory flat within 10 %" if ok else "NOT OK")
        return 0 if ok else 1
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        shutil.rmtree(run, ignore_errors=True)
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


def _log_summary(path: Path) -> list[tuple[str, int]]:
    """The most frequent warning and error messages of a log, without times and client details."""
    found: Counter[str] = Counter()
    text = path.read_text(errors="replace") if path.exists() else ""
    for line in text.splitlines():
        if not re.search(r"\[(warn|error|crit|alert|emerg|ERROR|CRITICAL|WARNING)\]|Traceback", line):
            continue
        line = re.sub(r"^\S+ \S+ |^\[[^]]*\] |\*\d+ |\[\d+\] ", "", line)
        found[re.split(r", client:|, upstream:", line)[0][:160]] += 1
    return found.most_common(5)


def _mib(readings: list[tuple[int, int]]) -> str:
    """Each replica's RSS (anonymous + file-backed), in MiB."""
    return "  ".join(
        f"replica {i + 1} {(a + f) / 1024:.1f} MiB (anon {a / 1024:.1f})" for i, (a, f) in enumerate(readings)
    )


if __name__ == "__main__":
    raise SystemExit(main())
