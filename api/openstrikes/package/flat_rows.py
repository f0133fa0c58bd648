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


def flat_row(event: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    """One event as the cells of FLAT_COLUMNS (empty: unknown); `names` maps actor ids to names."""
    attackers = event.get("attackers") or []
    targets = event.get("targets") or []
    cas = event.get("casualties") or {}
    out: dict[str, str] = {k: _text(event.get(k)) for k in FLAT_COLUMNS}
    out["attacker_ids"] = SEPARATOR.join(a["actor"] for a in attackers)
    out["attacker_names"] = SEPARATOR.join(names.get(a["actor"], a["actor"]) for a in attackers)
    out["attacker_attributions"] = SEPARATOR.join(a.get("attribution") or "" for a in attackers)
    out["target_ids"] = SEPARATOR.join(t.get("actor") or "" for t in targets)
    out["target_names"] = SEPARATOR.join(
        names.get(t["actor"], t["actor"]) if t.get("actor") else (t.get("description") or "") for t in targets
    )
    out["target_types"] = SEPARATOR.join(t.get("target_type") or "" for t in targets)
    for f in FIGURES:
        r = cas.get(f) or {}
        out[f"{f}_low"], out[f"{f}_best"], out[f"{f}_high"] = (
            _text(r.get(k)) for k in ("min", "best", "max")
        )
    out["tags"] = SEPARATOR.join(event.get("tags") or [])
    out["sources_count"] = str(len(event.get("sources") or []))
    out["withdrawn"] = "true" if event.get("withdrawn") else "false"
    return [out[k] for k in FLAT_COLUMNS]
