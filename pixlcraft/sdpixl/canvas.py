"""The model canvas: the pixel size the pattern is rendered at before SDXL sees it.

SDXL was trained on buckets of about one megapixel at many aspect ratios, told apart by its "time ids"
(original size, crop, target size). The official SD-πXL code always squashes the pattern onto a 1024×1024
square; we instead pick the bucket-like size closest to the pattern's own aspect ratio, so a 60×40 chart is
not drawn stretched. Sides are multiples of 64 because the UNet halves the 1/8-scale latent twice more and the
SDXL buckets themselves step by 64 pixels.
"""

from __future__ import annotations

import math

SDXL_SIDE = 1024
"""Side of the square canvas of the official recipe (``model2res`` of SDXL)."""


def square_canvas(side: int = SDXL_SIDE) -> tuple[int, int]:
    """The official canvas: a ``side``×``side`` square whatever the pattern's shape."""
    if side <= 0:
        raise ValueError(f"canvas side must be positive, got {side}")
    return side, side


def sdxl_canvas(
    width_cells: int, height_cells: int, *, side: int = SDXL_SIDE, multiple: int = 64
) -> tuple[int, int]:
    """``(width, height)`` in pixels: area near ``side``², both multiples of ``multiple``, aspect as the pattern.

    Candidates are the heights within two steps of the ideal one, each with the two nearest widths; the
    score is the aspect error plus half the area error (both as |log| ratios). So a 3:2 pattern gets
    1280×832 (2.6 % off in aspect, 1.6 % in area) rather than an exact 1344×896 that costs 15 % more pixels
    per step; a 2.6 % stretch of the render is far below what a cell grid shows.
    """
    if width_cells <= 0 or height_cells <= 0:
        raise ValueError(f"pattern size must be positive, got {width_cells}×{height_cells} cells")
    if multiple <= 0 or side < multiple:
        raise ValueError(f"canvas side {side} must be at least the alignment {multiple}")
    aspect = width_cells / height_cells
    base = math.floor(side / math.sqrt(aspect) / multiple)
    best: tuple[float, int, int] | None = None
    for hk in range(base - 2, base + 4):
        h = max(1, hk) * multiple
        wk = h * aspect / multiple
        for w in {max(1, math.floor(wk)) * multiple, max(1, math.ceil(wk)) * multiple}:
            score = abs(math.log((w / h) / aspect)) + 0.5 * abs(math.log(w * h / side**2))
            if best is None or score < best[0] - 1e-12:
                best = (score, w, h)
    assert best is not None
    return best[1], best[2]


def time_ids(width: int, height: int) -> tuple[int, int, int, int, int, int]:
    """SDXL micro-conditioning for an uncropped ``width``×``height`` canvas.

    SDXL's order is (original height, original width, crop top, crop left, target height, target width); the
    official recipe passes (1024, 1024, 0, 0, 1024, 1024). Telling the model the true canvas keeps it from
    composing for a square it is not drawing.
    """
    return height, width, 0, 0, height, width
