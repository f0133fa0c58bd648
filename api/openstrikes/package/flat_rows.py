"""The flat, analysis-ready table of events: one row per event, actors as columns, casualty
figures as low/best/high (as ACLED and UCDP users expect). `events_flat.csv` and the API's
`format=csv&flat=true`; mirror: openstrikes_client._flat (held to this by a parity test).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

FIGURES = ("killed", "civilians_killed", "injured", "civilians_injured")
FLAT_COLUMNS: tuple[str, ...] = (
    "id",
    "date_start",
    "date_end",
    "date_precision",
    "country",
    "water_body",
    "admin1",
    "admin2",
    "location",
    "place",
    "latitude",
    "longitude",
    "geo_precision",
    "strike_type",
    "attacker_ids",
    "attacker_names",
    "attacker_attributions",
    "target_ids",
    "target_names",
    "target_types",
    *(f"{f}_{b}" for f in FIGURES for b in ("low", "best", "high")),
    "status",
    "outcome",
    "operation",
    "tags",
    "sources_count",
    "withdrawn",
)
SEPARATOR = "; "  # between the values of a many-valued column


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


MANY = (
    "attacker_ids",
    "attacker_names",
    "attacker_attributions",
    "target_ids",
    "target_names",
    "target_types",
    "tags",
)  # many-valued: joined by SEPARATOR in CSV, lists in Parquet


def flat_lists(event: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, list[str]]:
    """The many-valued columns of one event (MANY), as lists in the order of the record."""
    attackers = event.get("attackers") or []
    targets = event.get("targets") or []
    return {
        "attacker_ids": [a["actor"] for a in attackers],
        "attacker_names": [names.get(a["actor"], a["actor"]) for a in attackers],
        "attacker_attributions": [a.get("attribution") or "" for a in attackers],
        "target_ids": [t.get("actor") or "" for t in targets],
        "target_names": [
            names.get(t["actor"], t["actor"]) if t.get("actor") else (t.get("description") or "")
            for t in targets
        ],
        "target_types": [t.get("target_type") or "" for t in targets],
        "tags": list(event.get("tags") or []),
    }


def flat_cells(event: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, str]:
    """The single-valued cells of one event (FLAT_COLUMNS but MANY; empty: unknown)."""
    cas = event.get("casualties") or {}
    out: dict[str, str] = {k: _text(event.get(k)) for k in FLAT_COLUMNS if k not in MANY}
    for f in FIGURES:
        r = cas.get(f) or {}
        out[f"{f}_low"], out[f"{f}_best"], out[f"{f}_high"] = (
            _text(r.get(k)) for k in ("min", "best", "max")
        )
    out["sources_count"] = str(len(event.get("sources") or []))
    out["withdrawn"] = "true" if event.get("withdrawn") else "false"
    return out


def flat_row(event: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """One event as the cells of FLAT_COLUMNS (empty: unknown); `names` maps actor ids to names."""
    out = flat_cells(event, names)
    for k, values in flat_lists(event, names).items():
        out[k] = SEPARATOR.join(values)
    return [out[k] for k in FLAT_COLUMNS]
