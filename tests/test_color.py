"""Colour conversions and CIEDE2000 against published reference data and an independent implementation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixlcraft import color

SHARMA = Path(__file__).parent / "data" / "ciede2000_sharma.tsv"


def _sharma() -> np.ndarray:
    rows = []
    with SHARMA.open(encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or line.startswith("pair") or not line.strip():
                continue
            rows.append([float(v) for v in line.split("\t")])
    table = np.array(rows)
    assert table.shape == (34, 8)
    return table


def _random_labs(rng: np.random.Generator, n: int, spread: float = 128.0) -> np.ndarray:
    return np.column_stack(
        [rng.uniform(-10, 110, n), rng.uniform(-spread, spread, n), rng.uniform(-spread, spread, n)]
    )


# --- CIEDE2000 ---------------------------------------------------------------------------------------------


def test_sharma_reference_pairs():
    t = _sharma()
    de = color.ciede2000(t[:, 1:4], t[:, 4:7])
    np.testing.assert_allclose(de, t[:, 7], atol=1e-4, rtol=0)


def test_sharma_pairs_through_every_entry_point():
    t = _sharma()
    scalar = np.array([color.ciede2000_scalar(*row[1:7]) for row in t])
    pairwise = np.diag(color.ciede2000_pairwise(t[:, 1:4], t[:, 4:7]))
    vector = color.ciede2000(t[:, 1:4], t[:, 4:7])
    # One formula: the same bits whichever way it is called.
    np.testing.assert_array_equal(scalar, vector)
    np.testing.assert_array_equal(pairwise, vector)
    np.testing.assert_allclose(scalar, t[:, 7], atol=1e-4, rtol=0)


def test_symmetry_and_identity():
    rng = np.random.default_rng(1)
    a, b = _random_labs(rng, 2000), _random_labs(rng, 2000)
    np.testing.assert_allclose(color.ciede2000(a, b), color.ciede2000(b, a), rtol=1e-12, atol=0)
    t = _sharma()
    np.testing.assert_allclose(color.ciede2000(t[:, 4:7], t[:, 1:4]), t[:, 7], atol=1e-4, rtol=0)
    assert np.all(color.ciede2000(a, a) == 0.0)
    assert np.all(color.ciede2000(a, b) > 0.0)


def test_neutral_colours_and_signed_zeros():
    # A neutral colour has hue 0 however its zero chroma is spelled (atan2(-0, -0) would say 180°).
    other = np.array([[60.0, 12.0, -30.0], [40.0, -5.0, 7.0], [50.0, 0.0, 3.0]])
    for zero in ([50.0, 0.0, 0.0], [50.0, -0.0, -0.0], [50.0, 0.0, -0.0], [50.0, -0.0, 0.0]):
        np.testing.assert_array_equal(
            color.ciede2000(np.array(zero), other), color.ciede2000(np.array([50.0, 0.0, 0.0]), other)
        )


def test_broadcasting_and_pairwise_agree():
    rng = np.random.default_rng(2)
    a, b = _random_labs(rng, 7), _random_labs(rng, 5)
    grid = color.ciede2000(a[:, None, :], b[None, :, :])
    assert grid.shape == (7, 5)
    np.testing.assert_array_equal(grid, color.ciede2000_pairwise(a, b))
    one = color.ciede2000(a[3], b)
    assert one.shape == (5,)
    np.testing.assert_array_equal(one, grid[3])
    assert color.ciede2000(a[0], b[0]).shape == ()


def test_matches_skimage_ciede2000():
    skcolor = pytest.importorskip("skimage.color")
    rng = np.random.default_rng(3)
    a, b = _random_labs(rng, 3000, spread=200.0), _random_labs(rng, 3000, spread=200.0)
    a[:300, 1:] = 0.0  # neutral colours exercise the zero-chroma rules
    b[150:450, 1] = 0.0  # hue exactly ±90°
    np.testing.assert_allclose(color.ciede2000(a, b), skcolor.deltaE_ciede2000(a, b), rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        color.ciede2000(a, b, kL=2.0, kC=1.5, kH=0.7),
        skcolor.deltaE_ciede2000(a, b, kL=2.0, kC=1.5, kH=0.7),
        rtol=0,
        atol=1e-9,
    )


def test_weights_scale_their_own_term():
    # Pure lightness difference: ΔE00 = |ΔL|/(kL·S_L), so doubling kL halves it, and kC, kH do nothing.
    a, b = np.array([30.0, 0.0, 0.0]), np.array([70.0, 0.0, 0.0])
    base = color.ciede2000(a, b)
    assert color.ciede2000(a, b, kL=2.0) == pytest.approx(base / 2, rel=1e-14)
    assert color.ciede2000(a, b, kC=3.0, kH=5.0) == base


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError):
        color.ciede2000(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError):
        color.ciede2000_pairwise(np.zeros((2, 2, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError):
        color.srgb_to_lab(np.zeros(4))


# --- conversions --------------------------------------------------------------------------------------------


def test_white_black_and_primaries():
    lab = color.srgb_to_lab(np.array([[1.0, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]]))
    np.testing.assert_allclose(lab[0], [100.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-12)
    # Published sRGB primaries in CIELAB (D65, 2°), e.g. Lindbloom's calculator. The tables use the ASTM
    # E308 white (0.95047, 1, 1.08883) instead of the white of the sRGB chromaticities, which moves the
    # third decimal, hence 0.01.
    np.testing.assert_allclose(lab[2], [53.2408, 80.0925, 67.2032], atol=0.01)
    np.testing.assert_allclose(lab[3], [87.7347, -86.1827, 83.1793], atol=0.01)
    np.testing.assert_allclose(lab[4], [32.2970, 79.1875, -107.8602], atol=0.01)


def test_matrix_matches_standard_table():
    # IEC 61966-2-1 prints this matrix rounded to four decimals; ours is the unrounded original.
    table = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    np.testing.assert_allclose(color.SRGB_TO_XYZ, table, atol=6e-5)
    np.testing.assert_allclose(color.SRGB_TO_XYZ @ color.XYZ_TO_SRGB, np.eye(3), atol=1e-15)
    np.testing.assert_allclose(color.linear_to_xyz([1.0, 1.0, 1.0])[1], 1.0, rtol=1e-15)


def test_transfer_function_values():
    x = np.array([0.0, 0.04045, 0.5, 1.0, 0.02, 0.8])
    power = ((x + 0.055) / 1.055) ** 2.4
    expected = np.array([0.0, 0.04045 / 12.92, power[2], 1.0, 0.02 / 12.92, power[5]])
    np.testing.assert_allclose(color.srgb_to_linear(x), expected, rtol=1e-15, atol=0)
    # The standard's two thresholds (0.04045 and 0.0031308) do not quite meet: values just below 0.04045
    # come back through the other branch, 3e-8 off. Everywhere else the round trip is exact to rounding.
    np.testing.assert_allclose(color.linear_to_srgb(expected), x, rtol=0, atol=5e-8)
    away = np.abs(x - 0.04045) > 1e-6
    np.testing.assert_allclose(color.linear_to_srgb(expected[away]), x[away], rtol=1e-12, atol=1e-15)
    # The 8-bit code 128 decodes to 0.2158605… (widely tabulated).
    assert color.srgb8_to_linear(np.array([128, 128, 128], dtype=np.uint8))[0] == pytest.approx(0.21586050, abs=1e-8)


def test_round_trips():
    rng = np.random.default_rng(4)
    rgb = rng.random((5000, 3))
    rgb[:8] = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T  # cube corners
    np.testing.assert_allclose(color.lab_to_srgb(color.srgb_to_lab(rgb)), rgb, atol=1e-12, rtol=0)
    np.testing.assert_allclose(color.linear_to_srgb(color.srgb_to_linear(rgb)), rgb, atol=1e-14, rtol=0)
    np.testing.assert_allclose(color.xyz_to_linear(color.linear_to_xyz(rgb)), rgb, atol=1e-14, rtol=0)
    lab = _random_labs(rng, 5000)
    np.testing.assert_allclose(color.xyz_to_lab(color.lab_to_xyz(lab)), lab, atol=1e-9, rtol=0)
    np.testing.assert_allclose(color.linear_to_lab(color.lab_to_linear(lab)), lab, atol=1e-9, rtol=0)
    codes = np.arange(256, dtype=np.uint8)
    u8 = np.stack([codes, codes[::-1], np.roll(codes, 7)], axis=-1)
    np.testing.assert_array_equal(color.linear_to_srgb8(color.srgb8_to_linear(u8)), u8)


def test_shapes_are_kept():
    img = np.random.default_rng(5).random((4, 6, 3))
    assert color.srgb_to_lab(img).shape == (4, 6, 3)
    assert color.srgb8_to_lab((img * 255).astype(np.uint8)).shape == (4, 6, 3)
    assert color.linear_to_srgb8(img).dtype == np.uint8


def test_srgb8_to_lab_matches_float_path():
    u8 = np.random.default_rng(6).integers(0, 256, (1000, 3)).astype(np.uint8)
    np.testing.assert_allclose(color.srgb8_to_lab(u8), color.srgb_to_lab(u8 / 255.0), atol=1e-12, rtol=0)
    np.testing.assert_array_equal(color.srgb8_to_lab(u8.astype(np.int64)), color.srgb8_to_lab(u8))
    with pytest.raises(ValueError):
        color.srgb8_to_lab(np.array([[0, 256, 3]]))
    with pytest.raises(ValueError):
        color.srgb8_to_lab(np.array([[0.5, 0.2, 0.1]]))


def test_linear_to_srgb8_rounds_and_clips():
    x = np.array([[-0.5, 0.0, 2.0], [1.0, color.srgb_to_linear(127.4 / 255), color.srgb_to_linear(127.6 / 255)]])
    np.testing.assert_array_equal(color.linear_to_srgb8(x), [[0, 0, 255], [255, 127, 128]])


def test_lab_to_srgb_clip():
    out_of_gamut = np.array([[50.0, 120.0, -120.0], [95.0, -90.0, 90.0], [100.0, 0.0, 0.0]])
    raw = color.lab_to_srgb(out_of_gamut)
    assert (raw < 0).any() or (raw > 1).any()
    clipped = color.lab_to_srgb(out_of_gamut, clip=True)
    assert clipped.min() >= 0.0 and clipped.max() <= 1.0
    np.testing.assert_allclose(clipped, np.clip(raw, 0.0, 1.0), atol=1e-15)
    np.testing.assert_allclose(clipped[2], [1.0, 1.0, 1.0], atol=1e-12)


def test_matches_skimage_conversions():
    skcolor = pytest.importorskip("skimage.color")
    rng = np.random.default_rng(7)
    rgb = rng.random((3000, 3))
    # End to end: skimage uses the ASTM D65 white, 0.2 % away from the white of the sRGB chromaticities.
    np.testing.assert_allclose(color.srgb_to_lab(rgb), skcolor.rgb2lab(rgb), atol=0.02, rtol=0)
    assert color.ciede2000(color.srgb_to_lab(rgb), skcolor.rgb2lab(rgb)).max() < 0.01
    # The Lab formula itself, with the white convention factored out, agrees to rounding.
    xyz = color.linear_to_xyz(color.srgb_to_linear(rgb))
    sk_white = skcolor.xyz_tristimulus_values(illuminant="D65", observer="2")
    sk_lab = skcolor.xyz2lab(xyz / color.REFERENCE_WHITE_XYZ * sk_white)
    # skimage writes the dark-end constants as decimals (0.008856, 7.787); we use the exact 216/24389 and
    # 24389/27·1/116, so only colours whose X, Y and Z all sit above the threshold compare to rounding.
    bright = (xyz / color.REFERENCE_WHITE_XYZ > 0.00886).all(axis=-1)
    assert 1000 < bright.sum() < len(rgb)
    np.testing.assert_allclose(color.xyz_to_lab(xyz[bright]), sk_lab[bright], atol=1e-10, rtol=0)
    np.testing.assert_allclose(color.xyz_to_lab(xyz[~bright]), sk_lab[~bright], atol=5e-4, rtol=0)
    back = skcolor.lab2xyz(sk_lab[bright]) / sk_white * color.REFERENCE_WHITE_XYZ
    np.testing.assert_allclose(color.lab_to_xyz(sk_lab[bright]), back, atol=1e-12, rtol=0)


def test_lightness_alone_is_the_first_channel_of_lab() -> None:
    rng = np.random.default_rng(5)
    linear = rng.random((40, 30, 3))
    np.testing.assert_allclose(color.linear_to_lightness(linear), color.linear_to_lab(linear)[..., 0], atol=1e-9)
    small = color.linear_to_lightness(linear.astype(np.float32))
    assert small.dtype == np.float32
    np.testing.assert_allclose(small, color.linear_to_lab(linear)[..., 0], atol=1e-3)
