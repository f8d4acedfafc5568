"""``--method pasd``: PASD (Pixel-Aware Stable Diffusion, Yang et al., ECCV 2024) as a clean-up method.

PASD restores a photo with Stable Diffusion 1.5 steered, pixel by pixel, by the photo itself: a ControlNet reads
the degraded photo and the UNet's decoder attends to what it reads (see :mod:`.unet`). It re-draws texture that
Real-ESRGAN can only sharpen, at the cost of about 6 GB of weights and, without a GPU, minutes per photo.

The package is a port onto current diffusers of the authors' released inference (their weights load as they
are):

* :mod:`.controlnet` — the ControlNet with the degradation-removal image encoder;
* :mod:`.unet` — the UNet with pixel-aware cross-attention, full and light variants;
* :mod:`.weights` — finding the checkpoint folders and loading them strictly; the SD 1.5 parts;
* :mod:`.pipeline` — sizes, prompts, the start latent, UniPC sampling, the colour fix;
* :mod:`.colorfix` — the wavelet colour fix.

Importing this package is cheap: torch and diffusers are imported when the method runs.
"""

from __future__ import annotations

import importlib.util
import threading
from typing import Any

from ...errors import InputError
from ...imageio import Photo
from ...jobs import Reporter
from .. import CleanupMethod, Option

_NEEDED = ("torch", "diffusers", "transformers", "safetensors")


class PasdMethod(CleanupMethod):
    name = "pasd"
    description = "PASD (Stable Diffusion 1.5, about 6 GB download; best on a GPU): re-draws lost detail"
    options = (
        Option("pasd_model", str, None, "PASD weights: a folder holding unet/ and controlnet/ (the released "
               "pasd/checkpoint-100000 or pasd_light/checkpoint-120000) or a Hugging Face id; default: "
               "yangtao9009/PASD", metavar="ID|DIR"),
        Option("pasd_variant", str, "full", "which PASD: full, or light (smaller and a little faster)",
               choices=("full", "light")),
        Option("base_model", str, None, "Stable Diffusion 1.5 folder or Hugging Face id (its VAE, text encoder and "
               "tokenizer are used); default: stable-diffusion-v1-5/stable-diffusion-v1-5", metavar="ID|DIR"),
        Option("steps", int, 20, "denoising steps (default 20)", minimum=1, maximum=200, metavar="N"),
        Option("seed", int, 0, "random seed; the same seed gives the same result (default 0)", metavar="S"),
        Option("device", str, "auto", "where to compute: auto, cpu, cuda, cuda:N or mps", metavar="DEVICE"),
        Option("pasd_prompt", str, "", "a few words describing the photo (\"a dog on grass\") to guide PASD",
               metavar="TEXT"),
        Option("pasd_noise_level", int, 900, "extra noise on the start image, 0–999: more gives more new "
               "detail, less stays closer to the photo; 0 turns it off (default 900)", minimum=0, maximum=999,
               metavar="LEVEL"),
        Option("pasd_process_size", int, 768, "PASD works with the short side at least this many pixels "
               "(default 768, as trained); smaller is faster but blurrier", minimum=64, maximum=4096, metavar="PX"),
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[Any, ...], Any] | None = None

    def available(self) -> tuple[bool, str]:
        from ...addon import activate

        activate()
        missing = [name for name in _NEEDED if importlib.util.find_spec(name) is None]
        if missing:
            return False, (
                f"PASD needs the AI engine ({', '.join(missing)} missing); install it with "
                "`pixlcraft addon install` (or, from source, `pip install -e .[ai]`)."
            )
        return True, ""

    def run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        with self._lock:  # one pipeline, one run at a time
            return self._run(photo, options, reporter)

    def release(self) -> None:
        """Drop the loaded networks (several GB) until the next run needs them."""
        with self._lock:
            self._loaded = None
        from ...models import free_memory

        free_memory()

    def pipeline(self, options: dict[str, Any], reporter: Reporter):
        """The loaded :class:`~.pipeline.PASDPipeline` for these options, kept for the next run with the same."""
        import torch

        from ...models import pick_device
        from .pipeline import load_pipeline

        device = pick_device(_torch_device_name(options["device"]))
        dtype = torch.float32 if device == "cpu" else torch.float16  # PASD's own inference runs in fp16
        key = (options["pasd_model"], options["pasd_variant"], options["base_model"], device, dtype)
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = None
            pipe = load_pipeline(
                options["pasd_model"],
                options["pasd_variant"],
                options["base_model"],
                device=device,
                dtype=dtype,
                reporter=reporter,
            )
            self._loaded = (key, pipe)
        return self._loaded[1]

    def _run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        from ..tiling import resize

        # 1. the size the caller wants: PASD restores at that size (enlarging internally when it is small)
        size = self.output_size(photo.width, photo.height, options)
        rgb = resize(photo.srgb, size)
        # 2. the networks
        reporter.report("load", 0, 0, message="Loading PASD")
        pipe = self.pipeline(options, reporter)
        # 3. restore
        out = pipe.restore(
            rgb,
            prompt=options["pasd_prompt"],
            steps=options["steps"],
            seed=options["seed"],
            noise_level=options["pasd_noise_level"],
            process_size=options["pasd_process_size"],
            reporter=reporter,
        )
        alpha = None if photo.alpha is None else resize(photo.alpha, size)
        return Photo(out, alpha, photo.path)


def _torch_device_name(device: str) -> str:
    """Accept Real-ESRGAN's spelling of a GPU (``gpu``, ``gpu:1``) as the CUDA device of that number."""
    text = device.strip().lower()
    if text == "gpu" or text.startswith("gpu:"):
        return "cuda" + text[3:]
    if text.startswith("vulkan"):
        raise InputError(f"--device {device}: PASD runs on PyTorch devices (auto, cpu, cuda, cuda:N, mps).")
    return device


METHOD = PasdMethod()
