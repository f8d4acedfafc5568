"""The classic converter: linear-light averaging, exact nearest colours, budget, alpha, sizes."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft.budget import total_error
from pixlcraft.color import ciede2000_pairwise, linear_to_lab, srgb_to_linear
from pixlcraft.confetti import confetti_share
from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo
from pixlcraft.errors import InputError
from pixlcraft.imageio import photo_from_array
from pixlcraft.jobs import CancelToken
from pixlcraft.palette import load_builtin


@pytest.fixture(scope="module")
def dmc():
    return load_builtin("dmc")


def _smooth_photo(h: int = 96, w: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([np.sin(3 * x + 1) * 0.5 + 0.5, y, np.cos(5 * x * y) * 0.5 + 0.5], -1)
    img += rng.normal(0, 0.03, img.shape)
    return (np.clip(img, 0, 1) * 255).astype(np.uint8)


def test_averaging_happens_in_linear_light() -> None:
    checker = np.zeros((8, 8, 3), np.uint8)
    checker[::2, ::2] = 255
    checker[1::2, 1::2] = 255
    linear, coverage = cell_colors(photo_from_array(checker), 2, 2)
    assert coverage is None
    # half black, half white averages to linear 0.5 (sRGB ~188), not sRGB 128
    assert np.allclose(linear, 0.5, atol=1e-4)


def test_area_average_equals_block_means() -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    linear, _ = cell_colors(photo_from_array(img), 3, 2)
    lin_px = srgb_to_linear(img / 255.0)
    expected = lin_px.reshape(2, 3, 3, 3, 3).mean(axis=(1, 3))
    assert np.allclose(linear, expected, atol=2e-5)


def test_pattern_is_exact_nearest_without_budget_or_cleanup(dmc) -> None:
    photo = photo_from_array(_smooth_photo())
    res = convert_photo(photo, dmc, ConvertOptions(width=32, cleanup=False))
    grid = res.pattern.grid
    assert grid.shape == (24, 32)
    brute = ciede2000_pairwise(res.cell_lab.reshape(-1, 3), dmc.lab).argmin(axis=1).reshape(grid.shape)
    assert (grid == brute).all()


def test_only_palette_colours_and_budget_respected(dmc) -> None:
    photo = photo_from_array(_smooth_photo(seed=2))
    res = convert_photo(photo, dmc, ConvertOptions(width=40, max_colors=6))
    used = np.unique(res.pattern.grid)
    assert 1 <= used.size <= 6
    assert res.stats["colors_used"] == used.size
    rgb = res.pattern.rgb_image()
    pal = {tuple(c) for c in dmc.rgb[used]}
    assert {tuple(c) for c in rgb.reshape(-1, 3)} <= pal


def test_budget_beats_most_frequent(dmc) -> None:
    photo = photo_from_array(_smooth_photo(seed=3))
    res = convert_photo(photo, dmc, ConvertOptions(width=40, max_colors=8, cleanup=False))
    free = convert_photo(photo, dmc, ConvertOptions(width=40, cleanup=False)).pattern.grid
    frequent = np.argsort(-np.bincount(free.ravel(), minlength=len(dmc)))[:8]
    labs = res.cell_lab.reshape(-1, 3)
    ours = total_error(labs, dmc.lab, np.unique(res.pattern.grid))
    assert ours <= total_error(labs, dmc.lab, frequent)
    # and each cell sits on its nearest chosen colour
    chosen = np.unique(res.pattern.grid)
    d = ciede2000_pairwise(labs, dmc.lab[chosen])
    assert (chosen[d.argmin(1)] == res.pattern.grid.ravel()).all()


def test_cleanup_reduces_confetti_and_reports_count(dmc) -> None:
    rng = np.random.default_rng(5)
    noisy = np.clip(_smooth_photo(seed=5).astype(int) + rng.integers(-40, 40, (96, 128, 3)), 0, 255)
    photo = photo_from_array(noisy.astype(np.uint8))
    raw = convert_photo(photo, dmc, ConvertOptions(width=96, max_colors=20, cleanup=False))
    clean = convert_photo(photo, dmc, ConvertOptions(width=96, max_colors=20))
    assert clean.confetti_removed > 0
    assert (raw.pattern.grid != clean.pattern.grid).sum() == clean.confetti_removed
    assert confetti_share(clean.pattern.grid) < confetti_share(raw.pattern.grid)


def test_both_sides_crop_the_centre_instead_of_squashing(dmc) -> None:
    img = np.zeros((40, 120, 3), np.uint8)
    img[:, :40] = (255, 0, 0)
    img[:, 40:80] = (0, 0, 255)
    img[:, 80:] = (0, 255, 0)
    res = convert_photo(photo_from_array(img), dmc, ConvertOptions(width=10, height=10, cleanup=False))
    rgb = res.pattern.rgb_image()
    assert rgb.shape == (10, 10, 3)
    # the centre third is blue: every cell is the nearest DMC colour to pure blue
    blue = ciede2000_pairwise(linear_to_lab(np.array([[0.0, 0.0, 1.0]])), dmc.lab).argmin()
    assert (res.pattern.grid == blue).all()


def test_alpha_empty_and_composite(dmc) -> None:
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, 10:, 3] = 255  # left half transparent
    photo = photo_from_array(rgba)
    empty = convert_photo(photo, dmc, ConvertOptions(width=10, alpha="empty"))
    assert (empty.pattern.grid[:, :5] == -1).all() and (empty.pattern.grid[:, 5:] >= 0).all()
    comp = convert_photo(photo, dmc, ConvertOptions(width=10, alpha="composite", background=(255, 255, 255)))
    white = ciede2000_pairwise(linear_to_lab(np.ones((1, 3))), dmc.lab).argmin()
    assert (comp.pattern.grid[:, :5] == white).all()


def test_dither_uses_only_chosen_colours(dmc) -> None:
    photo = photo_from_array(_smooth_photo(seed=7))
    res = convert_photo(photo, dmc, ConvertOptions(width=32, max_colors=5, dither="floyd-steinberg", cleanup=False))
    assert np.unique(res.pattern.grid).size <= 5


@pytest.mark.parametrize(
    "options",
    [ConvertOptions(max_colors=0), ConvertOptions(dither="atkinson"),
     ConvertOptions(dither="ordered", dither_strength=2.0),
     ConvertOptions(width=0),
     ConvertOptions(width=1001), ConvertOptions(alpha="cut")],
)
def test_bad_options_are_input_errors(dmc, options) -> None:
    with pytest.raises(InputError):
        convert_photo(photo_from_array(_smooth_photo()), dmc, options)


def test_progress_reported_and_cancel_honoured(dmc) -> None:
    photo = photo_from_array(_smooth_photo())
    events = []
    convert_photo(photo, dmc, ConvertOptions(width=16, max_colors=4), progress=events.append)
    assert events[-1].done == events[-1].total and len(events) >= 4
    token = CancelToken()
    token.cancel()
    from pixlcraft.errors import Cancelled

    with pytest.raises(Cancelled):
        convert_photo(photo, dmc, ConvertOptions(width=16), cancel=token)


def test_metadata_records_recipe(dmc) -> None:
    res = convert_photo(photo_from_array(_smooth_photo(), path="/tmp/rose.jpg"), dmc, ConvertOptions(width=16))
    meta = res.pattern.metadata
    assert meta["title"] == "rose" and meta["source"] == "/tmp/rose.jpg"
    assert meta["recipe"]["maker"] == "classic" and meta["recipe"]["width"] == 16


def test_transparent_colours_only_when_asked() -> None:
    lego = load_builtin("lego")
    trans = {i for i, e in enumerate(lego.entries) if e.transparent}
    assert trans
    photo = photo_from_array(_smooth_photo(seed=9))
    solid = convert_photo(photo, lego, ConvertOptions(width=30, max_colors=10))
    assert not set(np.unique(solid.pattern.grid)) & trans
    # with transparent colours allowed, a grey-brown photo region picks up see-through colours somewhere
    brownish = np.full((20, 20, 3), (0x63, 0x5F, 0x52), np.uint8)  # exactly Trans-Brown
    both = convert_photo(photo_from_array(brownish), lego, ConvertOptions(width=4, include_transparent=True))
    plain = convert_photo(photo_from_array(brownish), lego, ConvertOptions(width=4))
    assert set(np.unique(both.pattern.grid)) & trans
    assert not set(np.unique(plain.pattern.grid)) & trans


def test_the_default_never_needs_more_colours_than_a_chart_can_print(tmp_path) -> None:
    """A busy photo at a large size would use 300+ DMC colours; without a budget the converter keeps the best
    151 (one per chart symbol), so the default stitch PDF export never has to refuse it."""
    from pixlcraft.export import export
    from pixlcraft.symbols import SINGLE_SYMBOLS

    rng = np.random.default_rng(7)
    photo = photo_from_array(rng.random((160, 160, 3)).astype(np.float32), "noise.png")
    dmc = load_builtin("dmc")
    free = convert_photo(photo, dmc, ConvertOptions(width=160, max_colors=400, cleanup=False))
    assert len(free.pattern.used_indices()) > SINGLE_SYMBOLS  # the photo really needs more
    made = convert_photo(photo, dmc, ConvertOptions(width=160, cleanup=False))
    assert len(made.pattern.used_indices()) == SINGLE_SYMBOLS
    assert made.pattern.metadata["recipe"]["max_colors"] == SINGLE_SYMBOLS
    assert export(made.pattern, "stitch-pdf", tmp_path / "c.pdf", {"chart": "color"})[0].stat().st_size > 0
    small = convert_photo(photo, dmc, ConvertOptions(width=20, cleanup=False))  # fewer needed: no budget
    assert small.pattern.metadata["recipe"]["max_colors"] is None
