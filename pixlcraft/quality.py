"""How good a pattern looks, measured the ways people see it (used by tests and benchmarks, not by the makers).

The per-cell CIEDE2000 the converter minimises says how close each stitch is to its patch of photo, but a
pattern is seen from a distance, where the eye averages neighbouring stitches. :func:`blurred_delta_e` scores
that view: pattern and photo cells are both blurred by a Gaussian in linear light (where the eye's averaging
happens), then compared. Dithering exists to lower this number; a dither that raises it is not doing its job.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from .color import ciede2000, linear_to_lab, srgb8_to_linear
from .palette import Palette

BLUR_SIGMA = 1.0
"""Gaussian σ, in cells, of the "seen from a distance" view."""


def pattern_linear(grid: np.ndarray, palette: Palette, fill: np.ndarray | None = None) -> np.ndarray:
    """The pattern's colours in linear sRGB (H,W,3); empty cells take ``fill``'s colour (else black)."""
    lin = srgb8_to_linear(palette.rgb).astype(np.float64)
    out = np.zeros((*grid.shape, 3), np.float64)
    filled = grid >= 0
    out[filled] = lin[grid[filled]]
    if fill is not None:
        out[~filled] = np.asarray(fill, np.float64)[~filled]
    return out


def blur(linear: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """A Gaussian blur of each channel of a linear-light image (edges extended)."""
    return np.stack([ndimage.gaussian_filter(linear[..., c], sigma, mode="nearest") for c in range(3)], axis=-1)


def blurred_delta_e(grid: np.ndarray, palette: Palette, reference_linear: np.ndarray,
                    sigma: float = BLUR_SIGMA) -> float:
    """Mean CIEDE2000 between the pattern and the photo's cell colours (``reference_linear``, linear sRGB), both
    blurred by a Gaussian of ``sigma`` cells in linear light: the error seen from a distance. Empty cells
    count as matching the photo."""
    ref = np.asarray(reference_linear, np.float64)
    ours = blur(pattern_linear(grid, palette, fill=ref), sigma)
    theirs = blur(ref, sigma)
    filled = grid >= 0
    if not filled.any():
        return 0.0
    return float(ciede2000(linear_to_lab(ours[filled]), linear_to_lab(theirs[filled])).mean())


def error_to_average(grid: np.ndarray, palette: Palette, average_linear: np.ndarray) -> float:
    """Mean CIEDE2000 between each filled cell's colour and its area's plain linear-light average: the
    per-cell measure the converter is judged by, whatever the cell colours it matched were."""
    filled = grid >= 0
    if not filled.any():
        return 0.0
    reference = linear_to_lab(np.asarray(average_linear, np.float64)[filled])
    return float(ciede2000(reference, palette.lab[grid[filled]]).mean())
