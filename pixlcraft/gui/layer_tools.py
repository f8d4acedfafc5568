"""The pattern view's stitch tools: backstitch, part stitches, French knots and the stitch eraser.

The canvas hands these tools its mouse and key events; a tool works out positions (snapping, Shift's
straight lines, the clicked quarter) through :mod:`pixlcraft.layer_edit` and hands the window a
:class:`LayerEdit` — a change of the layers in the current colour — which the window pushes as one undoable
:class:`~pixlcraft.edit.EditLayers`. Like painting, nothing here changes the pattern itself.

* **backstitch**: each click adds a segment from the previous point to the cell corner or half point nearest
  the click; Shift keeps it horizontal, vertical or at 45°; Esc, a right-click or another tool ends the run;
* **part stitch**: a click places a half stitch along the diagonal through the clicked quarter; with Shift a
  quarter stitch in that quarter, with Ctrl a three-quarter stitch (see :func:`~pixlcraft.layer_edit.part_quarters`);
* **knot**: a click places a French knot at the nearest corner, edge midpoint or cell centre;
* **erase stitch**: a click removes the knot, bead, backstitch or part stitch under the cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen

from ..layer_edit import (
    Point,
    add_backstitch,
    add_knot,
    constrain,
    erase_at,
    part_quarters,
    place_part,
    quarter_at,
    snap,
)
from ..stitches import UNITS_PER_CELL, StitchLayers
from .layer_painter import preview_segment

if TYPE_CHECKING:
    from .pattern_view import PatternCanvas

LAYER_TOOLS = ("backstitch", "part", "knot", "erase_stitch")
ERASE_PX = 8.0
"""How near (in screen pixels) the eraser must be to a backstitch or knot: the same feel at every zoom."""


@dataclass(frozen=True)
class LayerEdit:
    """A stitch edit a tool asks for: ``change(layers, colour_index)`` gives the new layers; ``colour`` False
    for the eraser (which needs no thread)."""

    change: Callable[[StitchLayers, int], StitchLayers]
    label: str
    colour: bool = True
    merge_key: object | None = None
    """Edits with the same key, one after another, are one undo step (the segments of one backstitch line)."""


def _erase(shape: tuple[int, int], x: float, y: float, tolerance: float, layers: StitchLayers,
           _colour: int) -> StitchLayers:
    return erase_at(layers, shape, x, y, tolerance)


class LayerTools:
    """The state of the stitch tools of one canvas (the open backstitch run, the snapped cursor)."""

    def __init__(self, canvas: PatternCanvas) -> None:
        self.canvas = canvas
        self.run_start: Point | None = None
        """Where the next backstitch starts, while a run is open."""
        self._run = 0
        """Which backstitch line the segments belong to: a line (clicks until Esc) is one undo step."""
        self._cursor: Point | None = None

    # ------------------------------------------------------------------------------------------- positions

    def _cells(self, pos: QPointF) -> tuple[float, float]:
        c = self.canvas
        return (pos.x() - c.origin.x()) / c.cell_px, (pos.y() - c.origin.y()) / c.cell_px

    def _on_chart(self, x: float, y: float) -> bool:
        """Within half a cell of the chart: a click beyond that is meant for nothing."""
        h, w = self.canvas.pattern.grid.shape
        return -0.5 <= x <= w + 0.5 and -0.5 <= y <= h + 0.5

    def _point(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> Point:
        x, y = self._cells(pos)
        shape = self.canvas.pattern.grid.shape
        if self.run_start is not None and modifiers & Qt.KeyboardModifier.ShiftModifier:
            return constrain(self.run_start, x, y, shape)
        return snap(x, y, shape)

    def widget_pos(self, point: Point) -> QPointF:
        """Where a lattice point is on screen (what tests click on, too)."""
        c = self.canvas
        return QPointF(c.origin.x() + point[0] / UNITS_PER_CELL * c.cell_px,
                       c.origin.y() + point[1] / UNITS_PER_CELL * c.cell_px)

    # ------------------------------------------------------------------------------------------- events

    def press(self, event: QMouseEvent) -> bool:
        """Handle a press for the current stitch tool; True when it was used (the canvas then does nothing)."""
        c = self.canvas
        if c.pattern is None:
            return False
        if event.button() == Qt.MouseButton.RightButton and self.run_start is not None:
            self.end_run()
            return True
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        x, y = self._cells(event.position())
        if not self._on_chart(x, y):
            return True
        shape = c.pattern.grid.shape
        tool = c.tool
        if tool == "backstitch":
            point = self._point(event.position(), event.modifiers())
            start = self.run_start
            if start is None:
                self._run += 1
            elif point != start:
                c.layerEdited.emit(LayerEdit(lambda layers, i: add_backstitch(layers, start, point, i), "Backstitch",
                                             merge_key=("backstitch line", id(self), self._run)))
            self.run_start = point
            c.update()
        elif tool == "knot":
            point = snap(x, y, shape)
            c.layerEdited.emit(LayerEdit(lambda layers, i: add_knot(layers, point, i), "French knot"))
        elif tool == "part":
            cell = c.cell_at(event.position())
            if cell is None:
                return True
            row, col = cell
            kind = c.part_kind
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                kind = "quarter"
            elif event.modifiers() & Qt.KeyboardModifier.ControlModifier:
                kind = "three-quarter"
            quarters = part_quarters(kind, quarter_at(x - col, y - row))
            c.layerEdited.emit(LayerEdit(lambda layers, i: place_part(layers, shape, row, col, quarters, i),
                                         f"{kind.capitalize()} stitch"))
        elif tool == "erase_stitch":
            tolerance = min(0.75, max(0.2, ERASE_PX / c.cell_px))
            c.layerEdited.emit(LayerEdit(partial(_erase, shape, x, y, tolerance), "Erase stitch", colour=False))
        return True

    def move(self, event: QMouseEvent) -> None:
        """Follow the cursor with the snapped point (and the backstitch preview)."""
        c = self.canvas
        if c.pattern is None or c.tool not in ("backstitch", "knot"):
            return
        point = self._point(event.position(), event.modifiers())
        if point != self._cursor:
            self._cursor = point
            c.update()

    def key(self, event: QKeyEvent) -> bool:
        """Esc ends a backstitch run; True when the key was used."""
        if event.key() == Qt.Key.Key_Escape and self.run_start is not None:
            self.end_run()
            return True
        return False

    def end_run(self) -> None:
        """Stop the backstitch run: the next click starts a new one."""
        self.run_start = None
        self.canvas.update()

    def reset(self) -> None:
        """Another tool or pattern: forget the run and the cursor."""
        self.run_start = self._cursor = None

    # ------------------------------------------------------------------------------------------- drawing

    def paint(self, p: QPainter) -> None:
        """The snapped point under the cursor, and the segment the next click would add."""
        c = self.canvas
        if c.tool not in ("backstitch", "knot") or c.pattern is None:
            return
        if self.run_start is not None and self._cursor is not None and c.tool == "backstitch":
            rgb = c.paint_rgb or (90, 90, 90)
            preview_segment(p, self.widget_pos(self.run_start), self.widget_pos(self._cursor), rgb, c.cell_px)
        if self._cursor is not None and c.cell_px >= 4:
            p.save()
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(QColor(0, 0, 0), 1.0))
            p.setBrush(QColor(255, 255, 255, 200))
            r = max(2.5, min(5.0, c.cell_px * 0.15))
            p.drawEllipse(self.widget_pos(self._cursor), r, r)
            p.restore()
