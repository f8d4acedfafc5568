"""The PASD restoration pipeline: SD 1.5 + PASD's ControlNet and UNet, with PASD's start latent, prompts and colours.

What PASD's own test script does around the network, and what is reproduced here:

1. **Sizes.** The photo (already at the size the caller wants) is enlarged so its short side is at least
   ``process_size`` = 768 px when it is smaller (larger photos keep their size), then resized to multiples of 8
   (:func:`~.sizes.processing_size`). The result is resized back at the end.
2. **Prompts.** ``"clean, high-resolution, 8k"`` is appended to the description of the photo: the user's words,
   or an automatic caption (:mod:`.caption`, chosen by the clean-up method), or nothing. The negative prompt is
   PASD's: ``"blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"``.
3. **Sampler.** UniPC built from SD 1.5's scheduler config, 20 steps, classifier-free guidance 9, ControlNet
   conditioning scale 1. The condition is the photo as RGB in [0, 1].
4. **Start latent ("adjustable noise schedule").** Not pure noise: the photo is encoded by the VAE (a sample of
   its latent distribution, times the VAE scaling factor), noised to the schedule's first timestep, and that
   result noised again to ``noise_level`` (``x ← √ᾱ·x + √(1−ᾱ)·ε``), all with one seeded generator in that
   order. The paper's level is 900; the authors' current code in fact noises at 50 (a diffusers quirk, see
   :mod:`.schedule`), and ``noise_level=50`` reproduces that start latent. Sampling starts at the first timestep
   (999) whatever the level.
5. **Denoising loop** (:meth:`PASDPipeline.sample`): diffusers' ControlNet loop as it runs for PASD (no guess mode,
   the ControlNet on both halves of the guidance batch), written out so that a latent above
   :data:`~.sizes.LATENT_TILE`² is denoised in overlapping tiles blended with Gaussian weights, as the authors'
   pipeline does (:mod:`.sizes`). Untiled, it computes exactly what ``StableDiffusionControlNetPipeline.__call__``
   does (a test holds the two equal).
6. **Colour fix.** The output's fine detail on the input's coarse colours (:mod:`.colorfix`).

The pixel-aware attention lives in the UNet (:mod:`.unet`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from diffusers import StableDiffusionControlNetPipeline
from diffusers.utils.torch_utils import randn_tensor

from ...jobs import Reporter
from ...models import ModelLocation
from ..tiling import resize
from .colorfix import wavelet_color_fix
from .schedule import PAPER_NOISE_LEVEL
from .sizes import LATENT_TILE, PROCESS_SIZE, latent_tiles, processing_size, tile_weights
from .weights import check_compatible, load_base, load_controlnet, load_unet, locate_parts

ADDED_PROMPT = "clean, high-resolution, 8k"
NEGATIVE_PROMPT = "blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"
STEPS = 20
GUIDANCE_SCALE = 9.0
CONDITIONING_SCALE = 1.0
NOISE_LEVEL = PAPER_NOISE_LEVEL
VAE_TILING_ABOVE = 1024 * 1024
"""Pixels above which the VAE encodes and decodes in tiles (diffusers' tiling), to bound its memory."""

__all__ = [
    "ADDED_PROMPT",
    "NEGATIVE_PROMPT",
    "PROCESS_SIZE",
    "PASDPipeline",
    "full_prompt",
    "load_pipeline",
    "noise_to_level",
    "processing_size",
]


def full_prompt(prompt: str = "") -> str:
    """The description of the photo (the user's words or a caption) followed by PASD's added quality words."""
    words = prompt.strip().rstrip(",").strip()
    return f"{words}, {ADDED_PROMPT}" if words else ADDED_PROMPT


def noise_to_level(
    alphas_cumprod: torch.Tensor, latents: torch.Tensor, noise: torch.Tensor, level: int
) -> torch.Tensor:
    """DDPM forward noising of ``latents`` to training timestep ``level``: √ᾱ·x + √(1−ᾱ)·ε.

    Computed from ``ᾱ`` directly rather than with ``scheduler.add_noise``: the UniPC scheduler of diffusers
    ≥ 0.25 looks the level up among the *sampling* timesteps and, when it is not one of them (900 is not, for
    20 steps), silently uses the last one (50) — see :mod:`.schedule`. The diffusers PASD's option was written
    for (0.21) added noise at exactly this level.
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

    def predict_noise(
        self,
        sample: torch.Tensor,
        timestep: Any,
        embeds: torch.Tensor,
        condition: torch.Tensor,
        conditioning_scale: float,
    ) -> torch.Tensor:
        """One ControlNet + PASD UNet pass: the predicted noise for ``sample`` (the whole batch, one region)."""
        down, mid = self.controlnet(
            sample,
            timestep,
            encoder_hidden_states=embeds,
            controlnet_cond=condition,
            conditioning_scale=conditioning_scale,
            guess_mode=False,
            return_dict=False,
        )
        return self.unet(
            sample,
            timestep,
            encoder_hidden_states=embeds,
            down_block_additional_residuals=down,
            mid_block_additional_residual=mid,
            return_dict=False,
        )[0]

    def tiled_noise(
        self,
        sample: torch.Tensor,
        timestep: Any,
        embeds: torch.Tensor,
        condition: torch.Tensor,
        conditioning_scale: float,
        latent_tile: int | None = LATENT_TILE,
        on_tile: Callable[[int, int], None] | None = None,
        predict: Callable[..., torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The predicted noise, computed whole or — for a latent above ``latent_tile``² — tile by tile.

        Each tile runs :meth:`predict_noise` (or ``predict``, same arguments) on its part of the latent and of the
        condition image; the tiles' predictions are averaged with Gaussian weights (:mod:`.sizes`).
        ``on_tile(index, count)`` runs before each tile (progress, cancel). ``latent_tile`` None never tiles.
        """
        predict = predict or self.predict_noise
        height, width = sample.shape[-2:]
        tiles = None if latent_tile is None else latent_tiles(height, width, int(latent_tile))
        if tiles is None:
            return predict(sample, timestep, embeds, condition, conditioning_scale)
        side, positions = tiles
        scale = condition.shape[-1] // width  # pixels per latent pixel (8)
        weights = torch.from_numpy(tile_weights(side)).to(device=sample.device, dtype=torch.float32)
        total = torch.zeros(sample.shape, device=sample.device, dtype=torch.float32)
        norm = torch.zeros((1, 1, height, width), device=sample.device, dtype=torch.float32)
        for index, (top, left) in enumerate(positions):
            if on_tile is not None:
                on_tile(index, len(positions))
            rows, cols = slice(top, top + side), slice(left, left + side)
            piece = condition[:, :, top * scale : (top + side) * scale, left * scale : (left + side) * scale]
            noise = predict(sample[:, :, rows, cols], timestep, embeds, piece, conditioning_scale)
            total[:, :, rows, cols] += noise.float() * weights
            norm[:, :, rows, cols] += weights
        return (total / norm).to(sample.dtype)

    @torch.no_grad()
    def sample(
        self,
        condition: torch.Tensor,
        latents: torch.Tensor,
        *,
        prompt: str,
        negative_prompt: str = NEGATIVE_PROMPT,
        steps: int = STEPS,
        guidance_scale: float = GUIDANCE_SCALE,
        conditioning_scale: float = CONDITIONING_SCALE,
        generator: torch.Generator | None = None,
        latent_tile: int | None = LATENT_TILE,
        on_step: Callable[[int], None] | None = None,
        on_tile: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Denoise ``latents`` (from :meth:`start_latents`) guided by ``condition`` ((1, 3, H, W) RGB in [0, 1])
        and ``prompt`` as given; return the decoded (H, W, 3) float image in [0, 1].

        Untiled this is, step for step, ``StableDiffusionControlNetPipeline.__call__`` with ``latents`` as the
        start (its ``init_noise_sigma`` is 1 for UniPC). ``on_step(i)`` runs after step ``i``, ``on_tile(j, n)``
        before tile ``j`` of ``n`` of a tiled step.
        """
        device = self._execution_device
        guided = guidance_scale > 1.0
        positive, negative = self.encode_prompt(prompt, device, 1, guided, negative_prompt)
        embeds = torch.cat([negative, positive]) if guided else positive
        image = condition.to(device=device, dtype=self.controlnet.dtype)
        image = torch.cat([image] * 2) if guided else image
        self.scheduler.set_timesteps(steps, device=device)
        extra = self.prepare_extra_step_kwargs(generator, 0.0)
        latents = latents.to(device)
        for index, timestep in enumerate(self.scheduler.timesteps):
            model_input = torch.cat([latents] * 2) if guided else latents
            model_input = self.scheduler.scale_model_input(model_input, timestep)
            noise = self.tiled_noise(model_input, timestep, embeds, image, float(conditioning_scale), latent_tile,
                                     on_tile)
            if guided:
                unconditional, text = noise.chunk(2)
                noise = unconditional + guidance_scale * (text - unconditional)
            latents = self.scheduler.step(noise, timestep, latents, **extra, return_dict=False)[0]
            if on_step is not None:
                on_step(index)
        decoded = self.vae.decode(latents / self.vae.config.scaling_factor, return_dict=False, generator=generator)[0]
        return self.image_processor.postprocess(decoded, output_type="np")[0]

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
        latent_tile: int | None = LATENT_TILE,
        reporter: Reporter | None = None,
    ) -> np.ndarray:
        """Restore a float (H, W, 3) sRGB image in [0, 1]; the result has the same size.

        ``prompt`` describes the photo (PASD's quality words are added). ``vae_tiling`` None tiles the VAE only
        above :data:`VAE_TILING_ABOVE` pixels; ``latent_tile`` is the latent tile side of the denoising loop (None:
        never tile). ``reporter`` receives a ``denoise`` report per step (and per tile, with the steps done so
        far) and may cancel.
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

        done = [0]

        def on_step(index: int) -> None:
            done[0] = index + 1
            if reporter is not None:
                reporter.report("denoise", index + 1, steps, message=f"PASD step {index + 1} of {steps}")

        def on_tile(index: int, count: int) -> None:
            if reporter is not None:
                reporter.report("denoise", done[0], steps,
                                message=f"PASD step {done[0] + 1} of {steps}, tile {index + 1} of {count}")

        latents = self.start_latents(tensor, steps, noise_level, generator)
        result = self.sample(
            tensor,
            latents,
            prompt=full_prompt(prompt),
            negative_prompt=negative_prompt,
            steps=steps,
            guidance_scale=guidance_scale,
            conditioning_scale=conditioning_scale,
            generator=generator,
            latent_tile=latent_tile,
            on_step=on_step,
            on_tile=on_tile,
        )
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
    folder, base = locate_parts(pasd_model, variant, base_model, reporter=reporter)

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
