"""The colour budget chooses the K colours that minimise total CIEDE2000 error."""

from __future__ import annotations

import itertools

import numpy as np

from pixlcraft.budget import choose_colors, total_error
from pixlcraft.color import srgb8_to_lab


def _random_palette(rng: np.random.Generator, n: int) -> np.ndarray:
    return srgb8_to_lab(rng.integers(0, 256, size=(n, 3), dtype=np.uint8))


def test_matches_exhaustive_optimum_on_small_cases() -> None:
    rng = np.random.default_rng(1)
    for trial in range(6):
        pal = _random_palette(rng, 9)
        # Cells clustered around a few colours, plus noise, so the optimum is not trivial.
        centres = srgb8_to_lab(rng.integers(0, 256, size=(4, 3), dtype=np.uint8))
        cells = centres[rng.integers(0, 4, 300)] + rng.normal(0, 4, (300, 3))
        k = 3
        best = min(total_error(cells, pal, list(c)) for c in itertools.combinations(range(9), k))
        chosen = choose_colors(cells, pal, k, bin_size=0, oversaturation=0)  # the pure CIEDE2000 objective
        assert len(chosen) == k
        assert total_error(cells, pal, chosen) <= best + 1e-6, f"trial {trial}"


def test_beats_most_frequent_when_a_rare_colour_matters() -> None:
    # 90 % of cells are four near-identical greys, 10 % are a strong red: with K=2, keeping the two most
    # frequent greys loses the red; the optimiser must keep one grey and the red.
    pal = srgb8_to_lab(np.array([[128, 128, 128], [131, 131, 131], [134, 134, 134], [137, 137, 137],
                                 [200, 20, 30]], np.uint8))
    cells = np.concatenate([np.repeat(pal[:4], 225, axis=0), np.repeat(pal[4:], 100, axis=0)])
    chosen = choose_colors(cells, pal, 2)
    assert 4 in chosen
    frequent = [0, 1]
    assert total_error(cells, pal, chosen) < total_error(cells, pal, frequent)


def test_allowed_restricts_candidates_and_small_palettes_return_all() -> None:
    rng = np.random.default_rng(3)
    pal = _random_palette(rng, 12)
    cells = rng.normal([50, 0, 0], [20, 30, 30], (500, 3))
    allowed = np.array([1, 3, 5, 7, 9])
    chosen = choose_colors(cells, pal, 3, allowed=allowed)
    assert set(chosen) <= set(allowed) and len(chosen) == 3
    assert list(choose_colors(cells, pal, 10, allowed=allowed)) == list(allowed)


def test_binning_keeps_result_close_to_unbinned() -> None:
    rng = np.random.default_rng(4)
    pal = _random_palette(rng, 60)
    cells = rng.normal([55, 10, 10], [15, 25, 25], (3000, 3))
    exact = total_error(cells, pal, choose_colors(cells, pal, 8, bin_size=0))
    binned = total_error(cells, pal, choose_colors(cells, pal, 8, bin_size=1.0))
    assert binned <= exact * 1.02
