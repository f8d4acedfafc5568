"""ControlNet conditions: Canny edges as the official preprocessing computes them, DPT depth in [0, 1]."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFilter

from pixlcraft.errors import InputError
from pixlcraft.sdpixl.conditions import (
    canny_edges,
    control_image_from_edges,
    depth_control_image,
    estimate_depth,
)


def _square(h: int = 64, w: int = 80, top: int = 20, left: int = 30, size: int = 24) -> np.ndarray:
    img = np.full((h, w, 3), (20, 40, 60), np.uint8)
    img[top : top + size, left : left + size] = (230, 200, 90)
    return img


def test_canny_without_blur_is_opencv_canny_and_traces_the_square():
    img = _square()
    edges = canny_edges(img, blur_radius=0)
    assert edges.shape == img.shape[:2] and edges.dtype == np.uint8
    np.testing.assert_array_equal(edges, cv2.Canny(img, 100, 200))

    ys, xs = np.nonzero(edges)
    assert set(np.unique(edges)) == {0, 255}
    # Every edge pixel hugs the square's border (within one pixel), and all four sides are found.
    on_border = (
        (np.abs(ys - 20) <= 1) | (np.abs(ys - 43) <= 1) | (np.abs(xs - 30) <= 1) | (np.abs(xs - 53) <= 1)
    )
    inside_box = (ys >= 19) & (ys <= 44) & (xs >= 29) & (xs <= 54)
    assert np.all(on_border & inside_box)
    for rows, cols in ((slice(19, 22), slice(32, 52)), (slice(42, 45), slice(32, 52)),
                       (slice(22, 42), slice(29, 32)), (slice(22, 42), slice(52, 55))):
        assert edges[rows, cols].any()


def test_canny_default_blurs_like_the_official_code():
    rng = np.random.default_rng(3)
    img = np.clip(_square().astype(int) + rng.integers(-40, 41, (64, 80, 3)), 0, 255).astype(np.uint8)
    blurred = np.asarray(Image.fromarray(img).filter(ImageFilter.GaussianBlur(radius=1)))
    np.testing.assert_array_equal(canny_edges(img), cv2.Canny(blurred, 100, 200))
    # The blur is what keeps pixel noise out of the edge map.
    assert np.count_nonzero(canny_edges(img)) < np.count_nonzero(canny_edges(img, blur_radius=0))


def test_canny_rejects_what_is_not_an_rgb_photo():
    with pytest.raises(InputError, match="H×W×3"):
        canny_edges(np.zeros((8, 8), np.uint8))
    with pytest.raises(InputError, match="uint8"):
        canny_edges(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(InputError, match="low"):
        canny_edges(np.zeros((8, 8, 3), np.uint8), low=200, high=100)


def test_edge_control_image_is_three_equal_channels_in_unit_range():
    torch = pytest.importorskip("torch")
    edges = canny_edges(_square(), blur_radius=0)
    control = control_image_from_edges(edges)
    assert control.shape == (1, 3, 64, 80) and control.dtype == torch.float32
    np.testing.assert_array_equal(control[0, 0].numpy(), edges / 255.0)
    assert torch.equal(control[0, 0], control[0, 1]) and torch.equal(control[0, 1], control[0, 2])

    resized = control_image_from_edges(edges, (128, 160), dtype=torch.float16)
    assert resized.shape == (1, 3, 128, 160) and resized.dtype == torch.float16
    assert 0.0 <= float(resized.min()) and float(resized.max()) <= 1.0
    with pytest.raises(InputError):
        control_image_from_edges(np.zeros((4, 4, 3), np.uint8))


@pytest.fixture(scope="module")
def tiny_depth(tiny_models):
    from pixlcraft.model_loading import load_depth

    return load_depth(str(tiny_models.depth))


def test_depth_is_normalised_to_unit_range_at_the_asked_size(tiny_depth):
    model, processor = tiny_depth
    img = _square()
    depth = estimate_depth(img, model, processor, size=(48, 72))
    assert depth.shape == (48, 72) and depth.dtype == np.float32
    assert depth.min() == 0.0 and depth.max() == pytest.approx(1.0, abs=1e-6)
    assert np.unique(depth).size > 10
    np.testing.assert_array_equal(depth, estimate_depth(img, model, processor, size=(48, 72)))
    assert estimate_depth(img, model, processor).shape == img.shape[:2]


def test_depth_follows_the_model_prediction(tiny_depth):
    """The map is the model's bicubically resized prediction, min–max normalised (checked independently)."""
    torch = pytest.importorskip("torch")
    model, processor = tiny_depth
    img = _square()
    inputs = processor(images=Image.fromarray(img), return_tensors="pt")
    with torch.no_grad():
        raw = model(**inputs).predicted_depth[0].numpy()
    depth = estimate_depth(img, model, processor, size=raw.shape)  # same size: no resampling
    np.testing.assert_allclose(depth, (raw - raw.min()) / (raw.max() - raw.min()), atol=1e-5)


def test_depth_control_image_is_eight_bit_grey(tiny_depth):
    model, processor = tiny_depth
    depth = estimate_depth(_square(), model, processor, size=(64, 80))
    control = depth_control_image(depth)
    assert control.shape == (1, 3, 64, 80)
    levels = control[0, 0].numpy() * 255.0
    np.testing.assert_allclose(levels, np.round(levels), atol=1e-3)
    np.testing.assert_allclose(levels, np.round(depth * 255.0), atol=1e-3)
    assert control.min() == 0.0 and control.max() == 1.0
    assert depth_control_image(depth, (32, 40)).shape == (1, 3, 32, 40)
