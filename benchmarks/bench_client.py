"""Benchmark: iterate every event of a synthetic release over 127.0.0.1 with the client's
`events.iter()`, and in the same run with raw `requests` + `json` on the same endpoint.

    python benchmarks/bench_client.py [--events 100000] [--rounds 3] [--releases DIR]

Builds a synthetic release of N events in a temporary directory (never in dataset/), serves it on
a free port the way the API is deployed (gunicorn, one gthread worker, keep-alive; `--server serve`
uses `openstrikes serve`, whose development server closes every connection), walks every page both
ways (same page size, same cursor),
and prints events/s of each and the ratio. Targets: client >= 0.8x raw, >= 50k events/s.
It also walks with the client decoding by the standard library alone (a plain install,
without the optional `fast` extra). For orientation it also prints the decode floor: stdlib
json.loads alone over the same page bodies held in memory (no HTTP, no models), which bounds
any client that decodes with the standard library.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from openstrikes_client import Client, _transport
from openstrikes_client._client import ITER_PAGE_SIZE

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def build_release(workdir: Path, n: int, seed: int) -> Path:
    """A synthetic dataset of n events, built into a releases directory."""
    from openstrikes.package.build import build_package
    from synthetic import write_dataset  # type: ignore[import-not-found]

    t0 = time.perf_counter()
    dataset = write_dataset(workdir / "repo", n, seed)
    releases = workdir / "releases"
    releases.mkdir()
    build_package(Path(dataset), releases)
    print(f"built a release of {n:,} events in {time.perf_counter() - t0:.1f} s", flush=True)
    return releases


def start_server(releases: Path, port: int, log: Path, kind: str = "gunicorn") -> subprocess.Popen[bytes]:
    """The API on 127.0.0.1:port, its log to a file (a pipe nobody reads would fill up and stall
    the server): under gunicorn (one gthread worker, the other core is the client's) or with
    `openstrikes serve`."""
    bin_dir = Path(sys.executable).parent
    if kind == "serve":
        cmd = [str(bin_dir / "openstrikes"), "serve", "--host", "127.0.0.1", "--port", str(port)]
        cmd += ["--releases", str(releases)]
    else:
        cmd = [str(bin_dir / "gunicorn"), "-w", "1", "-k", "gthread", "--threads", "4", "--keep-alive", "30"]
        cmd += ["-b", f"127.0.0.1:{port}", "--log-level", "warning", "openstrikes.web:create_app()"]
    env = dict(os.environ, OPENSTRIKES_CACHE=str(releases.parent / "cache"))  # the SQLite index
    env["OPENSTRIKES_RELEASES"] = str(releases)
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + 600
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {log.read_text(errors='replace').strip()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=2).ok:
                return proc
        except requests.RequestException:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not come up within 600 s")


def warm(path: Path) -> None:
    """Read a file once (the SQLite index), so the first pages do not wait on a cold disk."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


def walk_raw(
    base: str, page_size: int, headers: dict[str, str] | None = None, keep: list[bytes] | None = None
) -> int:
    """Every event with plain requests + json: follow next_cursor until it is null."""
    params = {"page_size": str(page_size)}
    n = 0
    with requests.Session() as session:
        session.headers.update(headers or {})
        while True:
            resp = session.get(f"{base}/v1/events", params=params, timeout=(5, 120))
            resp.raise_for_status()
            if keep is not None:
                keep.append(resp.content)
            body = json.loads(resp.content)
            n += len(body["items"])
            cursor = body.get("next_cursor")
            if not cursor:
                return n
            params = {"page_size": str(page_size), "cursor": cursor}


def walk_raw_identity(base: str, page_size: int) -> int:
    """As walk_raw, asking for uncompressed bodies (what the client does on loopback)."""
    return walk_raw(base, page_size, {"Accept-Encoding": "identity"})


def walk_client(base: str, page_size: int) -> int:
    """Every event as typed Event objects, with events.iter()."""
    n = 0
    with Client(base, timeout=(5, 120)) as client:
        for event in client.events.iter(page_size=page_size):
            n += 1
            _ = event.id
    return n


def walk_client_stdlib(base: str, page_size: int) -> int:
    """As walk_client, with the client decoding by the standard library even when orjson (the
    optional `fast` extra) is installed: what a plain `pip install openstrikes-client` gets."""
    chosen = _transport.loads
    _transport.loads = _transport._stdlib_loads
    try:
        return walk_client(base, page_size)
    finally:
        _transport.loads = chosen


def decode_floor(pages: list[bytes]) -> tuple[int, float]:
    """json.loads alone over page bodies already in memory: no HTTP, no models (the CPU floor of
    any stdlib-json client on this machine)."""
    t0 = time.perf_counter()
    n = sum(len(json.loads(p)["items"]) for p in pages)
    return n, time.perf_counter() - t0


def timed(fn: Callable[[str, int], int], base: str, page_size: int) -> tuple[int, float]:
    t0 = time.perf_counter()
    n = fn(base, page_size)
    return n, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--page-size", type=int, default=ITER_PAGE_SIZE)
    parser.add_argument("--releases", type=Path, help="serve these built releases instead of building one")
    parser.add_argument("--workdir", type=Path, help="build here and keep it (reused by a later run)")
    parser.add_argument("--url", help="benchmark a server already running at this URL")
    parser.add_argument("--server", choices=["gunicorn", "serve"], default="gunicorn")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-client-") as tmp:
        proc = None
        base = args.url
        if base is None:
            releases = args.releases
            if releases is None and args.workdir is not None and (args.workdir / "releases").is_dir():
                releases = args.workdir / "releases"
            if releases is None:
                work = args.workdir or Path(tmp)
                work.mkdir(parents=True, exist_ok=True)
                releases = build_release(work, args.events, args.seed)
            port = free_port()
            proc = start_server(releases, port, Path(tmp) / "serve.log", args.server)
            base = f"http://127.0.0.1:{port}"
            for index in sorted((releases.parent / "cache").glob("*.sqlite")):
                warm(index)  # a warm page cache, not a cold disk, for every walker alike
        try:
            pages: list[bytes] = []  # warm caches (SQLite pages, the OS) once, keeping the bodies
            walk_raw(base, args.page_size, {"Accept-Encoding": "identity"}, keep=pages)
            times: dict[str, list[float]] = {
                "raw": [],
                "raw_identity": [],
                "client": [],
                "client_stdlib": [],
                "floor": [],
            }
            counts: dict[str, int] = {}
            walkers = {
                "raw": walk_raw,
                "raw_identity": walk_raw_identity,
                "client": walk_client,
                "client_stdlib": walk_client_stdlib,
            }
            for _ in range(args.rounds):  # interleaved, so drift hits all alike
                for name, fn in walkers.items():
                    counts[name], t = timed(fn, base, args.page_size)
                    times[name].append(t)
                counts["floor"], t = decode_floor(pages)
                times["floor"].append(t)
            del pages
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    n_raw, n_client = counts["raw"], counts["client"]
    if n_raw != n_client:
        print(f"MISMATCH: raw walked {n_raw} events, the client {n_client}")
        return 1
    rates = {name: counts[name] / statistics.median(ts) for name, ts in times.items()}
    best_raw = max(rates["raw"], rates["raw_identity"])
    print(
        f"events: {n_raw:,}  page_size: {args.page_size}  rounds: {args.rounds} (median)  cpus: {os.cpu_count()}"
        f"  server: {args.url or args.server}"
    )
    print(
        f"raw requests+json (default gzip)   : {rates['raw']:10,.0f} events/s  ({statistics.median(times['raw']):.2f} s)"
    )
    print(
        f"raw requests+json (identity)       : {rates['raw_identity']:10,.0f} events/s  "
        f"({statistics.median(times['raw_identity']):.2f} s)"
    )
    print(
        f"client events.iter (typed Events)  : {rates['client']:10,.0f} events/s  "
        f"({statistics.median(times['client']):.2f} s)  decoder: {_transport.JSON_DECODER}"
    )
    print(
        f"client events.iter, stdlib json    : {rates['client_stdlib']:10,.0f} events/s  "
        f"({statistics.median(times['client_stdlib']):.2f} s)  (a plain install, without the fast extra)"
    )
    print(
        f"decode floor: json.loads, no HTTP  : {rates['floor']:10,.0f} events/s  "
        f"({statistics.median(times['floor']):.2f} s)  (the decode floor; not a target)"
    )
    print(
        f"ratio client / best raw            : {rates['client'] / best_raw:.2f}x   "
        "(targets: >= 0.80x and >= 50,000 events/s)"
    )
    print(f"load average at the end            : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
