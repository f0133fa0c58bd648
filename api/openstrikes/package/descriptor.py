"""The package descriptor (datapackage.json): resources, their table schemas, hashes and counts."""

from __future__ import annotations

import json
from typing import Any

from openstrikes.package.flat_schema import flat_schema
from openstrikes.package.metadata import CC_BY, DATAPACKAGE_PROFILE, FileInfo
from openstrikes.package.parquet_resources import parquet_files, year_partition_files
from openstrikes.package.table_schema import (
    actors_schema,
    changes_schema,
    child_schema,
    events_schema,
    places_schema,
    roundtrip_schema,
)
from openstrikes.schema_files import schema_version
from openstrikes.timefmt import sortable_utc


def _resource(name: str, info: FileInfo, title: str, description: str, **extra: Any) -> dict[str, Any]:
    res: dict[str, Any] = {"name": name, "path": info.name, "title": title, "description": description}
    res.update(extra)
    res["hash"] = f"sha256:{info.sha256}"
    res["bytes"] = info.bytes
    return res


def _table(name: str, info: FileInfo, title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return _resource(
        name,
        info,
        title,
        description,
        type="table",
        format="csv",
        mediatype="text/csv",
        encoding="utf-8",
        dialect={
            "$schema": "https://datapackage.org/profiles/2.0/tabledialect.json",
            "header": True,
            "delimiter": ",",
            "lineTerminator": "\r\n",
            "quoteChar": '"',
        },
        schema=schema,
    )


def package_descriptor(
    meta: dict[str, Any], created: str | None, infos: dict[str, FileInfo], counts: dict[str, int]
) -> dict[str, Any]:
    """datapackage.json: the dataset's metadata, counts, and every resource with its hash.

    Long because it is one declarative list (a resource per package file, in the order they are
    listed); splitting it would scatter the descriptor over several functions."""
    desc: dict[str, Any] = {"$schema": DATAPACKAGE_PROFILE}
    for key, value in meta.items():
        if key not in ("$schema", "created", "resources"):
            desc[key] = value
    desc.setdefault("licenses", [CC_BY])
    if created:
        desc["created"] = created
    desc["schema_version"] = schema_version()
    desc["counts"] = counts
    desc["resources"] = [
        _table(
            "events",
            infos["events"],
            "Events (flat)",
            "One row per event: every field of the event record, nested objects flattened into "
            "`<field>_<child>` columns, lists as JSON arrays. Sources and actors are in their own tables.",
            events_schema(),
        ),
        _table(
            "events-flat",
            infos["events_flat"],
            "Events (one flat row each, for analysis)",
            "One row per event, as ACLED and UCDP users expect: date, place, strike type, attacker and "
            "target ids and names, killed / civilians killed / injured as low, best and high (empty: "
            "unknown), status, outcome, number of sources.",
            flat_schema(),
        ),
        _table(
            "event-sources",
            infos["event_sources"],
            "Event sources",
            "One row per source of an event (`sources` of the record).",
            child_schema("event_sources"),
        ),
        _table(
            "event-actors",
            infos["event_actors"],
            "Event actors",
            "One row per attacker and per target of an event (`attackers` and `targets` of the record).",
            child_schema("event_actors"),
        ),
        _table(
            "event-claims",
            infos["event_claims"],
            "Casualty claims",
            "One row per casualty claim of an event (`casualty_claims` of the record): who claimed "
            "which figures, reported by which source.",
            child_schema("event_claims"),
        ),
        _table(
            "actors",
            infos["actors"],
            "Actors",
            "The actor registry: one row per actor.",
            actors_schema(),
        ),
        _table(
            "places",
            infos["places"],
            "Places",
            "The places registry (gazetteer): one row per place that events name in `place`.",
            places_schema(),
        ),
        _table(
            "changes",
            infos["changes"],
            "Changes feed",
            "Id, last modification and withdrawal of every event (withdrawn ones included): "
            "the feed for incremental sync.",
            changes_schema(),
        ),
        _table(
            "roundtrip",
            infos["roundtrip"],
            "Round-trip bookkeeping (technical)",
            "Not for analysis: what the flat tables cannot say about a record, so that events.csv "
            "(with its child tables), actors.csv and places.csv give back exactly the JSON records. "
            "One row per record that leaves an optional key out or holds an empty string; an empty "
            "cell of such a record is null unless its JSON pointer is listed here.",
            roundtrip_schema(),
        ),
        _resource(
            "events-json",
            infos["events-json"],
            "Events (nested JSON)",
            "A JSON array of every event record, sorted by id, exactly as in the event files.",
            format="json",
            mediatype="application/json",
            encoding="utf-8",
        ),
        _resource(
            "events-geojson",
            infos["events-geojson"],
            "Events (GeoJSON)",
            "An RFC 7946 FeatureCollection: one Feature per event, the record as its properties, "
            "a Point geometry or null when the coordinates are unknown.",
            format="geojson",
            mediatype="application/geo+json",
            encoding="utf-8",
        ),
        _resource(
            "event-schema",
            infos["event-schema"],
            "Event JSON Schema",
            "The JSON Schema (Draft 2020-12) of one event record: the source of every table schema here.",
            format="jsonschema",
            mediatype="application/schema+json",
            encoding="utf-8",
        ),
        _resource(
            "actor-schema",
            infos["actor-schema"],
            "Actor JSON Schema",
            "The JSON Schema (Draft 2020-12) of one actor record.",
            format="jsonschema",
            mediatype="application/schema+json",
            encoding="utf-8",
        ),
        _resource(
            "place-schema",
            infos["place-schema"],
            "Place JSON Schema",
            "The JSON Schema (Draft 2020-12) of one place of the registry.",
            format="jsonschema",
            mediatype="application/schema+json",
            encoding="utf-8",
        ),
        _resource(
            "citation",
            infos["citation"],
            "Citation",
            "How to cite this release (Citation File Format 1.2.0).",
            format="cff",
            mediatype="application/x-yaml",
            encoding="utf-8",
        ),
    ]
    # events.ndjson is not a resource: Frictionless reads newline-delimited JSON as a table of
    # flat rows, which nested records are not. It is listed here and in SHA256SUMS with its hash.
    info = infos["events-ndjson"]
    desc["files"] = [
        {
            "path": info.name,
            "title": "Events (newline-delimited JSON)",
            "description": "One event record per line, sorted by id, exactly as in the event files.",
            "mediatype": "application/x-ndjson",
            "hash": f"sha256:{info.sha256}",
            "bytes": info.bytes,
        },
        *parquet_files(infos),
        *year_partition_files(infos),
    ]
    return desc


def dumps_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def created_stamp(stored: Any, max_modified: str | None) -> str | None:
    candidates = [s for s in (stored, max_modified) if isinstance(s, str) and s]
    if not candidates:
        return None
    return max(candidates, key=sortable_utc)


# --- reading ----------------------------------------------------------------------------------------
