"""The SD-πXL optimisation loop: logits → render → TAESD latents → SDS gradient from SDXL (+ ControlNets).

:func:`optimize` drives a :class:`~.optimizer.SDPixlOptimizer` (:mod:`.optimizer` says what one step does) to the
end of the run. Beyond the official loop: progress every step with an argmax preview every N steps, cancel
between steps with the partial result attached, and a resume state that continues bit-identically.

The optimiser with its inputs and outputs, the prompt encoding (:mod:`.prompts`) and the tensor helpers
(:mod:`.tensors`) are importable from here too, where they lived before they had modules of their own.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import torch

from ..errors import Cancelled
from ..jobs import Reporter
from .generator import PaletteGenerator
from .optimizer import STATE_VERSION, OptimizeResult, SDPixlComponents, SDPixlOptimizer
from .prompts import PromptEmbeddings, encode_prompts
from .recipes import Recipe
from .tensors import bilinear_matrix, deterministic_cuda

__all__ = [
    "STATE_VERSION",
    "OptimizeResult",
    "PromptEmbeddings",
    "SDPixlComponents",
    "SDPixlOptimizer",
    "bilinear_matrix",
    "deterministic_cuda",
    "encode_prompts",
    "optimize",
]


def optimize(
    components: SDPixlComponents,
    generator: PaletteGenerator,
    recipe: Recipe,
    *,
    control_images: Sequence[Any] | None = None,
    steps: int | None = None,
    seed: int = 0,
    reporter: Reporter | None = None,
    resume_state: dict[str, Any] | None = None,
    preview_every: int = 50,
    log_every: int = 10,
    device: torch.device | str | None = None,
    deterministic: bool = False,
) -> OptimizeResult:
    """Run SD-πXL on ``generator``'s logits and return the palette-exact pattern.

    Progress: ``reporter.report("generate", done, total, message=..., info={t, tau, lr, …})`` after every
    step, with ``preview`` (uint8 argmax picture) after the first step, every ``preview_every`` steps and at
    the end. ``info`` has the loss and its terms on the steps that read them back from the device: those
    with a preview, every ``log_every``-th and the last (reading them every step would make the CPU wait
    for the GPU every step). Cancel (the reporter's token) is honoured between steps: the run stops within
    one step and raises :class:`~pixlcraft.errors.Cancelled` whose ``partial`` is the
    :class:`OptimizeResult` so far; its ``state`` resumes the run exactly (``resume_state=``).

    ``deterministic``: deterministic CUDA kernels (see :func:`deterministic_cuda`), for bit-exact repeats
    on a GPU at some cost in speed. CPU runs repeat exactly without it.
    """
    reporter = reporter or Reporter()
    # 1. check inputs (raises ValueError before any model runs)
    if preview_every < 1:
        raise ValueError(f"preview_every must be at least 1, got {preview_every}")
    if log_every < 1:
        raise ValueError(f"log_every must be at least 1, got {log_every}")
    # 2. prepare
    opt = SDPixlOptimizer(components, generator, recipe, control_images=control_images, steps=steps,
                          seed=seed, device=device)
    try:
        # 3. resume
        if resume_state is not None:
            opt.load_state_dict(resume_state)
        # 4. loop
        with deterministic_cuda(deterministic and opt.device.type == "cuda"):
            started = time.perf_counter()
            first = opt.step_index
            while opt.step_index < opt.total_steps:
                try:
                    reporter.check()
                    done = opt.step_index + 1
                    want_preview = done == first + 1 or done % preview_every == 0 or done == opt.total_steps
                    record = opt.step(fetch=want_preview or done % log_every == 0)
                    per_step = (time.perf_counter() - started) / (done - first)
                    loss = f"  loss {record['loss']:.4g}" if "loss" in record else ""
                    reporter.report(
                        "generate", done, opt.total_steps,
                        message=f"step {done}/{opt.total_steps}{loss}  t {int(record['t'])}",
                        preview=opt.preview() if want_preview else None,
                        info={**record, "seconds_per_step": per_step,
                              "seconds_left": per_step * (opt.total_steps - done)},
                    )
                except Cancelled as exc:
                    raise Cancelled(
                        f"Cancelled after step {opt.step_index} of {opt.total_steps}; the pattern so far is kept.",
                        partial=opt.result(),
                    ) from exc
        # 5. result
        return opt.result()
    finally:
        opt.close()
