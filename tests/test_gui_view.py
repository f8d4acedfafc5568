"""The desktop app's parts on their own: the cell view, the legend, actions, option widgets, dialogs' words."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QEvent, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QKeySequence, QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from pixlcraft.errors import Cancelled, InputError  # noqa: E402
from pixlcraft.gui import errors  # noqa: E402
from pixlcraft.gui.actions import ACTIONS, MENUS, TOOLBAR, ActionRegistry  # noqa: E402
from pixlcraft.gui.legend import Legend  # noqa: E402
from pixlcraft.gui.pattern_view import PatternCanvas, _line_cells, chart_symbols  # noqa: E402
from pixlcraft.gui.progress import format_duration  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.pattern import EMPTY, Pattern  # noqa: E402
from pixlcraft.settings import Settings  # noqa: E402


def small_pattern(seed: int = 0, h: int = 12, w: int = 17) -> Pattern:
    """A random pattern over six well separated DMC colours, with uneven counts and two empty cells."""
    palette = load_builtin("dmc").restrict(["310", "321", "699", "797", "444", "BLANC"])
    rng = np.random.default_rng(seed)
    grid = rng.choice(6, size=(h, w), p=[0.4, 0.2, 0.15, 0.12, 0.08, 0.05]).astype(np.int16)
    grid[0, 0] = grid[h - 1, w - 1] = EMPTY
    return Pattern(grid, palette, {"title": "test"})


def canvas_with(qtbot, pattern: Pattern, size=(520, 420)) -> PatternCanvas:
    canvas = PatternCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(*size)
    canvas.show()
    qtbot.waitExposed(canvas)
    canvas.set_pattern(pattern)
    return canvas


def move_to(widget: QWidget, point: QPointF, buttons=Qt.MouseButton.NoButton) -> None:
    """A mouse move sent straight to the widget (QTest skips a move to where its cursor already is)."""
    QApplication.sendEvent(widget, QMouseEvent(QEvent.Type.MouseMove, point, widget.mapToGlobal(point),
                                               Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier))


def pixel(image, point: QPointF) -> tuple[int, int, int]:
    c = image.pixelColor(int(point.x()), int(point.y()))
    return c.red(), c.green(), c.blue()


# ------------------------------------------------------------------------------------------------ canvas


@pytest.mark.parametrize("cell_px", [3.0, 9.0, 31.0])
def test_every_cell_shows_its_exact_palette_colour(qtbot, cell_px):
    pattern = small_pattern()
    canvas = canvas_with(qtbot, pattern)
    canvas.set_cell_px(cell_px)
    image = canvas.grab().toImage()
    checked = 0
    for r in range(pattern.height):
        for c in range(pattern.width):
            centre = canvas.cell_center(r, c)
            if not canvas.rect().contains(centre.toPoint()) or centre.x() < 30 or centre.y() < 30:
                continue  # off screen or under the rulers at this zoom
            index = int(pattern.grid[r, c])
            if index == EMPTY:
                continue
            assert pixel(image, centre) == pattern.palette[index].rgb, (r, c, cell_px)
            checked += 1
    assert checked >= 12


def test_cell_at_inverts_cell_center_and_zoom_keeps_the_cell_under_the_cursor(qtbot):
    pattern = small_pattern()
    canvas = canvas_with(qtbot, pattern)
    for r, c in [(0, 0), (5, 7), (11, 16)]:
        assert canvas.cell_at(canvas.cell_center(r, c)) == (r, c)
    anchor = canvas.cell_center(6, 9)
    for factor in (1.25, 2.0, 0.5):
        canvas.zoom_by(factor, anchor)
        assert canvas.cell_at(anchor) == (6, 9)
    assert canvas.cell_at(QPointF(1, 1)) is None  # the ruler corner is no cell


def test_line_cells_leave_no_gaps():
    for a, b in [((0, 0), (0, 9)), ((3, 2), (9, 5)), ((8, 8), (1, 0)), ((4, 4), (4, 4))]:
        cells = [a] + _line_cells(a, b)
        assert cells[-1] == b
        for (r0, c0), (r1, c1) in zip(cells, cells[1:], strict=False):
            assert max(abs(r1 - r0), abs(c1 - c0)) <= 1  # neighbours (8-connected): a stroke has no holes
        assert len(cells) == max(abs(b[0] - a[0]), abs(b[1] - a[1])) + 1


def test_paint_stroke_reports_the_dragged_cells_without_changing_the_pattern(qtbot):
    pattern = small_pattern()
    before = pattern.grid.copy()
    canvas = canvas_with(qtbot, pattern)
    canvas.paint_rgb = (255, 0, 0)
    strokes = []
    canvas.strokeFinished.connect(strokes.append)
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.cell_center(2, 3).toPoint())
    assert canvas.tool == "select" and strokes == []  # the default tool never paints
    canvas.tool = "paint"
    start, end = canvas.cell_center(2, 3), canvas.cell_center(2, 8)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start.toPoint())
    move_to(canvas, end, Qt.MouseButton.LeftButton)
    image = canvas.grab().toImage()  # the stroke is previewed in the paint colour while dragging
    assert pixel(image, canvas.cell_center(2, 5)) == (255, 0, 0)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end.toPoint())
    assert strokes == [[(2, c) for c in range(3, 9)]]
    assert np.array_equal(pattern.grid, before)


def test_fill_and_pick_tools_report_the_clicked_cell(qtbot):
    pattern = small_pattern()
    canvas = canvas_with(qtbot, pattern)
    fills, picks = [], []
    canvas.fillRequested.connect(lambda r, c: fills.append((r, c)))
    canvas.colorPicked.connect(picks.append)
    canvas.tool = "fill"
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.cell_center(4, 5).toPoint())
    canvas.tool = "pick"
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.cell_center(7, 2).toPoint())
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.cell_center(0, 0).toPoint())  # empty: nothing
    assert fills == [(4, 5)]
    assert picks == [int(pattern.grid[7, 2])]


def test_hover_reports_row_and_column(qtbot):
    pattern = small_pattern()
    canvas = canvas_with(qtbot, pattern)
    seen = []
    canvas.hovered.connect(lambda r, c: seen.append((r, c)))
    for point in (canvas.cell_center(3, 4), canvas.cell_center(3, 4) + QPointF(1, 1), QPointF(2, 2)):
        move_to(canvas, point)
    assert seen == [(3, 4), (-1, -1)]  # one report per cell entered, and one on leaving the pattern


def test_symbols_follow_the_printed_chart():
    pattern = small_pattern(seed=3)
    symbols = chart_symbols(pattern)
    counts = pattern.counts()
    assert set(symbols) == {int(i) for i in np.flatnonzero(counts)}
    assert len(set(symbols.values())) == len(symbols)
    stitch_pdf = pytest.importorskip("pixlcraft.export.stitch_pdf")
    key = stitch_pdf.thread_key(pattern)
    assert {t.index: t.symbol for t in key} == symbols


# ------------------------------------------------------------------------------------------------ legend


def test_legend_lists_used_colours_with_counts_and_asks_for_edits(qtbot):
    pattern = small_pattern(seed=1)
    legend = Legend()
    qtbot.addWidget(legend)
    legend.set_pattern(pattern)
    counts = pattern.counts()
    rows = {}
    for row in range(legend.row_count()):
        item = legend.tree.topLevelItem(row)
        rows[item.text(1)] = int(item.text(3).replace(",", ""))
    assert rows == {pattern.palette[i].code: int(counts[i]) for i in np.flatnonzero(counts)}
    shown = [int(legend.tree.topLevelItem(r).text(3).replace(",", "")) for r in range(legend.row_count())]
    assert shown == sorted(shown, reverse=True)  # most used first, like the chart key

    selected, merges, replaces = [], [], []
    legend.colorSelected.connect(selected.append)
    legend.mergeRequested.connect(lambda s, t: merges.append((list(s), t)))
    legend.replaceRequested.connect(lambda old, new: replaces.append((old, new)))
    first, second = legend.tree.topLevelItem(0), legend.tree.topLevelItem(1)
    legend.tree.setCurrentItem(first)
    assert selected == [int(first.data(0, Qt.ItemDataRole.UserRole))]
    second.setSelected(True)
    assert legend.merge_button.isEnabled() and not legend.replace_button.isEnabled()
    legend.merge_button.click()
    a, b = (int(i.data(0, Qt.ItemDataRole.UserRole)) for i in (first, second))
    assert merges == [([b], a)]

    dmc = load_builtin("dmc")
    legend.brand_palette = lambda p: dmc
    legend.choose_color = lambda parent, palette, title, near: palette.entry("3865")
    legend.ask_replace(a)
    assert replaces == [(a, dmc.entry("3865"))]


# ------------------------------------------------------------------------------------------------ actions


def test_actions_are_data_and_enable_from_state(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    calls = []
    registry = ActionRegistry(host, {s.id: (lambda *a, i=s.id: calls.append(i)) for s in ACTIONS})
    for _title, items in MENUS:
        for item in items:
            assert item in ("-",) or item.startswith("@") or item in registry
    assert all(item == "-" or item in registry for item in TOOLBAR)
    assert registry["edit.undo"].shortcut() == QKeySequence("Ctrl+Z")
    assert QKeySequence("Ctrl+Shift+Z") in registry["edit.redo"].shortcuts()

    registry.update({"pattern": True, "idle": True, "undo": False, "redo": True})
    assert not registry["edit.undo"].isEnabled() and registry["edit.redo"].isEnabled()
    assert registry["file.save"].isEnabled() and not registry["job.cancel"].isEnabled()
    registry.update({"pattern": True, "idle": False, "job": True})
    assert not registry["file.save"].isEnabled() and registry["job.cancel"].isEnabled()

    registry.update({"pattern": True, "idle": True, "undo": True})
    registry.trigger("edit.undo")
    registry["tool.fill"].trigger()
    assert calls[0] == "edit.undo" and "tool.fill" in calls
    assert registry["tool.fill"].isChecked() and not registry["tool.paint"].isChecked()  # tools are exclusive


def test_no_two_actions_share_a_shortcut(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    registry = ActionRegistry(host, {s.id: (lambda *a: None) for s in ACTIONS})
    owners: dict[str, str] = {}
    clashes = []
    for action_id in registry.ids():
        for seq in registry[action_id].shortcuts():
            key = seq.toString()
            if key in owners:
                clashes.append(f"{key}: {owners[key]} and {action_id}")
            owners[key] = action_id
    assert not clashes, clashes
    assert registry["view.symbols"].shortcut() != registry["file.save_as"].shortcut()


def test_every_action_needs_a_handler(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    with pytest.raises(KeyError, match="edit.undo"):
        ActionRegistry(host, {s.id: print for s in ACTIONS if s.id != "edit.undo"})


# ------------------------------------------------------------------------------------------------ words


def test_errors_are_worded_for_people():
    message = errors.describe(InputError("cannot read robin.jpg: the file is empty."))
    assert message.text == "Cannot read robin.jpg: the file is empty." and not message.details
    bug = errors.describe(KeyError("grid"))
    assert "KeyError" in bug.details and "KeyError" not in bug.text
    gone = errors.describe(FileNotFoundError(2, "No such file", "/tmp/x.pixl"))
    assert "/tmp/x.pixl" in gone.text


def test_show_error_goes_through_present_and_ignores_cancel(monkeypatch):
    shown = []
    monkeypatch.setattr(errors, "present", lambda parent, m: shown.append(m) or "ok")
    errors.show_error(None, Cancelled())
    errors.show_error(None, InputError("bad palette file."), "Palette")
    assert [(m.title, m.text) for m in shown] == [("Palette", "Bad palette file.")]


@pytest.mark.parametrize("seconds, text", [(0.2, "1 s"), (8.4, "8 s"), (125, "2 min 5 s"), (1500, "25 min"),
                                           (3 * 3600 + 240, "3 h 04 min")])
def test_durations(seconds, text):
    assert format_duration(seconds) == text


# ------------------------------------------------------------------------------------------------ dialogs


def test_export_option_widgets_reproduce_every_formats_defaults(qtbot):
    registry = pytest.importorskip("pixlcraft.export.registry")
    from pixlcraft.gui.export_dialog import OptionEditor

    formats = registry.formats()
    if not formats:
        pytest.skip("no export formats in this build")
    for fmt in formats:
        editor = OptionEditor(fmt, {})
        qtbot.addWidget(editor)
        values = editor.values()
        assert registry.resolve_options(fmt, values) == fmt.defaults(), fmt.key
        for opt in fmt.options:  # every non-default choice can be made through the widget too
            if opt.choices:
                editor.set_value(opt.name, opt.choices[-1])
                assert editor.values()[opt.name] == opt.choices[-1]
            elif opt.type is bool:
                editor.set_value(opt.name, not opt.default)
                assert editor.values()[opt.name] is (not opt.default)
            elif opt.type in (int, float) and opt.max is not None:
                editor.set_value(opt.name, opt.max)
                assert editor.values()[opt.name] == opt.max


def test_settings_dialog_round_trips_and_rejects_bad_values(qtbot, tmp_path):
    from pixlcraft.gui.settings_dialog import SettingsDialog
    from pixlcraft.settings import load_settings

    start = Settings(fabric_count=18.0, paper_size="letter", units="in")
    dialog = SettingsDialog(start, save_path=tmp_path / "settings.json")
    qtbot.addWidget(dialog)
    assert dialog.values() == start.to_dict()
    got = []
    dialog.settingsChanged.connect(got.append)
    dialog.set_value("device", "gpu please")
    dialog.accept()
    assert not got and "device" in dialog.message.text()
    dialog.set_value("device", "cpu")
    dialog.set_value("autosave_interval_s", 30)
    dialog.accept()
    assert got and got[0] == start.replace(device="cpu", autosave_interval_s=30)
    assert load_settings(tmp_path / "settings.json")[0] == got[0]
