"""Random greyscale / perspective / flip applied *identically* to the render and the ControlNet images.

Why: score distillation on one fixed view lets the optimiser exploit the diffusion model's blind spots;
random views make the gradient about the picture rather than about its exact pixels. The ControlNet images
must move with the render, or the edge/depth hints would point at the wrong places.

Official settings (``config.yaml`` of SD-piXL): greyscale p 0.2, perspective p 0.5 with distortion scale
0.3 (bilinear, fill 0), horizontal flip p 0.5, in that order, each decided by its own coin. The official
code uses torchvision; this is a re-implementation in plain torch (torchvision is not a dependency):

* parameters are drawn from a given ``torch.Generator`` in the same order as torchvision's
  ``RandomPerspective.get_params``, so a seed fixes the whole run;
* the warp is torchvision's tensor convention (homography from the output corners to the input corners,
  sampled at pixel centres, bilinear, zeros outside), written with ``gather`` instead of ``grid_sample``:
  on CUDA ``grid_sample``'s backward pass has no deterministic implementation, ``gather``'s has;
* nothing here makes a float64 tensor: Apple's MPS has no float64, and perspective runs every other step.
  The homography is solved in float64 by numpy on the CPU (eight unknowns from four integer point pairs);
  the per-pixel grid is built in float32 on the device, as torchvision builds it for float32 images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

GREY_WEIGHTS = (0.2989, 0.587, 0.114)
"""ITU-R 601 luma weights, as torchvision's ``rgb_to_grayscale``."""


@dataclass(frozen=True)
class AugmentSettings:
    grey_p: float = 0.2
    perspective_p: float = 0.5
    perspective_scale: float = 0.3
    hflip_p: float = 0.5


@dataclass(frozen=True)
class AugmentParams:
    """One draw: what happens to every image of the step."""

    grey: bool
    hflip: bool
    startpoints: tuple[tuple[int, int], ...] | None = None
    endpoints: tuple[tuple[int, int], ...] | None = None

    @property
    def perspective(self) -> bool:
        return self.startpoints is not None


def _randint(low: int, high: int, generator: torch.Generator | None) -> int:
    return int(torch.randint(low, high, (1,), generator=generator).item())


def sample_params(
    width: int, height: int, settings: AugmentSettings, generator: torch.Generator | None = None
) -> AugmentParams:
    """Draw one set of parameters (CPU generator; a handful of scalars)."""
    grey = bool(torch.rand(1, generator=generator).item() < settings.grey_p)
    start = end = None
    if torch.rand(1, generator=generator).item() < settings.perspective_p:
        bound_h = int(settings.perspective_scale * (height // 2)) + 1
        bound_w = int(settings.perspective_scale * (width // 2)) + 1
        top_left = (_randint(0, bound_w, generator), _randint(0, bound_h, generator))
        top_right = (_randint(width - bound_w, width, generator), _randint(0, bound_h, generator))
        bot_right = (_randint(width - bound_w, width, generator), _randint(height - bound_h, height, generator))
        bot_left = (_randint(0, bound_w, generator), _randint(height - bound_h, height, generator))
        start = ((0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1))
        end = (top_left, top_right, bot_right, bot_left)
    hflip = bool(torch.rand(1, generator=generator).item() < settings.hflip_p)
    return AugmentParams(grey=grey, hflip=hflip, startpoints=start, endpoints=end)


def perspective_coeffs(
    startpoints: tuple[tuple[int, int], ...], endpoints: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """(a, b, c, d, e, f, g, h) of the homography taking each *end* point to its *start* point, float64.

    An output pixel at (x, y) reads the input at ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (…)).
    Solved with numpy, not torch: an 8×8 system from four integer point pairs costs microseconds on the CPU
    in float64, and as it is no torch tensor it can never be sent to a device that has no float64 (MPS).
    """
    rows, rhs = [], []
    for (xe, ye), (xs, ys) in zip(endpoints, startpoints, strict=True):
        rows.append([xe, ye, 1.0, 0.0, 0.0, 0.0, -xs * xe, -xs * ye])
        rows.append([0.0, 0.0, 0.0, xe, ye, 1.0, -ys * xe, -ys * ye])
        rhs.extend([xs, ys])
    return np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))


def _sample_grid(
    width: int, height: int, coeffs: np.ndarray | torch.Tensor, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """Input sampling position (pixel-centre units) for every output pixel, as torchvision computes it.

    float32 on the device (MPS has no float64; torchvision's own warp of a float32 image is float32 too). The
    coefficients enter as Python numbers, which every kernel applies in float32: within 1e-3 pixel of the
    float64 grid even at 1344 pixels (tests/test_sdpixl_precision.py), far below a bilinear weight's effect.
    """
    a, b, c, d, e, f, g, h = (float(v) for v in coeffs)
    xs = (torch.arange(width, dtype=torch.float32, device=device) + 0.5)[None, :]
    ys = (torch.arange(height, dtype=torch.float32, device=device) + 0.5)[:, None]
    den = g * xs + (h * ys + 1.0)  # (H, W) by broadcasting; the row terms cost H, not H·W, operations
    u = (a * xs + (b * ys + c)) / den - 0.5
    v = (d * xs + (e * ys + f)) / den - 0.5
    return u, v


def bilinear_sample(images: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Sample (B, C, H, W) images at pixel positions (u = column, v = row), bilinear, zeros outside.

    Same values as ``grid_sample(align_corners=False, padding_mode="zeros")`` for the matching grid, but
    built from ``gather`` so that its gradient is deterministic on every device.
    """
    bsz, ch, h, w = images.shape
    u = u.to(torch.float32)
    v = v.to(torch.float32)
    x0 = torch.floor(u)
    y0 = torch.floor(v)
    wx1 = u - x0
    wy1 = v - y0
    flat = images.reshape(bsz, ch, h * w)
    out = None
    for dy, wy in ((0, 1.0 - wy1), (1, wy1)):
        for dx, wx in ((0, 1.0 - wx1), (1, wx1)):
            xi = x0 + dx
            yi = y0 + dy
            valid = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
            idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).to(torch.long).reshape(-1)
            weight = (wx * wy * valid).to(images.dtype).reshape(1, 1, -1)
            vals = flat.gather(2, idx.view(1, 1, -1).expand(bsz, ch, -1)) * weight
            out = vals if out is None else out + vals
    assert out is not None
    return out.reshape(bsz, ch, u.shape[0], u.shape[1])


def to_grey(images: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) → the same images in grey, still 3 channels."""
    r, g, b = images.unbind(dim=1)
    luma = GREY_WEIGHTS[0] * r + GREY_WEIGHTS[1] * g + GREY_WEIGHTS[2] * b
    return luma.unsqueeze(1).expand(-1, 3, -1, -1)


def apply(images: torch.Tensor, params: AugmentParams) -> torch.Tensor:
    """Apply one parameter draw to a (B, 3, H, W) batch; differentiable in ``images``."""
    out = images
    if params.grey:
        out = to_grey(out)
    if params.perspective:
        assert params.startpoints is not None and params.endpoints is not None
        height, width = out.shape[-2:]
        coeffs = perspective_coeffs(params.startpoints, params.endpoints)
        u, v = _sample_grid(width, height, coeffs, out.device)
        out = bilinear_sample(out, u, v)
    if params.hflip:
        out = out.flip(-1)
    return out


def augment_same(
    images: list[torch.Tensor], settings: AugmentSettings, generator: torch.Generator | None = None
) -> tuple[list[torch.Tensor], AugmentParams]:
    """Draw one parameter set and apply it to every (B, 3, H, W) image of the list (all the same size)."""
    if not images:
        raise ValueError("nothing to augment")
    height, width = images[0].shape[-2:]
    for img in images:
        if img.shape[-2:] != (height, width):
            raise ValueError(f"images to augment together must share a size; got {tuple(img.shape[-2:])} "
                             f"and {(height, width)}")
    params = sample_params(int(width), int(height), settings, generator)
    return [apply(img, params) for img in images], params
