"""The stitch tools' decisions (pixlcraft.layer_edit) and their undoable command (edit.EditLayers), without Qt."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft.edit import EditLayers, UndoStack
from pixlcraft.layer_edit import (
    add_backstitch,
    add_knot,
    constrain,
    erase_at,
    part_quarters,
    place_part,
    quarter_at,
    snap,
)
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern
from pixlcraft.stitches import (
    BACKWARD,
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    FORWARD,
    HALF_CELL,
    NO_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
)

U = UNITS_PER_CELL


def test_snap_goes_to_the_nearest_half_cell_point_and_stays_on_the_chart():
    assert snap(2.1, 3.9, (10, 10)) == (2 * U, 4 * U)
    assert snap(2.3, 3.4, (10, 10)) == (2 * U + HALF_CELL, 3 * U + HALF_CELL)
    assert snap(-3.0, 12.0, (10, 8)) == (0, 10 * U)


@pytest.mark.parametrize(("x", "y", "want"), [
    (5.2, 1.4, (5 * U, U)),  # nearly horizontal → horizontal
    (1.3, 4.6, (U, int(4.5 * U))),  # nearly vertical → vertical
    (3.2, 2.8, (3 * U, 3 * U)),  # nearly diagonal → 45°
])
def test_shift_constrains_to_horizontal_vertical_or_45_degrees(x, y, want):
    assert constrain((U, U), x, y, (10, 10)) == want


def test_part_stitch_kinds_cover_the_right_quarters():
    assert quarter_at(0.2, 0.2) == TOP_LEFT and quarter_at(0.8, 0.9) == BOTTOM_RIGHT
    assert part_quarters("half", TOP_RIGHT) == FORWARD
    assert part_quarters("half", BOTTOM_RIGHT) == BACKWARD
    assert part_quarters("quarter", BOTTOM_LEFT) == (BOTTOM_LEFT,)
    assert set(part_quarters("three-quarter", TOP_LEFT)) == {TOP_LEFT, BOTTOM_LEFT, TOP_RIGHT}
    with pytest.raises(ValueError):
        part_quarters("cross", TOP_LEFT)


def test_adding_and_erasing_each_kind_of_stitch():
    shape = (4, 5)
    layers = StitchLayers()
    layers = add_backstitch(layers, (0, 0), (2 * U, 0), 1)
    assert add_backstitch(layers, (2 * U, 0), (0, 0), 1) is layers  # the same stitch, reversed: nothing new
    assert add_backstitch(layers, (U, U), (U, U), 1) is layers  # no length
    layers = add_knot(layers, (U, U), 2)
    assert add_knot(layers, (U, U), 2) is layers
    recoloured = add_knot(layers, (U, U), 0)
    assert len(recoloured.knots) == 1 and recoloured.knots.colour.tolist() == [0]
    layers = place_part(layers, shape, 2, 3, FORWARD, 0)
    assert layers.quarters[2, 3].tolist() == [NO_STITCH, 0, 0, NO_STITCH]

    assert erase_at(layers, shape, 3.0, 0.5, 0.2) is layers  # nothing within reach
    no_line = erase_at(layers, shape, 1.2, 0.1, 0.2)
    assert len(no_line.backstitches) == 0 and len(no_line.knots) == 1
    no_knot = erase_at(layers, shape, 1.1, 0.95, 0.2)  # the knot wins over the cell's part stitch
    assert len(no_knot.knots) == 0 and no_knot.quarters is not None
    no_part = erase_at(layers, shape, 3.2, 2.2, 0.2)  # clicked an empty quarter of the part-stitched cell
    assert no_part.quarters is None and len(no_part.backstitches) == 1


def test_erasing_a_three_quarter_keeps_the_other_colours_quarter():
    shape = (2, 2)
    layers = place_part(StitchLayers(), shape, 0, 0, part_quarters("three-quarter", TOP_LEFT), 1)
    layers = place_part(layers, shape, 0, 0, (BOTTOM_RIGHT,), 2)
    left = erase_at(layers, shape, 0.2, 0.2, 0.1)
    assert left.quarters[0, 0].tolist() == [NO_STITCH, NO_STITCH, NO_STITCH, 2]


def _pattern() -> Pattern:
    palette = load_builtin("dmc").restrict(["310", "321", "BLANC"])
    return Pattern(np.zeros((4, 5), np.int16), palette, {})


def test_edit_layers_is_undoable_and_adds_a_missing_colour_with_the_stitch():
    pattern = _pattern()
    stack = UndoStack(pattern)
    entry = load_builtin("dmc")[load_builtin("dmc").find("799")]
    assert stack.push(EditLayers(lambda layers, i: add_knot(layers, (U, U), i), entry, "French knot"))
    assert len(pattern.palette) == 4 and pattern.layers.knots.colour.tolist() == [3]
    assert not stack.push(EditLayers(lambda layers, i: add_knot(layers, (U, U), i), entry))  # no change
    stack.undo()
    assert pattern.layers.is_empty and len(pattern.palette) == 3
    stack.redo()
    assert len(pattern.layers.knots) == 1 and len(pattern.palette) == 4


def test_edit_layers_refuses_a_change_that_leaves_the_chart():
    pattern = _pattern()
    stack = UndoStack(pattern)
    far = Lines(np.array([[0, 0, 50 * U, 0]]), 0)
    from pixlcraft.errors import InputError

    with pytest.raises(InputError):
        stack.push(EditLayers(lambda layers, i: layers.replace(backstitches=far), 0))
    assert pattern.layers.is_empty
    assert stack.push(EditLayers(lambda layers, i: layers.replace(beads=Points(np.array([[U, U]]), i)), 1))
