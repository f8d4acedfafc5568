"""Floyd–Steinberg error diffusion over palette colours.

Off by default: dithering trades flat areas for speckle, which stitchers dislike, but it helps photographs
with smooth gradients on a small colour budget. The error is diffused in CIELAB, the space where the
nearest colour is chosen, so no conversion is needed inside the loop; the running colour is clamped to the
Lab box so a long run of saturated error cannot explode. Rows are walked in serpentine order to avoid the
diagonal "worm" artefacts of plain raster order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .color import ciede2000_scalar


@njit(cache=True, nogil=True)
def _dither(labs, mask, pal_labs, allowed):
    h, w, _ = labs.shape
    work = labs.copy()
    out = np.full((h, w), -1, np.int16)
    for y in range(h):
        forward = y % 2 == 0
        for i in range(w):
            x = i if forward else w - 1 - i
            if not mask[y, x]:
                continue
            L = min(max(work[y, x, 0], 0.0), 100.0)
            a = min(max(work[y, x, 1], -128.0), 128.0)
            b = min(max(work[y, x, 2], -128.0), 128.0)
            best = np.inf
            best_c = -1
            for j in range(allowed.size):
                c = allowed[j]
                d = ciede2000_scalar(L, a, b, pal_labs[c, 0], pal_labs[c, 1], pal_labs[c, 2])
                if d < best:
                    best = d
                    best_c = c
            out[y, x] = best_c
            e0 = L - pal_labs[best_c, 0]
            e1 = a - pal_labs[best_c, 1]
            e2 = b - pal_labs[best_c, 2]
            step = 1 if forward else -1
            for dy, dx, f in ((0, step, 7.0 / 16), (1, -step, 3.0 / 16), (1, 0, 5.0 / 16), (1, step, 1.0 / 16)):
                yy = y + dy
                xx = x + dx
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx]:
                    work[yy, xx, 0] += e0 * f
                    work[yy, xx, 1] += e1 * f
                    work[yy, xx, 2] += e2 * f
    return out


def floyd_steinberg(
    labs: np.ndarray, palette_labs: np.ndarray, allowed: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """Dithered (H,W) int16 grid of palette indices chosen among ``allowed``; cells outside ``mask`` are -1."""
    labs = np.ascontiguousarray(labs, dtype=np.float64)
    if mask is None:
        mask = np.ones(labs.shape[:2], np.bool_)
    return _dither(labs, np.ascontiguousarray(mask, dtype=np.bool_),
                   np.ascontiguousarray(palette_labs, dtype=np.float64), np.asarray(allowed, dtype=np.int64))
