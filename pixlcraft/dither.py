"""Dithering over palette colours: error diffusion and ordered (Bayer) patterns, both in linear light.

Off by default: dithering trades flat areas for speckle, which stitchers dislike, but it helps photographs
with smooth gradients on a small colour budget. Its one job is a better picture seen from a distance, where the
eye averages neighbouring stitches — and the eye averages *light*. So the error is measured and spread in
linear sRGB, where averaging two cells' colours is what the eye does; spreading it in CIELAB (as before) does
not add up, and shifted hues (a blue square turned purple, pink specks in a blue sky). Each cell's colour is
still chosen by CIEDE2000 from the running colour, so the choice is perceptual while the bookkeeping is
physical. Each target is first moved within the palette's reach (:func:`reachable`), and the running colour
is kept within a margin of the sRGB gamut the size of the palette's spacing (:func:`margin`), so a long run
of saturated error cannot run away into hues the photo does not have. ``strength`` (0–1) scales the error
passed on: lower is calmer.

* ``floyd-steinberg``: serpentine Floyd–Steinberg, the finest and most faithful shading, for cross-stitch.
* ``ordered``: pattern dithering (Knoll): each cell's colour as a mix of 16 palette colours, shown one per
  cell in a 4×4 Bayer order (see :func:`_ordered`). Its regular texture reads better than diffusion noise in
  beads and bricks, and one cell's choice never depends on another's, so an edit to the photo changes only the
  cells it touches.

The compiled diffusion loop runs a band of rows at a time (about a tenth of a second of work), so a cancel or Ctrl+C
is heard between bands instead of after the whole picture; the error buffer carries over from band to band,
so the result is the same as one pass.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numba import njit

from .color import REFERENCE_WHITE_XYZ, SRGB_TO_XYZ
from .nearest import nearest_colors, nearest_one, sorted_palette

BAND_WORK = 2_000_000
"""Cells × colours compared per band: about 0.1 s of CIEDE2000 comparisons."""

BAND_COLOURS = 40
"""Colours compared per cell, about: the pruned search (:func:`pixlcraft.nearest.nearest_one`) evaluates a
few dozen of even DMC's 489, so a band's time does not grow with the palette."""

DITHER_METHODS: tuple[str, ...] = ("floyd-steinberg", "ordered")

MARGIN = 0.05
"""Least distance outside the sRGB gamut (linear, per channel) the running colour of the diffusion may go; see
:func:`margin`."""


def margin(pal_lin: np.ndarray) -> float:
    """How far outside the gamut the running colour may go: the palette's typical spacing (the median
    distance, per channel, from a colour to its nearest other one), at least :data:`MARGIN`.

    A choice leaves an error of about that size, and the diffusion must carry it to stay true (black and white
    shade a grey only if the running colour can fall a long way below black). Anything past it is overshoot
    that comes back as off-hue specks: for DMC's 489 threads a tight margin lowered the error seen from a
    distance of a sunset by 12 % against a fixed 0.5, and of 7 photos by 2 %."""
    from scipy.spatial import cKDTree

    if len(pal_lin) < 2:
        return MARGIN
    gaps, _ = cKDTree(pal_lin).query(pal_lin, k=2, p=np.inf)
    return float(max(MARGIN, np.median(gaps[:, 1])))


_M = np.ascontiguousarray(SRGB_TO_XYZ, dtype=np.float64)
_WHITE = np.ascontiguousarray(REFERENCE_WHITE_XYZ, dtype=np.float64)


@njit(cache=True, nogil=True, inline="always")
def _f(t: float) -> float:
    return t ** (1.0 / 3.0) if t > 216.0 / 24389.0 else t * (24389.0 / 27.0 / 116.0) + 16.0 / 116.0


@njit(cache=True, nogil=True)
def _lab(r: float, g: float, b: float, m: np.ndarray, white: np.ndarray) -> tuple[float, float, float]:
    """Linear sRGB → CIELAB (D65), the same formulas as :func:`pixlcraft.color.linear_to_lab`."""
    fx = _f((m[0, 0] * r + m[0, 1] * g + m[0, 2] * b) / white[0])
    fy = _f((m[1, 0] * r + m[1, 1] * g + m[1, 2] * b) / white[1])
    fz = _f((m[2, 0] * r + m[2, 1] * g + m[2, 2] * b) / white[2])
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


@njit(cache=True, nogil=True)
def _diffuse_rows(work, shift, kept, mask, pal_linear, sorted_pal, strength, reach, m, white, out, y0, y1):
    """Rows ``y0``..``y1-1``: ``work`` (running linear colours, error included) and ``out`` updated in place.
    ``sorted_pal`` is the allowed colours as :func:`pixlcraft.nearest.sorted_palette` gives them. Cells of
    ``kept`` (kept detail) take no error: theirs goes to the other neighbours, so a line is not dotted by the
    light its own cells give back."""
    h, w, _ = work.shape
    pL, pa, pb, pC, porig, pal_size, kq_table = sorted_pal
    prev = -1
    for y in range(y0, y1):
        forward = y % 2 == 0
        step = 1 if forward else -1
        for i in range(w):
            x = i if forward else w - 1 - i
            if not mask[y, x]:
                continue
            # the error is kept within a margin around the gamut (none of it is lost in ordinary shading,
            # a colour the palette cannot mix cannot pile it up without end); the choice sees the gamut
            r = min(max(work[y, x, 0], -reach), 1.0 + reach)
            g = min(max(work[y, x, 1], -reach), 1.0 + reach)
            b = min(max(work[y, x, 2], -reach), 1.0 + reach)
            cr = min(max(r + shift[y, x, 0], 0.0), 1.0)
            cg = min(max(g + shift[y, x, 1], 0.0), 1.0)
            cb = min(max(b + shift[y, x, 2], 0.0), 1.0)
            lab_l, lab_a, lab_b = _lab(cr, cg, cb, m, white)
            best, _, prev = nearest_one(lab_l, lab_a, lab_b, prev, pL, pa, pb, pC, porig, pal_size, kq_table)
            out[y, x] = best
            e0 = (r - pal_linear[best, 0]) * strength
            e1 = (g - pal_linear[best, 1]) * strength
            e2 = (b - pal_linear[best, 2]) * strength
            skipped = 0.0  # the share of kept neighbours, handed to the others
            taken = 0.0
            for dy, dx, f in ((0, step, 7.0 / 16), (1, -step, 3.0 / 16), (1, 0, 5.0 / 16), (1, step, 1.0 / 16)):
                yy = y + dy
                xx = x + dx
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx]:
                    if kept[yy, xx]:
                        skipped += f
                    else:
                        taken += f
            scale = (taken + skipped) / taken if taken > 0.0 else 0.0
            for dy, dx, f in ((0, step, 7.0 / 16), (1, -step, 3.0 / 16), (1, 0, 5.0 / 16), (1, step, 1.0 / 16)):
                yy = y + dy
                xx = x + dx
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not kept[yy, xx]:
                    work[yy, xx, 0] += e0 * f * scale
                    work[yy, xx, 1] += e1 * f * scale
                    work[yy, xx, 2] += e2 * f * scale


def bayer(n: int) -> np.ndarray:
    """The n×n Bayer index matrix (n a power of two): every index 0..n²-1 once, neighbours far apart."""
    mat = np.zeros((1, 1), np.int64)
    while mat.shape[0] < n:
        mat = np.block([[4 * mat, 4 * mat + 2], [4 * mat + 3, 4 * mat + 1]])
    return mat


ORDERED_SIZE = 4
"""Side of the ordered pattern: 16 colours mixed per cell, a texture that repeats every 4 cells."""

ORDERED_ERROR = 0.5
"""Share of the mix's error each next colour of a mix corrects at full strength. Correcting all of it
overshoots (a mix swings between far-apart colours); from a half down to a quarter the error seen from a
distance is lowest (measured on the sample photos with Perler, Hama and DMC)."""


def _mixes(target: np.ndarray, strength: float, pal_lin: np.ndarray, pal_lab: np.ndarray, allowed: np.ndarray,
           check: Callable[[], None] | None, count: int = ORDERED_SIZE**2) -> np.ndarray:
    """(count, N) palette indices: for each colour of ``target`` (N,3 linear), the ``count`` colours whose
    average light comes closest to it, chosen one at a time, each correcting part of the error of those
    before. Found for all colours at once, one round per colour, with the exact pruned nearest-colour search."""
    from .color import linear_to_lab

    error = np.zeros_like(target)
    mixes = np.empty((count, len(target)), np.int64)
    for k in range(count):
        if check is not None:
            check()
        attempt = np.clip(target + error * (ORDERED_ERROR * strength), 0.0, 1.0)
        idx, _ = nearest_colors(linear_to_lab(attempt), pal_lab, allowed=allowed)
        mixes[k] = idx
        error += target - pal_lin[idx]
    return mixes


def reachable(linear: np.ndarray, mask: np.ndarray, pal_lin: np.ndarray, pal_lab: np.ndarray,
              allowed: np.ndarray, check: Callable[[], None] | None = None) -> np.ndarray:
    """Each cell's colour moved to the nearest the palette can mix (the average light of its best mix).

    Error diffusion can only reproduce colours inside the palette's range of mixes; asked for one outside
    (a blue deeper than any bead), it piles up error that no choice can pay back, and spends it on the
    wrong hues (purple specks in a blue card). Diffusing towards the reachable colour instead keeps every
    mixable colour as it is and leaves an unreachable one at its closest mix."""
    ys, xs = np.nonzero(mask)
    out = np.array(linear, dtype=np.float64, copy=True)
    target = out[ys, xs]
    far = ~_mixable(target, pal_lin[np.asarray(allowed)])
    if far.any():
        out[ys[far], xs[far]] = _closest_mix(target[far], pal_lin, pal_lab, allowed, check)
    return out


REACH_ROUNDS = 8
"""Most colours per mix when placing an unreachable colour at its closest mix."""


def _closest_mix(target: np.ndarray, pal_lin: np.ndarray, pal_lab: np.ndarray, allowed: np.ndarray,
                 check: Callable[[], None] | None) -> np.ndarray:
    """The mix, of 1 to REACH_ROUNDS colours, that looks closest (CIEDE2000) to each colour of ``target``.

    The colours of a mix are chosen one at a time, each correcting part of the error of those before, and
    the average of the first k of them is a point inside the palette's range for every k. The later
    colours of a mix pull towards the out-of-range target, but in a straight line in linear light, which
    can overshoot in hue; taking the best of those k points instead of the last one lowered the error seen
    from a distance on every sample with out-of-range colours (a sunset with DMC: 2.56 → 2.23)."""
    from .color import ciede2000, linear_to_lab

    mixes = _mixes(target, 1.0, pal_lin, pal_lab, allowed, check, REACH_ROUNDS)
    points = np.cumsum(pal_lin[mixes], axis=0) / np.arange(1, REACH_ROUNDS + 1)[:, None, None]
    target_lab = linear_to_lab(target)
    gaps = np.stack([ciede2000(linear_to_lab(p), target_lab) for p in points])
    return points[np.argmin(gaps, axis=0), np.arange(len(target))]


def _mixable(colours: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Which colours (linear) lie within the palette's mixes, the convex hull of its colours in linear light.
    A palette too small or too flat for a solid hull (two colours, greys only) counts everything as mixable:
    the diffusion's margin then bounds the error instead."""
    from scipy.spatial import Delaunay, QhullError

    try:
        hull = Delaunay(palette)
    except (QhullError, ValueError):
        return np.ones(len(colours), bool)
    return hull.find_simplex(colours, tol=1e-9) >= 0


def _ordered(linear: np.ndarray, mask: np.ndarray, strength: float, pal_lin: np.ndarray, pal_lab: np.ndarray,
             allowed: np.ndarray, out: np.ndarray, check: Callable[[], None] | None) -> None:
    """Knoll's pattern dithering: each cell's colour as a mix of n² palette colours (:func:`_mixes`), sorted by
    luminance; the Bayer index of the cell's position picks one of them, so cells of one colour show the mix
    as a regular texture."""
    ys, xs = np.nonzero(mask)
    mixes = _mixes(linear[ys, xs], strength, pal_lin, pal_lab, allowed, check)
    luminance = pal_lin[mixes] @ SRGB_TO_XYZ[1]
    order = np.argsort(luminance, axis=0, kind="stable")
    rank = bayer(ORDERED_SIZE)[ys % ORDERED_SIZE, xs % ORDERED_SIZE]
    cells = np.arange(len(ys))
    out[ys, xs] = mixes[order[rank, cells], cells]


def dither(
    method: str, linear: np.ndarray, palette_linear: np.ndarray, palette_labs: np.ndarray, allowed: np.ndarray,
    mask: np.ndarray | None = None, strength: float = 1.0, check: Callable[[], None] | None = None,
    plain: np.ndarray | None = None,
) -> np.ndarray:
    """Dithered (H,W) int16 grid of palette indices chosen among ``allowed``; cells outside ``mask`` are -1.

    ``linear`` is each cell's colour in linear sRGB (H,W,3), ``palette_linear``/``palette_labs`` the palette's
    colours in linear sRGB and CIELAB. ``check`` is called between bands of rows (a cancel token's check raises
    there). ``plain``: for Floyd–Steinberg, the cells' plain averages where ``linear`` holds kept detail (a thin
    line's colour, see :mod:`pixlcraft.detail`). Colours are then chosen towards the detail, so the line stays,
    while the error passed on is measured from the plain average, so the light the line took from its cell is
    given back around it and the picture seen from a distance keeps its tone (1–5 % lower blurred error on
    the sample photos than diffusing from the detail). Kept cells take no error themselves, so the light goes
    to the ground beside a line, not into the line's next cell (which would dot it)."""
    if method not in DITHER_METHODS:
        raise ValueError(f"unknown dithering {method!r}")
    work = np.array(linear, dtype=np.float64, order="C", copy=True)
    h, w = work.shape[:2]
    mask = np.ones((h, w), np.bool_) if mask is None else np.ascontiguousarray(mask, dtype=np.bool_)
    pal_lin = np.ascontiguousarray(palette_linear, dtype=np.float64)
    pal_lab = np.ascontiguousarray(palette_labs, dtype=np.float64)
    allowed = np.asarray(allowed, dtype=np.int64)
    strength = float(min(max(strength, 0.0), 1.0))
    out = np.full((h, w), -1, np.int16)
    if method == "ordered":
        _ordered(work, mask, strength, pal_lin, pal_lab, allowed, out, check)
        return out
    shift = np.zeros_like(work)
    if plain is not None:  # choose towards the kept detail, but account for the light the cell really has
        shift = work - np.asarray(plain, dtype=np.float64)
        work = np.array(plain, dtype=np.float64, order="C", copy=True)
    kept = np.ascontiguousarray(np.abs(shift).max(axis=2) > 1e-9)
    work = reachable(work, mask, pal_lin, pal_lab, allowed, check)
    reach = margin(pal_lin[allowed])
    sorted_pal = sorted_palette(pal_lab, np.unique(allowed))
    band = max(1, BAND_WORK // max(1, w * BAND_COLOURS))
    for y0 in range(0, h, band):
        if check is not None:
            check()
        _diffuse_rows(work, shift, kept, mask, pal_lin, sorted_pal, strength, reach, _M, _WHITE, out, y0,
                      min(h, y0 + band))
    return out
