"""Colour science: sRGB ⇄ linear ⇄ XYZ ⇄ CIELAB and the CIEDE2000 colour difference.

Every part of PixlCraft that compares colours (nearest palette colour, colour-count limits, dithering, confetti
clean-up, tests) goes through this module, so a thread chosen by the converter and a thread judged "close" by
the editor can never disagree because two slightly different formulas were used.

Conventions: arrays are float64 with colours on the last axis (shape ``(..., 3)``); sRGB and linear RGB are in
[0, 1] (values outside are converted without clamping, which keeps round trips of out-of-gamut colours exact);
XYZ has Y = 1 for the white point; CIELAB uses the D65 white of the sRGB standard and the 2° observer.

The sRGB matrices are derived from the primaries and white point of IEC 61966-2-1 rather than typed in from a
rounded table, so that the forward and inverse matrices are exact inverses and sRGB white lands on Lab
(100, 0, 0) to the last bit instead of to four decimals.

CIEDE2000 exists once, as the scalar numba function :func:`ciede2000_scalar`. Numba kernels elsewhere (nearest
colour search, dithering, clean-up) call it directly; :func:`ciede2000` and :func:`ciede2000_pairwise` are loops
over it. It is compiled with ``fastmath=False`` (no reassociation, no fused multiply-adds), so a distance does
not depend on which kernel computed it, to the bit; that is what lets the nearest-colour search promise the
same tie-breaking as a brute-force ``argmin``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike

__all__ = [
    "REFERENCE_WHITE_XYZ",
    "SRGB_TO_XYZ",
    "XYZ_TO_SRGB",
    "ciede2000",
    "ciede2000_pairwise",
    "ciede2000_scalar",
    "lab_to_linear",
    "lab_to_srgb",
    "lab_to_xyz",
    "linear_to_lab",
    "linear_to_srgb",
    "linear_to_srgb8",
    "linear_to_xyz",
    "srgb8_to_lab",
    "srgb8_to_linear",
    "srgb_to_lab",
    "srgb_to_linear",
    "xyz_to_lab",
    "xyz_to_linear",
]


# --- sRGB primaries and white (IEC 61966-2-1), as CIE xy chromaticities ------------------------------------


def _rgb_to_xyz_matrix() -> np.ndarray:
    """Build the linear-sRGB → XYZ matrix from the standard's chromaticities (Y of white = 1)."""
    primaries = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])
    white_xy = np.array([0.3127, 0.3290])
    # Columns are the XYZ of each primary at unit luminance, then scaled so that R=G=B=1 gives the white.
    xyz_cols = np.stack(
        [primaries[:, 0] / primaries[:, 1], np.ones(3), (1 - primaries.sum(axis=1)) / primaries[:, 1]]
    )
    white = np.array([white_xy[0] / white_xy[1], 1.0, (1 - white_xy.sum()) / white_xy[1]])
    scale = np.linalg.solve(xyz_cols, white)
    return xyz_cols * scale


SRGB_TO_XYZ: np.ndarray = _rgb_to_xyz_matrix()
SRGB_TO_XYZ.flags.writeable = False
XYZ_TO_SRGB: np.ndarray = np.linalg.inv(SRGB_TO_XYZ)
XYZ_TO_SRGB.flags.writeable = False
# The white is taken as the matrix image of RGB (1, 1, 1) so that white maps to exactly L=100, a=b=0.
REFERENCE_WHITE_XYZ: np.ndarray = SRGB_TO_XYZ.sum(axis=1)
REFERENCE_WHITE_XYZ.flags.writeable = False

# IEC 61966-2-1 transfer function constants.
_ENC_THRESHOLD = 0.0031308
_DEC_THRESHOLD = 0.04045
_LINEAR_SLOPE = 12.92
_GAMMA = 2.4
_OFFSET = 0.055

# CIE 1976 L*a*b* constants, in their exact rational form.
_LAB_EPS = 216.0 / 24389.0  # (6/29)^3
_LAB_KAPPA = 24389.0 / 27.0  # (29/3)^3
_LAB_DELTA = 6.0 / 29.0


def _as_float(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _as_colours(x: ArrayLike, what: str) -> np.ndarray:
    arr = _as_float(x)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"{what} must have shape (..., 3); got {arr.shape}")
    return arr


# --- transfer function ------------------------------------------------------------------------------------


def srgb_to_linear(x: ArrayLike) -> np.ndarray:
    """Decode gamma-encoded sRGB to linear light (element-wise; any shape)."""
    x = _as_float(x)
    with np.errstate(invalid="ignore"):
        return np.where(x <= _DEC_THRESHOLD, x / _LINEAR_SLOPE, ((x + _OFFSET) / (1 + _OFFSET)) ** _GAMMA)


def linear_to_srgb(x: ArrayLike) -> np.ndarray:
    """Encode linear light as sRGB (element-wise; any shape; no clipping)."""
    x = _as_float(x)
    with np.errstate(invalid="ignore"):
        return np.where(
            x <= _ENC_THRESHOLD, x * _LINEAR_SLOPE, (1 + _OFFSET) * np.abs(x) ** (1 / _GAMMA) - _OFFSET
        )


# The 256 possible 8-bit values decode through a table: exact, and much faster on whole images.
_SRGB8_LUT: np.ndarray = srgb_to_linear(np.arange(256, dtype=np.float64) / 255.0)
_SRGB8_LUT.flags.writeable = False


def _as_u8(u8: ArrayLike) -> np.ndarray:
    arr = np.asarray(u8)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"8-bit colours must have shape (..., 3); got {arr.shape}")
    if arr.dtype == np.uint8:
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"8-bit colours must be integers in 0..255; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() > 255):
        raise ValueError("8-bit colours must be integers in 0..255")
    return arr.astype(np.uint8)


def srgb8_to_linear(u8: ArrayLike) -> np.ndarray:
    """8-bit sRGB (..., 3) → linear light float64 via a 256-entry table."""
    return _SRGB8_LUT[_as_u8(u8)]


def linear_to_srgb8(x: ArrayLike) -> np.ndarray:
    """Linear light → 8-bit sRGB, clipped to the gamut and rounded to the nearest code value."""
    x = _as_colours(x, "linear RGB")
    encoded = linear_to_srgb(np.clip(x, 0.0, 1.0))
    return np.rint(encoded * 255.0).astype(np.uint8)


# --- matrices ---------------------------------------------------------------------------------------------


def linear_to_xyz(x: ArrayLike) -> np.ndarray:
    """Linear sRGB (..., 3) → CIE XYZ (..., 3), Y of white = 1."""
    return _as_colours(x, "linear RGB") @ SRGB_TO_XYZ.T


def xyz_to_linear(x: ArrayLike) -> np.ndarray:
    """CIE XYZ (..., 3) → linear sRGB (..., 3); out-of-gamut colours give values outside [0, 1]."""
    return _as_colours(x, "XYZ") @ XYZ_TO_SRGB.T


# --- CIELAB -----------------------------------------------------------------------------------------------


def _lab_f(t: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.where(t > _LAB_EPS, np.cbrt(t), t * (_LAB_KAPPA / 116.0) + 16.0 / 116.0)


def _lab_f_inv(f: np.ndarray) -> np.ndarray:
    return np.where(f > _LAB_DELTA, f * f * f, (f - 16.0 / 116.0) * (116.0 / _LAB_KAPPA))


def xyz_to_lab(x: ArrayLike) -> np.ndarray:
    """CIE XYZ (..., 3) → CIELAB (D65, 2°) (..., 3)."""
    x = _as_colours(x, "XYZ")
    f = _lab_f(x / REFERENCE_WHITE_XYZ)
    fx, fy, fz = f[..., 0], f[..., 1], f[..., 2]
    return np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)], axis=-1)


def lab_to_xyz(x: ArrayLike) -> np.ndarray:
    """CIELAB (D65, 2°) (..., 3) → CIE XYZ (..., 3)."""
    x = _as_colours(x, "Lab")
    fy = (x[..., 0] + 16.0) / 116.0
    f = np.stack([fy + x[..., 1] / 500.0, fy, fy - x[..., 2] / 200.0], axis=-1)
    return _lab_f_inv(f) * REFERENCE_WHITE_XYZ


def linear_to_lab(x: ArrayLike) -> np.ndarray:
    """Linear sRGB (..., 3) → CIELAB (..., 3)."""
    return xyz_to_lab(linear_to_xyz(x))


def linear_to_lightness(x: np.ndarray) -> np.ndarray:
    """CIE L* alone of linear sRGB (..., 3), in the input's float type: the first channel of
    :func:`linear_to_lab` for a third of the work and memory (whole photos, where only lightness is needed)."""
    luminance = x @ SRGB_TO_XYZ[1].astype(x.dtype) / x.dtype.type(REFERENCE_WHITE_XYZ[1])
    return (116.0 * _lab_f(luminance) - 16.0).astype(x.dtype)


def lab_to_linear(x: ArrayLike) -> np.ndarray:
    """CIELAB (..., 3) → linear sRGB (..., 3), not clipped."""
    return xyz_to_linear(lab_to_xyz(x))


def srgb_to_lab(x: ArrayLike) -> np.ndarray:
    """Gamma-encoded sRGB in [0, 1] (..., 3) → CIELAB (..., 3)."""
    return linear_to_lab(srgb_to_linear(_as_colours(x, "sRGB")))


def lab_to_srgb(x: ArrayLike, clip: bool = False) -> np.ndarray:
    """CIELAB (..., 3) → gamma-encoded sRGB; ``clip=True`` clamps colours the screen cannot show to [0, 1]."""
    rgb = linear_to_srgb(lab_to_linear(x))
    return np.clip(rgb, 0.0, 1.0) if clip else rgb


def srgb8_to_lab(u8: ArrayLike) -> np.ndarray:
    """8-bit sRGB (..., 3), e.g. a decoded image or palette hex codes → CIELAB float64 (..., 3)."""
    return linear_to_lab(srgb8_to_linear(u8))


# --- CIEDE2000 --------------------------------------------------------------------------------------------

_POW25_7 = 25.0**7


@njit(cache=True, fastmath=False)
def ciede2000_scalar(
    L1: float,
    a1: float,
    b1: float,
    L2: float,
    a2: float,
    b2: float,
    kL: float = 1.0,
    kC: float = 1.0,
    kH: float = 1.0,
) -> float:
    """CIEDE2000 difference of two Lab colours; the project's only implementation of the formula.

    Follows Sharma, Wu & Dalal (2005) step by step, including the rules that trip up implementations: the hue
    of a neutral colour is 0, the hue difference and mean hue of a pair in which one colour is neutral are
    taken as 0 and h1'+h2', and the ±360° branches for hue differences above 180°.
    """
    # 1. Chroma with the a* axis stretched for near-neutral colours.
    c1 = math.sqrt(a1 * a1 + b1 * b1)
    c2 = math.sqrt(a2 * a2 + b2 * b2)
    cbar = 0.5 * (c1 + c2)
    cbar2 = cbar * cbar
    cbar7 = cbar2 * cbar2 * cbar2 * cbar
    g = 0.5 * (1.0 - math.sqrt(cbar7 / (cbar7 + _POW25_7)))
    a1p = (1.0 + g) * a1
    a2p = (1.0 + g) * a2
    c1p = math.sqrt(a1p * a1p + b1 * b1)
    c2p = math.sqrt(a2p * a2p + b2 * b2)

    if a1p == 0.0 and b1 == 0.0:
        h1p = 0.0
    else:
        h1p = math.degrees(math.atan2(b1, a1p))
        if h1p < 0.0:
            h1p += 360.0
    if a2p == 0.0 and b2 == 0.0:
        h2p = 0.0
    else:
        h2p = math.degrees(math.atan2(b2, a2p))
        if h2p < 0.0:
            h2p += 360.0

    # 2. Differences.
    dLp = L2 - L1
    dCp = c2p - c1p
    cprod = c1p * c2p
    if cprod == 0.0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180.0:
            dhp -= 360.0
        elif dhp < -180.0:
            dhp += 360.0
    dHp = 2.0 * math.sqrt(cprod) * math.sin(math.radians(0.5 * dhp))

    # 3. Weighting functions.
    Lbarp = 0.5 * (L1 + L2)
    Cbarp = 0.5 * (c1p + c2p)
    hsum = h1p + h2p
    if cprod == 0.0:
        hbarp = hsum
    elif abs(h1p - h2p) <= 180.0:
        hbarp = 0.5 * hsum
    elif hsum < 360.0:
        hbarp = 0.5 * (hsum + 360.0)
    else:
        hbarp = 0.5 * (hsum - 360.0)

    t = (
        1.0
        - 0.17 * math.cos(math.radians(hbarp - 30.0))
        + 0.24 * math.cos(math.radians(2.0 * hbarp))
        + 0.32 * math.cos(math.radians(3.0 * hbarp + 6.0))
        - 0.20 * math.cos(math.radians(4.0 * hbarp - 63.0))
    )
    hx = (hbarp - 275.0) / 25.0
    dtheta = 30.0 * math.exp(-hx * hx)
    cbarp2 = Cbarp * Cbarp
    cbarp7 = cbarp2 * cbarp2 * cbarp2 * Cbarp
    rc = 2.0 * math.sqrt(cbarp7 / (cbarp7 + _POW25_7))
    lm = Lbarp - 50.0
    lm2 = lm * lm
    sl = 1.0 + 0.015 * lm2 / math.sqrt(20.0 + lm2)
    sc = 1.0 + 0.045 * Cbarp
    sh = 1.0 + 0.015 * Cbarp * t
    rt = -math.sin(math.radians(2.0 * dtheta)) * rc

    # 4. Combine.
    tl = dLp / (kL * sl)
    tc = dCp / (kC * sc)
    th = dHp / (kH * sh)
    return math.sqrt(tl * tl + tc * tc + th * th + rt * tc * th)


@njit(parallel=True, cache=True, fastmath=False, nogil=True)
def _ciede2000_rows(x: np.ndarray, y: np.ndarray, kL: float, kC: float, kH: float) -> np.ndarray:
    n = x.shape[0]
    out = np.empty(n, dtype=np.float64)
    for i in prange(n):
        out[i] = ciede2000_scalar(x[i, 0], x[i, 1], x[i, 2], y[i, 0], y[i, 1], y[i, 2], kL, kC, kH)
    return out


@njit(parallel=True, cache=True, fastmath=False, nogil=True)
def _ciede2000_matrix(x: np.ndarray, y: np.ndarray, kL: float, kC: float, kH: float) -> np.ndarray:
    n = x.shape[0]
    m = y.shape[0]
    out = np.empty((n, m), dtype=np.float64)
    for i in prange(n):
        for j in range(m):
            out[i, j] = ciede2000_scalar(x[i, 0], x[i, 1], x[i, 2], y[j, 0], y[j, 1], y[j, 2], kL, kC, kH)
    return out


def ciede2000(
    lab1: ArrayLike, lab2: ArrayLike, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0
) -> np.ndarray:
    """CIEDE2000 between Lab colours (..., 3) with numpy broadcasting of the leading axes."""
    x = _as_colours(lab1, "lab1")
    y = _as_colours(lab2, "lab2")
    x, y = np.broadcast_arrays(x, y)
    shape = x.shape[:-1]
    xf = np.ascontiguousarray(x.reshape(-1, 3))
    yf = np.ascontiguousarray(y.reshape(-1, 3))
    return _ciede2000_rows(xf, yf, float(kL), float(kC), float(kH)).reshape(shape)


def ciede2000_pairwise(
    labs_a: ArrayLike, labs_b: ArrayLike, kL: float = 1.0, kC: float = 1.0, kH: float = 1.0
) -> np.ndarray:
    """All CIEDE2000 distances between ``labs_a`` (N, 3) and ``labs_b`` (M, 3), as an (N, M) matrix."""
    x = _as_colours(labs_a, "labs_a")
    y = _as_colours(labs_b, "labs_b")
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"ciede2000_pairwise wants (N, 3) and (M, 3) arrays; got {x.shape} and {y.shape}")
    return _ciede2000_matrix(
        np.ascontiguousarray(x), np.ascontiguousarray(y), float(kL), float(kC), float(kH)
    )
