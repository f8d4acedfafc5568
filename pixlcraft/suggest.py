"""What the automatic stitch suggestions (:mod:`pixlcraft.outline`, :mod:`pixlcraft.smooth_edges`) share.

Both are post-steps on a finished pattern — a function of the pattern and the photo it came from, returning a
new pattern — so the CLI runs them after :func:`~pixlcraft.convert.convert_photo` and a front end can offer
each as one undoable step. Both need the photo area the chart covers at the photo's own resolution (that is
where the edges are and what a half cell is measured against), and both make part stitches or backstitches,
which only cross-stitch has.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .imageio import Photo
from .pattern import Pattern


def require_stitch(pattern: Pattern, what: str) -> None:
    """Refuse ``what`` (an option name) unless the pattern is cross-stitch: beads and bricks have no part
    stitches or backstitches, and silently dropping them later would be worse than a clear no now."""
    m = pattern.palette.material
    if m.craft != "stitch":
        raise InputError(f"{what} adds cross-stitch work (backstitches, part stitches); the palette "
                         f"'{pattern.palette.name}' is {m.description.lower()}, which has none. "
                         "Use a thread palette such as --palette dmc.")


def chart_photo(pattern: Pattern, photo: Photo) -> np.ndarray:
    """The photo's pixels under the chart, float32 linear RGB ``(h, w, 3)``, cropped as the pattern's recipe
    says and see-through parts laid over its background, like the converter does."""
    recipe = pattern.metadata.get("recipe") or {}
    size = recipe.get("photo_size")
    if size and tuple(size) != (photo.width, photo.height):
        raise InputError(f"this pattern was made from a {size[0]}×{size[1]} image, not from this "
                         f"{photo.width}×{photo.height} one.")
    linear, alpha = photo.linear(), photo.alpha
    crop = recipe.get("crop")
    if crop:
        left, top, right, bottom = (int(v) for v in crop)
        linear = linear[top:bottom, left:right]
        alpha = None if alpha is None else alpha[top:bottom, left:right]
    if alpha is not None:
        from .convert import photo_to_linear

        bg = photo_to_linear(np.asarray(recipe.get("background", (255, 255, 255)), np.float32) / 255.0)
        a = alpha[..., None]
        linear = linear * a + bg * (1.0 - a)
    return np.ascontiguousarray(linear, dtype=np.float32)
