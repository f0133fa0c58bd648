"""Filters answered over the in-memory columns (index.columns): which events match, how many,
and the positions of one page of them in id or date order.

A query's filters become one boolean array over every event (numpy: a few vectorised passes over
bytes per event, and the bitmap or positions of each word or actor a filter names); its total is a
count of that array, and a page walks the precomputed order in chunks until the page is full.
Exact: every filter means what its SQL means (index.filters), and the tests hold the two to the
same answers. A filter not handled here (admin1, tags, vessels, actor groups, ...) leaves the
query to SQL (`build` answers None).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Literal

import numpy as np

from openstrikes.geo import EARTH_RADIUS_KM, haversine_km
from openstrikes.index.columns import ATTACKER, CODED, TARGET, WORD, Columns
from openstrikes.index.filters import BY_PARAM
from openstrikes.index.text import search_words

Postings = Callable[[str, str], np.ndarray]  # (kind, key) -> a boolean per event, or positions
ORDERED = ("id", "date_start")  # the sorts a page is read in from the columns
CHUNK = 1 << 15
INT32_MAX = int(np.iinfo(np.int32).max)


def build(
    cols: Columns,
    values: Mapping[str, Any],
    actor_ids: Callable[[str], list[str]],
    postings: Postings,
    *,
    without_coordinates: bool = False,
) -> np.ndarray | None:
    """The events the filters in `values` match (a boolean per event), or None when a filter is
    not answered from the columns. `without_coordinates`: only those without coordinates."""
    a = cols.arrays
    if "geo_fallback" in values:  # widens the geo filters with admin areas: index.nearby's SQL
        return None
    if cols.point is None and (without_coordinates or any(k in values for k in ("bbox", "near"))):
        return None
    point = cols.point if cols.point is not None else np.empty(0, dtype=np.intp)
    m = np.ones(cols.n, dtype=bool) if values.get("include_withdrawn", False) else cols.live.copy()
    if without_coordinates:
        m &= a["point"] == len(a["point_lat"])
    for name in sorted(values):
        if name not in BY_PARAM:
            continue
        f, op = BY_PARAM[name]
        v = values[name]
        kind = f.sql
        if kind == "column" and f.column in ("date_start", "date_end"):
            day = date.fromisoformat(v).toordinal()
            col = a["day" if f.column == "date_start" else "day_end"]
            m &= col >= day if op == "gte" else col <= day
        elif kind == "column" and f.column in CODED:
            wanted = v if op == "in" else [v]
            codes = [c for c in (cols.code(f.column, x) for x in wanted) if c is not None]
            if not codes:
                m[:] = False
            else:
                m &= np.isin(a[f.column], codes) if len(codes) > 1 else a[f.column] == codes[0]
        elif kind == "casualty":
            bound = min(int(v), INT32_MAX)
            if op == "gte":
                m &= a[f"{f.column}_max"] >= bound
            else:
                low = a[f"{f.column}_min"]
                m &= (low <= bound) & (low >= 0)
        elif kind == "actor":
            ids = sorted({i for x in (v if op == "in" else [v]) for i in actor_ids(x)})
            roles = [f.role] if f.role else [ATTACKER, TARGET]
            _within(m, [postings(role, i) for role in roles for i in ids])
        elif kind == "at_sea":
            m &= a["water_body"] != 0 if v else a["water_body"] == 0
        elif kind == "fts":
            for word in search_words(v):
                _within(m, [postings(WORD, word)])
        elif kind == "bbox":
            min_lon, min_lat, max_lon, max_lat = v
            lat, lon = a["point_lat"], a["point_lon"]
            _at_points(m, point, (lat >= min_lat) & (lat <= max_lat) & (lon >= min_lon) & (lon <= max_lon))
        elif kind == "near":
            _at_points(m, point, _near(a["point_lat"], a["point_lon"], v, float(values["radius_km"])))
        elif kind in ("radius", "withdrawn"):
            continue
        else:
            return None
    return m


def _within(m: np.ndarray, lists: list[np.ndarray]) -> None:
    """Keep only the events in one of the postings (index.columns.read_postings: a boolean per
    event, or positions)."""
    if len(lists) == 1 and lists[0].dtype == bool:
        m &= lists[0]
        return
    hit = np.zeros(len(m), dtype=bool)
    for found in lists:
        if found.dtype == bool:
            hit |= found
        else:
            hit[found] = True
    m &= hit


def _at_points(m: np.ndarray, point: np.ndarray, ok: np.ndarray) -> None:
    """Keep the events whose point is `ok` (one boolean per point; events without one never)."""
    m &= np.take(np.append(ok, False), point)


def _near(lat: np.ndarray, lon: np.ndarray, centre: tuple[float, float], km: float) -> np.ndarray:
    """Which points lie within `km` of `centre`: the box SQL searches the R*Tree with
    (index.filters), then the great-circle distance; where numpy's and Python's floating point
    could disagree (a distance within a millimetre of the radius), SQL's own function decides."""
    lat0, lon0 = centre
    dlat = math.degrees(km / EARTH_RADIUS_KM) * 1.01 + 1e-9
    coslat = math.cos(math.radians(min(89.999, abs(lat0) + dlat)))
    dlon = 180.0 if coslat <= 1e-6 else min(180.0, dlat / coslat)
    box = (lat >= lat0 - dlat) & (lat <= lat0 + dlat)
    if not (dlon >= 180 or abs(lon0) + dlon > 180):
        box &= (lon >= lon0 - dlon) & (lon <= lon0 + dlon)
    at = np.flatnonzero(box)
    la, lo = lat[at], lon[at]
    p1, p2 = np.radians(la), math.radians(lat0)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(np.radians(lon0 - lo) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    ok = d <= km
    for i in np.flatnonzero(np.abs(d - km) <= 1e-6 + 1e-9 * km):
        ok[i] = haversine_km(float(la[i]), float(lo[i]), lat0, lon0) <= km
    out = np.zeros(len(lat), dtype=bool)
    out[at[ok]] = True
    return out


# --- pages -------------------------------------------------------------------------------------------


def _days_at(cols: Columns, day: int, side: Literal["left", "right"]) -> int:
    """Where `day` falls in the sorted start days (searched as an int32: a Python int would make
    numpy convert the whole array first)."""
    return int(np.searchsorted(cols.days_sorted, np.int32(day), side))


def start_after(cols: Columns, sort: str, value: Any, rid: int) -> int:
    """How many events (of all, in the order of `sort`) come at or before the cursor's (value, rid)."""
    desc = sort.startswith("-")
    if sort.lstrip("-") == "id":
        return cols.n - rid + 1 if desc else rid
    day = date.fromisoformat(value.decode() if isinstance(value, bytes) else value).toordinal()
    lo, hi = _days_at(cols, day, "left"), _days_at(cols, day, "right")
    tied = cols.order_date[lo:hi]  # positions in rid order
    at = lo + int(np.searchsorted(tied, rid - 1, "left" if desc else "right"))
    return cols.n - at if desc else at


def page_positions(
    cols: Columns, m: np.ndarray, sort: str, start: int, skip: int, count: int, values: Mapping[str, Any]
) -> list[int]:
    """Positions (rid - 1) of `count` matches in the order of `sort`, after `skip` matches, reading
    the order from its `start`-th event on (in chunks: a page near the start costs a chunk). By
    date, only the stretch of the order inside the `date_start` window of `values` is read."""
    desc = sort.startswith("-")
    order = cols.order_date if sort.lstrip("-") == "date_start" else None
    n = end = cols.n
    if order is not None:
        lo, hi = (values.get(f"date_start__{op}") for op in ("gte", "lte"))
        a = 0 if lo is None else _days_at(cols, date.fromisoformat(lo).toordinal(), "left")
        b = n if hi is None else _days_at(cols, date.fromisoformat(hi).toordinal(), "right")
        start, end = (max(start, n - b), n - a) if desc else (max(start, a), b)
    out: list[int] = []
    i = start
    step = CHUNK
    while i < end and len(out) < count:
        j = min(end, i + step)
        if order is None:
            idx = np.arange(n - j, n - i)[::-1] if desc else np.arange(i, j)
        else:
            idx = order[n - j : n - i][::-1] if desc else order[i:j]
        hits = idx[m[idx]]
        if skip >= len(hits):
            skip -= len(hits)
        else:
            out.extend(int(x) for x in hits[skip : skip + count - len(out)])
            skip = 0
        i = j
        step *= 2
    return out
