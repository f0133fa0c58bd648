"""The Parquet files of a package as descriptor entries.

The Parquet files are listed under the descriptor's `files` (like events.ndjson), each with its
path, format, media type, sha256 and size, not under `resources`. Data Package v2 allows a
resource `type` of `table` or none (a "non-specific file" that an implementation MAY open as a
table when it recognises the format), and frictionless 5.21 cannot take either:
- with no `type`, it recognises `.parquet`, opens the file as a table through pandas and, while
  inferring a schema, fails on the first list column (`ValueError: The truth value of an empty
  array is ambiguous`, from `detector.detect_schema`), so `frictionless validate` crashes;
- with `type: table` and the table schema of the mirrored CSV, it converts the file with
  `to_pandas()`, which turns integer columns holding nulls into float64 and list columns into
  numpy arrays, and reports every such cell as a type-error: valid files reported invalid.
(`type: file` would let it check hash and size, but v2 defines no such value.) So
`frictionless validate` checks the CSV tables (schemas, keys, foreign keys), JSON and file
resources, and of the Parquet files nothing; their bytes are verified against these hashes by
`read_package`, by the client and by SHA256SUMS. The table schema of the same rows is on the CSV
resource each mirrors; column types and descriptions are in the file itself.
"""

from __future__ import annotations

from typing import Any

from openstrikes.package.metadata import FileInfo
from openstrikes.package.parquet_tables import PARQUET_TABLES

PARQUET_MEDIATYPE = "application/vnd.apache.parquet"


def _file(name: str, info: FileInfo, title: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": info.name,
        "title": title,
        "description": description,
        "format": "parquet",
        "mediatype": PARQUET_MEDIATYPE,
        "hash": f"sha256:{info.sha256}",
        "bytes": info.bytes,
    }


def parquet_files(infos: dict[str, FileInfo]) -> list[dict[str, Any]]:
    """An entry per Parquet file present in `infos` (a package built before them has none)."""
    out = []
    for table in PARQUET_TABLES:
        if table.resource in infos:
            out.append(
                _file(
                    table.resource,
                    infos[table.resource],
                    table.title,
                    f"The rows of {table.key}.csv, typed: dates as dates, counts as integers, "
                    "enums dictionary-encoded, lists of strings as list columns, nulls as nulls; "
                    "date-times as their RFC 3339 text.",
                )
            )
    if "events-geoparquet" in infos:
        out.append(
            _file(
                "events-geoparquet",
                infos["events-geoparquet"],
                "Events (GeoParquet)",
                "events.parquet plus a `geometry` column: the point as WKB, GeoParquet 1.1 metadata, "
                "CRS OGC:CRS84; null for events without coordinates.",
            )
        )
    return out


def year_partition_files(infos: dict[str, FileInfo]) -> list[dict[str, Any]]:
    """The Hive partitions of events.parquet by year of date_start (`parquet/year=YYYY/...`)."""
    return [
        {
            "path": info.name,
            "title": f"Events of {info.name.split('=')[1].split('/')[0]} (Parquet, Hive partition)",
            "description": "The rows of events.parquet whose date_start falls in the year of the folder.",
            "format": "parquet",
            "mediatype": PARQUET_MEDIATYPE,
            "hash": f"sha256:{info.sha256}",
            "bytes": info.bytes,
        }
        for key, info in sorted(infos.items())
        if key.startswith("parquet/")
    ]
