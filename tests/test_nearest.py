"""The pruned nearest-colour search must give exactly the brute-force answer, ties and all."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from pixlcraft import nearest
from pixlcraft.color import ciede2000, ciede2000_pairwise, srgb8_to_lab
from pixlcraft.nearest import nearest_colors, nearest_colors_bruteforce

PALETTES = Path(__file__).resolve().parents[1] / "palettes"


def _palette_labs(name: str) -> np.ndarray:
    # Read the hex column directly; this test is about the search, not the palette module.
    with (PALETTES / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        hexes = [row["hex"].lstrip("#") for row in csv.DictReader(f)]
    u8 = np.array([[int(h[k : k + 2], 16) for k in (0, 2, 4)] for h in hexes], dtype=np.uint8)
    return srgb8_to_lab(u8)


@pytest.fixture(scope="module")
def dmc() -> np.ndarray:
    labs = _palette_labs("dmc")
    assert len(labs) > 400
    return labs


def _random_labs(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.uniform(0, 100, n), rng.uniform(-110, 110, n), rng.uniform(-110, 110, n)])


def _smooth_image(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A photo-like (H, W, 3) Lab image: smooth gradients plus a little noise, so neighbours agree."""
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    img = np.stack([15 + 70 * y + 10 * np.sin(6 * x), 60 * np.cos(3 * x + y) - 10, 50 * np.sin(4 * y) + 5], -1)
    return img + rng.normal(0, 1.5, img.shape)


def _assert_same(labs, palette, allowed=None):
    idx, de = nearest_colors(labs, palette, allowed)
    ref_idx, ref_de = nearest_colors_bruteforce(labs, palette, allowed)
    assert idx.dtype == np.int32 and de.dtype == np.float64
    assert idx.shape == ref_idx.shape == np.shape(labs)[:-1]
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(de, ref_de)
    # The distance returned is the distance of the chosen pair, to the bit.
    np.testing.assert_array_equal(de, ciede2000(labs, np.asarray(palette)[idx]))
    return idx, de


def test_bruteforce_is_argmin_of_the_matrix(dmc, monkeypatch):
    rng = np.random.default_rng(0)
    labs = _random_labs(rng, 50)
    monkeypatch.setattr(nearest, "_BRUTE_CHUNK", 7)  # several chunks, a ragged last one
    idx, de = nearest_colors_bruteforce(labs, dmc)
    full = ciede2000_pairwise(labs, dmc)
    np.testing.assert_array_equal(idx, np.argmin(full, axis=1))
    np.testing.assert_array_equal(de, full.min(axis=1))


def test_random_colours_match_bruteforce(dmc):
    rng = np.random.default_rng(1)
    _assert_same(_random_labs(rng, 3000), dmc)


def test_photo_like_image_matches_bruteforce(dmc):
    rng = np.random.default_rng(2)
    idx, _ = _assert_same(_smooth_image(rng, 40, 70), dmc)
    assert idx.shape == (40, 70)
    assert len(np.unique(idx)) > 20


@pytest.mark.parametrize("name", ["perler", "hama", "lego", "artkal_s"])
def test_other_palettes(name):
    rng = np.random.default_rng(3)
    pal = _palette_labs(name)
    _assert_same(_random_labs(rng, 800), pal)
    _assert_same(_smooth_image(rng, 20, 30), pal)


def test_palette_colours_find_themselves(dmc):
    idx, de = _assert_same(dmc, dmc)
    assert np.all(de == 0.0)
    # Where the palette repeats a colour, the first copy wins.
    first = np.array([np.flatnonzero((dmc == c).all(axis=1))[0] for c in dmc])
    np.testing.assert_array_equal(idx, first)


def test_duplicates_go_to_the_lowest_index(dmc):
    rng = np.random.default_rng(4)
    picks = rng.choice(len(dmc), 60, replace=False)
    pal = np.concatenate([dmc, dmc[picks]])
    pal = pal[rng.permutation(len(pal))]
    labs = np.concatenate([_random_labs(rng, 1500), pal[rng.choice(len(pal), 200)]])
    idx, _ = _assert_same(labs, pal)
    for i, j in enumerate(idx):
        same = np.flatnonzero((pal == pal[j]).all(axis=1))
        assert j == same[0], f"cell {i} took copy {j} of a colour first listed at {same[0]}"


def test_exact_ties_between_different_colours():
    centre = np.array([[50.0, 0.0, 0.0]])
    # Mirror images about L=50 (S_L is symmetric there) and opposite hues around a neutral colour (the hue
    # term vanishes when one colour has no chroma) give bit-identical distances.
    for pair in (
        [[60.0, 0.0, 0.0], [40.0, 0.0, 0.0]],
        [[50.0, 10.0, 0.0], [50.0, -10.0, 0.0]],
        [[50.0, 0.0, 10.0], [50.0, 0.0, -10.0]],
    ):
        pair = np.array(pair)
        assert ciede2000(centre[0], pair[0]) == ciede2000(centre[0], pair[1])
        filler = np.array([[90.0, 40.0, 40.0], [10.0, -30.0, 20.0], [70.0, 60.0, -60.0]])
        for order in ([0, 1], [1, 0]):
            for at in range(4):
                pal = np.insert(filler, [at, at], pair[order], axis=0) if at < 3 else np.vstack([filler, pair])
                idx, _ = _assert_same(centre, pal)
                tied = [k for k in range(len(pal)) if any((pal[k] == p).all() for p in pair)]
                assert idx[0] == min(tied)


def test_allowed_masks_and_index_lists(dmc):
    rng = np.random.default_rng(5)
    labs = np.concatenate([_random_labs(rng, 600), _smooth_image(rng, 10, 40).reshape(-1, 3)])
    for density in (0.02, 0.2, 0.7):
        mask = rng.random(len(dmc)) < density
        mask[rng.integers(len(dmc))] = True
        idx, _ = _assert_same(labs, dmc, mask)
        assert mask[idx].all()
        # The same subset given as an unsorted index list with repeats gives the same answer.
        listed = rng.permutation(np.repeat(np.flatnonzero(mask), 2))
        np.testing.assert_array_equal(nearest_colors(labs, dmc, listed)[0], idx)
    single = np.zeros(len(dmc), dtype=bool)
    single[123] = True
    idx, _ = _assert_same(labs, dmc, single)
    assert (idx == 123).all()
    # Restricting to the threads that were chosen anyway changes nothing.
    free, _ = nearest_colors(labs, dmc)
    np.testing.assert_array_equal(nearest_colors(labs, dmc, np.unique(free))[0], free)


def test_allowed_is_checked(dmc):
    labs = np.array([[50.0, 0.0, 0.0]])
    with pytest.raises(ValueError):
        nearest_colors(labs, dmc, np.zeros(len(dmc), dtype=bool))
    with pytest.raises(ValueError):
        nearest_colors(labs, dmc, np.ones(3, dtype=bool))
    with pytest.raises(ValueError):
        nearest_colors(labs, dmc, np.array([len(dmc)]))
    with pytest.raises(ValueError):
        nearest_colors(labs, dmc, [])


def test_extreme_and_out_of_gamut_inputs(dmc):
    rng = np.random.default_rng(6)
    special = np.array(
        [
            [0.0, 0.0, 0.0],
            [100.0, 0.0, 0.0],
            [0.0, 50.0, -50.0],
            [100.0, -80.0, 90.0],
            [-20.0, 0.0, 0.0],
            [150.0, 10.0, -10.0],
            [-300.0, 400.0, 400.0],
            [500.0, -500.0, 0.0],
            [50.0, 300.0, -300.0],
            [50.0, 0.0, 1e-12],
            [50.0, -0.0, -0.0],
            [5e5, 0.0, 0.0],
            [-1e6, 9e5, -9e5],
            [50.0, 1e6, 1e-6],
        ]
    )
    wild = np.column_stack([rng.uniform(-200, 300, 500), rng.uniform(-400, 400, 500), rng.uniform(-400, 400, 500)])
    _assert_same(np.concatenate([special, wild]), dmc)
    # An out-of-range palette (not from sRGB) too.
    _assert_same(np.concatenate([special, wild]), wild[:100])


def test_single_colour_palette_and_empty_input(dmc):
    labs = _random_labs(np.random.default_rng(7), 20)
    idx, _ = _assert_same(labs, dmc[5:6])
    assert (idx == 0).all()
    idx, de = nearest_colors(np.zeros((0, 3)), dmc)
    assert idx.shape == (0,) and de.shape == (0,)


def test_bad_input_is_refused(dmc):
    with pytest.raises(ValueError):
        nearest_colors(np.array([[50.0, np.nan, 0.0]]), dmc)
    with pytest.raises(ValueError):
        nearest_colors(np.array([[50.0, 0.0, np.inf]]), dmc)
    with pytest.raises(ValueError):
        nearest_colors(np.array([[50.0, 0.0, 1e30]]), dmc)
    with pytest.raises(ValueError):
        nearest_colors(np.zeros((4, 2)), dmc)
    with pytest.raises(ValueError):
        nearest_colors(np.zeros((4, 3)), np.zeros((0, 3)))


def test_matches_skimage_bruteforce(dmc):
    skcolor = pytest.importorskip("skimage.color")
    rng = np.random.default_rng(8)
    labs = _random_labs(rng, 300)
    sk = skcolor.deltaE_ciede2000(labs[:, None, :], dmc[None, :, :])
    idx, de = nearest_colors(labs, dmc)
    np.testing.assert_array_equal(idx, np.argmin(sk, axis=1))
    np.testing.assert_allclose(de, sk.min(axis=1), rtol=0, atol=1e-9)


# --- the bounds the search relies on, checked directly -------------------------------------------------------


def test_t_max_bounds_t():
    # T's slope is at most 0.17 + 2·0.24 + 3·0.32 + 4·0.20 per radian, so between grid points it can rise
    # above the grid's maximum by at most slope·step/2.
    h = np.linspace(0.0, 360.0, 2_000_001)
    r = np.radians
    t = 1 - 0.17 * np.cos(r(h - 30)) + 0.24 * np.cos(r(2 * h)) + 0.32 * np.cos(r(3 * h + 6)) - 0.20 * np.cos(
        r(4 * h - 63)
    )
    slope = 0.17 + 2 * 0.24 + 3 * 0.32 + 4 * 0.20
    assert t.max() + slope * math.radians(h[1] - h[0]) / 2 < nearest._T_MAX
    assert t.min() > 0  # so S_H ≥ 1 and |tH| ≥ |ΔH'|/S_H,max


def test_lower_bounds_never_exceed_the_distance():
    rng = np.random.default_rng(9)
    n = 20000
    a = np.column_stack([rng.uniform(-50, 150, n), rng.uniform(-150, 150, n), rng.uniform(-150, 150, n)])
    b = a + rng.normal(0, 1, (n, 3)) * rng.choice([0.1, 3, 30], (n, 1))
    a[:500, 1:] = 0.0  # neutral colours
    de = ciede2000(a, b)
    c1 = np.hypot(a[:, 1], a[:, 2])
    c2 = np.hypot(b[:, 1], b[:, 2])
    s_l = np.array([nearest._s_l(0.5 * (x + y)) for x, y in zip(a[:, 0], b[:, 0], strict=True)])
    tl2 = ((b[:, 0] - a[:, 0]) / s_l) ** 2
    slack = 1e-9 * (1 + de)
    # Bound 2.
    q = np.array([nearest._chroma_hue_bound(*row) for row in np.column_stack([a[:, 1:], c1, b[:, 1:], c2])])
    assert np.all(np.sqrt(tl2 + q) <= de + slack)
    assert np.median(np.sqrt(tl2 + q) / np.maximum(de, 1e-300)) > 0.6  # and tight enough to prune
    # Bound 3, through the table (and beyond it).
    cbar = 0.5 * (c1 + c2)
    k = np.minimum((cbar / nearest._CHROMA_BIN).astype(int), nearest._CHROMA_BINS - 1)
    beyond = nearest._EIG_MIN / (1 + 0.045 * 1.5 * cbar) ** 2
    in_table = cbar < nearest._CHROMA_BINS * nearest._CHROMA_BIN
    assert 100 < (~in_table).sum() < n // 2
    kq = np.where(in_table, nearest._KQ_TABLE[k], beyond)
    e2 = ((b[:, 1:] - a[:, 1:]) ** 2).sum(axis=1)
    assert np.all(np.sqrt(tl2 + kq * e2) <= de + slack)
    # Bound 1, with the local S_L maximum for any best distance the pair could still match.
    s_max = np.maximum(
        [nearest._s_l(0.5 * (x + y)) for x, y in zip(a[:, 0], np.minimum(a[:, 0], b[:, 0]) - 5, strict=True)],
        [nearest._s_l(0.5 * (x + y)) for x, y in zip(a[:, 0], np.maximum(a[:, 0], b[:, 0]) + 5, strict=True)],
    )
    s_loc = np.array([nearest._s_l_local(x, d, s) for x, d, s in zip(a[:, 0], de, s_max, strict=True)])
    assert np.all(np.abs(b[:, 0] - a[:, 0]) / s_loc <= de + slack)
