"""Named optimiser settings: ``PAPER`` (the official SD-πXL defaults) and ``FAST`` (ours).

Every number of the optimisation lives in one :class:`Recipe`, so a run's metadata (recipe + seed) is enough
to repeat it. The paper values were checked against the official code (``config/config.yaml``,
``pipelines/SD_piXL.py`` and ``pipelines/distillation/LSDS_SDXL_ControlNet_pipeline.py`` of
AlexandreBinninger/SD-piXL).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .canvas import sdxl_canvas, square_canvas


@dataclass(frozen=True)
class Recipe:
    """All settings of one SD-πXL optimisation."""

    name: str = "custom"
    # optimiser (AdamW on the logits, diffusers' "constant_with_warmup" schedule, grad-norm clipping)
    steps: int = 10_001
    lr: float = 0.025
    betas: tuple[float, float] = (0.9, 0.999)
    weight_decay: float = 0.01
    adam_eps: float = 1e-8
    max_grad_norm: float | None = 1.0
    warmup_steps: int = 250
    # Gumbel-softmax temperature, drawn uniformly each step
    tau_min: float = 0.5
    tau_max: float = 1.5
    # diffusion time: t ~ U{⌊1000·t_min⌋ … ⌊1000·t_max(step)⌋}, t_max falling linearly from t_max_start to
    # t_max_end over the first ``t_anneal_fraction`` of the steps ("bounded_max" in the official code)
    t_min: float = 0.02
    t_max_start: float = 0.98
    t_max_end: float = 0.8
    t_anneal_fraction: float = 0.5
    # score distillation
    guidance_scale: float = 40.0
    grad_scale: float = 1.0
    weighting: str = "cumprod"
    controlnet_scales: tuple[float, ...] = (0.15, 0.15)
    # other terms
    fft_weight: float = 20.0
    max_colors: int | None = None
    color_budget_weight: float = 0.0
    confetti_weight: float = 0.0
    # augmentation, shared by render and control images
    grey_p: float = 0.2
    perspective_p: float = 0.5
    perspective_scale: float = 0.3
    hflip_p: float = 0.5
    # canvas: "square" (official, always side×side) or "aspect" (ours: area ≈ side², pattern's aspect)
    canvas: str = "square"
    canvas_side: int = 1024
    canvas_multiple: int = 64
    # execution
    precision: str = "fp32"  # "fp32" or "half" (bf16 on CUDA where supported, fp16 on MPS, fp32 on CPU)
    unet_batch: int = 3  # 3 = official [neg, pos, uncond] (uncond unused); 2 = [neg, pos]
    channels_last: bool = False
    compile: bool = False
    taesd_tiling: bool = True  # the official pipeline enables VAE tiling, which TAESD honours when encoding
    # for encode_prompts(): the official code passes negative_prompt="" explicitly, so "" is encoded
    zero_empty_negative: bool = False

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.steps}")
        if not 0 < self.tau_min <= self.tau_max:
            raise ValueError(f"need 0 < tau_min ≤ tau_max, got {self.tau_min}, {self.tau_max}")
        if not 0 <= self.t_min < self.t_max_end <= self.t_max_start <= 1:
            raise ValueError("need 0 ≤ t_min < t_max_end ≤ t_max_start ≤ 1")
        if self.unet_batch not in (2, 3):
            raise ValueError(f"unet_batch must be 2 or 3, got {self.unet_batch}")
        if self.canvas not in ("square", "aspect"):
            raise ValueError(f"canvas must be 'square' or 'aspect', got {self.canvas!r}")
        if self.precision not in ("fp32", "half"):
            raise ValueError(f"precision must be 'fp32' or 'half', got {self.precision!r}")
        if self.max_colors is not None and self.max_colors < 1:
            raise ValueError(f"max_colors must be at least 1, got {self.max_colors}")

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able settings, for pattern metadata and resume checks."""
        out = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    def dtype_name(self, device_type: str) -> str:
        """Model weight dtype for a device: fp32 always for PAPER; for "half" bf16 on CUDA, fp16 on MPS.

        bf16 keeps fp32's exponent range, so no activation of the UNet or TAESD can overflow (the SDS
        gradient itself is always formed in fp32); MPS lacks fast bf16, and CPU gains nothing from either.
        The loop follows whatever dtype the loaded modules have; this is what the loader should pick.
        """
        if self.precision == "fp32" or device_type == "cpu":
            return "float32"
        return "bfloat16" if device_type == "cuda" else "float16"

    # -- schedules -----------------------------------------------------------------------------------------

    def lr_at(self, step: int) -> float:
        """Learning rate of optimiser step ``step`` (0-based): linear warm-up from 0, then constant.

        diffusers' ``constant_with_warmup`` multiplies by step / warmup before the first scheduler tick, so
        the very first step runs at lr 0 in the official code too.
        """
        if self.warmup_steps > 0 and step < self.warmup_steps:
            return self.lr * step / self.warmup_steps
        return self.lr

    def t_bounds(self, step: int, total: int, num_train_timesteps: int = 1000) -> tuple[int, int]:
        """Inclusive integer range of diffusion timesteps for step ``step`` of ``total`` (official formula)."""
        reached = self.t_anneal_fraction * total
        if step >= reached:
            t_max = self.t_max_end
        else:
            t_max = self.t_max_start - (self.t_max_start - self.t_max_end) * step / reached
        return int(num_train_timesteps * self.t_min), int(num_train_timesteps * t_max)

    def canvas_size(self, width_cells: int, height_cells: int) -> tuple[int, int]:
        """(W, H) pixels of the model canvas for a pattern of the given size."""
        if self.canvas == "square":
            return square_canvas(self.canvas_side)
        return sdxl_canvas(width_cells, height_cells, side=self.canvas_side, multiple=self.canvas_multiple)


PAPER = Recipe(name="paper")
"""The official defaults: 10,001 fp32 steps, UNet batch 3, square 1024² canvas, no fabrication terms."""


FAST = Recipe(
    name="fast",
    steps=2_000,
    warmup_steps=50,
    canvas="aspect",
    precision="half",
    unet_batch=2,
    channels_last=True,
    compile=False,
    taesd_tiling=False,
    color_budget_weight=1.0,
)
"""Ours: same maths as PAPER, executed faster and for fewer steps. Why it is what it is:

* Execution, not maths: UNet and ControlNets in bf16 (fp16 on MPS) with channels-last memory; TAESD encodes
  in the same half type while the logits, the Adam state, the SDS gradient and every loss stay fp32. The
  third UNet branch of the official code (an unconditional prediction it computes and discards) is dropped:
  batch 2 instead of 3. Attention is PyTorch's SDPA, which diffusers already selects by default on torch 2
  (so the official code used it too). TAESD's tiled encoding (switched on by the official pipeline's
  ``enable_vae_tiling``: 9 overlapping 512² tiles at 1024²) is replaced by one plain encode, which is faster
  and has no tile seams. ``compile=True`` (``torch.compile`` of the UNet) is left to the caller: it pays off
  only over hundreds of steps on CUDA.
* Steps: 2,000 instead of 10,001. AdamW moves every logit by about lr = 0.025 per step whatever the
  gradient's scale, so 2,000 steps still let a logit travel up to 50 units, several times the gap between a
  cell's first and second colour at the start (√n·ΔRGB, about 1–10 for the palettes we use): every cell can
  still change colour several times. The two schedules keep their *proportions*: the warm-up stays 2.5 % of
  the run (250/10,001 → 50/2,000) and t_max still falls from 0.98 to 0.8 over the first half, so the
  coarse-to-fine order (high noise levels settle the layout, low ones the detail) is kept, only compressed.
* The canvas keeps the pattern's aspect ratio (area ≈ 1024², sides multiples of 64) with matching SDXL time
  ids, instead of squashing the pattern onto a square.
* With a colour budget (``max_colors``) the colour-budget term is on (weight 1 per cell of probability mass
  outside the K most used colours) and the read-out is restricted to those K colours. The confetti term is
  off unless asked for (``confetti_weight``).
"""

RECIPES: dict[str, Recipe] = {"paper": PAPER, "fast": FAST}


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by name (``paper`` or ``fast``)."""
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}") from None
