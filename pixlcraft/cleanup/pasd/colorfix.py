"""Wavelet colour fix: the restored image's detail on the input's colours.

A diffusion model that re-draws a photo drifts in colour (a warmer cast, a paler sky) even where it gets the
detail right. PASD therefore splits both images into a coarse part (five passes of a dilated 3×3 binomial blur,
the "à trous" wavelet transform with dilations 1, 2, 4, 8, 16) and the fine detail left over, and keeps the
result's detail with the input's coarse part. For a pattern maker this matters doubly: the coarse colours are
exactly what the palette match sees.

Because the blur is linear, ``detail(result) + coarse(input)`` is ``result + coarse(input - result)``: one blur
of the difference instead of two decompositions. Borders are padded by repeating the edge pixel, as PASD does.
"""

from __future__ import annotations

import numpy as np

LEVELS = 5
"""Number of blur passes; pass ``i`` samples its neighbours ``2**i`` pixels away (PASD uses 5)."""


def _blur(image: np.ndarray, step: int) -> np.ndarray:
    """One pass of the 3×3 binomial kernel (1 2 1 ⊗ 1 2 1 / 16) with its taps ``step`` pixels apart."""
    h, w = image.shape[:2]
    padded = np.pad(image, ((step, step), (step, step), (0, 0)), mode="edge")
    rows = 0.25 * padded[: h, :] + 0.5 * padded[step : step + h, :] + 0.25 * padded[2 * step : 2 * step + h, :]
    return 0.25 * rows[:, :w] + 0.5 * rows[:, step : step + w] + 0.25 * rows[:, 2 * step : 2 * step + w]


def coarse(image: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """The low-frequency part of ``image`` (H,W,C) after ``levels`` dilated blur passes."""
    out = np.asarray(image, dtype=np.float32)
    for i in range(levels):
        out = _blur(out, 2**i)
    return out


def wavelet_color_fix(result: np.ndarray, reference: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """``result``'s fine detail with ``reference``'s coarse colours, clipped to [0, 1].

    Both are float (H,W,3) sRGB images of the same size: the restored image and the input it was restored from.
    """
    result = np.asarray(result, dtype=np.float32)
    reference = np.asarray(reference, dtype=np.float32)
    if result.shape != reference.shape:
        raise ValueError(f"colour fix needs images of one size, got {result.shape} and {reference.shape}")
    fixed = result + coarse(reference - result, levels)
    return np.clip(fixed, 0.0, 1.0)
