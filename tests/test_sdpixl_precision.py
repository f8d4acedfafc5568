"""Apple GPUs and half precision (issue 14, part 3).

* MPS has no float64: nothing that runs on the compute device during an optimisation step may make a float64
  tensor. Checked on the CPU (the only device here) by watching every op of a full ``SDPixlOptimizer.step()``
  through a ``TorchDispatchMode``; the CPU stands in for the device, so even CPU-side float64 work inside
  ``step()`` counts (the homography solve is done in numpy, outside torch, on purpose).
* The float32 perspective grid stays within a thousandth of a pixel of the float64 one.
* fp16 / bf16 / fp32 SDS gradients of the same step (tiny real-class models, modules cast on the CPU).
* ``Recipe.precision`` / ``dtype_name`` and the ``--precision`` wiring of the CLI and the request.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from torch.utils import _pytree as pytree  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

from benchmarks import sdpixl_step as bench  # noqa: E402
from benchmarks import sds_precision  # noqa: E402
from pixlcraft import models as model_store  # noqa: E402
from pixlcraft.errors import InputError  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.sdpixl import augment as aug  # noqa: E402
from pixlcraft.sdpixl.generator import PaletteGenerator  # noqa: E402
from pixlcraft.sdpixl.optimize import PromptEmbeddings, SDPixlComponents, SDPixlOptimizer  # noqa: E402
from pixlcraft.sdpixl.pipeline import GenerateRequest, _check_request  # noqa: E402
from pixlcraft.sdpixl.recipes import FAST, PAPER, PRECISIONS, Recipe  # noqa: E402

_WIDE = (torch.float64, torch.complex128)


class Float64Watch(TorchDispatchMode):
    """Records every op whose output holds a float64 (or complex128) tensor, and the name of every op seen."""

    def __init__(self) -> None:
        super().__init__()
        self.hits: list[str] = []
        self.ops: list[str] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        name = str(func)
        self.ops.append(name)
        for leaf in pytree.tree_leaves(out):
            if isinstance(leaf, torch.Tensor) and leaf.dtype in _WIDE:
                self.hits.append(f"{name} -> {leaf.dtype} {tuple(leaf.shape)} on {leaf.device}")
        return out


def test_the_watch_sees_float64_creation_and_arithmetic():
    """The watch itself is not blind: factory calls, ``torch.tensor`` and arithmetic in float64 are all caught."""
    with Float64Watch() as watch:
        x = torch.zeros(3, dtype=torch.float64)
        y = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        _ = (x + y).to(torch.float32) * 2.0
        _ = torch.ones(2) * 0.5  # float32 with a Python scalar: not a hit
    assert len(watch.hits) == 3, watch.hits
    assert any("add" in h for h in watch.hits)
    assert watch.ops[-1].startswith("aten.mul")


def _tiny_step_setup(recipe: Recipe, *, controlnets: bool = True) -> SDPixlOptimizer:
    """An optimiser over the tiny test models (``tests/tiny_models.py`` configs, real diffusers classes)."""
    from diffusers import DDPMScheduler

    models = bench.tiny()
    cpu = torch.device("cpu")
    unet = bench.build_model("UNet2DConditionModel", models.unet, cpu, torch.float32, 0)
    taesd = bench.build_model("AutoencoderTiny", models.taesd, cpu, torch.float32, 1)
    nets = [bench.build_model("ControlNetModel", cfg, cpu, torch.float32, 2 + i)
            for i, cfg in enumerate(models.controlnets)] if controlnets else []
    scheduler = DDPMScheduler.from_config(bench.published.SDXL_SCHEDULER)
    width, pooled = bench.published.text_shapes(models.unet)
    gen = torch.Generator().manual_seed(0)
    embeddings = PromptEmbeddings(torch.randn(2, models.tokens, width, generator=gen),
                                  torch.randn(2, pooled, generator=gen))
    palette = np.array(load_builtin("dmc").rgb)[:24]
    generator = PaletteGenerator.random(12, 16, palette, generator=gen)
    recipe = recipe.replace(canvas="aspect", canvas_side=bench.TINY_CANVAS_SIDE, canvas_multiple=16)
    canvas = recipe.canvas_size(16, 12)
    controls = bench._control_images(canvas, 0) if nets else None
    components = SDPixlComponents(unet, scheduler, taesd, embeddings, controlnets=nets)
    return SDPixlOptimizer(components, generator, recipe, control_images=controls, seed=3, device=cpu)


# every augmentation forced on (perspective above all: its warp was float64) and every loss term switched on
_ALL_ON = dict(grey_p=1.0, perspective_p=1.0, hflip_p=1.0, max_colors=6, color_budget_weight=1.0,
               confetti_weight=0.1, steps=4, warmup_steps=1)


@pytest.mark.parametrize("base", [FAST, PAPER], ids=["fast", "paper"])
def test_no_float64_tensor_is_made_during_an_optimisation_step(base):
    opt = _tiny_step_setup(base.replace(**_ALL_ON))
    try:
        with Float64Watch() as watch:
            for _ in range(2):  # the first step also creates AdamW's state
                opt.step()
        records = opt.losses  # loss values may be read back from the device after the step
    finally:
        opt.close()
    assert watch.hits == [], "float64 tensors made during step():\n" + "\n".join(watch.hits)
    # the watch really saw the whole step: UNet/ControlNet/TAESD convolutions forward and backward, the
    # gather-based perspective warp, the FFT term and the optimiser update
    ops = set(watch.ops)
    for op in ("aten.convolution.default", "aten.convolution_backward.default", "aten.gather.default",
               "aten._fft_c2c.default"):
        assert op in ops, op
    assert any(op.startswith("aten._foreach_") or op.startswith("aten.addcdiv") for op in ops)
    assert len(records) == 2 and all(np.isfinite(r["loss"]) for r in records)


def _solve64(startpoints, endpoints) -> np.ndarray:
    rows, rhs = [], []
    for (xe, ye), (xs, ys) in zip(endpoints, startpoints, strict=True):
        rows += [[xe, ye, 1, 0, 0, 0, -xs * xe, -xs * ye], [0, 0, 0, xe, ye, 1, -ys * xe, -ys * ye]]
        rhs += [xs, ys]
    return np.linalg.solve(np.array(rows, np.float64), np.array(rhs, np.float64))


@pytest.mark.parametrize("size", [(40, 24), (1024, 1024), (1344, 768)])
def test_float32_perspective_grid_is_within_a_thousandth_of_a_pixel_of_float64(size):
    """The grid is now built in float32 on the device; against the float64 grid it may differ by rounding only.

    Bound: u and v are at most ~1.3·side from the origin (corners pulled in by ≤ 0.3 of the half side), so
    float32's spacing there is ≤ 2⁻¹³ ≈ 1.2e-4 px at 1344 px; the grid takes about six roundings (x·a, y·b,
    two adds, the divide, −0.5), each ≤ half a spacing, plus the float32 coefficients' own rounding
    (relative 6e-8 × 1344 px ≈ 8e-5 px per term): ~6e-4 px in the worst case; measured 9e-6 px at 40 px and
    3.7e-4 px at 1024 and 1344 px. 1e-3 px keeps a margin. The old float64 grid was cast to float32 before
    sampling anyway, so it carried one such rounding already.
    """
    width, height = size
    settings = aug.AugmentSettings(grey_p=0.0, perspective_p=1.0, hflip_p=0.0)
    worst = 0.0
    for seed in range(8):
        params = aug.sample_params(width, height, settings, torch.Generator().manual_seed(seed))
        coeffs = aug.perspective_coeffs(params.startpoints, params.endpoints)
        np.testing.assert_allclose(np.asarray(coeffs, np.float64), _solve64(params.startpoints, params.endpoints),
                                   rtol=1e-12, atol=1e-12)
        u, v = aug._sample_grid(width, height, coeffs, torch.device("cpu"))
        assert u.dtype == torch.float32 and v.dtype == torch.float32
        a, b, c, d, e, f, g, h = np.asarray(coeffs, np.float64)
        ys, xs = np.meshgrid(np.arange(height) + 0.5, np.arange(width) + 0.5, indexing="ij")
        den = g * xs + h * ys + 1.0
        u64 = (a * xs + b * ys + c) / den - 0.5
        v64 = (d * xs + e * ys + f) / den - 0.5
        worst = max(worst, float(np.abs(u.numpy() - u64).max()), float(np.abs(v.numpy() - v64).max()))
    assert 0 < worst < 1e-3  # > 0: float32 really is in use (a float64 grid would match to ~1e-13)


# -- fp16 / bf16 / fp32 ----------------------------------------------------------------------------------


def test_fp16_sds_gradient_is_closer_to_fp32_than_bf16():
    """One SDS step of the tiny real-class models (UNet + 2 ControlNets + TAESD, cast on the CPU, where every
    op of the step runs in both half types), same weights, cell image, t and noise in every precision.

    Measured (seed 0, 64² canvas; seed 1 in brackets): SDS-gradient cosine to fp32 0.99994–0.99996
    (0.99998) in fp16 against 0.9961–0.9978 (0.9983–0.9989) in bf16; relative error 0.9–1.1 % (0.6 %) against
    6.7–8.9 % (4.8–5.9 %), i.e. 1 − cos about 50× smaller in fp16, as 3 more mantissa bits predict (8² / 2 on
    a squared error); image-gradient cosine ≥ 0.99994 against ≥ 0.9925; SDS loss moved 0.23 % (0.09 %) on
    average in fp16 against 1.1 % (0.8 %) in bf16. Thresholds below leave 4–8× on every figure.
    """
    models = dataclasses.replace(bench.tiny(), canvas_side=64)
    report = sds_precision.compare_precisions(models, "cpu", timesteps=(100, 500, 900), pattern=(8, 8))
    assert report["settings"]["controlnets"] == 2 and report["settings"]["guidance_scale"] == 40
    rows = {(r["dtype"], r["t"]): r for r in report["results"]}
    for t in (100, 500, 900):
        fp16, bf16 = rows["float16", t], rows["bfloat16", t]
        assert fp16["finite"] and bf16["finite"]
        assert fp16["sds_loss_fp32"] > 0
        assert fp16["cos_grad"] > 0.9995 and fp16["cos_image_grad"] > 0.999 and fp16["rel_err_grad"] < 0.05
        assert bf16["cos_grad"] > 0.99 and bf16["cos_image_grad"] > 0.98
        assert (1 - fp16["cos_grad"]) * 5 < 1 - bf16["cos_grad"]
        assert fp16["rel_err_grad"] * 3 < bf16["rel_err_grad"]
        assert fp16["cos_guidance"] > bf16["cos_guidance"]
    fp16, bf16 = report["summary"]["float16"], report["summary"]["bfloat16"]
    assert fp16["loss_rel_change_mean"] < 0.01
    assert fp16["loss_rel_change_mean"] < bf16["loss_rel_change_mean"]
    # the half types really ran: a copy in fp32 would agree with the reference to the last bit or two
    assert fp16["rel_err_grad_mean"] > 1e-4


def test_cast_copy_keeps_the_weights_and_changes_the_dtype():
    models = bench.tiny()
    ref = bench.build_model("AutoencoderTiny", models.taesd, torch.device("cpu"), torch.float32, 5)
    for dtype in (torch.float16, torch.bfloat16):
        half = sds_precision.cast_copy("AutoencoderTiny", models.taesd, ref, dtype)
        assert half.dtype == dtype and half is not ref
        for (name, a), (_, b) in zip(ref.state_dict().items(), half.state_dict().items(), strict=True):
            assert torch.equal(a.to(dtype), b), name
    assert ref.dtype == torch.float32


# -- Recipe.precision and its wiring ---------------------------------------------------------------------


def test_precision_choices_and_dtypes():
    assert PRECISIONS == ("fp32", "half", "bf16")
    assert FAST.precision == "half" and PAPER.precision == "fp32"
    expected = {
        "fp32": {"cpu": "float32", "cuda": "float32", "mps": "float32"},
        "half": {"cpu": "float32", "cuda": "float16", "mps": "float16"},
        "bf16": {"cpu": "float32", "cuda": "bfloat16", "mps": "float16"},  # MPS: fp16 fallback
    }
    for precision, by_device in expected.items():
        recipe = FAST.replace(precision=precision)
        for device, dtype in by_device.items():
            assert recipe.dtype_name(device) == dtype, (precision, device)
            assert isinstance(getattr(torch, dtype), torch.dtype)
    for bad in ("fp16", "bfloat16", "", None):
        with pytest.raises(ValueError, match="precision"):
            FAST.replace(precision=bad)


def _plan(monkeypatch, device: str, **request):
    monkeypatch.setattr(model_store, "pick_device", lambda requested=None: device)
    return _check_request(GenerateRequest(prompt="a red rose", width=16, height=16, init="random", **request))


def test_request_precision_overrides_the_recipe_and_picks_the_dtype(monkeypatch):
    assert _plan(monkeypatch, "cuda").dtype == torch.float16  # FAST's "half" is fp16 on CUDA now
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    plan = _plan(monkeypatch, "cuda", precision="bf16")
    assert plan.recipe.precision == "bf16" and plan.dtype == torch.bfloat16
    assert plan.fingerprint["recipe"]["precision"] == "bf16"  # a resume with another precision is refused
    assert _plan(monkeypatch, "mps", precision="bf16").dtype == torch.float16
    assert _plan(monkeypatch, "cuda", recipe="paper").dtype == torch.float32
    assert _plan(monkeypatch, "cuda", recipe="paper", precision="half").dtype == torch.float16
    assert _plan(monkeypatch, "cuda", precision="fp32").dtype == torch.float32
    assert _plan(monkeypatch, "cpu", precision="bf16").dtype == torch.float32
    with pytest.raises(InputError, match="Unknown precision 'fp8'"):
        _plan(monkeypatch, "cuda", precision="fp8")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # a pre-Ampere GPU
    with pytest.raises(InputError, match="no bf16.*--precision half"):
        _plan(monkeypatch, "cuda", precision="bf16")
    assert _plan(monkeypatch, "cuda").dtype == torch.float16  # the default needs no bf16


def test_cli_precision_reaches_the_request(monkeypatch, tmp_path, capsys):
    from pixlcraft.cli import main
    from pixlcraft.sdpixl import pipeline

    seen: list[GenerateRequest] = []

    def fake_generate(request, progress=None, cancel=None):
        seen.append(request)
        raise InputError("stopped by the test")

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    out = str(tmp_path / "p.pixl")
    base = ["generate", "--prompt", "a rose", "--width", "8", "--height", "8", "-o", out]
    assert main([*base, "--precision", "bf16"]) != 0
    assert main(base) != 0
    assert [r.precision for r in seen] == ["bf16", None]  # None: the recipe's own
    assert "stopped by the test" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--precision", "fp16"])  # argparse refuses anything but fp32, half, bf16
