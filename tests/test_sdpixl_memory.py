"""The memory estimate of an SD-πXL run: its generator part against a measured step, and the refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # benchmarks/ is not an installed package
    sys.path.insert(0, str(ROOT))

from test_generate import _request  # noqa: E402
from test_sdpixl_optimize import TINY, _components, _controls, parts  # noqa: E402, F401 - parts is a fixture

from benchmarks.live_bytes import LiveBytes  # noqa: E402
from pixlcraft import models  # noqa: E402
from pixlcraft.errors import InputError  # noqa: E402
from pixlcraft.sdpixl import memory  # noqa: E402
from pixlcraft.sdpixl.generator import PaletteGenerator  # noqa: E402
from pixlcraft.sdpixl.optimize import SDPixlOptimizer  # noqa: E402

GB = 10**9


@pytest.mark.parametrize("confetti", [False, True], ids=["budget", "budget+confetti"])
def test_generator_estimate_matches_a_measured_step(parts, confetti):  # noqa: F811 - the imported fixture
    """One step of a 40×56-cell pattern over 489 colours (DMC's count), every live tensor's storage summed.

    The cells × colours tensors (8.8 MB each) dwarf the tiny models' activations at their 64-pixel canvas, so
    the measured peak is the generator's; it starts with the logits, Adam's moments and the last gradient.
    """
    palette = np.random.default_rng(0).integers(0, 256, (489, 3)).astype(np.uint8)
    h, w, n = 40, 56, 489
    recipe = TINY.replace(unet_batch=2, steps=10, taesd_tiling=False, max_colors=24, color_budget_weight=1.0,
                          confetti_weight=0.5 if confetti else 0.0)
    gen = PaletteGenerator.random(h, w, palette, generator=torch.Generator().manual_seed(0))
    opt = SDPixlOptimizer(_components(parts), gen, recipe, control_images=_controls(), seed=1)
    try:
        opt.step()
        opt.step()  # Adam's state exists and a gradient is held from the step before, as in a long run
        held = [gen.logits, gen.logits.grad, *(v for state in opt.optimizer.state.values()
                                               for k, v in state.items() if k != "step")]
        with LiveBytes(held) as live:
            opt.step()
    finally:
        opt.close()
    estimate = memory.generator_bytes(h, w, n, confetti=confetti)
    assert live.start == 4 * h * w * n * 4  # what a step starts with: logits, grad, two moments
    assert 0.7 * live.peak <= estimate <= 1.3 * live.peak, (estimate, live.peak)
    # the figure quoted for a 1000×1000 DMC pattern
    assert 15 * GB < memory.generator_bytes(1000, 1000, 489) < 17 * GB
    assert 20 * GB < memory.generator_bytes(1000, 1000, 489, confetti=True) < 23 * GB


def test_estimate_counts_the_loaded_models_and_the_canvas(parts):  # noqa: F811
    est = memory.estimate_memory(8, 12, 6, canvas=(1024, 1024), unet_batch=2, dtype_bytes=2,
                                 modules=[parts["unet"], parts["taesd"], *parts["controlnets"]])
    weights = sum(p.numel() * 4 for m in (parts["unet"], parts["taesd"], *parts["controlnets"])
                  for p in m.parameters())
    assert est.models == weights
    assert est.generator == 8 * 8 * 12 * 6 * 4
    # FAST at 1024² (bf16, batch 2) vs PAPER (fp32, batch 3): activations grow with batch and dtype
    fast = memory.activation_bytes((1024, 1024), unet_batch=2, dtype_bytes=2)
    paper = memory.activation_bytes((1024, 1024), unet_batch=3, dtype_bytes=4)
    assert 2 * 2**30 < fast < 3 * 2**30 and 4.5 * 2**30 < paper < 5.5 * 2**30
    assert memory.activation_bytes((512, 512), unet_batch=2, dtype_bytes=2) < fast / 2
    assert est.total == est.generator + est.models + est.activations


def _big() -> memory.MemoryEstimate:
    return memory.estimate_memory(1000, 1000, 489, canvas=(1024, 1024), unet_batch=2, dtype_bytes=2)


def test_refusal_on_a_gpu_says_what_is_needed_what_is_free_and_what_to_do():
    est = _big()
    with pytest.raises(InputError) as caught:
        memory.check_memory(est, "cuda", models_loaded=True, available=(12 * GB, 24 * GB))
    text = str(caught.value)
    assert "needs about 18.4 GB" in text and "only 12.0 GB is free" in text
    assert "1000×1000-cell" in text and "489 colours" in text
    assert "--width" in text and "--owned" in text and "--max-colors" in text
    assert "only" in caught.value.gui and "--" not in caught.value.gui  # the window's words, no flags
    memory.check_memory(est, "cuda", models_loaded=True, available=(40 * GB, 80 * GB))  # fits: no error
    # before loading, only the generator is compared with the whole device
    memory.check_memory(est, "cuda", models_loaded=False, available=(1 * GB, 24 * GB))
    with pytest.raises(InputError, match="more than the 12.0 GB"):
        memory.check_memory(est, "cuda", models_loaded=False, available=(1 * GB, 12 * GB))


def test_the_cpu_is_refused_only_when_clearly_impossible():
    est = _big()  # generator 15.6 GB, activations a few GB on top
    memory.check_memory(est, "cpu", models_loaded=True, available=(16 * GB, 64 * GB))  # tight, may swap: runs
    with pytest.raises(InputError, match="RAM and swap"):
        memory.check_memory(est, "cpu", models_loaded=True, available=(10 * GB, 64 * GB))
    memory.check_memory(est, "mps", models_loaded=True)  # unknown free memory: never refused


def test_free_memory_on_this_cpu_is_plausible():
    free, total = memory.free_memory("cpu")
    assert 0 < free <= total


def test_generate_refuses_before_optimising_when_free_memory_is_short(tiny_models, monkeypatch):
    from pixlcraft.sdpixl import optimize as optimize_module

    monkeypatch.setattr(memory, "free_memory", lambda device: (1000, 10**12))

    def never(*args, **kwargs):
        raise AssertionError("the optimisation must not start")

    monkeypatch.setattr(optimize_module, "optimize", never)
    with pytest.raises(InputError, match=r"only 0\.0 GB is free"):
        from pixlcraft.sdpixl.pipeline import generate

        generate(_request(tiny_models, init="random"))


def test_generate_refuses_before_loading_when_the_device_is_too_small(tiny_models, monkeypatch):
    monkeypatch.setattr(memory, "free_memory", lambda device: (1000, 1000))

    def no_load(*args, **kwargs):
        raise AssertionError("models must not load for a pattern that cannot fit")

    monkeypatch.setattr(models, "resolve_model", no_load)
    from pixlcraft.sdpixl.pipeline import generate

    with pytest.raises(InputError, match="more than the 0.0 GB"):
        generate(_request(tiny_models, init="random"))
