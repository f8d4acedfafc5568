"""How many cells a pattern gets: the one place where target sizes are decided.

Front ends accept sizes in many forms (cells across, cells down, later centimetres on a given fabric or bead
board) and all of them end here, so the rounding, the defaults and the limits are the same everywhere and the
error messages name the number the user typed.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import NamedTuple

from .errors import InputError

MAX_CELLS = 1000
"""Per side. A 1000×1000 cross stitch is about 1.8 m wide on 14-count; anything larger is a typo."""

DEFAULT_LONG_SIDE = 80
"""Cells on the long side when no size is given: a day or two of stitching, a few bead boards."""


class CellSize(NamedTuple):
    """Cells across and down (in that order, like the ``width, height`` arguments)."""

    width: int
    height: int


@dataclass(frozen=True)
class Crop:
    """A pixel box of the source image: ``left``/``top`` inclusive, ``right``/``bottom`` exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    def __post_init__(self) -> None:
        for name in ("left", "top", "right", "bottom"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise InputError(f"the crop's {name} edge must be a whole number of pixels, not {value!r}.")
            object.__setattr__(self, name, int(value))
        if self.left < 0 or self.top < 0:
            raise InputError(f"the crop starts at ({self.left},{self.top}); it cannot start before 0,0.")
        if self.right <= self.left or self.bottom <= self.top:
            raise InputError(f"the crop {self.text()} is empty; its width and height must be at least 1.")

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top

    def text(self) -> str:
        """The crop as the user types it: ``x,y,w,h``."""
        return f"{self.left},{self.top},{self.right - self.left},{self.bottom - self.top}"

    def check_inside(self, image_w: int, image_h: int) -> None:
        """Refuse a crop that reaches outside a ``image_w``×``image_h`` picture."""
        if self.right > image_w or self.bottom > image_h:
            raise InputError(
                f"the crop {self.text()} (x,y,width,height) reaches outside the {image_w}×{image_h} picture."
            )


def _round(x: float) -> int:
    # Half up, not Python's round-half-to-even: 2.5 cells must not become 2 on one machine and 3 on paper.
    return int(math.floor(x + 0.5))


def _cells(value: object, what: str) -> int:
    """A cell count the user typed, as an int, or an InputError that names it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"the {what} must be a whole number of cells, not {value!r}.")
    if not math.isfinite(float(value)) or float(value) != int(value):
        raise InputError(f"the {what} must be a whole number of cells, not {value}.")
    n = int(value)
    if n < 1:
        raise InputError(f"the {what} must be at least 1 cell, not {n}.")
    if n > MAX_CELLS:
        raise InputError(f"the {what} of {n} cells is too large; the most is {MAX_CELLS} cells per side.")
    return n


def _image_side(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InputError(f"the image {what} must be a positive number of pixels, not {value!r}.")
    return int(value)


def target_cells(
    image_w: int,
    image_h: int,
    width: int | None = None,
    height: int | None = None,
    *,
    keep_aspect: bool = True,
    crop: Crop | None = None,
) -> CellSize:
    """Decide the pattern's cells across and down.

    - Both ``width`` and ``height`` given: exactly that size; the caller crops (or pads) to fill it.
    - One given: the other follows the picture's (cropped) aspect, rounded half up, at least 1 cell. With
      ``keep_aspect=False`` the grid is square instead.
    - Neither: :data:`DEFAULT_LONG_SIDE` cells on the long side (square with ``keep_aspect=False``), but
      never more cells than the picture has pixels — a 32-pixel sprite keeps one cell per pixel.

    A size that is not a whole number, below 1 or above :data:`MAX_CELLS` — given or derived — is refused.
    """
    w_px, h_px = _image_side(image_w, "width"), _image_side(image_h, "height")
    if crop is not None:
        crop.check_inside(w_px, h_px)
        w_px, h_px = crop.width, crop.height
    w = None if width is None else _cells(width, "width")
    h = None if height is None else _cells(height, "height")

    if w is not None and h is not None:
        return CellSize(w, h)
    if w is None and h is None:
        long_side = min(DEFAULT_LONG_SIDE, max(w_px, h_px))
        if w_px >= h_px:
            w = long_side
        else:
            h = long_side
    if not keep_aspect:
        side = w if w is not None else h
        assert side is not None
        return CellSize(side, side)
    if w is not None:
        h = max(1, _round(w * h_px / w_px))
        _derived(h, "height", w, "width")
    else:
        assert h is not None
        w = max(1, _round(h * w_px / h_px))
        _derived(w, "width", h, "height")
    return CellSize(w, h)


def _derived(n: int, what: str, given: int, given_what: str) -> None:
    if n > MAX_CELLS:
        raise InputError(
            f"a {given_what} of {given} cells makes the pattern {n} cells in {what} for this picture's "
            f"shape; the most is {MAX_CELLS}. Choose a smaller {given_what} or crop the picture."
        )


def cells_from_physical(size_mm: float, pitch_mm: float) -> int:
    """Cells that best fill ``size_mm`` at ``pitch_mm`` per cell (e.g. 200 mm of 14-count Aida → 110)."""
    for value, what in ((size_mm, "size"), (pitch_mm, "cell pitch")):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise InputError(f"the {what} must be a number of millimetres, not {value!r}.")
        if value <= 0:
            raise InputError(f"the {what} must be more than 0 mm, not {value:g} mm.")
    n = max(1, _round(float(size_mm) / float(pitch_mm)))
    if n > MAX_CELLS:
        raise InputError(
            f"{size_mm:g} mm at {pitch_mm:g} mm per cell is {n} cells; "
            f"the most is {MAX_CELLS} cells per side."
        )
    return n


def crop_to_aspect(image_w: int, image_h: int, aspect: float) -> Crop:
    """The largest centred crop whose width/height is ``aspect`` (so cells stay square when both sides are
    given and the picture has a different shape)."""
    w_px, h_px = _image_side(image_w, "width"), _image_side(image_h, "height")
    if isinstance(aspect, bool) or not isinstance(aspect, numbers.Real) or not math.isfinite(float(aspect)):
        raise InputError(f"the aspect ratio must be a number, not {aspect!r}.")
    if aspect <= 0:
        raise InputError(f"the aspect ratio must be more than 0, not {aspect:g}.")
    if w_px / h_px > aspect:  # picture too wide: trim the sides
        cw = min(w_px, max(1, _round(h_px * aspect)))
        left = (w_px - cw) // 2
        return Crop(left, 0, left + cw, h_px)
    ch = min(h_px, max(1, _round(w_px / aspect)))
    top = (h_px - ch) // 2
    return Crop(0, top, w_px, top + ch)


def parse_crop(text: str) -> Crop:
    """Read ``"x,y,w,h"`` (pixels from the top-left corner; spaces allowed) into a :class:`Crop`."""
    parts = [p.strip() for p in str(text).split(",")]
    wanted = f"the crop '{text}' must be four whole numbers x,y,width,height (e.g. 10,20,300,200)."
    if len(parts) != 4:
        raise InputError(wanted)
    try:
        x, y, w, h = (int(p) for p in parts)
    except ValueError:
        raise InputError(wanted) from None
    if w < 1 or h < 1:
        raise InputError(f"the crop '{text}' must have a width and height of at least 1 pixel.")
    return Crop(x, y, x + w, y + h)
