"""Fast re-making: JPEGs decoded at the size the pattern needs, cached linear light, and the live preview."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft import imageio
from pixlcraft.convert import ConvertOptions, convert_photo
from pixlcraft.errors import InputError
from pixlcraft.imageio import enough_pixels, load_photo
from pixlcraft.palette import load_builtin

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.jpg"


def _jpeg(path: Path, w: int, h: int, orientation: int = 1) -> Path:
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // w, yy * 255 // h, (xx + yy) * 255 // (w + h)], -1).astype(np.uint8)
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    Image.fromarray(rgb).save(path, quality=90, exif=exif.tobytes())
    return path


def test_a_phone_jpeg_is_decoded_at_the_size_the_pattern_needs(tmp_path: Path) -> None:
    big = _jpeg(tmp_path / "phone.jpg", 4000, 3000)
    photo = load_photo(big, (200, None))
    assert photo.full_size == (4000, 3000) and 800 <= photo.width < 4000
    assert photo.width >= 200 * 4 and photo.height >= 150 * 4  # never fewer than 4 pixels a cell
    assert enough_pixels(photo, (200, None)) and not enough_pixels(photo, (900, None))
    assert not enough_pixels(photo, None)  # the AI canvas and full-size work want it all
    assert load_photo(big).full_size is None and load_photo(big).width == 4000
    turned = load_photo(_jpeg(tmp_path / "portrait.jpg", 4000, 3000, orientation=6), (200, None))
    assert turned.full_size == (3000, 4000) and turned.height > turned.width and turned.width >= 800


def test_small_photos_are_decoded_whole_so_patterns_are_exactly_as_before() -> None:
    dmc = load_builtin("dmc")
    photo = load_photo(SAMPLE, (40, None))
    assert photo.full_size is None
    a = convert_photo(photo, dmc, ConvertOptions(width=40, max_colors=20)).pattern.grid
    b = convert_photo(load_photo(SAMPLE), dmc, ConvertOptions(width=40, max_colors=20)).pattern.grid
    assert np.array_equal(a, b)


def test_a_jpeg_over_the_pixel_limit_is_decoded_smaller_instead_of_refused(tmp_path: Path, monkeypatch) -> None:
    jpeg = _jpeg(tmp_path / "huge.jpg", 2400, 1800)
    Image.fromarray(np.zeros((1800, 2400, 3), np.uint8)).save(tmp_path / "huge.png")
    monkeypatch.setattr(imageio, "MAX_PHOTO_PIXELS", 1_500_000)
    monkeypatch.setattr(imageio, "WORK_PIXELS", 1_000_000)
    photo = load_photo(jpeg)
    assert photo.full_size == (2400, 1800) and photo.width * photo.height <= 1_000_000
    with pytest.raises(InputError, match="too large"):
        load_photo(tmp_path / "huge.png")  # a PNG cannot be decoded smaller: still a clear refusal


def test_the_linear_light_copy_is_made_once_per_photo() -> None:
    photo = load_photo(SAMPLE)
    first = photo.linear()
    assert photo.linear() is first and first.dtype == np.float32


def test_the_panel_follows_its_settings_until_the_pattern_is_edited(qtbot, main_window, monkeypatch) -> None:
    from pixlcraft.gui import errors

    shown = []
    monkeypatch.setattr(errors, "present", lambda parent, m: shown.append(m) or "cancel")
    window = main_window
    panel = window.source_panel
    panel.width_cells.setValue(40)
    window.open_path(SAMPLE)
    qtbot.waitUntil(lambda: window.document.is_open and not window.jobs.busy, timeout=30000)
    first = window.document.pattern

    def used() -> int:
        return len(window.document.pattern.used_indices())

    for k in (20, 14, 9):  # quick changes: one preview at the end, with the newest value
        panel.budget.setValue(k)
    qtbot.waitUntil(lambda: window.document.pattern is not first and not window.jobs.busy and used() == 9,
                    timeout=30000)
    panel.width_cells.setValue(30)
    qtbot.waitUntil(lambda: window.document.pattern.width == 30 and not window.jobs.busy, timeout=30000)
    assert not shown  # no "save changes?" and no other dialog along the way

    panel.owned.setText("no-such-thread")
    panel.owned.editingFinished.emit()
    qtbot.waitUntil(lambda: "Preview not updated" in window.statusBar().currentMessage(), timeout=10000)
    assert not shown  # the problem is in the status bar, not a dialog per keystroke
    panel.owned.setText("")

    edited = window.document.pattern
    from pixlcraft.edit import Paint

    other = (int(edited.grid[0, 0]) + 1) % len(edited.palette)
    assert window.document.push(Paint([(0, 0), (0, 1), (1, 0)], other))
    assert window.document.stack.can_undo
    panel.budget.setValue(12)
    qtbot.wait(600)
    assert window.document.pattern is edited and not window.jobs.busy  # hand edits are never replaced unasked
    window.document.stack.set_clean()
    window.close()


def test_the_wheel_scrolls_the_panel_and_crafts_keep_their_brand(qtbot, main_window) -> None:
    from PySide6.QtCore import QPoint, QPointF, Qt
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    window = main_window
    panel = window.source_panel
    before = panel.budget.value()
    wheel = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, 120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(panel.budget, wheel)
    assert panel.budget.value() == before  # a box under the pointer is not changed by scrolling past it
    emitted = []
    panel.choicesChanged.connect(lambda: emitted.append(1))
    panel.restore_choices({"palette": "hama"})
    panel.craft_buttons["stitch"].setChecked(True)
    assert emitted and panel.current_palette_name() == "dmc"  # switching craft re-makes the preview
    panel.craft_buttons["bead"].setChecked(True)
    assert panel.current_palette_name() == "hama"  # the bead brand chosen before, not the first one
    assert panel.minimumSizeHint().width() > panel.scroll.widget().minimumSizeHint().width()
    window.close()
