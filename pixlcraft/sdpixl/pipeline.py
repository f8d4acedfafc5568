"""One SD-πXL run from a request to a finished pattern: the end-to-end job behind ``pixlcraft generate``.

The body of :func:`generate` is a list of numbered steps, each a named method of :class:`_Job`, in the manner of
diffusers' pipelines:

1. check every input (sizes, palette, prompt, recipe, photo, resume state, device) before any model loads;
2. find every model through the model store first (so a missing ControlNet is reported before minutes of
   loading SDXL), then load what this run needs;
3. encode the prompt (LoRA applied first, so its text-encoder layers count);
4. prepare the source: a photo is cropped to the pattern's shape and its Canny and depth maps computed at the
   canvas size; a prompt alone is either drawn first with SDXL (the loaded UNet and text encoders are shared,
   never loaded twice) and the picture CLIP ranks best then stands in for the photo, or left without a source;
5. build the generator (the paper's photo start, the classic converter's pattern, or random logits);
6. optimise, with progress and cancel;
7. read out the palette-exact pattern (at most ``max_colors`` colours).

Models no longer needed are dropped as soon as possible (text encoders after the last prompt use, CLIP after
ranking, DPT after the depth map), so the optimisation holds only the UNet, TAESD and the ControlNets.

A cancelled run raises :class:`~pixlcraft.errors.Cancelled` whose ``partial`` is a :class:`GenerateResult` with
the pattern so far and a resumable state (``None`` if the optimisation had not started). :func:`save_state`
writes that state; a request with ``resume=`` continues it and ends exactly where an uninterrupted run would.
The state holds a fingerprint of the request, so one made for other settings is refused with a clear message.

torch and the libraries are imported inside the functions, so building a request costs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Cancelled, InputError, PixlcraftError
from ..imageio import Photo, load_photo, photo_from_array
from ..jobs import CancelToken, Progress, ProgressCallback, Reporter
from ..palette import Palette, resolve_palette
from ..pattern import Pattern
from ..sizing import MAX_CELLS, crop_to_aspect
from .recipes import Recipe, get_recipe

if TYPE_CHECKING:  # pragma: no cover
    from .memory import MemoryEstimate
    from .optimize import OptimizeResult

__all__ = [
    "INITS",
    "GenerateRequest",
    "GenerateResult",
    "ResumeState",
    "generate",
    "load_state",
    "save_state",
    "validate_request",
]

#: Initialisations: the first two for a prompt alone, the last two for a photo.
INITS = ("reference", "random", "photo", "classic")
STATE_FORMAT = "pixlcraft-sdpixl-state"
STATE_VERSION = 1


# --------------------------------------------------------------------------------------------------------------
# request and result
# --------------------------------------------------------------------------------------------------------------


DEFAULT_BUDGET = 24
"""The colour budget SD-πXL gets by default on a big palette: the app's own default for the classic converter."""

BUDGET_ABOVE = 40
"""Palettes with more colours than this get :data:`DEFAULT_BUDGET` unless a budget is given. The paper's
palettes have 2–10 colours; bead and brick palettes (under 40 usable in most sets) stay free, while a thread
palette of hundreds has near-duplicate shades 0.9–1.7 logits apart at the start, about Adam's noise walk, and
nothing in SDS or the FFT term sees a swap between two of them: a free run drifts into dozens of extra shades."""

ALL_COLORS = 0
"""``max_colors`` value for "no budget, every colour of the palette" (``--max-colors 0``)."""


@dataclass
class GenerateRequest:
    """Everything one SD-πXL run is told. Only ``prompt``, ``width`` and ``height`` have no useful default.

    * ``image``: a photo (path, :class:`~pixlcraft.imageio.Photo` or array) whose layout the pattern keeps
      through the ControlNets; ``None`` for a prompt alone.
    * ``init``: ``"reference"`` (default without a photo: sample SDXL pictures, keep the CLIP-best) or
      ``"random"``; with a photo ``"photo"`` (default, the paper's start) or ``"classic"`` (the classic
      converter's pattern).
    * ``recipe``: ``"fast"`` (default), ``"paper"`` or a :class:`~.recipes.Recipe`. ``steps`` overrides its
      step count and rescales its warm-up, learning rate and weight decay with it
      (:meth:`~.recipes.Recipe.with_steps`; the t_max annealing already scales), so a shorter run keeps the
      schedule's proportions and PAPER's balance. ``canvas_side`` overrides the model canvas (1024 pixels for
      SDXL; smaller is faster but SDXL draws worse below about 768).
    * ``negative_prompt``: ``None`` or empty follows the recipe (the paper encodes an empty string).
    * Model fields take a Hugging Face id, a registry name (``sdxl-base``) or a local folder; ``None`` is the
      default model of that role. ``download=False`` never touches the network.
    * ``device``: ``None``/``"auto"`` picks cuda → mps → cpu. ``low_memory`` keeps the text encoders on the
      CPU and offloads the reference sampler's models to the CPU between uses.
    * ``deterministic``: deterministic CUDA kernels, so that the same seed gives the same pattern on a GPU
      too (slower; the CPU repeats without it). ``compile``: ``torch.compile`` the UNet, ControlNets and TAESD
      (:mod:`.compiling`; a slow first step, then faster steps); it sets the recipe's ``compile``, and does
      nothing off CUDA.
    * ``resume``: a state file (or :class:`ResumeState`) saved from a cancelled run of the same request.
    """

    prompt: str
    width: int
    height: int
    negative_prompt: str | None = None
    image: str | os.PathLike[str] | Photo | np.ndarray | None = None
    palette: Palette | str = "dmc"
    max_colors: int | None = None
    """The colour budget. None: :data:`DEFAULT_BUDGET` for a palette of more than :data:`BUDGET_ABOVE` colours
    (a big thread palette left free drifts into near-identical shades), else every colour; :data:`ALL_COLORS`
    (0): no budget."""
    cleanup: bool = True
    """Remove confetti from the read-out with the classic converter's clean-up (the count goes into the
    pattern's recipe metadata as ``confetti_removed``)."""
    include_special: bool = False
    """Also clear, glow, pearl, metallic… and region-only colours (see :func:`pixlcraft.convert.usable_colors`)."""
    recipe: str | Recipe = "fast"
    precision: str | None = None  # "fp32", "half" (fp16) or "bf16": overrides the recipe's (--precision)
    steps: int | None = None
    seed: int = 0
    device: str | None = None
    init: str | None = None
    reference_samples: int = 10
    reference_steps: int = 50
    reference_guidance: float = 7.5
    canvas_side: int | None = None
    base_model: str | os.PathLike[str] | None = None
    vae: str | os.PathLike[str] | None = None
    controlnet_canny: str | os.PathLike[str] | None = None
    controlnet_depth: str | os.PathLike[str] | None = None
    depth_model: str | os.PathLike[str] | None = None
    clip_model: str | os.PathLike[str] | None = None
    lora: str | os.PathLike[str] | None = None
    lora_scale: float = 1.0
    low_memory: bool = False
    deterministic: bool = False
    compile: bool = False
    download: bool = True
    preview_every: int = 50
    resume: str | os.PathLike[str] | ResumeState | None = None
    title: str = ""


@dataclass
class ResumeState:
    """What a cancelled run needs to continue: the optimiser state, the request's fingerprint, the reference."""

    fingerprint: dict[str, Any]
    optimizer: dict[str, Any]
    reference: np.ndarray | None = None  # (H, W, 3) uint8, so a resumed prompt-only run does not sample again
    reference_scores: list[float] = field(default_factory=list)
    path: Path | None = None

    @property
    def steps_done(self) -> int:
        return int(self.optimizer.get("step", 0))

    @property
    def total_steps(self) -> int:
        return int(self.optimizer.get("total_steps", 0))


@dataclass
class GenerateResult:
    """A finished (or, as ``Cancelled.partial``, an interrupted) run.

    ``pattern`` is palette-exact with the recipe, seed and prompt in its metadata; ``softmax_image`` is the
    expected colour of each cell (H×W×3 float in [0, 1]); ``init_indices`` the argmax pattern the optimiser
    started from. ``reference`` is the picture that stood in for the photo (prompt-only runs) with every
    sample and its CLIP score; ``control_images`` the Canny and depth maps (uint8, canvas size) the
    ControlNets saw. ``timings`` are seconds per stage.
    """

    pattern: Pattern
    softmax_image: np.ndarray
    init_indices: np.ndarray
    optimize: OptimizeResult
    fingerprint: dict[str, Any]
    reference: np.ndarray | None = None
    reference_images: list[np.ndarray] = field(default_factory=list)
    clip_scores: list[float] = field(default_factory=list)
    reference_index: int | None = None
    control_images: dict[str, np.ndarray] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.optimize.complete

    @property
    def steps_done(self) -> int:
        return self.optimize.steps_done

    @property
    def total_steps(self) -> int:
        return self.optimize.total_steps

    @property
    def state(self) -> ResumeState:
        """The resumable state of this run (pass to :func:`save_state`, or as ``GenerateRequest.resume``)."""
        scores = [self.clip_scores[self.reference_index]] if self.reference_index is not None else []
        return ResumeState(self.fingerprint, self.optimize.state, self.reference, scores)


# --------------------------------------------------------------------------------------------------------------
# resume state files
# --------------------------------------------------------------------------------------------------------------


def readout_without_confetti(indices: np.ndarray, softmax_image: np.ndarray,
                             palette: Palette) -> tuple[np.ndarray, int]:
    """The read-out with lone cells re-coloured by the classic converter's clean-up, and how many were.

    The optimiser decides each cell on its own, so a lone cell of a near-identical shade costs it nothing
    (the paper lists per-cell independence as a limitation). Each cell's expected colour, the softmax image,
    stands for the "true" colour the clean-up weighs a change against, as the photo's cell average does in
    the classic converter; the replacement is always a neighbour's colour, so the budget still holds."""
    from ..color import linear_to_lab, srgb_to_linear
    from ..confetti import DEFAULT_TOLERANCE, remove_confetti

    labs = linear_to_lab(srgb_to_linear(np.clip(np.asarray(softmax_image, np.float64), 0.0, 1.0)))
    grid, removed = remove_confetti(np.asarray(indices, np.int16), labs, palette.lab, DEFAULT_TOLERANCE)
    return grid.astype(np.int16), removed


def save_state(path: str | os.PathLike[str], result: GenerateResult | ResumeState) -> Path:
    """Write a run's resumable state (``torch.save``, tensors and plain data only), atomically."""
    import torch

    from ..fileio import atomic_write

    state = result.state if isinstance(result, GenerateResult) else result
    payload = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "fingerprint": state.fingerprint,
        "optimizer": state.optimizer,
        "reference": None if state.reference is None else torch.from_numpy(np.ascontiguousarray(state.reference)),
        "reference_scores": [float(s) for s in state.reference_scores],
    }
    target = Path(path)
    with atomic_write(target, "wb") as f:
        torch.save(payload, f)
    return target


def load_state(path: str | os.PathLike[str]) -> ResumeState:
    """Read a state file written by :func:`save_state`.

    Loaded with ``weights_only=True``: a state file is plain tensors and numbers, and nothing in it may run
    code, even if someone hands over a crafted one.
    """
    import torch

    p = Path(path)
    if not p.is_file():
        raise InputError(f"The resume state '{p}' does not exist. Check the path given to --resume.")
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors, zip errors, refused types
        raise InputError(
            f"The resume state '{p}' cannot be read ({type(exc).__name__}); it is damaged or not a PixlCraft "
            "state file. Start again without --resume."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != STATE_FORMAT:
        raise InputError(f"'{p}' is not a PixlCraft SD-πXL resume state. Start again without --resume.")
    if payload.get("version") != STATE_VERSION:
        raise InputError(
            f"The resume state '{p}' has version {payload.get('version')}; this PixlCraft reads version "
            f"{STATE_VERSION}. Start again without --resume."
        )
    reference = payload.get("reference")
    try:
        return ResumeState(
            fingerprint=dict(payload["fingerprint"]),
            optimizer=dict(payload["optimizer"]),
            reference=None if reference is None else reference.numpy().astype(np.uint8),
            reference_scores=[float(s) for s in payload.get("reference_scores", [])],
            path=p,
        )
    except (KeyError, TypeError, ValueError, AttributeError):  # a valid header over damaged contents
        raise InputError(f"The resume state '{p}' is damaged (its contents are not what PixlCraft wrote). Start "
                         "again without --resume.") from None


#: How a fingerprint key is named when a resume state does not match.
_FINGERPRINT_NAMES = {
    "prompt": "the prompt",
    "negative_prompt": "the negative prompt",
    "size": "the pattern size",
    "palette": "the palette (or --owned colours)",
    "max_colors": "the colour budget (--max-colors)",
    "recipe": "the recipe settings (--recipe, --steps, --canvas-side or --compile)",
    "seed": "the seed",
    "init": "the start (--init)",
    "image": "the photo",
    "models": "the models",
    "lora_scale": "the LoRA scale",
    "reference": "the reference sampling settings",
}


def _mismatch_message(path: Path | None, saved: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    diffs = []
    for key in wanted.keys() | saved.keys():
        if saved.get(key) != wanted.get(key):
            name = _FINGERPRINT_NAMES.get(key, key)
            old, new = saved.get(key), wanted.get(key)
            if isinstance(old, str | int | float) and isinstance(new, str | int | float) and key != "image":
                name += f" ({old!r} then, {new!r} now)"
            elif key == "size" and old and new:
                name += f" ({old[0]}×{old[1]} then, {new[0]}×{new[1]} now)"
            diffs.append(name)
    if not diffs:
        return None
    where = f" '{path}'" if path else ""
    return (
        f"The resume state{where} belongs to another run: {', '.join(sorted(diffs))} differ. Use exactly the "
        "settings of the interrupted run to continue it, or start afresh without --resume."
    )


# --------------------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------------------


def _int_value(value: Any, what: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InputError(f"The {what} must be a whole number, not {value!r}.")
    n = int(value)
    if n < lo or (hi is not None and n > hi):
        limit = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
        raise InputError(f"The {what} must be {limit}, not {n}.")
    return n


def _pow2_floor(n: int) -> int:
    return 1 << (max(1, n).bit_length() - 1)


def _photo_u8(photo: Photo) -> np.ndarray:
    """The photo as uint8 sRGB, transparent parts over white (as the classic converter's default)."""
    rgb = photo.srgb
    if photo.alpha is not None:
        a = photo.alpha[..., None]
        rgb = rgb * a + (1.0 - a)
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def _resize_rgb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 RGB resized to ``size`` = (W, H) with Pillow's bilinear filter (what the generator's start uses)."""
    from PIL import Image

    if (rgb.shape[1], rgb.shape[0]) == tuple(size):
        return rgb
    return np.asarray(Image.fromarray(rgb, "RGB").resize(tuple(size), Image.Resampling.BILINEAR))


def _palette_fingerprint(palette: Palette) -> str:
    h = hashlib.sha256()
    for e in palette:
        h.update(f"{e.code}\t{e.rgb[0]},{e.rgb[1]},{e.rgb[2]}\n".encode())
    return h.hexdigest()[:16]


def _model_label(value: Any) -> str | None:
    return None if value is None else os.fspath(value)


@contextlib.contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Silence diffusers'/transformers' own loading bars and chatter; our progress reports replace them."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    saved = [(lib, lib.get_verbosity(), lib.is_progress_bar_enabled()) for lib in (dlog, tlog)]
    for lib, _, _ in saved:
        lib.set_verbosity_error()
        lib.disable_progress_bar()
    try:
        yield
    finally:
        for lib, level, bars in saved:
            lib.set_verbosity(level)
            if bars:
                lib.enable_progress_bar()


def _interrupt_safe(progress: ProgressCallback | None, token: CancelToken) -> ProgressCallback:
    """Forward reports; a Ctrl+C that lands inside the caller's progress hook becomes a cancel.

    Without this, a KeyboardInterrupt raised while a progress bar draws would escape the loop with the
    run's state lost; as a cancel, the loop stops cleanly and hands back the pattern so far.
    """

    def forward(p: Progress) -> None:
        if progress is None:
            return
        try:
            progress(p)
        except KeyboardInterrupt:
            token.cancel()
            raise Cancelled("Interrupted.") from None

    return forward


# --------------------------------------------------------------------------------------------------------------
# the job
# --------------------------------------------------------------------------------------------------------------


@dataclass
class _Plan:
    """The checked request: everything later steps use, in its final form."""

    prompt: str
    negative: str | None  # what the text encoders get (None = zero embeddings)
    width: int
    height: int
    palette: Palette
    max_colors: int | None
    recipe: Recipe
    seed: int
    init: str
    photo: Photo | None
    photo_rgb: np.ndarray | None  # cropped to the pattern's aspect, uint8
    canvas: tuple[int, int]
    resume: ResumeState | None
    fingerprint: dict[str, Any]
    device: str = "cpu"
    dtype: Any = None


def _check_request(request: GenerateRequest) -> _Plan:
    """Step 1 of :func:`generate`: every check that needs no model; raises :class:`InputError`."""
    r = request
    # prompt
    if not isinstance(r.prompt, str) or not r.prompt.strip():
        raise InputError("The prompt is empty; say what the pattern should show, e.g. --prompt \"a red rose\".")
    prompt = r.prompt.strip()
    if r.negative_prompt is not None and not isinstance(r.negative_prompt, str):
        raise InputError(f"The negative prompt must be text, not {r.negative_prompt!r}.")
    # size
    width = _int_value(r.width, "pattern width (cells)", 1, MAX_CELLS)
    height = _int_value(r.height, "pattern height (cells)", 1, MAX_CELLS)
    # palette and colour budget
    palette = r.palette if isinstance(r.palette, Palette) else resolve_palette(r.palette)
    if not r.include_special:  # as the classic converter: standard colours unless asked (or owned)
        from ..convert import usable_colors

        keep = usable_colors(palette)
        if keep.size < len(palette):
            palette = palette.subset(keep.tolist())
    if len(palette) < 2:
        raise InputError(
            f"The palette '{palette.name}' has {len(palette)} colour; SD-πXL needs at least two to choose from."
        )
    from ..symbols import MAX_SYMBOLS, SINGLE_SYMBOLS

    max_colors = None
    if r.max_colors is None:
        max_colors = DEFAULT_BUDGET if len(palette) > BUDGET_ABOVE else None
    elif r.max_colors != ALL_COLORS:
        max_colors = _int_value(r.max_colors, "colour budget (--max-colors)", 1, MAX_SYMBOLS)
    if max_colors is not None and max_colors >= len(palette):
        max_colors = None  # every colour of the palette fits the budget: nothing to restrict
    elif max_colors is None and len(palette) > MAX_SYMBOLS:
        max_colors = SINGLE_SYMBOLS  # as the classic converter: never more colours than a chart can print
    # recipe
    if isinstance(r.recipe, Recipe):
        recipe = r.recipe
    else:
        try:
            recipe = get_recipe(str(r.recipe))
        except ValueError as exc:
            raise InputError(f"Unknown recipe '{r.recipe}'; choose 'fast' or 'paper'.") from exc
    if r.precision is not None:  # --precision; what each means on each device: Recipe.dtype_name
        try:
            recipe = recipe.replace(precision=r.precision)
        except ValueError as exc:
            raise InputError(f"Unknown precision '{r.precision}'; choose fp32, half or bf16.") from exc
    if r.steps is not None:
        recipe = recipe.with_steps(_int_value(r.steps, "number of steps (--steps)", 1))
    if r.canvas_side is not None:
        side = _int_value(r.canvas_side, "canvas side (--canvas-side)", 64, 4096)
        if side % 32:
            raise InputError(f"The canvas side must be a multiple of 32 pixels, not {side}.")
        # sides stay multiples of 64 (SDXL's buckets) down to 256 pixels; smaller canvases step more finely
        recipe = recipe.replace(canvas_side=side, canvas_multiple=min(recipe.canvas_multiple, _pow2_floor(side // 4)))
    if r.compile:  # on every device, so that a resume asks for the same flags wherever it runs
        recipe = recipe.replace(compile=True)
    if max_colors is not None:
        recipe = recipe.replace(max_colors=max_colors)
    canvas = recipe.canvas_size(width, height)
    if width > canvas[0] or height > canvas[1]:
        raise InputError(
            f"A {width}×{height} pattern has more cells than its {canvas[0]}×{canvas[1]}-pixel model canvas has "
            "pixels; make the pattern smaller."
        )
    seed = _int_value(r.seed, "seed", 0, 2**63 - 1)
    # source and start
    if r.init is not None and r.init not in INITS:
        raise InputError(f"Unknown start '{r.init}'; choose one of: {', '.join(INITS)}.")
    photo = None
    if r.image is None:
        init = r.init or "reference"
        if init in ("photo", "classic"):
            raise InputError(f"--init {init} starts from a photo; give one with --image PHOTO.")
    else:
        init = r.init or "photo"
        if init in ("reference", "random"):
            raise InputError(
                f"--init {init} is for a prompt alone; with --image use --init photo (default) or classic."
            )
        if isinstance(r.image, Photo):
            photo = r.image
        elif isinstance(r.image, np.ndarray):
            photo = photo_from_array(r.image)
        else:
            photo = load_photo(r.image)
    if init == "reference":
        _int_value(r.reference_samples, "number of reference pictures (--reference-samples)", 1, 100)
        _int_value(r.reference_steps, "number of reference steps (--reference-steps)", 1, 1000)
    if not isinstance(r.lora_scale, int | float) or not math.isfinite(float(r.lora_scale)):
        raise InputError(f"The LoRA scale must be a number, not {r.lora_scale!r}.")
    _int_value(r.preview_every, "preview interval", 1)
    photo_rgb = None
    if photo is not None:
        rgb = _photo_u8(photo)
        crop = crop_to_aspect(photo.width, photo.height, width / height)
        photo_rgb = np.ascontiguousarray(rgb[crop.top : crop.bottom, crop.left : crop.right])

    negative_text = r.negative_prompt or ""
    negative = None if (not negative_text and recipe.zero_empty_negative) else negative_text
    fingerprint: dict[str, Any] = {
        "prompt": prompt,
        "negative_prompt": negative_text,
        "size": [width, height],
        "palette": _palette_fingerprint(palette),
        "max_colors": max_colors,
        "recipe": recipe.to_dict(),
        "seed": seed,
        "init": init,
        "image": None if photo_rgb is None else hashlib.sha256(
            np.asarray(photo_rgb.shape, np.int64).tobytes() + photo_rgb.tobytes()
        ).hexdigest()[:16],
        "models": {
            "base": _model_label(r.base_model),
            "vae": _model_label(r.vae),
            "controlnet-canny": _model_label(r.controlnet_canny) if init != "random" else None,
            "controlnet-depth": _model_label(r.controlnet_depth) if init != "random" else None,
            "depth": _model_label(r.depth_model) if init != "random" else None,
            "lora": _model_label(r.lora),
        },
        "lora_scale": float(r.lora_scale) if r.lora is not None else None,
        "reference": (
            [int(r.reference_samples), int(r.reference_steps), float(r.reference_guidance),
             _model_label(r.clip_model)]
            if init == "reference" else None
        ),
    }
    plan = _Plan(prompt, negative, width, height, palette, max_colors, recipe, seed, init, photo, photo_rgb,
                 canvas, None, fingerprint)

    # resume state: read it and compare before any model is touched
    if r.resume is not None:
        state = r.resume if isinstance(r.resume, ResumeState) else load_state(r.resume)
        message = _mismatch_message(state.path, state.fingerprint, fingerprint)
        if message:
            raise InputError(message)
        if init == "reference" and state.reference is None:
            raise InputError("The resume state has no reference picture; start afresh without --resume.")
        plan.resume = state

    # device (imports torch; last, so that the quick checks above answer first)
    import torch

    from ..models import pick_device

    plan.device = pick_device(r.device)
    device_type = torch.device(plan.device).type
    plan.dtype = getattr(torch, recipe.dtype_name(device_type))
    if plan.dtype == torch.bfloat16 and device_type == "cuda" and not torch.cuda.is_bf16_supported():
        raise InputError("This GPU has no bf16 (it predates NVIDIA's Ampere generation); use --precision half.")
    if plan.resume is not None:
        saved_type = plan.resume.optimizer.get("device_type")
        if saved_type != device_type:
            raise InputError(
                f"The resume state was made on the {saved_type} device, this run would use {device_type}; random "
                f"numbers differ between devices, so continue it with --device {saved_type}."
            )
    # memory: a pattern whose generator cannot fit even into the whole device is refused before loading
    from .memory import check_memory

    check_memory(_memory_estimate(plan), plan.device, models_loaded=False)
    return plan


def _memory_estimate(plan: _Plan, modules: tuple[Any, ...] = ()) -> MemoryEstimate:
    """What the run needs (``modules``: the loaded models, counted once they are)."""
    from .memory import estimate_memory

    r = plan.recipe
    return estimate_memory(plan.height, plan.width, len(plan.palette), canvas=plan.canvas, unet_batch=r.unet_batch,
                           dtype_bytes=plan.dtype.itemsize, confetti=bool(r.confetti_weight), modules=modules)


def validate_request(request: GenerateRequest) -> None:
    """Check a request as :func:`generate` would before loading anything (for front ends); raises InputError."""
    _check_request(request)


class _Job:
    """One run of :func:`generate`; each numbered step is a method, models live here between steps."""

    def __init__(self, request: GenerateRequest, reporter: Reporter) -> None:
        self.request = request
        self.reporter = reporter
        self.timings: dict[str, float] = {}
        self.loaded = 0
        self.to_load = 0
        # filled in by the steps
        self.plan: _Plan
        self.locations: dict[str, Any] = {}
        self.lora_path: Path | None = None
        self.unet = self.scheduler = self.taesd = self.text = self.embeddings = None
        self.controlnets: list[Any] = []
        self.controls: list[Any] = []
        self.control_images: dict[str, np.ndarray] = {}
        self.source_rgb: np.ndarray | None = None
        self.reference_images: list[np.ndarray] = []
        self.clip_scores: list[float] = []
        self.reference_index: int | None = None
        self.generator = None
        self.init_indices: np.ndarray | None = None

    @contextlib.contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def _loading(self, what: str) -> None:
        self.reporter.report("loading", self.loaded, self.to_load, message=f"Loading the {what}")
        self.loaded += 1

    def drop_models(self) -> None:
        """Let go of every model, so that an exception kept by the caller (it holds this job in its traceback)
        does not keep gigabytes of weights alive."""
        self.unet = self.scheduler = self.taesd = self.text = self.embeddings = None
        self.controlnets = []
        self.controls = []
        self.generator = None

    # -- the steps ------------------------------------------------------------------------------------------

    def run(self) -> GenerateResult:
        start = time.perf_counter()
        # 1. check inputs (no model touched)
        with self._timed("check"):
            self.plan = _check_request(self.request)
        with _quiet_libraries():
            # 2. find every model, then load the ones needed from the start
            with self._timed("load"):
                self.resolve_models()
                self.load_base()
            # 3. prompt embeddings
            with self._timed("encode"):
                self.encode_prompt()
            # 4. the source picture and the ControlNet conditions
            self.prepare_source()
            self.reporter.report("loading", self.to_load, self.to_load, message="Models ready")
            # 5. generator
            with self._timed("init"):
                self.build_generator()
            # 6. optimise
            with self._timed("optimize"):
                result = self.optimise()
        # 7. pattern
        out = self.build_result(result)
        out.timings["total"] = time.perf_counter() - start
        return out

    # 2 ---------------------------------------------------------------------------------------------------------

    def _needs_controls(self) -> bool:
        return self.plan.init != "random"

    def _needs_clip(self) -> bool:
        return self.plan.init == "reference" and self.plan.resume is None

    def resolve_models(self) -> None:
        """Find every model's files (downloading if allowed) before loading any of them."""
        from ..model_loading import resolve_lora
        from ..models import ROLES, ModelMissingError, resolve_model

        r, rep = self.request, self.reporter
        wanted: list[tuple[str, Any]] = [("base", r.base_model), ("vae", r.vae)]
        if self._needs_clip():
            wanted.append(("clip", r.clip_model))
        if self._needs_controls():
            wanted += [("controlnet-canny", r.controlnet_canny), ("controlnet-depth", r.controlnet_depth),
                       ("depth", r.depth_model)]
        missing: list[tuple[str, ModelMissingError]] = []
        for role, value in wanted:
            rep.check()
            try:
                self.locations[role] = resolve_model(value, role, download=r.download, reporter=rep)
            except ModelMissingError as exc:
                missing.append((role, exc))
        if r.lora is not None:
            try:
                self.lora_path = resolve_lora(r.lora, download=r.download, reporter=rep)
            except ModelMissingError as exc:
                missing.append(("lora", exc))
        if missing:  # say everything that is missing at once, not one model per attempt
            first = missing[0][1]
            if len(missing) == 1:
                raise first
            others = ", ".join(f"the {ROLES[role][0]} ({ROLES[role][1]})" for role, _ in missing[1:])
            raise ModelMissingError(
                f"{first} This run also needs {others}, which are missing as well; "
                "`pixlcraft models download all` gets every default model at once."
            ) from first
        # UNet, text encoders, scheduler, TAESD; then CLIP, two ControlNets and DPT when used
        self.to_load = 4 + (1 if self._needs_clip() else 0) + (3 if self._needs_controls() else 0)

    def load_base(self) -> None:
        from ..model_loading import load_scheduler, load_sdxl_text, load_taesd, load_unet

        p, loc = self.plan, self.locations
        self._loading("SDXL UNet")
        self.unet = load_unet(loc["base"], dtype=p.dtype, device=p.device)
        self._loading("SDXL text encoders")
        text_device = "cpu" if self.request.low_memory else p.device
        self.text = load_sdxl_text(loc["base"], dtype=p.dtype, device=text_device)
        self._loading("noise schedule")
        self.scheduler = load_scheduler(loc["base"])
        self._loading("TAESD-XL encoder")
        self.taesd = load_taesd(loc["vae"], dtype=p.dtype, device=p.device)

    # 3 ---------------------------------------------------------------------------------------------------------

    def encode_prompt(self) -> None:
        from ..model_loading import apply_lora_to_parts

        if self.lora_path is not None:
            apply_lora_to_parts(self.unet, self.text, self.lora_path, float(self.request.lora_scale))
        self.reporter.check()
        self.embeddings = self.text.encode(self.plan.prompt, self.plan.negative)
        if not self._needs_clip():  # the reference sampler is the only other user of the text encoders
            self.text.release()

    # 4 ---------------------------------------------------------------------------------------------------------

    def prepare_source(self) -> None:
        p = self.plan
        if p.init == "reference":
            if p.resume is not None:
                self.source_rgb = p.resume.reference
                self.reference_images = [p.resume.reference]
                self.clip_scores = list(p.resume.reference_scores)
                self.reference_index = 0
            else:
                try:
                    with self._timed("reference"):
                        self.sample_reference()
                except Cancelled as exc:
                    raise Cancelled("Cancelled while drawing the reference pictures; nothing to keep yet.") from exc
        elif p.photo_rgb is not None:
            self.source_rgb = _resize_rgb(p.photo_rgb, p.canvas)
        if self._needs_controls():
            with self._timed("conditions"):
                self.compute_conditions()

    def sample_reference(self) -> None:
        """Draw reference pictures with SDXL, sharing the loaded UNet, text encoders and TAESD."""
        from ..model_loading import load_clip, load_sdxl_pipeline
        from .reference import sample_reference

        p, r = self.plan, self.request
        self._loading("CLIP model")
        clip, processor = load_clip(self.locations["clip"], device=p.device)
        text = self.text
        pipe = load_sdxl_pipeline(
            self.locations["base"], vae=self.taesd, dtype=p.dtype, device=p.device, low_memory=r.low_memory,
            unet=self.unet, text_encoder=text.text_encoder, text_encoder_2=text.text_encoder_2,
            tokenizer=text.tokenizer, tokenizer_2=text.tokenizer_2,
        )
        try:
            ref = sample_reference(
                p.prompt, p.negative, pipe, clip, processor,
                samples=int(r.reference_samples), steps=int(r.reference_steps), guidance=float(r.reference_guidance),
                width=p.canvas[0], height=p.canvas[1], seed=p.seed, reporter=self.reporter,
            )
        finally:
            if r.low_memory and p.device != "cpu":
                pipe.remove_all_hooks()  # the offload hooks moved the shared models; put them back for good
                self.unet.to(p.device)
                self.taesd.to(p.device)
            del pipe, clip, processor
            text.release()  # also collects what the lines above dropped (one collection: they are slow)
        self.source_rgb = ref.best
        self.reference_images = list(ref.images)
        self.clip_scores = list(ref.scores)
        self.reference_index = ref.best_index

    def compute_conditions(self) -> None:
        """Canny edges and a DPT depth map of the source, at the canvas size, and the two ControlNets."""
        from ..model_loading import load_controlnet, load_depth
        from .conditions import canny_edges, control_image_from_edges, depth_control_image, estimate_depth

        p, loc = self.plan, self.locations
        canvas_w, canvas_h = p.canvas
        rgb = self.source_rgb
        assert rgb is not None
        self._loading("depth estimator")
        depth_model, processor = load_depth(loc["depth"], device=p.device)
        self.reporter.check()
        depth = estimate_depth(rgb, depth_model, processor, size=(canvas_h, canvas_w))
        # dropped, not collected: its memory goes back to torch's allocator, which the ControlNets reuse next
        del depth_model, processor
        edges = canny_edges(rgb)
        self.controls = [control_image_from_edges(edges, (canvas_h, canvas_w)),
                         depth_control_image(depth, (canvas_h, canvas_w))]
        self.control_images = {
            "canny": edges,
            "depth": np.round(np.clip(depth, 0.0, 1.0) * 255.0).astype(np.uint8),
        }
        self._loading("Canny ControlNet")
        canny = load_controlnet(loc["controlnet-canny"], dtype=p.dtype, device=p.device, kind="canny")
        self._loading("depth ControlNet")
        depth_net = load_controlnet(loc["controlnet-depth"], dtype=p.dtype, device=p.device, kind="depth")
        self.controlnets = [canny, depth_net]

    # 5 ---------------------------------------------------------------------------------------------------------

    def build_generator(self) -> None:
        import torch

        from .generator import PaletteGenerator

        p = self.plan
        rgb = p.palette.rgb.copy()
        if p.init == "classic":
            from ..convert import ConvertOptions, convert_photo

            assert p.photo is not None
            threads = torch.get_num_threads()
            try:
                classic = convert_photo(p.photo, p.palette, ConvertOptions(width=p.width, height=p.height,
                                                                            max_colors=p.max_colors))
            finally:
                # numba's parallel kernels reset OpenMP's thread count, which torch shares; a different count
                # changes the order of torch's sums, so a seeded run would no longer repeat exactly
                torch.set_num_threads(threads)
            self.generator = PaletteGenerator.init_from_indices(classic.pattern.grid, rgb)
        elif p.init == "random":
            self.generator = PaletteGenerator.random(p.height, p.width, rgb,
                                                     generator=torch.Generator().manual_seed(p.seed))
        else:  # "photo" and "reference": the paper's start from a picture already at the canvas size
            assert self.source_rgb is not None
            self.generator = PaletteGenerator.from_photo(self.source_rgb, p.height, p.width, rgb, canvas=p.canvas)
        self.init_indices = self.generator.hard()[0].cpu().numpy().astype(np.int16)

    # 6 ---------------------------------------------------------------------------------------------------------

    def optimise(self) -> OptimizeResult:
        from .memory import check_memory
        from .optimize import SDPixlComponents, optimize

        p = self.plan
        # the models are loaded: what is free now must hold the generator and the activations
        check_memory(_memory_estimate(p, (self.unet, self.taesd, *self.controlnets)), p.device, models_loaded=True)
        components = SDPixlComponents(self.unet, self.scheduler, self.taesd, self.embeddings,
                                      controlnets=self.controlnets)
        try:
            return optimize(
                components, self.generator, p.recipe, control_images=self.controls or None,
                steps=p.recipe.steps, seed=p.seed, reporter=self.reporter,
                resume_state=p.resume.optimizer if p.resume is not None else None,
                preview_every=int(self.request.preview_every), device=p.device,
                deterministic=bool(self.request.deterministic),
            )
        except Cancelled as exc:
            partial = exc.partial
            if partial is None:
                raise
            result = self.build_result(partial)
            raise Cancelled(
                f"Stopped after step {partial.steps_done} of {partial.total_steps}; the pattern so far is kept.",
                partial=result,
            ) from exc
        except ValueError as exc:  # the optimiser's own input checks: models that do not fit together
            raise PixlcraftError(f"SD-πXL cannot run with these models and settings: {exc}") from exc

    # 7 ---------------------------------------------------------------------------------------------------------

    def build_result(self, result: OptimizeResult) -> GenerateResult:
        from .. import __version__

        p, r = self.plan, self.request
        from ..fileio import readable

        photo_path = p.photo.path if p.photo is not None else ""
        title = r.title or (p.prompt if len(p.prompt) <= 60 else p.prompt[:57].rstrip() + "…")
        models = {role: loc.label for role, loc in self.locations.items()}
        if self.lora_path is not None:
            models["lora"] = str(self.lora_path)
        recipe_meta: dict[str, Any] = {
            "maker": "sd-pixl",
            **p.recipe.to_dict(),
            "init": p.init,
            "width": p.width,
            "height": p.height,
            "canvas": list(result.canvas),
            "palette": p.palette.name,
            "steps_done": result.steps_done,
            "models": models,
        }
        if self.lora_path is not None:
            recipe_meta["lora_scale"] = float(r.lora_scale)
        grid, removed = result.indices, 0
        if r.cleanup:
            grid, removed = readout_without_confetti(result.indices, result.softmax_image, p.palette)
        recipe_meta["confetti_removed"] = removed
        if p.init == "reference":
            recipe_meta["reference"] = {
                "samples": int(r.reference_samples),
                "steps": int(r.reference_steps),
                "guidance": float(r.reference_guidance),
                "clip_scores": [float(s) for s in self.clip_scores],
            }
        pattern = Pattern(
            grid=grid,
            palette=p.palette,
            metadata={
                "title": title,
                "source": readable(photo_path) if photo_path else ("photo" if p.photo is not None else "prompt"),
                "prompt": p.prompt,
                "negative_prompt": r.negative_prompt or "",
                "seed": p.seed,
                "recipe": recipe_meta,
                "complete": result.complete,
                "app_version": __version__,
            },
        )
        reference = self.source_rgb if p.init == "reference" else None
        return GenerateResult(
            pattern=pattern,
            softmax_image=result.softmax_image,
            init_indices=self.init_indices if self.init_indices is not None else result.indices,
            optimize=result,
            fingerprint=p.fingerprint,
            reference=reference,
            reference_images=list(self.reference_images),
            clip_scores=list(self.clip_scores),
            reference_index=self.reference_index,
            control_images=dict(self.control_images),
            timings=dict(self.timings),
        )


def generate(
    request: GenerateRequest,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> GenerateResult:
    """Run SD-πXL for ``request`` and return the palette-exact pattern.

    Progress arrives as :class:`~pixlcraft.jobs.Progress` reports with stages ``download`` (bytes, only when a
    model is fetched), ``loading`` (models), ``reference`` (denoising steps of the reference pictures, with
    each finished picture as preview) and ``generate`` (optimisation steps; ``info`` has loss, t,
    seconds_left; an argmax preview every ``preview_every`` steps). ``cancel`` stops within one step:
    :class:`~pixlcraft.errors.Cancelled` is raised with ``partial`` = the :class:`GenerateResult` so far once the
    optimisation has started (``None`` before). A KeyboardInterrupt raised inside ``progress`` counts as a
    cancel. User problems raise :class:`~pixlcraft.errors.InputError` (before any model loads) or
    :class:`~pixlcraft.models.ModelMissingError`.
    """
    token = cancel or CancelToken()
    job = _Job(request, reporter=Reporter(_interrupt_safe(progress, token), token))
    try:
        return job.run()
    finally:
        job.drop_models()
