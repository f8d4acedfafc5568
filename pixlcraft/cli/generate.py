"""``pixlcraft generate``: prompt (or photo) → pattern with SD-πXL, with a progress bar and Ctrl+C that keeps work."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from ..jobs import CancelToken, Progress
from .cleanup import add_cleanup_args, apply_cleanup, refuse_stray_cleanup_options
from .common import (
    EXIT_INTERRUPTED,
    ProgressBar,
    add_palette_args,
    add_stash_args,
    check_output,
    finite_float,
    load_palette,
    print_counts,
    stash_options,
)

ORDER = 20

_UNITS = {"download": "B", "loading": "model", "reference": "step", "generate": "step"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "generate",
        help="prompt or photo → pattern with SD-πXL (AI; a GPU makes it minutes instead of hours)",
        description="Optimise a pattern in the palette's real colours by score distillation from Stable "
        "Diffusion XL (SD-πXL). With --image, the photo's layout is kept through ControlNets.",
    )
    p.add_argument("--prompt", required=True, metavar="TEXT",
                   help="what the pattern shows, e.g. \"a red rose, leaves visible\"")
    p.add_argument("--negative-prompt", metavar="TEXT", help="what it should not show")
    p.add_argument("--image", metavar="PHOTO", help="a photo whose layout the pattern keeps (ControlNet)")
    add_palette_args(p)
    add_stash_args(p)
    p.add_argument("--max-colors", type=int, metavar="K",
                   help="use at most K palette colours (default: 24 for palettes of more than 40 colours, such as "
                        "DMC; 0 = every colour)")
    p.add_argument("--no-cleanup", action="store_true",
                   help="keep isolated single cells (confetti) in the result instead of removing them")
    p.add_argument("--width", type=int, required=True, metavar="W", help="width in cells (stitches, beads, studs)")
    p.add_argument("--height", type=int, required=True, metavar="H", help="height in cells")
    p.add_argument("--recipe", choices=("fast", "paper"), default="fast",
                   help="fast (default: half precision, 2,000 steps) or paper (the published settings: fp32, "
                        "10,001 steps, hours)")
    p.add_argument("--precision", choices=("fp32", "half", "bf16"),
                   help="model precision on a GPU (default: the recipe's; fast = half, paper = fp32): half is fp16 "
                        "on CUDA and Apple GPUs, bf16 is bfloat16 on CUDA (fp16 on Apple GPUs); always fp32 on the "
                        "CPU")
    p.add_argument("--steps", type=int, metavar="N", help="optimisation steps (default: the recipe's)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0); same seed, same "
                   "device → same pattern (on a GPU with --deterministic)")
    p.add_argument("--deterministic", action="store_true",
                   help="bit-exact runs on a GPU, slower (deterministic CUDA kernels; the CPU repeats without it)")
    p.add_argument("--compile", action="store_true",
                   help="compile the models with torch.compile: a slow first step (minutes), then faster steps; "
                        "needs a CUDA GPU")
    p.add_argument("--device", default="auto", metavar="auto|cpu|cuda|mps",
                   help="where to compute (default: auto = cuda, then mps, then cpu)")
    p.add_argument("--init", choices=("reference", "random", "photo", "classic"),
                   help="start: reference (default without --image: draw SDXL pictures, keep the one CLIP ranks "
                        "best) or random; with --image: photo (default, as the paper) or classic (the classic "
                        "converter's pattern)")
    p.add_argument("--reference-samples", type=int, default=10, metavar="N",
                   help="reference pictures to draw (default 10)")
    p.add_argument("--reference-steps", type=int, default=50, metavar="S",
                   help="denoising steps per reference picture (default 50)")
    p.add_argument("--canvas-side", type=int, metavar="PX",
                   help="model canvas size in pixels (default 1024, SDXL's own); smaller is faster, worse")
    models = p.add_argument_group("models (a Hugging Face id or a local folder each; see 'pixlcraft models')")
    models.add_argument("--base-model", metavar="ID|DIR", help="SDXL base (default stabilityai/"
                        "stable-diffusion-xl-base-1.0)")
    models.add_argument("--vae", metavar="ID|DIR", help="TAESD-XL (default madebyollin/taesdxl)")
    models.add_argument("--controlnet-canny", metavar="ID|DIR",
                        help="Canny ControlNet (default diffusers/controlnet-canny-sdxl-1.0-mid)")
    models.add_argument("--controlnet-depth", metavar="ID|DIR",
                        help="depth ControlNet (default diffusers/controlnet-depth-sdxl-1.0-mid)")
    models.add_argument("--depth-model", metavar="ID|DIR", help="depth estimator (default Intel/dpt-hybrid-midas)")
    models.add_argument("--clip-model", metavar="ID|DIR",
                        help="CLIP for ranking references (default openai/clip-vit-base-patch32)")
    models.add_argument("--lora", metavar="ID|PATH", help="a style LoRA for SDXL (.safetensors)")
    models.add_argument("--lora-scale", type=finite_float, default=1.0, metavar="X", help="LoRA strength (default 1.0)")
    models.add_argument("--low-memory", action="store_true",
                        help="less GPU memory: text encoders on the CPU, reference sampler offloaded")
    models.add_argument("--no-download", action="store_true", help="never download; use what is on this computer")
    p.add_argument("--resume", metavar="STATE", help="continue an interrupted run from its saved state")
    p.add_argument("--save-reference", metavar="PNG", help="also save the reference picture (prompt-only runs)")
    p.add_argument("--title", default="", metavar="TEXT", help="pattern title (default: the prompt)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help="output file: .pixl (project) or .png (one pixel per cell)")
    p.add_argument("--scale", type=int, default=1, metavar="N", help="PNG output: N×N pixels per cell")
    p.add_argument("--stats", action="store_true", help="print cells per colour")
    add_cleanup_args(p)
    p.set_defaults(func=run)


class StageBars:
    """One progress bar per stage (so each shows its own rate and time left), with loss and ETA for generate.

    A KeyboardInterrupt that arrives while a bar is drawn is passed on; the pipeline turns it into a cancel.
    """

    def __init__(self) -> None:
        self._bar: ProgressBar | None = None
        self._stage: str | None = None
        self._loss = ""  # the loss is reported every few steps only (reading it makes the GPU wait); keep the last

    def __call__(self, p: Progress) -> None:
        if p.stage != self._stage:
            self.close()
            self._stage = p.stage
            self._bar = ProgressBar(unit=_UNITS.get(p.stage, "step"))
        info: dict[str, object] = {}
        if p.stage == "generate" and p.info:
            if "loss" in p.info:
                self._loss = f"{p.info['loss']:.4g}"
            if self._loss:
                info["loss"] = self._loss
            if "seconds_left" in p.info:
                info["left"] = _duration(p.info["seconds_left"])
        assert self._bar is not None
        self._bar(Progress(p.stage, p.done, p.total, p.message, None, info))

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _duration(seconds: float) -> str:
    s = max(0, int(round(seconds)))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


@contextlib.contextmanager
def _ctrl_c_cancels(token: CancelToken) -> Iterator[None]:
    """First Ctrl+C: cancel (the run stops after its current step and keeps its work); second: quit at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel()
        print("\npixlcraft: stopping after this step and saving … (Ctrl+C again to quit without saving)",
              file=sys.stderr)

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _state_path(output: str) -> Path:
    return Path(output + ".state")


def run(args: argparse.Namespace) -> int:
    from ..addon import require_engine
    from ..errors import Cancelled, InputError
    from ..pattern import save_pattern

    require_engine()  # before anything imports torch: a clear "how to install it", not an ImportError
    from ..sdpixl.pipeline import GenerateRequest, generate, save_state

    # 1. everything that can be checked without torch
    if args.scale < 1 or args.scale > 64:
        raise InputError(f"--scale must be between 1 and 64 (got {args.scale}).")
    check_output(args.output, (".pixl", ".png"))
    refuse_stray_cleanup_options(args)
    if args.save_reference:
        check_output(args.save_reference, (".png",))
        if args.image:
            raise InputError("--save-reference is for prompt-only runs; with --image there is no reference picture.")
        if Path(args.save_reference).resolve() == Path(args.output).resolve():
            raise InputError("--save-reference and -o name the same file; give the reference picture its own name.")
    if args.lora and args.lora.lower().endswith(".safetensors") and not Path(args.lora).is_file():
        raise InputError(f"the LoRA file '{args.lora}' does not exist.")
    palette = load_palette(args)
    stash, rule = stash_options(args, palette)
    if stash is not None:  # the optimiser chooses among the stocked colours; the stock is enforced after it
        from ..capacity import check_enough
        from ..stash.use import stocked_palette

        palette = stocked_palette(palette, stash, rule)
        if args.width and args.height:  # an impossible size is refused now, not after the run
            check_enough(stash.capacity(palette, rule), args.width * args.height, args.width, args.height)
    image = args.image
    if args.cleanup_first:
        if not args.image:
            raise InputError("--cleanup-first cleans the photo given with --image; there is none.")
        image = _cleaned_photo(args)
    request = GenerateRequest(
        prompt=args.prompt,
        negative_prompt=args.negative_prompt,
        image=image,
        palette=palette,
        max_colors=args.max_colors,
        cleanup=not args.no_cleanup,
        include_special=args.include_special or bool(args.owned) or stash is not None,
        width=args.width,
        height=args.height,
        recipe=args.recipe,
        precision=args.precision,
        steps=args.steps,
        seed=args.seed,
        device=args.device,
        init=args.init,
        reference_samples=args.reference_samples,
        reference_steps=args.reference_steps,
        canvas_side=args.canvas_side,
        base_model=args.base_model,
        vae=args.vae,
        controlnet_canny=args.controlnet_canny,
        controlnet_depth=args.controlnet_depth,
        depth_model=args.depth_model,
        clip_model=args.clip_model,
        lora=args.lora,
        lora_scale=args.lora_scale,
        low_memory=args.low_memory,
        deterministic=args.deterministic,
        compile=args.compile,
        download=not args.no_download,
        resume=args.resume,
        title=args.title,
    )
    if args.save_reference and (args.init or "reference") != "reference":
        raise InputError("--save-reference needs --init reference (the default for a prompt alone).")
    if args.compile:
        _note_compile_off_cuda(args.device)

    # 2. run, Ctrl+C turning into a cancel that keeps the work done
    token = CancelToken()
    bars = StageBars()
    try:
        with _ctrl_c_cancels(token):
            result = generate(request, progress=bars, cancel=token)
    except Cancelled as exc:
        bars.close()
        partial = exc.partial
        if partial is None:
            print(f"pixlcraft: {exc} Nothing was saved.", file=sys.stderr)
            return EXIT_INTERRUPTED
        save_pattern(partial.pattern, args.output, scale=args.scale)
        state = save_state(_state_path(args.output), partial)
        print(
            f"pixlcraft: stopped after step {partial.steps_done} of {partial.total_steps}. The pattern so far is in "
            f"{args.output}; to continue, run the same command again with --resume {state}",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    finally:
        bars.close()

    # 3. write and summarise
    if stash is not None:
        from ..stash.use import fit_to_stash, record_stash

        result.pattern, moved = fit_to_stash(result.pattern, stash, rule)
        record_stash(result.pattern, stash, rule, args.stash)
        if moved:
            print(f"pixlcraft: {moved:,} cells took the nearest colour the stash still had.", file=sys.stderr)
    save_pattern(result.pattern, args.output, scale=args.scale)
    if args.save_reference and result.reference is not None:
        _save_png(result.reference, args.save_reference)
    _print_summary(result, args.output)
    if args.stats:
        print_counts(result.pattern)
    return 0


def _note_compile_off_cuda(device: str) -> None:
    """Say once, before the models load, that --compile does nothing where the run will go."""
    from ..models import pick_device
    from ..sdpixl.compiling import CPU_NOTE

    try:
        where = pick_device(device)
    except Exception:  # noqa: BLE001 - generate() reports a bad --device in its own words
        return
    if not where.startswith("cuda"):
        print(f"pixlcraft: {CPU_NOTE}", file=sys.stderr)


def _save_png(rgb, path: str) -> None:
    from PIL import Image

    from ..fileio import atomic_write

    with atomic_write(path, "wb") as f:
        Image.fromarray(rgb).save(f, format="PNG")


def _print_summary(result, output: str) -> None:
    from ..confetti import confetti_share

    pattern = result.pattern
    m = pattern.palette.material
    w_mm, h_mm = m.size_mm(pattern.width, pattern.height)
    used = int(len(pattern.used_indices()))
    print(f"{output}: {pattern.width}×{pattern.height} cells, {used} {pattern.palette.brand} colours, "
          f"{w_mm / 10:.1f}×{h_mm / 10:.1f} cm as {m.description.lower()}")
    line = f"{result.steps_done} steps ({pattern.metadata['recipe']['name']} recipe, seed {pattern.metadata['seed']})"
    line += f", confetti {100 * confetti_share(pattern.grid):.1f}%, took {_duration(result.timings.get('total', 0.0))}"
    if result.clip_scores and result.reference_index is not None:
        line += f"; reference {result.reference_index + 1} of {len(result.clip_scores)} " \
                f"(CLIP {result.clip_scores[result.reference_index]:.3f})"
    print(line)


def _cleaned_photo(args: argparse.Namespace):
    """The --image photo after --cleanup-first, at about the size of the model canvas (more is wasted)."""
    from ..imageio import load_photo

    side = args.canvas_side or 1024
    bar = ProgressBar(unit="step")
    try:
        return apply_cleanup(args, load_photo(args.image), progress=bar, target_long_side=side)
    finally:
        bar.close()
