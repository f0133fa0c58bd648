"""Side by side: this checkout's API against an earlier one on the same release and index, to
measure what a change of the index's read settings (index.store: mmap, page cache) costs.

Both servers run under bench_api's gunicorn settings (2 gthread workers) at the same time (the idle
one costs nothing) and take turns in short rounds on each scenario, so a change in the shared
machine's load hits both alike; the median of each is printed with the ratio after / before and
each worker's memory at the end. Scenarios: bench_api's fixed list and single-event URLs and its
random list and single mixes (every request a different URL: pages all over the index).

    git archive <commit> api schema | tar -x -C BEFORE_DIR
    python benchmarks/bench_page_cache.py --before BEFORE_DIR [--size 100000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_api import (  # noqa: E402
    PIDS,
    SETUP_TIMEOUT_S,
    free_port,
    gunicorn,
    load,
    load_mix,
    memory_mib,
    mixes,
    release_for,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="a directory holding the earlier api/ tree")
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=4.0, help="per scenario, server and round")
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench-api")
    args = ap.parse_args(argv)
    from openstrikes.index.store import Store

    releases = release_for(args.size, args.workdir)
    cache = args.workdir / f"n{args.size}" / "index"
    store = Store.open(next(releases.glob("*/datapackage.json")).parent, cache, timeout=SETUP_TIMEOUT_S)
    country = store.query("SELECT country FROM events GROUP BY country ORDER BY count(*) DESC LIMIT 1")[0][0]
    one = store.query("SELECT id FROM events WHERE rid = ?", (max(1, args.size // 2),))[0][0]
    kinds = mixes(store, random.Random(args.size))
    fixed = {
        "list": f"/v1/events?country={country.decode()}&sort=date_start&page_size=50",
        "single": f"/v1/events/{one.decode()}",
    }
    env = dict(os.environ, OPENSTRIKES_RELEASES=str(releases), OPENSTRIKES_CACHE=str(cache))
    before_env = dict(env, PYTHONPATH=str(args.before.resolve() / "api"))
    runs: dict[tuple[str, str], list[float]] = {}
    work = args.workdir / f"n{args.size}"
    with (
        gunicorn("openstrikes.web:create_app()", before_env, free_port(), "/v1/health") as before,
        gunicorn("openstrikes.web:create_app()", env, free_port(), "/v1/health") as after,
    ):
        for i in range(args.rounds):
            turns = [("before", before), ("after", after)]
            for side, base in turns if i % 2 == 0 else turns[::-1]:  # who goes first alternates
                for name, path in fixed.items():
                    r = load(base + path, args.seconds, args.connections)
                    runs.setdefault((name, side), []).append(r.rps)
                for name in ("list", "single"):
                    r = load_mix(base, kinds[name][0], args.seconds, args.connections, work)
                    runs.setdefault((f"mix {name}", side), []).append(r.rps)
        memory = {side: memory_mib(base) for side, base in (("before", before), ("after", after))}
    PIDS.clear()
    print(
        f"\n{args.size:,} events; {args.rounds} rounds of {args.seconds:g} s per scenario and server, turns"
    )
    print(
        f"{'scenario':<12} {'before req/s':>13} {'after req/s':>12} {'after/before':>13}  rounds after/before"
    )
    for name in ("list", "single", "mix list", "mix single"):
        b, a = runs[(name, "before")], runs[(name, "after")]
        per = ", ".join(f"{x / y:.2f}" for x, y in zip(a, b, strict=True))
        mb, ma = statistics.median(b), statistics.median(a)
        print(f"{name:<12} {mb:13.0f} {ma:12.0f} {ma / mb:13.2f}  ({per})")
    for side, workers in memory.items():
        for rss, anon, pss in workers:
            print(
                f"memory of a {side} worker: RSS {rss:.0f} MiB, anonymous {anon:.0f} MiB, PSS {pss:.0f} MiB"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
