"""SD-πXL: time and peak memory of one optimisation step, PAPER recipe against FAST, side by side.

Builds the full-size models from their published configs (``benchmarks/sdxl_configs.py``) with random weights —
the SDXL base UNet, TAESD-XL and the canny and depth "mid" ControlNets — so no download is needed: weights do
not change the work a step does, only its numbers. Text conditioning is random tensors of SDXL's shapes
(77 × 2048 and pooled 1280): the text encoders run once per run, not per step. Each recipe then drives the
app's own :class:`~pixlcraft.sdpixl.optimize.SDPixlOptimizer` on a 64×64 pattern over the DMC palette, with
control images (so both ControlNets run); ``--deterministic`` wraps it in ``deterministic_cuda`` as
``optimize(deterministic=True)`` does.

Reported per recipe: median / min / max wall time of ``step()`` over ``--steps`` steps after ``--warmup``
steps (CUDA synchronised around each), the first warm-up step alone (it includes ``torch.compile``), the
pipelined time per step (``--steps`` more steps with one synchronisation at the end, as ``optimize()`` runs
them between two loss read-backs: the CPU queues the next step while the GPU works), and on CUDA the weights'
memory and the peak allocated memory (``torch.cuda.max_memory_allocated``, reset after the models are built,
so it is weights + the worst step) next to :func:`pixlcraft.sdpixl.memory.estimate_memory`'s estimate.
A recipe name ending in ``-compile`` (``fast-compile``) is that recipe with ``compile=True``. Models are built
on the target device directly in the recipe's dtype (on the ``meta`` device, then materialised and
initialised in place), and freed between recipes; an out-of-memory is reported for that recipe and the next
one still runs.

    python -m benchmarks.sdpixl_step --device cuda [--recipes paper,fast,fast-compile] [--json out.json]
    python -m benchmarks.sdpixl_step --tiny --device cpu      # the tiny test models, for CPU-only machines
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import sdxl_configs as published
from pixlcraft.palette import load_builtin
from pixlcraft.sdpixl.generator import PaletteGenerator
from pixlcraft.sdpixl.memory import estimate_memory
from pixlcraft.sdpixl.optimize import PromptEmbeddings, SDPixlComponents, SDPixlOptimizer, deterministic_cuda
from pixlcraft.sdpixl.recipes import RECIPES, Recipe

COMPILE_SUFFIX = "-compile"

GOAL_FAST_MS = 60.0  # issue 3: FAST ≤ 60 ms a step on an H100 ...
GOAL_SPEEDUP = 10.0  # ... and ≥ 10× faster than PAPER
TINY_CANVAS_SIDE = 128  # the tiny UNet halves once; 128² px keeps a CPU step in the tens of milliseconds
_OOM_ERRORS: tuple[type[BaseException], ...] = tuple(
    {getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError), torch.cuda.OutOfMemoryError}
)


# ---------------------------------------------------------------------------------------------------------
# which models


@dataclass
class ModelSet:
    """Constructor configs of one run's models, plus the canvas the recipes should use with them."""

    label: str
    unet: dict[str, Any]
    taesd: dict[str, Any]
    controlnets: list[dict[str, Any]]
    scheduler: dict[str, Any]
    tokens: int = 77
    canvas_side: int | None = None  # None: the recipe's own (1024)
    canvas_multiple: int | None = None


def full_size() -> ModelSet:
    return ModelSet(
        label="full-size SDXL base UNet + TAESD-XL + canny & depth mid ControlNets (published configs, random weights)",
        unet=published.SDXL_UNET,
        taesd=published.TAESDXL,
        controlnets=[published.CONTROLNET_CANNY_MID, published.CONTROLNET_DEPTH_MID],
        scheduler=published.SDXL_SCHEDULER,
        tokens=published.SDXL_TEXT["tokens"],
    )


def tiny() -> ModelSet:
    """The tiny models of the test suite (``tests/tiny_models.py``): same classes and wiring, minute widths.

    The configs are taken from that module's own builders rather than copied, so they cannot drift apart.
    """
    tests_dir = Path(__file__).resolve().parents[1] / "tests"
    if str(tests_dir) not in sys.path:
        sys.path.insert(0, str(tests_dir))
    import tiny_models
    from diffusers import ControlNetModel

    unet = tiny_models.tiny_unet()
    unet_config = dict(unet.config)
    controlnet_config = dict(ControlNetModel.from_unet(unet).config)
    with tempfile.TemporaryDirectory() as tmp:
        tiny_models.build_tiny_taesd(Path(tmp))
        taesd_config = json.loads((Path(tmp) / "config.json").read_text(encoding="utf-8"))
    return ModelSet(
        label="tiny test models (tests/tiny_models.py configs, random weights)",
        unet=unet_config,
        taesd=taesd_config,
        controlnets=[controlnet_config, controlnet_config],
        scheduler=published.SDXL_SCHEDULER,
        tokens=tiny_models.MAX_TOKENS,
        canvas_side=TINY_CANVAS_SIDE,
        canvas_multiple=16,
    )


def build_model(class_name: str, config: dict[str, Any], device: torch.device, dtype: torch.dtype, seed: int = 0):
    """A diffusers model with random weights, allocated once, on ``device`` and in ``dtype``.

    Constructing on ``meta`` allocates nothing; ``to_empty`` then gives every parameter its final storage, and
    each layer's own ``reset_parameters`` fills it in place (PyTorch's default initialisation, as a plain
    constructor would, but in the target dtype on the target device: no 10 GB fp32 copy on the CPU first).
    Works with ``device="meta"`` too, for shape and parameter-count checks that allocate nothing.
    """
    import diffusers

    cls = getattr(diffusers, class_name)
    with torch.device("meta"):
        model = cls.from_config(config)
    if dtype != torch.float32:  # nn.Module.to: diffusers' own .to() warns about casts meant for checkpoints
        torch.nn.Module.to(model, dtype=dtype)
    if device.type == "meta":
        return model.eval().requires_grad_(False)
    model = model.to_empty(device=device)
    torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            own = list(module.parameters(recurse=False))
            if not own:
                continue
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
            else:  # no layer of these models lacks reset_parameters today; never leave memory uninitialised
                for p in own:
                    p.normal_(0.0, 0.02)
        for buffer in model.buffers():  # none today; to_empty would leave them uninitialised too
            buffer.zero_()
    return model.eval().requires_grad_(False)


def parameter_count(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------------------
# one recipe


@dataclass
class Settings:
    device: torch.device
    models: ModelSet
    pattern: tuple[int, int]  # (width, height) in cells
    palette: np.ndarray
    steps: int
    warmup: int
    seed: int
    deterministic: bool
    controlnets: bool
    max_colors: int | None = None
    notes: list[str] = field(default_factory=list)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _free(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()


def _control_images(canvas: tuple[int, int], seed: int) -> list[np.ndarray]:
    """A sparse edge map and a smooth depth ramp at canvas size, like the Canny and depth images of a photo."""
    width, height = canvas
    rng = np.random.default_rng(seed)
    edges = np.where(rng.random((height, width)) > 0.93, 255, 0).astype(np.uint8)
    ramp = np.linspace(0, 255, width, dtype=np.float32)[None, :] * np.linspace(0.3, 1.0, height)[:, None]
    return [np.repeat(edges[:, :, None], 3, axis=2), np.repeat(ramp.astype(np.uint8)[:, :, None], 3, axis=2)]


def prepare_recipe(recipe: Recipe, settings: Settings, compile_unet: bool) -> Recipe:
    changes: dict[str, Any] = {}
    if settings.models.canvas_side is not None:
        changes.update(canvas_side=settings.models.canvas_side, canvas_multiple=settings.models.canvas_multiple)
    if compile_unet:
        changes["compile"] = True
    if settings.max_colors is not None:
        changes["max_colors"] = settings.max_colors
    return recipe.replace(**changes) if changes else recipe


def _measure(held: dict[str, Any], recipe: Recipe, settings: Settings, out: dict[str, Any]) -> None:
    """Build the models for ``recipe``, run the optimiser, fill ``out``. Every big object lives in ``held``."""
    device, models = settings.device, settings.models
    dtype = getattr(torch, recipe.dtype_name(device.type))
    out["dtype"] = str(dtype).removeprefix("torch.")

    t0 = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    held["unet"] = build_model("UNet2DConditionModel", models.unet, device, dtype, settings.seed)
    held["taesd"] = build_model("AutoencoderTiny", models.taesd, device, dtype, settings.seed + 1)
    cfgs = models.controlnets if settings.controlnets else []
    held["controlnets"] = [
        build_model("ControlNetModel", cfg, device, dtype, settings.seed + 2 + i) for i, cfg in enumerate(cfgs)
    ]
    from diffusers import DDPMScheduler

    scheduler = DDPMScheduler.from_config(models.scheduler)
    _sync(device)
    out["build_s"] = round(time.perf_counter() - t0, 3)
    out["params"] = {
        "unet": parameter_count(held["unet"]),
        "taesd": parameter_count(held["taesd"]),
        "controlnets": [parameter_count(net) for net in held["controlnets"]],
    }
    if device.type == "cuda":
        out["weights_gib"] = round(torch.cuda.memory_allocated(device) / 2**30, 3)
        torch.cuda.reset_peak_memory_stats(device)

    width, pooled = published.text_shapes(models.unet)
    gen = torch.Generator().manual_seed(settings.seed)
    embeddings = PromptEmbeddings(
        torch.randn(2, models.tokens, width, generator=gen), torch.randn(2, pooled, generator=gen)
    )
    components = SDPixlComponents(held["unet"], scheduler, held["taesd"], embeddings, controlnets=held["controlnets"])
    cols, rows = settings.pattern
    generator = PaletteGenerator.random(rows, cols, settings.palette, generator=gen)
    canvas = recipe.canvas_size(cols, rows)
    out["canvas"] = f"{canvas[0]}x{canvas[1]}"
    controls = _control_images(canvas, settings.seed) if held["controlnets"] else None
    held["opt"] = opt = SDPixlOptimizer(components, generator, recipe, control_images=controls,
                                        seed=settings.seed, device=device)
    estimate = estimate_memory(rows, cols, generator.n_colors, canvas=canvas, unet_batch=recipe.unet_batch,
                               dtype_bytes=dtype.itemsize, confetti=bool(recipe.confetti_weight),
                               modules=[held["unet"], held["taesd"], *held["controlnets"]])
    out["estimate_gib"] = round(estimate.total / 2**30, 3)
    out["compiled"] = opt.compiled
    try:
        with deterministic_cuda(device.type == "cuda" and settings.deterministic):
            warm: list[float] = []
            for _ in range(settings.warmup):
                _sync(device)
                t = time.perf_counter()
                opt.step()
                _sync(device)
                warm.append(time.perf_counter() - t)
            times: list[float] = []
            for _ in range(settings.steps):
                _sync(device)
                t = time.perf_counter()
                opt.step()
                _sync(device)
                times.append(time.perf_counter() - t)
            # as optimize() runs: no wait between steps, one read-back of the losses at the end
            _sync(device)
            t = time.perf_counter()
            for _ in range(settings.steps):
                opt.step()
            opt.fetch_losses()
            _sync(device)
            pipelined = (time.perf_counter() - t) / settings.steps
    finally:
        opt.close()
    last_loss = opt.losses[-1]["loss"]
    out.update(
        status="ok",
        steps_timed=len(times),
        steps_done=opt.step_index,
        median_ms=round(statistics.median(times) * 1000, 2),
        min_ms=round(min(times) * 1000, 2),
        max_ms=round(max(times) * 1000, 2),
        pipelined_ms=round(pipelined * 1000, 2),
        first_warmup_ms=round(warm[0] * 1000, 1) if warm else None,
        last_loss=last_loss,
        loss_finite=bool(math.isfinite(last_loss)),
    )
    if device.type == "cuda":
        out["peak_gib"] = round(torch.cuda.max_memory_allocated(device) / 2**30, 3)


def run_recipe(name: str, recipe: Recipe, settings: Settings) -> dict[str, Any]:
    """One recipe's figures; an out-of-memory (or any other failure) becomes a status instead of an abort."""
    out: dict[str, Any] = {
        "recipe": name,
        "precision": recipe.precision,
        "unet_batch": recipe.unet_batch,
        "channels_last": recipe.channels_last and settings.device.type == "cuda",
        "compile": recipe.compile,
        "taesd_tiling": recipe.taesd_tiling,
        "status": "not run",
    }
    held: dict[str, Any] = {}
    try:
        _measure(held, recipe, settings, out)
    except _OOM_ERRORS as exc:
        out.update(status="out of memory", error=str(exc).strip().splitlines()[0][:300])
    except RuntimeError as exc:  # the CPU allocator and some CUDA paths raise plain RuntimeErrors
        if "out of memory" not in str(exc).lower() and "can't allocate memory" not in str(exc).lower():
            traceback.print_exc()
            out.update(status="error", error=f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}")
        else:
            out.update(status="out of memory", error=str(exc).strip().splitlines()[0][:300])
    except Exception as exc:  # noqa: BLE001 - a benchmark reports the failure and moves on to the next recipe
        traceback.print_exc()
        out.update(status="error", error=f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}")
    finally:
        if settings.device.type == "cuda" and "peak_gib" not in out:
            out["peak_gib"] = round(torch.cuda.max_memory_allocated(settings.device) / 2**30, 3)
        held.clear()
        if out["compile"]:
            from torch import _dynamo

            _dynamo.reset()  # drop the compiled graphs (and the UNet they hold)
        _free(settings.device)
    return out


# ---------------------------------------------------------------------------------------------------------
# reporting


def machine_info(device: torch.device) -> dict[str, Any]:
    import diffusers

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "diffusers": diffusers.__version__,
        "torch_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(
            gpu=props.name,
            gpu_memory_gib=round(props.total_memory / 2**30, 1),
            compute_capability=f"{props.major}.{props.minor}",
            cuda=torch.version.cuda,
            tf32_matmul=torch.backends.cuda.matmul.allow_tf32,
            tf32_cudnn=torch.backends.cudnn.allow_tf32,
        )
    return info


def _fmt(value: Any, spec: str = "") -> str:
    return "—" if value is None else format(value, spec)


def print_table(report: dict[str, Any]) -> None:
    s, m = report["settings"], report["machine"]
    where = m.get("gpu", f"CPU ({m['cpu_count']} logical cores, {m['torch_threads']} torch threads)")
    print(f"SD-πXL optimisation step: {s['models']}")
    print(f"device {s['device']}: {where}; torch {m['torch']}, diffusers {m['diffusers']}")
    print(f"pattern {s['pattern']} cells, {s['palette']}, ControlNets {'on' if s['controlnets'] else 'off'}, "
          f"{s['warmup']} warm-up + {s['steps']} timed steps, deterministic kernels {s['deterministic']}")
    header = (f"{'recipe':<12} {'dtype':<9} {'batch':>5} {'canvas':>10} {'median ms':>10} {'min ms':>8} "
              f"{'max ms':>8} {'piped ms':>9} {'1st ms':>9} {'weights GiB':>11} {'peak GiB':>9} {'est GiB':>8}  status")
    print(header)
    print("-" * len(header))
    for r in report["results"]:
        print(f"{r['recipe']:<12} {r.get('dtype', '?'):<9} {r['unet_batch']:>5} {r.get('canvas', '?'):>10} "
              f"{_fmt(r.get('median_ms'), '.1f'):>10} {_fmt(r.get('min_ms'), '.1f'):>8} "
              f"{_fmt(r.get('max_ms'), '.1f'):>8} {_fmt(r.get('pipelined_ms'), '.1f'):>9} "
              f"{_fmt(r.get('first_warmup_ms'), '.0f'):>9} "
              f"{_fmt(r.get('weights_gib'), '.2f'):>11} {_fmt(r.get('peak_gib'), '.2f'):>9} "
              f"{_fmt(r.get('estimate_gib'), '.2f'):>8}  "
              f"{r['status']}{(': ' + r['error']) if r.get('error') else ''}")
        if r.get("status") == "ok" and not r.get("loss_finite", True):
            print(f"        note: {r['recipe']} loss is {r['last_loss']} with random weights; the timing stands")
    if report.get("speedup") is not None:
        line = f"{report.get('speedup_of', 'fast')} is {report['speedup']:.1f}x faster than paper"
        if report.get("goals"):
            g = report["goals"]
            line += (f" (goal ≥ {GOAL_SPEEDUP:.0f}x: {'met' if g['speedup_met'] else 'NOT met'}); fast "
                     f"{g['fast_ms']:.1f} ms/step (goal ≤ {GOAL_FAST_MS:.0f} ms on an H100: "
                     f"{'met' if g['fast_ms_met'] else 'NOT met'})")
        print(line)


# ---------------------------------------------------------------------------------------------------------


def _pattern(text: str) -> tuple[int, int]:
    parts = text.lower().replace("×", "x").split("x")
    try:
        w, h = (int(parts[0]), int(parts[0])) if len(parts) == 1 else (int(parts[0]), int(parts[1]))
    except (ValueError, IndexError):
        raise argparse.ArgumentTypeError(f"pattern size must be N or WxH cells, got {text!r}") from None
    if w < 1 or h < 1 or len(parts) > 2:
        raise argparse.ArgumentTypeError(f"pattern size must be N or WxH positive cells, got {text!r}")
    return w, h


def _recipe_list(text: str) -> list[str]:
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n.removesuffix(COMPILE_SUFFIX) not in RECIPES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"recipes must be a comma list of {', '.join(RECIPES)} (each optionally "
                                         f"with {COMPILE_SUFFIX}); got {text!r}")
    return list(dict.fromkeys(names))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sdpixl_step", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--tiny", action="store_true", help="the tiny test models instead of the full-size ones")
    p.add_argument("--steps", type=int, default=None, help="timed steps per recipe (default 10; 3 with --tiny)")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed steps first (default 3, 5 with --compile; 1 with --tiny)")
    p.add_argument("--recipes", type=_recipe_list, default=["paper", "fast"],
                   help=f"comma list (default paper,fast); a name with {COMPILE_SUFFIX} (fast-compile) runs that "
                        "recipe with torch.compile")
    p.add_argument("--compile", action="store_true",
                   help="FAST with torch.compile of the UNet, ControlNets and TAESD (fast → fast-compile)")
    p.add_argument("--pattern", type=_pattern, default=(64, 64), help="pattern size in cells, N or WxH (default 64)")
    p.add_argument("--palette", default="dmc", help="built-in palette (default dmc, 489 colours)")
    p.add_argument("--max-colors", type=int, default=None, help="colour budget K (turns FAST's budget term on)")
    p.add_argument("--no-controlnets", action="store_true", help="prompt-only step: no ControlNets")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic CUDA kernels, as optimize(deterministic=True) / --deterministic (slower)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    if args.steps is None:
        args.steps = 3 if args.tiny else 10
    if args.compile:
        args.recipes = list(dict.fromkeys(n + COMPILE_SUFFIX if n == "fast" else n for n in args.recipes))
    compiling = any(n.endswith(COMPILE_SUFFIX) for n in args.recipes)
    if args.warmup is None:
        args.warmup = 1 if args.tiny else (5 if compiling else 3)
    if args.steps < 1 or args.warmup < 0:
        p.error("--steps must be at least 1 and --warmup at least 0")
    return args


def _fail(message: str) -> None:
    print(f"benchmarks.sdpixl_step: {message}", file=sys.stderr)
    raise SystemExit(2)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print the table, write ``--json`` if asked, and return the same figures."""
    args = parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
        _fail(f"--device cuda, but PyTorch sees no CUDA GPU (torch {torch.__version__}, {build}). Run it on a "
              "machine with an NVIDIA GPU and a CUDA build of PyTorch, or use --tiny --device cpu.")
    if args.device == "cpu" and not args.tiny:
        _fail("the full-size models on the CPU take minutes per step and over 20 GB of memory in fp32; "
              "use --tiny --device cpu here, and --device cuda on a GPU machine.")
    device = torch.device(args.device)
    try:
        palette = load_builtin(args.palette)
    except Exception as exc:  # noqa: BLE001 - report a bad palette name plainly
        _fail(str(exc))
    if args.max_colors is not None and not 1 <= args.max_colors <= len(palette):
        _fail(f"--max-colors must lie in 1..{len(palette)} for the {args.palette} palette")

    models = tiny() if args.tiny else full_size()
    settings = Settings(
        device=device, models=models, pattern=args.pattern, palette=np.array(palette.rgb), steps=args.steps,
        warmup=args.warmup, seed=args.seed, deterministic=args.deterministic,
        controlnets=not args.no_controlnets, max_colors=args.max_colors,
    )
    results = []
    for name in args.recipes:
        recipe = prepare_recipe(RECIPES[name.removesuffix(COMPILE_SUFFIX)], settings,
                                compile_unet=name.endswith(COMPILE_SUFFIX))
        print(f"[{name}] building models and running {args.warmup} + {args.steps} steps ...", file=sys.stderr,
              flush=True)
        results.append(run_recipe(name, recipe, settings))

    report: dict[str, Any] = {
        "benchmark": "sdpixl_step",
        "machine": machine_info(device),
        "settings": {
            "models": models.label,
            "tiny": args.tiny,
            "device": args.device,
            "pattern": f"{args.pattern[0]}x{args.pattern[1]}",
            "palette": f"{args.palette} ({len(palette)} colours)",
            "max_colors": args.max_colors,
            "controlnets": settings.controlnets,
            "steps": args.steps,
            "warmup": args.warmup,
            "compile": args.compile,
            "deterministic": settings.deterministic and args.device == "cuda",
            "seed": args.seed,
        },
        "results": results,
        "speedup": None,
    }
    by_name = {r["recipe"]: r for r in results if r["status"] == "ok"}
    fast_name = next((n for n in ("fast", "fast" + COMPILE_SUFFIX) if n in by_name), None)
    if "paper" in by_name and fast_name is not None:  # plain FAST when it ran, else the compiled one
        report["speedup"] = round(by_name["paper"]["median_ms"] / by_name[fast_name]["median_ms"], 2)
        report["speedup_of"] = fast_name
        if args.device == "cuda" and not args.tiny:
            fast_ms = min(by_name[n]["median_ms"] for n in by_name if n.startswith("fast"))
            report["goals"] = {
                "fast_ms": fast_ms,
                "fast_ms_met": fast_ms <= GOAL_FAST_MS,
                "speedup_met": report["speedup"] >= GOAL_SPEEDUP,
            }
    print_table(report)
    write_report(report, args.json)
    return report


def write_report(report: dict[str, Any], path: Path | None) -> None:
    """The figures as JSON at ``path`` (if given), for the GPU check to collect."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {path}", file=sys.stderr)


if __name__ == "__main__":
    figures = main()
    sys.exit(0 if all(r["status"] == "ok" for r in figures["results"]) else 1)
