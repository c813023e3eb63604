"""Generated layout for :mod:`ruralnet.synth.county`: lattice, township seats and cells, villages.

A jittered, randomly rotated hexagonal lattice covers the county (minus the urban core).
Township seats come from a capacity-constrained power diagram over the lattice (Lloyd steps
with additive weights), so each township's cell holds lattice points in proportion to its
village count. Seats snap to a lattice point; villages take the points of the cell nearest
the seat (with noise), so they cluster around it and leave fringe gaps.

Real points (township seats and villages whose position is known) are *fixed*: lattice points
closer than the minimum spacing to one are dropped, a fixed seat never moves in the Lloyd steps
and takes no lattice point, and a fixed village takes no lattice point; the generated
villages of its township fill the rest of the cell. With no fixed point the layout is exactly
the one of a wholly generated county.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import shapely
from scipy.spatial import cKDTree

logger = logging.getLogger(__name__)


def hex_lattice(
    area: shapely.Geometry, spacing: float, jitter: float, rng: np.random.Generator
) -> np.ndarray:
    """Jittered, rotated hexagonal lattice points inside ``area``."""
    minx, miny, maxx, maxy = area.bounds
    c = np.array([(minx + maxx) / 2, (miny + maxy) / 2])
    r = math.hypot(maxx - minx, maxy - miny) / 2 + spacing
    ys = np.arange(-r, r, spacing * math.sqrt(3) / 2)
    xs = np.arange(-r, r, spacing)
    gx, gy = np.meshgrid(xs, ys)
    gx = gx + (np.arange(len(ys)) % 2)[:, None] * spacing / 2
    p = np.column_stack([gx.ravel(), gy.ravel()]) + rng.uniform(0, spacing, 2)
    th = rng.uniform(0, math.pi)
    p = p @ np.array([[math.cos(th), math.sin(th)], [-math.sin(th), math.cos(th)]]) + c
    rad = jitter * np.sqrt(rng.uniform(0, 1, len(p)))
    ang = rng.uniform(0, 2 * math.pi, len(p))
    p += np.column_stack([rad * np.cos(ang), rad * np.sin(ang)])
    shapely.prepare(area)
    return p[shapely.contains_xy(area, p[:, 0], p[:, 1])]


def drop_near(p: np.ndarray, fixed: np.ndarray, min_distance: float) -> np.ndarray:
    """Lattice points ``p`` at least ``min_distance`` from every fixed point."""
    if len(fixed) == 0:
        return p
    dist, _ = cKDTree(fixed).query(p)
    return p[dist >= min_distance]


def anchor_seats(
    p: np.ndarray, seat_xy: np.ndarray, village_xy: np.ndarray, village_town: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fix the generated seat of a township with real villages next to them.

    A township whose seat is unknown but which has real village points gets its seat at the
    lattice point nearest their mean (that point leaves the lattice), so its generated
    villages and its centre gather where the real ones are.

    Parameters
    ----------
    p
        Lattice points.
    seat_xy
        Real seat per township, NaN where unknown.
    village_xy
        Real village points (only those known).
    village_town
        Township index of each of them.

    Returns
    -------
    tuple of numpy.ndarray
        The seats with the anchored ones filled in, and the remaining lattice points.
    """
    seats = seat_xy.copy()
    need = [t for t in np.unique(village_town) if np.isnan(seats[t, 0])]
    if not need:
        return seats, p
    free = np.ones(len(p), bool)
    for t in need:
        mean = village_xy[village_town == t].mean(axis=0)
        dist = np.where(free, np.hypot(*(p - mean).T), np.inf)
        best = int(np.argmin(dist))
        seats[t] = p[best]
        free[best] = False
    logger.debug("%d seats anchored next to their real villages", len(need))
    return seats, p[free]


def _centroids(p: np.ndarray, lab: np.ndarray, k: int, old: np.ndarray) -> np.ndarray:
    cnt = np.bincount(lab, minlength=k)
    sx = np.bincount(lab, p[:, 0], minlength=k)
    sy = np.bincount(lab, p[:, 1], minlength=k)
    new = old.copy()
    ok = cnt > 0
    new[ok] = np.column_stack([sx[ok] / cnt[ok], sy[ok] / cnt[ok]])
    return new


def _power_labels(p: np.ndarray, seats: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Power-diagram cell of each point (searched among its nearest seats)."""
    kk = min(len(seats), 12)
    d, idx = cKDTree(seats).query(p, k=list(range(1, kk + 1)))
    cost = d**2 - w[idx]
    return idx[np.arange(len(p)), np.argmin(cost, axis=1)]


def _assign_free_seats(
    seats: np.ndarray,
    free: np.ndarray,
    street: np.ndarray,
    hub: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Give the free seat positions nearest the hub to the free 街道, the rest to the towns."""
    order = free[np.argsort(np.hypot(*(seats[free] - hub).T), kind="stable")]
    is_free = np.zeros(len(seats), bool)
    is_free[free] = True
    streets = np.flatnonzero(street & is_free)
    towns = np.flatnonzero(~street & is_free)
    perm = np.arange(len(seats))
    perm[streets] = order[: len(streets)][rng.permutation(len(streets))]
    perm[towns] = order[len(streets) :][rng.permutation(len(towns))]
    return seats[perm]


def place_seats(
    p: np.ndarray,
    counts: np.ndarray,
    street: np.ndarray,
    hub: np.ndarray,
    cell_area: float,
    rng: np.random.Generator,
    *,
    fixed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Seat per township and lattice-point labels, cell sizes ∝ ``counts``.

    ``fixed`` holds a real seat per township (NaN where unknown); those seats stay put.
    """
    k = len(counts)
    is_fixed = np.zeros(k, bool) if fixed is None else ~np.isnan(fixed[:, 0])
    free = np.flatnonzero(~is_fixed)
    seats = np.zeros((k, 2)) if fixed is None else fixed.copy()
    seats[free] = p[np.sort(rng.choice(len(p), size=len(free), replace=False))]
    for _ in range(10):  # plain Lloyd: even cells
        moved = _centroids(p, cKDTree(seats).query(p)[1], k, seats)
        seats[free] = moved[free]
    seats = _assign_free_seats(seats, free, street, hub, rng)
    target = counts * len(p) / counts.sum()
    w = np.zeros(k)
    for _ in range(60):  # weighted Lloyd: cells sized to the targets
        lab = _power_labels(p, seats, w)
        got = np.bincount(lab, minlength=k)
        w += 0.5 * 2.0 / math.pi * (target - got) * cell_area
        moved = _centroids(p, lab, k, seats)
        seats[free] = 0.5 * seats[free] + 0.5 * moved[free]
    lab = _power_labels(p, seats, w)
    got = np.bincount(lab, minlength=k)
    logger.debug("township cells: max relative size error %.2f", np.max(abs(got / target - 1)))
    return seats, lab


def pick_points(
    p: np.ndarray,
    lab: np.ndarray,
    seats: np.ndarray,
    counts: np.ndarray,
    rng: np.random.Generator,
    *,
    fixed_seat: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Snap seats to lattice points and choose ``counts[k]`` village points per township.

    A township with ``fixed_seat`` set keeps its seat where it is (its entry in the first
    array is ``-1``). Returns the seat point per township, and the chosen village points and
    their townships, ordered by township then closeness to the seat.
    """
    k = len(counts)
    fixed_seat = np.zeros(k, bool) if fixed_seat is None else fixed_seat
    d = np.hypot(*(p - seats[lab]).T)
    order = np.lexsort((d, lab))
    first = np.full(k, -1, np.int64)
    u, at = np.unique(lab[order], return_index=True)
    first[u] = order[at]
    first[fixed_seat] = -1
    free = np.ones(len(p), bool)
    free[first[first >= 0]] = False
    tree = cKDTree(p)
    for t in np.flatnonzero((first < 0) & ~fixed_seat):  # empty cell: nearest free point
        cand = tree.query(seats[t], k=len(p))[1]
        first[t] = cand[free[cand]][0]
        free[first[t]] = False
    score = d / np.median(d) + rng.normal(0, 0.35, len(p))
    idx = np.flatnonzero(free)
    idx = idx[np.lexsort((score[idx], lab[idx]))]
    starts = np.searchsorted(lab[idx], lab[idx], side="left")
    rank = np.arange(len(idx)) - starts
    take = idx[rank < counts[lab[idx]]]
    town = lab[take]
    free[take] = False
    short = counts - np.bincount(town, minlength=k)
    extra_p, extra_t = [], []
    for t in np.flatnonzero(short > 0):  # cell too small: nearest free points
        anchor = p[first[t]] if first[t] >= 0 else seats[t]
        cand = tree.query(anchor, k=len(p))[1]
        got = cand[free[cand]][: short[t]]
        if len(got) < short[t]:
            msg = "not enough lattice points for the villages; lower lattice_fill"
            raise ValueError(msg)
        free[got] = False
        extra_p.append(got)
        extra_t.append(np.full(len(got), t))
    if extra_p:
        logger.debug("%d villages placed outside their township cell", sum(map(len, extra_p)))
        take = np.concatenate([take, *extra_p])
        town = np.concatenate([town, *extra_t])
        o = np.argsort(town, kind="stable")
        take, town = take[o], town[o]
    return first, take, town


def road_gates(
    area: shapely.Geometry, hub: np.ndarray, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Two points per primary road where it leaves the county, on opposite sides of the hub."""
    minx, miny, maxx, maxy = area.bounds
    far = 2 * math.hypot(maxx - minx, maxy - miny)
    th0 = rng.uniform(0, math.pi)
    out = []
    for i in range(2 * n):
        th = th0 + i * math.pi / n if i < n else th0 + (i - n) * math.pi / n + math.pi
        u = np.array([math.cos(th), math.sin(th)])
        hit = shapely.get_coordinates(
            shapely.LineString([hub, hub + far * u]).intersection(area.boundary)
        )
        dist = np.min(np.hypot(*(hit - hub).T)) if len(hit) else 1000.0
        out.append(hub + max(dist - 300.0, dist * 0.9) * u)
    return np.array(out)


def centre_extras(
    seats: np.ndarray,
    occupied: np.ndarray,
    area: shapely.Geometry,
    lo_hi: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Extra centre sites 0.5–1.5 km from each seat, at least 300 m from villages/seats."""
    tree = cKDTree(occupied)
    n_extra = rng.integers(lo_hi[0], lo_hi[1] + 1, size=len(seats))
    pts, town = [], []
    for t, s in enumerate(seats):
        for _ in range(n_extra[t]):
            for _attempt in range(30):
                r, a = rng.uniform(500, 1500), rng.uniform(0, 2 * math.pi)
                q = s + r * np.array([math.cos(a), math.sin(a)])
                if tree.query(q)[0] >= 300.0 and area.contains(shapely.Point(q)):  # noqa: PLR2004
                    pts.append(q)
                    town.append(t)
                    break
    return np.array(pts).reshape(-1, 2), np.array(town, np.int64)


def township_areas(
    p: np.ndarray,
    labels: np.ndarray,
    k: int,
    rural: shapely.Geometry,
) -> np.ndarray:
    """Township polygons: Voronoi cells of the points, merged by label, clipped to the county.

    ``p`` are every lattice point and fixed point, ``labels`` their township.
    """
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(p), extend_to=rural, ordered=True)
    )
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    merged = np.array(
        [shapely.union_all(cells[order[bounds[t] : bounds[t + 1]]]) for t in range(k)]
    )
    return shapely.intersection(merged, rural)
