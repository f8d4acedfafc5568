"""What one SD-πXL run is asked and what it hands back: :class:`GenerateRequest`, :class:`GenerateResult` and the
:class:`ResumeState` a cancelled run leaves for :func:`~.resume.save_state`.

Plain data with the defaults the checks in :mod:`.plan` apply (why a big palette gets a colour budget is told
at :data:`BUDGET_ABOVE`). Nothing here imports torch or a model library, so building a request costs nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..imageio import Photo
from ..palette import Palette
from ..pattern import Pattern
from .recipes import Recipe

if TYPE_CHECKING:  # pragma: no cover
    from .optimizer import OptimizeResult

#: Initialisations: the first two for a prompt alone, the last two for a photo.
INITS = ("reference", "random", "photo", "classic")


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
        """The resumable state of this run (pass to :func:`~.resume.save_state`, or as ``GenerateRequest.resume``)."""
        scores = [self.clip_scores[self.reference_index]] if self.reference_index is not None else []
        return ResumeState(self.fingerprint, self.optimize.state, self.reference, scores)
