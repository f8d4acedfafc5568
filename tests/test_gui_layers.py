"""Stitch layers in the app: drawn over the cells, hidden and shown from the View menu, edited with the stitch
tools (through the canvas's real mouse and key events), undone and redone, and shown when a .pixl opens."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPointF, Qt  # noqa: E402

from pixlcraft.layer_edit import part_quarters  # noqa: E402
from pixlcraft.palette import Palette, load_builtin  # noqa: E402
from pixlcraft.pattern import Pattern, save_pixl  # noqa: E402
from pixlcraft.stitches import (  # noqa: E402
    BACKWARD,
    BOTTOM_LEFT,
    FORWARD,
    NO_STITCH,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
)

U = UNITS_PER_CELL
WHITE, BLACK, RED, BLUE = 0, 1, 2, 3


def plain_pattern(layers: StitchLayers | None = None) -> Pattern:
    """10 × 8 cells of white, with black, red and blue threads in the palette for the stitches."""
    dmc = load_builtin("dmc")
    entries = tuple(dmc[dmc.find(code)] for code in ("BLANC", "310", "321", "797"))  # in this order
    palette = Palette(dmc.name, dmc.brand, dmc.material, entries, dmc.source)
    grid = np.full((8, 10), WHITE, np.int16)
    return Pattern(grid, palette, {"title": "layers"}, layers or StitchLayers())


@pytest.fixture
def window(main_window, qtbot, monkeypatch):
    """The main window showing a plain pattern; any dialog is recorded (and must not come up) instead of
    waiting for a click, and "unsaved changes?" at the end is answered "discard"."""
    from pixlcraft.gui import errors

    shown: list[str] = []

    def present(_parent, message):
        shown.append(message.title)
        return "discard" if "discard" in message.buttons else message.default

    monkeypatch.setattr(errors, "present", present)
    main_window.shown_dialogs = shown
    main_window.resize(1280, 800)
    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.document.open(plain_pattern(), saved=True)
    main_window.canvas.fit()
    assert main_window.canvas.cell_px >= 20
    yield main_window
    assert [t for t in shown if t != "Unsaved changes"] == []


def use(window, tool: str, colour: int = BLACK) -> None:
    window.set_paint_index(colour)
    window.actions[f"tool.{tool}"].trigger()
    assert window.canvas.tool == tool


def click(qtbot, window, pos: QPointF, button=Qt.MouseButton.LeftButton, modifier=Qt.KeyboardModifier.NoModifier):
    qtbot.mouseClick(window.canvas, button, modifier, pos.toPoint())


def at(window, x: float, y: float) -> QPointF:
    """Widget position of the point ``(x, y)`` in cells."""
    return window.canvas.layer_tools.widget_pos((round(x * U), round(y * U)))


def layers(window) -> StitchLayers:
    return window.document.pattern.layers


def rgb_at(window, pos: QPointF) -> tuple[int, int, int]:
    colour = window.canvas.grab().toImage().pixelColor(int(pos.x()), int(pos.y()))
    return colour.red(), colour.green(), colour.blue()


def near(rgb, want, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, want, strict=True))


# ------------------------------------------------------------------------------------------------ tools


def test_backstitch_tool_snaps_adds_a_segment_per_click_and_ends_on_esc(qtbot, window):
    use(window, "backstitch")
    click(qtbot, window, at(window, 1.1, 1.05))  # starts the run at corner (1, 1): no stitch yet
    assert len(layers(window).backstitches) == 0
    click(qtbot, window, at(window, 3.05, 0.9))  # → (3, 1)
    click(qtbot, window, at(window, 3.4, 2.6))  # → (3.5, 2.5): a half point
    lines = layers(window).backstitches
    assert lines.xy.tolist() == [[U, U, 3 * U, U], [3 * U, U, 7 * U // 2, 5 * U // 2]]
    assert lines.colour.tolist() == [BLACK, BLACK]
    qtbot.keyClick(window.canvas, Qt.Key.Key_Escape)  # ends the run: the next click starts a new one
    assert window.canvas.layer_tools.run_start is None
    click(qtbot, window, at(window, 6, 6))
    assert len(layers(window).backstitches) == 2
    # Shift keeps the next segment at 45°: the cursor a little off the diagonal still lands on it
    click(qtbot, window, at(window, 8.2, 7.8), modifier=Qt.KeyboardModifier.ShiftModifier)
    assert layers(window).backstitches.xy[-1].tolist() == [6 * U, 6 * U, 8 * U, 8 * U]
    click(qtbot, window, at(window, 8, 8), button=Qt.MouseButton.RightButton)  # a right-click ends it too
    assert window.canvas.layer_tools.run_start is None

    full = layers(window)
    window.actions["edit.undo"].trigger()  # one line (the clicks until Esc or a right-click) is one undo step
    assert len(layers(window).backstitches) == 2
    window.actions["edit.undo"].trigger()
    assert layers(window).is_empty
    for _ in range(2):
        window.actions["edit.redo"].trigger()
    assert layers(window).equals(full)


def test_part_stitch_tool_places_half_quarter_and_three_quarter_by_click_and_modifier(qtbot, window):
    use(window, "part", RED)
    click(qtbot, window, at(window, 2.8, 3.2))  # top-right quarter of cell (3, 2): a / half stitch
    click(qtbot, window, at(window, 4.2, 3.2), modifier=Qt.KeyboardModifier.ShiftModifier)  # quarter, top-left
    window.set_paint_index(BLUE)
    click(qtbot, window, at(window, 5.2, 3.8), modifier=Qt.KeyboardModifier.ControlModifier)  # ¾ at bottom-left
    q = layers(window).quarters
    want = np.full(4, NO_STITCH)
    want[list(FORWARD)] = RED
    # each replaced the cell's white cross: a half leaves the other half bare, a quarter or three-quarter keeps
    # white on the rest of the cell, so it stays covered
    assert q[3, 2].tolist() == want.tolist()
    assert q[3, 4].tolist() == [RED, WHITE, WHITE, WHITE]
    three = np.full(4, WHITE)
    three[list(part_quarters("three-quarter", BOTTOM_LEFT))] = BLUE
    assert q[3, 5].tolist() == three.tolist() and (three == WHITE).sum() == 1
    assert (q >= 0).any(axis=2).sum() == 3  # nothing else
    grid = window.document.pattern.grid
    assert (grid[3, [2, 4, 5]] == -1).all() and (grid == WHITE).sum() == 80 - 3

    window.actions["edit.undo"].trigger()
    assert layers(window).quarters[3, 5].tolist() == [NO_STITCH] * 4
    assert window.document.pattern.grid[3, 5] == WHITE  # the cross is back
    window.actions["edit.undo"].trigger()
    window.actions["edit.undo"].trigger()
    assert layers(window).is_empty
    window.actions["edit.redo"].trigger()
    assert layers(window).quarters[3, 2].tolist() == want.tolist()


def test_knot_tool_places_knots_on_grid_points_in_a_colour_the_palette_lacked(qtbot, window):
    dmc = load_builtin("dmc")
    window.set_paint_entry(dmc[dmc.find("799")])
    window.actions["tool.knot"].trigger()
    click(qtbot, window, at(window, 4.45, 2.55))  # the centre of cell (2, 4)
    click(qtbot, window, at(window, 7.1, 7.9))  # a corner
    knots = layers(window).knots
    assert knots.xy.tolist() == [[9 * U // 2, 5 * U // 2], [7 * U, 8 * U]]
    pattern = window.document.pattern
    assert len(pattern.palette) == 5 and set(knots.colour.tolist()) == {4}
    window.actions["edit.undo"].trigger()
    window.actions["edit.undo"].trigger()
    assert layers(window).is_empty and len(window.document.pattern.palette) == 4


def test_erase_tool_removes_the_item_under_the_cursor_and_undo_brings_it_back(qtbot, window):
    start = StitchLayers(backstitches=Lines(np.array([[0, 4 * U, 6 * U, 4 * U]]), BLACK),
                         knots=Points(np.array([[2 * U, 2 * U]]), BLUE))
    quarters = start.quarter_grid(8, 10)
    quarters[6, 7, list(BACKWARD)] = RED
    window.document.open(plain_pattern(start.replace(quarters=quarters)), saved=True)
    window.canvas.fit()
    window.actions["tool.erase_stitch"].trigger()
    before = layers(window)
    click(qtbot, window, at(window, 5, 5))  # nothing there
    assert layers(window) is before
    click(qtbot, window, at(window, 3.0, 4.08))  # on the backstitch
    assert len(layers(window).backstitches) == 0 and len(layers(window).knots) == 1
    click(qtbot, window, at(window, 2.05, 1.95))  # on the knot
    assert len(layers(window).knots) == 0
    click(qtbot, window, at(window, 7.7, 6.7))  # the part stitch's bottom-right quarter
    assert layers(window).is_empty
    for _ in range(3):
        window.actions["edit.undo"].trigger()
    assert layers(window).equals(before)


# ------------------------------------------------------------------------------------------------ drawing


def test_visibility_toggles_hide_and_show_each_layer(qtbot, window):
    quarters = StitchLayers().quarter_grid(8, 10)
    quarters[2, 6, list(BACKWARD)] = RED
    shown = StitchLayers(quarters, Lines(np.array([[U, 5 * U, 5 * U, 5 * U]]), BLACK),
                         Points(np.array([[8 * U, 6 * U]]), BLUE))
    window.document.open(plain_pattern(shown), saved=True)
    window.canvas.fit()
    palette = window.document.pattern.palette
    # along the backstitch (just off the grid line it lies on), at the part stitch's centre, at the knot
    assert window.canvas.cell_px * 0.16 >= 6  # the line is wider than the offset on either side
    line_points = [at(window, x, 5) + QPointF(0, 2.5) for x in (1.5, 2.3, 3.7, 4.5)]
    part_point, knot_point = at(window, 6.5, 2.5), at(window, 8, 6)
    white = palette[WHITE].rgb

    def seen() -> tuple[bool, bool, bool]:
        return (all(near(rgb_at(window, p), palette[BLACK].rgb) for p in line_points),
                near(rgb_at(window, part_point), palette[RED].rgb),
                near(rgb_at(window, knot_point), palette[BLUE].rgb))

    assert seen() == (True, True, True)
    window.actions["view.backstitch"].trigger()
    assert seen() == (False, True, True)
    assert all(near(rgb_at(window, p), white) for p in line_points)  # the white cells show again
    window.actions["view.parts"].trigger()
    window.actions["view.knots"].trigger()
    assert seen() == (False, False, False)
    for action in ("view.backstitch", "view.parts", "view.knots"):
        window.actions[action].trigger()
    assert seen() == (True, True, True)


def test_opening_a_pixl_with_layers_shows_them(qtbot, window, tmp_path):
    quarters = StitchLayers().quarter_grid(8, 10)
    quarters[1, 1, list(FORWARD)] = BLUE
    pattern = plain_pattern(StitchLayers(quarters, Lines(np.array([[2 * U, 6 * U, 2 * U, 8 * U]]), RED),
                                         beads=Points(np.array([[7 * U, 3 * U]]), BLACK)))
    path = tmp_path / "layers.pixl"
    save_pixl(pattern, path)
    window.document.close()
    assert window.open_path(path)
    qtbot.waitUntil(lambda: not window.jobs.busy and window.document.pattern is not None, timeout=15000)
    assert layers(window).equals(pattern.layers)
    palette = window.document.pattern.palette
    red = palette.find("321")
    blue = palette.find("797")
    assert near(rgb_at(window, at(window, 2, 7)), palette[red].rgb)
    assert near(rgb_at(window, at(window, 1.5, 1.5)), palette[blue].rgb)
    # a bead is a ring: its thread colour on the ring, the cell's own colour in the hole
    radius = 0.3 * window.canvas.cell_px
    ring = rgb_at(window, at(window, 7, 3) + QPointF(radius, 0))
    assert near(ring, palette[palette.find("310")].rgb, 30)
    hole = at(window, 7, 3) + QPointF(3, 3)  # off the grid lines that cross at the bead's corner
    assert near(rgb_at(window, hole), palette[palette.find("BLANC")].rgb, 30)


def test_the_colour_list_names_a_thread_used_only_for_backstitch(qtbot):
    """An outline thread (e.g. 310 added by --outline) has no full crosses but is one to buy: it gets a row."""
    from pixlcraft.gui.legend import Legend
    from pixlcraft.palette import load_builtin
    from pixlcraft.pattern import Pattern
    from pixlcraft.stitches import Lines, StitchLayers

    palette = load_builtin("dmc")
    black = palette.index_of("310")
    grid = np.zeros((4, 4), np.int16)
    layers = StitchLayers(backstitches=Lines.from_cells([[0.0, 0.0, 3.0, 0.0]], [black]))
    legend = Legend()
    qtbot.addWidget(legend)
    legend.set_pattern(Pattern(grid, palette, layers=layers))
    rows = {legend.tree.topLevelItem(r).text(1): legend.tree.topLevelItem(r).text(3)
            for r in range(legend.row_count())}
    assert rows == {palette[0].code: "16", "310": "backstitch"}
    assert legend.summary.text().startswith("2 colours")


def test_suggested_outline_and_smooth_edges_are_one_undo_step_each_from_the_menu(qtbot, window):
    """The Pattern menu's suggestions read the pattern's photo, change the pattern in one step each, say what
    they did, and Ctrl+Z takes each back whole."""
    import cv2

    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import photo_from_array

    img = np.full((200, 200, 3), (230, 200, 40), np.uint8)
    cv2.fillPoly(img, [np.array([[0, 200], [200, 0], [200, 200]], np.int32)], (30, 40, 160))
    cv2.rectangle(img, (20, 20), (80, 80), (0, 0, 0), 3)
    photo = photo_from_array(img)
    pattern = convert_photo(photo, load_builtin("dmc"), ConvertOptions(width=20)).pattern
    original = pattern.copy()
    window.document.open(pattern, photo=photo, saved=True)
    for action in ("stitch.outline", "stitch.outline_paint", "stitch.smooth"):
        assert window.actions[action].isEnabled()

    window.actions["stitch.outline"].trigger()
    lines = layers(window).backstitches
    assert len(lines) >= 4 and window.document.stack.undo_label == "Suggested outline"
    assert {window.document.pattern.palette[int(c)].code for c in lines.colour} == {"310"}
    assert f"{len(lines)} backstitch lines" in window.statusBar().currentMessage()
    window.actions["stitch.outline"].trigger()  # asked again: nothing new, nothing pushed
    assert len(layers(window).backstitches) == len(lines)

    window.actions["stitch.smooth"].trigger()
    assert len(layers(window).part_stitches()) > 0
    message = window.statusBar().currentMessage()
    assert message.startswith("Smoothed") and "ΔE00" in message
    before, after = (float(v) for v in message.split("half cells ")[1].split(" ΔE00")[0].split(" → "))
    assert after < before

    window.actions["edit.undo"].trigger()
    assert len(layers(window).part_stitches()) == 0 and len(layers(window).backstitches) == len(lines)
    window.actions["edit.undo"].trigger()
    assert np.array_equal(window.document.pattern.grid, original.grid)
    assert layers(window).equals(original.layers)


def test_suggestions_without_a_photo_or_for_beads(qtbot, window):
    """A chart without its photo can still get an outline (of its colour boundaries) but not smoothing, which
    needs the photo; a bead pattern gets neither."""
    grid = np.full((8, 10), WHITE, np.int16)
    grid[2:6, 2:8] = RED
    window.document.open(Pattern(grid, plain_pattern().palette, {"title": "no photo"}), saved=True)
    assert window.actions["stitch.outline"].isEnabled() and not window.actions["stitch.smooth"].isEnabled()
    window.actions["stitch.outline"].trigger()
    assert len(layers(window).backstitches) == 4
    assert "colour boundaries only" in window.statusBar().currentMessage()

    perler = load_builtin("perler")
    window.document.open(Pattern(np.zeros((8, 10), np.int16), perler, {"title": "beads"}), saved=True)
    for action in ("stitch.outline", "stitch.outline_paint", "stitch.smooth"):
        assert not window.actions[action].isEnabled()


def test_export_dialog_says_what_a_stitch_file_cannot_hold_before_and_after(qtbot, window, tmp_path):
    """Beads and knots in a PES: the dialog says so when the format is chosen and again beside "Saved"."""
    import pystitch

    pattern = plain_pattern(StitchLayers(knots=Points(np.array([[2 * U, 2 * U]]), RED),
                                         beads=Points(np.array([[5 * U + U // 2, 3 * U + U // 2]]), BLACK)))
    window.document.open(pattern, saved=True)
    dialog = window.open_export_dialog()
    dialog.select_format("pes")
    note = "1 French knot is sewn as small tacks (a machine cannot wrap a knot); 1 bead is not in the file"
    assert note in dialog.preview_text.text()
    dialog.select_format("stitch-pdf")
    assert "bead" not in dialog.preview_text.text()  # a chart keeps both
    image = dialog.preview.pixmap().toImage()
    dark = [(x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
            if image.pixelColor(x, y).lightness() < 80]
    assert dark  # the white pattern's preview shows the black bead and the red knot, as the cover will
    target = tmp_path / "beads.pes"
    dialog.start_export("pes", target, {})
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=30000)
    assert dialog.status.text().startswith("Saved beads.pes") and note in dialog.status.text()
    assert pystitch.EmbPattern.read_embroidery(pystitch.PesReader, str(target)).count_stitches() > 0
    dialog.close()


def test_a_split_cell_is_filled_edge_to_edge_and_the_hover_names_its_stitches(qtbot, window):
    """A three-quarter stitch with the neighbour's quarter (what Smooth Diagonal Edges makes) covers the whole
    cell on screen — no white notches — and pointing at it names both stitches, not "empty"."""
    quarters = StitchLayers().quarter_grid(8, 10)
    quarters[3, 4] = [RED, RED, BLUE, RED]  # TL, TR, BL, BR: red three-quarter, blue quarter bottom-left
    pattern = plain_pattern(StitchLayers(quarters))
    pattern.grid[3, 4] = -1
    window.document.open(pattern, saved=True)
    window.canvas.fit()
    qtbot.wait(50)
    palette = window.document.pattern.palette
    red, blue = palette[RED].rgb, palette[BLUE].rgb
    for fx, fy, want in ((0.5, 0.5, red), (0.3, 0.3, red), (0.85, 0.15, red), (0.7, 0.7, red), (0.15, 0.85, blue),
                         (0.3, 0.6, red), (0.08, 0.8, blue)):
        assert near(rgb_at(window, at(window, 4 + fx, 3 + fy)), want, 40), (fx, fy)
    window._hovered(3, 4)
    assert window.hover_label.text() == "Row 4, column 5 · three-quarter 321 Red, quarter 797 Royal Blue"


def test_the_colour_list_counts_the_finer_work_beside_the_crosses(qtbot):
    """A thread with crosses and backstitch says both; the summary adds the part stitches and the rest."""
    from pixlcraft.gui.legend import Legend

    pattern = plain_pattern(StitchLayers(backstitches=Lines(np.array([[0, 0, 3 * U, 0]]), WHITE)))
    quarters = pattern.layers.quarter_grid(8, 10)
    quarters[2, 2] = [RED, RED, RED, NO_STITCH]
    pattern.layers = pattern.layers.replace(quarters=quarters)
    legend = Legend()
    qtbot.addWidget(legend)
    legend.set_pattern(pattern)
    rows = {legend.tree.topLevelItem(r).text(1): legend.tree.topLevelItem(r) for r in range(legend.row_count())}
    assert rows["BLANC"].text(3) == "80 + backstitch"
    assert "80 full stitches, 1 backstitch (3 cells of backstitch line)" == rows["BLANC"].toolTip(3)
    assert rows["321"].text(3) == "(+1)"
    assert "+ 1 part stitch and 1 backstitch" in legend.summary.text()


def test_the_hover_readout_follows_an_undo(qtbot, window):
    window._hovered(3, 4)
    assert "BLANC White" in window.hover_label.text()
    use(window, "part", RED)
    click(qtbot, window, at(window, 4.2, 3.2), modifier=Qt.KeyboardModifier.ShiftModifier)  # a quarter: cross out
    window._hovered(3, 4)
    assert "quarter 321 Red" in window.hover_label.text()
    window.actions["edit.undo"].trigger()
    assert "part" not in window.hover_label.text() and "quarter" not in window.hover_label.text()
    assert "BLANC" in window.hover_label.text()
