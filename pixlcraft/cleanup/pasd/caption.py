"""PASD's "high-level information": an automatic caption of the photo as the prompt.

The paper feeds high-level information about the photo into the text prompt, and the authors' test script
(``test_pasd.py``, ``--high_level_info caption``, its default) captions every photo before restoring it:

* by default with open_clip's **CoCa ViT-L/14** (``mscoco_finetuned_laion2B-s13B-b90k``), joined to the user's
  words with a space;
* with ``--use_blip``, with LAVIS's **BLIP base captioner finetuned on COCO** (``blip_caption``/``base_coco``:
  prompt ``"a picture of "``, beam search with 3 beams, 10 to 30 tokens, the prompt cut off the result), joined
  to the user's words with a comma.

Either way the caption's "blurry" becomes "clear" and "noisy" "clean" (a caption of a bad photo describes its
flaws, which the prompt must not ask for), and PASD's quality words follow (see :func:`~.pipeline.full_prompt`).

PixlCraft uses BLIP base through transformers: ``Salesforce/blip-image-captioning-base``, the Hugging Face port of
BLIP with a ViT-B image encoder as a captioner (its model card: captioning, trained on COCO; transformers'
conversion script starts from BLIP's CapFilt-L base checkpoint, ``model_base_capfilt_large.pth``). LAVIS's
``base_coco`` is that same CapFilt-L base model fine-tuned on COCO captions by LAVIS: the same architecture,
tokenizer and 384 px preprocessing, run here with LAVIS's generation settings above — but not the same weights, so
the wording of a caption may differ. CoCa would need the open_clip library (transformers cannot load it) and a
larger ViT-L download; BLIP base loads with the transformers library PixlCraft already has, as safetensors
(990 MB), and is the captioner the official code offers as its alternative. It comes through the model store like
every other model (``pixlcraft models download blip-caption-base``).

Where PixlCraft differs from the script: the user's ``--pasd-prompt``, when given, *replaces* the caption
(the script appends it to the caption), so a user always knows exactly what PASD was told; and the caption is
joined to the quality words with ", " (the script's caption branch appends them with no separator, fusing the
caption's last word with "clean").
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...jobs import Reporter
from ...models import ModelLocation, ModelMissingError, resolve_model

ROLE = "caption"
CAPTION_PROMPT = "a picture of "
"""LAVIS's BLIP caption prompt: the decoder continues it, and it is cut off the result."""
GENERATION = {"num_beams": 3, "max_length": 30, "min_length": 10, "repetition_penalty": 1.0, "do_sample": False}
"""LAVIS's ``BlipCaption.generate`` defaults (lengths in tokens, the prompt's included)."""
REPLACEMENTS = (("blurry", "clear"), ("noisy", "clean"))


def clean_caption(text: str) -> str:
    """A decoded caption without the prompt and with PASD's replacements, one line, no trailing comma."""
    words = " ".join(str(text).split())
    prompt = CAPTION_PROMPT.strip()
    if words.lower().startswith(prompt):
        words = words[len(prompt):].strip()
    for bad, good in REPLACEMENTS:
        words = words.replace(bad, good)
    return words.strip().strip(",").strip()


def caption_location(model: str | os.PathLike[str] | None = None, *, download: bool = False,
                     reporter: Reporter | None = None) -> ModelLocation:
    """Where the caption model is (a folder, the cache, or a fresh download when ``download`` is allowed)."""
    return resolve_model(model, ROLE, download=download, reporter=reporter)


def caption_installed(model: str | os.PathLike[str] | None = None) -> bool:
    """Whether the caption model is on this computer (no download, no loading)."""
    try:
        caption_location(model, download=False)
    except (ModelMissingError, OSError):
        return False
    return True


@dataclass
class Captioner:
    """A loaded BLIP captioner: ``captioner(rgb)`` → the cleaned caption."""

    model: Any
    processor: Any
    label: str

    def __call__(self, rgb: np.ndarray) -> str:
        import torch
        from PIL import Image

        image = Image.fromarray(np.clip(np.asarray(rgb) * 255.0 + 0.5, 0, 255).astype(np.uint8), "RGB")
        inputs = self.processor(images=image, text=CAPTION_PROMPT.strip(), return_tensors="pt")
        pixels = inputs["pixel_values"].to(device=self.model.device, dtype=self.model.dtype)
        with torch.no_grad():
            tokens = self.model.generate(
                pixel_values=pixels,
                input_ids=inputs["input_ids"].to(self.model.device),
                attention_mask=inputs["attention_mask"].to(self.model.device),
                **GENERATION,
            )
        return clean_caption(self.processor.decode(tokens[0], skip_special_tokens=True))


def load_captioner(
    model: str | os.PathLike[str] | ModelLocation | None = None,
    *,
    device: str = "cpu",
    dtype: Any = None,
    download: bool = True,
    reporter: Reporter | None = None,
) -> Captioner:
    """BLIP's captioning model and processor from a folder, the cache, or (allowed and online) a download."""
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor
    from transformers.utils import logging as tlogging

    from ...model_loading import LOAD_ERRORS, load_error

    loc = model if isinstance(model, ModelLocation) else caption_location(model, download=download,
                                                                          reporter=reporter)
    verbosity = tlogging.get_verbosity()
    tlogging.set_verbosity_error()
    bars = tlogging.is_progress_bar_enabled()
    tlogging.disable_progress_bar()
    try:
        net = BlipForConditionalGeneration.from_pretrained(loc.path, dtype=dtype or torch.float32,
                                                           use_safetensors=True)
        processor = BlipProcessor.from_pretrained(loc.path)
    except LOAD_ERRORS as exc:
        raise load_error(exc, "a BLIP captioning model", loc) from exc
    finally:
        tlogging.set_verbosity(verbosity)
        if bars:
            tlogging.enable_progress_bar()
    return Captioner(net.to(device).eval().requires_grad_(False), processor, loc.label)
