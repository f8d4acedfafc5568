"""Named optimiser settings: ``PAPER`` (the official SD-πXL defaults) and ``FAST`` (ours).

Every number of the optimisation lives in one :class:`Recipe`, so a run's metadata (recipe + seed) is enough
to repeat it. The paper values were checked against the official code (``config/config.yaml``,
``pipelines/SD_piXL.py`` and ``pipelines/distillation/LSDS_SDXL_ControlNet_pipeline.py`` of
AlexandreBinninger/SD-piXL).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from .canvas import sdxl_canvas, square_canvas

PRECISIONS = ("fp32", "half", "bf16")
"""``Recipe.precision`` values; :meth:`Recipe.dtype_name` says what each means on each device."""


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
    precision: str = "fp32"  # "fp32", "half" (fp16 on CUDA and MPS) or "bf16" (CUDA); fp32 on CPU: dtype_name
    unet_batch: int = 3  # 3 = official [neg, pos, uncond] (uncond unused); 2 = [neg, pos]
    channels_last: bool = False
    compile: bool = False
    taesd_tiling: bool = True  # the official pipeline enables VAE tiling, which TAESD honours when encoding
    # for encode_prompts(): the official code passes negative_prompt="" explicitly, so "" is encoded
    zero_empty_negative: bool = False
    # added for issue 14 (speed): the FFT weight scaled by fft_reference_cells / √(H·W) for an H×W pattern
    # (see losses.fft_weight_for); None keeps fft_weight for every size, as the official code (PAPER)
    fft_reference_cells: int | None = None

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
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}, got {self.precision!r}")
        if self.max_colors is not None and self.max_colors < 1:
            raise ValueError(f"max_colors must be at least 1, got {self.max_colors}")
        if self.fft_reference_cells is not None and self.fft_reference_cells < 1:
            raise ValueError(f"fft_reference_cells must be at least 1, got {self.fft_reference_cells}")

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)

    def with_steps(self, steps: int) -> Recipe:
        """This recipe run for ``steps`` steps with PAPER's balance kept: warm-up, learning rate and weight
        decay rescaled by :func:`balanced_schedule` (see there for why). ``--steps`` goes through here."""
        lr, weight_decay, warmup = balanced_schedule(steps)
        return self.replace(steps=steps, lr=lr, weight_decay=weight_decay, warmup_steps=warmup)

    def schedule_sums(self) -> tuple[float, float]:
        """(Σ lr, √Σ lr²) over the run: how far a logit can drift under a steady gradient, and how far it
        wanders under a gradient whose sign is random (Adam moves a parameter by about lr each step)."""
        return lr_sums(self.lr, self.steps, self.warmup_steps)

    def total_decay(self) -> float:
        """exp(−wd·Σ lr): what is left of the start after AdamW's decoupled weight decay over the run."""
        return math.exp(-self.weight_decay * self.schedule_sums()[0])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able settings, for pattern metadata and resume checks."""
        out = dataclasses.asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}

    def dtype_name(self, device_type: str) -> str:
        """Dtype of the UNet, ControlNets and TAESD on a device: "fp32" float32 everywhere; "half" float16
        on CUDA and MPS; "bf16" bfloat16 on CUDA, float16 on MPS. Always float32 on the CPU, where half
        types are slower and partly unsupported. The logits, Adam state, latents, SDS gradient and every
        loss stay fp32 whatever this says; the loop follows the loaded modules' dtype, and this is what the
        loader should pick.

        Why fp16 rather than bf16 for "half": bf16 keeps only an 8-bit mantissa (fp16 11 bits), and SDS
        multiplies the *difference* of two noise predictions, ε_pos − ε_neg, by the guidance scale 40, so
        the rounding of each prediction survives in that small difference and reaches the gradient 40×
        larger. On the tiny test models (``benchmarks/sds_precision.py``: same weights, image, t and noise;
        two seeds, t = 100, 500, 900) the SDS gradient's relative error against fp32 was 0.6–1.1 % in fp16 and
        5–9 % in bf16 (cosine ≥ 0.99994 against 0.996–0.999), and the SDS loss moved 0.1–0.2 % in fp16
        against 0.8–1.1 % in bf16.

        fp16's risk is overflow (its largest value is 65504) in activations. The three models are ones
        diffusers runs in fp16 as a matter of course (SDXL's UNet and its ControlNets ship fp16 weights, and
        TAESD-XL's own instructions load it in fp16 beside an fp16 SDXL); the SDXL part known to overflow in
        fp16, its full VAE, is not in the loop (TAESD replaces it). Outside the models nothing is fp16:
        ``predict_noise`` returns the noise predictions in fp32, ``sds_grad`` forms the guided difference, its
        ×40 and the weighting in fp32 and zeroes NaNs, and the latents TAESD returns are cast to fp32 before
        the loss. ``benchmarks/sds_precision.py`` reports whether a full-size step stays finite in each type.

        "bf16" stays for CUDA runs that would rather trade precision for fp32's exponent range. On MPS it
        falls back to fp16: PyTorch's MPS backend has bf16 only from macOS 14 on and not for every op, and
        fp16 runs on every Apple GPU, so a Mac run gets fp16 instead of failing partway through.
        """
        if self.precision == "fp32" or device_type == "cpu":
            return "float32"
        if self.precision == "bf16" and device_type == "cuda":
            return "bfloat16"
        return "float16"

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


MAX_LR = 0.1
"""Largest learning rate :func:`balanced_schedule` gives (4× PAPER's). Adam moves a logit by about lr per step,
and near-identical thread shades sit 0.9–1.7 logits apart: above about a tenth of that gap, single noisy
steps start to swap such shades back and forth. Runs shorter than about 600 steps hit this cap and then
wander less than PAPER (the decay is still matched)."""


def lr_sums(lr: float, steps: int, warmup: int) -> tuple[float, float]:
    """(Σ lr_k, √Σ lr_k²) over ``steps`` steps of :meth:`Recipe.lr_at`'s schedule (linear warm-up from 0)."""
    w = max(0, int(warmup))
    m = min(w, int(steps))  # steps spent warming up
    ramp1 = m * (m - 1) / (2.0 * w) if w else 0.0  # Σ_{k<m} k/w
    ramp2 = (m - 1) * m * (2 * m - 1) / (6.0 * w * w) if w else 0.0  # Σ_{k<m} (k/w)²
    flat = steps - m
    return lr * (ramp1 + flat), lr * math.sqrt(ramp2 + flat)


def balanced_schedule(steps: int) -> tuple[float, float, int]:
    """(lr, weight decay, warm-up steps) for a run of ``steps`` that keeps PAPER's integrated quantities.

    Why. AdamW's update moves each logit by about lr per step whatever the gradient's scale, and its decoupled
    decay multiplies the logits by (1 − lr·wd) each step. Over a run, three quantities follow:

    * the total decay exp(−wd·Σlr): PAPER 0.085 (its photo start has mostly decayed away by the end);
    * the travel under noisy gradients, √Σlr² ≈ lr·√N: SDS gradients change sign from step to step, so a
      logit random-walks; PAPER 2.48 logits, about the gap between a cell's first and second colours;
    * the drift under a steady gradient, Σlr ≈ lr·N: PAPER 247 logits.

    Shortening the run with lr and wd unchanged (FAST before: 2,000 steps) keeps none of them: decay 0.61
    (most of the start survives), walk 1.1, drift 49. Two knobs, lr and wd, can hold two of the three: lr from
    the walk, lr = 2.48/√N′ (N′ the warm-up-weighted count), and then wd from the decay, wd·Σlr = 2.47. The
    walk wins over the drift because the drift is not what limits a run: any drift above the colour gaps
    (1–10 logits) already lets every cell change its mind, and at 2,000 steps it is still 110, while matching
    the drift instead (lr = 0.12) would double the walk, which is exactly the speckle that near-identical
    thread shades show. With the decay matched, the decay's time constant 1/(lr·wd) stays 40 % of the run
    (PAPER: 4,000 of 10,001 steps), and the random walk's equilibrium under decay, √(lr/2wd), stays PAPER's
    1.1 logits, so the two runs also agree on how far noise alone can push a logit at the end. The warm-up
    keeps its share of the run (2.5 %). For 2,000 steps: lr 0.0559, wd 0.0224, warm-up 50. Above
    :data:`MAX_LR` (runs under about 600 steps) lr is capped and only the decay is kept.
    """
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if steps == PAPER.steps:
        return PAPER.lr, PAPER.weight_decay, PAPER.warmup_steps  # exactly, not up to rounding
    drift, walk = PAPER.schedule_sums()
    warmup = math.floor(PAPER.warmup_steps * steps / PAPER.steps + 0.5)
    unit_drift, unit_walk = lr_sums(1.0, steps, warmup)
    lr = min(MAX_LR, walk / unit_walk) if unit_walk > 0 else MAX_LR
    weight_decay = PAPER.weight_decay * drift / (lr * unit_drift) if unit_drift > 0 else PAPER.weight_decay
    return lr, weight_decay, warmup


VISIBLE_SPECK = 0.3
"""A clearly visible one-cell speck: the L1 distance (sRGB in [0, 1]) between its colour and its neighbours'
(about 25 of 255 a channel, CIEDE2000 about 10)."""

FFT_SPECK_GRADIENT = 1.0 / 3.0
"""The FFT term's gradient on a one-cell speck, per unit of colour in one channel, at any pattern size
(a spike has the same magnitude in every frequency bin, and the term averages over the bins of 3 channels;
measured in the tests)."""

CONFETTI_WEIGHT = round(PAPER.fft_weight * FFT_SPECK_GRADIENT * VISIBLE_SPECK / 4.0, 6)
"""FAST's confetti weight, 0.5: the confetti term pulls a lone cell towards its neighbours' colour as hard as
the paper's FFT term pulls on a clearly visible speck.

Moving probability from a lone cell's colour A to its neighbours' B changes the render by B − A, so the FFT
term (weight 20) pulls on that probability with 20·⅓·‖B − A‖₁: about 2 for a visible speck, but only 0.2
for a near-identical thread shade (‖B − A‖₁ ≈ 0.03), which is why the FFT term leaves such specks alone.
The confetti term pulls with 4·w whatever the colours (a lone cell pays for its four edges). w = 0.5 makes
it as strong on a near-duplicate as the FFT term is on a visible speck, ten times what the FFT term gives the
near-duplicate; a real one-cell detail the picture needs is left for the SDS gradient to defend, as the FFT
term already asks of it."""

_FAST_STEPS = 2_000
_FAST_LR, _FAST_WD, _FAST_WARMUP = balanced_schedule(_FAST_STEPS)

FAST = Recipe(
    name="fast",
    steps=_FAST_STEPS,
    lr=_FAST_LR,
    weight_decay=_FAST_WD,
    warmup_steps=_FAST_WARMUP,
    canvas="aspect",
    precision="half",
    unet_batch=2,
    channels_last=True,
    compile=False,
    taesd_tiling=False,
    color_budget_weight=1.0,
    confetti_weight=CONFETTI_WEIGHT,
    fft_reference_cells=64,
)
"""Ours: same maths as PAPER, executed faster and for fewer steps. Why it is what it is:

* Execution, not maths: UNet and ControlNets in fp16 on CUDA and MPS (``precision="bf16"`` for bf16 on
  CUDA; :meth:`Recipe.dtype_name` says why fp16) with channels-last memory; TAESD encodes in the same half
  type while the logits, the Adam state, the SDS gradient and every loss stay fp32. The
  third UNet branch of the official code (an unconditional prediction it computes and discards) is dropped:
  batch 2 instead of 3. Attention is PyTorch's SDPA, which diffusers already selects by default on torch 2
  (so the official code used it too). TAESD's tiled encoding (switched on by the official pipeline's
  ``enable_vae_tiling``: 9 overlapping 512² tiles at 1024²) is replaced by one plain encode, which is faster
  and has no tile seams. ``compile=True`` (``torch.compile`` of the UNet and ControlNets as one CUDA graph,
  and of TAESD's encoder; see :mod:`.compiling`) is left to the caller (``--compile``): it pays off only
  over hundreds of steps on CUDA.
* Steps: 2,000 instead of 10,001, with the learning rate and the weight decay rescaled so that the run
  keeps PAPER's total decay and its random-walk reach (lr 0.0559, wd 0.0224; :func:`balanced_schedule` has
  the derivation). The two schedules keep their *proportions*: the warm-up stays 2.5 % of the run
  (250/10,001 → 50/2,000) and t_max still falls from 0.98 to 0.8 over the first half, so the coarse-to-fine
  order (high noise levels settle the layout, low ones the detail) is kept, only compressed.
* The canvas keeps the pattern's aspect ratio (area ≈ 1024², sides multiples of 64) with matching SDXL time
  ids, instead of squashing the pattern onto a square.
* The FFT weight follows the pattern's size: 20 × 64 / √(H·W) (``fft_reference_cells=64``). The official
  weight of 20 was tuned on the official config's 64×64 patterns, and per cell the FFT term's pull falls as
  1/n while the SDS term's falls as 1/n² (n cells per side, :func:`.losses.fft_weight_for`), so a fixed 20
  smooths a 200-cell pattern about 3× as hard as it did there, and a 32-cell one half as hard.
* With a colour budget (``max_colors``; the pipeline gives palettes of more than 40 colours a budget of 24
  unless told otherwise) the colour-budget term is on (weight 1 per cell of probability mass outside the K
  most used colours) and the read-out is restricted to those K colours. The confetti term is on at
  :data:`CONFETTI_WEIGHT` (argued there from the FFT term's own scale), and the pipeline applies the classic
  converter's confetti clean-up to the read-out.
"""

RECIPES: dict[str, Recipe] = {"paper": PAPER, "fast": FAST}


def get_recipe(name: str) -> Recipe:
    """Look a recipe up by name (``paper`` or ``fast``)."""
    try:
        return RECIPES[name]
    except KeyError:
        raise ValueError(f"unknown recipe {name!r}; choose one of: {', '.join(RECIPES)}") from None
