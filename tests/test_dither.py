"""Floyd–Steinberg dithering over palette colours."""

from __future__ import annotations

import numpy as np

from pixlcraft.color import srgb8_to_lab
from pixlcraft.dither import floyd_steinberg


def test_grey_between_black_and_white_mixes_both_in_proportion() -> None:
    pal = srgb8_to_lab(np.array([[0, 0, 0], [255, 255, 255]], np.uint8))
    target = srgb8_to_lab(np.array([119, 119, 119], np.uint8))  # L* ≈ 50
    labs = np.broadcast_to(target, (40, 40, 3)).copy()
    grid = floyd_steinberg(labs, pal, np.array([0, 1]))
    share_white = (grid == 1).mean()
    # error diffusion in L*: the mean L* of the output matches the target's
    mean_l = (pal[grid][..., 0]).mean()
    assert abs(mean_l - target[0]) < 2.0
    assert 0.35 < share_white < 0.65


def test_only_allowed_colours_and_mask_respected() -> None:
    rng = np.random.default_rng(0)
    pal = srgb8_to_lab(rng.integers(0, 256, (10, 3), dtype=np.uint8))
    labs = srgb8_to_lab(rng.integers(0, 256, (12, 9, 3), dtype=np.uint8))
    mask = np.ones((12, 9), bool)
    mask[:3] = False
    allowed = np.array([2, 5, 7])
    grid = floyd_steinberg(labs, pal, allowed, mask)
    assert set(np.unique(grid[mask])) <= {2, 5, 7}
    assert (grid[~mask] == -1).all()
