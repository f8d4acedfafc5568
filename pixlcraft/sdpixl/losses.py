"""The terms SD-πXL minimises: score distillation, FFT smoothness, and our two fabrication terms.

Score distillation (SDS): the diffusion model is never trained; it only says, for a noised encoding of the
current render, which way the noise estimate disagrees with the noise we added. That disagreement, weighted,
is used directly as the gradient on the latents (the official code's formula, ``w_mode="cumprod"``):

    grad = (1 − ᾱ_t) · [(ε_pos − ε) + s · (ε_pos − ε_neg)],   s = 40

i.e. w(t)·(ε̂ − ε) with the classifier-free-guided estimate ε̂ = ε_pos + s·(ε_pos − ε_neg). A loss whose
gradient with respect to the latents is exactly ``grad`` is 0.5·‖z − sg(z − grad)‖² (summed); back-propagating
it pushes ``grad`` through the encoder and the renderer to the logits.

Fabrication terms are ours (not in the paper). They look at the plain softmax of the logits, because the
finished pattern is its argmax, and they are sums over cells (or neighbour pairs) so that their values read as
counts: "cells' worth of probability on colours beyond the budget", "expected number of disagreeing
neighbours".
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch


def sds_grad(
    eps_neg: torch.Tensor,
    eps_pos: torch.Tensor,
    noise: torch.Tensor,
    alpha_cumprod_t: torch.Tensor | float,
    guidance: float = 40.0,
    *,
    grad_scale: float = 1.0,
    weighting: str = "cumprod",
) -> torch.Tensor:
    """The SDS gradient on the latents (float32; NaNs zeroed as the official code does).

    ``eps_neg`` is the UNet's noise estimate for the negative (or empty) prompt, ``eps_pos`` for the prompt,
    ``noise`` the noise that was added. ``weighting="constant"`` drops the (1 − ᾱ_t) factor (the official
    code's other ``w_mode``).
    """
    eps_neg = eps_neg.float()
    eps_pos = eps_pos.float()
    noise = noise.float()
    if weighting == "cumprod":
        w = 1.0 - torch.as_tensor(alpha_cumprod_t, dtype=torch.float32, device=noise.device)
    elif weighting == "constant":
        w = torch.ones((), dtype=torch.float32, device=noise.device)
    else:
        raise ValueError(f"weighting must be 'cumprod' or 'constant', got {weighting!r}")
    grad = grad_scale * w * ((eps_pos - noise) + guidance * (eps_pos - eps_neg))
    # NaNs zeroed as the official code does; infinities too (an fp16 overflow in the UNet would otherwise give
    # ±3.4e38, and one such element poisons the whole step through the grad-norm clipping)
    return torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)


def sds_loss(latents: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """0.5·Σ(z − sg(z − grad))²: its gradient with respect to ``latents`` is exactly ``grad``."""
    z = latents.float()
    target = (z - grad.float()).detach()
    return 0.5 * ((z - target) ** 2).sum()


# ---------------------------------------------------------------------------------------------------------
# FFT smoothness (official ``FFT_Loss``)


@lru_cache(maxsize=16)
def _fft_mask_cpu(height: int, width: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(
        torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij"
    )
    radius = min(height, width) / (4.0 * math.sqrt(2.0))
    dist = torch.sqrt((xs - width / 2.0) ** 2 + (ys - height / 2.0) ** 2)
    return (dist >= radius).to(torch.float32)


@lru_cache(maxsize=16)
def _fft_mask_on(height: int, width: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    mask = _fft_mask_cpu(height, width)
    # the normaliser rides along as a device tensor: a true division, as before (CUDA divides by a host
    # scalar as a multiplication by its reciprocal, which can differ in the last bit)
    return mask.to(device), (3.0 * mask.sum()).clamp_min(1.0).to(device)


def fft_mask(height: int, width: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """1 on the (fftshift-ed) frequency bins the FFT loss penalises, 0 on the low ones (do not modify it).

    As the official code: bins whose distance to (H/2, W/2) is at least min(H, W)/(4√2). For odd sizes the
    zero frequency sits at (H//2, W//2), half a bin from that centre; we keep the official centre.

    Cached per (H, W, device): copying it to a GPU every step would be a host→device copy, and PyTorch's
    blocking copies wait for the GPU to finish its queue, i.e. one stall of the whole pipeline per step.
    """
    return _fft_mask_on(int(height), int(width), torch.device(device))[0]


def fft_loss(image: torch.Tensor) -> torch.Tensor:
    """Mean magnitude of the unnormalised 2-D FFT of an (H, W, 3) image over the high-frequency bins.

    Per channel ``fftshift(fft2(.))`` over the two spatial dimensions, ``norm="backward"`` (no scaling), then
    the mean of ``|F|`` over the masked bins of all three channels, which is what the official code's
    ``sum(|F|·mask) / sum(mask)`` with a 3-channel mask computes (its 1e-8 guard is irrelevant here).
    """
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"fft_loss expects an (H, W, 3) image, got {tuple(image.shape)}")
    chw = image.float().permute(2, 0, 1)
    spec = torch.fft.fftshift(torch.fft.fft2(chw), dim=(-2, -1))
    mask, count = _fft_mask_on(int(image.shape[0]), int(image.shape[1]), image.device)
    return (spec.abs() * mask).sum() / count


def fft_weight_for(weight: float, height: int, width: int, reference_cells: int | None) -> float:
    """The FFT term's weight for an H×W pattern: ``weight`` as is, or scaled to the pattern's size.

    Why scale: the two terms' pull on one cell changes differently with the number of cells per side,
    n = √(H·W), while the model canvas stays the same size:

    * FFT: the loss is the mean of |F_k| over ~n² high-frequency bins, and every bin is a sum over all
      cells with unit-modulus coefficients. One cell's gradient is (1/M)·Σ_k Re(conj(F_k)/|F_k|·e^{…}), a
      sum of M ≈ n² terms of size ≤ 1 with unrelated phases: ≈ √M / M ∝ 1/n
      (``test_fft_gradient_per_cell_falls_as_one_over_n`` measures it);
    * SDS: the gradient per canvas pixel does not depend on n; a cell is the bilinear source of about
      (canvas/n)² pixels, so its gradient ∝ 1/n² (exactly so where the pixel gradient is coherent across a
      cell — surely once cells are smaller than TAESD's 8-pixel latent cells, n > 128 at 1024²; larger
      cells span several latent cells whose gradients may partly cancel, so for small patterns the ratio
      below may change more slowly than the rule assumes).

    The FFT/SDS ratio per cell therefore grows ∝ n: a weight tuned at ``reference_cells`` per side smooths
    an n-cell pattern n/n_ref times as hard as it did there. Multiplying by n_ref/n keeps the ratio it was
    tuned at. ``reference_cells`` None keeps the fixed weight (the official code, PAPER).
    """
    if reference_cells is None or not weight:
        return float(weight)
    if reference_cells < 1:
        raise ValueError(f"reference_cells must be at least 1, got {reference_cells}")
    return float(weight) * reference_cells / math.sqrt(float(height) * float(width))


# ---------------------------------------------------------------------------------------------------------
# fabrication terms (ours)


def color_usage(probs: torch.Tensor) -> torch.Tensor:
    """Soft colour histogram: Σ over cells of each colour's probability, shape (n,). Sums to the cell count."""
    return probs.reshape(-1, probs.shape[-1]).sum(dim=0)


def top_colors(probs: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` colours with the largest soft usage (ties to the lower index)."""
    usage = color_usage(probs.detach())
    k = max(1, min(int(k), usage.numel()))
    # stable order: sort by usage descending, then index ascending
    order = torch.argsort(-usage, stable=True)
    return order[:k]


def color_budget_loss(probs: torch.Tensor, k: int) -> torch.Tensor:
    """Probability mass (in cells) on colours outside the ``k`` most used: 0 when only ``k`` colours remain.

    Design: the budget is a constraint on the *set* of colours, so we ask which colours currently carry the
    most mass (the soft usage histogram, a smooth proxy for the argmax counts), keep the top ``k`` and charge
    every cell for the probability it still gives to the rest. The gradient is the same for every cell and
    every out-of-budget colour, so rare colours fade everywhere at once while the big areas keep their
    colours; an entropy or L1 penalty on the histogram would instead squeeze *all* colours, needs a weight
    tuned per K, and never says "K". The top-``k`` set is chosen without gradient and may change from step
    to step (a colour the SDS term keeps pushing can win its place back), which is what lets the optimiser,
    not a fixed preselection, decide which K colours survive. With ``k`` ≥ n the loss is 0.
    """
    n = probs.shape[-1]
    if k >= n:
        return probs.sum() * 0.0
    keep = top_colors(probs, k)
    outside = torch.ones(n, dtype=probs.dtype, device=probs.device)
    outside[keep] = 0.0
    return (color_usage(probs) * outside).sum()


def confetti_loss(probs: torch.Tensor) -> torch.Tensor:
    """Expected number of 4-neighbour pairs whose colours differ: Σ_pairs (1 − Σ_c p_i,c · p_j,c).

    Σ_c p_i,c p_j,c is the chance that two independent draws from neighbouring cells agree, so the loss is
    the expected count of colour changes between neighbours. A lone cell among others of one colour pays for
    all four of its edges and is pulled to its neighbours' colour; a cell on a straight border pays for one
    edge against three and keeps its own, so regions survive and only confetti (the single stitches that are
    tedious to make and look like noise) goes. The paper lists per-cell independence as a limitation; this is
    the cheapest coupling that addresses it.
    """
    if probs.ndim != 3:
        raise ValueError(f"confetti_loss expects (H, W, n) probabilities, got {tuple(probs.shape)}")
    horiz = (probs[:, 1:, :] * probs[:, :-1, :]).sum(dim=-1)
    vert = (probs[1:, :, :] * probs[:-1, :, :]).sum(dim=-1)
    return (1.0 - horiz).sum() + (1.0 - vert).sum()
