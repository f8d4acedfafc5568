"""Dithering over palette colours, in linear light: the picture seen from a distance gets better (issue 13)."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft import dither as dither_module
from pixlcraft.color import ciede2000, linear_to_lab, srgb8_to_lab, srgb8_to_linear
from pixlcraft.convert import ConvertOptions, convert_photo, resolve_size
from pixlcraft.convert import cell_colors as average_cells
from pixlcraft.dither import bayer, dither
from pixlcraft.errors import Cancelled, InputError
from pixlcraft.imageio import load_photo, photo_from_array
from pixlcraft.jobs import CancelToken, Reporter
from pixlcraft.palette import load_builtin
from pixlcraft.quality import blur, blurred_delta_e, pattern_linear

SAMPLES = ["resources/samples/astronaut.jpg", "resources/samples/chelsea.jpg", "resources/samples/coffee.jpg"]


def _bw():
    rgb = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    return srgb8_to_linear(rgb), srgb8_to_lab(rgb)


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_mid_grey_from_black_and_white_keeps_its_light(method: str) -> None:
    lin, lab = _bw()
    grey = srgb8_to_linear(np.array([119, 119, 119], np.uint8))  # 18 % of white's light
    cells = np.broadcast_to(grey, (32, 32, 3)).copy()
    grid = dither(method, cells, lin, lab, np.array([0, 1]))
    assert abs((grid == 1).mean() - grey[1]) < 0.04  # the share of white stitches is the grey's light
    if method == "ordered":  # a regular texture: the same 4x4 tile everywhere
        assert all(np.array_equal(grid[:4, :4], grid[y:y + 4, x:x + 4]) for y in (8, 16) for x in (4, 20))


@pytest.mark.parametrize("method", ["floyd-steinberg", "ordered"])
def test_only_allowed_colours_and_the_mask_are_used(method: str) -> None:
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (10, 3), dtype=np.uint8)
    cells = srgb8_to_linear(rng.integers(0, 256, (12, 9, 3), dtype=np.uint8))
    mask = np.ones((12, 9), bool)
    mask[:3] = False
    grid = dither(method, cells, srgb8_to_linear(rgb), srgb8_to_lab(rgb), np.array([2, 5, 7]), mask)
    assert set(np.unique(grid[mask])) <= {2, 5, 7} and (grid[~mask] == -1).all()


def test_bayer_matrix_holds_every_rank_once() -> None:
    assert sorted(bayer(4).ravel().tolist()) == list(range(16))
    assert bayer(2).tolist() == [[0, 2], [3, 1]]


def test_solid_patches_keep_their_hue_seen_from_a_distance() -> None:
    """A blue card must not turn purple, a white one light blue: the blurred mean of each patch stays on its
    colour (the old CIELAB diffusion drifted by several ΔE on such patches)."""
    perler = load_builtin("perler")
    patches = [(40, 80, 190), (245, 245, 240), (225, 170, 140), (120, 160, 220)]  # blue, white, skin, sky
    img = np.zeros((40, 40 * len(patches), 3), np.uint8)
    for i, rgb in enumerate(patches):
        img[:, 40 * i:40 * (i + 1)] = rgb
    photo = photo_from_array(img, "patches.png")
    for method in ("floyd-steinberg", "ordered"):
        made = convert_photo(photo, perler, ConvertOptions(width=img.shape[1], dither=method)).pattern
        seen = blur(pattern_linear(made.grid, perler), 2.0)
        for i, rgb in enumerate(patches):
            inner = seen[8:32, 40 * i + 8:40 * i + 32].reshape(-1, 3).mean(0)
            want = srgb8_to_lab(np.array(rgb, np.uint8))
            nearest_single = min(ciede2000(want, lab) for lab in perler.lab)
            got = float(ciede2000(linear_to_lab(inner), want))
            # mixable colours come out nearly exact; one no mix reaches (the deep blue) is no worse than the
            # nearest single colour, with no drift into another hue
            assert got <= nearest_single + 0.01 and (got < 1.0 or nearest_single > 3.0), (method, rgb, got)


@pytest.mark.parametrize("palette,width,budget", [("perler", 64, 16), ("dmc", 120, 32), ("hama", 80, None)])
def test_dithering_beats_no_dithering_from_a_distance_on_every_sample(palette: str, width: int,
                                                                      budget: int | None) -> None:
    pal = load_builtin(palette)
    for path in SAMPLES:
        photo = load_photo(path)
        scores = {}
        for method in ("none", "floyd-steinberg", "ordered"):
            options = ConvertOptions(width=width, max_colors=budget, dither=method)
            made = convert_photo(photo, pal, options)
            w, h, crop = resolve_size(photo, options)
            scores[method] = blurred_delta_e(made.pattern.grid, pal, average_cells(photo, w, h, crop)[0])
            if method != "none":  # the clean-up leaves a dither alone instead of erasing it
                assert made.pattern.metadata["recipe"]["dither"] == method and made.stats["confetti_share"] > 0.1
        assert scores["floyd-steinberg"] < scores["none"] * 0.95, (path, scores)
        assert scores["ordered"] < scores["none"], (path, scores)


def test_strength_zero_is_no_dither_and_bad_strengths_are_refused() -> None:
    photo = load_photo(SAMPLES[1])
    pal = load_builtin("perler")
    plain = convert_photo(photo, pal, ConvertOptions(width=40, max_colors=12)).pattern.grid
    zero = convert_photo(photo, pal, ConvertOptions(width=40, max_colors=12, dither="floyd-steinberg",
                                                    dither_strength=0.0)).pattern.grid
    assert np.array_equal(plain, zero)
    calm = convert_photo(photo, pal, ConvertOptions(width=40, max_colors=12, dither="floyd-steinberg",
                                                    dither_strength=0.5)).stats["confetti_share"]
    full = convert_photo(photo, pal, ConvertOptions(width=40, max_colors=12, dither="floyd-steinberg")
                         ).stats["confetti_share"]
    assert calm < full
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(InputError, match="dither-strength"):
            ConvertOptions(width=10, dither="ordered", dither_strength=bad).validate()


def test_bands_give_the_one_pass_result_and_cancel_between_them(monkeypatch) -> None:
    """A long dither is run in bands of rows so that a cancel (or Ctrl+C) is heard within a band's time; the
    error carries across bands, so the picture is the same as in one pass."""
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (24, 3), dtype=np.uint8)
    lin, lab = srgb8_to_linear(rgb), srgb8_to_lab(rgb)
    cells = srgb8_to_linear(rng.integers(0, 256, (60, 50, 3), dtype=np.uint8))
    allowed = np.arange(24)
    monkeypatch.setattr(dither_module, "BAND_WORK", 10**12)  # one band: the whole picture in one compiled call
    whole = dither("floyd-steinberg", cells, lin, lab, allowed)
    monkeypatch.setattr(dither_module, "BAND_WORK", 50 * dither_module.BAND_COLOURS * 7)  # bands of 7 rows
    calls = []
    banded = dither("floyd-steinberg", cells, lin, lab, allowed, check=lambda: calls.append(1))
    assert np.array_equal(banded, whole)
    assert len(calls) == 9 + dither_module.REACH_ROUNDS  # mixes for colours out of reach, then ceil(60 / 7) bands
    token = CancelToken()
    reporter = Reporter(None, token)

    def cancel_at_the_fourth_check() -> None:
        if len(calls) == 3:
            token.cancel()
        calls.append(1)
        reporter.check()

    calls.clear()
    with pytest.raises(Cancelled):
        dither("floyd-steinberg", cells, lin, lab, allowed, check=cancel_at_the_fourth_check)
    assert len(calls) == 4  # stopped at the first check after the cancel, not at the end
    calls.clear()
    token = CancelToken()
    reporter = Reporter(None, token)
    with pytest.raises(Cancelled):  # the ordered mix is built in 16 rounds, each one a chance to stop
        dither("ordered", cells, lin, lab, allowed, check=cancel_at_the_fourth_check)
    assert len(calls) == 4


def test_kept_detail_is_chosen_but_its_light_is_given_back_around_it() -> None:
    """A thin dark line kept by --detail auto: its cells come out dark, and with the plain averages passed
    the light they took is returned to their neighbours, so the picture's mean light stays the photo's."""
    levels = np.array([0, 60, 120, 180, 230, 255], np.uint8)
    rgb = np.repeat(levels[:, None], 3, axis=1)
    lin, lab = srgb8_to_linear(rgb), srgb8_to_lab(rgb)
    plain = np.full((40, 40, 3), srgb8_to_linear(np.array([150, 150, 150], np.uint8)))
    plain[:, 20] = srgb8_to_linear(np.array([110, 110, 110], np.uint8))  # a line averaged into its cells
    detail = plain.copy()
    detail[:, 20] = 0.0  # the line's own colour, as the detail step gives it
    allowed = np.arange(len(levels))
    with_plain = dither("floyd-steinberg", detail, lin, lab, allowed, plain=plain)
    without = dither("floyd-steinberg", detail, lin, lab, allowed)
    # the line is kept as dark cells: with the plain averages every one of them (the light they give back goes
    # to the ground beside them, never into the line's next cell, which would dot the line)
    assert (lin[with_plain[:, 20], 0] < 0.05).all()
    assert (lin[without[:, 20], 0] < 0.05).mean() >= 0.9
    target = plain[..., 0].mean()
    assert abs(lin[with_plain, 0].mean() - target) < 0.004
    assert abs(lin[with_plain, 0].mean() - target) < 0.5 * abs(lin[without, 0].mean() - target)
