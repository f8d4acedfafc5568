"""Stitch layers in PNG pictures (the png export and a pattern's own .png save), read back with Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from pixlcraft.export import export, get_format
from pixlcraft.export.registry import limits_note
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern, save_png
from pixlcraft.stitches import BOTTOM_LEFT, NO_STITCH, TOP_LEFT, TOP_RIGHT, Lines, Points, StitchLayers

WHITE = (255, 255, 255)


def _pattern() -> Pattern:
    """8×6 bare fabric but one full cross; a "/" half stitch of colour 0 in cell (1, 1), a quarter of colour 1
    in the top-left of cell (5, 1), a horizontal backstitch of colour 2 along y = 4 from x = 1 to 6, a knot of
    colour 1 at the centre of cell (6, 2), a bead of colour 0 at the centre of cell (3, 1)."""
    dmc = load_builtin("dmc")
    palette = dmc.subset([dmc.index_of("321"), dmc.index_of("797"), dmc.index_of("310")])
    grid = np.full((6, 8), EMPTY, np.int16)
    grid[5, 7] = 1
    q = np.full((6, 8, 4), NO_STITCH, np.int16)
    q[1, 1, [BOTTOM_LEFT, TOP_RIGHT]] = 0
    q[1, 5, TOP_LEFT] = 1
    layers = StitchLayers(q, Lines.from_cells([[1, 4, 6, 4]], 2), Points.from_cells([[6.5, 2.5]], 1),
                          Points.from_cells([[3.5, 1.5]], 0))
    return Pattern(grid, palette, {"title": "Layers"}, layers)


def _at(img: np.ndarray, x_cells: float, y_cells: float, scale: int) -> tuple[int, ...]:
    return tuple(int(v) for v in img[int(y_cells * scale), int(x_cells * scale), :3])


def _check_layers(img: np.ndarray, pattern: Pattern, scale: int, ground: tuple[int, ...] | None) -> None:
    red, blue, black = (tuple(int(v) for v in pattern.palette[i].rgb) for i in range(3))
    # along the backstitch, every few pixels, the line's colour; a little off it, not
    for x in np.linspace(1.2, 5.8, 12):
        assert _at(img, x, 4.0, scale) == black
        assert _at(img, x, 4.4, scale) != black
    # the half stitch: its diagonal band (centre, near the bottom-left and top-right corners) is the thread
    for x, y in ((1.5, 1.5), (1.15, 1.85), (1.85, 1.15)):
        assert _at(img, x, y, scale) == red
    # the other two corners of that cell are bare
    for x, y in ((1.1, 1.1), (1.9, 1.9)):
        assert _at(img, x, y, scale) != red
        if ground is not None:
            assert _at(img, x, y, scale) == ground
    # the quarter: inside its top-left corner triangle only
    assert _at(img, 5.15, 1.15, scale) == blue
    assert _at(img, 5.6, 1.6, scale) != blue
    # the knot is a dot on the cell centre; the bead a ring: coloured rim, uncoloured hole
    assert _at(img, 6.5, 2.5, scale) == blue
    assert _at(img, 3.5 + 0.26, 1.5, scale) == red and _at(img, 3.5, 1.5 - 0.26, scale) == red
    assert _at(img, 3.5, 1.5, scale) != red
    if ground is not None:  # flat cells: the full cross is still there, in its exact colour
        assert _at(img, 7.5, 5.5, scale) == blue


@pytest.mark.parametrize("scale", [4, 10])
def test_save_png_paints_every_layer(tmp_path, scale: int) -> None:
    pattern = _pattern()
    out = tmp_path / "p.png"
    save_png(pattern, out, scale)
    img = np.asarray(Image.open(out))
    assert img.shape[:2] == (6 * scale, 8 * scale)
    if scale >= 10:  # at 4 px the triangles and the ring are a pixel or two: only the line is checked
        _check_layers(img, pattern, scale, WHITE)  # RGBA: bare fabric is transparent white
        assert img[int(1.1 * scale), int(1.1 * scale), 3] == 0 and img[int(1.5 * scale), int(1.5 * scale), 3] == 255
    black = tuple(int(v) for v in pattern.palette[2].rgb)
    assert all(_at(img, x, 4.0, scale) == black for x in np.linspace(1.2, 5.8, 12))


def test_scale_one_shows_the_full_crosses_only(tmp_path) -> None:
    pattern = _pattern()
    out = tmp_path / "p.png"
    save_png(pattern, out, 1)
    img = np.asarray(Image.open(out))
    assert np.count_nonzero(img[..., 3]) == 1  # the one full cross; nothing else painted over bare cells
    assert "full stitches only" in limits_note(get_format("png"), pattern, {"cell_px": 2})
    assert limits_note(get_format("png"), pattern, {"cell_px": 4}) == ""


@pytest.mark.parametrize("style", ["flat", "realistic"])
def test_png_export_paints_every_layer(tmp_path, style: str) -> None:
    pattern = _pattern()
    out = tmp_path / "p.png"
    export(pattern, "png", out, {"style": style, "cell_px": 20})
    img = np.asarray(Image.open(out))
    _check_layers(img, pattern, 20, WHITE if style == "flat" else None)
