"""PASD's start noise level: what the paper says (900), what the authors' released code really does (50), and why.

PASD does not start sampling from pure noise. Its test script encodes the photo, noises that latent to the
sampler's first timestep (999) and then noises the result *again*, to ``--added_noise_level`` (default 900):
``x ← √ᾱₗ·x + √(1−ᾱₗ)·ε``. The more noise, the more the model re-draws; the less, the more of the photo survives
(the photo's share of the start latent is ``√ᾱ₉₉₉·√ᾱₗ``).

**The quirk.** The second noising is done with ``scheduler.add_noise(latents, noise, 900)`` on diffusers' UniPC
scheduler. When the option was added (October 2023, diffusers 0.21.4) UniPC's ``add_noise`` indexed the training
schedule ``ᾱ[900]`` directly, so 900 meant 900. Since diffusers 0.25 (January 2024; the official repository has
required 0.25 and then 0.29.2 since then) UniPC's ``add_noise`` looks the level up among the **sampling**
timesteps and, when it is not one of them, silently takes the *last* one. With 20 linearly spaced steps the
sampling timesteps are 999, 949, …, 100, 50 — 900 is not among them — so the released code actually noises at
level **50**: ``√ᾱ₅₀ ≈ 0.975`` against ``√ᾱ₉₀₀ ≈ 0.119``, about **8.2× more of the photo** in the start latent.
Sampling itself is unaffected: it runs all the steps from 999 either way.

PixlCraft computes the noising from ``ᾱ`` itself (:func:`~.pipeline.noise_to_level`), so a level means that
level on any diffusers. Two named starts are offered:

* ``redrawn`` — level 900, as the paper and the option's default state: more new texture, less of the photo;
* ``faithful`` — what the released code does: :func:`official_noise_level` (50 for 20 steps), with about 8× more
  of the photo in the start latent. ``--pasd-noise-level 50`` at 20 steps gives the same start latent as the
  authors' current code from the same generator (up to floating-point rounding: they noise in fp16 on a GPU).
"""

from __future__ import annotations

import numpy as np

TRAIN_TIMESTEPS = 1000
PAPER_NOISE_LEVEL = 900
"""The added noise level the paper and the official ``--added_noise_level`` default state."""

STARTS = ("redrawn", "faithful")
"""Named start points, for menus: ``redrawn`` = level 900 (the paper), ``faithful`` = the released code's level."""


def sampling_timesteps(steps: int, train_timesteps: int = TRAIN_TIMESTEPS) -> list[int]:
    """UniPC's timesteps for ``steps`` steps with "linspace" spacing (what SD 1.5's config gives it): 999 … 50."""
    grid = np.linspace(0, train_timesteps - 1, int(steps) + 1).round()[::-1][:-1]
    return [int(t) for t in grid]


def official_noise_level(steps: int, level: int = PAPER_NOISE_LEVEL) -> int:
    """The level the authors' released code really noises at when asked for ``level`` with ``steps`` steps.

    diffusers ≥ 0.25 UniPC ``add_noise``: ``level`` itself if it is one of the sampling timesteps, else the last
    sampling timestep (50 for 20 steps, 100 for 10, 20 for 50).
    """
    timesteps = sampling_timesteps(steps)
    return int(level) if int(level) in timesteps else timesteps[-1]


def noise_level_for(start: str, steps: int) -> int:
    """The noise level of a named start (``redrawn`` or ``faithful``) for ``steps`` sampling steps."""
    if start == "redrawn":
        return PAPER_NOISE_LEVEL
    if start == "faithful":
        return official_noise_level(steps)
    raise ValueError(f"unknown PASD start {start!r}; use one of {', '.join(STARTS)}")


def photo_share(level: int) -> float:
    """How much of the photo's latent PASD's start latent holds: ``√ᾱ₉₉₉·√ᾱ_level`` (``√ᾱ₉₉₉`` for level 0), from
    SD 1.5's "scaled_linear" schedule — to explain the levels (0.066 at 50, 0.0081 at 900); not used in sampling."""
    betas = np.linspace(0.00085**0.5, 0.012**0.5, TRAIN_TIMESTEPS, dtype=np.float64) ** 2
    alphas = np.cumprod(1.0 - betas)
    return float(np.sqrt(alphas[-1]) * (np.sqrt(alphas[int(level)]) if level else 1.0))
