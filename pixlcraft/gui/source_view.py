"""The source photo beside the pattern, with the crop that chooses the part of it to use (editable by mouse)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QWidget

from .pattern_view import RULER_PX, float_photo_to_qimage


class SourceView(QWidget):
    """The photo the pattern is made from, fitted to its half of the window, with the part used outlined.

    The outline is the crop, and it can be edited with the mouse: drag on the photo to draw a new one, drag
    inside it to move it, drag its edges or corners to resize it; a double-click uses the whole photo again.
    Each finished change is announced with :attr:`cropChanged` as fractions of the photo (left, top, right,
    bottom in 0…1), so it stays right whatever size the photo is decoded at.
    """

    cropChanged = Signal(object)
    """``(left, top, right, bottom)`` fractions, or None for the whole photo."""

    GRAB_PX = 8
    MIN_PX = 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(160)
        self.setMouseTracking(True)
        self._image: QImage | None = None
        self._crop: QRectF | None = None  # in photo pixels
        self._photo_size = (0, 0)
        self._drag: tuple[str, QPointF, QRectF] | None = None  # (what: new/move/edge letters, start, crop then)
        self.caption = "Source · drag to choose the part to use"

    def set_photo(self, srgb: np.ndarray | None, crop: Sequence[int] | None = None) -> None:
        """Show a float sRGB photo; ``crop`` is ``[left, top, right, bottom]`` in its pixels."""
        if srgb is None:
            self._image, self._crop, self._photo_size = None, None, (0, 0)
        else:
            self._image = float_photo_to_qimage(srgb)
            self._photo_size = (srgb.shape[1], srgb.shape[0])
            self._crop = None if not crop else QRectF(crop[0], crop[1], crop[2] - crop[0], crop[3] - crop[1])
        self.update()

    def set_crop_fraction(self, fraction: Sequence[float] | None) -> None:
        """Show a crop given as fractions of the photo (None: the whole photo)."""
        pw, ph = self._photo_size
        if fraction is None or not pw:
            self._crop = None
        else:
            l, t, r, b = fraction
            self._crop = QRectF(l * pw, t * ph, (r - l) * pw, (b - t) * ph)
        self.update()

    def crop_fraction(self) -> tuple[float, float, float, float] | None:
        pw, ph = self._photo_size
        c = self._crop
        if c is None or not pw or (c.width() >= pw - 0.5 and c.height() >= ph - 0.5):
            return None
        return (c.left() / pw, c.top() / ph, c.right() / pw, c.bottom() / ph)

    @property
    def has_photo(self) -> bool:
        return self._image is not None

    # -- geometry -------------------------------------------------------------------------------------------

    def _target(self) -> tuple[QRectF, float]:
        area = QRectF(12, RULER_PX + 12, self.width() - 24, self.height() - RULER_PX - 24)
        pw, ph = self._photo_size
        scale = min(area.width() / pw, area.height() / ph)
        target = QRectF(area.left() + (area.width() - pw * scale) / 2, area.top() + (area.height() - ph * scale) / 2,
                        pw * scale, ph * scale)
        return target, scale

    def _to_photo(self, pos: QPointF) -> QPointF:
        target, scale = self._target()
        pw, ph = self._photo_size
        x = min(max((pos.x() - target.left()) / scale, 0.0), float(pw))
        y = min(max((pos.y() - target.top()) / scale, 0.0), float(ph))
        return QPointF(x, y)

    def _box(self) -> QRectF | None:
        if self._crop is None:
            return None
        target, scale = self._target()
        c = self._crop
        return QRectF(target.left() + c.left() * scale, target.top() + c.top() * scale, c.width() * scale,
                      c.height() * scale)

    def _grab(self, pos: QPointF) -> str:
        """What a press at ``pos`` takes hold of: edge letters (l, r, t, b), "move" inside, "new" elsewhere."""
        box = self._box()
        if box is None:
            return "new"
        g = self.GRAB_PX
        near_x = box.top() - g <= pos.y() <= box.bottom() + g
        near_y = box.left() - g <= pos.x() <= box.right() + g
        edges = ""
        if near_x and abs(pos.x() - box.left()) <= g:
            edges += "l"
        if near_x and abs(pos.x() - box.right()) <= g:
            edges += "r"
        if near_y and abs(pos.y() - box.top()) <= g:
            edges += "t"
        if near_y and abs(pos.y() - box.bottom()) <= g:
            edges += "b"
        if edges:
            return edges
        return "move" if box.contains(pos) else "new"

    # -- mouse ----------------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._image is None or event.button() != Qt.MouseButton.LeftButton:
            return
        target, _ = self._target()
        pos = event.position()
        what = self._grab(pos)
        if what == "new" and not target.contains(pos):
            return
        start = self._to_photo(pos)
        then = QRectF(self._crop) if self._crop is not None else QRectF(start, start)
        self._drag = (what, start, then)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pos = event.position()
        if self._drag is None:
            cursors = {"move": Qt.CursorShape.SizeAllCursor, "l": Qt.CursorShape.SizeHorCursor,
                       "r": Qt.CursorShape.SizeHorCursor, "t": Qt.CursorShape.SizeVerCursor,
                       "b": Qt.CursorShape.SizeVerCursor, "lt": Qt.CursorShape.SizeFDiagCursor,
                       "rb": Qt.CursorShape.SizeFDiagCursor, "rt": Qt.CursorShape.SizeBDiagCursor,
                       "lb": Qt.CursorShape.SizeBDiagCursor}
            grab = self._grab(pos) if self._image is not None else "new"
            self.setCursor(cursors.get(grab, Qt.CursorShape.CrossCursor))
            return
        what, start, then = self._drag
        now = self._to_photo(pos)
        pw, ph = self._photo_size
        if what == "new":
            rect = QRectF(start, now).normalized()
        elif what == "move":
            dx = min(max(now.x() - start.x(), -then.left()), pw - then.right())
            dy = min(max(now.y() - start.y(), -then.top()), ph - then.bottom())
            rect = then.translated(dx, dy)
        else:
            l, t, r, b = then.left(), then.top(), then.right(), then.bottom()
            if "l" in what:
                l = min(now.x(), r - self.MIN_PX)
            if "r" in what:
                r = max(now.x(), l + self.MIN_PX)
            if "t" in what:
                t = min(now.y(), b - self.MIN_PX)
            if "b" in what:
                b = max(now.y(), t + self.MIN_PX)
            rect = QRectF(QPointF(l, t), QPointF(r, b))
        self._crop = rect
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        self._drag = None
        c = self._crop
        if c is not None and (c.width() < self.MIN_PX or c.height() < self.MIN_PX):
            self._crop = None  # a click, not a drag: keep the whole photo
        self.update()
        self.cropChanged.emit(self.crop_fraction())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._image is not None:
            self._crop = None
            self.update()
            self.cropChanged.emit(None)

    # -- drawing --------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#e9e6e1"))
        p.fillRect(QRect(0, 0, self.width(), RULER_PX), QColor("#f7f5f2"))
        p.setPen(QColor("#cfc8bf"))
        p.drawLine(0, RULER_PX - 1, self.width(), RULER_PX - 1)
        font = QFont(self.font())
        font.setPixelSize(11)
        p.setFont(font)
        p.setPen(QColor("#5b534b"))
        p.drawText(QRect(8, 0, self.width() - 16, RULER_PX), Qt.AlignmentFlag.AlignVCenter, self.caption)
        if self._image is None:
            p.setPen(QColor("#8a8178"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No photo")
            p.end()
            return
        target, _ = self._target()
        pw, ph = self._photo_size
        p.fillRect(target.adjusted(3, 3, 3, 3), QColor(0, 0, 0, 40))
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(target, self._image)
        box = self._box()
        if box is not None and (self._crop.width() < pw or self._crop.height() < ph):
            outside = QColor(255, 255, 255, 150)
            p.fillRect(QRectF(target.left(), target.top(), target.width(), box.top() - target.top()), outside)
            p.fillRect(QRectF(target.left(), box.bottom(), target.width(), target.bottom() - box.bottom()), outside)
            p.fillRect(QRectF(target.left(), box.top(), box.left() - target.left(), box.height()), outside)
            p.fillRect(QRectF(box.right(), box.top(), target.right() - box.right(), box.height()), outside)
            p.setPen(QPen(QColor("#c0392b"), 2, Qt.PenStyle.DashLine))
            p.drawRect(box)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#c0392b"))
            for corner in (box.topLeft(), box.topRight(), box.bottomLeft(), box.bottomRight()):
                p.drawRect(QRectF(corner.x() - 4, corner.y() - 4, 8, 8))
        p.end()
