"""Leaving the background unstitched, and see-through photo parts left empty, from the core, CLI and window."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft.background import ClearBackground, background_mask, clear_background
from pixlcraft.edit import UndoStack
from pixlcraft.errors import InputError
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern, load_pixl


def _logo(tmp_path: Path, alpha: bool = False) -> Path:
    """A red ring with a white hole on a white (or transparent) background."""
    yy, xx = np.mgrid[0:64, 0:64]
    r = np.hypot(yy - 32, xx - 32)
    rgba = np.zeros((64, 64, 4), np.uint8)
    rgba[...] = (255, 255, 255, 0 if alpha else 255)
    ring = (r > 10) & (r < 24)
    rgba[ring] = (200, 20, 30, 255)
    rgba[r <= 10] = (255, 255, 255, 255)  # the hole is white but cut off from the border: it stays
    path = tmp_path / ("logo_alpha.png" if alpha else "logo.png")
    Image.fromarray(rgba, "RGBA").save(path)
    return path


def test_the_background_is_the_border_colour_touching_the_border() -> None:
    grid = np.zeros((8, 8), np.int16)
    grid[2:6, 2:6] = 1
    grid[3:5, 3:5] = 0  # same colour as the background, inside the picture
    mask = background_mask(grid)
    assert mask.sum() == 64 - 16 and not mask[3:5, 3:5].any()
    cleared, n = clear_background(grid)
    assert n == 48 and (cleared[mask] == EMPTY).all() and (cleared[3:5, 3:5] == 0).all()


def test_clear_background_is_undoable_and_refuses_to_empty_everything() -> None:
    dmc = load_builtin("dmc")
    grid = np.zeros((6, 6), np.int16)
    grid[2:4, 2:4] = 1
    pattern = Pattern(grid.copy(), dmc.subset([0, 1]))
    stack = UndoStack(pattern)
    command = ClearBackground()
    assert stack.push(command) and command.count == 32
    stack.undo()
    assert np.array_equal(pattern.grid, grid)
    with pytest.raises(InputError, match="nothing left"):
        UndoStack(Pattern(np.zeros((4, 4), np.int16), dmc.subset([0]))).push(ClearBackground())


def test_cli_empty_background_and_alpha_empty(tmp_path: Path, capsys) -> None:
    from pixlcraft.cli import main

    assert main(["convert", str(_logo(tmp_path)), "--palette", "perler", "--width", "32", "--empty-background",
                 "-o", str(tmp_path / "a.pixl")]) == 0
    a = load_pixl(tmp_path / "a.pixl")
    assert a.grid[0, 0] == EMPTY and a.grid[16, 16] != EMPTY  # the hole stays: it does not touch the border
    assert a.grid[16, 4] != EMPTY and (a.grid == EMPTY).sum() > 300
    assert main(["convert", str(_logo(tmp_path, alpha=True)), "--palette", "perler", "--width", "32",
                 "--alpha", "empty", "-o", str(tmp_path / "b.pixl")]) == 0
    b = load_pixl(tmp_path / "b.pixl")
    assert b.grid[0, 0] == EMPTY and b.grid[16, 16] != EMPTY
    assert main(["convert", str(tmp_path / "a.pixl"), "--empty-background", "-o", str(tmp_path / "c.pixl")]) == 2
    assert "--empty-background" in capsys.readouterr().err


def test_the_panel_leaves_transparent_parts_and_the_background_empty(main_window, tmp_path: Path) -> None:
    from pixlcraft.gui.source_panel import make_classic

    window = main_window
    panel = window.source_panel
    panel.alpha_empty.setChecked(True)
    request = panel.request()
    request.photo_path = str(_logo(tmp_path, alpha=True))
    request.width, request.height = 32, None
    made = make_classic(request)
    assert made.pattern.grid[0, 0] == EMPTY and made.pattern.grid[16, 4] != EMPTY
    panel.alpha_empty.setChecked(False)
    panel.empty_background.setChecked(True)
    request = panel.request()
    request.photo_path, request.width = str(_logo(tmp_path)), 32
    assert make_classic(request).pattern.grid[0, 0] == EMPTY
    window.close()
