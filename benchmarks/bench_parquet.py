"""Parquet against CSV, side by side, on a synthetic release: size, DuckDB answering "killed by
country and year", pandas loading the whole table.

    python benchmarks/bench_parquet.py [--sizes 100000 1000000] [--workdir DIR] [--repeat 3]
        [--package DIR]

Builds (or reuses) the release of bench_build.py's synthetic dataset (or reads the built package
`--package`), then for each size and each of events and events_flat prints the sizes, the best of
`--repeat` wall times of each reader over each format, and the ratios CSV / Parquet.

How each format is loaded, as a user would:
- pandas, CSV: `pd.read_csv` with the types the table schema in datapackage.json gives (integers
  Int64, numbers float64, booleans boolean, enums categorical with the schema's values, dates
  parsed as dates, the rest str; only "" is missing). Parquet: `pd.read_parquet(path)`, nothing
  else (the file's own types: Int64 counts, dates, categoricals). Then both Arrow-backed, as a
  user who wants speed writes it: `read_csv(engine="pyarrow", dtype_backend="pyarrow")` (enums
  still categorical, dates parsed) against `read_parquet(path, dtype_backend="pyarrow")`.
- DuckDB: `read_csv(path, header=true, sample_size=-1)` (every row sampled to type the columns)
  against `read_parquet(path)`, each query in a fresh connection.
Both files are read once before timing so that both come from the page cache.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import pandas
from bench_build import dataset_for

QUERIES = {
    "events": """
SELECT country, year(CAST(date_start AS DATE)) AS year, count(*) AS events,
       sum(casualties_killed_best) AS killed
FROM {source} GROUP BY ALL ORDER BY country, year
""",
    "events_flat": """
SELECT country, year(CAST(date_start AS DATE)) AS year, count(*) AS events,
       sum(killed_best) AS killed
FROM {source} GROUP BY ALL ORDER BY country, year
""",
}
RESOURCES = {"events": "events", "events_flat": "events-flat"}


def best_of(repeat: int, fn: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def duckdb_query(query: str, source: str) -> list[tuple[object, ...]]:
    con = duckdb.connect()
    try:
        return con.sql(query.format(source=source)).fetchall()
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


def csv_reader(package: Path, table: str, arrow: bool = False) -> Callable[[], Any]:
    """`pd.read_csv` of a table with the types of its table schema in datapackage.json (`arrow`:
    pyarrow's parser and Arrow-backed columns)."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    schema = next(r["schema"] for r in descriptor["resources"] if r["name"] == RESOURCES[table])
    dtype: dict[str, Any] = {}
    dates = []
    for field in schema["fields"]:
        kind, enum = field["type"], field.get("constraints", {}).get("enum")
        if kind == "date":
            dates.append(field["name"])
        else:
            dtype[field["name"]] = (
                "Int64"
                if kind == "integer"
                else "float64"
                if kind == "number"
                else "boolean"
                if kind == "boolean"
                else pandas.CategoricalDtype(enum)
                if enum
                else "str"
            )
    path = package / f"{table}.csv"
    if arrow:
        return lambda: pandas.read_csv(
            path,
            engine="pyarrow",
            dtype_backend="pyarrow",
            dtype={k: v for k, v in dtype.items() if v not in ("Int64", "str", "boolean")},
            parse_dates=dates,
            keep_default_na=False,
            na_values=[""],
        )
    return lambda: pandas.read_csv(
        path, dtype=dtype, parse_dates=dates, date_format="%Y-%m-%d", keep_default_na=False, na_values=[""]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Parquet vs CSV: size, DuckDB, pandas")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench")
    parser.add_argument("--package", type=Path, help="a built package to read (instead of --sizes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tables", nargs="+", choices=list(QUERIES), default=list(QUERIES))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(
        f"{'events':>10} {'table':>11} | {'CSV MiB':>8} {'Parquet MiB':>11} {'ratio':>6} | "
        f"{'DuckDB CSV s':>12} {'Parquet s':>9} {'ratio':>6} | {'pandas CSV s':>12} {'Parquet s':>9} {'ratio':>6} | "
        f"{'pandas[arrow] CSV s':>19} {'Parquet s':>9} {'ratio':>6}"
    )
    packages = [args.package] if args.package else [release_for(args.workdir, n) for n in args.sizes]
    for package in packages:
        for table in args.tables:
            query = QUERIES[table]
            csv_path, pq_path = package / f"{table}.csv", package / f"{table}.parquet"
            for p in (csv_path, pq_path):
                p.read_bytes()  # warm the page cache for both, untimed
            csv_mib, pq_mib = csv_path.stat().st_size / 2**20, pq_path.stat().st_size / 2**20
            csv_src = f"read_csv('{csv_path}', header = true, sample_size = -1)"
            pq_src = f"read_parquet('{pq_path}')"
            d_csv, r_csv = best_of(args.repeat, lambda q=query, s=csv_src: duckdb_query(q, s))
            d_pq, r_pq = best_of(args.repeat, lambda q=query, s=pq_src: duckdb_query(q, s))
            if r_csv != r_pq:
                print(f"DuckDB gives different answers over {table}.csv and .parquet", file=sys.stderr)
                return 1
            p_csv, f_csv = best_of(args.repeat, csv_reader(package, table))
            p_pq, f_pq = best_of(args.repeat, lambda p=pq_path: pandas.read_parquet(p))
            try:
                a_csv, _ = best_of(args.repeat, csv_reader(package, table, arrow=True))
            except pandas.errors.ParserError as exc:  # e.g. a value with a newline: pyarrow's chunker
                print(f"{table}: pd.read_csv(engine='pyarrow') fails: {exc}", file=sys.stderr)
                a_csv = float("nan")
            a_pq, _ = best_of(args.repeat, lambda p=pq_path: pandas.read_parquet(p, dtype_backend="pyarrow"))
            n = len(f_pq)  # type: ignore[arg-type]
            if len(f_csv) != n:  # type: ignore[arg-type]
                print("pandas read different numbers of rows", file=sys.stderr)
                return 1
            print(
                f"{n:>10,} {table:>11} | {csv_mib:>8.1f} {pq_mib:>11.1f} {csv_mib / pq_mib:>5.1f}x | "
                f"{d_csv:>12.3f} {d_pq:>9.3f} {d_csv / d_pq:>5.1f}x | "
                f"{p_csv:>12.3f} {p_pq:>9.3f} {p_csv / p_pq:>5.1f}x | "
                f"{a_csv:>19.3f} {a_pq:>9.3f} {a_csv / a_pq:>5.1f}x",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
