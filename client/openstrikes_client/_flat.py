"""One flat row per event (`events.to_rows()` / `to_pandas()`): actors as columns, casualty figures
as low/best/high, None where unknown. Mirror of the server's `openstrikes.package.flat_rows` (the
API's `format=csv&flat=true` and a release's events_flat.csv), held to it by a parity test.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
SEPARATOR = "; "


def flat_record(event: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """One event (its JSON form) as a flat record of FLAT_COLUMNS; `names`: actor id -> name."""
    attackers = event.get("attackers") or []
    targets = event.get("targets") or []
    cas = event.get("casualties") or {}
    out: dict[str, Any] = {k: event.get(k) for k in FLAT_COLUMNS}
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
        out[f"{f}_low"], out[f"{f}_best"], out[f"{f}_high"] = (r.get(k) for k in ("min", "best", "max"))
    out["tags"] = SEPARATOR.join(event.get("tags") or [])
    out["sources_count"] = len(event.get("sources") or [])
    out["withdrawn"] = bool(event.get("withdrawn"))
    return {k: out[k] for k in FLAT_COLUMNS}


def flat_records(events: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    return (flat_record(e, names) for e in events)


def to_dataframe(rows: Iterable[dict[str, Any]]) -> Any:
    """A pandas DataFrame of flat rows (pandas is optional: ImportError says how to get it)."""
    try:
        import pandas as pd  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        raise ImportError("to_pandas() needs pandas: pip install pandas") from None
    return pd.DataFrame(list(rows), columns=list(FLAT_COLUMNS))
