"""What the automatic stitch suggestions (:mod:`pixlcraft.outline`, :mod:`pixlcraft.smooth_edges`) share.

Both are post-steps on a finished pattern — a function of the pattern and the photo it came from, returning a
new pattern — so the CLI runs them after :func:`~pixlcraft.convert.convert_photo` and a front end can offer
each as one undoable step. Both need the photo area the chart covers at the photo's own resolution (that is
where the edges are and what a half cell is measured against), and both make part stitches or backstitches,
which only cross-stitch has.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .edit import Command
from .errors import InputError
from .imageio import Photo
from .palette import Palette
from .pattern import Pattern
from .stitches import StitchLayers


def require_stitch(pattern: Pattern, what: str) -> None:
    """Refuse ``what`` (an option name) unless the pattern is cross-stitch: beads and bricks have no part
    stitches or backstitches, and silently dropping them later would be worse than a clear no now."""
    m = pattern.palette.material
    if m.craft != "stitch":
        raise InputError(f"{what} adds cross-stitch work (backstitches, part stitches); the palette "
                         f"'{pattern.palette.name}' is {m.description.lower()}, which has none. "
                         "Use a thread palette such as --palette dmc.")


def _photo_scale(size: object, photo: Photo) -> float:
    """How much smaller ``photo`` is than the image the pattern was made from (1 for the same image).

    A pattern file keeps a reduced copy of its photo (at most 1,024 pixels a side), so a reopened pattern
    meets its own photo at another size; the same picture scaled keeps its proportions to within a pixel's
    rounding. Any other image is refused: the crop and the cells would not line up with it."""
    if not size:
        return 1.0
    w0, h0 = (int(v) for v in size)
    if (w0, h0) == (photo.width, photo.height):
        return 1.0
    scale = photo.width / w0
    if abs(h0 * scale - photo.height) > 1.0 or scale > 1.0:
        raise InputError(f"this pattern was made from a {w0}×{h0} image, not from this "
                         f"{photo.width}×{photo.height} one.")
    return scale


def chart_photo(pattern: Pattern, photo: Photo) -> np.ndarray:
    """The photo's pixels under the chart, float32 linear RGB ``(h, w, 3)``, cropped as the pattern's recipe
    says, see-through parts laid over its background and the recipe's brightness, contrast and saturation
    applied, like the converter does (so a pattern made from a brightened photo is measured against that)."""
    from .adjust import adjust_linear

    recipe = pattern.metadata.get("recipe") or {}
    scale = _photo_scale(recipe.get("photo_size"), photo)
    linear, alpha = photo.linear(), photo.alpha
    crop = recipe.get("crop")
    if crop:
        left, top, right, bottom = (int(round(int(v) * scale)) for v in crop)
        linear = linear[top:max(bottom, top + 1), left:max(right, left + 1)]
        alpha = None if alpha is None else alpha[top:max(bottom, top + 1), left:max(right, left + 1)]
    if alpha is not None:
        from .convert import photo_to_linear

        bg = photo_to_linear(np.asarray(recipe.get("background", (255, 255, 255)), np.float32) / 255.0)
        a = alpha[..., None]
        linear = linear * a + bg * (1.0 - a)
    amounts = recipe.get("adjust") or (0.0, 0.0, 0.0)
    linear = adjust_linear(linear, *(float(v) for v in amounts))
    return np.ascontiguousarray(linear, dtype=np.float32)


class ApplySuggestion(Command):
    """A suggestion (outline, smooth edges) taken into the pattern as **one** undoable step.

    ``make`` turns the pattern as it is when the command is pushed into the suggested one; the command then
    records the cells, palette and layers that differ, so one undo removes the whole suggestion and the
    stitcher can still edit any of its stitches afterwards like hand-drawn ones."""

    def __init__(self, make: Callable[[Pattern], Pattern], label: str) -> None:
        super().__init__()
        self.make, self.label = make, label
        self.result: Pattern | None = None

    def _plan(self, pattern: Pattern):
        self.result = self.make(pattern)
        if self.result.grid.shape != pattern.grid.shape:
            raise ValueError("a suggestion must keep the pattern's size")
        ys, xs = np.nonzero(self.result.grid != pattern.grid)
        return self.result.palette, ys, xs, self.result.grid[ys, xs]

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers:
        return self.result.layers
