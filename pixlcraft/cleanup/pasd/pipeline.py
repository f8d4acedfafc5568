"""The PASD restoration pipeline: diffusers' SD ControlNet pipeline with PASD's start latent, prompts and colours.

What PASD's own test script does around the network, and what is reproduced here:

1. **Sizes.** The photo (already at the size the caller wants) is enlarged so its short side is at least
   ``process_size`` = 768 px when it is smaller (larger photos keep their size), then resized to multiples of 8.
   The result is resized back at the end.
2. **Prompts.** ``"clean, high-resolution, 8k"`` is appended to the user's words (PASD fills those with an
   automatic caption; there is no captioner here, so by default the prompt is just the added words). The
   negative prompt is PASD's: ``"blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"``.
3. **Sampler.** UniPC built from SD 1.5's scheduler config, 20 steps, classifier-free guidance 9, ControlNet
   conditioning scale 1. The condition is the photo as RGB in [0, 1].
4. **Start latent ("adjustable noise schedule").** Not pure noise: the photo is encoded by the VAE (a sample of
   its latent distribution, times the VAE scaling factor), noised to the schedule's first timestep, and that
   result noised again to level 900 (``x ← √ᾱ₉₀₀·x + √(1−ᾱ₉₀₀)·ε``), all with one seeded generator in that order.
   The second noising is what lets a user trade detail against smoothness (``noise_level``).
5. **Colour fix.** The output's fine detail on the input's coarse colours (:mod:`.colorfix`).

The denoising loop itself is diffusers' ``StableDiffusionControlNetPipeline.__call__`` unchanged, started from
that latent; the pixel-aware attention lives in the UNet (:mod:`.unet`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from diffusers import StableDiffusionControlNetPipeline
from diffusers.utils.torch_utils import randn_tensor

from ...jobs import Reporter
from ...models import ModelLocation, ModelMissingError, resolve_model
from ..tiling import resize
from .colorfix import wavelet_color_fix
from .weights import check_compatible, load_base, load_controlnet, load_unet, resolve_pasd

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

ADDED_PROMPT = "clean, high-resolution, 8k"
NEGATIVE_PROMPT = "blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"
STEPS = 20
GUIDANCE_SCALE = 9.0
CONDITIONING_SCALE = 1.0
NOISE_LEVEL = 900
PROCESS_SIZE = 768
VAE_TILING_ABOVE = 1024 * 1024
"""Pixels above which the VAE encodes and decodes in tiles (diffusers' tiling), to bound its memory."""


def full_prompt(prompt: str = "") -> str:
    """The user's description followed by PASD's added quality words."""
    words = prompt.strip().rstrip(",").strip()
    return f"{words}, {ADDED_PROMPT}" if words else ADDED_PROMPT


def processing_size(width: int, height: int, process_size: int = PROCESS_SIZE) -> tuple[int, int]:
    """(width, height) PASD works at: short side raised to ``process_size`` if below it, then multiples of 8."""
    if min(width, height) < process_size:
        if width <= height:
            width, height = process_size, int(process_size * height / width)
        else:
            width, height = int(process_size * width / height), process_size
    return max(8, width // 8 * 8), max(8, height // 8 * 8)


def noise_to_level(
    alphas_cumprod: torch.Tensor, latents: torch.Tensor, noise: torch.Tensor, level: int
) -> torch.Tensor:
    """DDPM forward noising of ``latents`` to training timestep ``level``: √ᾱ·x + √(1−ᾱ)·ε.

    Computed from ``ᾱ`` directly rather than with ``scheduler.add_noise``: the UniPC scheduler of current
    diffusers looks the level up among the *sampling* timesteps and, when it is not one of them (900 is not, for
    20 steps), silently uses the last one, i.e. almost no noise. The diffusers PASD was written for (0.21) added
    noise at exactly this level.
    """
    alpha = alphas_cumprod[int(level)].to(device=latents.device, dtype=torch.float32)
    out = alpha.sqrt() * latents.float() + (1.0 - alpha).sqrt() * noise.float()
    return out.to(latents.dtype)


class PASDPipeline(StableDiffusionControlNetPipeline):
    """Stable Diffusion 1.5 + PASD's ControlNet and pixel-aware UNet, run as PASD's test script runs them.

    Build it with :func:`load_pipeline` (or :meth:`from_parts`); call :meth:`restore`.
    """

    @classmethod
    def from_parts(cls, vae, text_encoder, tokenizer, unet, controlnet, scheduler) -> PASDPipeline:
        """Assemble already-loaded models (PASD runs without a safety checker, as the authors' script does)."""
        return cls(
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            unet=unet,
            controlnet=controlnet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )

    @torch.no_grad()
    def start_latents(
        self,
        image: torch.Tensor,
        num_inference_steps: int,
        noise_level: int,
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        """PASD's starting point: the photo's latent noised to the first timestep, then to ``noise_level``.

        ``image`` is (1, 3, H, W) RGB in [0, 1]. ``noise_level`` 0 skips the second noising.
        """
        self.scheduler.set_timesteps(num_inference_steps, device=image.device)
        first = int(self.scheduler.timesteps[0])
        posterior = self.vae.encode(image.to(self.vae.dtype) * 2.0 - 1.0).latent_dist
        latents = posterior.sample(generator) * self.vae.config.scaling_factor
        shape, device, dtype = latents.shape, latents.device, latents.dtype
        alphas = self.scheduler.alphas_cumprod
        latents = noise_to_level(alphas, latents, randn_tensor(shape, generator, device, dtype), first)
        if noise_level:
            latents = noise_to_level(alphas, latents, randn_tensor(shape, generator, device, dtype), noise_level)
        return latents * self.scheduler.init_noise_sigma

    def restore(
        self,
        image: np.ndarray,
        *,
        prompt: str = "",
        negative_prompt: str = NEGATIVE_PROMPT,
        steps: int = STEPS,
        guidance_scale: float = GUIDANCE_SCALE,
        conditioning_scale: float = CONDITIONING_SCALE,
        noise_level: int = NOISE_LEVEL,
        seed: int = 0,
        process_size: int = PROCESS_SIZE,
        color_fix: bool = True,
        vae_tiling: bool | None = None,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """Restore a float (H, W, 3) sRGB image in [0, 1]; the result has the same size.

        ``vae_tiling`` None tiles the VAE only above :data:`VAE_TILING_ABOVE` pixels. ``reporter`` receives a
        ``denoise`` report per step and may cancel.
        """
        height, width = image.shape[:2]
        work_w, work_h = processing_size(width, height, process_size)
        condition = resize(np.asarray(image, dtype=np.float32), (work_w, work_h))
        device = self._execution_device
        tensor = torch.from_numpy(np.ascontiguousarray(condition.transpose(2, 0, 1)))[None]
        tensor = tensor.to(device=device, dtype=self.controlnet.dtype)
        generator = torch.Generator(device="cpu" if device.type == "mps" else device).manual_seed(int(seed))
        tile = vae_tiling if vae_tiling is not None else work_w * work_h > VAE_TILING_ABOVE
        if tile:
            self.vae.enable_tiling()
        else:
            self.vae.disable_tiling()

        def on_step(pipe: Any, index: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
            if reporter is not None:
                reporter.report("denoise", index + 1, steps, message=f"PASD step {index + 1} of {steps}")
            return {}

        latents = self.start_latents(tensor, steps, noise_level, generator)
        result = self(
            prompt=full_prompt(prompt),
            image=tensor,
            height=work_h,
            width=work_w,
            num_inference_steps=steps,
            guidance_scale=guidance_scale,
            negative_prompt=negative_prompt,
            generator=generator,
            latents=latents,
            controlnet_conditioning_scale=float(conditioning_scale),
            output_type="np",
            callback_on_step_end=on_step,
        ).images[0]
        if color_fix:
            result = wavelet_color_fix(result, condition)
        return resize(np.asarray(result, dtype=np.float32), (width, height))


def load_pipeline(
    pasd_model: str | os.PathLike[str] | None = None,
    variant: str = "full",
    base_model: str | os.PathLike[str] | ModelLocation | None = None,
    *,
    device: str = "cpu",
    dtype: torch.dtype | None = None,
    reporter: Reporter | None = None,
) -> PASDPipeline:
    """Find (downloading if allowed), load strictly and assemble PASD on ``device`` in ``dtype``.

    Both the PASD folder and the SD 1.5 base are looked up before anything is loaded, so that one
    :class:`ModelMissingError` names everything that is missing.
    """
    dtype = dtype or torch.float32
    problems: list[str] = []
    folder: Path | None = None
    base: ModelLocation | None = None
    try:
        folder = resolve_pasd(pasd_model, variant, reporter=reporter)
    except ModelMissingError as exc:
        problems.append(str(exc))
    try:
        base = resolve_model(base_model, "sd15-base", reporter=reporter)
    except ModelMissingError as exc:
        if not problems:  # the PASD message already says that an SD 1.5 base is needed too
            problems.append(str(exc))
    if problems or folder is None or base is None:
        raise ModelMissingError(" ".join(problems))

    def step(done: int, what: str) -> None:
        if reporter is not None:
            reporter.report("load", done, 3, message=f"Loading {what}")

    step(0, "PASD's UNet")
    unet = load_unet(folder, variant, dtype=dtype, device=device)
    step(1, "PASD's ControlNet")
    controlnet = load_controlnet(folder, dtype=dtype, device=device)
    step(2, "the Stable Diffusion 1.5 VAE and text encoder")
    parts = load_base(base, dtype=dtype, device=device)
    check_compatible(parts, unet, base.label)
    step(3, "PASD")
    pipe = PASDPipeline.from_parts(parts.vae, parts.text_encoder, parts.tokenizer, unet, controlnet, parts.scheduler)
    pipe.set_progress_bar_config(disable=True)
    return pipe
