"""Undoable pattern edits: each command does exactly its change and undo restores the grid and palette."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft.confetti import confetti_mask
from pixlcraft.edit import (
    AddColor,
    CompactPalette,
    FloodFill,
    MergeColors,
    Paint,
    RemoveConfetti,
    ReplaceColor,
    UndoStack,
    brand_palette,
    ensure_color,
    flood_region,
)
from pixlcraft.errors import InputError
from pixlcraft.material import GENERIC
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import EMPTY, Pattern

TOY = Palette("toy", "Toy", GENERIC, (
    PaletteEntry("A", "red", (200, 0, 0)),
    PaletteEntry("A2", "nearly the same red", (203, 2, 0)),
    PaletteEntry("B", "blue", (0, 0, 200)),
    PaletteEntry("C", "green", (0, 160, 0)),
))


def _pattern(grid) -> Pattern:
    return Pattern(np.array(grid, np.int16), TOY)


def _random_pattern(seed: int = 0, shape=(9, 11)) -> Pattern:
    rng = np.random.default_rng(seed)
    return Pattern(rng.integers(-1, len(TOY), shape).astype(np.int16), TOY)


def _all_commands(p: Pattern) -> list:
    return [
        Paint([(0, 0), (3, 4), (3, 4), (8, 10)], 2),
        Paint([(1, 1), (2, 2)], EMPTY),
        FloodFill(4, 5, 3),
        FloodFill(4, 5, 0, connectivity=8),
        ReplaceColor(1, 2),
        MergeColors([0, 1, EMPTY], 3),
        RemoveConfetti(tolerance=200.0),
        Paint([(5, 5)], PaletteEntry("Z", "new yellow", (240, 230, 0))),
        AddColor(PaletteEntry("Q", "grey", (128, 128, 128))),
        CompactPalette(),
    ]


@pytest.mark.parametrize("index", range(10))
def test_every_command_does_and_undoes_exactly(index: int) -> None:
    p = _random_pattern(index)
    before_grid, before_palette = p.grid.copy(), p.palette
    if index == 9:  # CompactPalette needs an unused colour to have anything to do
        p.grid[p.grid == 1] = 0
        before_grid = p.grid.copy()
    cmd = _all_commands(p)[index]
    stack = UndoStack(p)
    assert stack.push(cmd), f"{cmd.label} changed nothing on a random grid"
    after_grid, after_palette = p.grid.copy(), p.palette
    changed = np.argwhere(after_grid != before_grid)
    ys, xs = cmd.cells
    # The recorded diff is exactly the set of changed cells, nothing more (minimal diffs).
    assert sorted(map(tuple, changed)) == sorted(zip(ys.tolist(), xs.tolist(), strict=True))
    p.validate()
    stack.undo()
    np.testing.assert_array_equal(p.grid, before_grid)
    assert p.palette is before_palette
    stack.redo()
    np.testing.assert_array_equal(p.grid, after_grid)
    assert p.palette is after_palette


def test_paint_sets_the_cells_and_records_only_changes() -> None:
    p = _pattern([[0, 0, 1], [2, 2, 2]])
    stack = UndoStack(p)
    cmd = Paint([(0, 0), (0, 2), (1, 1)], 2)
    stack.push(cmd)
    np.testing.assert_array_equal(p.grid, [[2, 0, 2], [2, 2, 2]])
    assert cmd.cell_count == 2  # (1,1) was already colour 2
    assert cmd.label == "Paint B"


def test_paint_outside_the_pattern_is_refused_and_changes_nothing() -> None:
    p = _pattern([[0, 1], [1, 0]])
    with pytest.raises(InputError, match=r"\(2, 0\) is outside the 2×2 pattern"):
        UndoStack(p).push(Paint([(0, 0), (2, 0)], 1))
    np.testing.assert_array_equal(p.grid, [[0, 1], [1, 0]])
    with pytest.raises(InputError, match="colour number 7"):
        UndoStack(p).push(Paint([(0, 0)], 7))


def test_a_stroke_is_one_undo_step() -> None:
    p = _pattern([[0, 0, 0, 0]])
    stack = UndoStack(p)
    for x in (0, 1, 2, 1):  # the stroke passes over (0,1) twice
        stack.push(Paint([(0, x)], 2, stroke=7))
    stack.push(Paint([(0, 3)], 3, stroke=8))  # a new stroke
    assert stack.undo_count == 2
    np.testing.assert_array_equal(p.grid, [[2, 2, 2, 3]])
    stack.undo()
    np.testing.assert_array_equal(p.grid, [[2, 2, 2, 0]])
    stack.undo()
    np.testing.assert_array_equal(p.grid, [[0, 0, 0, 0]])
    stack.redo()
    np.testing.assert_array_equal(p.grid, [[2, 2, 2, 0]])


def test_flood_fill_matches_a_hand_made_expectation() -> None:
    grid = [
        [0, 0, 1, 0],
        [1, 0, 1, 0],
        [1, 0, 0, 0],
        [0, 1, 1, 0],
    ]
    p = _pattern(grid)
    UndoStack(p).push(FloodFill(0, 0, 3))
    np.testing.assert_array_equal(p.grid, [
        [3, 3, 1, 3],
        [1, 3, 1, 3],
        [1, 3, 3, 3],
        [0, 1, 1, 3],  # (3,0) touches the area only at a corner
    ])
    p = _pattern(grid)
    UndoStack(p).push(FloodFill(0, 0, 3, connectivity=8))
    assert p.grid[3, 0] == 3
    # The 1-area on the left is two cells; with 8-connectivity it reaches (3,1) and (3,2) by a corner.
    m4 = flood_region(np.array(grid), 1, 0, 4)
    m8 = flood_region(np.array(grid), 1, 0, 8)
    assert sorted(map(tuple, np.argwhere(m4))) == [(1, 0), (2, 0)]
    assert sorted(map(tuple, np.argwhere(m8))) == [(1, 0), (2, 0), (3, 1), (3, 2)]


def test_flood_fill_of_an_empty_area_and_with_the_same_colour() -> None:
    p = _pattern([[EMPTY, EMPTY, 0], [0, EMPTY, 0], [EMPTY, 0, 0]])
    stack = UndoStack(p)
    stack.push(FloodFill(0, 0, 1))
    np.testing.assert_array_equal(p.grid, [[1, 1, 0], [0, 1, 0], [EMPTY, 0, 0]])
    assert not stack.push(FloodFill(0, 2, 0)), "filling with the colour already there is not an undo step"
    assert stack.undo_count == 1


def test_replace_and_merge_change_every_cell_of_those_colours() -> None:
    p = _random_pattern(3)
    before = p.grid.copy()
    stack = UndoStack(p)
    stack.push(ReplaceColor(1, 3))
    expected = before.copy()
    expected[before == 1] = 3
    np.testing.assert_array_equal(p.grid, expected)
    stack.push(MergeColors([0, 2], 1))
    expected[(expected == 0) | (expected == 2)] = 1
    np.testing.assert_array_equal(p.grid, expected)
    assert set(np.unique(p.grid)) <= {EMPTY, 1, 3}


def test_remove_confetti_judges_by_palette_colour_distance() -> None:
    # A lone A2 in an A field is nearly the same red (ΔE ≈ 1): it goes. A lone B (blue) is real detail: it stays.
    grid = np.zeros((5, 7), np.int16)
    grid[2, 1] = 1
    grid[2, 5] = 2
    p = Pattern(grid.copy(), TOY)
    stack = UndoStack(p)
    cmd = RemoveConfetti(tolerance=6.0)
    assert stack.push(cmd)
    expected = grid.copy()
    expected[2, 1] = 0
    np.testing.assert_array_equal(p.grid, expected)
    assert confetti_mask(p.grid)[2, 5]
    stack.undo()
    np.testing.assert_array_equal(p.grid, grid)


def test_remove_confetti_with_known_true_colours() -> None:
    # With true colours given, a lone blue cell whose true colour is red goes to red.
    grid = np.zeros((3, 3), np.int16)
    grid[1, 1] = 2
    p = Pattern(grid, TOY)
    labs = np.broadcast_to(TOY.lab[0], (3, 3, 3)).copy()
    UndoStack(p).push(RemoveConfetti(6.0, cell_lab=labs))
    assert (p.grid == 0).all()


def test_painting_with_a_brand_colour_grows_a_compacted_palette_only() -> None:
    dmc = load_builtin("dmc")
    full = Pattern(np.array([[dmc.index_of("310"), dmc.index_of("BLANC")]], np.int16), dmc)
    small = full.compact()
    red = dmc.entry("321")
    # Full brand palette: the entry is already there, nothing grows.
    stack = UndoStack(full)
    stack.push(Paint([(0, 0)], red))
    assert full.palette is dmc and full.grid[0, 0] == dmc.index_of("321")
    # Compacted palette: the entry is appended, undo takes it away again.
    stack = UndoStack(small)
    old_palette = small.palette
    cmd = Paint([(0, 0)], red)
    stack.push(cmd)
    assert cmd.palette_changed and len(small.palette) == 3
    assert small.palette[small.grid[0, 0]] == red
    assert small.palette.name == "dmc" and small.palette.material is dmc.material
    stack.undo()
    assert small.palette is old_palette
    np.testing.assert_array_equal(small.grid, full.compact().grid)
    # Painting with a colour already in the compacted palette does not add it twice.
    black = dmc.entry("310")
    assert ensure_color(small.palette, black) == (small.palette, small.palette.index_of("310"))
    assert brand_palette(small) is dmc


def test_add_color_and_compact_palette() -> None:
    p = _pattern([[0, 2], [2, 0]])
    stack = UndoStack(p)
    add = AddColor(PaletteEntry("N", "new", (1, 2, 3)))
    assert stack.push(add) and add.index == 4 and len(p.palette) == 5
    assert not stack.push(AddColor(TOY[1])), "a colour already in the palette adds nothing"
    stack.push(CompactPalette())
    assert [e.code for e in p.palette] == ["A", "B"]
    np.testing.assert_array_equal(p.grid, [[0, 1], [1, 0]])
    stack.undo()
    assert len(p.palette) == 5
    np.testing.assert_array_equal(p.grid, [[0, 2], [2, 0]])


def test_random_histories_undo_to_the_start_and_redo_to_the_end() -> None:
    rng = np.random.default_rng(42)
    p = _random_pattern(5, (12, 10))
    start = p.grid.copy()
    stack = UndoStack(p)
    states = [start.copy()]
    for _ in range(60):
        kind = rng.integers(4)
        y, x = int(rng.integers(12)), int(rng.integers(10))
        c = int(rng.integers(-1, 4))
        if kind == 0:
            cmd = Paint(rng.integers(0, [12, 10], size=(5, 2)), c)
        elif kind == 1:
            cmd = FloodFill(y, x, c, connectivity=int(rng.choice([4, 8])))
        elif kind == 2:
            cmd = ReplaceColor(int(rng.integers(-1, 4)), c)
        else:
            cmd = RemoveConfetti(float(rng.uniform(0, 80)))
        if stack.push(cmd):
            states.append(p.grid.copy())
    assert stack.undo_count == len(states) - 1
    for state in reversed(states[:-1]):
        stack.undo()
        np.testing.assert_array_equal(p.grid, state)
    assert not stack.can_undo and stack.undo() is None
    while stack.can_redo:
        stack.redo()
    np.testing.assert_array_equal(p.grid, states[-1])


def test_stack_limit_keeps_the_newest_steps() -> None:
    p = _pattern([[0, 0, 0, 0, 0]])
    stack = UndoStack(p, limit=3)
    for x in range(5):
        stack.push(Paint([(0, x)], 1))
    assert stack.undo_count == 3
    while stack.can_undo:
        stack.undo()
    np.testing.assert_array_equal(p.grid, [[1, 1, 0, 0, 0]])  # the two oldest steps are permanent


def test_clean_flag_follows_the_saved_state() -> None:
    p = _pattern([[0, 0, 0]])
    events = []
    stack = UndoStack(p, limit=3, on_change=events.append)
    assert stack.clean
    stack.push(Paint([(0, 0)], 1))
    assert not stack.clean
    stack.undo()
    assert stack.clean
    stack.redo()
    stack.push(Paint([(0, 1)], 1))
    stack.set_clean()
    assert stack.clean and events[-1].action == "clean" and events[-1].clean
    stack.undo()
    assert not stack.clean
    stack.redo()
    assert stack.clean
    # Undo past the save and branch off: the saved state can no longer be reached.
    stack.undo()
    stack.push(Paint([(0, 2)], 2))
    assert not stack.clean
    stack.undo()
    assert not stack.clean
    # The saved state falls off the end of a limited history.
    stack.push(Paint([(0, 0)], 3))
    stack.set_clean()
    for x in range(3):
        stack.push(Paint([(0, x)], x % 2))
    while stack.can_undo:
        stack.undo()
    assert not stack.clean
    stack.mark_dirty()
    assert not stack.clean


def test_extending_a_stroke_after_saving_makes_the_pattern_unsaved() -> None:
    p = _pattern([[0, 0, 0]])
    stack = UndoStack(p)
    stack.push(Paint([(0, 0)], 1, stroke="s"))
    stack.set_clean()
    stack.push(Paint([(0, 1)], 1, stroke="s"))
    assert not stack.clean and stack.undo_count == 1


def test_listeners_see_every_change_with_its_cells() -> None:
    p = _pattern([[0, 1], [1, 0]])
    events = []
    stack = UndoStack(p)
    stack.add_listener(events.append)
    rev = stack.revision
    stack.push(ReplaceColor(1, 2))
    stack.undo()
    stack.redo()
    stack.reset(_pattern([[3]]))
    assert [e.action for e in events] == ["do", "undo", "redo", "reset"]
    ys, xs = events[0].cells
    assert sorted(zip(ys.tolist(), xs.tolist(), strict=True)) == [(0, 1), (1, 0)]
    assert events[0].command.label == "Replace A2 with B"
    assert events[-1].cells is None and stack.clean and not stack.can_undo
    assert stack.revision == rev + 4
    stack.remove_listener(events.append)
    stack.push(Paint([(0, 0)], 0))
    assert len(events) == 4
    assert stack.undo_label == "Paint A" and stack.redo_label == ""
