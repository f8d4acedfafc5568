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


def test_bands_give_the_one_pass_result_and_cancel_between_them(monkeypatch) -> None:
    """A long dither is run in bands of rows so that a cancel (or Ctrl+C) is heard within a band's time; the
    error carries across bands, so the picture is the same as in one pass."""
    import pytest

    from pixlcraft import dither
    from pixlcraft.errors import Cancelled
    from pixlcraft.jobs import CancelToken, Reporter

    rng = np.random.default_rng(3)
    pal = srgb8_to_lab(rng.integers(0, 256, (24, 3), dtype=np.uint8))
    labs = srgb8_to_lab(rng.integers(0, 256, (60, 50, 3), dtype=np.uint8))
    allowed = np.arange(24)
    monkeypatch.setattr(dither, "BAND_WORK", 10**12)  # one band: the whole picture in one compiled call
    whole = floyd_steinberg(labs, pal, allowed)
    monkeypatch.setattr(dither, "BAND_WORK", 50 * 24 * 7)  # bands of 7 rows
    calls = []
    banded = floyd_steinberg(labs, pal, allowed, check=lambda: calls.append(1))
    assert np.array_equal(banded, whole)
    assert len(calls) == 9  # ceil(60 / 7) bands, a check before each
    token = CancelToken()
    reporter = Reporter(None, token)

    def cancel_at_the_fourth_band() -> None:
        if len(calls) == 12:
            token.cancel()
        calls.append(1)
        reporter.check()

    with pytest.raises(Cancelled):
        floyd_steinberg(labs, pal, allowed, check=cancel_at_the_fourth_band)
    assert len(calls) == 13  # stopped at the first check after the cancel, not at the end
