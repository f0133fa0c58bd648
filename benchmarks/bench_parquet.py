"""Parquet against CSV, side by side, on a synthetic release: size, DuckDB answering "killed by
country and year", pandas loading the whole table.

    python benchmarks/bench_parquet.py [--sizes 100000 1000000] [--workdir DIR] [--repeat 3]
        [--package DIR] [--tables events events_flat]

Builds (or reuses) the release of bench_build.py's synthetic dataset (or reads the built package
`--package`), then for each size and each of events and events_flat prints the sizes and, for
each pair of readers, the best of `--repeat` wall times over the CSV and over the Parquet file,
and the ratio CSV / Parquet. Both files are read once before timing so that both come from the
page cache. Each pandas load runs in a fresh child process, as in a user's new session: pandas
imported and each reader called once on the small actors table first (untimed), then only the
load is timed. (In one long process a load's time depends on the memory the loads before it
left behind: the frames of a million rows are gigabytes.)

The pairs, every one printed:
- DuckDB: `read_csv(path, header=true, sample_size=-1)` (every row sampled to type the columns)
  against `read_parquet(path)`, each query in a fresh connection; the answers must be equal.
- pandas, default: what a user types, `pd.read_csv(path)` against `pd.read_parquet(path)`. The
  frames differ: the CSV's counts with a null become float64, dates and enums stay text, lists
  stay their text; the Parquet file's own `pandas` metadata gives Int64, dates, categoricals,
  and lists come as lists (a numpy array per cell).
- pandas, typed: `pd.read_csv` with the types the table schema in datapackage.json gives
  (integers Int64, numbers float64, booleans boolean, enums categorical with the schema's
  values, dates parsed by `parse_dates`, the rest str; only "" is missing) against
  `pd.read_parquet(path)`. Lists stay their text on the CSV side.
- pandas, typed, dates after: the same types but the dates converted after the read
  (`parse_dates` keeps pandas' parser on one thread; without it the parser uses every core).
- pandas, same frame: "typed, dates after" with the list columns parsed too (events: JSON
  arrays; events_flat: `; `-joined, "" an empty list), so that both sides hold the same values
  (checked, untimed: equal nulls in every column and equal lists; events_flat's CSV cannot tell
  [] from [""], so its lists are compared joined), against `pd.read_parquet(path)`.
- the same frame, the Parquet side by the client, `release.to_pandas(table)` (the file checked
  against its sha256, list columns Arrow-backed; checked like the CSV), the release opened
  (`open_release(package)`) before the timing.
- pandas, Arrow-backed: `read_csv(engine="pyarrow", dtype_backend="pyarrow")` (enums still
  categorical, dates parsed; lists text) against `read_parquet(path, dtype_backend="pyarrow")`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import duckdb
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
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
# How each table's CSV writes a list cell: events a JSON array, events_flat the items joined.
LIST_SEPARATOR = {"events": None, "events_flat": "; "}
# Run in a child: time one pandas load (after the imports and a warm-up on the actors table).
CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import bench_parquet
from pathlib import Path
package, table, reader = Path(sys.argv[2]), sys.argv[3], sys.argv[4]
load = bench_parquet.READERS[reader](package, table)
bench_parquet.READERS[reader](package, "actors")()
t0 = time.perf_counter()
frame = load()
print(json.dumps({"seconds": time.perf_counter() - t0, "rows": len(frame)}))
"""


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


def schema_dtypes(package: Path, table: str) -> tuple[dict[str, Any], list[str]]:
    """The pandas dtypes of a table's columns by its table schema in datapackage.json (dates
    apart), and its date columns."""
    descriptor = json.loads((package / "datapackage.json").read_text(encoding="utf-8"))
    resource = RESOURCES.get(table, table)
    schema = next(r["schema"] for r in descriptor["resources"] if r["name"] == resource)
    dtype: dict[str, Any] = {}
    dates = []
    for field in schema["fields"]:
        kind, enum = field["type"], field.get("constraints", {}).get("enum")
        if kind == "date":
            dates.append(field["name"])
        elif kind == "integer":
            dtype[field["name"]] = "Int64"
        elif kind == "number":
            dtype[field["name"]] = "float64"
        elif kind == "boolean":
            dtype[field["name"]] = "boolean"
        else:
            dtype[field["name"]] = pandas.CategoricalDtype(enum) if enum else "str"
    return dtype, dates


def list_columns(package: Path, table: str) -> list[str]:
    """The columns that are lists in the table's Parquet file."""
    return [f.name for f in pq.read_schema(package / f"{table}.parquet") if pa.types.is_list(f.type)]


def csv_default(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    path = package / f"{table}.csv"
    return lambda: pandas.read_csv(path)


def parquet_default(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    path = package / f"{table}.parquet"
    return lambda: pandas.read_parquet(path)


def parquet_arrow(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    path = package / f"{table}.parquet"
    return lambda: pandas.read_parquet(path, dtype_backend="pyarrow")


def csv_typed(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    """`pd.read_csv` of a table with the types of its table schema, dates by `parse_dates`."""
    dtype, dates = schema_dtypes(package, table)
    path = package / f"{table}.csv"
    return lambda: pandas.read_csv(
        path, dtype=dtype, parse_dates=dates, date_format="%Y-%m-%d", keep_default_na=False, na_values=[""]
    )


def csv_typed_dates_after(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    """The same types, the dates converted after the read (the parser may then use every core)."""
    dtype, dates = schema_dtypes(package, table)
    path = package / f"{table}.csv"

    def load() -> pandas.DataFrame:
        frame = pandas.read_csv(path, dtype=dtype, keep_default_na=False, na_values=[""])
        for name in dates:
            frame[name] = pandas.to_datetime(frame[name], format="%Y-%m-%d")
        return frame

    return load


def csv_same_frame(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    """`csv_typed_dates_after` with the list columns (lists in the Parquet file) parsed."""
    typed = csv_typed_dates_after(package, table)
    lists = list_columns(package, table) if table in LIST_SEPARATOR else []
    sep = LIST_SEPARATOR.get(table)

    def load() -> pandas.DataFrame:
        frame = typed()
        for name in lists:
            cells = frame[name]
            if sep:  # events_flat: "" is an empty list (the column is never null)
                frame[name] = [c.split(sep) if isinstance(c, str) else [] for c in cells]
            else:
                frame[name] = [json.loads(c) if isinstance(c, str) else None for c in cells]
        return frame

    return load


def csv_arrow(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    """pyarrow's CSV parser into Arrow-backed columns, enums categorical and dates parsed."""
    dtype, dates = schema_dtypes(package, table)
    path = package / f"{table}.csv"
    return lambda: pandas.read_csv(
        path,
        engine="pyarrow",
        dtype_backend="pyarrow",
        dtype={k: v for k, v in dtype.items() if v not in ("Int64", "str", "boolean")},
        parse_dates=dates,
        keep_default_na=False,
        na_values=[""],
    )


def parquet_client(package: Path, table: str) -> Callable[[], pandas.DataFrame]:
    """The client's `release.to_pandas(table)` (the file checked against its sha256 first); the
    release is opened here, untimed: `open_release` checks events.ndjson and the other files
    its offline queries read, once, whatever is asked of it later."""
    from openstrikes_client import open_release

    release = open_release(package)
    return lambda: release.to_pandas(table)  # type: ignore[no-any-return]


READERS: dict[str, Callable[[Path, str], Callable[[], pandas.DataFrame]]] = {
    "csv_default": csv_default,
    "parquet_default": parquet_default,
    "csv_typed": csv_typed,
    "csv_typed_dates_after": csv_typed_dates_after,
    "csv_same_frame": csv_same_frame,
    "csv_arrow": csv_arrow,
    "parquet_arrow": parquet_arrow,
    "parquet_client": parquet_client,
}


def child_load(package: Path, table: str, reader: str, rows: int, repeat: int) -> float:
    """The best of `repeat` timed loads, each in a fresh process; NaN if the reader fails (e.g.
    pyarrow's CSV parser on a value that holds a newline), with the reason printed."""
    best = float("inf")
    here = str(Path(__file__).resolve().parent)
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", CHILD, here, str(package), table, reader],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["?"])[-1]
            print(f"  ({table}: {reader} fails: {last[:160]})", flush=True)
            return float("nan")
        got = json.loads(done.stdout.strip().splitlines()[-1])
        if got["rows"] != rows:
            raise SystemExit(f"{table}: {reader} read {got['rows']} rows, not {rows}")
        best = min(best, got["seconds"])
    return best


def same_values(
    csv_frame: pandas.DataFrame, pq_frame: pandas.DataFrame, lists: list[str], sep: str | None
) -> list[str]:
    """The columns where the two frames disagree on nulls or on a list's items (`sep`: lists
    compared joined by it)."""
    out = []
    for name in pq_frame.columns:
        a, b = csv_frame[name], pq_frame[name]
        nulls_differ = list(a.isna()) != list(b.isna())
        if nulls_differ or (
            name in lists
            and any(
                (sep.join(x) != sep.join(y)) if sep else list(x) != list(y)
                for x, y in zip(a.dropna(), b.dropna(), strict=True)
            )
        ):
            out.append(name)
    return out


def line(label: str, csv_s: float, pq_s: float) -> str:
    ratio = f"{csv_s / pq_s:5.1f}x" if math.isfinite(csv_s) else "   n/a"
    return f"  {label:<64} {csv_s:>8.3f} {pq_s:>9.3f} {ratio:>7}"


def run_table(package: Path, table: str, repeat: int) -> bool:
    csv_path, pq_path = package / f"{table}.csv", package / f"{table}.parquet"
    for p in (csv_path, pq_path):
        p.read_bytes()  # warm the page cache for both, untimed
    csv_mib, pq_mib = csv_path.stat().st_size / 2**20, pq_path.stat().st_size / 2**20
    rows = pq.ParquetFile(pq_path).metadata.num_rows
    print(
        f"{rows:,} rows, {table}: CSV {csv_mib:.1f} MiB, Parquet {pq_mib:.1f} MiB, "
        f"{csv_mib / pq_mib:.1f}x smaller\n"
        f"  {'reader: CSV / Parquet':<64} {'CSV s':>8} {'Parquet s':>9} {'ratio':>7}",
        flush=True,
    )
    query = QUERIES[table]
    csv_src = f"read_csv('{csv_path}', header = true, sample_size = -1)"
    pq_src = f"read_parquet('{pq_path}')"
    d_csv, r_csv = best_of(repeat, lambda: duckdb_query(query, csv_src))
    d_pq, r_pq = best_of(repeat, lambda: duckdb_query(query, pq_src))
    if r_csv != r_pq:
        print(f"DuckDB gives different answers over {table}.csv and .parquet", file=sys.stderr)
        return False
    print(line('DuckDB "killed by country and year": read_csv / read_parquet', d_csv, d_pq), flush=True)

    def load(reader: str) -> float:
        return child_load(package, table, reader, rows, repeat)

    p_pq = load("parquet_default")
    pairs = [
        ("pandas default: pd.read_csv(path) / pd.read_parquet(path)", "csv_default"),
        ("pandas typed: read_csv(schema types, parse_dates) / read_parquet", "csv_typed"),
        ("pandas typed, dates after: read_csv(schema types) / read_parquet", "csv_typed_dates_after"),
        ("pandas same frame: typed, dates after, lists parsed / read_parquet", "csv_same_frame"),
    ]
    times = {reader: load(reader) for _, reader in pairs}
    for label, reader in pairs:
        print(line(label, times[reader], p_pq), flush=True)
    s_csv = times["csv_same_frame"]
    print(
        line(
            "pandas Arrow-backed: read_csv(engine=pyarrow) / read_parquet",
            load("csv_arrow"),
            load("parquet_arrow"),
        ),
        flush=True,
    )
    print(
        line(
            "same frame, Parquet by the client: CSV as above / release.to_pandas()",
            s_csv,
            load("parquet_client"),
        )
    )
    lists, sep = list_columns(package, table), LIST_SEPARATOR[table]
    frame = pandas.read_parquet(pq_path)
    for name, loader in (("CSV", csv_same_frame), ("client", parquet_client)):
        other = loader(package, table)()  # one at a time: a million rows' frames are gigabytes
        differ = same_values(other, frame, lists, sep)
        if differ:
            print(f"{table}: the {name} frame and read_parquet's differ in {differ}", file=sys.stderr)
            return False
    print("  same frame checked (CSV, client against read_parquet): equal nulls in every column, equal lists")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Parquet vs CSV: size, DuckDB, pandas")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "openstrikes-bench")
    parser.add_argument("--package", type=Path, help="a built package to read (instead of --sizes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tables", nargs="+", choices=list(QUERIES), default=list(QUERIES))
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"pandas {pandas.__version__}, pyarrow {pa.__version__}, duckdb {duckdb.__version__}")
    packages = [args.package] if args.package else [release_for(args.workdir, n) for n in args.sizes]
    for package in packages:
        for table in args.tables:
            if not run_table(package, table, args.repeat):
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
