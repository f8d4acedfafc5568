"""How much memory an SD-πXL run needs, checked before it starts instead of discovered as a crash minutes in.

Three parts:

* **The palette generator**: H·W·n float32 numbers per tensor (n palette colours per cell), and a step holds
  several such tensors at once. Counted op by op (``tests/test_sdpixl_memory.py`` measures it): the logits,
  Adam's two moments and the previous step's gradient persist; the Gumbel sample draws Exp(1) noise, takes
  its log, adds the logits and divides by τ while the softmax output appears — 8 tensors at the peak. The
  confetti term adds 3 (its own softmax kept for the backward pass, a neighbour product, and the backward's
  gradients); the colour-budget term fits under the same peak. 1000×1000 cells of DMC's 489 colours: 8 ×
  1.96 GB = 15.6 GB, 21.5 GB with the confetti term.
* **The models**: the bytes of every parameter and buffer of the loaded UNet, ControlNets and TAESD.
* **Activations**, proportional to the model canvas's area. Measured per 1024² pixels with the full-size
  published configs on the ``meta`` device (``python -m benchmarks.sdpixl_memory``: shapes only, peak bytes
  of live tensors, attention as a fused kernel that stores no attention matrix, as PyTorch's flash and
  memory-efficient SDPA do on a GPU): the no-grad ControlNets + UNet pass peaks at 0.13 GiB per batch entry
  per byte of the weights' dtype (0.52 GiB in bf16 with batch 2, FAST; 1.56 GiB in fp32 with batch 3,
  PAPER); TAESD's encode, whose graph is kept for the backward pass, at 0.46 GiB per byte (0.92 GiB in
  bf16); the fp32 render, augmentation and control images at 0.19 GiB. The parts are added (TAESD's graph
  is alive while the UNet runs), then a 25 % margin and 0.5 GiB for cuDNN/cuBLAS workspaces and allocator
  slack, because the measurement counts only what PyTorch asks for: FAST 2.5 GiB, PAPER 5.0 GiB at 1024².
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import InputError

GIB = 2**30
GENERATOR_TENSORS = 8
CONFETTI_TENSORS = 3
# GiB per 1024² canvas pixels (see the module's docstring)
DENOISE_GIB_PER_SAMPLE_BYTE = 0.13
TAESD_GIB_PER_BYTE = 0.46
RENDER_GIB = 0.19
ACTIVATION_MARGIN = 1.25
WORKSPACE_BYTES = GIB // 2


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a run needs, by part (see the module's docstring for how each is counted)."""

    generator: int
    models: int
    activations: int
    cells: tuple[int, int, int] = (0, 0, 0)  # (H, W, n) for the message

    @property
    def total(self) -> int:
        return self.generator + self.models + self.activations

    def describe(self) -> str:
        h, w, n = self.cells
        parts = [f"{_gb(self.generator)} for the {w}×{h}-cell pattern's table of {n} colours per cell"]
        if self.models:
            parts.append(f"{_gb(self.models)} for the models")
        parts.append(f"{_gb(self.activations)} of working memory")
        return ", ".join(parts)


def _gb(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def generator_bytes(height: int, width: int, n_colors: int, *, confetti: bool = False) -> int:
    """Peak bytes of the palette generator's H·W·n float32 tensors in one step."""
    count = GENERATOR_TENSORS + (CONFETTI_TENSORS if confetti else 0)
    return count * int(height) * int(width) * int(n_colors) * 4


def activation_bytes(canvas: tuple[int, int], *, unet_batch: int, dtype_bytes: int) -> int:
    """Peak working memory of the models and the render at a (W, H) canvas, margin and workspaces included."""
    area = canvas[0] * canvas[1] / 2**20
    gib = area * (DENOISE_GIB_PER_SAMPLE_BYTE * unet_batch * dtype_bytes + TAESD_GIB_PER_BYTE * dtype_bytes
                  + RENDER_GIB)
    return int(gib * GIB * ACTIVATION_MARGIN) + WORKSPACE_BYTES


def module_bytes(modules: Iterable[Any]) -> int:
    """Bytes of the parameters and buffers of ``modules`` (each counted once, shared weights too)."""
    seen: set[int] = set()
    total = 0
    for module in modules:
        if module is None:
            continue
        for t in (*module.parameters(), *module.buffers()):
            key = t.untyped_storage().data_ptr() if t.device.type != "meta" else id(t)
            if key in seen:
                continue
            seen.add(key)
            total += t.numel() * t.element_size()
    return total


def estimate_memory(
    height: int,
    width: int,
    n_colors: int,
    *,
    canvas: tuple[int, int],
    unet_batch: int = 2,
    dtype_bytes: int = 2,
    confetti: bool = False,
    modules: Iterable[Any] = (),
) -> MemoryEstimate:
    """The memory one optimisation needs: generator + loaded ``modules`` + activations at ``canvas``."""
    return MemoryEstimate(
        generator=generator_bytes(height, width, n_colors, confetti=confetti),
        models=module_bytes(modules),
        activations=activation_bytes(canvas, unet_batch=unet_batch, dtype_bytes=dtype_bytes),
        cells=(int(height), int(width), int(n_colors)),
    )


# ---------------------------------------------------------------------------------------------------------
# what the device has


def _meminfo() -> dict[str, int]:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            text = f.read()
    except OSError:
        return {}
    return {m[1]: int(m[2]) * 1024 for m in re.finditer(r"^(\w+):\s+(\d+) kB", text, re.M)}


def free_memory(device: Any) -> tuple[int, int] | None:
    """(free now, total) bytes of ``device``; None where it cannot be told (MPS, a CUDA that fails, unknown
    systems), and then nothing is refused.

    CUDA: the driver's free memory plus what PyTorch's caching allocator holds but does not use (it hands
    that out first). CPU: RAM available without swapping out other programs' working sets plus free swap,
    from psutil when present (it comes with accelerate), else ``/proc/meminfo``, else ``sysconf``.
    """
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        try:
            free, total = torch.cuda.mem_get_info(device)
            cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        except (RuntimeError, AssertionError):  # no usable CUDA after all: the run itself will say so
            return None
        return int(free + cached), int(total)
    if device.type != "cpu":
        return None
    try:
        import psutil

        vm, swap = psutil.virtual_memory(), psutil.swap_memory()
        return int(vm.available + swap.free), int(vm.total + swap.total)
    except ImportError:
        pass
    info = _meminfo()
    if "MemAvailable" in info:
        return (info["MemAvailable"] + info.get("SwapFree", 0), info.get("MemTotal", 0) + info.get("SwapTotal", 0))
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return int(os.sysconf("SC_AVPHYS_PAGES") * page), int(os.sysconf("SC_PHYS_PAGES") * page)
    except (ValueError, OSError, AttributeError):
        return None


def _advice() -> str:
    return ("Make the pattern smaller (--width/--height; memory grows with the number of cells), or use a palette "
            "with fewer colours (--owned with the colours you have: memory grows with the palette's size, not "
            "with --max-colors).")


def check_memory(estimate: MemoryEstimate, device: Any, *, models_loaded: bool,
                 available: tuple[int, int] | None = None) -> None:
    """Raise :class:`~pixlcraft.errors.InputError` when the run cannot fit on ``device``.

    ``models_loaded``: the models already sit in the memory that ``available`` reports as used, so only the
    generator and the activations must still fit into what is free. Before loading (``False``) only the
    generator, the part that grows without bound with the pattern, is compared with the device's *total*
    memory: a run that cannot fit even on an empty device is refused before minutes of loading.

    On a GPU the estimate must fit into what is free. On the CPU a run is refused only when it clearly cannot
    work: the generator alone (counted exactly, unlike the rough activations) exceeds RAM + swap; anything
    less may still run, swapping, and the user may prefer that to a refusal.
    """
    import torch

    device = torch.device(device)
    if available is None:
        available = free_memory(device)
    if available is None:
        return
    free, total = available
    where = "GPU" if device.type == "cuda" else "RAM and swap" if device.type == "cpu" else str(device)
    if not models_loaded:
        if estimate.generator <= total:
            return
        raise InputError(
            f"This pattern needs about {_gb(estimate.generator)} for its table of {estimate.cells[2]} colours per "
            f"cell alone ({estimate.cells[1]}×{estimate.cells[0]} cells), more than the {_gb(total)} of "
            f"{where} this computer has. {_advice()}",
            gui=f"This pattern needs about {_gb(estimate.generator)} of memory, more than the {_gb(total)} this "
                "computer has for AI generation. Make the pattern smaller, or use fewer colours (only the colours "
                "you own).",
        )
    needed = estimate.generator + estimate.activations
    limit = needed if device.type == "cuda" else estimate.generator
    if limit <= free:
        return
    raise InputError(
        f"This run needs about {_gb(estimate.total)} of {where} ({estimate.describe()}); with the models loaded "
        f"{_gb(needed)} more must fit, but only {_gb(free)} is free. {_advice()} Closing other programs that "
        "use the GPU helps too." if device.type == "cuda" else
        f"This run needs about {_gb(estimate.total)} of {where} ({estimate.describe()}), but only {_gb(free)} is "
        f"free. {_advice()}",
        gui=f"This run needs about {_gb(needed)} more memory than the models, but only {_gb(free)} is free. Make "
            "the pattern smaller, or use fewer colours (only the colours you own).",
    )


def fits_text(estimate: MemoryEstimate) -> str:
    """One line for logs and benchmarks: the estimate by part, in GB."""
    return f"{_gb(estimate.total)} ({estimate.describe()})"


__all__ = [
    "MemoryEstimate",
    "activation_bytes",
    "check_memory",
    "estimate_memory",
    "fits_text",
    "free_memory",
    "generator_bytes",
    "module_bytes",
]
