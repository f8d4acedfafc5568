"""Suggested backstitch outline and smooth edges (issue 15): real synthetic pictures, real conversions."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from pixlcraft.cli import main
from pixlcraft.convert import ConvertOptions, convert_photo
from pixlcraft.errors import InputError, PaletteError
from pixlcraft.imageio import photo_from_array
from pixlcraft.outline import outline_colour, outline_lines, outline_pattern
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, load_pixl
from pixlcraft.smooth_edges import smooth_edges, triangle_error
from pixlcraft.stitches import UNITS_PER_CELL, part_kind

PPC = 10


@pytest.fixture(scope="module")
def dmc():
    return load_builtin("dmc")


def _square() -> np.ndarray:
    img = np.full((30 * PPC, 30 * PPC, 3), 255, np.uint8)
    cv2.rectangle(img, (5 * PPC, 5 * PPC), (25 * PPC, 25 * PPC), (0, 0, 0), 4)
    return img


def _diagonal() -> np.ndarray:
    """Yellow above a "/" diagonal, dark blue below it: the boundary crosses the anti-diagonal cells."""
    img = np.full((20 * PPC, 20 * PPC, 3), (230, 200, 40), np.uint8)
    cv2.fillPoly(img, [np.array([[0, 20 * PPC], [20 * PPC, 0], [20 * PPC, 20 * PPC]], np.int32)], (30, 40, 160))
    return img


def _convert(img: np.ndarray, palette, width: int, **kw):
    photo = photo_from_array(img)
    return convert_photo(photo, palette, ConvertOptions(width=width, **kw)).pattern, photo


def test_outline_of_a_square_runs_along_its_sides_on_grid_points(dmc) -> None:
    pattern, photo = _convert(_square(), dmc, 30)
    lines = outline_lines(pattern, photo, "310")
    assert (lines.xy % UNITS_PER_CELL == 0).all()  # grid points only
    assert (lines.lengths() >= 2).all()  # no one-cell stubs
    assert set(lines.colour.tolist()) == {dmc.index_of("310")}
    segs = {tuple(s) for s in lines.cells().astype(int).tolist()}
    assert segs == {(5, 5, 25, 5), (5, 25, 25, 25), (5, 5, 5, 25), (25, 5, 25, 25)}  # four long runs


def test_outline_of_a_circle_uses_diagonals_and_never_a_stub(dmc) -> None:
    img = np.full((40 * PPC, 40 * PPC, 3), 255, np.uint8)
    cv2.circle(img, (20 * PPC, 20 * PPC), 14 * PPC, (0, 0, 0), 4, cv2.LINE_AA)
    pattern, photo = _convert(img, dmc, 40)
    lines = outline_lines(pattern, photo)
    d = lines.cells()
    dx, dy = d[:, 2] - d[:, 0], d[:, 3] - d[:, 1]
    assert ((dx != 0) & (dy != 0)).any()  # diagonal runs on the slanted parts
    steps = np.maximum(np.abs(dx), np.abs(dy))
    assert (steps >= 2).all() and lines.lengths().sum() > 40
    r = np.hypot((d[:, [0, 2]] - 20), (d[:, [1, 3]] - 20))
    assert (np.abs(r - 14) <= 1.5).all()  # along the circle, not elsewhere


def test_auto_outline_is_the_darkest_usable_thread(dmc) -> None:
    pattern, _ = _convert(_square(), dmc, 30)
    i = outline_colour(pattern, "auto")
    assert dmc[i].code == "310"
    assert dmc.lab[i, 0] <= dmc.lab[pattern.grid[pattern.grid >= 0], 0].min()


def test_outline_pattern_adds_a_backstitch_layer_and_keeps_the_grid(dmc) -> None:
    pattern, photo = _convert(_square(), dmc, 30)
    out = outline_pattern(pattern, photo)
    assert np.array_equal(out.grid, pattern.grid) and len(pattern.layers.backstitches) == 0
    assert out.layer_counts().backstitch_length[dmc.index_of("310")] == pytest.approx(80)


def test_smooth_edges_splits_only_the_diagonal_and_lowers_the_half_cell_error(dmc) -> None:
    pattern, photo = _convert(_diagonal(), dmc, 20, max_colors=2)
    out = smooth_edges(pattern, photo)
    ys, xs = np.nonzero(out.grid == EMPTY)
    assert ys.size >= 15 and set((ys + xs).tolist()) == {19}  # the anti-diagonal cells, nothing else
    assert triangle_error(out, photo) < triangle_error(pattern, photo) - 1.0
    parts = out.layers.part_stitches()
    kinds = sorted({part_kind(int(m)) for m in parts.mask})
    assert kinds == ["quarter", "three-quarter"] and len(parts) == 2 * ys.size
    q = out.layers.quarters[ys, xs]
    assert (q[:, :3] == pattern.grid[ys, xs, None]).all()  # the cell's colour keeps the three-quarter stitch
    assert (q[:, 3] != pattern.grid[ys, xs]).all()  # the neighbour's colour takes the bottom-right quarter
    counts, layer = out.counts(), out.layer_counts()
    assert counts.sum() == 400 - ys.size and layer.quarters.sum() == 4 * ys.size


def test_smooth_edges_leaves_a_plain_staircase_of_squares_alone(dmc) -> None:
    img = np.full((20 * PPC, 20 * PPC, 3), 255, np.uint8)
    img[:10 * PPC, :10 * PPC] = 0  # boundaries on cell sides only: nothing to split
    pattern, photo = _convert(img, dmc, 20)
    assert (smooth_edges(pattern, photo).grid == pattern.grid).all()


def test_both_refuse_bead_palettes() -> None:
    pattern, photo = _convert(_square(), load_builtin("hama"), 30)
    for step in (outline_pattern, smooth_edges):
        with pytest.raises(InputError, match="cross-stitch"):
            step(pattern, photo)


def test_unknown_outline_thread_is_a_clear_error(dmc) -> None:
    pattern, photo = _convert(_square(), dmc, 30)
    with pytest.raises(PaletteError, match="no colour '31O'"):
        outline_pattern(pattern, photo, "31O")


def test_cli_outline_and_smooth_edges_end_to_end(tmp_path: Path, capsys) -> None:
    src = tmp_path / "diag.png"
    img = _diagonal()
    cv2.rectangle(img, (2 * PPC, 2 * PPC), (8 * PPC, 8 * PPC), (0, 0, 0), 4)
    cv2.imwrite(str(src), img[..., ::-1])
    out = tmp_path / "out.pixl"
    assert main(["convert", str(src), "--palette", "dmc", "--width", "20", "--max-colors", "4",
                 "--outline", "auto", "--smooth-edges", "-o", str(out)]) == 0
    assert "part stitches" in capsys.readouterr().out
    p = load_pixl(out)
    assert len(p.layers.backstitches) and set(p.layers.backstitches.colour.tolist()) == {p.palette.index_of("310")}
    assert p.layers.quarters is not None and (p.grid == EMPTY).any()


@pytest.mark.parametrize(("argv", "message"), [
    (["--palette", "hama", "--outline", "auto"], "cross-stitch"),
    (["--palette", "perler", "--smooth-edges"], "cross-stitch"),
    (["--palette", "dmc", "--outline", "nonsense"], "no colour 'nonsense'"),
])
def test_cli_refuses_bad_suggestion_input(tmp_path: Path, capsys, argv: list[str], message: str) -> None:
    src = tmp_path / "sq.png"
    cv2.imwrite(str(src), _square())
    assert main(["convert", str(src), "--width", "20", *argv, "-o", str(tmp_path / "o.pixl")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.pixl").exists()


def test_a_suggestion_is_one_undo_step_that_restores_grid_palette_and_layers_exactly(dmc) -> None:
    from pixlcraft.edit import UndoStack
    from pixlcraft.suggest import ApplySuggestion

    pattern, photo = _convert(_diagonal(), dmc, 20)
    original = pattern.copy()
    stack = UndoStack(pattern)
    assert stack.push(ApplySuggestion(lambda p: outline_pattern(p, photo), "Suggested outline"))
    assert stack.push(ApplySuggestion(lambda p: smooth_edges(p, photo), "Smooth diagonal edges"))
    smoothed = pattern.copy()
    assert len(pattern.layers.backstitches) and len(pattern.layers.part_stitches())
    assert (pattern.grid != original.grid).any()  # the split cells gave up their full cross
    stack.undo()
    assert len(pattern.layers.part_stitches()) == 0 and len(pattern.layers.backstitches)
    stack.undo()
    assert np.array_equal(pattern.grid, original.grid) and pattern.layers.equals(original.layers)
    assert pattern.palette is original.palette
    stack.redo()
    stack.redo()
    assert np.array_equal(pattern.grid, smoothed.grid) and pattern.layers.equals(smoothed.layers)


def test_asking_for_the_outline_twice_adds_nothing_the_second_time(dmc) -> None:
    pattern, photo = _convert(_square(), dmc, 30)
    once = outline_pattern(pattern, photo)
    twice = outline_pattern(once, photo)
    assert len(once.layers.backstitches) == 4
    assert twice.layers.equals(once.layers)


def test_without_a_photo_only_contrasting_colour_boundaries_are_outlined(dmc) -> None:
    img = np.full((30 * PPC, 30 * PPC, 3), 255, np.uint8)
    cv2.rectangle(img, (5 * PPC, 8 * PPC), (25 * PPC - 1, 20 * PPC - 1), (200, 30, 30), -1)  # a red block
    pattern, _ = _convert(img, dmc, 30)
    lines = outline_lines(pattern, None, "310")
    segs = {tuple(s) for s in lines.cells().astype(int).tolist()}
    assert segs == {(5, 8, 25, 8), (5, 20, 25, 20), (5, 8, 5, 20), (25, 8, 25, 20)}  # the block's four sides


def test_a_reopened_pattern_is_measured_against_its_kept_smaller_photo(dmc) -> None:
    from pixlcraft.imageio import decode_photo, encode_photo

    big = cv2.resize(_diagonal(), (1600, 1600), interpolation=cv2.INTER_NEAREST)
    photo = photo_from_array(big)
    crop_opts = ConvertOptions(width=20)
    pattern = convert_photo(photo, dmc, crop_opts).pattern
    small = decode_photo(encode_photo(photo), Path("kept.jpg"))
    assert small.width == 1024
    full, kept = triangle_error(pattern, photo), triangle_error(pattern, small)
    assert abs(full - kept) < 0.5  # the same picture, smaller: the same measure within JPEG noise
    assert smooth_edges(pattern, small).layers.equals(smooth_edges(pattern, photo).layers)
    other = photo_from_array(np.zeros((300, 200, 3), np.uint8))
    with pytest.raises(InputError, match="1600×1600 image"):
        triangle_error(pattern, other)


def test_the_recipe_s_adjustments_apply_to_the_photo_a_suggestion_reads(dmc) -> None:
    from pixlcraft.suggest import chart_photo

    photo = photo_from_array(_diagonal())
    plain = convert_photo(photo, dmc, ConvertOptions(width=20)).pattern
    bright = convert_photo(photo, dmc, ConvertOptions(width=20, brightness=0.4)).pattern
    assert chart_photo(bright, photo).mean() > chart_photo(plain, photo).mean() * 1.2


def test_a_band_one_cell_wide_is_outlined_once_not_on_both_sides(dmc) -> None:
    img = np.full((30 * PPC, 30 * PPC, 3), 255, np.uint8)
    img[15 * PPC:16 * PPC, 5 * PPC:25 * PPC] = (200, 40, 40)
    pattern, photo = _convert(img, dmc, 30)
    segs = outline_lines(pattern, photo, "310").cells().astype(int).tolist()
    assert len(segs) == 1 and segs[0][1] == segs[0][3] in (15, 16) and (segs[0][0], segs[0][2]) == (5, 25)


def test_outline_again_from_the_reopened_pattern_s_smaller_photo_adds_almost_nothing(dmc) -> None:
    from pixlcraft.imageio import decode_photo, encode_photo

    img = np.full((60 * PPC * 3, 60 * PPC * 3, 3), 255, np.uint8)
    cv2.circle(img, (90 * PPC, 90 * PPC), 60 * PPC, (0, 0, 0), 12, cv2.LINE_AA)
    cv2.rectangle(img, (20 * PPC, 20 * PPC), (70 * PPC, 50 * PPC), (30, 60, 170), -1)
    photo = photo_from_array(img)
    pattern = convert_photo(photo, dmc, ConvertOptions(width=60)).pattern
    once = outline_pattern(pattern, photo)
    kept = decode_photo(encode_photo(photo), Path("kept.jpg"))
    again = outline_pattern(once, kept)
    added = len(again.layers.backstitches) - len(once.layers.backstitches)
    assert len(once.layers.backstitches) > 20 and added <= len(once.layers.backstitches) // 10
