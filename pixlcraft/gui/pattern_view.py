"""The pattern on screen: a crisp, zoomable grid of cells beside the photo it came from.

Cells are drawn from the pattern's exact palette colours as one small image scaled with nearest-neighbour, so a
cell is always a sharp square at any zoom and a 1000×1000 pattern costs one image, not a million rectangles.
What a stitcher counts by is drawn on top only when it can be seen: thin lines between cells once cells are a
few pixels wide, bold lines every 10 (the printed-chart convention) and numbered rulers, and symbols once a
cell is big enough to hold one. The stitch layers (part stitches, backstitch, knots and beads) are drawn over the
cells by :mod:`~pixlcraft.gui.layer_painter`, and the stitch tools live in :mod:`~pixlcraft.gui.layer_tools`.

The canvas never changes the pattern itself. Painting shows the stroke as an overlay and hands the cells to
the window on release, so one drag is one undo step and every change goes through the undo stack.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QSplitter, QVBoxLayout, QWidget

from ..pattern import EMPTY, Pattern
from ..symbols import ensure_symbols
from .layer_painter import LayerView, paint_layers
from .layer_tools import LAYER_TOOLS, LayerTools

TOOLS = ("select", "paint", "fill", "pick", "pan", "backstitch", "part", "knot", "erase_stitch")
MIN_CELL_PX = 0.25
MAX_CELL_PX = 80.0
GRID_MIN_PX = 6.0
"""Thin lines between every cell appear from this cell size (smaller, they would hide the colours)."""
SYMBOL_MIN_PX = 11.0
RULER_PX = 22

def numpy_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied QImage of an ``(H,W,3)`` or ``(H,W,4)`` uint8 array (Qt must not keep numpy's buffer)."""
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, c = a.shape
    fmt = QImage.Format.Format_RGB888 if c == 3 else QImage.Format.Format_RGBA8888
    return QImage(a.data, w, h, w * c, fmt).copy()


def float_photo_to_qimage(srgb: np.ndarray, max_side: int = 1600) -> QImage:
    """A display copy of a float sRGB photo, shrunk (every n-th pixel) so huge photos stay light."""
    step = max(1, math.ceil(max(srgb.shape[:2]) / max_side))
    small = srgb[::step, ::step]
    return numpy_to_qimage((np.clip(small, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


def chart_symbols(pattern: Pattern) -> dict[int, str]:
    """Palette index → chart symbol: the pattern's own, kept for its life (as the printed chart uses them);
    colours past the last symbol show their number."""
    assigned = ensure_symbols(pattern)
    counts = pattern.counts()
    extra = [int(i) for i in np.flatnonzero(counts) if int(i) not in assigned]
    return {**assigned, **{index: str(n + len(assigned) + 1) for n, index in enumerate(extra)}}


def ink_for(rgb: Sequence[int]) -> QColor:
    """Black or white, whichever reads better on a cell of colour ``rgb`` (WCAG relative luminance)."""

    def lin(v: float) -> float:
        v /= 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return QColor(20, 20, 20) if luminance > 0.22 else QColor(250, 250, 250)


class PatternCanvas(QWidget):
    """Zoom (wheel, at the cursor), pan (middle/right drag, or the pan tool), and the editing tools."""

    hovered = Signal(int, int)
    """Row and column under the mouse, or -1, -1 when it leaves the pattern."""
    strokeFinished = Signal(object)
    """A paint stroke is done: a list of (row, col) cells, in the order painted, no repeats."""
    fillRequested = Signal(int, int)
    colorPicked = Signal(int)
    zoomChanged = Signal(float)
    layerEdited = Signal(object)
    """A stitch tool asks for a change of the stitch layers: a :class:`~pixlcraft.gui.layer_tools.LayerEdit`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 200)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._pattern: Pattern | None = None
        self._image: QImage | None = None
        self._symbols: dict[int, str] = {}
        self._cell = 8.0
        self._origin = QPointF(RULER_PX, RULER_PX)  # widget position of cell (0, 0)'s top-left corner
        self._fitted = True
        self.layer_tools = LayerTools(self)
        self._tool = "select"  # clicks change nothing until the user arms a tool
        self.part_kind = "half"
        """What a plain click of the part stitch tool places (Shift: a quarter, Ctrl: a three-quarter)."""
        self.paint_rgb: tuple[int, int, int] | None = None
        """Colour a stroke is previewed in; None disables painting (no colour chosen yet)."""
        self.show_grid = True
        self.show_symbols = False
        self.show_parts = self.show_backstitch = self.show_points = True
        """Which stitch layers are drawn over the cells (View menu)."""
        self._stroke: list[tuple[int, int]] = []
        self._stroke_set: set[tuple[int, int]] = set()
        self._pan_from: QPointF | None = None
        self._hover = (-1, -1)
        self.empty_text = "Open a photo or a pattern to begin\n\nor drop a file here"

    # ----------------------------------------------------------------------------------- content

    @property
    def pattern(self) -> Pattern | None:
        return self._pattern

    @property
    def tool(self) -> str:
        return self._tool

    @tool.setter
    def tool(self, tool: str) -> None:
        """Arm a tool; an open backstitch run ends (it belongs to the backstitch tool)."""
        self._tool = tool
        self.layer_tools.reset()
        self.update()

    def set_pattern(self, pattern: Pattern | None, *, keep_view: bool = False) -> None:
        """Show ``pattern``; a new pattern is fitted to the window, an edited one keeps zoom and position."""
        self._pattern = pattern
        if not keep_view:
            self.layer_tools.reset()
        self.refresh()
        if not keep_view:
            self.fit()

    def refresh(self) -> None:
        """Re-read the grid after an edit (cheap: one small image)."""
        if self._pattern is None:
            self._image = None
            self._symbols = {}
        else:
            p = self._pattern
            self._image = numpy_to_qimage(p.rgba_image() if p.empty_count else p.rgb_image())
            self._symbols = chart_symbols(p)
        self.update()

    @property
    def symbols(self) -> dict[int, str]:
        return self._symbols

    # ----------------------------------------------------------------------------------- geometry

    @property
    def cell_px(self) -> float:
        return self._cell

    @property
    def origin(self) -> QPointF:
        """Widget position of cell (0, 0)'s top-left corner."""
        return QPointF(self._origin)

    def _area(self) -> QRectF:
        return QRectF(RULER_PX, RULER_PX, max(1, self.width() - RULER_PX), max(1, self.height() - RULER_PX))

    def fit(self) -> None:
        """Whole pattern in view, centred, with a little air around it."""
        self._fitted = True
        if self._pattern is None:
            self.update()
            return
        area = self._area()
        h, w = self._pattern.grid.shape
        cell = min((area.width() - 16) / w, (area.height() - 16) / h)
        self._cell = max(MIN_CELL_PX, min(MAX_CELL_PX, cell))
        self._origin = QPointF(
            area.left() + (area.width() - w * self._cell) / 2, area.top() + (area.height() - h * self._cell) / 2
        )
        self.update()
        self.zoomChanged.emit(self._cell)

    def zoom_by(self, factor: float, at: QPointF | None = None) -> None:
        """Zoom keeping the point ``at`` (default: the centre) over the same cell."""
        if self._pattern is None:
            return
        at = at if at is not None else self._area().center()
        new = max(MIN_CELL_PX, min(MAX_CELL_PX, self._cell * factor))
        if new == self._cell:
            return
        cx = (at.x() - self._origin.x()) / self._cell
        cy = (at.y() - self._origin.y()) / self._cell
        self._cell = new
        self._origin = QPointF(at.x() - cx * new, at.y() - cy * new)
        self._fitted = False
        self.update()
        self.zoomChanged.emit(self._cell)

    def set_cell_px(self, px: float) -> None:
        self.zoom_by(px / self._cell)

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """(row, col) under a widget position, or None outside the pattern."""
        if self._pattern is None:
            return None
        col = math.floor((pos.x() - self._origin.x()) / self._cell)
        row = math.floor((pos.y() - self._origin.y()) / self._cell)
        h, w = self._pattern.grid.shape
        if 0 <= row < h and 0 <= col < w and pos.x() >= RULER_PX and pos.y() >= RULER_PX:
            return row, col
        return None

    def cell_center(self, row: int, col: int) -> QPointF:
        """Widget position of a cell's centre (what a test clicks on)."""
        return QPointF(self._origin.x() + (col + 0.5) * self._cell, self._origin.y() + (row + 0.5) * self._cell)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt name)
        return QSize(720, 620)

    def resizeEvent(self, event) -> None:  # noqa: N802
        if self._fitted:
            self.fit()
        super().resizeEvent(event)

    # ----------------------------------------------------------------------------------- painting

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#e9e6e1"))
        if self._pattern is None or self._image is None:
            self._paint_empty(p)
            p.end()
            return
        h, w = self._pattern.grid.shape
        cell = self._cell
        area = self._area()
        # Visible cell range (inclusive start, exclusive end).
        c0 = max(0, math.floor((area.left() - self._origin.x()) / cell))
        r0 = max(0, math.floor((area.top() - self._origin.y()) / cell))
        c1 = min(w, math.ceil((area.right() - self._origin.x()) / cell))
        r1 = min(h, math.ceil((area.bottom() - self._origin.y()) / cell))
        p.setClipRect(area)
        full = QRectF(self._origin.x(), self._origin.y(), w * cell, h * cell)
        shadow = full.adjusted(3, 3, 3, 3)
        p.fillRect(shadow, QColor(0, 0, 0, 40))
        if c1 > c0 and r1 > r0:
            target = QRectF(self._origin.x() + c0 * cell, self._origin.y() + r0 * cell, (c1 - c0) * cell,
                            (r1 - r0) * cell)
            if self._pattern.empty_count:
                self._paint_checker(p, target)
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(target, self._image, QRectF(c0, r0, c1 - c0, r1 - r0))
            if self.show_symbols and cell >= SYMBOL_MIN_PX:
                self._paint_symbols(p, r0, r1, c0, c1)
            self._paint_stroke(p)
            self._paint_grid(p, r0, r1, c0, c1)
            symbols = self._symbols if self.show_symbols and cell >= SYMBOL_MIN_PX else None
            paint_layers(p, self._pattern, LayerView(self._origin, cell, (r0, r1), (c0, c1), self.show_parts,
                                                     self.show_backstitch, self.show_points, symbols, self.font()))
            self.layer_tools.paint(p)
            self._paint_hover(p)
        p.setClipping(False)
        self._paint_rulers(p, r0, r1, c0, c1)
        p.end()

    def _paint_empty(self, p: QPainter) -> None:
        p.setPen(QColor("#8a8178"))
        f = QFont(self.font())
        f.setPointSizeF(f.pointSizeF() * 1.35)
        p.setFont(f)
        box = self.rect().adjusted(40, 40, -40, -40)
        p.setPen(QPen(QColor("#c9c1b6"), 2, Qt.PenStyle.DashLine))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRoundedRect(box, 18, 18)
        p.setPen(QColor("#7d746a"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, self.empty_text)

    def _paint_checker(self, p: QPainter, target: QRectF) -> None:
        p.fillRect(target, QColor("#ffffff"))
        brush = QBrush(QColor("#d9d9d9"), Qt.BrushStyle.Dense4Pattern)
        p.fillRect(target, brush)

    def _paint_stroke(self, p: QPainter) -> None:
        if not self._stroke or self.paint_rgb is None:
            return
        colour = QColor(*self.paint_rgb)
        for r, c in self._stroke:
            p.fillRect(QRectF(self._origin.x() + c * self._cell, self._origin.y() + r * self._cell, self._cell,
                              self._cell), colour)

    def _paint_symbols(self, p: QPainter, r0: int, r1: int, c0: int, c1: int) -> None:
        assert self._pattern is not None
        grid = self._pattern.grid[r0:r1, c0:c1]
        palette = self._pattern.palette
        font = QFont(self.font())
        font.setPixelSize(max(6, int(self._cell * 0.62)))
        pair_font = QFont(font)  # two-glyph symbols (A1): smaller, so both letters fit the cell
        pair_font.setPixelSize(max(5, int(self._cell * 0.42)))
        cell = self._cell
        for index in np.unique(grid):
            index = int(index)
            if index == EMPTY:
                continue
            symbol = self._symbols.get(index, "?")
            p.setFont(pair_font if len(symbol) > 1 else font)
            p.setPen(ink_for(palette[index].rgb))
            rows, cols = np.nonzero(grid == index)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                rect = QRectF(self._origin.x() + (c + c0) * cell, self._origin.y() + (r + r0) * cell, cell, cell)
                p.drawText(rect, Qt.AlignmentFlag.AlignCenter, symbol)

    def _paint_grid(self, p: QPainter, r0: int, r1: int, c0: int, c1: int) -> None:
        if not self.show_grid:
            return
        cell = self._cell
        ox, oy = self._origin.x(), self._origin.y()
        top, bottom = oy + r0 * cell, oy + r1 * cell
        left, right = ox + c0 * cell, ox + c1 * cell
        if cell >= GRID_MIN_PX:
            alpha = int(min(110, 40 + (cell - GRID_MIN_PX) * 6))
            p.setPen(QPen(QColor(40, 40, 40, alpha), 1))
            for c in range(c0, c1 + 1):
                if c % 10:
                    x = ox + c * cell
                    p.drawLine(QPointF(x, top), QPointF(x, bottom))
            for r in range(r0, r1 + 1):
                if r % 10:
                    y = oy + r * cell
                    p.drawLine(QPointF(left, y), QPointF(right, y))
        if cell * 10 >= 12:
            p.setPen(QPen(QColor(25, 25, 25, 200), 2 if cell >= 4 else 1))
            h, w = self._pattern.grid.shape if self._pattern is not None else (0, 0)
            for c in range(c0 - c0 % 10, c1 + 1, 10):
                if c >= c0 or c == 0:
                    x = ox + c * cell
                    p.drawLine(QPointF(x, top), QPointF(x, bottom))
            for r in range(r0 - r0 % 10, r1 + 1, 10):
                if r >= r0 or r == 0:
                    y = oy + r * cell
                    p.drawLine(QPointF(left, y), QPointF(right, y))
            # The outer frame, so the last partial block is closed too.
            p.setPen(QPen(QColor(25, 25, 25, 220), 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(ox, oy, w * cell, h * cell))

    def _paint_hover(self, p: QPainter) -> None:
        r, c = self._hover
        if r < 0 or self._cell < 4:
            return
        rect = QRectF(self._origin.x() + c * self._cell, self._origin.y() + r * self._cell, self._cell, self._cell)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(255, 255, 255), 3))
        p.drawRect(rect)
        p.setPen(QPen(QColor(0, 0, 0), 1))
        p.drawRect(rect)

    def _paint_rulers(self, p: QPainter, r0: int, r1: int, c0: int, c1: int) -> None:
        bg, ink = QColor("#f7f5f2"), QColor("#5b534b")
        p.fillRect(QRect(0, 0, self.width(), RULER_PX), bg)
        p.fillRect(QRect(0, 0, RULER_PX, self.height()), bg)
        p.setPen(QColor("#cfc8bf"))
        p.drawLine(0, RULER_PX - 1, self.width(), RULER_PX - 1)
        p.drawLine(RULER_PX - 1, 0, RULER_PX - 1, self.height())
        if self._pattern is None:
            return
        font = QFont(self.font())
        font.setPixelSize(10)
        p.setFont(font)
        p.setPen(ink)
        # Label every 10th line, or every 50th/100th when zoomed far out so labels never overlap.
        step = 10
        while step * self._cell < 28:
            step *= 5 if str(step).startswith("1") else 2
        ox, oy = self._origin.x(), self._origin.y()
        p.setClipRect(QRectF(RULER_PX, 0, self.width(), RULER_PX))
        for c in range(c0 - c0 % step, c1 + 1, step):
            if c <= 0:
                continue
            x = ox + c * self._cell
            p.drawLine(QPointF(x, RULER_PX - 6), QPointF(x, RULER_PX - 1))
            p.drawText(QRectF(x - 30, 2, 60, RULER_PX - 8), Qt.AlignmentFlag.AlignCenter, str(c))
        p.setClipRect(QRectF(0, RULER_PX, RULER_PX, self.height()))
        for r in range(r0 - r0 % step, r1 + 1, step):
            if r <= 0:
                continue
            y = oy + r * self._cell
            p.drawLine(QPointF(RULER_PX - 6, y), QPointF(RULER_PX - 1, y))
            p.save()
            p.translate(2, y)
            p.rotate(-90)
            p.drawText(QRectF(-30, 0, 60, RULER_PX - 8), Qt.AlignmentFlag.AlignCenter, str(r))
            p.restore()
        p.setClipping(False)

    # ----------------------------------------------------------------------------------- input

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25**steps, event.position())
        event.accept()

    def event(self, event: QEvent) -> bool:
        """Esc ends a backstitch run before the window's Esc shortcut (cancel a job) can take it."""
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape and self.layer_tools.run_start is not None):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if not self.layer_tools.key(event):
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        button = event.button()
        if self.tool in LAYER_TOOLS and self.layer_tools.press(event):
            return
        if button in (Qt.MouseButton.MiddleButton, Qt.MouseButton.RightButton) or (
            button == Qt.MouseButton.LeftButton and self.tool == "pan"
        ):
            self._pan_from = pos
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            return
        if button != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(pos)
        if cell is None:
            return
        if self.tool == "paint" and self.paint_rgb is not None:
            self._stroke, self._stroke_set = [cell], {cell}
            self.update()
        elif self.tool == "fill":
            self.fillRequested.emit(*cell)
        elif self.tool == "pick":
            index = int(self._pattern.grid[cell]) if self._pattern is not None else EMPTY
            if index != EMPTY:
                self.colorPicked.emit(index)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._pan_from is not None:
            delta = pos - self._pan_from
            self._pan_from = pos
            self._origin += delta
            self._fitted = False
            self.update()
            return
        if self.tool in LAYER_TOOLS:
            self.layer_tools.move(event)
        cell = self.cell_at(pos)
        if self._stroke and cell is not None:
            for step in _line_cells(self._stroke[-1], cell):
                if step not in self._stroke_set:
                    self._stroke.append(step)
                    self._stroke_set.add(step)
            self.update()
        hover = cell if cell is not None else (-1, -1)
        if hover != self._hover:
            self._hover = hover
            self.hovered.emit(*hover)
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.unsetCursor()
            return
        if event.button() == Qt.MouseButton.LeftButton and self._stroke:
            stroke, self._stroke, self._stroke_set = self._stroke, [], set()
            self.update()
            self.strokeFinished.emit(stroke)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self._hover != (-1, -1):
            self._hover = (-1, -1)
            self.hovered.emit(-1, -1)
            self.update()
        super().leaveEvent(event)


def _line_cells(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Cells on the straight line after ``a`` up to ``b`` (included), so a fast drag leaves no gaps."""
    (r0, c0), (r1, c1) = a, b
    n = max(abs(r1 - r0), abs(c1 - c0))
    return [(round(r0 + (r1 - r0) * t / n), round(c0 + (c1 - c0) * t / n)) for t in range(1, n + 1)]


from .source_view import SourceView  # noqa: E402 - after the helpers it uses


class PatternView(QWidget):
    """Source photo and pattern side by side; the source half can be hidden."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.canvas = PatternCanvas(self)
        self.source = SourceView(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.source)
        self.splitter.addWidget(self.canvas)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.source.hide()

    def show_source(self, visible: bool) -> None:
        self.source.setVisible(visible)
        if visible:
            total = max(1, self.splitter.width())
            self.splitter.setSizes([total // 3, total - total // 3])
        if self.canvas._fitted:
            self.canvas.fit()
