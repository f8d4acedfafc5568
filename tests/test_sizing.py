"""Target sizes: rounding, defaults, limits and crops, checked against brute force where it applies."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pixlcraft.errors import InputError
from pixlcraft.sizing import (
    DEFAULT_LONG_SIDE,
    MAX_CELLS,
    Crop,
    cells_from_physical,
    crop_to_aspect,
    parse_crop,
    target_cells,
)


def test_both_given_is_exact_whatever_the_picture() -> None:
    assert target_cells(640, 480, 30, 90) == (30, 90)
    size = target_cells(10, 4000, width=7, height=3)
    assert (size.width, size.height) == (7, 3)


@pytest.mark.parametrize("w_px,h_px", [(640, 480), (480, 640), (451, 300), (1000, 1), (3, 997), (512, 512)])
def test_one_side_follows_aspect_rounded_half_up(w_px: int, h_px: int) -> None:
    for width in (1, 2, 7, 33, 80, 150):
        exact = width * h_px / w_px
        if math.floor(exact + 0.5) > MAX_CELLS:
            with pytest.raises(InputError, match="height"):
                target_cells(w_px, h_px, width=width)
            continue
        got_w, got_h = target_cells(w_px, h_px, width=width)
        assert got_w == width
        assert got_h == max(1, math.floor(exact + 0.5))
        assert abs(got_h - exact) <= 0.5 or got_h == 1
    for height in (1, 5, 64):
        exact = height * w_px / h_px
        if math.floor(exact + 0.5) > MAX_CELLS:
            with pytest.raises(InputError, match="width"):
                target_cells(w_px, h_px, height=height)
            continue
        got_w, got_h = target_cells(w_px, h_px, height=height)
        assert got_h == height
        assert got_w == max(1, math.floor(exact + 0.5))


def test_half_rounds_up_not_to_even() -> None:
    # 5 cells across a 2:1 picture is 2.5 cells down: 3, where Python's round() would give 2
    assert target_cells(200, 100, width=5) == (5, 3)
    assert target_cells(200, 100, width=3) == (3, 2)  # 1.5 → 2


def test_default_size() -> None:
    assert target_cells(640, 480) == (DEFAULT_LONG_SIDE, 60)
    assert target_cells(480, 640) == (60, DEFAULT_LONG_SIDE)
    assert target_cells(4000, 4000) == (DEFAULT_LONG_SIDE, DEFAULT_LONG_SIDE)
    # a small sprite keeps one cell per pixel instead of being blown up
    assert target_cells(32, 16) == (32, 16)


def test_keep_aspect_false_gives_square_grid() -> None:
    assert target_cells(640, 480, width=50, keep_aspect=False) == (50, 50)
    assert target_cells(640, 480, height=20, keep_aspect=False) == (20, 20)
    assert target_cells(640, 480, keep_aspect=False) == (DEFAULT_LONG_SIDE, DEFAULT_LONG_SIDE)
    assert target_cells(640, 480, 30, 40, keep_aspect=False) == (30, 40)


def test_crop_sets_the_aspect() -> None:
    crop = Crop(100, 0, 300, 400)  # a 200×400 box of a wide picture
    assert target_cells(1000, 400, width=50, crop=crop) == (50, 100)
    assert target_cells(1000, 400, crop=crop) == (40, 80)
    with pytest.raises(InputError, match="outside the 1000×400 picture"):
        target_cells(1000, 400, width=50, crop=Crop(900, 0, 1001, 10))


@pytest.mark.parametrize("bad", [0, -3, MAX_CELLS + 1, 12.5, float("nan"), float("inf"), "60", True])
def test_bad_sizes_refused(bad: object) -> None:
    with pytest.raises(InputError) as info:
        target_cells(640, 480, width=bad)  # type: ignore[arg-type]
    assert "width" in str(info.value)
    with pytest.raises(InputError, match="height"):
        target_cells(640, 480, height=bad)  # type: ignore[arg-type]


def test_integral_numbers_of_other_types_accepted() -> None:
    assert target_cells(640, 480, width=np.int64(40)) == (40, 30)
    assert target_cells(640, 480, width=40.0) == (40, 30)
    assert target_cells(640, 480, width=MAX_CELLS, height=MAX_CELLS) == (MAX_CELLS, MAX_CELLS)


def test_derived_side_over_limit_refused_with_advice() -> None:
    with pytest.raises(InputError) as info:
        target_cells(100, 300, width=500)  # 1500 cells down
    message = str(info.value)
    assert "1500" in message and str(MAX_CELLS) in message and "smaller width" in message


@pytest.mark.parametrize("w_px,h_px", [(0, 10), (10, -1), (2.5, 10)])
def test_bad_image_size_refused(w_px: object, h_px: object) -> None:
    with pytest.raises(InputError):
        target_cells(w_px, h_px, width=10)  # type: ignore[arg-type]


def test_cells_from_physical() -> None:
    aida14 = 25.4 / 14
    assert cells_from_physical(200, aida14) == 110  # 200 mm / 1.814 mm = 110.2
    assert cells_from_physical(290, 5.0) == 58  # 29 cm of 5 mm beads
    assert cells_from_physical(12.5, 5.0) == 3  # 2.5 rounds up
    assert cells_from_physical(1, 8.0) == 1  # never 0 cells
    for size in np.linspace(1, 500, 37):
        n = cells_from_physical(float(size), aida14)
        assert abs(n * aida14 - size) <= aida14 / 2 + 1e-9 or n == 1
    with pytest.raises(InputError, match="most is 1000"):
        cells_from_physical(10_000, 5.0)
    for bad in ((0, 5.0), (-1, 5.0), (100, 0), (100, float("nan")), ("10", 5.0)):
        with pytest.raises(InputError):
            cells_from_physical(*bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("w_px,h_px", [(640, 480), (480, 640), (1000, 10), (10, 1000), (7, 7)])
@pytest.mark.parametrize("aspect", [1.0, 4 / 3, 3 / 4, 2.5, 0.1, 16 / 9])
def test_crop_to_aspect_is_the_largest_centred_box(w_px: int, h_px: int, aspect: float) -> None:
    crop = crop_to_aspect(w_px, h_px, aspect)
    crop.check_inside(w_px, h_px)
    # one side is the whole picture
    assert (crop.width == w_px) or (crop.height == h_px)
    # centred to within a pixel
    assert abs(crop.left - (w_px - crop.right)) <= 1 and abs(crop.top - (h_px - crop.bottom)) <= 1
    # the aspect is the closest a whole-pixel box of that full side can get
    if crop.height == h_px and crop.width < w_px:
        best = min(range(1, w_px + 1), key=lambda cw: abs(cw / h_px - aspect))
        assert abs(crop.width - best) <= 1
    elif crop.width == w_px and crop.height < h_px:
        best = min(range(1, h_px + 1), key=lambda ch: abs(w_px / ch - aspect))
        assert abs(crop.height - best) <= 1


def test_crop_to_aspect_examples_and_refusals() -> None:
    assert crop_to_aspect(640, 480, 1.0) == Crop(80, 0, 560, 480)
    assert crop_to_aspect(480, 640, 1.0) == Crop(0, 80, 480, 560)
    assert crop_to_aspect(640, 480, 640 / 480) == Crop(0, 0, 640, 480)
    for bad in (0, -1.0, float("nan"), "wide"):
        with pytest.raises(InputError):
            crop_to_aspect(640, 480, bad)  # type: ignore[arg-type]


def test_parse_crop() -> None:
    crop = parse_crop("10,20,300,200")
    assert crop == Crop(10, 20, 310, 220)
    assert (crop.width, crop.height) == (300, 200)
    assert parse_crop(" 0 , 0 , 5 , 6 ") == Crop(0, 0, 5, 6)
    assert crop.text() == "10,20,300,200"
    for bad in ("10,20,300", "a,b,c,d", "1.5,0,3,3", "0,0,0,5", "0,0,5,-1", "-1,0,5,5", "", "1,2,3,4,5"):
        with pytest.raises(InputError) as info:
            parse_crop(bad)
        assert "crop" in str(info.value)


def test_crop_validation() -> None:
    with pytest.raises(InputError):
        Crop(5, 0, 5, 10)
    with pytest.raises(InputError):
        Crop(0, 0, 10, 10.5)  # type: ignore[arg-type]
    with pytest.raises(InputError):
        Crop(-1, 0, 10, 10)
    assert Crop(np.int64(1), 2, 3, 4).left == 1
    with pytest.raises(AttributeError):
        Crop(0, 0, 1, 1).left = 3  # type: ignore[misc]
