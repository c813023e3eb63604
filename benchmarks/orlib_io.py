"""Readers for Beasley's OR-Library p-median and warehouse-location files.

Formats (see ``../shared/benchmarks/orlib/README.md`` beside the checkout):

* ``pmedN.txt``: ``n m p`` then m undirected edges ``i j c`` (1-based). Duplicate edges
  occur; the **last occurrence wins**. Costs are all-pairs shortest paths.
* ``capNNN.txt``: ``m n``, m lines ``capacity fixed_cost`` (capa/b/c: the word
  ``capacity``), then per customer its demand and m allocation costs (cost of serving
  all of the customer's demand from each warehouse).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

ORLIB = Path(
    os.environ.get(
        "RURALNET_ORLIB", Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "orlib"
    )
)


@dataclass(frozen=True)
class PMedInstance:
    name: str
    costs: np.ndarray  # n x n shortest-path distances
    p: int
    duplicate_edges: int  # vertex pairs listed more than once


@dataclass(frozen=True)
class CapInstance:
    name: str
    costs: np.ndarray  # customers x warehouses (transposed from the file's layout)
    fixed: np.ndarray
    capacities: np.ndarray | None  # None when the file says "capacity"
    demands: np.ndarray


def read_pmed(path: str | Path) -> PMedInstance:
    """Read a pmed file; duplicate edges keep their last cost."""
    path = Path(path)
    tok = path.read_text().split()
    n, m, p = int(tok[0]), int(tok[1]), int(tok[2])
    edges = np.array(tok[3 : 3 + 3 * m], dtype=np.int64).reshape(m, 3)
    a = np.minimum(edges[:, 0], edges[:, 1]) - 1
    b = np.maximum(edges[:, 0], edges[:, 1]) - 1
    key = a * n + b
    # last occurrence wins: unique over the reversed list picks the last index
    _, last_rev = np.unique(key[::-1], return_index=True)
    keep = np.sort(m - 1 - last_rev)
    g = csr_matrix((edges[keep, 2].astype(float), (a[keep], b[keep])), shape=(n, n))
    dist = shortest_path(g, method="D", directed=False)
    if not np.isfinite(dist).all():
        msg = f"{path.name}: the graph is not connected"
        raise ValueError(msg)
    _, counts = np.unique(key, return_counts=True)
    return PMedInstance(path.stem, dist, p, int((counts > 1).sum()))


def read_cap(path: str | Path, *, capacity: float | None = None) -> CapInstance:
    """Read a capNNN / capa / capb / capc file; ``capacity`` replaces the word 'capacity'."""
    path = Path(path)
    tok = path.read_text().split()
    m, n = int(tok[0]), int(tok[1])
    pos = 2
    caps, fixed = [], []
    literal = False
    for _ in range(m):
        if tok[pos] == "capacity":
            literal = True
            caps.append(np.nan)
        else:
            caps.append(float(tok[pos]))
        fixed.append(float(tok[pos + 1]))
        pos += 2
    demands = np.empty(n)
    costs = np.empty((n, m))
    for j in range(n):
        demands[j] = float(tok[pos])
        costs[j] = np.array(tok[pos + 1 : pos + 1 + m], dtype=float)
        pos += 1 + m
    capacities: np.ndarray | None = np.array(caps)
    if literal:
        capacities = None if capacity is None else np.full(m, float(capacity))
    return CapInstance(path.stem, costs, np.array(fixed), capacities, demands)


def read_optima(path: str | Path) -> dict[str, float]:
    """Read ``name value`` lines (``cap71.txt 932615.750``, ``pmed1 5819``, ``capa8000 ...``)."""
    out: dict[str, float] = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) >= 2 and re.fullmatch(r"[-+0-9.eE]+", parts[-1]):
            out[parts[0].removesuffix(".txt")] = float(parts[-1])
    return out


def pmed_optima() -> dict[str, float]:
    """Known p-median optima from ``pmedopt.txt`` (keys ``pmed1`` ...)."""
    return read_optima(ORLIB / "pmed" / "pmedopt.txt")
