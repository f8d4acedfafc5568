"""How long a PASD run will take on this computer: an estimate, from a few measured figures (no torch needed).

PASD's cost is one ControlNet + UNet pass per step over the whole working image (both halves of classifier-free
guidance at once), plus one VAE encode and decode, plus loading about 6.5 GB of weights. It grows with the
number of pixels PASD works at (:func:`~.sizes.processing_size`: short side at least 768 px) and with the steps.

Figures used (each an estimate, say so wherever it is shown):

* **CPU**: one step at a 768 × 512 working size took 85 s with 2 threads. A stock SD 1.5 UNet + ControlNet step
  measured on a 2-core machine for this estimate took 92 s at that size (PASD's pixel-aware layers come on top), and
  the VAE's encode + decode there took 102 s, i.e. about :data:`VAE_STEPS` steps. More threads are assumed to
  help with 75 % efficiency per doubling (``(threads/2)^0.75``), which is a guess, not a measurement.
* **CUDA**: the authors' 12.5 s for a 1024 × 1024 result on an NVIDIA A100 (20 steps), taken as the cost of 20
  steps at that size. Consumer GPUs are slower; an A100 figure gives the lower end.
* **MPS** (Apple): no measurement; assumed :data:`MPS_SLOWER` times the A100 figure.

Time scales linearly with pixels and steps here; attention grows faster than that, so very large images take
longer than estimated — but above 2560 px PASD denoises in tiles (:mod:`.sizes`), whose overlap is counted.
"""

from __future__ import annotations

import os
import sys

from .sizes import PROCESS_SIZE, TILE_PX, processing_size, tiled_pixels

CPU_STEP_SECONDS = 85.0
CPU_STEP_PIXELS = 768 * 512
CPU_REFERENCE_THREADS = 2
A100_SECONDS = 12.5
A100_PIXELS = 1024 * 1024
A100_STEPS = 20
MPS_SLOWER = 8.0
VAE_STEPS = 1.2
"""The VAE's encode + decode cost, in denoising steps at the same size (measured on the CPU: 102 s vs 85 s)."""
LOAD_SECONDS = {"cpu": 45.0, "cuda": 20.0, "mps": 30.0}
"""Reading and placing about 6.5 GB of weights (once per session; a loaded pipeline is reused)."""
CAPTION_SECONDS = {"cpu": 8.0, "cuda": 2.0, "mps": 4.0}
"""Loading BLIP base (990 MB) and captioning one photo with beam search."""


def _kind(device: str) -> str:
    kind = device.strip().lower().split(":")[0]
    return kind if kind in ("cuda", "mps") else "cpu"


def cpu_threads() -> int:
    """The threads PyTorch computes with (when it is loaded), else the CPUs this process may use."""
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            return max(1, int(torch.get_num_threads()))
        except Exception:  # noqa: BLE001 - a half-imported torch must not break an estimate
            pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def step_seconds(work_width: int, work_height: int, device: str = "cpu", threads: int | None = None) -> float:
    """Seconds for one denoising step when PASD works at ``work_width`` × ``work_height`` pixels (untiled)."""
    pixels = work_width * work_height
    kind = _kind(device)
    if kind == "cpu":
        speedup = (max(1, threads or cpu_threads()) / CPU_REFERENCE_THREADS) ** 0.75
        return CPU_STEP_SECONDS * pixels / CPU_STEP_PIXELS / speedup
    per_pixel_step = A100_SECONDS / A100_STEPS / A100_PIXELS
    return per_pixel_step * pixels * (MPS_SLOWER if kind == "mps" else 1.0)


def estimate_seconds(
    width: int,
    height: int,
    steps: int = 20,
    device: str = "cpu",
    *,
    process_size: int = PROCESS_SIZE,
    tile_px: int = TILE_PX,
    caption: bool = False,
    loaded: bool = False,
    threads: int | None = None,
) -> float:
    """Estimated seconds for PASD to restore a result of ``width`` × ``height`` pixels on ``device``.

    ``width`` × ``height`` is the size asked for (what :meth:`~pixlcraft.cleanup.CleanupMethod.output_size`
    gives); PASD works at :func:`~.sizes.processing_size` of it, in tiles above ``tile_px``. ``caption`` adds the
    automatic caption; ``loaded`` leaves out loading the weights (a pipeline already in memory). ``device`` is
    ``cpu``, ``cuda[:N]`` or ``mps``; ``threads`` defaults to what this process may use.
    """
    work_w, work_h = processing_size(width, height, process_size)
    kind = _kind(device)
    per_step = step_seconds(work_w, work_h, kind, threads)
    denoise = per_step * tiled_pixels(work_w, work_h, tile_px) / (work_w * work_h) * int(steps)
    seconds = denoise + VAE_STEPS * per_step
    if not loaded:
        seconds += LOAD_SECONDS[kind]
    if caption:
        seconds += CAPTION_SECONDS[kind]
    return float(seconds)


def describe_seconds(seconds: float) -> str:
    """``"about 40 s"``, ``"about 12 min"``, ``"about 1 h 10 min"``: rounded as an estimate deserves."""
    if seconds < 90:
        return f"about {max(1, round(seconds / 10) * 10 if seconds >= 20 else round(seconds))} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"about {round(minutes)} min"
    hours, rest = divmod(round(minutes / 5) * 5, 60)
    return f"about {hours} h {rest} min" if rest else f"about {hours} h"
