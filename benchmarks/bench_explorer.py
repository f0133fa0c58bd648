"""Benchmark the explorer's first view in headless Chromium (Debian's, driven by Playwright) on a
synthetic release, and its page weight, side by side with a floor.

For each size: the release is built once in a work directory (benchmarks/bench_api.py's
release_for), `openstrikes serve` runs it, and each round opens `/` in a fresh browser context (no
cache) and waits until the map, the timeline and the table are all drawn (the page marks
`data-ready` when the three loads are done). The floor, in the same rounds: the same API requests
the first view makes, sent one after another from Python (what the page cannot be faster than,
apart from running them in parallel). Printed: the median first view, the floor, their ratio, and
the first view once with the server's overview answers not yet remembered (cold), and the page
weight: the gzip-compressed bytes of the HTML, JS, CSS and the country outlines (the issue's
targets: first view <= 1.5 s at 100k, weight <= 600 KB compressed).

    python benchmarks/bench_explorer.py [--sizes 100000] [--rounds 5] [--work DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WEIGHT_TARGET = 600 * 1024
FIRST_VIEW_TARGET_S = 1.5


def first_view(browser: object, url: str) -> tuple[float, float, list[str]]:
    """Seconds from navigation to the first complete view, then to the country outlines drawn
    under it too, and the API URLs the page asked for."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = ctx.new_page()
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "/v1/" in r.url else None)
    t0 = time.perf_counter()
    page.goto(url + "/")
    page.wait_for_function(
        "() => Number(document.getElementById('main').dataset.ready || 0) > 0", timeout=60000
    )
    page.wait_for_selector("#timeline rect", timeout=60000)
    took = time.perf_counter() - t0
    page.wait_for_function("() => document.getElementById('main').dataset.outlines === '1'", timeout=60000)
    with_outlines = time.perf_counter() - t0
    ctx.close()
    return took, with_outlines, calls


def floor(session: requests.Session, urls: list[str]) -> float:
    t0 = time.perf_counter()
    for u in urls:
        session.get(u, timeout=60).raise_for_status()
    return time.perf_counter() - t0


def weight(url: str) -> dict[str, int]:
    """Compressed bytes on the wire of each file of the page (gzip asked for, as browsers do)."""
    files = {
        "html": "/",
        "explorer.js": "/explorer/static/explorer.js",
        "explorer.css": "/explorer/static/explorer.css",
        "leaflet.js": "/explorer/static/vendor/leaflet/leaflet.js",
        "leaflet.css": "/explorer/static/vendor/leaflet/leaflet.css",
        "boundaries": "/explorer/boundaries.geojson",
    }
    out = {}
    for name, path in files.items():
        r = requests.get(url + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=60)
        r.raise_for_status()
        out[name] = len(r.raw.read(decode_content=False))
    return out


def run_size(n: int, work: Path, rounds: int) -> None:
    from bench_api import release_for
    from conftest_api import start_server, stop_server
    from playwright.sync_api import sync_playwright

    releases = release_for(n, work)
    env = dict(os.environ, OPENSTRIKES_CACHE=str(work / "cache"))
    proc, url = start_server(["--releases", str(releases)], env)
    try:
        requests.get(url + "/explorer/boundaries.geojson", timeout=600).raise_for_status()  # cached once
        w = weight(url)
        views, outlined, floors, cold = [], [], [], 0.0
        with sync_playwright() as pw, requests.Session() as session:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            cold, cold_outlined, _ = first_view(browser, url)  # the server's first answers to these queries
            for _ in range(rounds):
                took, with_outlines, calls = first_view(browser, url)
                views.append(took)
                outlined.append(with_outlines)
                same = [u for u in dict.fromkeys(calls) if urlsplit(u).netloc == urlsplit(url).netloc]
                floors.append(floor(session, same))
            browser.close()
    finally:
        stop_server(proc)
    view, base = statistics.median(views), statistics.median(floors)
    total = sum(w.values())
    print(f"\n{n:,} events, {rounds} rounds (median)")
    print(
        f"  first view (map, timeline, table): {view * 1000:7.0f} ms   target <= {FIRST_VIEW_TARGET_S * 1000:.0f} ms"
    )
    print(
        f"  first view, server cold (once):    {cold * 1000:7.0f} ms   (its overviews computed, not remembered)"
    )
    print(
        f"  ... with the country outlines too:  {statistics.median(outlined) * 1000:7.0f} ms   "
        f"(cold {cold_outlined * 1000:.0f} ms)"
    )
    print(f"  floor (its API requests in a row): {base * 1000:7.0f} ms   ratio {view / base:.2f}x")
    print("  page weight, gzip: " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in w.items()))
    print(f"  total {total / 1024:.1f} KB   target <= {WEIGHT_TARGET / 1024:.0f} KB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("Chromium is missing: apt-get install -y chromium", file=sys.stderr)
        return 2
    for n in args.sizes:
        run_size(n, args.work, args.rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
