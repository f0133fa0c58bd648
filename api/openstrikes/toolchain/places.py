"""The places registry (`dataset/places/<slug>.json`): loading it, and the event fields a place
fixes. An event that names a `place` takes these fields from it; `fmt` fills them in and a coded
check holds them equal."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson

# The event fields a place fixes, in the event schema's order (both schemas name them alike).
PLACE_FIELDS = ("country", "water_body", "admin1", "admin2", "latitude", "longitude", "geo_precision")


def places_dir(dataset: Path) -> Path:
    return dataset / "places"


def load_places(dataset: Path) -> dict[str, dict[str, Any]]:
    """Every readable place record by its file name's slug (unreadable ones are validate's to report)."""
    out: dict[str, dict[str, Any]] = {}
    folder = places_dir(dataset)
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.json")):
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(data, dict):
            out[path.stem] = data
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 and 1.0 are the same coordinate; True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return a == b


def mismatches(event: Mapping[str, Any], place: Mapping[str, Any]) -> list[str]:
    """The place-fixed fields in which the event differs from its place, in field order."""
    return [f for f in PLACE_FIELDS if not _same(event.get(f), place.get(f))]


def apply_place(event: dict[str, Any], place: Mapping[str, Any]) -> dict[str, Any]:
    """The event with the place-fixed fields copied from its place (a new dict; key order kept,
    keys the event lacks are added: the canonical writer orders them)."""
    out = dict(event)
    for f in PLACE_FIELDS:
        out[f] = place.get(f)
    return out
