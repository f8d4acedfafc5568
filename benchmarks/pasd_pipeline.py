"""PASD clean-up: time and peak memory of one restoration (default 1024×1024 output, 20 steps, CFG 9).

Builds PASD at full size from published configs with random weights — Stable Diffusion 1.5's UNet with PASD's
pixel-aware layers, PASD's ControlNet (SD 1.5 encoder copy + degradation-removal image encoder), SD 1.5's VAE and
CLIP ViT-L/14 text encoder — so no download is needed: weights change the numbers a run produces, not the work
it does. It then times :meth:`pixlcraft.cleanup.pasd.pipeline.PASDPipeline.restore`, the app's own path: size
handling, VAE encode and the start latent, 20 UniPC steps of ControlNet + UNet with classifier-free guidance
(batch 2), VAE decode, wavelet colour fix.

Where the configs come from: ``SD15_UNET`` and ``SD15_VAE`` and ``SD15_TEXT`` are SD 1.5's ``unet/``, ``vae/`` and
``text_encoder/config.json`` as PASD's repository reproduces them (``checkpoints/stable-diffusion-v1-5``); PASD's
UNet is that UNet (its training script loads it and adds layers), and its ControlNet is ``from_unet`` of it with
the (16, 32, 96, 256) image encoder and PASD's ``return_rgbs`` heads. Parameter counts printed below: UNet
859.5 M + 248.2 M pixel-aware (full) / 28.7 M (light), ControlNet 361.3 M, VAE 83.7 M, text encoder 123.1 M.

Reported: wall time of the whole restoration (CUDA synchronised), the median and fastest denoising step (one
step = ControlNet + UNet on the guidance batch of 2, and UniPC), the time outside the loop (text and VAE encode,
start latent, VAE decode, colour fix), and on CUDA the weights' memory and the peak allocated memory during the run
(``torch.cuda.max_memory_allocated``, reset after the models are built). The authors report 12.5 s and 5.8 GB
for a 1024² output on an A100 (their inference: fp16, xformers, tiled VAE).

    python -m benchmarks.pasd_pipeline --device cuda [--variant light] [--size 1024] [--repeat 3] [--json out.json]
    python -m benchmarks.pasd_pipeline --tiny --device cpu     # the tiny test models, for CPU-only machines

On a small shared CPU set ``OMP_NUM_THREADS=1``: the tiny models' kernels are too small to gain from threads,
and oversubscribed threads made the same run 30–60× slower here.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

OFFICIAL = {"seconds": 12.5, "gigabytes": 5.8, "size": 1024, "gpu": "A100"}

SD15_UNET: dict[str, Any] = {
    "act_fn": "silu",
    "attention_head_dim": 8,
    "block_out_channels": [320, 640, 1280, 1280],
    "center_input_sample": False,
    "cross_attention_dim": 768,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "out_channels": 4,
    "sample_size": 64,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
}
SD15_VAE: dict[str, Any] = {
    "act_fn": "silu",
    "block_out_channels": [128, 256, 512, 512],
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "in_channels": 3,
    "latent_channels": 4,
    "layers_per_block": 2,
    "norm_num_groups": 32,
    "out_channels": 3,
    "sample_size": 512,
    "up_block_types": ["UpDecoderBlock2D"] * 4,
}
SD15_TEXT: dict[str, Any] = {
    "hidden_act": "quick_gelu",
    "hidden_size": 768,
    "intermediate_size": 3072,
    "max_position_embeddings": 77,
    "num_attention_heads": 12,
    "num_hidden_layers": 12,
    "projection_dim": 768,
    "vocab_size": 49408,
    "bos_token_id": 0,
    "eos_token_id": 2,
    "pad_token_id": 1,
}
SD15_SCHEDULER: dict[str, Any] = {
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "steps_offset": 1,
}
_CONTROLNET_FROM_UNET = (
    "act_fn", "attention_head_dim", "block_out_channels", "cross_attention_dim", "down_block_types",
    "downsample_padding", "flip_sin_to_cos", "freq_shift", "in_channels", "layers_per_block",
    "mid_block_scale_factor", "norm_eps", "norm_num_groups", "use_linear_projection",
)


def controlnet_config(unet: dict[str, Any], embedding: tuple[int, ...] = (16, 32, 96, 256)) -> dict[str, Any]:
    """PASD's ``controlnet/config.json`` for a UNet config: ``from_unet`` plus PASD's image-encoder keys."""
    config = {k: unet[k] for k in _CONTROLNET_FROM_UNET if k in unet}
    config.update(conditioning_embedding_out_channels=list(embedding), return_rgbs=True, use_rrdb=False)
    return config


def _tests_on_path() -> None:
    tests_dir = Path(__file__).resolve().parents[1] / "tests"
    if str(tests_dir) not in sys.path:
        sys.path.insert(0, str(tests_dir))


def _materialise(model: torch.nn.Module, device: torch.device, dtype: torch.dtype, seed: int) -> torch.nn.Module:
    """Give a model built on ``meta`` real storage on ``device`` in ``dtype``, each layer's default init in place."""
    torch.nn.Module.to(model, dtype=dtype)
    model = model.to_empty(device=device)
    torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if list(module.parameters(recurse=False)) and hasattr(module, "reset_parameters"):
                module.reset_parameters()
    if any(b.is_meta for b in model.buffers()) or any(p.is_meta for p in model.parameters()):
        raise RuntimeError(f"{type(model).__name__}: tensors left without storage")
    return model.eval().requires_grad_(False)


def build_pipeline(tiny: bool, variant: str, device: torch.device, dtype: torch.dtype):
    """PASD with random weights: the published SD 1.5 shapes, or the test suite's tiny ones."""
    from diffusers import AutoencoderKL, UniPCMultistepScheduler
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    from pixlcraft.cleanup.pasd.controlnet import PASDControlNetModel
    from pixlcraft.cleanup.pasd.pipeline import PASDPipeline
    from pixlcraft.cleanup.pasd.unet import PASDUNet2DConditionModel

    _tests_on_path()
    import tiny_models

    if tiny:
        import pasd_tiny

        unet_cfg = {k: v for k, v in pasd_tiny.UNET_CONFIG.items() if not k.startswith("_")}
        cn_cfg = {k: v for k, v in pasd_tiny.CONTROLNET_CONFIG.items() if not k.startswith("_")}
        vae_cfg = dict(SD15_VAE, block_out_channels=[8, 8, 8, 8], layers_per_block=1, norm_num_groups=4)
        text_cfg = dict(SD15_TEXT, hidden_size=pasd_tiny.TEXT_HIDDEN, intermediate_size=64, num_hidden_layers=2,
                        num_attention_heads=2, projection_dim=pasd_tiny.TEXT_HIDDEN)
    else:
        unet_cfg, cn_cfg, vae_cfg, text_cfg = SD15_UNET, controlnet_config(SD15_UNET), SD15_VAE, SD15_TEXT

    with torch.device("meta"):
        unet = PASDUNet2DConditionModel.from_pasd_config(unet_cfg, variant)
        controlnet = PASDControlNetModel.from_pasd_config(cn_cfg)
        vae = AutoencoderKL.from_config(vae_cfg)
    unet = _materialise(unet, device, dtype, 0)
    controlnet = _materialise(controlnet, device, dtype, 1)
    vae = _materialise(vae, device, dtype, 2)
    torch.manual_seed(3)  # built normally: its position ids are a buffer that to_empty would leave as garbage
    text = CLIPTextModel(CLIPTextConfig(**text_cfg)).to(device=device, dtype=dtype).eval().requires_grad_(False)
    with tempfile.TemporaryDirectory() as tok_dir:  # a small BPE vocabulary: token ids well inside CLIP's
        tiny_models.write_tiny_clip_tokenizer(Path(tok_dir))
        tokenizer = CLIPTokenizer.from_pretrained(tok_dir)
    scheduler = UniPCMultistepScheduler.from_config(SD15_SCHEDULER, timestep_spacing="linspace")
    pipe = PASDPipeline.from_parts(vae, text, tokenizer, unet, controlnet, scheduler)
    pipe.set_progress_bar_config(disable=True)
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in
              (("unet", unet), ("controlnet", controlnet), ("vae", vae), ("text_encoder", text))}
    return pipe, counts


def test_photo(size: int) -> np.ndarray:
    """A smooth photo-like image with noise and some edges (content does not change the work done)."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    rgb = np.stack([x, y, 0.5 + 0.3 * np.sin(12 * x) * np.cos(9 * y)], axis=-1)
    rgb += 0.05 * rng.standard_normal(rgb.shape).astype(np.float32)
    return np.clip(rgb, 0, 1).astype(np.float32)


class _StepClock:
    """A reporter stand-in that timestamps each denoising step (synchronising CUDA so the times are real)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.stamps: list[float] = []

    def report(self, stage: str, done: int = 0, total: int = 0, **_: Any) -> None:
        if stage == "denoise":
            if self.device.type == "cuda":
                torch.cuda.synchronize(self.device)
            self.stamps.append(time.perf_counter())

    def check(self) -> None:
        pass


def run(args: argparse.Namespace) -> dict[str, Any]:
    device = torch.device(args.device)
    dtype = torch.float32 if device.type == "cpu" else torch.float16
    cuda = device.type == "cuda"
    pipe, counts = build_pipeline(args.tiny, args.variant, device, dtype)
    if cuda:
        torch.cuda.synchronize(device)
        weights_bytes = torch.cuda.memory_allocated(device)
    image = test_photo(args.size)
    process = min(args.size, 768)  # a square of this size is processed as is: no enlargement
    tiling = {"auto": None, "on": True, "off": False}[args.vae_tiling]

    def once(steps: int) -> tuple[float, list[float], float]:
        """Total seconds, the step times after the first, and the time outside the loop (encode, decode, fix)."""
        clock = _StepClock(device)
        if cuda:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        out = pipe.restore(image, steps=steps, seed=0, process_size=process, vae_tiling=tiling, reporter=clock)
        if cuda:
            torch.cuda.synchronize(device)
        end = time.perf_counter()
        assert out.shape == image.shape
        step_times = [b - a for a, b in zip(clock.stamps, clock.stamps[1:], strict=False)]
        typical = statistics.median(step_times) if step_times else 0.0
        # before the first stamp: text encoding, VAE encode, start latent and step 1 (counted as a typical step)
        outside = (clock.stamps[0] - start - typical) + (end - clock.stamps[-1])
        return end - start, step_times, outside

    once(2)  # warm-up: kernels, cuDNN autotuning, allocator
    if cuda:
        torch.cuda.reset_peak_memory_stats(device)
    totals, steps, outsides = [], [], []
    for _ in range(args.repeat):
        total, step_times, outside = once(args.steps)
        totals.append(total)
        steps.extend(step_times)
        outsides.append(outside)
    result: dict[str, Any] = {
        "label": "tiny test models" if args.tiny else "full-size PASD (published SD 1.5 configs, random weights)",
        "variant": args.variant,
        "device": torch.cuda.get_device_name(device) if cuda else platform.processor() or platform.machine(),
        "dtype": str(dtype).replace("torch.", ""),
        "output": f"{args.size}x{args.size}",
        "steps": args.steps,
        "vae_tiling": args.vae_tiling,
        "parameters": counts,
        "seconds_total_median": statistics.median(totals),
        "seconds_total_all": totals,
        "seconds_per_step_median": statistics.median(steps) if steps else None,
        "seconds_per_step_min": min(steps) if steps else None,
        "seconds_outside_loop_median": statistics.median(outsides),
    }
    if cuda:
        result["weights_gib"] = weights_bytes / 2**30
        result["peak_gib"] = torch.cuda.max_memory_allocated(device) / 2**30
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (cpu only with --tiny)")
    p.add_argument("--tiny", action="store_true", help="the tiny test models instead of the full-size ones")
    p.add_argument("--variant", choices=("full", "light"), default="full")
    p.add_argument("--size", type=int, default=None, help="output side in pixels (default 1024; 128 with --tiny)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeat", type=int, default=None, help="timed runs (default 3; 1 with --tiny)")
    p.add_argument("--vae-tiling", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    args.size = args.size or (128 if args.tiny else 1024)
    args.repeat = args.repeat or (1 if args.tiny else 3)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("No CUDA GPU is visible to PyTorch here. Run this on a machine with an NVIDIA GPU and a CUDA build of "
              "PyTorch, or use --tiny --device cpu.")
        return 2
    if args.device == "cpu" and not args.tiny:
        print("Full-size PASD on the CPU takes many minutes a run; use --tiny --device cpu here.")
        return 2
    result = run(args)
    print(json.dumps(result, indent=2))
    if not args.tiny and result.get("peak_gib") is not None:
        print(f"\nvs the authors' figure for {OFFICIAL['size']}² on an {OFFICIAL['gpu']}: "
              f"{result['seconds_total_median']:.1f} s (theirs {OFFICIAL['seconds']} s), "
              f"peak {result['peak_gib']:.2f} GiB (theirs {OFFICIAL['gigabytes']} GB)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
