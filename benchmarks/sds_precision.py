"""SD-πXL: how far one score-distillation gradient moves when the models run in fp16 or bf16 instead of fp32.

Why: ``Recipe.precision`` picks the models' half type, and the choice is about rounding, not speed (both run
at the same rate on tensor cores). SDS multiplies the difference of two noise predictions by the guidance
scale (40), so whatever rounding survives in ε_pos − ε_neg reaches the gradient 40× larger; bf16 keeps 8
mantissa bits, fp16 11. This measures that instead of arguing it: one set of weights (random, then cast), one
cell image, the same t and the same noise, computed with the app's own ``SDPixlOptimizer.render_canvas`` /
``encode`` / ``predict_noise`` and ``sds_grad`` / ``sds_loss`` in fp32 and in each half type. Reported against
fp32, per t:

* ``cos_grad`` / ``rel_err_grad``: the SDS gradient on the latents (cosine; ‖g − g₃₂‖ / ‖g₃₂‖);
* ``cos_image_grad``: the gradient that reaches the cell image through TAESD's backward pass (what the logits
  get);
* ``cos_guidance``: the guidance difference ε_pos − ε_neg alone, the factor the scale 40 multiplies;
* ``loss_rel_change``: |L − L₃₂| / L₃₂ of the SDS loss 0.5·‖g‖².

The fp32 reference runs with TF32 off (true fp32). Models are those of ``benchmarks/sdpixl_step.py``: the
published full-size configs, or with ``--tiny`` the test suite's tiny ones. Weights are random: trained
weights have other activation ranges, so this measures rounding through the real architectures, not a
trained model's exact figures (and an fp16 overflow would show as ``finite: false``).

    python -m benchmarks.sds_precision --device cuda [--json out.json]
    python -m benchmarks.sds_precision --tiny --device cpu
"""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import sdpixl_step as step_bench
from benchmarks.sdpixl_step import ModelSet, build_model
from pixlcraft.palette import load_builtin
from pixlcraft.sdpixl.generator import PaletteGenerator
from pixlcraft.sdpixl.losses import sds_grad, sds_loss
from pixlcraft.sdpixl.optimize import PromptEmbeddings, SDPixlComponents, SDPixlOptimizer
from pixlcraft.sdpixl.recipes import FAST, Recipe

HALF_DTYPES = ("float16", "bfloat16")
DEFAULT_TIMESTEPS = (50, 250, 500, 750, 950)  # spread over the recipe's range t ∈ [20, 980]


def cast_copy(class_name: str, config: dict[str, Any], model: torch.nn.Module, dtype: torch.dtype) -> torch.nn.Module:
    """``model``'s weights in ``dtype``, on its device, without a second full-precision copy in memory.

    Built from the same config on ``meta`` (nothing allocated, see ``build_model``), given storage in ``dtype``
    and filled by ``load_state_dict``, which casts while it copies; buffers (none in these models today) too.
    """
    clone = build_model(class_name, config, torch.device("meta"), dtype)
    clone = clone.to_empty(device=next(model.parameters()).device)
    clone.load_state_dict(model.state_dict())
    with torch.no_grad():
        for (_, mine), (_, theirs) in zip(clone.named_buffers(), model.named_buffers(), strict=True):
            mine.copy_(theirs)
    return clone.eval().requires_grad_(False)


@contextlib.contextmanager
def true_fp32() -> Iterator[None]:
    """TF32 off for the duration (CUDA convolutions default to TF32, which is not the fp32 reference)."""
    prev = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = prev


def _cosine(a: torch.Tensor, b: torch.Tensor) -> float:
    # on the CPU in float64 (.cpu() first: MPS has no float64)
    x = a.detach().cpu().double().flatten()
    y = b.detach().cpu().double().flatten()
    den = float(x.norm() * y.norm())
    return float(x @ y) / den if den > 0 else float("nan")


def _rel_err(a: torch.Tensor, ref: torch.Tensor) -> float:
    x = a.detach().cpu().double()
    y = ref.detach().cpu().double()
    den = float(y.norm())
    return float((x - y).norm()) / den if den > 0 else float("nan")


def _sds_at(opt: SDPixlOptimizer, image: torch.Tensor, t: int, noise: torch.Tensor) -> dict[str, torch.Tensor]:
    """One SDS evaluation as ``SDPixlOptimizer.forward`` does it (3.2–3.5), without the augmentation draw."""
    r = opt.recipe
    cells = image.detach().clone().requires_grad_(True)
    latents = opt.encode(opt.render_canvas(cells))
    alpha_bar = opt.alphas_cumprod[t]
    noisy = alpha_bar.sqrt() * latents.detach() + (1.0 - alpha_bar).sqrt() * noise
    eps = opt.predict_noise(noisy, t, opt.controls)
    grad = sds_grad(eps[0:1], eps[1:2], noise, alpha_bar, r.guidance_scale, grad_scale=r.grad_scale,
                    weighting=r.weighting)
    loss = sds_loss(latents, grad)
    (image_grad,) = torch.autograd.grad(loss, cells)
    return {"grad": grad.detach(), "image_grad": image_grad, "guidance": (eps[1:2] - eps[0:1]).detach(),
            "loss": loss.detach()}


def compare_precisions(
    models: ModelSet,
    device: torch.device | str,
    *,
    timesteps: Sequence[int] = DEFAULT_TIMESTEPS,
    dtypes: Sequence[str] = HALF_DTYPES,
    pattern: tuple[int, int] = (64, 64),
    palette: str = "dmc",
    controlnets: bool = True,
    recipe: Recipe = FAST,
    seed: int = 0,
) -> dict[str, Any]:
    """fp32 against each half type for one SDS step; returns per-t rows and a per-dtype summary.

    ``models`` is :func:`benchmarks.sdpixl_step.full_size` or ``tiny()``; their canvas settings override the
    recipe's. Everything random (weights, cell image, prompt embeddings, noise) is seeded on the CPU, so every
    precision sees the same inputs.
    """
    from diffusers import DDPMScheduler

    device = torch.device(device)
    if models.canvas_side is not None:
        recipe = recipe.replace(canvas_side=models.canvas_side, canvas_multiple=models.canvas_multiple)
    with true_fp32():
        ref_unet = build_model("UNet2DConditionModel", models.unet, device, torch.float32, seed)
        ref_taesd = build_model("AutoencoderTiny", models.taesd, device, torch.float32, seed + 1)
        cfgs = models.controlnets if controlnets else []
        ref_nets = [build_model("ControlNetModel", cfg, device, torch.float32, seed + 2 + i)
                    for i, cfg in enumerate(cfgs)]
        scheduler = DDPMScheduler.from_config(models.scheduler)
        width, pooled = step_bench.published.text_shapes(models.unet)
        gen = torch.Generator().manual_seed(seed)
        embeddings = PromptEmbeddings(torch.randn(2, models.tokens, width, generator=gen),
                                      torch.randn(2, pooled, generator=gen))
        cols, rows = pattern
        colours = np.array(load_builtin(palette).rgb)
        generator = PaletteGenerator.random(rows, cols, colours, generator=gen)
        image = generator.soft(1.0, gen)[0].detach()  # one Gumbel-softmax render, fixed for every precision
        canvas = recipe.canvas_size(cols, rows)
        controls = step_bench._control_images(canvas, seed) if ref_nets else None

        per_dtype: dict[str, dict[int, dict[str, torch.Tensor]]] = {}
        noises: dict[int, torch.Tensor] = {}
        for name in ("float32", *dtypes):
            dtype = getattr(torch, name)
            if dtype == torch.float32:
                unet, taesd, nets = ref_unet, ref_taesd, ref_nets
            else:
                unet = cast_copy("UNet2DConditionModel", models.unet, ref_unet, dtype)
                taesd = cast_copy("AutoencoderTiny", models.taesd, ref_taesd, dtype)
                nets = [cast_copy("ControlNetModel", cfg, net, dtype) for cfg, net in zip(cfgs, ref_nets, strict=True)]
            components = SDPixlComponents(unet, scheduler, taesd, embeddings, controlnets=nets)
            opt = SDPixlOptimizer(components, generator, recipe, control_images=controls, seed=seed, device=device)
            try:
                out = {}
                for t in timesteps:
                    if t not in noises:
                        channels = int(models.taesd.get("latent_channels", 4))
                        latent_shape = (1, channels, canvas[1] // 8, canvas[0] // 8)
                        noise_gen = torch.Generator().manual_seed(seed * 1000 + int(t))
                        noises[t] = torch.randn(latent_shape, generator=noise_gen).to(device)
                    res = _sds_at(opt, image.to(device), int(t), noises[t])
                    out[int(t)] = {k: v.cpu() for k, v in res.items()}
                per_dtype[name] = out
            finally:
                opt.close()
                del opt, components, unet, taesd, nets
                step_bench._free(device)

    ref = per_dtype["float32"]
    results: list[dict[str, Any]] = []
    for name in dtypes:
        for t in timesteps:
            got, want = per_dtype[name][int(t)], ref[int(t)]
            loss, loss32 = float(got["loss"]), float(want["loss"])
            results.append({
                "dtype": name,
                "t": int(t),
                "cos_grad": _cosine(got["grad"], want["grad"]),
                "rel_err_grad": _rel_err(got["grad"], want["grad"]),
                "cos_image_grad": _cosine(got["image_grad"], want["image_grad"]),
                "cos_guidance": _cosine(got["guidance"], want["guidance"]),
                "sds_loss": loss,
                "sds_loss_fp32": loss32,
                "loss_rel_change": abs(loss - loss32) / loss32 if loss32 > 0 else float("nan"),
                "finite": bool(all(torch.isfinite(v).all() for v in got.values())),
            })
    summary = {}
    for name in dtypes:
        rows_ = [r for r in results if r["dtype"] == name]
        summary[name] = {
            "cos_grad_mean": float(np.mean([r["cos_grad"] for r in rows_])),
            "cos_grad_min": float(np.min([r["cos_grad"] for r in rows_])),
            "cos_image_grad_min": float(np.min([r["cos_image_grad"] for r in rows_])),
            "rel_err_grad_mean": float(np.mean([r["rel_err_grad"] for r in rows_])),
            "loss_rel_change_mean": float(np.mean([r["loss_rel_change"] for r in rows_])),
            "loss_rel_change_max": float(np.max([r["loss_rel_change"] for r in rows_])),
            "finite": all(r["finite"] for r in rows_),
        }
    return {
        "benchmark": "sds_precision",
        "settings": {
            "models": models.label,
            "device": str(device),
            "pattern": f"{pattern[0]}x{pattern[1]}",
            "canvas": f"{canvas[0]}x{canvas[1]}",
            "palette": palette,
            "controlnets": len(ref_nets),
            "guidance_scale": recipe.guidance_scale,
            "unet_batch": recipe.unet_batch,
            "timesteps": [int(t) for t in timesteps],
            "reference": "float32, TF32 off",
            "seed": seed,
        },
        "results": results,
        "summary": summary,
    }


def print_report(report: dict[str, Any]) -> None:
    s = report["settings"]
    print(f"SDS gradient against fp32 ({s['reference']}): {s['models']}")
    print(f"device {s['device']}, pattern {s['pattern']} cells on a {s['canvas']} canvas, {s['controlnets']} "
          f"ControlNet(s), guidance {s['guidance_scale']:g}, seed {s['seed']}")
    header = (f"{'dtype':<9} {'t':>4} {'cos grad':>12} {'rel err':>9} {'cos image':>12} {'cos ε+−ε−':>12} "
              f"{'loss Δ %':>9}  finite")
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        print(f"{r['dtype']:<9} {r['t']:>4} {r['cos_grad']:>12.7f} {r['rel_err_grad']:>9.5f} "
              f"{r['cos_image_grad']:>12.7f} {r['cos_guidance']:>12.7f} {100 * r['loss_rel_change']:>9.3f}  "
              f"{r['finite']}")
    for name, m in report["summary"].items():
        print(f"{name}: cos grad mean {m['cos_grad_mean']:.7f} (min {m['cos_grad_min']:.7f}), image-gradient cos "
              f"min {m['cos_image_grad_min']:.7f}, SDS loss moved {100 * m['loss_rel_change_mean']:.3f} % on "
              f"average (max {100 * m['loss_rel_change_max']:.3f} %), finite {m['finite']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sds_precision", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cuda", "mps", "cpu"), default="cuda")
    p.add_argument("--tiny", action="store_true", help="the tiny test models instead of the full-size ones")
    p.add_argument("--timesteps", default=",".join(map(str, DEFAULT_TIMESTEPS)),
                   help=f"comma list of diffusion timesteps (default {','.join(map(str, DEFAULT_TIMESTEPS))})")
    p.add_argument("--dtypes", default=",".join(HALF_DTYPES), help="comma list of half types (default: both)")
    p.add_argument("--pattern", type=step_bench._pattern, default=None,
                   help="pattern size in cells, N or WxH (default 64; 16x12 with --tiny)")
    p.add_argument("--no-controlnets", action="store_true", help="prompt-only: no ControlNets")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    try:
        args.timesteps = [int(t) for t in args.timesteps.split(",") if t.strip()]
    except ValueError:
        p.error(f"--timesteps must be a comma list of integers, got {args.timesteps!r}")
    if not args.timesteps or not all(0 <= t < 1000 for t in args.timesteps):
        p.error("--timesteps must lie in 0..999")
    args.dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    if not args.dtypes or any(d not in HALF_DTYPES for d in args.dtypes):
        p.error(f"--dtypes must be a comma list of {', '.join(HALF_DTYPES)}")
    if args.pattern is None:
        args.pattern = (16, 12) if args.tiny else (64, 64)
    return args


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the comparison; print the table, write ``--json`` if asked, and return the same figures."""
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        print("benchmarks.sds_precision: --device cuda, but PyTorch sees no CUDA GPU; use --tiny --device cpu.",
              file=sys.stderr)
        raise SystemExit(2)
    if args.device == "cpu" and not args.tiny:
        print("benchmarks.sds_precision: the full-size models in fp32 and two half types need over 20 GB and "
              "minutes on the CPU; use --tiny --device cpu here.", file=sys.stderr)
        raise SystemExit(2)
    device = torch.device(args.device)
    models = step_bench.tiny() if args.tiny else step_bench.full_size()
    report = compare_precisions(models, device, timesteps=args.timesteps, dtypes=args.dtypes,
                                pattern=args.pattern, controlnets=not args.no_controlnets, seed=args.seed)
    report["machine"] = step_bench.machine_info(device)
    print_report(report)
    step_bench.write_report(report, args.json)
    return report


if __name__ == "__main__":
    figures = main()
    sys.exit(0 if all(m["finite"] and not math.isnan(m["cos_grad_mean"]) for m in figures["summary"].values())
             else 1)
