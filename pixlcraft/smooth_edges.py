"""Smooth edges: three-quarter + quarter stitches where a cell straddles a diagonal boundary (``--smooth-edges``).

A full cross fills its whole cell with one colour, so a slanted boundary between two colours becomes a
staircase. A stitcher smooths it by splitting the cells on the boundary along a diagonal: a three-quarter
stitch in one colour and a quarter stitch in the other, each filling one triangular half of the cell. This
module finds those cells from the photo itself, at sub-cell resolution: for each cell, the photo (linear light,
so an edge pixel counts by the light it sends) is averaged over its two triangular halves for both diagonals;
the cell's colour ``A`` keeps the three-quarter stitch (it is what the cell mostly was) and the colour ``B`` of a
neighbour on the other side of the diagonal takes the quarter. The split is kept when the mean CIEDE2000 of the
two halves against their photo averages drops by at least ``min_gain`` (2 ΔE00, about a just noticeable
difference: a part stitch is more work than a cross, so it must buy a visible improvement).

Representation (as an imported OXS chart has it, see :mod:`pixlcraft.stitches`): a split cell has **no full
cross** — its grid value becomes ``EMPTY`` — and its four quarters hold ``A`` three times (the half-stitch
diagonal and the quarter on ``A``'s side) and ``B`` once. So :meth:`Pattern.counts` counts full crosses only,
and :meth:`Pattern.layer_counts` counts one three-quarter stitch of ``A`` and one quarter of ``B`` per cell.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from .color import ciede2000, linear_to_lab
from .imageio import Photo
from .pattern import EMPTY, Pattern
from .stitches import BOTTOM_LEFT, BOTTOM_RIGHT, TOP_LEFT, TOP_RIGHT
from .suggest import chart_photo, require_stitch

SUB = 8
"""The photo is resampled to SUB×SUB pixels per cell to average its triangles the same way at every size."""
DEFAULT_MIN_GAIN = 2.0
_TRI_TOP, _TRI_RIGHT, _TRI_BOTTOM, _TRI_LEFT = range(4)

# (name, triangles of A's half, triangles of B's half, quarter B takes, neighbours on B's side as (dy, dx))
SPLITS = (
    ("/ A top-left", (_TRI_TOP, _TRI_LEFT), (_TRI_BOTTOM, _TRI_RIGHT), BOTTOM_RIGHT, ((0, 1), (1, 0))),
    ("/ A bottom-right", (_TRI_BOTTOM, _TRI_RIGHT), (_TRI_TOP, _TRI_LEFT), TOP_LEFT, ((0, -1), (-1, 0))),
    ("\\ A top-right", (_TRI_TOP, _TRI_RIGHT), (_TRI_BOTTOM, _TRI_LEFT), BOTTOM_LEFT, ((0, -1), (1, 0))),
    ("\\ A bottom-left", (_TRI_BOTTOM, _TRI_LEFT), (_TRI_TOP, _TRI_RIGHT), TOP_RIGHT, ((0, 1), (-1, 0))),
)


@lru_cache(maxsize=1)
def _triangle_weights() -> np.ndarray:
    """``(4, SUB, SUB)``: how much of each sub-pixel lies in the cell's top, right, bottom and left triangle
    (16×16 samples per sub-pixel, offset so none falls exactly on a diagonal)."""
    n = 16
    x = (np.arange(SUB)[:, None] + (np.arange(n) + 0.3) / n).ravel()  # (SUB*n,) sample positions
    y = (np.arange(SUB)[:, None] + (np.arange(n) + 0.6) / n).ravel()
    yy, xx = np.meshgrid(y, x, indexing="ij")
    d1, d2 = yy - xx, yy + xx - SUB
    tri = np.select([(d1 < 0) & (d2 < 0), (d1 < 0) & (d2 > 0), (d1 > 0) & (d2 > 0)], [0, 1, 2], 3)
    w = np.stack([(tri == t).reshape(SUB, n, SUB, n).mean(axis=(1, 3)) for t in range(4)])
    return w


def triangle_colours(linear: np.ndarray, width: int, height: int) -> np.ndarray:
    """``(H, W, 4, 3)`` linear RGB: the photo averaged over each cell's top, right, bottom, left triangle."""
    size = (width * SUB, height * SUB)
    shrink = linear.shape[1] >= size[0] and linear.shape[0] >= size[1]
    sub = cv2.resize(linear, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    blocks = sub.reshape(height, SUB, width, SUB, 3).astype(np.float64)
    w = _triangle_weights()
    return np.einsum("hiwjc,tij->hwtc", blocks, w) / w.sum(axis=(1, 2))[None, None, :, None]


_CORNER_TRIS = {TOP_LEFT: (_TRI_TOP, _TRI_LEFT), TOP_RIGHT: (_TRI_TOP, _TRI_RIGHT),
                BOTTOM_LEFT: (_TRI_BOTTOM, _TRI_LEFT), BOTTOM_RIGHT: (_TRI_BOTTOM, _TRI_RIGHT)}


def triangle_stitches(pattern: Pattern) -> np.ndarray:
    """``(H, W, 4)`` the colour stitched over each cell's top, right, bottom and left triangle: the full cross's
    colour four times, or for a three-quarter + quarter cell the quarter's colour on the two triangles its
    corner touches; ``EMPTY`` where a cell is bare or holds another mix of part stitches."""
    out = np.repeat(pattern.grid.astype(np.int64)[..., None], 4, axis=2)
    q = pattern.layers.quarters
    if q is None:
        return out
    ys, xs = np.nonzero((pattern.grid < 0) & (q >= 0).any(axis=2))
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        values, counts = np.unique(q[y, x], return_counts=True)
        if sorted(counts.tolist()) != [1, 3] or (values < 0).any():
            continue
        b = int(values[np.argmin(counts)])
        out[y, x] = int(values[np.argmax(counts)])
        out[y, x, list(_CORNER_TRIS[int(np.flatnonzero(q[y, x] == b)[0])])] = b
    return out


def triangle_error(pattern: Pattern, photo: Photo) -> float:
    """Mean ΔE00 between the colour stitched over each triangle a cell's diagonals cut it into and the photo's
    average there: the half-cell error of both diagonals at once (every half cell is two such triangles), so a
    full cross and a split cell are measured on the same pieces."""
    tri = triangle_colours(chart_photo(pattern, photo), pattern.width, pattern.height)
    colour = triangle_stitches(pattern)
    ok = colour >= 0
    return float(ciede2000(linear_to_lab(tri[ok]), pattern.palette.lab[colour[ok]]).mean()) if ok.any() else 0.0


def smooth_edges(pattern: Pattern, photo: Photo, *, min_gain: float = DEFAULT_MIN_GAIN) -> Pattern:
    """A copy of ``pattern`` in which the cells on diagonal colour boundaries are split into a three-quarter
    and a quarter stitch where that fits the photo's two halves of the cell better (see the module docstring).
    Cells that already hold part stitches, and empty cells, are left alone."""
    require_stitch(pattern, "--smooth-edges")
    h, w = pattern.height, pattern.width
    tri = triangle_colours(chart_photo(pattern, photo), w, h)
    grid = pattern.grid.astype(np.int64)
    lab = pattern.palette.lab
    quarters = pattern.layers.quarter_grid(h, w)
    free = (grid >= 0) & ~(quarters >= 0).any(axis=2)
    padded = np.pad(grid, 1, constant_values=EMPTY)
    best_gain = np.zeros((h, w))
    best_b = np.full((h, w), EMPTY, np.int64)
    best_split = np.full((h, w), -1, np.int64)
    for si, (_, a_tris, b_tris, _, neighbours) in enumerate(SPLITS):
        half_a = linear_to_lab(tri[:, :, list(a_tris)].mean(axis=2))
        half_b = linear_to_lab(tri[:, :, list(b_tris)].mean(axis=2))
        for dy, dx in neighbours:
            b = padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            cand = free & (b >= 0) & (b != grid)
            ys, xs = np.nonzero(cand)
            if not ys.size:
                continue
            a_lab, b_lab = lab[grid[ys, xs]], lab[b[ys, xs]]
            err_a = ciede2000(half_a[ys, xs], a_lab)
            full = 0.5 * (err_a + ciede2000(half_b[ys, xs], a_lab))
            split = 0.5 * (err_a + ciede2000(half_b[ys, xs], b_lab))
            gain = full - split
            better = gain > best_gain[ys, xs]
            ys, xs = ys[better], xs[better]
            best_gain[ys, xs] = gain[better]
            best_b[ys, xs] = b[ys, xs]
            best_split[ys, xs] = si
    ys, xs = np.nonzero((best_split >= 0) & (best_gain >= min_gain))
    out = pattern.copy()
    if not ys.size:
        return out
    b_quarter = np.array([s[3] for s in SPLITS])[best_split[ys, xs]]
    quarters[ys, xs] = grid[ys, xs, None]
    quarters[ys, xs, b_quarter] = best_b[ys, xs]
    out.grid[ys, xs] = EMPTY
    out.layers = pattern.layers.replace(quarters=quarters)
    out.validate()
    return out
