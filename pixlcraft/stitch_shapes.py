"""How the stitch layers (:mod:`pixlcraft.stitches`) look on a picture or a chart, in cell units.

One geometry for every drawing (PNG previews, ``.png`` saves, the PDF chart), so a half stitch looks the same
wherever it is shown:

* a **quarter** is the triangle in its corner of the cell, cut off by the line joining the midpoints of the
  two edges that meet there (the corner a quarter leg starts from);
* a **half** (two opposite quarters of one colour) is the band along its diagonal, from corner to corner: the
  two corner triangles and the strip between them, so it reads as the leg it is (``/`` or ``\\``);
* a **three-quarter** is its half's band plus the remaining quarter's triangle; all four quarters fill the
  cell.

Backstitches are lines, French knots dots and beads rings; :func:`draw_layers` paints them all onto an image
with Pillow (exact thread colours, no anti-aliasing: a preview pixel is a palette colour, as in the flat cells).
"""

from __future__ import annotations

import numpy as np

from .stitches import BACKWARD, BOTTOM_LEFT, BOTTOM_RIGHT, FORWARD, TOP_LEFT, TOP_RIGHT, StitchLayers

MIN_LAYER_SCALE = 4
"""Fewest pixels per cell that can show a triangle, a line beside the cells and a dot; below it a picture
shows the full crosses only (one pixel per cell cannot hold half a cell)."""
LINE_WIDTH = 0.16
"""Backstitch line width as a share of the cell: clearly thicker than a grid line, thinner than a cell."""
KNOT_RADIUS = 0.22
BEAD_RADIUS = 0.32

_CORNER = {TOP_LEFT: (0.0, 0.0), TOP_RIGHT: (1.0, 0.0), BOTTOM_LEFT: (0.0, 1.0), BOTTOM_RIGHT: (1.0, 1.0)}


def _corner_triangle(q: int) -> list[tuple[float, float]]:
    cx, cy = _CORNER[q]
    return [(cx, cy), (0.5, cy), (cx, 0.5)]


def _band(a: int, b: int) -> list[tuple[float, float]]:
    """The diagonal band from corner ``a`` to the opposite corner ``b``: both corner triangles and the strip
    between (a hexagon)."""
    (ax, ay), (bx, by) = _CORNER[a], _CORNER[b]
    return [(ax, ay), (0.5, ay), (bx, 0.5), (bx, by), (0.5, by), (ax, 0.5)]


def quarter_shapes(mask: int) -> list[list[tuple[float, float]]]:
    """The polygons (cell-relative, 0..1, y down) one colour's quarters ``mask`` fill in its cell."""
    if mask & 15 == 15:
        return [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]]
    shapes = []
    left = int(mask)
    for a, b in (FORWARD, BACKWARD):
        if left & (1 << a) and left & (1 << b):
            shapes.append(_band(a, b))
            left &= ~((1 << a) | (1 << b))
    shapes += [_corner_triangle(q) for q in range(4) if left & (1 << q)]
    return shapes


def part_polygons(layers: StitchLayers) -> list[tuple[int, int, int, list[tuple[float, float]]]]:
    """Every part stitch as ``(row, column, colour, polygon in chart cells)``, in row-major cell order."""
    parts = layers.part_stitches()
    out = []
    for y, x, colour, mask in zip(parts.ys.tolist(), parts.xs.tolist(), parts.colour.tolist(),
                                  parts.mask.tolist(), strict=True):
        for shape in quarter_shapes(mask):
            out.append((y, x, colour, [(x + px, y + py) for px, py in shape]))
    return out


def polygon_centre(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Where a symbol goes in a polygon: the mean of its corners (inside for the triangles and bands here)."""
    a = np.asarray(points, float)
    return float(a[:, 0].mean()), float(a[:, 1].mean())


def draw_layers(img: np.ndarray, layers: StitchLayers, palette_rgb: np.ndarray, scale: int) -> np.ndarray:
    """``img`` (``(H·scale, W·scale, 3 or 4)`` uint8, one ``scale``-pixel block per cell) with every layer
    painted on, in stitching order: part stitches, then backstitch lines, knots, beads on top. Returns ``img``
    itself when there is nothing to show or ``scale`` is below :data:`MIN_LAYER_SCALE`."""
    if layers.is_empty or scale < MIN_LAYER_SCALE:
        return img
    from PIL import Image, ImageDraw

    pic = Image.fromarray(img)
    draw = ImageDraw.Draw(pic)
    alpha = (255,) if img.ndim == 3 and img.shape[2] == 4 else ()

    def ink(i: int) -> tuple[int, ...]:
        return tuple(int(v) for v in palette_rgb[int(i)]) + alpha

    def px(x: float, y: float) -> tuple[float, float]:
        return x * scale - 0.5, y * scale - 0.5  # pixel centres: cell edge k·scale is between pixels

    for _, _, colour, poly in part_polygons(layers):
        draw.polygon([px(x, y) for x, y in poly], fill=ink(colour))
    width = max(2, round(scale * LINE_WIDTH))
    for (x1, y1, x2, y2), colour in zip(layers.backstitches.cells().tolist(), layers.backstitches.colour.tolist(),
                                        strict=True):
        draw.line([px(x1, y1), px(x2, y2)], fill=ink(colour), width=width)
    for (x, y), colour in zip(layers.knots.cells().tolist(), layers.knots.colour.tolist(), strict=True):
        cx, cy = px(x, y)
        r = max(1.5, scale * KNOT_RADIUS)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=ink(colour))
    for (x, y), colour in zip(layers.beads.cells().tolist(), layers.beads.colour.tolist(), strict=True):
        cx, cy = px(x, y)
        r = max(1.5, scale * BEAD_RADIUS)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=ink(colour), width=max(2, round(scale * 0.12)))
    return np.asarray(pic)
