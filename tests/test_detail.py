"""Thin lines survive and flat graphics keep their colours (issue 13, part 2), without costing photos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from pixlcraft.color import ciede2000, srgb8_to_lab
from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size
from pixlcraft.detail import flat_colours
from pixlcraft.errors import InputError
from pixlcraft.imageio import load_photo, photo_from_array
from pixlcraft.palette import load_builtin
from pixlcraft.quality import error_to_average

SAMPLES = sorted(Path(__file__).resolve().parents[1].glob("resources/samples/*.jpg"))
PPC = 10  # photo pixels per cell


def line_art(seed: int, thickness: int, ink=(0, 0, 0), ground=(255, 255, 255), cells=(60, 45)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w, h = cells[0] * PPC, cells[1] * PPC
    img = np.empty((h, w, 3), np.uint8)
    img[:] = ground
    for _ in range(12):
        a = tuple(int(v) for v in rng.integers(0, [w, h]))
        b = tuple(int(v) for v in rng.integers(0, [w, h]))
        cv2.line(img, a, b, ink, thickness, cv2.LINE_AA)
    return img


def crossed_share_kept(img: np.ndarray, palette: str, detail: str, ink, ground) -> float:
    """Of the cells a line crosses, the share whose colour is nearer the ink than the ground (in L*)."""
    pal = load_builtin(palette)
    made = convert_photo(photo_from_array(img), pal, ConvertOptions(width=img.shape[1] // PPC, detail=detail))
    ink_l, ground_l = srgb8_to_lab(np.array([ink, ground], np.uint8))[:, 0]
    inked = (np.abs(img.astype(int) - ground).sum(-1) > np.abs(img.astype(int) - ink).sum(-1)).astype(np.float32)
    crossed = cv2.resize(inked, (img.shape[1] // PPC, img.shape[0] // PPC), interpolation=cv2.INTER_AREA) > 0
    lightness = pal.lab[made.pattern.grid][..., 0]
    return float((np.abs(lightness - ink_l) < np.abs(lightness - ground_l))[crossed].mean())


@pytest.mark.parametrize("thickness", [2, 3])
@pytest.mark.parametrize("ink,ground", [((0, 0, 0), (255, 255, 255)), ((200, 30, 30), (255, 255, 255)),
                                        ((255, 255, 255), (20, 20, 60))])
def test_lines_across_cells_keep_their_colour(thickness: int, ink, ground) -> None:
    for seed in (0, 1):
        img = line_art(seed, thickness, ink, ground)
        kept = crossed_share_kept(img, "dmc", "auto", ink, ground)
        averaged = crossed_share_kept(img, "dmc", "average", ink, ground)
        assert kept >= 0.8 and kept > averaged
        if ink != (255, 255, 255):  # (light lines already hold up in a linear-light average)
            assert averaged <= 0.1  # what averaging did to dark ones


@pytest.mark.parametrize("palette,width", [("dmc", 120), ("perler", 64)])
def test_photos_stay_within_three_percent_of_the_plain_average(palette: str, width: int) -> None:
    pal = load_builtin(palette)
    for path in SAMPLES:
        photo = load_photo(path)
        errors = {}
        for detail in ("average", "auto"):
            options = ConvertOptions(width=width, detail=detail, max_colors=32)
            grid = convert_photo(photo, pal, options).pattern.grid
            w, h, crop = resolve_size(photo, options)
            errors[detail] = error_to_average(grid, pal, cell_colors(photo, w, h, crop)[0])
        assert errors["auto"] <= errors["average"] * 1.03, (path.name, errors)
        assert flat_colours(photo.linear()) is None  # a photograph is never taken for flat graphics


def _logo(with_alpha: bool = False) -> np.ndarray:
    """A four-colour badge with anti-aliased edges, 12 pixels a cell at 40 cells wide."""
    img = np.zeros((360, 480, 3), np.uint8)
    img[:] = (250, 250, 245)
    cv2.circle(img, (240, 180), 150, (20, 60, 160), -1, cv2.LINE_AA)
    cv2.circle(img, (240, 180), 90, (240, 200, 30), -1, cv2.LINE_AA)
    cv2.rectangle(img, (180, 150), (300, 210), (200, 30, 40), -1, cv2.LINE_AA)
    if not with_alpha:
        return img
    alpha = np.zeros((360, 480), np.uint8)
    cv2.circle(alpha, (240, 180), 150, 255, -1, cv2.LINE_AA)
    return np.dstack([img, alpha])


def test_a_flat_graphic_keeps_only_its_own_colours() -> None:
    dmc = load_builtin("dmc")
    logo = _logo()
    own = srgb8_to_lab(np.array([(250, 250, 245), (20, 60, 160), (240, 200, 30), (200, 30, 40)], np.uint8))
    allowed = {int(np.argmin(ciede2000(c[None], dmc.lab))) for c in own}  # each colour's own thread
    auto = convert_photo(photo_from_array(logo), dmc, ConvertOptions(width=40)).pattern
    plain = convert_photo(photo_from_array(logo), dmc, ConvertOptions(width=40, detail="average")).pattern
    assert set(np.unique(auto.grid).tolist()) == allowed
    assert len(set(np.unique(plain.grid).tolist()) - allowed) >= 3  # blends along every edge
    assert auto.metadata["recipe"]["detail"] == "auto"


def test_a_sprite_with_transparency_is_judged_on_its_opaque_pixels() -> None:
    dmc = load_builtin("dmc")
    sprite = _logo(with_alpha=True)
    made = convert_photo(photo_from_array(sprite), dmc, ConvertOptions(width=40, alpha="empty")).pattern
    used = set(np.unique(made.grid[made.grid >= 0]).tolist())
    own = srgb8_to_lab(np.array([(20, 60, 160), (240, 200, 30), (200, 30, 40)], np.uint8))
    assert used == {int(np.argmin(ciede2000(c[None], dmc.lab))) for c in own}


def test_detail_is_an_option_of_the_command_line_and_checked(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="detail"):
        ConvertOptions(width=10, detail="sharp").validate()  # type: ignore[arg-type]
    img = line_art(0, 2)
    cv2.imwrite(str(tmp_path / "lines.png"), img)
    for detail in ("auto", "average"):
        run = subprocess.run([sys.executable, "-m", "pixlcraft.cli", "convert", str(tmp_path / "lines.png"),
                              "--palette", "dmc", "--width", "60", "--detail", detail, "-o",
                              str(tmp_path / f"{detail}.png")], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    dark = {d: (cv2.imread(str(tmp_path / f"{d}.png")).max(-1) < 128).sum() for d in ("auto", "average")}
    assert dark["auto"] > 100 and dark["average"] == 0


@pytest.mark.parametrize("name", ["camera", "coins"])
def test_grey_photos_and_scans_are_not_taken_for_flat_graphics(name: str) -> None:
    """A grey picture's tones fall into a few dozen bins, which once made it look like a flat graphic and
    posterised it (47 % more per-cell error on the cameraman)."""
    data = pytest.importorskip("skimage.data")
    photo = photo_from_array(getattr(data, name)())
    assert flat_colours(photo.linear()) is None
    dmc = load_builtin("dmc")
    errors = {}
    for detail in ("average", "auto"):
        options = ConvertOptions(width=64, detail=detail)
        grid = convert_photo(photo, dmc, options).pattern.grid
        w, h, crop = resolve_size(photo, options)
        errors[detail] = error_to_average(grid, dmc, cell_colors(photo, w, h, crop)[0])
    assert errors["auto"] <= errors["average"] * 1.03, errors


def test_a_logo_saved_as_jpeg_is_still_a_flat_graphic() -> None:
    ok, data = cv2.imencode(".jpg", _logo()[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    photo = photo_from_array(cv2.imdecode(data, cv2.IMREAD_COLOR)[..., ::-1].copy())
    flat = flat_colours(photo.linear())
    assert flat is not None and len(flat) <= 16


def test_the_detail_analysis_is_done_once_per_photo_and_size() -> None:
    """Re-making a pattern with other colour settings (the live preview) reuses the cells' detail analysis."""
    img = line_art(3, 2)
    photo = photo_from_array(img)
    dmc = load_builtin("dmc")
    first = convert_photo(photo, dmc, ConvertOptions(width=60, max_colors=12, brightness=0.2)).pattern.grid
    assert len(photo.derived) == 1
    kept = next(iter(photo.derived.values())).copy()
    again = convert_photo(photo, dmc, ConvertOptions(width=60, max_colors=12, brightness=0.2)).pattern.grid
    assert np.array_equal(first, again) and np.array_equal(next(iter(photo.derived.values())), kept)
    fresh = convert_photo(photo_from_array(img), dmc, ConvertOptions(width=60, max_colors=12, brightness=0.2))
    assert np.array_equal(fresh.pattern.grid, first)
    convert_photo(photo, dmc, ConvertOptions(width=40))
    assert len(photo.derived) == 1  # only the latest size is kept
