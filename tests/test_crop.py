"""Choosing the part of the photo with the mouse: the crop on the source photo, and patterns made from it."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from pixlcraft.convert import ConvertOptions, convert_photo  # noqa: E402
from pixlcraft.gui.make_jobs import MakeRequest, crop_from_fraction, make_classic  # noqa: E402
from pixlcraft.imageio import load_photo  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.sizing import Crop  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.jpg"


def _drag(widget, start: QPointF, end: QPointF) -> None:
    """A real left-button drag (press, moves, release) delivered through Qt's event loop."""
    def send(kind, pos, buttons):
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos.toPoint()), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)

    send(QMouseEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    for t in np.linspace(0.2, 1.0, 5):
        send(QMouseEvent.Type.MouseMove, start + (end - start) * float(t), Qt.MouseButton.LeftButton)
    send(QMouseEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)


def test_a_crop_fraction_gives_the_same_pattern_as_a_pixel_crop() -> None:
    photo = load_photo(SAMPLE)
    crop = crop_from_fraction((0.25, 0.1, 0.75, 0.6), photo)
    assert crop == Crop(128, 51, 384, 307)
    made = make_classic(MakeRequest(photo_path=str(SAMPLE), width=32, max_colors=12, crop=(0.25, 0.1, 0.75, 0.6)))
    direct = convert_photo(photo, load_builtin("dmc"), ConvertOptions(width=32, max_colors=12, crop=crop))
    assert np.array_equal(made.pattern.grid, direct.pattern.grid)


def test_drawing_moving_and_clearing_the_crop_remakes_the_preview(qtbot, main_window) -> None:
    window = main_window
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    window.source_panel.width_cells.setValue(30)
    window.open_path(SAMPLE)
    qtbot.waitUntil(lambda: window.document.is_open and not window.jobs.busy, timeout=30000)
    view = window.view.source
    assert view.isVisible() and view.crop_fraction() is None
    target, scale = view._target()
    # draw the left half of the photo (a tall strip): the pattern becomes tall, 30 wide
    _drag(view, target.topLeft() + QPointF(2, 2), QPointF(target.center().x(), target.bottom() - 2))
    crop = window.source_panel.crop
    assert crop is not None and crop[2] == pytest.approx(0.5, abs=0.03) and crop[3] > 0.97
    qtbot.waitUntil(lambda: window.document.pattern.height > 50 and not window.jobs.busy, timeout=30000)
    assert window.document.pattern.width == 30
    # move it right by a quarter of the photo
    inside = QPointF(target.left() + target.width() * 0.25, target.center().y())
    _drag(view, inside, inside + QPointF(target.width() * 0.25, 0))
    assert window.source_panel.crop[0] == pytest.approx(0.25, abs=0.04)
    # resize from the right edge, then clear with a double-click
    box = view._box()
    _drag(view, QPointF(box.right(), box.center().y()), QPointF(target.right() - 1, box.center().y()))
    assert window.source_panel.crop[2] > 0.95
    qtbot.mouseDClick(view, Qt.MouseButton.LeftButton, pos=QPoint(int(target.center().x()), int(target.center().y())))
    assert window.source_panel.crop is None
    qtbot.waitUntil(lambda: window.document.pattern.height == 30 and not window.jobs.busy, timeout=30000)
    window.close()
