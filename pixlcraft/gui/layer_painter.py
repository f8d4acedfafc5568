"""Draws a pattern's stitch layers (part stitches, backstitches, French knots, beads) over its cells.

Only what lies in the visible cell range is drawn, and each colour of each layer is one QPainterPath, so a chart
with thousands of backstitches costs a few path fills per repaint, not thousands of draw calls.

How each layer looks, chosen so a glance tells them apart and a part stitch shows its direction:

* part stitches fill the part of the cell they cover, the same shapes as the PDF chart and the PNG
  (:func:`pixlcraft.stitch_shapes.quarter_shapes`): a half stitch is the band along its diagonal, a quarter
  the corner triangle, so a three-quarter stitch with its neighbour's quarter fills the cell with no gap;
  with symbols on, the colour's symbol sits small on the part stitch;
* a backstitch is a thick round-capped line in its thread colour, with a thin dark edge so it shows on a cell
  of its own colour;
* a French knot is a solid dot, a bead a small ring (a bead has a hole).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen

from ..pattern import Pattern
from ..stitch_shapes import quarter_shapes
from ..stitches import BOTTOM_LEFT, BOTTOM_RIGHT, TOP_LEFT, TOP_RIGHT, UNITS_PER_CELL, Points

_CORNER = {TOP_LEFT: (0.0, 0.0), TOP_RIGHT: (1.0, 0.0), BOTTOM_LEFT: (0.0, 1.0), BOTTOM_RIGHT: (1.0, 1.0)}
EDGE = QColor(30, 30, 30, 170)


@dataclass
class LayerView:
    """Which layers show and where the chart is: ``origin`` is the widget position of cell (0, 0)'s top-left
    corner, ``cell`` the size of a cell in pixels, ``rows``/``cols`` the visible range (start, end)."""

    origin: QPointF
    cell: float
    rows: tuple[int, int]
    cols: tuple[int, int]
    parts: bool = True
    backstitch: bool = True
    points: bool = True
    symbols: dict[int, str] | None = None
    """Palette index → symbol, when symbols are shown (and cells are big enough for them)."""
    font: QFont | None = None


def paint_layers(p: QPainter, pattern: Pattern, view: LayerView) -> None:
    """Every visible layer of ``pattern`` that ``view`` switches on, from the bottom up."""
    layers = pattern.layers
    if layers.is_empty:
        return
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    if view.parts and layers.quarters is not None:
        _paint_parts(p, pattern, view)
    if view.backstitch and len(layers.backstitches):
        _paint_lines(p, pattern, view)
    if view.points:
        _paint_points(p, pattern, layers.beads, view, bead=True)
        _paint_points(p, pattern, layers.knots, view, bead=False)
    p.restore()


def _rgb(pattern: Pattern, index: int) -> QColor:
    return QColor(*pattern.palette[index].rgb)


def _paint_parts(p: QPainter, pattern: Pattern, view: LayerView) -> None:
    (r0, r1), (c0, c1) = view.rows, view.cols
    quarters = pattern.layers.quarters[r0:r1, c0:c1]
    if not (quarters >= 0).any():
        return
    cell, ox, oy = view.cell, view.origin.x(), view.origin.y()
    edge = QPen(EDGE, 1.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    bits = np.array([1 << q for q in range(4)], np.int64)
    for colour in np.unique(quarters[quarters >= 0]).tolist():
        masks = ((quarters == colour) * bits).sum(axis=2)
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        for r, c in zip(*np.nonzero(masks), strict=True):
            x0, y0 = ox + (int(c) + c0) * cell, oy + (int(r) + r0) * cell
            for shape in quarter_shapes(int(masks[r, c])):
                path.moveTo(x0 + shape[0][0] * cell, y0 + shape[0][1] * cell)
                for fx, fy in shape[1:]:
                    path.lineTo(x0 + fx * cell, y0 + fy * cell)
                path.closeSubpath()
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_rgb(pattern, colour))
        p.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # shapes that share an edge leave no seam
        p.drawPath(path)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if cell >= 8:  # the shapes' outline, so a part stitch shows where it differs from its neighbour
            p.setPen(edge)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)
    if view.symbols is not None:
        _paint_part_symbols(p, pattern, quarters, view)


def _paint_part_symbols(p: QPainter, pattern: Pattern, quarters: np.ndarray, view: LayerView) -> None:
    """The colour's symbol at the middle of each (cell, colour) part stitch, in a small font."""
    from .pattern_view import ink_for

    font = QFont(view.font) if view.font is not None else QFont()
    font.setPixelSize(max(5, int(view.cell * 0.34)))
    p.setFont(font)
    cell, ox, oy = view.cell, view.origin.x(), view.origin.y()
    (r0, _), (c0, _) = view.rows, view.cols
    corners = np.array([_CORNER[q] for q in range(4)])  # (4, 2) fx, fy by quarter index
    ys, xs = np.nonzero((quarters >= 0).any(axis=2))
    for r, c in zip(ys.tolist(), xs.tolist(), strict=True):
        cell_q = quarters[r, c]
        for colour in np.unique(cell_q[cell_q >= 0]).tolist():
            mine = cell_q == colour
            # halfway between the centre and the mean of this colour's corners: on the stitch, off the centre
            fx, fy = 0.5 + (corners[mine].mean(axis=0) - 0.5) * 0.5 if mine.sum() < 4 else (0.5, 0.5)
            centre = QPointF(ox + (c + c0 + fx) * cell, oy + (r + r0 + fy) * cell)
            p.setPen(ink_for(pattern.palette[colour].rgb))
            box = QRectF(centre.x() - cell / 3, centre.y() - cell / 3, cell * 2 / 3, cell * 2 / 3)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, view.symbols.get(colour, "?"))


def _visible(xy: np.ndarray, view: LayerView) -> np.ndarray:
    """Which rows of ``(N, 2k)`` unit positions touch the visible cell range (a little margin for caps)."""
    (r0, r1), (c0, c1) = view.rows, view.cols
    xs, ys = xy[:, 0::2] / UNITS_PER_CELL, xy[:, 1::2] / UNITS_PER_CELL
    return ((xs.max(axis=1) >= c0 - 1) & (xs.min(axis=1) <= c1 + 1)
            & (ys.max(axis=1) >= r0 - 1) & (ys.min(axis=1) <= r1 + 1))


def line_width(cell: float) -> float:
    """A backstitch's width in pixels at ``cell`` pixels per cell: bold enough to read over any colour."""
    return max(1.5, min(cell * 0.16, 8.0))


def _paint_lines(p: QPainter, pattern: Pattern, view: LayerView) -> None:
    lines = pattern.layers.backstitches
    keep = _visible(lines.xy, view)
    if not keep.any():
        return
    xy = lines.xy[keep] / UNITS_PER_CELL * view.cell + np.array([view.origin.x(), view.origin.y()] * 2)
    colours = lines.colour[keep]
    width = line_width(view.cell)
    p.setBrush(Qt.BrushStyle.NoBrush)
    paths = {}
    for colour in np.unique(colours).tolist():
        path = QPainterPath()
        for x1, y1, x2, y2 in xy[colours == colour].tolist():
            path.moveTo(x1, y1)
            path.lineTo(x2, y2)
        paths[colour] = path
    if width >= 3:  # a dark edge under every line first, so no line's edge covers another's colour
        p.setPen(QPen(EDGE, width + 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        for path in paths.values():
            p.drawPath(path)
    for colour, path in paths.items():
        p.setPen(QPen(_rgb(pattern, colour), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        p.drawPath(path)


def _paint_points(p: QPainter, pattern: Pattern, points: Points, view: LayerView, *, bead: bool) -> None:
    if not len(points):
        return
    keep = _visible(points.xy, view)
    if not keep.any():
        return
    xy = points.xy[keep] / UNITS_PER_CELL * view.cell + np.array([view.origin.x(), view.origin.y()])
    colours = points.colour[keep]
    radius = max(2.0, view.cell * (0.3 if bead else 0.2))
    for colour in np.unique(colours).tolist():
        path = QPainterPath()
        for x, y in xy[colours == colour].tolist():
            path.addEllipse(QPointF(x, y), radius, radius)
        if bead:  # a ring: the thread colour thick, a dark edge outside
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(EDGE, max(2.0, radius * 0.55) + 2))
            p.drawPath(path)
            p.setPen(QPen(_rgb(pattern, colour), max(2.0, radius * 0.55)))
        else:
            p.setBrush(_rgb(pattern, colour))
            p.setPen(QPen(EDGE, 1.0))
        p.drawPath(path)


def preview_segment(p: QPainter, start: QPointF, end: QPointF, rgb: Sequence[int], cell: float) -> None:
    """The backstitch the next click would make, drawn lighter than a real one."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    colour = QColor(*rgb)
    colour.setAlpha(160)
    p.setPen(QPen(colour, line_width(cell), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
    p.drawLine(start, end)
    p.setPen(QPen(EDGE, 1.0))
    p.setBrush(QColor(255, 255, 255))
    p.drawEllipse(start, 3.0, 3.0)
    p.restore()
