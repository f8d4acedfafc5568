"""Exact nearest palette colour under CIEDE2000, fast enough for whole patterns.

Brute force asks for every cell's distance to every thread (40,000 cells × 489 DMC threads is 20 million
CIEDE2000 evaluations, seconds of work). :func:`nearest_colors` returns the *same* answer — the same index,
ties going to the lower palette index exactly as ``np.argmin`` over the brute-force matrix would, and the same
distance to the last bit (both call :func:`pixlcraft.color.ciede2000_scalar`) — while evaluating the full
formula for only a handful of threads per cell. It skips the others with lower bounds that are proven below,
never with heuristics.

Why the bounds hold. Write ΔE00² = tL² + q with tL = ΔL'/S_L and q = tC² + tH² + R_T·tC·tH, where
tC = ΔC'/S_C and tH = ΔH'/S_H. R_T = −sin(2Δθ)·R_C with 0 < Δθ ≤ 30° and 0 ≤ R_C ≤ 2, so
|R_T| ≤ r := R_C·sin 60° ≤ √3 < 2: q is a positive semi-definite form, q ≥ (1 − r/2)(tC² + tH²) ≥ 0.

1. ΔE00 ≥ |ΔL|/S_L(L̄). S_L grows with |L̄ − 50| and L̄ = (L_cell + L_thread)/2, so over the palette
   S_L ≤ S_max, its value at the end of [(L_cell + L_min)/2, (L_cell + L_max)/2] farther from 50. A thread
   that can still match the best distance d has |ΔL| ≤ d·S_max, so its L̄ is within d·S_max/2 of L_cell and
   S_L ≤ S_loc, the larger value of S_L at the two ends of that interval. Hence |ΔL| > d·S_loc rules a
   thread out, and with the palette sorted by L a scan outward from L_cell stops for good in each direction.
   Nothing here assumes 0 ≤ L ≤ 100.
2. Per thread, square roots only (no trigonometry): ΔC', S_C and r exactly; |ΔH'|² = |Δ(a', b')|² − ΔC'²
   (the hue term without atan2); S_H = 1 + 0.015·C̄'·T ≤ 1 + 0.015·C̄'·T_max with T_max ≥ max T (checked by a
   test), so |tH| ≥ y0 := |ΔH'|/S_H,max. For fixed x = |tC|, x² + y² − r·x·y is convex in y with its minimum
   at y = r·x/2; so q ≥ x² + y0² − r·x·y0 when y0 ≥ r·x/2, else q ≥ x²·(1 − r²/4).
3. Before that, cheaper still: S_H ≤ S_C (0.015·T_max < 0.045) and ΔC'² + ΔH'² = |Δ(a', b')|² ≥ |Δ(a, b)|²
   (a' = (1 + G)·a with G ≥ 0 shared by the pair), so q ≥ (1 − r/2)·|Δ(a, b)|²/S_C². Both factors fall as
   C̄' grows, and C̄' ≤ (1 + G(C̄))·C̄, so a small table indexed by C̄ = (C1 + C2)/2 gives the factor.

Floating-point: a bound is only trusted when it beats the best distance by a margin (1e-9 times the size of
the numbers involved), orders of magnitude more than rounding can move either side, so a thread whose
computed distance equals the best (a tie) is always evaluated and tie-breaking stays exact.

Photos help too: a cell usually takes the same thread as its left neighbour, so that thread's distance is the
first "best so far" and prunes most of the scan at once.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

from .color import ciede2000_pairwise, ciede2000_scalar

__all__ = ["nearest_colors", "nearest_colors_bruteforce", "nearest_one", "sorted_palette"]

_POW25_7 = 25.0**7
_SIN60 = math.sqrt(3.0) / 2.0
# Upper bound of T(h̄) in S_H; its maximum over all hues is 1.57247… (a test checks the bound on a dense grid
# plus the largest slope T can have between grid points).
_T_MAX = 1.573
_REL_MARGIN = 1e-9
_EIG_MIN = 1.0 - _SIN60
_CHROMA_BIN = 0.5
_CHROMA_BIN_INV = 1.0 / _CHROMA_BIN
_CHROMA_BINS = 400


def _kq_table() -> np.ndarray:
    """Lower bounds of (1 − r/2)/S_C² per bin of mean chroma C̄ = (C1 + C2)/2, for bound 3.

    In a bin [c0, c1) the primed mean chroma C̄' ≤ (1 + G(C̄))·C̄ ≤ (1 + G(c0))·c1 =: F because G falls and C̄
    rises; r and S_C both grow with C̄', so evaluating them at F gives the smallest value in the bin.
    """
    c0 = np.arange(_CHROMA_BINS) * _CHROMA_BIN
    c7 = c0**7
    g = 0.5 * (1.0 - np.sqrt(c7 / (c7 + _POW25_7)))
    f = (1.0 + g) * (c0 + _CHROMA_BIN)
    f7 = f**7
    r = 2.0 * _SIN60 * np.sqrt(f7 / (f7 + _POW25_7))
    return (1.0 - 0.5 * r) / (1.0 + 0.045 * f) ** 2 * (1.0 - 1e-12)


_KQ_TABLE = _kq_table()
# Cells are processed in runs so that each run can start from its previous cell's answer (photos are smooth).
_RUN = 256
_BRUTE_CHUNK = 4096
_NO_INDEX = 2**62
_LAB_LIMIT = 1e6


@njit(cache=True, fastmath=False, inline="always")
def _s_l(lbar: float) -> float:
    lm = lbar - 50.0
    lm2 = lm * lm
    return 1.0 + 0.015 * lm2 / math.sqrt(20.0 + lm2)


@njit(cache=True, fastmath=False, inline="always")
def _s_l_local(L1: float, lim: float, s_max: float) -> float:
    """Largest S_L any thread that can still beat ``lim`` may have.

    Such a thread has |ΔL| ≤ lim·s_max (bound with the global maximum), so L̄ lies within lim·s_max/2 of L1,
    and S_L, which grows with |L̄ − 50|, is largest at one end of that interval.
    """
    half = 0.5 * lim * s_max
    return min(s_max, max(_s_l(L1 - half), _s_l(L1 + half)))


@njit(cache=True, fastmath=False, inline="always")
def _chroma_hue_bound(a1: float, b1: float, c1: float, a2: float, b2: float, c2: float) -> float:
    """Bound 2: a lower bound of q = tC² + tH² + R_T·tC·tH from square roots only (no trigonometry)."""
    cbar = 0.5 * (c1 + c2)
    cbar2 = cbar * cbar
    cbar7 = cbar2 * cbar2 * cbar2 * cbar
    g1 = 1.0 + 0.5 * (1.0 - math.sqrt(cbar7 / (cbar7 + _POW25_7)))
    a1p = g1 * a1
    a2p = g1 * a2
    c1p = math.sqrt(a1p * a1p + b1 * b1)
    c2p = math.sqrt(a2p * a2p + b2 * b2)
    cbarp = 0.5 * (c1p + c2p)
    cbarp2 = cbarp * cbarp
    cbarp7 = cbarp2 * cbarp2 * cbarp2 * cbarp
    r = 2.0 * _SIN60 * math.sqrt(cbarp7 / (cbarp7 + _POW25_7))
    dcp = c2p - c1p
    x = abs(dcp) / (1.0 + 0.045 * cbarp)
    dap = a2p - a1p
    db = b2 - b1
    dh2 = dap * dap + db * db - dcp * dcp  # ΔH'² without the hue angles
    y0 = math.sqrt(dh2) / (1.0 + 0.015 * _T_MAX * cbarp) if dh2 > 0.0 else 0.0
    if y0 >= 0.5 * r * x:
        return x * x + y0 * y0 - r * x * y0
    return x * x * (1.0 - 0.25 * r * r)


@njit(cache=True, fastmath=False, nogil=True)
def nearest_one(
    L1: float, a1: float, b1: float, prev: int, pL: np.ndarray, pa: np.ndarray, pb: np.ndarray, pC: np.ndarray,
    porig: np.ndarray, pal_size: float, kq_table: np.ndarray,
) -> tuple[int, float, int]:
    """The exact nearest of a palette sorted by L (see :func:`sorted_palette`) to one Lab colour: its palette
    index, its distance, and its sorted position, which a next, similar colour passes back as ``prev`` (-1: no
    hint) to start from. For compiled loops that choose one colour at a time, such as error diffusion."""
    m = pL.shape[0]
    lmin = pL[0]
    lmax = pL[m - 1]
    kq_limit = kq_table.shape[0] * _CHROMA_BIN
    c1 = math.sqrt(a1 * a1 + b1 * b1)
    margin = _REL_MARGIN * (1.0 + abs(L1) + abs(a1) + abs(b1) + pal_size)
    s_max = max(_s_l(0.5 * (L1 + lmin)), _s_l(0.5 * (L1 + lmax)))

    # 1. A first answer: the previous cell's thread, or the thread nearest in L.
    hi0 = np.searchsorted(pL, L1)
    p0 = prev if prev >= 0 else min(hi0, m - 1)
    best = ciede2000_scalar(L1, a1, b1, pL[p0], pa[p0], pb[p0])
    best_j = porig[p0]
    best_p = p0
    lim = best + margin
    lim2 = lim * lim
    s_loc = _s_l_local(L1, lim, s_max)
    s_loc2 = s_loc * s_loc

    # 2. Scan down, then up, in L from the cell's L; each direction ends at bound 1.
    for direction in range(2):
        p = hi0 - 1 if direction == 0 else hi0
        step = -1 if direction == 0 else 1
        while 0 <= p < m:
            L2 = pL[p]
            dl = L2 - L1
            if dl * dl > lim2 * s_loc2:
                break  # bound 1: no thread further out this way can win or tie
            pc = p
            p += step
            if pc == p0:
                continue
            # Bounds 1 and 3 together: a table look-up, no roots, no division.
            a2 = pa[pc]
            b2 = pb[pc]
            da = a2 - a1
            db = b2 - b1
            c2 = pC[pc]
            cbar = 0.5 * (c1 + c2)
            if cbar < kq_limit:
                kq = kq_table[int(cbar * _CHROMA_BIN_INV)]
            else:
                sc_max = 1.0 + 0.045 * 1.5 * cbar
                kq = _EIG_MIN / (sc_max * sc_max)
            if dl * dl + kq * (da * da + db * db) * s_loc2 > lim2 * s_loc2:
                continue
            # Exact S_L and bound 2, then the formula itself.
            tl = dl / _s_l(0.5 * (L1 + L2))
            if tl * tl + _chroma_hue_bound(a1, b1, c1, a2, b2, c2) > lim2:
                continue
            d = ciede2000_scalar(L1, a1, b1, L2, a2, b2)
            j = porig[pc]
            if d < best or (d == best and j < best_j):
                best = d
                best_j = j
                best_p = pc
                lim = best + margin
                lim2 = lim * lim
                s_loc = _s_l_local(L1, lim, s_max)
                s_loc2 = s_loc * s_loc
    return best_j, best, best_p


@njit(parallel=True, cache=True, fastmath=False, nogil=True)
def _nearest_kernel(
    labs: np.ndarray,
    pL: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
    pC: np.ndarray,
    porig: np.ndarray,
    pal_size: float,
    kq_table: np.ndarray,
    out_idx: np.ndarray,
    out_de: np.ndarray,
) -> None:
    n = labs.shape[0]
    nruns = (n + _RUN - 1) // _RUN
    for run in prange(nruns):
        start = run * _RUN
        stop = min(start + _RUN, n)
        prev = -1  # sorted position of the previous cell's answer
        for i in range(start, stop):
            L1 = labs[i, 0]
            a1 = labs[i, 1]
            b1 = labs[i, 2]
            if i > start and L1 == labs[i - 1, 0] and a1 == labs[i - 1, 1] and b1 == labs[i - 1, 2]:
                out_idx[i] = out_idx[i - 1]  # flat areas (clip art, prompts) repeat colours
                out_de[i] = out_de[i - 1]
                continue
            out_idx[i], out_de[i], prev = nearest_one(L1, a1, b1, prev, pL, pa, pb, pC, porig, pal_size, kq_table)


def _prepare(
    labs: ArrayLike, palette_labs: ArrayLike, allowed: np.ndarray | None
) -> tuple[np.ndarray, tuple[int, ...], np.ndarray, np.ndarray]:
    """Check inputs; return flat cells, their leading shape, the palette and the allowed indices (sorted)."""
    x = np.asarray(labs, dtype=np.float64)
    if x.ndim not in (2, 3) or x.shape[-1] != 3:
        raise ValueError(f"labs must have shape (N, 3) or (H, W, 3); got {x.shape}")
    pal = np.asarray(palette_labs, dtype=np.float64)
    if pal.ndim != 2 or pal.shape[1] != 3 or pal.shape[0] == 0:
        raise ValueError(f"palette_labs must have shape (n, 3) with n ≥ 1; got {pal.shape}")
    for name, arr in (("labs", x), ("palette_labs", pal)):
        # Far beyond any real colour, yet far below where C̄'^7 in the formula would overflow to inf/NaN.
        if arr.size and not np.abs(arr).max() <= _LAB_LIMIT:
            raise ValueError(f"{name} contains NaN, infinite or absurd (> {_LAB_LIMIT:g}) Lab values")
    n = pal.shape[0]
    if allowed is None:
        idx = np.arange(n)
    else:
        allowed = np.asarray(allowed)
        if allowed.size == 0:
            raise ValueError("allowed selects no palette colours")
        if allowed.dtype == np.bool_:
            if allowed.shape != (n,):
                raise ValueError(f"allowed mask must have shape ({n},); got {allowed.shape}")
            idx = np.flatnonzero(allowed)
        elif np.issubdtype(allowed.dtype, np.integer) and allowed.ndim == 1:
            if allowed.size and (allowed.min() < -n or allowed.max() >= n):
                raise ValueError(f"allowed index out of range for a palette of {n} colours")
            idx = np.unique(np.where(allowed < 0, allowed + n, allowed))
        else:
            raise ValueError("allowed must be a boolean mask or a 1-D array of palette indices")
        if idx.size == 0:
            raise ValueError("allowed selects no palette colours")
    return x.reshape(-1, 3), x.shape[:-1], pal, idx


def nearest_colors(
    labs: ArrayLike, palette_labs: ArrayLike, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest palette colour (CIEDE2000, kL=kC=kH=1) for every Lab colour, exactly as brute force finds it.

    ``labs`` is (N, 3) or (H, W, 3); ``allowed`` (boolean mask over the palette, or palette indices) limits the
    choice, e.g. to a colour budget. Returns palette indices (int32) and distances (float64) shaped like the
    input's leading axes. Ties go to the lower palette index.
    """
    flat, shape, pal, idx = _prepare(labs, palette_labs, allowed)
    out_idx = np.empty(flat.shape[0], dtype=np.int64)
    out_de = np.empty(flat.shape[0], dtype=np.float64)
    if flat.shape[0]:
        _nearest_kernel(np.ascontiguousarray(flat), *sorted_palette(pal, idx), out_idx, out_de)
    return out_idx.astype(np.int32).reshape(shape), out_de.reshape(shape)


def sorted_palette(pal: np.ndarray, idx: np.ndarray) -> tuple:
    """The allowed colours ``idx`` of ``pal`` (Lab) as :func:`nearest_one` takes them: L, a, b and chroma
    sorted by L (then palette index), the palette index of each, the palette's size and the bound table."""
    sub = pal[idx]
    order = np.lexsort((idx, sub[:, 0]))  # by L, then by palette index
    sp = sub[order]
    pL = np.ascontiguousarray(sp[:, 0])
    pa = np.ascontiguousarray(sp[:, 1])
    pb = np.ascontiguousarray(sp[:, 2])
    pC = np.sqrt(pa * pa + pb * pb)  # the same operations as in ciede2000_scalar
    porig = idx[order].astype(np.int64)
    pal_size = float(np.max(np.abs(sp).sum(axis=1)))
    return pL, pa, pb, pC, porig, pal_size, _KQ_TABLE


def nearest_colors_bruteforce(
    labs: ArrayLike, palette_labs: ArrayLike, allowed: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Reference answer for :func:`nearest_colors`: the full distance matrix (in chunks) and ``np.argmin``."""
    flat, shape, pal, idx = _prepare(labs, palette_labs, allowed)
    sub = pal[idx]
    out_idx = np.empty(flat.shape[0], dtype=np.int32)
    out_de = np.empty(flat.shape[0], dtype=np.float64)
    for s in range(0, flat.shape[0], _BRUTE_CHUNK):
        d = ciede2000_pairwise(flat[s : s + _BRUTE_CHUNK], sub)
        k = np.argmin(d, axis=1)
        out_idx[s : s + _BRUTE_CHUNK] = idx[k]
        out_de[s : s + _BRUTE_CHUNK] = d[np.arange(d.shape[0]), k]
    return out_idx.reshape(shape), out_de.reshape(shape)
