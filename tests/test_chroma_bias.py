"""No saturated patches from the colour budget (issue 13, part 3): the budget's CIEDE2000 objective alone
spent a slot on a vivid colour for a range of muted ones (a royal-blue band in the rocket's dusk sky, an
orange patch in the retina); the oversaturation charge stops that at almost no cost in error."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft import budget
from pixlcraft.color import ciede2000, linear_to_lab
from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size
from pixlcraft.imageio import photo_from_array
from pixlcraft.palette import load_builtin

skimage_data = pytest.importorskip("skimage.data")


def _made(arr: np.ndarray, charge: float, monkeypatch: pytest.MonkeyPatch) -> tuple[float, float, set[str]]:
    """Mean CIEDE2000, share of cells more than 15 C* too saturated, and the colours chosen (Perler, 64/16)."""
    monkeypatch.setattr(budget, "OVERSATURATION", charge)
    perler = load_builtin("perler")
    photo = photo_from_array(arr)
    options = ConvertOptions(width=64, max_colors=16, detail="average")
    grid = convert_photo(photo, perler, options).pattern.grid
    w, h, crop = resolve_size(photo, options)
    ref = linear_to_lab(cell_colors(photo, w, h, crop)[0].astype(np.float64))
    got = perler.lab[grid]
    over = np.hypot(got[..., 1], got[..., 2]) - np.hypot(ref[..., 1], ref[..., 2])
    return float(ciede2000(ref, got).mean()), float((over > 15).mean()), {perler[i].name for i in np.unique(grid)}


@pytest.mark.parametrize("photo,vivid", [("rocket", "Dark Blue"), ("retina", "Tangerine")])
def test_the_budget_no_longer_buys_a_vivid_colour_for_muted_areas(photo: str, vivid: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    arr = getattr(skimage_data, photo)()
    charge = budget.OVERSATURATION
    plain_de, plain_over, plain_colours = _made(arr, 0.0, monkeypatch)
    de, over, colours = _made(arr, charge, monkeypatch)
    assert vivid in plain_colours and vivid not in colours  # the patch the report saw, and its end
    assert over < plain_over * 0.7
    assert de <= plain_de * 1.005  # the error lead is kept
