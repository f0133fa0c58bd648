"""Benchmark the API against Datasette and a bare WSGI floor, side by side, on a synthetic release.

For each size: a synthetic dataset (benchmarks/synthetic.py) is written and built into a release
(in a work directory, reused between runs), then three servers run in turn on the same cores under
the same load generator (wrk when installed, else a small Python keep-alive client):

  (a) this API: gunicorn, 2 gthread workers, `openstrikes.web:create_app()` over the release;
  (b) Datasette over a SQLite file holding the same rows (id, the filter/sort columns and the
      record), with composite (country, withdrawn, date_start) and (withdrawn, date_start) indexes
      that cover its count and page queries, queried with the equivalent URLs (one process,
      4 SQL threads, facet suggestions off: left on, they cost seconds per list page here);
  (c) a bare WSGI app under the same gunicorn settings returning a fixed body of the same size as
      (a)'s answer for each scenario (the floor: HTTP + WSGI and nothing else).

The API and its floor are up together and take turns in short rounds (the median of each figure
is reported, with each round's req/s), so a change in the machine's load hits both alike.

Scenarios: a list query (country filter, sorted by date, 50 events), a single event, and a deep
page (the page starting at 90% of the rows, e.g. event 900,000 of 1M: by cursor here, by Datasette's
own `_next` keyset token) next to the first page of the same order. Printed: req/s, p50 and p99
latency, and the ratios the targets are stated in.

Then the random query mixes (issue 17), over data spread like real data (synthetic.py spread=True):
per kind - list (country or body of water, a 1-5 year date window, half the time a strike type,
by date), single event, aggregates (by strike type, by month, by country and year, with random
filters), text, actor, casualty range, bbox, near - wrk replays a list of URLs drawn from random
events (every request a different URL), against this API and, where it has an equivalent, Datasette
(facets for aggregates). Printed: req/s, p50, p99, non-2xx per kind, the ratio to Datasette, memory
per API worker; before them, index time (cold start: time to the first answer with an empty index
cache) and index size next to the package size.

Setup (not needed by the tests):
    apt-get install -y wrk          # the load generator (optional; a Python one is used otherwise)
    .venv/bin/pip install -e ".[bench]"  # datasette, peer (b); skipped when missing

    python benchmarks/bench_api.py [--sizes 100000 1000000] [--seconds 10] [--connections 16]
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
VENV_BIN = Path(sys.executable).parent
WORKERS = 2
ROUNDS = 3  # the API and the bare WSGI floor alternate in this many rounds (median reported)
SETUP_TIMEOUT_S = 600.0


# --- the bare WSGI floor (served by gunicorn from this module) -----------------------------------

_FLOOR: dict[str, bytes] = {}


def floor_app(environ: dict[str, object], start_response: object) -> list[bytes]:
    """A WSGI app answering each path with a fixed body read from $BENCH_FLOOR_DIR/<path>.bin."""
    if not _FLOOR:
        for f in Path(os.environ["BENCH_FLOOR_DIR"]).glob("*.bin"):
            _FLOOR["/" + f.stem] = f.read_bytes()
    body = _FLOOR.get(str(environ.get("PATH_INFO")), b"{}")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])  # type: ignore[operator]
    return [body]


# --- data -------------------------------------------------------------------------------------------


def release_for(n: int, work: Path) -> Path:
    """The releases directory of a synthetic release of n events (built once, then reused)."""
    from openstrikes.package.build import build_package
    from synthetic import write_dataset

    root = work / f"n{n}"
    releases = root / "releases"  # spread like real data (synthetic.py spread=True)
    if any(releases.glob("*/datapackage.json")):
        return releases
    t0 = time.monotonic()
    dataset = write_dataset(root / "repo", n, seed=1, spread=True)
    build_package(dataset, releases, progress=False)
    print(f"  built the {n:,}-event release in {time.monotonic() - t0:.0f} s", flush=True)
    return releases


def datasette_db(store: object, target: Path) -> Path:
    """The same rows as a plain SQLite table for Datasette, indexed for the list query."""
    if target.exists():
        return target
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.execute(f"ATTACH DATABASE 'file:{store.db_path}?mode=ro' AS src")  # type: ignore[attr-defined]
    db.execute(
        "CREATE TABLE events AS SELECT rid AS rowid_, id, withdrawn, date_start, date_end, country, admin1, "
        "strike_type, status, outcome, killed_min, killed_max, latitude, longitude, water_body, "
        "substr(date_start, 1, 4) AS year, substr(date_start, 1, 7) AS month, CAST(b.body AS TEXT) AS record "
        "FROM src.events JOIN src.bodies b USING (rid) ORDER BY rid"
    )
    db.execute("CREATE UNIQUE INDEX ix_id ON events(id)")
    # Composite indexes that cover both Datasette's count and its page query for these URLs.
    db.execute("CREATE INDEX ix_country_date ON events(country, withdrawn, date_start)")
    db.execute("CREATE INDEX ix_date ON events(withdrawn, date_start)")
    db.execute("CREATE INDEX ix_water_date ON events(water_body, withdrawn, date_start)")
    for col in ("strike_type", "year", "month", "killed_max", "status", "outcome"):
        db.execute(f"CREATE INDEX ix_{col} ON events({col})")
    db.commit()
    db.execute("DETACH DATABASE src")
    db.execute("ANALYZE")
    db.close()
    tmp.rename(target)
    return target


def warm(path: Path) -> None:
    """Read a file once, so every server starts from the same warm page cache (Datasette's file is
    warmed the same way) instead of the first requests paying for a cold disk."""
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


# --- servers -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(cmd: list[str], env: dict[str, str], health: str) -> Iterator[str]:
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = urlsplit(health)
    PIDS[f"http://{base.hostname}:{base.port}"] = proc.pid
    deadline = time.monotonic() + 600
    try:
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"server {cmd[0]} exited: {err[-1500:]}")
            try:
                conn = http.client.HTTPConnection(base.hostname, base.port, timeout=5)
                conn.request("GET", base.path)
                if conn.getresponse().status < 500:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server {cmd[0]} did not start")
            time.sleep(0.3)
        yield f"http://{base.hostname}:{base.port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def gunicorn(app: str, env: dict[str, str], port: int, health: str) -> Iterator[str]:
    cmd = [str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-k", "gthread", "--threads", "4"]
    cmd += ["-b", f"127.0.0.1:{port}", "--keep-alive", "30", "--log-level", "warning", app]
    return server(cmd, env, f"http://127.0.0.1:{port}{health}")


PIDS: dict[str, int] = {}  # base URL -> the server's process (group leader)


def memory_mib(base: str) -> list[tuple[float, float, float]]:
    """(RSS, of it private anonymous memory, PSS) of each worker of a server, in MiB. RSS also
    counts file-backed pages (the interpreter's and libraries' code, shared with the other
    worker); the anonymous part is the worker's own."""
    pid = PIDS[base]
    kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    out = []
    for k in kids or [pid]:
        fields = {}
        for line in Path(f"/proc/{k}/smaps_rollup").read_text().splitlines()[1:]:
            name, _, rest = line.partition(":")
            fields[name] = int(rest.split()[0]) / 1024
        out.append((fields["Rss"], fields["Anonymous"], fields["Pss"]))
    return out


# --- load ----------------------------------------------------------------------------------------------


@dataclass
class Result:
    rps: float
    p50: float  # ms
    p99: float
    errors: int
    size: int


def median_result(rs: list[Result]) -> Result:
    """The median of each figure over rounds (errors summed)."""
    return Result(
        statistics.median(r.rps for r in rs),
        statistics.median(r.p50 for r in rs),
        statistics.median(r.p99 for r in rs),
        sum(r.errors for r in rs),
        rs[0].size,
    )


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def fetch(url: str) -> tuple[int, bytes]:
    u = urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request("GET", u.path + (f"?{u.query}" if u.query else ""))
    resp = conn.getresponse()
    return resp.status, resp.read()


def load(url: str, seconds: float, connections: int) -> Result:
    status, body = fetch(url)  # warm up, and check the answer
    if status != 200:
        raise SystemExit(f"{url} answered {status}: {body[:300]!r}")
    for _ in range(20):
        fetch(url)
    wrk = shutil.which("wrk")
    if wrk:
        return _wrk(wrk, [url], seconds, connections, len(body))
    return _python_load(url, seconds, connections, len(body))


WRK_MIX = """
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
local i = 0
function setup(thread) thread:set("first", math.random(#paths)) end
function init(args) i = tonumber(first) or 0 end
function request() i = i % #paths + 1; return wrk.format("GET", paths[i]) end
"""


def load_mix(base: str, paths: list[str], seconds: float, connections: int, work: Path) -> Result:
    """wrk replaying `paths` (each request the next one: every request a different URL)."""
    for path in paths[:3]:
        status, body = fetch(base + path)
        if status != 200:
            raise SystemExit(f"{base + path} answered {status}: {body[:300]!r}")
    script, listing = work / "mix.lua", work / "mix.paths"
    script.write_text(WRK_MIX)
    listing.write_text("\n".join(paths) + "\n")
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("the query mixes need wrk: apt-get install -y wrk")
    return _wrk(wrk, ["-s", str(script), base], seconds, connections, 0, {"WRK_PATHS": str(listing)})


def _wrk(
    wrk: str,
    target: list[str],
    seconds: float,
    connections: int,
    size: int,
    env: dict[str, str] | None = None,
) -> Result:
    """One wrk run (2 threads, `connections` connections, `seconds` long) and its figures."""
    out = subprocess.run(
        [
            wrk,
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds:g}s",
            "--timeout",
            "10s",
            "--latency",
            *target,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, **(env or {})),
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(errs.group(1)) if errs else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    return Result(rps, p50, p99, errors, size)


def _python_load(url: str, seconds: float, connections: int, size: int) -> Result:
    """Keep-alive GETs from `connections` threads (used when wrk is not installed)."""
    u = urlsplit(url)
    target = u.path + (f"?{u.query}" if u.query else "")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        mine = []
        while time.monotonic() < stop:
            t0 = time.perf_counter()
            conn.request("GET", target)
            resp = conn.getresponse()
            resp.read()
            mine.append((time.perf_counter() - t0) * 1000)
            if resp.status != 200:
                errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies) / seconds, q[49], q[98], errors[0], size)


# --- the run ---------------------------------------------------------------------------------------------


def cold_start(n: int, releases: Path, work: Path) -> None:
    """A replica starting on a release it has no index of: the index built from the package, then
    the first list request (it must not answer 503) and the first filtered count, timed. The
    OS page cache is left as it is (dropping it would disturb the rest of the machine)."""
    from openstrikes.web import create_app

    cache = work / f"n{n}" / f"cold-index-{os.getpid()}"
    shutil.rmtree(cache, ignore_errors=True)
    try:
        t0 = time.monotonic()
        app = create_app(releases, cache_dir=cache)
        built = time.monotonic() - t0
        client = app.test_client()
        t0 = time.monotonic()
        first = client.get("/v1/events?page_size=50")
        first_ms = (time.monotonic() - t0) * 1000
        t0 = time.monotonic()
        counted = client.get("/v1/events?country=SY&page_size=1")
        count_ms = (time.monotonic() - t0) * 1000
        print(
            f"  cold start: index built in {built:.1f} s (verify + build + default counts); "
            f"first list request {first.status_code} in {first_ms:.0f} ms; "
            f"first filtered count (country=SY) {counted.status_code} in {count_ms:.0f} ms",
            flush=True,
        )
        firsts = []
        for kind, query in COLD_QUERIES.items():
            t0 = time.monotonic()
            status = client.get(f"/v1/events?{query}&sort=date_start&page_size=50").status_code
            firsts.append(f"{kind} {status} in {(time.monotonic() - t0) * 1000:.0f} ms")
        print(f"  cold start, the first request of each filter kind: {'; '.join(firsts)}", flush=True)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


COLD_QUERIES = {  # one query of each filter kind, asked right after a cold start
    "text": "q=drone+depot&country=IQ",
    "actor": "actor=synthetic-actor-a-01&date_start__gte=2015-01-01",
    "casualty": "killed__gte=5&country=SY",
    "bbox": "bbox=40,33,42,36",
    "near": "near=34.4,41.0&radius_km=100",
}
PARTS = ("cold", "fixed", "mixes")  # cold start, one URL per scenario (with the floor), random mixes


def run_size(
    n: int,
    work: Path,
    seconds: float,
    connections: int,
    rounds: int = ROUNDS,
    parts: tuple[str, ...] = PARTS,
    kinds: tuple[str, ...] = (),
) -> None:
    from openstrikes.index.store import Store

    print(f"\n=== {n:,} events ===", flush=True)
    releases = release_for(n, work)
    if "cold" in parts:
        cold_start(n, releases, work)
    cache = work / f"n{n}" / "index"
    t0 = time.monotonic()
    # The set-up queries below are not measured: give them room on a cold disk.
    store = Store.open(next(releases.glob("*/datapackage.json")).parent, cache, timeout=SETUP_TIMEOUT_S)
    print(
        f"  index ready in {time.monotonic() - t0:.1f} s (verify + open; built once, cached by sha256)",
        flush=True,
    )
    package = store.package
    pkg_size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file())
    print(
        f"  index size {store.db_path.stat().st_size / 2**20:.0f} MiB next to the package's "
        f"{pkg_size / 2**20:.0f} MiB",
        flush=True,
    )
    t0 = time.monotonic()
    warm(store.db_path)
    print(f"  index file read once into the page cache in {time.monotonic() - t0:.1f} s", flush=True)
    env = dict(os.environ, OPENSTRIKES_RELEASES=str(releases), OPENSTRIKES_CACHE=str(cache))
    if "fixed" in parts:
        run_fixed(n, store, env, work, seconds, connections, rounds)
    if "mixes" in parts:
        print("\n  random query mixes:", flush=True)
        run_mixes(n, store, env, work / f"n{n}", seconds, connections, kinds)


def run_fixed(
    n: int, store: Any, env: dict[str, str], work: Path, seconds: float, connections: int, rounds: int
) -> None:
    """One URL per scenario, the API and its bare WSGI floor taking turns, then Datasette."""
    from openstrikes.index.cursor import encode_cursor, fingerprint
    from openstrikes.index.filters import where_clause

    country = store.query("SELECT country FROM events GROUP BY country ORDER BY count(*) DESC LIMIT 1")[0][
        0
    ].decode()
    live = store.query("SELECT count(*) FROM events WHERE withdrawn = 0")[0][0]
    deep_at = int(live * 0.9)
    value, rid = store.query(
        "SELECT date_start, rid FROM events WHERE withdrawn = 0 ORDER BY date_start, rid LIMIT 1 OFFSET ?",
        (deep_at - 1,),
    )[0]
    where = where_clause({}, store.actor_ids_for)
    cursor = encode_cursor(fingerprint(store.sha256, where, "date_start"), value.decode(), rid, deep_at)
    one = store.query("SELECT id FROM events WHERE rid = ?", (max(1, n // 2),))[0][0].decode()
    ours = {
        "list": f"/v1/events?country={country}&sort=date_start&page_size=50",
        "single": f"/v1/events/{one}",
        "first page": "/v1/events?sort=date_start&page_size=50",
        "deep page": f"/v1/events?sort=date_start&page_size=50&cursor={cursor}",
    }
    ds_next = f"{value.decode()},{rid}"
    theirs = {
        "list": f"/bench/events.json?country__exact={country}&withdrawn__exact=0&_sort=date_start&_size=50",
        "single": f"/bench/events.json?id__exact={one}&_size=1",
        "first page": "/bench/events.json?withdrawn__exact=0&_sort=date_start&_size=50",
        "deep page": f"/bench/events.json?withdrawn__exact=0&_sort=date_start&_size=50&_next={ds_next}",
    }
    results: dict[tuple[str, str], Result] = {}
    floor_dir = work / f"n{n}" / "floor"
    floor_dir.mkdir(exist_ok=True)
    env_floor = dict(os.environ, BENCH_FLOOR_DIR=str(floor_dir), PYTHONPATH=str(HERE))
    with gunicorn("openstrikes.web:create_app()", env, free_port(), "/v1/health") as base:
        for name, path in ours.items():  # the floor answers each scenario with the API's own bytes
            (floor_dir / f"{name.replace(' ', '_')}.bin").write_bytes(fetch(base + path)[1])
        with gunicorn("bench_api:floor_app", env_floor, free_port(), "/list") as floor:
            # Both servers are up (the idle one costs nothing); the API and its floor take turns in
            # short rounds, so a change in the machine's load hits both alike.
            runs: dict[tuple[str, str], list[Result]] = {}
            per = max(1.0, round(seconds / rounds))
            for _ in range(rounds):
                for name, path in ours.items():
                    runs.setdefault(("api", name), []).append(load(base + path, per, connections))
                    if name in ("list", "single"):
                        url = floor + "/" + name.replace(" ", "_")
                        runs.setdefault(("floor", name), []).append(load(url, per, connections))
    for (srv, name), rs in runs.items():
        results[(srv, name)] = r = median_result(rs)
        label = "api" if srv == "api" else "bare WSGI"
        print(
            f"  {label:<10} {name:<10} {r.rps:8.0f} req/s  p50 {r.p50:6.2f} ms  p99 {r.p99:6.2f} ms"
            f"  (rounds: {', '.join(f'{x.rps:.0f}' for x in rs)} req/s)",
            flush=True,
        )
    datasette = shutil.which("datasette") or (
        str(VENV_BIN / "datasette") if (VENV_BIN / "datasette").exists() else None
    )
    if datasette:
        db = datasette_db(store, work / f"n{n}" / "bench.db")
        warm(db)
        port = free_port()
        cmd = [datasette, "serve", "-i", str(db), "-p", str(port), "-h", "127.0.0.1"]
        cmd += ["--setting", "sql_time_limit_ms", "5000", "--setting", "num_sql_threads", str(WORKERS * 2)]
        cmd += ["--setting", "suggest_facets", "off"]  # on by default, they take seconds per page here
        with server(cmd, dict(os.environ), f"http://127.0.0.1:{port}/-/versions.json") as base:
            for name, path in theirs.items():
                results[("datasette", name)] = r = load(base + path, seconds, connections)
                print(
                    f"  datasette  {name:<10} {r.rps:8.0f} req/s  p50 {r.p50:6.2f} ms  p99 {r.p99:6.2f} ms",
                    flush=True,
                )
    else:
        print("  datasette: not installed (pip install datasette) - skipped")
    report(n, results, connections, runs)


MIX_SIZE = 40_000  # URLs per query kind (more than a run sends: every request a different URL)
DS_KINDS = ("list", "single", "agg strike_type", "agg month", "agg country,year")


def _window(rng: random.Random) -> tuple[str, str]:
    """A random date window of one to five years."""
    start = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 365 * 20))
    return start.isoformat(), (start + timedelta(days=rng.randint(365, 5 * 365))).isoformat()


def mixes(store: Any, rng: random.Random) -> dict[str, tuple[list[str], list[str]]]:
    """Per query kind: our URLs and Datasette's equivalents (empty where it has none). Each URL is
    drawn from a random event, so places and dates are as skewed as the data."""
    from synthetic import STRIKE_TYPES, WORDS, actor_ids

    rows = store.query(
        "SELECT id, country, water_body, latitude, longitude FROM events ORDER BY random() LIMIT ?",
        (MIX_SIZE,),
    )
    actors = actor_ids()
    out: dict[str, tuple[list[str], list[str]]] = {}

    def add(kind: str, ours: str, theirs: str = "") -> None:
        pair = out.setdefault(kind, ([], []))
        pair[0].append(ours)
        if theirs:
            pair[1].append(theirs)

    for ident, country, water, lat, lon in rows:
        place = ("country", country.decode()) if country else ("water_body", water.decode())
        where, ds_where = f"{place[0]}={place[1]}", f"{place[0]}__exact={place[1]}&withdrawn__exact=0"
        lo, hi = _window(rng)
        st = rng.choice(STRIKE_TYPES)
        typed = rng.random() < 0.5
        page = "sort=date_start&page_size=50"
        add(
            "list",
            f"/v1/events?{where}&date_start__gte={lo}&date_start__lte={hi}"
            + (f"&strike_type={st}" if typed else "")
            + f"&{page}",
            f"/bench/events.json?{ds_where}&date_start__gte={lo}&date_start__lte={hi}"
            + (f"&strike_type__exact={st}" if typed else "")
            + "&_sort=date_start&_size=50",
        )
        add(
            "single", f"/v1/events/{ident.decode()}", f"/bench/events.json?id__exact={ident.decode()}&_size=1"
        )
        add(
            "agg strike_type",
            f"/v1/aggregates?group_by=strike_type&{where}&date_start__gte={lo}",
            f"/bench/events.json?{ds_where}&date_start__gte={lo}&_facet=strike_type&_size=0",
        )
        add(
            "agg month",
            f"/v1/aggregates?group_by=month&{where}&date_start__gte={lo}&date_start__lte={hi}",
            f"/bench/events.json?{ds_where}&date_start__gte={lo}&date_start__lte={hi}&_facet=month&_size=0",
        )
        add(
            "agg country,year",
            f"/v1/aggregates?group_by=country,year&strike_type={st}&date_start__gte={lo}",
            f"/bench/events.json?strike_type__exact={st}&withdrawn__exact=0&date_start__gte={lo}"
            "&_facet=country&_facet=year&_size=0",
        )
        add("text", f"/v1/events?q={rng.choice(WORDS)}+{rng.choice(WORDS)}&{where}&{page}")
        add(
            "actor", f"/v1/events?actor={rng.choice(actors)}&date_start__gte={lo}&date_start__lte={hi}&{page}"
        )
        add("casualty", f"/v1/events?killed__gte={rng.randint(1, 14)}&{where}&date_start__gte={lo}&{page}")
        if lat is not None:
            d = rng.uniform(0.3, 2.0)
            add("bbox", f"/v1/events?bbox={lon - d:.3f},{lat - d:.3f},{lon + d:.3f},{lat + d:.3f}&{page}")
            add("near", f"/v1/events?near={lat:.4f},{lon:.4f}&radius_km={rng.randint(10, 150)}&{page}")
    for _ident, country, water, lat, lon in rows:  # the explorer's map and timeline (issue 16)
        add("grid", explorer_grid(rng, lat, lon, _explorer_filter(rng, country, water)))
        add("histogram", explorer_histogram(_explorer_filter(rng, country, water)))
    return out


def _explorer_filter(rng: random.Random, country: bytes | None, water: bytes | None) -> str:
    """A random filter of the explorer's form: none, a brushed date window (a few days to five
    years), one or two strike types, the event's country or sea, or two of these."""
    from synthetic import STRIKE_TYPES

    parts = {}
    for pick in sorted(rng.sample(range(3), rng.choice((0, 1, 1, 2)))):
        if pick == 0:
            start = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 365 * 24))
            days = rng.choice((rng.randint(3, 92), rng.randint(93, 730), rng.randint(731, 5 * 365)))
            parts[pick] = f"date_start__gte={start}&date_start__lte={start + timedelta(days=days)}"
        elif pick == 1:
            parts[pick] = "strike_type__in=" + ",".join(sorted(rng.sample(STRIKE_TYPES, rng.randint(1, 2))))
        else:
            parts[pick] = f"country={country.decode()}" if country else f"water_body={water.decode()}"
    return "&".join(parts.values())


def explorer_grid(rng: random.Random, lat: float | None, lon: float | None, filters: str) -> str:
    """The explorer's /grid request for a random view: centred on an event (or the default
    centre), zoom 2 to 10 of a 900 x 450 px map, the cell size its zoom gives (explorer.js)."""
    zoom = rng.randint(2, 10)
    lat = 30.0 if lat is None else lat
    lon = 40.0 if lon is None else lon
    half_w = 900 / (256 * 2**zoom) * 180
    half_h = half_w / 2
    box = (max(-180, lon - half_w), max(-90, lat - half_h), min(180, lon + half_w), min(90, lat + half_h))
    bbox = ",".join(f"{x:.4f}" for x in box)
    cell = f"{max(0.001, min(90, 360 / 2**zoom / 6)):.3g}"
    return f"/v1/grid?bbox={bbox}&cell={cell}" + (f"&{filters}" if filters else "")


def explorer_histogram(filters: str) -> str:
    """The explorer's /histogram request: per day up to 92 days, per week up to 730, else month."""
    m = re.search(r"date_start__gte=([\d-]+)&date_start__lte=([\d-]+)", filters)
    days = (date.fromisoformat(m.group(2)) - date.fromisoformat(m.group(1))).days if m else 10**6
    interval = "day" if days <= 92 else "week" if days <= 730 else "month"
    return f"/v1/histogram?interval={interval}" + (f"&{filters}" if filters else "")


def run_mixes(
    n: int,
    store: Any,
    env: dict[str, str],
    work: Path,
    seconds: float,
    connections: int,
    only: tuple[str, ...] = (),
) -> None:
    """The random query mixes: each kind against this API, and Datasette where it has an equivalent.
    `only`: these kinds (all when empty)."""
    kinds = {k: v for k, v in mixes(store, random.Random(n)).items() if not only or k in only}
    ours: dict[str, Result] = {}
    theirs: dict[str, Result] = {}
    with gunicorn("openstrikes.web:create_app()", env, free_port(), "/v1/health") as base:
        for kind, (paths, _) in kinds.items():
            ours[kind] = r = load_mix(base, paths, seconds, connections, work)
            print(
                f"  api        {kind:<17} {r.rps:8.0f} req/s  p50 {r.p50:6.2f} ms  p99 {r.p99:6.2f} ms"
                f"  non-2xx/errors {r.errors}",
                flush=True,
            )
        memory = memory_mib(base)
    datasette = shutil.which("datasette") or (
        str(VENV_BIN / "datasette") if (VENV_BIN / "datasette").exists() else None
    )
    if datasette:
        db = datasette_db(store, work / "bench.db")
        warm(db)
        port = free_port()
        cmd = [datasette, "serve", "-i", str(db), "-p", str(port), "-h", "127.0.0.1"]
        cmd += ["--setting", "sql_time_limit_ms", "5000", "--setting", "num_sql_threads", str(WORKERS * 2)]
        cmd += ["--setting", "suggest_facets", "off", "--setting", "facet_time_limit_ms", "5000"]
        with server(cmd, dict(os.environ), f"http://127.0.0.1:{port}/-/versions.json") as dbase:
            for kind in (k for k in DS_KINDS if k in kinds):
                theirs[kind] = r = load_mix(dbase, kinds[kind][1], seconds, connections, work)
                print(
                    f"  datasette  {kind:<17} {r.rps:8.0f} req/s  p50 {r.p50:6.2f} ms  p99 {r.p99:6.2f} ms"
                    f"  non-2xx/errors {r.errors}",
                    flush=True,
                )
    print(f"\n  {n:,} events, random mixes (wrk, {connections} connections, every request a different URL;")
    print("  the servers ran one after the other on this shared 2-core machine: compare the ratios)")
    print(
        f"  {'kind':<17} {'api req/s':>10} {'p50 ms':>7} {'p99 ms':>7} {'err':>5} {'datasette':>10} {'ratio':>7}"
    )
    for kind, r in ours.items():
        t = theirs.get(kind)
        ratio = f"{r.rps / t.rps:6.1f}x" if t and t.rps else ""
        ds = f"{t.rps:10.0f}" if t else f"{'-':>10}"
        print(f"  {kind:<17} {r.rps:10.0f} {r.p50:7.2f} {r.p99:7.2f} {r.errors:5d} {ds} {ratio:>7}")
    for rss, anon, pss in memory:
        print(
            f"  memory of an API worker after the mixes: RSS {rss:.0f} MiB, of which anonymous "
            f"{anon:.0f} MiB (the rest: file-backed, shared); PSS {pss:.0f} MiB"
        )


def report(
    n: int,
    results: dict[tuple[str, str], Result],
    connections: int,
    runs: dict[tuple[str, str], list[Result]],
) -> None:
    gen = "wrk" if shutil.which("wrk") else "python keep-alive client"
    print(
        f"\n  {n:,} events - {gen}, {connections} connections, {os.cpu_count()} cores, gunicorn {WORKERS} workers"
    )
    print(
        f"  {'server':<10} {'scenario':<11} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'bytes':>8}"
    )
    for (srv, name), r in results.items():
        print(f"  {srv:<10} {name:<11} {r.rps:9.0f} {r.p50:8.2f} {r.p99:8.2f} {r.errors:7d} {r.size:8d}")
    api = {name: r for (srv, name), r in results.items() if srv == "api"}
    ds = {name: r for (srv, name), r in results.items() if srv == "datasette"}
    print("  ratios:")

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("inf")

    if "list" in ds:
        print(
            f"    list: api / datasette req/s        = {ratio(api['list'].rps, ds['list'].rps):6.2f}  (target >= 3)"
        )
        print(
            f"    deep page: api / datasette req/s   = {ratio(api['deep page'].rps, ds['deep page'].rps):6.2f}"
        )
        print(f"    single: api / datasette req/s      = {ratio(api['single'].rps, ds['single'].rps):6.2f}")
    print(
        f"    list: api req/s                    = {api['list'].rps:6.0f}  (target >= 1000 at 1M), p99 {api['list'].p99:.1f} ms (target <= 50)"
    )

    def to_floor(name: str) -> str:
        """The median over rounds of (API / floor) in the same round: the two ran a few seconds
        apart, so a change in the machine's load between rounds cancels out."""
        pairs = list(zip(runs[("api", name)], runs[("floor", name)], strict=True))
        each = [ratio(a.rps, f.rps) for a, f in pairs]
        return f"{statistics.median(each):6.2f}  (rounds: {', '.join(f'{x:.2f}' for x in each)})"

    print(f"    list: api / bare WSGI req/s        = {to_floor('list')}")
    print(f"    single: api / bare WSGI req/s      = {to_floor('single')}  (target >= 0.7)")
    print(
        f"    deep page p50 / first page p50     = {ratio(api['deep page'].p50, api['first page'].p50):6.2f}  (target <= 1.5)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds",
        type=int,
        default=ROUNDS,
        help="turns of the API and its floor (--seconds split over them)",
    )
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench-api")
    parser.add_argument("--cold-start-only", action="store_true", help="only the cold start of each size")
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS), help="what to run")
    parser.add_argument(
        "--kinds", nargs="+", default=[], help="only these kinds of the mixes (e.g. list text)"
    )
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        if args.cold_start_only:
            print(f"\n=== {n:,} events ===", flush=True)
            cold_start(n, release_for(n, args.workdir), args.workdir)
        else:
            run_size(
                n,
                args.workdir,
                args.seconds,
                args.connections,
                args.rounds,
                tuple(args.parts),
                tuple(args.kinds),
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
