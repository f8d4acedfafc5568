"""Prompt-only runs: sample reference pictures with SDXL and keep the one CLIP finds closest to the prompt.

The official SD-πXL code does this before optimising when no photo is given (10 samples, 50 steps, CFG 7.5,
ranked by CLIP ViT-B/32): the winner then plays the part of the photo, seeding the pattern's initial logits and
the ControlNet conditions. A random start has no layout to lean on and converges to mushier patterns.

Sample ``i`` is drawn from its own CPU generator seeded ``seed + i``, so any one sample can be reproduced alone
and results do not depend on the device's random number generator. Every sample is scored as soon as it is
made, so a cancelled run still hands back the best picture so far (``Cancelled.partial``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Cancelled, InputError
from ..jobs import Reporter

__all__ = ["ReferenceResult", "clip_scores", "sample_reference"]


@dataclass
class ReferenceResult:
    """The CLIP-best reference (H×W×3 uint8) and every sample with its score (cosine similarity to the prompt)."""

    best: np.ndarray
    best_index: int
    images: list[np.ndarray] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    prompt: str = ""


def clip_scores(images: list[np.ndarray], prompt: str, clip_model: Any, clip_processor: Any) -> list[float]:
    """Cosine similarity between each image's CLIP embedding and the prompt's (higher is a better match)."""
    import torch
    from PIL import Image

    inputs = clip_processor(
        text=[prompt],
        images=[Image.fromarray(im) for im in images],
        return_tensors="pt",
        padding=True,
        truncation=True,
    )
    device = clip_model.device
    with torch.no_grad():
        out = clip_model(
            input_ids=inputs["input_ids"].to(device),
            attention_mask=inputs["attention_mask"].to(device),
            pixel_values=inputs["pixel_values"].to(device=device, dtype=clip_model.dtype),
        )
        image = torch.nn.functional.normalize(out.image_embeds.float(), dim=-1)
        text = torch.nn.functional.normalize(out.text_embeds.float(), dim=-1)
        return (image @ text[0]).cpu().tolist()


def _result(images: list[np.ndarray], scores: list[float], seeds: list[int], prompt: str) -> ReferenceResult:
    best = int(np.argmax(scores))
    return ReferenceResult(images[best], best, list(images), list(scores), list(seeds), prompt)


def sample_reference(
    prompt: str,
    negative_prompt: str | None,
    pipeline: Any,
    clip_model: Any,
    clip_processor: Any,
    *,
    samples: int = 10,
    steps: int = 50,
    guidance: float = 7.5,
    width: int = 1024,
    height: int = 1024,
    seed: int = 0,
    reporter: Reporter | None = None,
) -> ReferenceResult:
    """Sample ``samples`` SDXL pictures for ``prompt`` and rank them with CLIP.

    Progress is reported as stage ``reference`` in denoising steps (``samples × steps`` in all), with the
    finished picture as preview and ``info`` = sample index and CLIP score at the end of each sample. Cancel is
    checked at every denoising step; it raises :class:`~pixlcraft.errors.Cancelled` whose ``partial`` is the
    ranking of the samples finished so far (or ``None``).
    """
    import torch

    # 1. Check inputs before any model work.
    if not prompt or not prompt.strip():
        raise InputError("A prompt is needed to sample reference pictures.")
    if samples < 1 or steps < 1:
        raise InputError(f"Reference sampling needs at least one sample and one step (got {samples}, {steps}).")
    factor = int(pipeline.vae_scale_factor)
    if width % factor or height % factor or width < factor or height < factor:
        raise InputError(
            f"Reference pictures must measure a multiple of {factor} pixels each way; got {width}×{height}."
        )
    reporter = reporter or Reporter()
    total = samples * steps

    images: list[np.ndarray] = []
    scores: list[float] = []
    seeds: list[int] = []

    def partial() -> ReferenceResult | None:
        return _result(images, scores, seeds, prompt) if images else None

    # 2. Sample and score one picture at a time.
    for i in range(samples):
        sample_seed = seed + i

        def on_step(pipe: Any, step: int, timestep: Any, callback_kwargs: dict, _i: int = i) -> dict:
            reporter.report(
                "reference",
                _i * steps + step + 1,
                total,
                message=f"Reference picture {_i + 1} of {samples}: step {step + 1} of {steps}",
            )
            return callback_kwargs

        try:
            reporter.check()
            out = pipeline(
                prompt=prompt,
                negative_prompt=negative_prompt,
                width=width,
                height=height,
                num_inference_steps=steps,
                guidance_scale=guidance,
                num_images_per_prompt=1,
                generator=torch.Generator("cpu").manual_seed(sample_seed),
                output_type="np",
                callback_on_step_end=on_step,
            )
        except Cancelled as exc:
            raise Cancelled("Reference sampling cancelled.", partial=partial()) from exc
        image = np.round(np.clip(out.images[0], 0.0, 1.0) * 255.0).astype(np.uint8)
        score = clip_scores([image], prompt, clip_model, clip_processor)[0]
        images.append(image)
        scores.append(float(score))
        seeds.append(sample_seed)
        try:
            reporter.report(
                "reference",
                (i + 1) * steps,
                total,
                message=f"Reference picture {i + 1} of {samples}: CLIP score {score:.3f}",
                preview=image,
                info={"sample": i, "score": float(score), "seed": sample_seed},
            )
        except Cancelled as exc:
            raise Cancelled("Reference sampling cancelled.", partial=partial()) from exc

    # 3. Keep the best.
    return _result(images, scores, seeds, prompt)
