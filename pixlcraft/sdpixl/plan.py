"""Step 1 of :func:`~.pipeline.generate`: the request checked and made into a :class:`_Plan` before any model loads.

Every check that needs no model runs here, so that a mistake is reported at once rather than after minutes of
loading SDXL: the prompt, sizes, palette and colour budget, recipe, photo and start, then the resume state's
fingerprint against the request's, then the device (the first import of torch, last on purpose so that the
quick checks answer first) and whether the pattern's generator can fit in the device's memory at all.
:func:`validate_request` runs the same checks for front ends.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from ..imageio import Photo, load_photo, photo_from_array
from ..palette import Palette, resolve_palette
from ..sizing import MAX_CELLS, crop_to_aspect
from .recipes import Recipe, get_recipe
from .request import ALL_COLORS, BUDGET_ABOVE, DEFAULT_BUDGET, INITS, GenerateRequest, ResumeState
from .resume import _mismatch_message, load_state

if TYPE_CHECKING:  # pragma: no cover
    from .memory import MemoryEstimate


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


def _palette_fingerprint(palette: Palette) -> str:
    h = hashlib.sha256()
    for e in palette:
        h.update(f"{e.code}\t{e.rgb[0]},{e.rgb[1]},{e.rgb[2]}\n".encode())
    return h.hexdigest()[:16]


def _model_label(value: Any) -> str | None:
    return None if value is None else os.fspath(value)


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
    """Step 1 of :func:`~.pipeline.generate`: every check that needs no model; raises :class:`InputError`."""
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
    """Check a request as :func:`~.pipeline.generate` would before loading anything (for front ends); raises
    InputError."""
    _check_request(request)
