"""``torch.compile`` for the frozen models of a run (``Recipe.compile``, ``--compile``, the app's setting).

What is compiled, and how:

* The denoiser — both ControlNets and the UNet, as *one* function — with ``mode="reduce-overhead"``: Inductor's
  fused kernels replayed as a CUDA graph. A graph is possible because every shape is fixed for a whole run
  (canvas, batch, prompt length) and the branch runs under ``no_grad``, so there is no backward to record.
  Replaying one graph per step removes the ~2,000 kernel launches of an SDXL UNet and two ControlNets, which
  on a fast GPU otherwise leave it waiting on the CPU. "max-autotune-no-cudagraphs" was the alternative: it
  benchmarks GEMM/convolution templates for every layer, which takes far longer to compile than a run of a
  few thousand steps could win back. One function rather than three compiled modules because CUDA-graph
  outputs live in a pool that the next graph reuses: the ControlNet residuals stay inside the graph, and the
  only output (the noise estimate) is copied before the next step replays it.
* TAESD's encoder with the default mode (Inductor, no CUDA graphs): it runs with gradients (the SDS gradient
  flows through it to the logits), and CUDA graphs around a forward whose backward runs later in eager code
  would pin its activations in the graph pool. Only the plain (untiled) encode is compiled; PAPER's tiled one
  stays eager.
* Memory format channels-last for all three, which Inductor's convolutions prefer on NVIDIA GPUs.

On any device other than CUDA compiling is skipped: Inductor's CPU backend needs a C++ toolchain, takes minutes
for SDXL and gains little, and MPS has no CUDA graphs. ``BACKEND`` exists so that tests can run the same wiring
with the ``"eager"`` backend (or a counting one) anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

BACKEND: str | Callable[..., Any] = "inductor"
DENOISER_MODE = "reduce-overhead"

CPU_NOTE = "--compile needs a CUDA GPU; on this device it is ignored."


def supported(device: torch.device) -> bool:
    """Whether :func:`compile_denoiser` and :func:`compile_encoder` compile on ``device`` (else: eager)."""
    return device.type == "cuda" or BACKEND != "inductor"


def _compile(fn: Any, mode: str | None) -> Any:
    if BACKEND == "inductor":
        return torch.compile(fn, backend="inductor", mode=mode, dynamic=False)
    return torch.compile(fn, backend=BACKEND, dynamic=False)


def compile_denoiser(fn: Callable[..., torch.Tensor], device: torch.device) -> Callable[..., torch.Tensor]:
    """``fn`` (ControlNets + UNet → fp32 noise estimate) compiled, with CUDA graphs on CUDA.

    Every call is marked as a new step for the CUDA-graph tree, and the result is cloned out of the graph's
    memory pool, so the caller may keep it past the next call.
    """
    compiled = _compile(fn, DENOISER_MODE if device.type == "cuda" else None)

    def call(*args: Any, **kwargs: Any) -> torch.Tensor:
        if device.type == "cuda":
            torch.compiler.cudagraph_mark_step_begin()
        return compiled(*args, **kwargs).clone()

    call.compiled = compiled  # type: ignore[attr-defined]
    return call


def compile_encoder(encoder: torch.nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """TAESD's encoder module compiled without CUDA graphs (it runs with gradients)."""
    return _compile(encoder, None)


def release() -> None:
    """Forget every compiled graph (and the CUDA-graph pools they hold); the next run compiles afresh."""
    torch._dynamo.reset()


def to_channels_last(*modules: Any) -> None:
    for module in modules:
        module.to(memory_format=torch.channels_last)
