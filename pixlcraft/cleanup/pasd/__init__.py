"""``--method pasd``: PASD (Pixel-Aware Stable Diffusion, Yang et al., ECCV 2024) as a clean-up method.

PASD restores a photo with Stable Diffusion 1.5 steered, pixel by pixel, by the photo itself: a ControlNet reads
the degraded photo and the UNet's decoder attends to what it reads (see :mod:`.unet`). It re-draws texture that
Real-ESRGAN can only sharpen, at the cost of about 6 GB of weights and, without a GPU, an hour per photo.

The package is a port onto current diffusers of the authors' released inference (their weights load as they
are):

* :mod:`.controlnet` — the ControlNet with the degradation-removal image encoder;
* :mod:`.unet` — the UNet with pixel-aware cross-attention, full and light variants;
* :mod:`.weights` — finding the checkpoint folders and loading them strictly; the SD 1.5 parts;
* :mod:`.pipeline` — prompts, the start latent, UniPC sampling (in latent tiles for large photos), the colour fix;
* :mod:`.caption` — the automatic caption (BLIP base) that gives PASD its "high-level information";
* :mod:`.schedule` — the start noise level: the paper's 900 and the released code's 50;
* :mod:`.sizes` — the working size and the latent tiles; :mod:`.estimate` — how long a run takes here;
* :mod:`.colorfix` — the wavelet colour fix.

Importing this package is cheap: torch and diffusers are imported when the method runs (or is asked for its
device or readiness).

Besides the cleanup-method contract, :data:`METHOD` offers the app:

* :meth:`PasdMethod.readiness` — what is missing before a run (engine, weights not downloaded, the optional
  caption model), the device, and an estimate at the default size;
* :meth:`PasdMethod.estimate` (and :func:`.estimate.estimate_seconds`) — estimated seconds for a photo;
* :meth:`PasdMethod.pending_downloads` — what a run would download first, or at once the run's own error when a
  model is missing and cannot be downloaded;
* :attr:`PasdMethod.last_run` / :meth:`PasdMethod.result_metadata` — what the last run did, prompt included
  (cleanup results are plain :class:`~pixlcraft.imageio.Photo` objects, which carry no metadata).
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass, field
from typing import Any

from ...errors import InputError
from ...imageio import Photo
from ...jobs import Reporter
from .. import AUTO_LONG_SIDE, CleanupMethod, Option
from .estimate import describe_seconds, estimate_seconds
from .schedule import PAPER_NOISE_LEVEL, STARTS, noise_level_for, official_noise_level
from .sizes import LATENT_SCALE, TILE_PX, latent_tiles, processing_size

_NEEDED = ("torch", "diffusers", "transformers", "safetensors")
CAPTION_MODEL = "Salesforce/blip-image-captioning-base"
CAPTION_SPEC = "blip-caption-base"


@dataclass
class PasdRun:
    """What one PASD run did: the app shows it, the CLI prints it and writes it into the PNG."""

    prompt: str
    """The full prompt the text encoder saw (description + PASD's quality words)."""
    negative_prompt: str
    description: str
    """The user's words, the automatic caption, or ""."""
    source: str
    """Where the description came from: "user", "caption" or "none"."""
    noise_level: int
    start: str
    """"redrawn", "faithful" or "custom" (an explicit --pasd-noise-level)."""
    steps: int
    seed: int
    variant: str
    device: str
    work_size: tuple[int, int]
    tiles: int
    """Latent tiles per step (0: the whole image at once)."""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, str]:
        """Text fields for the output file (PNG text chunks), keys prefixed ``pasd:``."""
        meta = {
            "pasd:prompt": self.prompt,
            "pasd:negative-prompt": self.negative_prompt,
            "pasd:prompt-source": self.source,
            "pasd:noise-level": str(self.noise_level),
            "pasd:start": self.start,
            "pasd:steps": str(self.steps),
            "pasd:seed": str(self.seed),
            "pasd:variant": self.variant,
        }
        if self.source == "caption":
            meta["pasd:caption"] = self.description
        return meta


@dataclass
class Readiness:
    """What stands between this computer and a PASD run, for ``cleanup --list`` and the app."""

    engine_missing: list[str]
    """AI-engine packages that cannot be imported (nothing else matters until they can)."""
    downloads: list[tuple[str, int, str]]
    """(what, size in MB, how to get it) for each required model not on this computer."""
    caption: str
    """"installed", "missing" (optional: without it there is no automatic prompt) or "off"."""
    device: str
    """"cuda", "cuda:N", "mps" or "cpu"; "" when unknown (no engine)."""
    seconds: float | None
    """Estimated seconds for one photo at the default size (:data:`~pixlcraft.cleanup.AUTO_LONG_SIDE`, 4:3)."""
    device_chosen: bool = False
    """Whether the device was asked for (``--device``) rather than picked automatically."""

    @property
    def ready(self) -> bool:
        return not self.engine_missing and not self.downloads

    def lines(self) -> list[str]:
        """One sentence per fact, for a listing."""
        if self.engine_missing:
            return [f"unavailable: the AI engine is not installed ({', '.join(self.engine_missing)} missing); "
                    "`pixlcraft addon install`"]
        out = []
        if self.downloads:
            total = sum(mb for _, mb, _ in self.downloads)
            out.append(f"not ready: {_mb(total)} of weights to download first (or on the first run, while online):")
            out += [f"  {name}, {_mb(mb)}: {how}" for name, mb, how in self.downloads]
        else:
            out.append("ready: weights downloaded")
        if self.caption == "missing":
            out.append(f"optional: no automatic prompt until the caption model is downloaded (990 MB): "
                       f"`pixlcraft models download {CAPTION_SPEC}`")
        if self.seconds is not None:
            cpu = "on the CPU" if self.device_chosen else "on the CPU (no GPU found)"
            where = {"cpu": cpu, "mps": "on the Apple GPU"}.get(self.device.split(":")[0],
                                                                f"on the GPU ({self.device})")
            out.append(f"time: {describe_seconds(self.seconds)} per photo {where} at the default size "
                       f"({AUTO_LONG_SIDE} px long side), an estimate")
        return out


def _mb(mb: float) -> str:
    return f"about {mb / 1000:.1f} GB" if mb >= 1000 else f"about {mb:.0f} MB"


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
        Option("pasd_prompt", str, "", "a few words describing the photo (\"a dog on grass\") to guide PASD; "
               "replaces the automatic caption", metavar="TEXT"),
        Option("pasd_caption", str, "auto", "describe the photo automatically for PASD's prompt when "
               "--pasd-prompt is empty, as PASD does (BLIP base captioning): auto (when the caption model is "
               f"downloaded: `pixlcraft models download {CAPTION_SPEC}`, 990 MB), on (downloading it if needed), "
               "or off (default auto)", choices=("auto", "on", "off"), metavar="MODE"),
        Option("caption_model", str, None, "captioning model for --pasd-caption: a BLIP folder or Hugging Face id; "
               f"default: {CAPTION_MODEL}", metavar="ID|DIR"),
        Option("pasd_start", str, "redrawn", "how much PASD re-draws: redrawn (start noise level 900, as the "
               "paper states: more new detail) or faithful (what the authors' released code really does, level 50 "
               "at 20 steps: keeps about 8x more of the photo); default redrawn", choices=STARTS, metavar="START"),
        Option("pasd_noise_level", int, None, "extra noise on the start image, 0-999, overriding --pasd-start: "
               "more gives more new detail, less stays closer to the photo, 0 turns it off. The paper uses 900, "
               "but through a diffusers quirk the authors' current code starts at the sampler's last step, 50 at "
               "20 steps, keeping about 8x more of the photo: --pasd-noise-level 50 starts exactly as their code "
               "does",
               minimum=0, maximum=999, metavar="LEVEL"),
        Option("pasd_process_size", int, 768, "PASD works with the short side at least this many pixels "
               "(default 768, as trained); smaller is faster but blurrier", minimum=64, maximum=4096, metavar="PX"),
        Option("pasd_tile_size", int, TILE_PX, "denoise images larger than this many pixels squared in "
               f"overlapping tiles of this side, as PASD does (default {TILE_PX}); lower it if memory runs out",
               minimum=128, maximum=16384, metavar="PX"),
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: tuple[tuple[Any, ...], Any] | None = None
        self._captioner: tuple[tuple[Any, ...], Any] | None = None
        self.last_run: PasdRun | None = None
        """What the last finished run did (None before the first)."""

    def available(self) -> tuple[bool, str]:
        """Whether PASD can run here at all: the AI engine. Missing weights are fetched on first use (or given as
        folders), so they do not make PASD unavailable; :meth:`readiness` says which are missing and how long a
        run would take."""
        missing = _engine_missing()
        if missing:
            return False, (
                f"PASD needs the AI engine ({', '.join(missing)} missing); install it with "
                "`pixlcraft addon install` (or, from source, `pip install -e .[ai]`)."
            )
        return True, ""

    # ------------------------------------------------------------------ readiness and time

    def readiness(self, options: dict[str, Any] | None = None) -> Readiness:
        """What is missing before a run with ``options`` (default: the defaults) and how long one would take.

        Looks at the model store and the folders given, without downloading or loading anything; imports torch
        to find the device. Never raises.
        """
        missing = _engine_missing()
        if missing:
            return Readiness(missing, [], "off", "", None)
        try:
            opts = self.resolve_options(options)
        except InputError:
            opts = self.resolve_options(None)
        from .weights import missing_model_parts

        downloads = [(part.what, part.mb, part.how)
                     for part in missing_model_parts(opts["pasd_model"], opts["pasd_variant"], opts["base_model"])]
        caption = "off"
        if opts["pasd_caption"] != "off":
            from .caption import caption_installed

            caption = "installed" if caption_installed(opts["caption_model"]) else "missing"
        try:
            device = self.device_for(opts)
            size = self.output_size(4 * AUTO_LONG_SIDE, 3 * AUTO_LONG_SIDE, opts)
            seconds = estimate_seconds(*size, opts["steps"], device, process_size=opts["pasd_process_size"],
                                       tile_px=opts["pasd_tile_size"], caption=caption == "installed")
        except Exception:  # noqa: BLE001 - a broken torch must not break a listing
            device, seconds = "", None
        return Readiness([], downloads, caption, device, seconds, opts["device"].strip().lower() != "auto")

    def device_for(self, options: dict[str, Any]) -> str:
        """The torch device a run with these options uses (imports torch)."""
        from ...models import pick_device

        return pick_device(_torch_device_name(options["device"]))

    def estimate(self, width: int, height: int, options: dict[str, Any] | None = None) -> float:
        """Estimated seconds to clean a ``width`` × ``height`` photo with ``options`` on this computer.

        Counts the caption when one would be made, and the loading unless the pipeline for these options is
        already in memory. See :mod:`.estimate` for the figures (an estimate, not a promise).
        """
        opts = self.resolve_options(options)
        device = self.device_for(opts)
        size = self.output_size(width, height, opts)
        caption = self._caption_wanted(opts) == "caption"
        loaded = self._loaded is not None and self._loaded[0][:4] == self._key(opts, device)
        return estimate_seconds(*size, opts["steps"], device, process_size=opts["pasd_process_size"],
                                tile_px=opts["pasd_tile_size"], caption=caption, loaded=loaded)

    def pending_downloads(self, options: dict[str, Any] | None = None) -> list[tuple[str, int, str]]:
        """``(what, MB, how)`` for each model a run with ``options`` would download first; raises the run's own
        :class:`~pixlcraft.models.ModelMissingError` at once when one is missing and cannot be downloaded (a
        folder that lacks it, or downloads switched off). No network access, nothing loaded.
        """
        from ...models import ModelMissingError
        from .weights import missing_model_parts

        opts = self.resolve_options(options)
        parts = missing_model_parts(opts["pasd_model"], opts["pasd_variant"], opts["base_model"])
        stuck = [part for part in parts if not part.fetchable]
        if stuck:
            # as when loading: the PASD message already says that an SD 1.5 base is needed too
            first = parts[0] if not parts[0].fetchable else stuck[0]
            raise ModelMissingError(first.message)
        return [(part.what, part.mb, part.how) for part in parts]

    def result_metadata(self) -> dict[str, str]:
        """Text fields describing the last run, for the output file ({} before any run)."""
        return {} if self.last_run is None else self.last_run.metadata()

    # ------------------------------------------------------------------ running

    def run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        with self._lock:  # one pipeline, one run at a time
            return self._run(photo, options, reporter)

    def release(self) -> None:
        """Drop the loaded networks (several GB) until the next run needs them."""
        with self._lock:
            self._loaded = None
            self._captioner = None
        from ...models import free_memory

        free_memory()

    @staticmethod
    def _key(options: dict[str, Any], device: str) -> tuple[Any, ...]:
        return (options["pasd_model"], options["pasd_variant"], options["base_model"], device)

    @staticmethod
    def _dtype(device: str):
        import torch

        return torch.float32 if device == "cpu" else torch.float16  # PASD's own inference runs in fp16

    def pipeline(self, options: dict[str, Any], reporter: Reporter):
        """The loaded :class:`~.pipeline.PASDPipeline` for these options, kept for the next run with the same."""
        from .pipeline import load_pipeline

        device = self.device_for(options)
        dtype = self._dtype(device)
        key = (*self._key(options, device), dtype)
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

    def captioner(self, options: dict[str, Any], reporter: Reporter, download: bool):
        """The loaded BLIP captioner for these options, kept for the next run with the same."""
        from .caption import load_captioner

        device = self.device_for(options)
        dtype = self._dtype(device)
        key = (options["caption_model"], device, dtype)
        if self._captioner is None or self._captioner[0] != key:
            self._captioner = None
            model = load_captioner(options["caption_model"], device=device, dtype=dtype, download=download,
                                   reporter=reporter)
            self._captioner = (key, model)
        return self._captioner[1]

    @staticmethod
    def noise_level(options: dict[str, Any]) -> tuple[int, str]:
        """(noise level, start name): ``--pasd-noise-level`` when given ("custom"), else ``--pasd-start``'s."""
        if options["pasd_noise_level"] is not None:
            level = int(options["pasd_noise_level"])
            named = {PAPER_NOISE_LEVEL: "redrawn", official_noise_level(options["steps"]): "faithful"}
            return level, named.get(level, "custom")
        return noise_level_for(options["pasd_start"], options["steps"]), options["pasd_start"]

    @staticmethod
    def _caption_wanted(options: dict[str, Any]) -> str:
        """"user" (the user's words), "caption" (caption the photo) or "none" — and for "auto" whether the
        caption model is on this computer."""
        if options["pasd_prompt"].strip():
            return "user"
        if options["pasd_caption"] == "off":
            return "none"
        if options["pasd_caption"] == "on":
            return "caption"
        from .caption import caption_installed

        return "caption" if caption_installed(options["caption_model"]) else "none"

    def _describe(self, rgb, options: dict[str, Any], reporter: Reporter, notes: list[str]) -> tuple[str, str]:
        """(description, source) for the prompt: the user's words, an automatic caption, or nothing."""
        wanted = self._caption_wanted(options)
        if wanted == "user":
            return options["pasd_prompt"].strip(), "user"
        if wanted == "none":
            if options["pasd_caption"] == "auto":
                notes.append(
                    "no automatic prompt: the caption model is not on this computer (get it with `pixlcraft models "
                    f"download {CAPTION_SPEC}`, 990 MB, or pass --pasd-prompt \"a few words\")"
                )
            return "", "none"
        reporter.report("caption", 0, 1, message="Describing the photo (BLIP)")
        captioner = self.captioner(options, reporter, download=options["pasd_caption"] == "on")
        text = captioner(rgb)
        reporter.report("caption", 1, 1, message=f"Caption: {text}")
        return text, "caption"

    def _run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        import time

        from ..tiling import resize
        from .pipeline import NEGATIVE_PROMPT, full_prompt

        start = time.perf_counter()
        # 1. the size the caller wants: PASD restores at that size (enlarging internally when it is small)
        size = self.output_size(photo.width, photo.height, options)
        rgb = resize(photo.srgb, size)
        # 2. what the photo shows: the user's words or an automatic caption (PASD's high-level information)
        notes: list[str] = []
        description, source = self._describe(rgb, options, reporter, notes)
        # 3. the networks
        reporter.report("load", 0, 0, message="Loading PASD")
        pipe = self.pipeline(options, reporter)
        # 4. restore
        level, start_name = self.noise_level(options)
        latent_tile = max(1, options["pasd_tile_size"] // LATENT_SCALE)
        out = pipe.restore(
            rgb,
            prompt=description,
            steps=options["steps"],
            seed=options["seed"],
            noise_level=level,
            process_size=options["pasd_process_size"],
            latent_tile=latent_tile,
            reporter=reporter,
        )
        work = processing_size(size[0], size[1], options["pasd_process_size"])
        tiles = latent_tiles(work[1] // LATENT_SCALE, work[0] // LATENT_SCALE, latent_tile)
        self.last_run = PasdRun(
            prompt=full_prompt(description),
            negative_prompt=NEGATIVE_PROMPT,
            description=description,
            source=source,
            noise_level=level,
            start=start_name,
            steps=options["steps"],
            seed=options["seed"],
            variant=options["pasd_variant"],
            device=str(self._loaded[0][3]) if self._loaded else "",
            work_size=work,
            tiles=0 if tiles is None else len(tiles[1]),
            seconds=time.perf_counter() - start,
            notes=notes,
        )
        alpha = None if photo.alpha is None else resize(photo.alpha, size)
        return Photo(out, alpha, photo.path)


def _engine_missing() -> list[str]:
    from ...addon import activate

    activate()
    return [name for name in _NEEDED if importlib.util.find_spec(name) is None]


def _torch_device_name(device: str) -> str:
    """Accept Real-ESRGAN's spelling of a GPU (``gpu``, ``gpu:1``) as the CUDA device of that number."""
    text = device.strip().lower()
    if text == "gpu" or text.startswith("gpu:"):
        return "cuda" + text[3:]
    if text.startswith("vulkan"):
        raise InputError(f"--device {device}: PASD runs on PyTorch devices (auto, cpu, cuda, cuda:N, mps).")
    return device


METHOD = PasdMethod()
