"""Confetti: single stitches (beads, studs) that share their colour with none of their four neighbours.

Each isolated cell costs a stitcher a thread change for one stitch, so charts full of confetti are hated. The
clean-up re-colours an isolated cell to the neighbouring colour closest to the cell's true colour, but only
when that costs at most ``tolerance`` CIEDE2000 more than the colour it had: edges and real details (an eye
highlight) stay, noise goes. Cells are visited in reading order and updated in place, repeated until nothing
changes, so a pair of cells that become alike protect each other.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .color import ciede2000_scalar

DEFAULT_TOLERANCE = 6.0


@njit(cache=True, nogil=True)
def _isolated(grid: np.ndarray, y: int, x: int) -> bool:
    h, w = grid.shape
    c = grid[y, x]
    if y > 0 and grid[y - 1, x] == c:
        return False
    if y + 1 < h and grid[y + 1, x] == c:
        return False
    if x > 0 and grid[y, x - 1] == c:
        return False
    if x + 1 < w and grid[y, x + 1] == c:
        return False
    return True


@njit(cache=True, nogil=True)
def confetti_mask(grid: np.ndarray) -> np.ndarray:
    """Cells (not empty) that share their colour with none of their 4-neighbours."""
    h, w = grid.shape
    out = np.zeros((h, w), np.bool_)
    for y in range(h):
        for x in range(w):
            if grid[y, x] >= 0 and _isolated(grid, y, x):
                out[y, x] = True
    return out


@njit(cache=True, nogil=True)
def _clean(grid, labs, pal_labs, tolerance, max_passes):
    h, w = grid.shape
    dy = np.array([-1, 1, 0, 0])
    dx = np.array([0, 0, -1, 1])
    total = 0
    for _ in range(max_passes):
        changed = 0
        for y in range(h):
            for x in range(w):
                c = grid[y, x]
                if c < 0 or not _isolated(grid, y, x):
                    continue
                L, a, b = labs[y, x, 0], labs[y, x, 1], labs[y, x, 2]
                current = ciede2000_scalar(L, a, b, pal_labs[c, 0], pal_labs[c, 1], pal_labs[c, 2])
                best = np.inf
                best_c = -1
                for k in range(4):
                    yy = y + dy[k]
                    xx = x + dx[k]
                    if yy < 0 or yy >= h or xx < 0 or xx >= w:
                        continue
                    nc = grid[yy, xx]
                    if nc < 0:
                        continue
                    d = ciede2000_scalar(L, a, b, pal_labs[nc, 0], pal_labs[nc, 1], pal_labs[nc, 2])
                    if d < best or (d == best and nc < best_c):
                        best = d
                        best_c = nc
                if best_c >= 0 and best - current <= tolerance:
                    grid[y, x] = best_c
                    changed += 1
        total += changed
        if changed == 0:
            break
    return total


def remove_confetti(
    grid: np.ndarray,
    labs: np.ndarray,
    palette_labs: np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE,
    max_passes: int = 4,
) -> tuple[np.ndarray, int]:
    """Return a cleaned copy of ``grid`` and how many cells were re-coloured.

    ``labs`` (H,W,3) are the cells' true colours, against which the extra error is judged.
    """
    out = np.array(grid, copy=True)
    changed = _clean(out, np.ascontiguousarray(labs, dtype=np.float64),
                     np.ascontiguousarray(palette_labs, dtype=np.float64), float(tolerance), int(max_passes))
    return out, int(changed)


def confetti_share(grid: np.ndarray) -> float:
    """Fraction of non-empty cells that are confetti (a quality figure for benchmarks and the GUI)."""
    filled = int((np.asarray(grid) >= 0).sum())
    return float(confetti_mask(np.asarray(grid)).sum()) / filled if filled else 0.0
