"""Parquet against CSV, side by side, on a synthetic release: size, DuckDB answering "killed by
country and year", pandas loading the whole events table.

    python benchmarks/bench_parquet.py [--sizes 100000 1000000] [--workdir DIR] [--repeat 3]

Builds (or reuses) the release of bench_build.py's synthetic dataset, then for each size prints
the best of `--repeat` wall times of each reader over each format and the ratios CSV / Parquet.
Each query runs in a fresh DuckDB connection (no cache between runs); the files are read once
before timing so that both formats come from the page cache.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import pandas
from bench_build import dataset_for

QUERY = """
SELECT country, year(CAST(date_start AS DATE)) AS year, count(*) AS events,
       sum(casualties_killed_best) AS killed
FROM {source} GROUP BY ALL ORDER BY country, year
"""


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def duckdb_query(source: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        return con.sql(QUERY.format(source=source)).fetchall()
    finally:
        con.close()


def release_for(workdir: Path, n: int) -> Path:
    out = workdir / f"release-{n}"
    done = next(out.glob("*/datapackage.json"), None)
    if done is not None:
        return done.parent
    root = dataset_for(workdir, n, 1)
    os.environ["OPENSTRIKES_ROOT"] = str(root)
    from openstrikes.package.build import build_package

    print(f"building {n:,} events ...", file=sys.stderr, flush=True)
    return build_package(root / "dataset", out, progress=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Parquet vs CSV: size, DuckDB, pandas")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'events':>10} | {'CSV MiB':>8} {'Parquet MiB':>11} {'ratio':>6} | "
        f"{'DuckDB CSV s':>12} {'Parquet s':>9} {'ratio':>6} | {'pandas CSV s':>12} {'Parquet s':>9} {'ratio':>6} | "
        f"{'pandas[arrow] CSV s':>19} {'Parquet s':>9} {'ratio':>6}"
    )
    for n in args.sizes:
        package = release_for(args.workdir, n)
        csv_path, pq_path = package / "events.csv", package / "events.parquet"
        for p in (csv_path, pq_path):
            p.read_bytes()  # warm the page cache for both, untimed
        csv_mib, pq_mib = csv_path.stat().st_size / 2**20, pq_path.stat().st_size / 2**20
        csv_src = f"read_csv('{csv_path}', header = true, sample_size = -1)"
        pq_src = f"read_parquet('{pq_path}')"
        d_csv, r_csv = best_of(args.repeat, lambda s=csv_src: duckdb_query(s))
        d_pq, r_pq = best_of(args.repeat, lambda s=pq_src: duckdb_query(s))
        if r_csv != r_pq:
            print("DuckDB gives different answers over the CSV and the Parquet file", file=sys.stderr)
            return 1
        p_csv, f_csv = best_of(args.repeat, lambda p=csv_path: pandas.read_csv(p, keep_default_na=False))
        p_pq, f_pq = best_of(args.repeat, lambda p=pq_path: pandas.read_parquet(p))
        # Arrow-backed frames on both sides: lists stay Arrow lists instead of numpy object arrays
        a_csv, _ = best_of(
            args.repeat, lambda p=csv_path: pandas.read_csv(p, engine="pyarrow", dtype_backend="pyarrow")
        )
        a_pq, _ = best_of(args.repeat, lambda p=pq_path: pandas.read_parquet(p, dtype_backend="pyarrow"))
        if not len(f_csv) == len(f_pq) == n:  # type: ignore[arg-type]
            print("pandas read different numbers of rows", file=sys.stderr)
            return 1
        print(
            f"{n:>10,} | {csv_mib:>8.1f} {pq_mib:>11.1f} {csv_mib / pq_mib:>5.1f}x | "
            f"{d_csv:>12.3f} {d_pq:>9.3f} {d_csv / d_pq:>5.1f}x | {p_csv:>12.3f} {p_pq:>9.3f} {p_csv / p_pq:>5.1f}x | "
            f"{a_csv:>19.3f} {a_pq:>9.3f} {a_csv / a_pq:>5.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
