"""PNG previews: read back with Pillow; sizes, and each cell showing its own colour."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixlcraft.errors import InputError
from pixlcraft.export import export
from pixlcraft.export.png import render_preview
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern


def _pattern(palette: str, h: int = 5, w: int = 7, with_empty: bool = True, seed: int = 0) -> Pattern:
    rng = np.random.default_rng(seed)
    pal = load_builtin(palette)
    # well separated colours, so "nearest palette colour" has one right answer
    idx = sorted(rng.choice(len(pal), size=5, replace=False).tolist())
    grid = rng.integers(0, 5, (h, w)).astype(np.int16)
    if with_empty:
        grid[0, 0] = EMPTY
        grid[h - 1, w - 2] = EMPTY
    return Pattern(grid, pal.subset(idx), {"title": "Preview"})


@pytest.mark.parametrize("cell_px", [1, 3, 12])
def test_flat_preview_has_exact_colours_at_cell_centres(tmp_path, cell_px):
    pattern = _pattern("dmc")
    out = export(pattern, "png", tmp_path / "flat.png", {"style": "flat", "cell_px": cell_px})
    img = np.asarray(Image.open(out[0]))
    assert img.shape == (pattern.height * cell_px, pattern.width * cell_px, 4)  # RGBA: there are empty cells
    for r in range(pattern.height):
        for c in range(pattern.width):
            px = img[r * cell_px + cell_px // 2, c * cell_px + cell_px // 2]
            if pattern.grid[r, c] == EMPTY:
                assert px[3] == 0
            else:
                assert tuple(px[:3]) == pattern.palette[pattern.grid[r, c]].rgb and px[3] == 255


def test_flat_preview_without_empty_cells_is_rgb(tmp_path):
    pattern = _pattern("perler", with_empty=False)
    img = Image.open(export(pattern, "png", tmp_path / "p.png", {"style": "flat", "cell_px": 4})[0])
    assert img.mode == "RGB" and img.size == (pattern.width * 4, pattern.height * 4)


# where, inside a cell (fractions of the cell from its top-left), a realistic look shows the colour itself:
# the crossing of a stitch, the ring of a bead (its centre is the hole), the top of a stud
_SAMPLE = {"dmc": (0.5, 0.5), "perler": (0.5, 0.17), "lego": (0.5, 0.5)}


@pytest.mark.parametrize("palette", ["dmc", "perler", "lego"])
def test_realistic_preview_shows_each_cells_colour(tmp_path, palette):
    pattern = _pattern(palette, seed=4)
    px = 24
    out = export(pattern, "png", tmp_path / "r.png", {"style": "realistic", "cell_px": px})
    img = np.asarray(Image.open(out[0])).astype(int)
    assert img.shape == (pattern.height * px, pattern.width * px, 3)
    colours = pattern.palette.rgb.astype(int)
    fy, fx = _SAMPLE[palette]
    backgrounds = []
    for r in range(pattern.height):
        for c in range(pattern.width):
            v = img[r * px + int(fy * px), c * px + int(fx * px)]
            if pattern.grid[r, c] == EMPTY:
                backgrounds.append(img[r * px : (r + 1) * px, c * px : (c + 1) * px])
                continue
            nearest = int(np.argmin(((colours - v) ** 2).sum(axis=1)))
            assert nearest == pattern.grid[r, c], f"cell {r},{c} looks like colour {nearest}"
            assert np.abs(v - colours[nearest]).max() < 60
    # empty cells show the bare fabric / board, all alike
    assert len(backgrounds) == 2 and np.array_equal(backgrounds[0], backgrounds[1])


@pytest.mark.parametrize("palette", ["dmc", "perler", "lego"])
def test_realistic_cells_of_one_colour_look_identical_and_differ_from_flat(palette):
    pattern = Pattern(np.zeros((2, 3), np.int16), load_builtin(palette).subset([2]))
    real = render_preview(pattern, "realistic", 16)
    tiles = [real[r * 16 : (r + 1) * 16, c * 16 : (c + 1) * 16] for r in range(2) for c in range(3)]
    assert all(np.array_equal(t, tiles[0]) for t in tiles)
    flat = render_preview(pattern, "flat", 16)
    assert not np.array_equal(real, flat)
    assert len(np.unique(tiles[0].reshape(-1, 3), axis=0)) > 8  # shading, not a flat square


def test_sizes_are_checked(tmp_path):
    pattern = _pattern("lego")
    with pytest.raises(InputError, match="at least 8 pixels"):
        export(pattern, "png", tmp_path / "x.png", {"style": "realistic", "cell_px": 4})
    big = Pattern(np.zeros((10, 900), np.int16), load_builtin("dmc").subset([0]))
    with pytest.raises(InputError, match="cell-px 18 or less"):
        export(big, "png", tmp_path / "y.png", {"style": "flat", "cell_px": 20})
    assert not any(tmp_path.iterdir())
