"""events_flat.csv of a package: written from its events.ndjson, and its Table Schema."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from openstrikes.package.flat_rows import FIGURES, FLAT_COLUMNS, SEPARATOR, flat_row
from openstrikes.package.metadata import FileInfo
from openstrikes.package.render import HashingFile

_INTEGER = {f"{f}_{b}" for f in FIGURES for b in ("low", "best", "high")} | {"sources_count"}
_NUMBER = {"latitude", "longitude"}
_MANY = {
    "attacker_ids",
    "attacker_names",
    "attacker_attributions",
    "target_ids",
    "target_names",
    "target_types",
    "tags",
}


def flat_schema() -> dict[str, Any]:
    """The Table Schema of events_flat.csv."""
    fields = []
    for name in FLAT_COLUMNS:
        kind = (
            "integer"
            if name in _INTEGER
            else "number"
            if name in _NUMBER
            else "boolean"
            if name == "withdrawn"
            else "string"
        )
        field: dict[str, Any] = {"name": name, "type": kind}
        if name in _MANY:
            field["description"] = f"Values separated by {SEPARATOR!r}, in the order of the record."
        elif name.endswith(("_low", "_best", "_high")):
            field["description"] = "Empty: unknown (0 means reported none)."
        fields.append(field)
    return {"fields": fields, "primaryKey": ["id"], "missingValues": [""]}


def write_flat_csv(ndjson: Path, target: Path, actors: Iterable[Mapping[str, Any]]) -> FileInfo:
    """events_flat.csv from the package's events.ndjson (in its order) and the actor registry."""
    names = {a["id"]: a["name"] for a in actors}
    out = HashingFile(target)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(FLAT_COLUMNS)
    with ndjson.open("rb") as fh:
        for line in fh:
            if line.strip():
                writer.writerow(flat_row(orjson.loads(line), names))
            if buf.tell() > 1 << 20:
                out.write(buf.getvalue().encode("utf-8"))
                buf.seek(0)
                buf.truncate()
    out.write(buf.getvalue().encode("utf-8"))
    return out.close()
