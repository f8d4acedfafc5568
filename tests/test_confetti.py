"""Confetti clean-up removes isolated cells when that is cheap, and keeps real detail."""

from __future__ import annotations

import numpy as np

from pixlcraft.color import ciede2000, srgb8_to_lab
from pixlcraft.confetti import confetti_mask, confetti_share, remove_confetti

PAL = srgb8_to_lab(np.array([[200, 40, 40], [205, 45, 45], [20, 20, 200], [250, 250, 250]], np.uint8))


def test_mask_marks_cells_without_a_matching_neighbour() -> None:
    grid = np.array([[0, 0, 1], [0, 2, 1], [3, 0, 0]], np.int16)
    expected = np.array([[0, 0, 0], [0, 1, 0], [1, 0, 0]], bool)
    assert (confetti_mask(grid) == expected).all()
    assert confetti_share(grid) == 2 / 9


def test_cheap_isolated_cell_is_merged_expensive_one_is_kept() -> None:
    grid = np.zeros((5, 5), np.int16)
    grid[1, 1] = 1  # near-identical red: cheap to merge
    grid[3, 3] = 2  # strong blue detail: too costly to merge
    labs = PAL[grid]  # each cell's true colour equals its palette colour
    out, changed = remove_confetti(grid, labs, PAL, tolerance=6.0)
    assert changed == 1
    assert out[1, 1] == 0 and out[3, 3] == 2
    # the extra error of every change stays within the tolerance
    extra = ciede2000(labs[1, 1], PAL[0]) - ciede2000(labs[1, 1], PAL[1])
    assert extra <= 6.0


def test_picks_the_closest_neighbouring_colour() -> None:
    grid = np.array([[0, 3, 2], [0, 1, 2], [0, 3, 2]], np.int16)
    labs = PAL[grid].copy()
    out, changed = remove_confetti(grid, labs, PAL, tolerance=20.0)
    # the centre (near-red) has neighbours white, red, blue, white: red is by far the closest
    assert out[1, 1] == 0
    # the white cells are isolated too, but every neighbouring colour is far from white: kept
    assert out[0, 1] == 3 and out[2, 1] == 3
    assert changed == 1


def test_empty_cells_are_never_filled() -> None:
    grid = np.full((3, 3), -1, np.int16)
    grid[1, 1] = 0
    out, changed = remove_confetti(grid, PAL[np.maximum(grid, 0)], PAL, tolerance=100.0)
    assert changed == 0 and (out == grid).all()
