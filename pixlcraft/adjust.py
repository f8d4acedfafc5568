"""Brightness, contrast and saturation, applied to the cells' colours before they are matched to threads.

A photo that is a little dark or dull makes a dark, dull pattern; these are the three sliders every photo tool
has. They work on each cell's averaged colour (in sRGB, the space the sliders are designed for), not on every
pixel of the photo: the result is the same for brightness and saturation up to the averaging, and it keeps a
slider drag on a 12-megapixel photo as fast as any other change of the live preview.

Each amount is in [-1, 1]; 0 leaves the colour alone. Brightness shifts sRGB values by up to ±0.5, contrast
scales them about mid-grey by up to ×2 (or down to flat grey), saturation moves each colour away from or
towards its own grey (Rec. 709 luma) by up to ×2.
"""

from __future__ import annotations

import numpy as np

from .color import linear_to_srgb, srgb_to_linear
from .errors import InputError

LUMA = np.array([0.2126, 0.7152, 0.0722])


def check_amount(name: str, value: float) -> float:
    if not -1.0 <= float(value) <= 1.0:
        raise InputError(f"the {name} must be between -100 and 100 (got {round(float(value) * 100)}).")
    return float(value)


def is_neutral(brightness: float, contrast: float, saturation: float) -> bool:
    return brightness == 0.0 and contrast == 0.0 and saturation == 0.0


def adjust_linear(linear: np.ndarray, brightness: float = 0.0, contrast: float = 0.0,
                  saturation: float = 0.0) -> np.ndarray:
    """``linear`` RGB (..., 3) with the three adjustments applied (returned in linear light, float32)."""
    if is_neutral(brightness, contrast, saturation):
        return linear
    srgb = linear_to_srgb(np.clip(np.asarray(linear, np.float64), 0.0, 1.0))
    if brightness:
        srgb = srgb + 0.5 * brightness
    if contrast:
        srgb = (srgb - 0.5) * (1.0 + contrast) + 0.5  # -1 → flat grey, +1 → twice the contrast
    if saturation:
        grey = (srgb @ LUMA)[..., None]
        srgb = grey + (srgb - grey) * (1.0 + saturation)
    return srgb_to_linear(np.clip(srgb, 0.0, 1.0)).astype(np.float32)
