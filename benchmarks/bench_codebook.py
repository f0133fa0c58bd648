"""Benchmark the codebook's counts and `sort=distance` against a peer (the code of a git ref, by
default main before they changed), side by side on the same release.

    python benchmarks/bench_codebook.py RELEASE_DIR --workdir DIR
        [--peer-ref 29ffd5e] [--this-ref REF] [--rounds 3] [--only index codebook distance] [--queries 40] [--seed 1]

RELEASE_DIR is a built package (e.g. `releases/openstrikes-synthetic-0.1.0` of a `bench_build.py`
workdir); it is only read. Each code gets its own index cache under the workdir. Every measurement runs in
a fresh child process, the two codes alternating round by round:

- index: the index build (`Store.open` on an empty cache: verify the package, build, open):
  wall seconds and the index file's size.
- codebook: with the index built, the app made, then the first and the second GET /docs/codebook
  and the first GET /docs/codebook.md (what a new worker's first visitor waits for).
- distance: GET /v1/events?near=..&radius_km=..&sort=distance for random centres (each near a
  random located event of the release, jittered by up to 2 degrees) and wide radii (300 to
  3000 km), each query's first page of 100 and the page after its cursor; per code, the median
  and 90th percentile per request and the sum. The ids returned by both codes must be the same
  (a digest is compared), so the ratio compares equal answers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

CHILD_INDEX = """
import json, shutil, sys, time
from pathlib import Path
from openstrikes.index.store import Store
package, cache = Path(sys.argv[1]), Path(sys.argv[2])
shutil.rmtree(cache, ignore_errors=True)
t0 = time.perf_counter()
store = Store.open(package, cache)
took = time.perf_counter() - t0
print(json.dumps({"build_s": took, "bytes": store.db_path.stat().st_size}))
"""

CHILD_CODEBOOK = """
import hashlib, json, sys, time
from pathlib import Path
from openstrikes.web import create_app
releases, cache = Path(sys.argv[1]), Path(sys.argv[2])
t0 = time.perf_counter()
client = create_app(releases, cache_dir=cache).test_client()
out = {"app_s": time.perf_counter() - t0}
for name, url in (("first_html_s", "/docs/codebook"), ("second_html_s", "/docs/codebook"),
                  ("first_md_s", "/docs/codebook.md")):
    t = time.perf_counter()
    resp = client.get(url)
    out[name] = time.perf_counter() - t
    assert resp.status_code == 200, resp.status_code
out["md_bytes"] = len(resp.get_data())
out["md_sha256"] = hashlib.sha256(resp.get_data()).hexdigest()
print(json.dumps(out))
"""

CHILD_DISTANCE = """
import hashlib, json, random, sqlite3, sys, time
from pathlib import Path
from openstrikes.web import create_app
releases, cache, n, seed = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
app = create_app(releases, cache_dir=cache)
client = app.test_client()
store = next(iter(app.extensions["openstrikes"].releases.values())).store
points = store.query("SELECT latitude, longitude FROM events WHERE latitude IS NOT NULL ORDER BY rid")
rng = random.Random(seed)
client.get("/v1/events", query_string={"near": "33,44", "radius_km": "1", "sort": "distance"})  # warm
times, digest = [], hashlib.sha256()
for _ in range(n):
    lat, lon = rng.choice(points)
    lat = max(-89.0, min(89.0, lat + rng.uniform(-2, 2)))
    lon = max(-179.0, min(179.0, lon + rng.uniform(-2, 2)))
    q = {"near": f"{lat:.4f},{lon:.4f}", "radius_km": f"{rng.uniform(300, 3000):.1f}",
         "sort": "distance", "page_size": "100"}
    for _page in range(2):
        t = time.perf_counter()
        resp = client.get("/v1/events", query_string=q)
        times.append(time.perf_counter() - t)
        assert resp.status_code == 200, resp.get_data()[:300]
        body = resp.get_json()
        digest.update(json.dumps([body["total"], [e["id"] for e in body["items"]]]).encode())
        if not body.get("next_cursor"):
            break
        q = {**q, "cursor": body["next_cursor"]}
print(json.dumps({"times": times, "digest": digest.hexdigest()}))
"""


def peer_code(workdir: Path, ref: str) -> Path:
    """The `api` folder of git `ref` (and the schemas), extracted once under the workdir."""
    code = workdir / f"code-{ref}"
    if not (code / "api").is_dir():
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "api", "schema"], capture_output=True
        )
        if archive.returncode != 0:
            sys.exit(f"git archive {ref} failed: {archive.stderr.decode()[:200]}")
        code.mkdir(parents=True, exist_ok=True)
        subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    return code


def run(code: Path | None, child: str, *args: str) -> dict[str, object]:
    env = dict(os.environ)
    if code is not None:  # the peer: its own code first on the path
        env["PYTHONPATH"] = str(code / "api")
        env["OPENSTRIKES_ROOT"] = str(code)
    done = subprocess.run(
        [sys.executable, "-c", child, *args], capture_output=True, text=True, env=env, check=False
    )
    if done.returncode != 0:
        sys.exit(f"child failed:\n{done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="codebook counts and sort=distance vs a peer")
    parser.add_argument("release", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "codebook-bench")
    parser.add_argument("--peer-ref", default="29ffd5e")
    parser.add_argument("--this-ref", help="run this side from a git ref too (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", nargs="+", default=["index", "codebook", "distance"])
    args = parser.parse_args(argv)
    package = args.release.resolve()
    work = args.workdir.resolve()
    # a releases folder holding only this package, for the app
    releases = work / "releases"
    releases.mkdir(parents=True, exist_ok=True)
    link = releases / package.name
    if not link.exists():
        link.symlink_to(package)
    this_code = peer_code(work, args.this_ref) if args.this_ref else None
    codes: dict[str, Path | None] = {
        f"peer {args.peer_ref}": peer_code(work, args.peer_ref),
        "this": this_code,
    }
    caches = {name: work / f"index-{i}" for i, name in enumerate(codes)}
    print(f"release {package}, {args.rounds} rounds, codes alternating: {', '.join(codes)}")

    if "index" in args.only:
        got: dict[str, list[dict[str, object]]] = {name: [] for name in codes}
        for r in range(args.rounds):
            for name, code in codes.items() if r % 2 == 0 else reversed(codes.items()):
                res = run(code, CHILD_INDEX, str(package), str(caches[name]))
                got[name].append(res)
                print(f"  index round {r + 1} {name}: build {res['build_s']:.2f} s, {res['bytes']} bytes")
        med = {name: statistics.median(float(x["build_s"]) for x in rs) for name, rs in got.items()}
        size = {name: int(rs[-1]["bytes"]) for name, rs in got.items()}  # type: ignore[call-overload]
        peer, this = list(codes)
        print(
            f"index build median: {peer} {med[peer]:.2f} s, this {med[this]:.2f} s, "
            f"this/peer {med[this] / med[peer]:.3f}; size {size[peer]} -> {size[this]} bytes "
            f"(this/peer {size[this] / size[peer]:.4f})"
        )
    for name, code in codes.items():  # the later parts need each code's index
        if not any(caches[name].glob("*.sqlite")):
            run(code, CHILD_INDEX, str(package), str(caches[name]))

    if "codebook" in args.only:
        cb: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
        for r in range(args.rounds):
            for name, code in codes.items() if r % 2 == 0 else reversed(codes.items()):
                res = run(code, CHILD_CODEBOOK, str(releases), str(caches[name]))
                cb[name].append(res)  # type: ignore[arg-type]
                print(
                    f"  codebook round {r + 1} {name}: app {res['app_s']:.3f} s, first /docs/codebook "
                    f"{res['first_html_s']:.3f} s, second {res['second_html_s']:.4f} s, first .md "
                    f"{res['first_md_s']:.4f} s ({res['md_bytes']} bytes)"
                )
        same_md = len({x["md_sha256"] for rs in cb.values() for x in rs}) == 1
        print(f"codebook Markdown identical between the codes: {same_md}")
        for name in codes:
            print(
                f"codebook median {name}: first /docs/codebook "
                f"{statistics.median(x['first_html_s'] for x in cb[name]):.3f} s"
            )
        peer, this = list(codes)
        a = statistics.median(x["first_html_s"] for x in cb[peer])
        b = statistics.median(x["first_html_s"] for x in cb[this])
        print(f"first /docs/codebook peer/this: {a / b:.1f}x")

    if "distance" in args.only:
        dist: dict[str, list[float]] = {name: [] for name in codes}
        digests: dict[str, set[str]] = {name: set() for name in codes}
        for r in range(args.rounds):
            for name, code in codes.items() if r % 2 == 0 else reversed(codes.items()):
                res = run(
                    code, CHILD_DISTANCE, str(releases), str(caches[name]), str(args.queries), str(args.seed)
                )
                times = [float(t) for t in res["times"]]  # type: ignore[attr-defined]
                dist[name] += times
                digests[name].add(str(res["digest"]))
                print(
                    f"  distance round {r + 1} {name}: {len(times)} requests, median "
                    f"{statistics.median(times) * 1000:.1f} ms, sum {sum(times):.2f} s"
                )
        same = len({d for ds in digests.values() for d in ds}) == 1
        print(f"distance answers identical between the codes: {same}")
        for name, times in dist.items():
            q = statistics.quantiles(times, n=10)
            print(
                f"distance {name}: {len(times)} requests, median {statistics.median(times) * 1000:.1f} ms, "
                f"p90 {q[-1] * 1000:.1f} ms, sum {sum(times):.2f} s"
            )
        peer, this = list(codes)
        ratio = statistics.median(dist[peer]) / statistics.median(dist[this])
        print(
            f"distance median peer/this: {ratio:.2f}x; sum peer/this {sum(dist[peer]) / sum(dist[this]):.2f}x"
        )
        if not same:
            print("WARNING: the codes answered differently", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
