"""Small p-median instances and their brute-force costs, shared by the classic tests."""

from __future__ import annotations

import itertools

import numpy as np


def points(n: int, seed: int) -> np.ndarray:
    """Floor-Euclidean distances of n random points in a 1000 x 1000 square (as TSPLIB)."""
    xy = np.random.default_rng(seed).uniform(0, 1000, (n, 2))
    return np.floor(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))


def pset_costs(dw: np.ndarray, p: int) -> dict[tuple[int, ...], float]:
    """Cost of every p-subset of the sites."""
    m = dw.shape[1]
    return {s: float(dw[:, list(s)].min(axis=1).sum()) for s in itertools.combinations(range(m), p)}


def naive_greedy(d: np.ndarray, p: int, opened: tuple[int, ...] = ()) -> list[int]:
    """The textbook greedy: open the site that lowers the total cost most, p times."""
    chosen = list(opened)
    best = d[:, chosen].min(axis=1) if chosen else np.full(d.shape[0], np.inf)
    while len(chosen) < p:
        total = np.minimum(d, best[:, None]).sum(axis=0)
        total[chosen] = np.inf
        j = int(np.argmin(total))
        chosen.append(j)
        best = np.minimum(best, d[:, j])
    return chosen
