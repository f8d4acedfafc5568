"""Colour budget: pick the K palette colours that make the pattern closest to the photo.

Keeping the K most used colours of the unconstrained pattern is what most converters do, and it throws away
rare but important colours (a red mouth in a face) while keeping five near-identical skin tones. The right
question is which K colours minimise the total CIEDE2000 error once every cell is re-mapped to its nearest
chosen colour. That is the K-median (facility location) problem, NP-hard in general, so we solve it the way
K-medoids is solved in practice: greedy construction followed by best-improvement swaps (PAM's swap phase,
using nearest/second-nearest bookkeeping so each full swap scan costs O(cells × palette)). On toy cases that
can be enumerated the result equals the true optimum (see the tests), and it never does worse than the
greedy start.

To keep a 200×200 pattern interactive, cells are first grouped into weighted bins of almost equal Lab colour
(bins of at most ``bin_size`` ΔE*ab); the optimisation runs on the bins, then every real cell is re-mapped
exactly.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .color import ciede2000_pairwise


def _bin_colors(labs: np.ndarray, bin_size: float) -> tuple[np.ndarray, np.ndarray]:
    """Weighted representatives: the mean Lab of each occupied bin and the number of cells in it.

    One integer key per bin and a 1-D ``np.unique`` (not ``unique(axis=0)``, which is several times slower and
    holds the GIL long enough to stall the GUI on large patterns).
    """
    keys = np.floor(labs / bin_size).astype(np.int64)
    keys -= keys.min(axis=0)
    span = keys.max(axis=0) + 1
    flat = (keys[:, 0] * span[1] + keys[:, 1]) * span[2] + keys[:, 2]
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    sums = np.stack([np.bincount(inverse, weights=labs[:, c], minlength=counts.size) for c in range(3)], axis=1)
    return sums / counts[:, None], counts.astype(np.float64)


@njit(cache=True, nogil=True)
def _greedy(dist: np.ndarray, weights: np.ndarray, k: int) -> np.ndarray:
    g, n = dist.shape
    best = np.full(g, np.inf)
    chosen = np.empty(k, np.int64)
    taken = np.zeros(n, np.bool_)
    for step in range(k):
        best_gain_cost = np.inf
        best_c = -1
        for c in range(n):
            if taken[c]:
                continue
            cost = 0.0
            for i in range(g):
                d = dist[i, c]
                cost += weights[i] * (d if d < best[i] else best[i])
            if cost < best_gain_cost:
                best_gain_cost = cost
                best_c = c
        chosen[step] = best_c
        taken[best_c] = True
        for i in range(g):
            if dist[i, best_c] < best[i]:
                best[i] = dist[i, best_c]
    return chosen


@njit(cache=True, nogil=True)
def _nearest_two(dist: np.ndarray, chosen: np.ndarray):
    g = dist.shape[0]
    near = np.empty(g, np.int64)  # position in ``chosen``
    d1 = np.empty(g)
    d2 = np.empty(g)
    for i in range(g):
        a = np.inf
        b = np.inf
        ai = 0
        for j in range(chosen.size):
            d = dist[i, chosen[j]]
            if d < a:
                b = a
                a = d
                ai = j
            elif d < b:
                b = d
        near[i] = ai
        d1[i] = a
        d2[i] = b
    return near, d1, d2


@njit(cache=True, parallel=True, nogil=True)
def _swap_deltas(dist, weights, chosen, taken, near, d1, d2):
    """For every candidate c (not chosen) and every chosen position j: the change in cost of swapping j for c."""
    g, n = dist.shape
    k = chosen.size
    delta = np.zeros((n, k))
    for c in prange(n):
        if taken[c]:
            continue
        shared = 0.0  # gain for bins that move to c whatever is removed
        row = np.zeros(k)
        for i in range(g):
            dc = dist[i, c]
            w = weights[i]
            if dc < d1[i]:
                shared += w * (dc - d1[i])
                # removing the bin's own nearest: it goes to c, already counted in ``shared``
            else:
                # removing the bin's nearest sends it to min(second nearest, c)
                row[near[i]] += w * ((dc if dc < d2[i] else d2[i]) - d1[i])
        for j in range(k):
            delta[c, j] = shared + row[j]
    return delta


def choose_colors(
    labs: np.ndarray,
    palette_labs: np.ndarray,
    k: int,
    *,
    allowed: np.ndarray | None = None,
    bin_size: float = 1.0,
    max_swaps: int = 200,
) -> np.ndarray:
    """Indices (into the palette) of ``k`` colours minimising the total CIEDE2000 error of ``labs``.

    ``labs`` are the cells' true colours (N,3); ``allowed`` restricts the candidates (e.g. colours owned).
    Returns a sorted int array of length ``min(k, number of candidates)``.
    """
    labs = np.asarray(labs, dtype=np.float64).reshape(-1, 3)
    candidates = np.arange(len(palette_labs)) if allowed is None else _as_indices(allowed, len(palette_labs))
    if k <= 0:
        raise ValueError("the colour budget must be at least 1")
    if k >= candidates.size:
        return np.sort(candidates)
    reps, weights = _bin_colors(labs, bin_size) if bin_size > 0 else (labs, np.ones(len(labs)))
    dist = np.ascontiguousarray(ciede2000_pairwise(reps, palette_labs[candidates]))
    chosen = _greedy(dist, weights, k)
    taken = np.zeros(candidates.size, np.bool_)
    taken[chosen] = True
    for _ in range(max_swaps):
        near, d1, d2 = _nearest_two(dist, chosen)
        delta = _swap_deltas(dist, weights, chosen, taken, near, d1, d2)
        c, j = np.unravel_index(np.argmin(delta), delta.shape)
        if delta[c, j] >= -1e-9 * max(1.0, float(np.dot(weights, d1))):
            break
        taken[chosen[j]] = False
        taken[c] = True
        chosen[j] = c
    return np.sort(candidates[chosen])


def total_error(labs: np.ndarray, palette_labs: np.ndarray, chosen: np.ndarray) -> float:
    """Sum over cells of the CIEDE2000 distance to the nearest chosen colour (for tests and benchmarks)."""
    d = ciede2000_pairwise(np.asarray(labs, np.float64).reshape(-1, 3), palette_labs[np.asarray(chosen)])
    return float(d.min(axis=1).sum())


def _as_indices(allowed: np.ndarray, n: int) -> np.ndarray:
    allowed = np.asarray(allowed)
    if allowed.dtype == np.bool_:
        if allowed.shape != (n,):
            raise ValueError("allowed mask must have one entry per palette colour")
        return np.flatnonzero(allowed)
    return np.unique(allowed.astype(np.int64))
