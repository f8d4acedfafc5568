"""Small torch helpers of the SD-πXL loop: the canvas upsampling matrix, control images as tensors, state copies
and deterministic CUDA.

Three of them exist because the obvious torch call falls short of a repeatable, resumable run: ``interpolate``
has a backward pass that is not deterministic on CUDA, optimiser state is live on the device, and CUDA's
deterministic settings are process-wide and have to be put back after a run.
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch


def bilinear_matrix(out_size: int, in_size: int) -> torch.Tensor:
    """(out, in) matrix of 1-D bilinear resampling with ``align_corners=False`` (as ``F.interpolate``).

    Upsampling as two small matrix products instead of ``interpolate``: same numbers, and a backward pass
    that is deterministic on CUDA (``interpolate``'s is not).
    """
    scale = in_size / out_size
    src = ((torch.arange(out_size, dtype=torch.float64) + 0.5) * scale - 0.5).clamp_min(0.0)
    i0 = src.floor().to(torch.long).clamp_max(in_size - 1)
    i1 = (i0 + 1).clamp_max(in_size - 1)
    frac = src - i0.to(torch.float64)
    mat = torch.zeros(out_size, in_size, dtype=torch.float64)
    rows = torch.arange(out_size)
    mat.index_put_((rows, i0), 1.0 - frac, accumulate=True)
    mat.index_put_((rows, i1), frac, accumulate=True)
    return mat.to(torch.float32)


def _to_control_tensor(image: Any, canvas: tuple[int, int]) -> torch.Tensor:
    """A control image (uint8 (H, W, 3) array or float (3, H, W)/(1, 3, H, W) tensor in [0, 1]) at the canvas."""
    if isinstance(image, torch.Tensor):
        t = image.detach().to(torch.float32).cpu()
        if t.ndim == 3:
            t = t.unsqueeze(0)
        if t.ndim != 4 or t.shape[:2] != (1, 3):
            raise ValueError(f"control image tensors must be (3, H, W) or (1, 3, H, W), got {tuple(t.shape)}")
    else:
        arr = np.asarray(image)
        if arr.ndim == 2:
            arr = np.repeat(arr[:, :, None], 3, axis=2)
        if arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f"control images must be (H, W, 3) arrays, got shape {arr.shape}")
        scale = 255.0 if arr.dtype == np.uint8 else 1.0
        t = torch.from_numpy(arr.astype(np.float32) / scale).permute(2, 0, 1).unsqueeze(0)
    width, height = canvas
    if t.shape[-2:] != (height, width):
        t = torch.nn.functional.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)
    return t.clamp(0.0, 1.0).contiguous()


def _clone_to_cpu(obj: Any) -> Any:
    """Deep copy with every tensor detached onto the CPU (optimizer state is otherwise live)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _clone_to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone_to_cpu(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone_to_cpu(v) for v in obj)
    return copy.deepcopy(obj)


@contextlib.contextmanager
def deterministic_cuda(enabled: bool) -> Iterator[None]:
    """Ask CUDA for deterministic kernels for the duration of a run, then restore the previous settings.

    Best effort: cuBLAS honours ``CUBLAS_WORKSPACE_CONFIG`` only if it is set before its first use, and
    kernels without a deterministic version only warn. Our own ops (upsampling, warp) are deterministic.
    Opt-in (``optimize(deterministic=True)``, ``--deterministic``) because it costs speed: PyTorch then fills
    every new tensor with NaN, cuDNN is pinned to its deterministic (often slower) algorithms without
    benchmarking, and Inductor switches to its deterministic mode. On the CPU runs repeat without it.
    """
    if not enabled:
        yield
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    prev = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.deterministic = prev[2]
        torch.backends.cudnn.benchmark = prev[3]
