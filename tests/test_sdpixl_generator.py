"""The SD-πXL generator, its initialisations, the canvas and the shared augmentation."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from pixlcraft.sdpixl import augment as aug  # noqa: E402
from pixlcraft.sdpixl.canvas import sdxl_canvas, square_canvas, time_ids  # noqa: E402
from pixlcraft.sdpixl.generator import (  # noqa: E402
    PaletteGenerator,
    indices_logits,
    photo_logits,
    preview_uint8,
    random_logits,
)

PALETTE = np.array(
    [[0, 0, 0], [255, 255, 255], [200, 30, 40], [30, 160, 60], [40, 60, 200], [250, 220, 40], [201, 31, 40]],
    dtype=np.uint8,
)  # the last colour is a near-duplicate of the third on purpose


def _np_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resampling written from its definition (half-pixel centres, edge clamp), no antialias."""
    in_h, in_w = img.shape[:2]
    out = np.zeros((out_h, out_w, img.shape[2]), dtype=np.float64)
    for oy in range(out_h):
        sy = max((oy + 0.5) * in_h / out_h - 0.5, 0.0)
        y0 = min(int(math.floor(sy)), in_h - 1)
        y1 = min(y0 + 1, in_h - 1)
        fy = sy - y0
        for ox in range(out_w):
            sx = max((ox + 0.5) * in_w / out_w - 0.5, 0.0)
            x0 = min(int(math.floor(sx)), in_w - 1)
            x1 = min(x0 + 1, in_w - 1)
            fx = sx - x0
            out[oy, ox] = (
                (1 - fy) * ((1 - fx) * img[y0, x0] + fx * img[y0, x1])
                + fy * ((1 - fx) * img[y1, x0] + fx * img[y1, x1])
            )
    return out


def _np_center_rescale(logits: np.ndarray, norm: float | None) -> np.ndarray:
    centred = logits - logits.mean(axis=-1, keepdims=True)
    cell_norm = np.linalg.norm(centred, axis=-1, keepdims=True)
    target = cell_norm.mean() if norm is None else norm
    return centred / cell_norm * target


# -- generator -------------------------------------------------------------------------------------------


def test_hard_output_is_palette_exact():
    gen = PaletteGenerator.random(9, 13, PALETTE, generator=torch.Generator().manual_seed(3))
    indices, image = gen.hard()
    assert indices.shape == (9, 13)
    assert torch.equal(indices, gen.logits.argmax(-1))
    back = np.round(image.numpy() * 255).astype(np.uint8)
    np.testing.assert_array_equal(back, PALETTE[indices.numpy()])
    np.testing.assert_array_equal(preview_uint8(gen, PALETTE), PALETTE[indices.numpy()])
    np.testing.assert_array_equal(preview_uint8(gen), PALETTE[indices.numpy()])
    # a restricted argmax uses only the allowed colours and keeps the best allowed one per cell
    allowed = torch.tensor([1, 4])
    idx2, _ = gen.hard(allowed)
    assert set(np.unique(idx2.numpy())) <= {1, 4}
    best = torch.where(gen.logits[..., 1] >= gen.logits[..., 4], 1, 4)
    assert torch.equal(idx2, best)


def test_soft_is_gumbel_softmax_of_the_logits_and_seeded():
    gen = PaletteGenerator.random(5, 6, PALETTE, generator=torch.Generator().manual_seed(0))
    image, probs = gen.soft(0.7, torch.Generator().manual_seed(11))
    # the same draw by hand: Gumbel = -log(Exp(1)) from the same generator state
    expo = torch.empty(5, 6, len(PALETTE)).exponential_(generator=torch.Generator().manual_seed(11)).numpy()
    z = (gen.logits.detach().numpy() - np.log(expo)) / 0.7
    ref = np.exp(z - z.max(-1, keepdims=True))
    ref /= ref.sum(-1, keepdims=True)
    np.testing.assert_allclose(probs.detach().numpy(), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(image.detach().numpy(), ref @ (PALETTE / 255.0), rtol=1e-5, atol=1e-6)
    again, _ = gen.soft(0.7, torch.Generator().manual_seed(11))
    other, _ = gen.soft(0.7, torch.Generator().manual_seed(12))
    assert torch.equal(image, again) and not torch.equal(image, other)
    image.sum().backward()
    assert gen.logits.grad is not None and gen.logits.grad.abs().sum() > 0


def test_softmax_image_and_recenter():
    gen = PaletteGenerator(torch.randn(4, 5, len(PALETTE), generator=torch.Generator().manual_seed(1)) + 3.0,
                           PALETTE)
    before = gen.softmax_image().detach().clone()
    gen.recenter_()
    assert gen.logits.mean(-1).abs().max() < 1e-6
    torch.testing.assert_close(gen.softmax_image().detach(), before)
    p = torch.softmax(gen.logits.detach(), -1).numpy()
    np.testing.assert_allclose(before.numpy(), p @ (PALETTE / 255.0), rtol=1e-5, atol=1e-6)


def test_photo_init_matches_the_official_formula():
    rng = np.random.default_rng(5)
    photo = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    canvas = (64, 48)  # (W, H)
    h, w, n = 12, 16, len(PALETTE)
    logits = photo_logits(photo, h, w, PALETTE, canvas=canvas).numpy()

    # reference: PIL bilinear resize to the canvas (what torchvision's Resize does on a PIL image), then the
    # plain bilinear downsampling, −L1·√n, centred, every cell rescaled to the mean cell norm
    from PIL import Image

    big = np.asarray(Image.fromarray(photo).resize(canvas, Image.Resampling.BILINEAR), dtype=np.float64) / 255.0
    small = _np_bilinear(big, h, w)
    dist = np.abs(small[:, :, None, :] - PALETTE[None, None].astype(np.float64) / 255.0).sum(-1)
    ref = _np_center_rescale(-dist * math.sqrt(n), None)
    np.testing.assert_allclose(logits, ref, rtol=1e-4, atol=1e-4)
    # every cell has the same norm, and it is the mean norm of the centred distances
    norms = np.linalg.norm(logits, axis=-1)
    np.testing.assert_allclose(norms, norms.mean(), rtol=1e-5)
    centred = -dist * math.sqrt(n) - (-dist * math.sqrt(n)).mean(-1, keepdims=True)
    assert norms.mean() == pytest.approx(np.linalg.norm(centred, axis=-1).mean(), rel=1e-5)
    # the argmax is the nearest palette colour in L1 of the downsampled photo (where that is not a tie)
    two = np.sort(dist, axis=-1)[..., :2]
    clear = two[..., 1] - two[..., 0] > 1e-4
    np.testing.assert_array_equal(logits.argmax(-1)[clear], dist.argmin(-1)[clear])
    gen = PaletteGenerator.from_photo(photo, h, w, PALETTE, canvas=canvas)
    np.testing.assert_allclose(gen.logits.detach().numpy(), logits)


def test_random_init_matches_the_official_formula():
    n = len(PALETTE)
    logits = random_logits(6, 7, n, generator=torch.Generator().manual_seed(9)).numpy()
    raw = torch.randn(6, 7, n, generator=torch.Generator().manual_seed(9)).numpy().astype(np.float64)
    np.testing.assert_allclose(logits, _np_center_rescale(raw, math.sqrt(n)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logits.mean(-1), 0.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(logits, axis=-1), math.sqrt(n), rtol=1e-5)


def test_init_from_indices_keeps_the_classic_pattern_with_a_margin():
    rng = np.random.default_rng(2)
    indices = rng.integers(0, len(PALETTE), (8, 10))
    indices[0, :3] = [2, 6, 2]  # near-duplicate colours side by side
    logits = indices_logits(indices, PALETTE, margin=1.5).numpy()
    np.testing.assert_array_equal(logits.argmax(-1), indices)
    own = np.take_along_axis(logits, indices[..., None], -1)[..., 0]
    others = np.where(np.eye(len(PALETTE), dtype=bool)[indices], -np.inf, logits).max(-1)
    assert (own - others >= 1.5 - 1e-5).all()
    # formula: −√n·L1(own colour, each colour) + margin·onehot, centred
    pal = PALETTE.astype(np.float64) / 255.0
    ref = -np.abs(pal[indices][:, :, None, :] - pal[None, None]).sum(-1) * math.sqrt(len(PALETTE))
    ref += 1.5 * np.eye(len(PALETTE))[indices]
    ref -= ref.mean(-1, keepdims=True)
    np.testing.assert_allclose(logits, ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError):
        indices_logits(np.full((2, 2), len(PALETTE)), PALETTE)


# -- canvas ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cells", [(1, 1), (3, 2), (2, 3), (4, 3), (16, 9), (48, 32), (100, 10), (7, 5), (1, 4)])
def test_sdxl_canvas_keeps_aspect_near_one_megapixel(cells):
    w, h = sdxl_canvas(*cells)
    assert w % 64 == 0 and h % 64 == 0
    aspect = cells[0] / cells[1]
    assert abs(math.log((w / h) / aspect)) < 0.04
    assert 0.9 < w * h / 1024**2 < 1.1
    # no other multiple-of-64 size with area within 10 % matches the aspect much better
    best = min(abs(math.log((a / b) / aspect)) for a in range(64, 4097, 64) for b in range(64, 4097, 64)
               if 0.9 < a * b / 1024**2 < 1.1)
    assert abs(math.log((w / h) / aspect)) <= best + 0.03


def test_canvas_square_and_time_ids():
    assert sdxl_canvas(5, 5) == (1024, 1024) == square_canvas()
    assert sdxl_canvas(12, 8, side=64, multiple=16) == (80, 48)
    assert time_ids(1280, 832) == (832, 1280, 0, 0, 832, 1280)
    with pytest.raises(ValueError):
        sdxl_canvas(0, 3)


# -- augmentation ----------------------------------------------------------------------------------------


def _grid_sample_reference(images, coeffs):
    """torchvision's tensor convention, built independently: normalised grid from pixel centres."""
    _, _, h, w = images.shape
    a, b, c, d, e, f, g, hh = coeffs.tolist()
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64) + 0.5, torch.arange(w, dtype=torch.float64) + 0.5,
                            indexing="ij")
    den = g * xs + hh * ys + 1
    gx = (a * xs + b * ys + c) / den / (0.5 * w) - 1
    gy = (d * xs + e * ys + f) / den / (0.5 * h) - 1
    grid = torch.stack([gx, gy], -1).to(images.dtype)[None].expand(images.shape[0], -1, -1, -1)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def test_perspective_warp_matches_grid_sample_values_and_gradients():
    gen = torch.Generator().manual_seed(4)
    settings = aug.AugmentSettings(grey_p=0.0, perspective_p=1.0, perspective_scale=0.3, hflip_p=0.0)
    params = aug.sample_params(40, 24, settings, gen)
    assert params.perspective and not params.grey and not params.hflip
    coeffs = aug.perspective_coeffs(params.startpoints, params.endpoints)
    # the homography takes every end point to its start point
    a, b, c, d, e, f, g, h = coeffs.tolist()
    for (xe, ye), (xs, ys) in zip(params.endpoints, params.startpoints, strict=True):
        den = g * xe + h * ye + 1
        assert (a * xe + b * ye + c) / den == pytest.approx(xs, abs=1e-6)
        assert (d * xe + e * ye + f) / den == pytest.approx(ys, abs=1e-6)
    img = torch.rand(2, 3, 24, 40, generator=gen, requires_grad=True)
    ours = aug.apply(img, params)
    ref = _grid_sample_reference(img, coeffs)
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)
    weights = torch.rand(ours.shape, generator=gen)
    (g_ours,) = torch.autograd.grad((ours * weights).sum(), img)
    (g_ref,) = torch.autograd.grad((ref * weights).sum(), img)
    torch.testing.assert_close(g_ours, g_ref, rtol=1e-5, atol=1e-5)
    # fill 0 outside: some output pixel near a pulled-in corner reads nothing
    assert (ours.detach().abs().sum(1) == 0).any()


def test_augmentation_shares_parameters_and_is_deterministic():
    settings = aug.AugmentSettings()
    render = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(0), requires_grad=True)
    control = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(1))
    seen_persp = seen_flip = False
    for seed in range(12):
        out, params = aug.augment_same([render, control, render.detach().clone()], settings,
                                       torch.Generator().manual_seed(seed))
        # identical transform for every image: the copy of the render comes out identical, the control
        # image equals the same parameters applied on its own
        torch.testing.assert_close(out[0], out[2], rtol=0, atol=0)
        torch.testing.assert_close(out[1], aug.apply(control, params), rtol=0, atol=0)
        again, params2 = aug.augment_same([render, control], settings, torch.Generator().manual_seed(seed))
        assert params2 == params
        assert torch.equal(again[0], out[0]) and torch.equal(again[1], out[1])
        seen_persp |= params.perspective
        seen_flip |= params.hflip
        if params.hflip and not params.perspective and not params.grey:
            torch.testing.assert_close(out[1], control.flip(-1), rtol=0, atol=0)
    assert seen_persp and seen_flip
    out[0].sum().backward()
    assert render.grad is not None and render.grad.abs().sum() > 0


def test_augmentation_probabilities_and_grey_weights():
    settings = aug.AugmentSettings()
    gen = torch.Generator().manual_seed(123)
    draws = [aug.sample_params(64, 64, settings, gen) for _ in range(3000)]
    assert np.mean([p.grey for p in draws]) == pytest.approx(0.2, abs=0.03)
    assert np.mean([p.perspective for p in draws]) == pytest.approx(0.5, abs=0.04)
    assert np.mean([p.hflip for p in draws]) == pytest.approx(0.5, abs=0.04)
    # corners move by at most 0.3 of the half side (plus the one-pixel slack of the official bounds)
    for p in draws:
        if p.perspective:
            for (xs, ys), (xe, ye) in zip(p.startpoints, p.endpoints, strict=True):
                assert abs(xs - xe) <= int(0.3 * 32) + 1 and abs(ys - ye) <= int(0.3 * 32) + 1
    img = torch.rand(1, 3, 4, 5)
    grey = aug.apply(img, aug.AugmentParams(grey=True, hflip=False))
    ref = 0.2989 * img[:, 0] + 0.587 * img[:, 1] + 0.114 * img[:, 2]
    for ch in range(3):
        torch.testing.assert_close(grey[:, ch], ref)
