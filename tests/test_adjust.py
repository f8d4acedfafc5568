"""Brightness, contrast and saturation before colour matching: the maths, the CLI and the panel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixlcraft.adjust import adjust_linear
from pixlcraft.color import linear_to_lab, srgb_to_linear
from pixlcraft.convert import ConvertOptions, convert_photo
from pixlcraft.errors import InputError
from pixlcraft.imageio import load_photo
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import load_pixl

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.jpg"


def _lab(linear):
    return linear_to_lab(np.asarray(linear, np.float64))


def test_each_slider_does_what_it_says() -> None:
    colours = srgb_to_linear(np.array([[0.2, 0.4, 0.6], [0.7, 0.3, 0.2], [0.5, 0.5, 0.5]])).astype(np.float32)
    assert adjust_linear(colours) is colours  # neutral: untouched
    base = _lab(colours)
    brighter = _lab(adjust_linear(colours, brightness=0.3))
    assert (brighter[:, 0] > base[:, 0] + 5).all()
    flat = _lab(adjust_linear(colours, contrast=-1.0))
    assert np.allclose(flat[:, 0], flat[0, 0], atol=0.01) and np.abs(flat[:, 1:]).max() < 0.5  # mid-grey
    chroma = np.hypot(base[:, 1], base[:, 2])
    vivid = _lab(adjust_linear(colours, saturation=0.6))
    assert (np.hypot(vivid[:2, 1], vivid[:2, 2]) > chroma[:2] * 1.3).all() and abs(vivid[2, 1]) < 0.5
    grey = _lab(adjust_linear(colours, saturation=-1.0))
    assert np.abs(grey[:, 1:]).max() < 0.5


def test_the_converter_and_cli_apply_and_check_them(tmp_path: Path, capsys) -> None:
    from pixlcraft.cli import main

    dmc = load_builtin("dmc")
    photo = load_photo(SAMPLE)
    plain = convert_photo(photo, dmc, ConvertOptions(width=30)).pattern
    bright = convert_photo(photo, dmc, ConvertOptions(width=30, brightness=0.4)).pattern
    assert _lab(srgb_to_linear(bright.rgb_image() / 255.0))[..., 0].mean() > \
        _lab(srgb_to_linear(plain.rgb_image() / 255.0))[..., 0].mean() + 8
    with pytest.raises(InputError, match="between -100 and 100"):
        convert_photo(photo, dmc, ConvertOptions(width=30, contrast=1.5))
    assert main(["convert", str(SAMPLE), "--width", "30", "--saturation", "-100", "-o", str(tmp_path / "g.pixl")]) == 0
    grey = load_pixl(tmp_path / "g.pixl")
    lab = _lab(srgb_to_linear(grey.palette.rgb[grey.used_indices()] / 255.0))
    assert np.hypot(lab[:, 1], lab[:, 2]).mean() < 8  # only near-grey threads
    assert main(["convert", str(SAMPLE), "--brightness", "150", "-o", str(tmp_path / "x.pixl")]) == 2
    assert "between -100 and 100" in capsys.readouterr().err


def test_the_sliders_re_make_the_preview(qtbot, main_window, tmp_path: Path) -> None:
    window = main_window
    panel = window.source_panel
    panel.width_cells.setValue(30)
    window.open_path(SAMPLE)
    qtbot.waitUntil(lambda: window.document.is_open and not window.jobs.busy, timeout=30000)
    before = window.document.pattern
    panel.adjust_sliders["brightness"].setValue(50)
    qtbot.waitUntil(lambda: window.document.pattern is not before and not window.jobs.busy, timeout=30000)
    assert window.document.pattern.metadata["recipe"]["adjust"][0] == pytest.approx(0.5)
    other = tmp_path / "other.png"
    from PIL import Image

    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(other)
    window.open_path(other)
    qtbot.waitUntil(lambda: not window.jobs.busy and window.source_panel.photo_path == str(other), timeout=30000)
    assert panel.adjust_sliders["brightness"].value() == 0  # a new photo starts unadjusted
    window.close()
