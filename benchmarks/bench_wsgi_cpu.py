"""Benchmark: CPU time per request of the API's WSGI app, in process (no network, no server).

A check that a change to the server's code keeps the fast path's speed, robust to a busy machine:
it measures this process's CPU time (time.process_time), so time spent waiting for a core
another process holds is not counted; the minimum over rounds is the least disturbed figure. Scenarios: one event by id, a filtered and sorted list page
(the fast path), and a deep page by number (page 200); each request is a full WSGI call,
gzip accepted, as a client sends it.

To compare two versions of the code, run it once per checkout, taking turns, over the same
release, e.g.:

    PYTHONPATH=<checkout>/api python benchmarks/bench_wsgi_cpu.py --releases DIR --requests 2000

Without --releases, a synthetic release of --events events is built under --workdir (reused).
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from openstrikes.web import create_app  # noqa: E402

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def call(app: WSGIApp, path: str, query: str = "") -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": None,
        "HTTP_ACCEPT_ENCODING": "gzip",
    }
    status: list[str] = []

    def start_response(s: str, headers: list[tuple[str, str]], exc: Any = None) -> None:
        status.append(s)

    body = b"".join(app(environ, start_response))
    return status[0], body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=Path, help="a directory of built releases")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000, help="requests per scenario and round")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds per scenario (min and median)")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench-wsgi"
    )
    args = parser.parse_args()
    releases = args.releases
    if releases is None:
        releases = args.workdir / f"n{args.events}" / "releases"
        if not any(releases.glob("*/datapackage.json")):
            # imported here: with --releases, the script also runs over older checkouts
            from openstrikes.package.build import build_package
            from synthetic import write_dataset

            dataset = write_dataset(args.workdir / f"n{args.events}" / "repo", args.events, seed=1)
            build_package(dataset, releases, progress=False)
    app: WSGIApp = create_app(releases, cache_dir=args.workdir / "index").wsgi_app
    _, body = call(app, "/v1/events", "page_size=1")
    first = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)["items"][0]["id"]
    scenarios = {
        "single": (f"/v1/events/{first}", ""),
        "list": ("/v1/events", "country=IQ&sort=date_start&page_size=50"),
        "page 200": ("/v1/events", "sort=date_start&page_size=50&page=200"),
    }
    print(f"{'scenario':<10} {'CPU us/request: min':>20} {'median':>8}")
    for name, (path, query) in scenarios.items():
        for _ in range(50):  # warm: caches, the page cache, the fast path's memos
            status, _ = call(app, path, query)
            assert status.startswith("200"), (name, status)
        rounds = []
        for _ in range(args.rounds):
            gc.collect()
            t0 = time.process_time()
            for _ in range(args.requests):
                call(app, path, query)
            rounds.append((time.process_time() - t0) / args.requests * 1e6)
        print(f"{name:<10} {min(rounds):>20.1f} {statistics.median(rounds):>8.1f}")


if __name__ == "__main__":
    main()
