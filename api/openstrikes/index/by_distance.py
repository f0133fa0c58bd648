"""`sort=distance` over the in-memory columns (index.columns): the candidates' distances from the
centre computed with numpy, once per distinct point, then ordered nearest first, ties by id,
events without coordinates last (by id).

Exact: the order is the one of `geo.haversine_km`, which the SQL of index/nearby.py sorts by.
numpy's sin, cos and arcsin may round differently from the C library's in the last bit, so a
point whose numpy distance lies within TOLERANCE_KM (plus a part per billion) of another
candidate point's, or that is nearly antipodal to the centre (where arcsin magnifies rounding),
gets haversine_km's distance instead; any other pair of points is further apart than both
roundings together, so numpy orders it alike.

A page after a cursor restarts after the cursor's event, at that event's own distance as
computed here (not the rounded value the cursor carries), so paging never repeats or skips an
event at the cursor's distance.
"""

from __future__ import annotations

import math

import numpy as np

from openstrikes.geo import EARTH_RADIUS_KM, haversine_km
from openstrikes.index.columns import Columns

NO_DISTANCE = 1e308  # an event without coordinates: after every real distance
TOLERANCE_KM = 1e-6  # far above the rounding of either computation (~1e-12 km) outside antipodes
NEAR_ANTIPODE = 1e-6  # haversine `a` above 1 - this: recomputed by haversine_km


def point_distances(cols: Columns, used: np.ndarray, centre: tuple[float, float]) -> np.ndarray:
    """Distance in km from `centre` of each point (index `used` of cols' points), haversine_km's
    order guaranteed (see the module's text); one more entry, NO_DISTANCE, for "no point"."""
    a = cols.arrays
    lat, lon = a["point_lat"][used], a["point_lon"][used]
    lat0, lon0 = centre
    # haversine_km(lat, lon, lat0, lon0), operation for operation
    p1, p2 = np.radians(lat), math.radians(lat0)
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(np.radians(lon0 - lon) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    exact = h > 1 - NEAR_ANTIPODE
    if len(d) > 1:
        order = np.argsort(d, kind="stable")
        ds = d[order]
        close = np.diff(ds) <= TOLERANCE_KM + 1e-9 * ds[1:]
        near = np.zeros(len(d), dtype=bool)
        near[:-1] |= close
        near[1:] |= close
        exact[order[near]] = True
    for i in np.flatnonzero(exact):
        d[i] = haversine_km(float(lat[i]), float(lon[i]), lat0, lon0)
    out = np.full(len(a["point_lat"]) + 1, NO_DISTANCE)
    out[used] = d
    return out


class DistanceOrder:
    """The candidates of one query (positions, rid - 1, ascending) and their distances."""

    def __init__(self, cols: Columns, positions: np.ndarray, centre: tuple[float, float]) -> None:
        assert cols.point is not None
        self.positions = positions
        points = cols.point[positions]
        n_points = len(cols.arrays["point_lat"])
        seen = np.zeros(n_points + 1, dtype=bool)
        seen[points] = True
        used = np.flatnonzero(seen[:n_points])
        self.distance = point_distances(cols, used, centre)[points]

    def __len__(self) -> int:
        return len(self.positions)

    def after(self, rid: int, value: float) -> np.ndarray:
        """Indexes (into the candidates) of those after the event `rid` in the order; by `value`
        when that event is no candidate (a cursor of another release is refused before this)."""
        pos = rid - 1
        at = int(np.searchsorted(self.positions, pos))
        if at < len(self.positions) and self.positions[at] == pos:
            value = float(self.distance[at])
        d = self.distance
        return np.flatnonzero((d > value) | ((d == value) & (self.positions > pos)))

    def first(self, among: np.ndarray | None, count: int) -> np.ndarray:
        """The first `count` candidates in the order (indexes into the candidates), of `among`
        (ascending indexes; None: all): a partition, then a sort of those `count` only."""
        idx = np.arange(len(self.positions)) if among is None else among
        d = self.distance[idx]
        if len(idx) > count:
            if count <= 0:
                return idx[:0]
            kth = np.partition(d, count - 1)[count - 1]
            keep = np.flatnonzero(d <= kth)  # ascending: ties stay in id order
            idx, d = idx[keep], d[keep]
        return idx[np.argsort(d, kind="stable")][:count]

    def all(self) -> np.ndarray:
        """Every candidate's index, in the order."""
        return np.argsort(self.distance, kind="stable")
