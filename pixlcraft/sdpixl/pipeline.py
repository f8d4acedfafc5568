"""One SD-πXL run from a request to a finished pattern: the end-to-end job behind ``pixlcraft generate``.

The body of :func:`generate` is a list of numbered steps, each a named method of :class:`_Job`, in the manner of
diffusers' pipelines:

1. check every input (sizes, palette, prompt, recipe, photo, resume state, device) before any model loads;
2. find every model through the model store first (so a missing ControlNet is reported before minutes of
   loading SDXL), then load what this run needs;
3. encode the prompt (LoRA applied first, so its text-encoder layers count);
4. prepare the source: a photo is cropped to the pattern's shape and its Canny and depth maps computed at the
   canvas size; a prompt alone is either drawn first with SDXL (the loaded UNet and text encoders are shared,
   never loaded twice) and the picture CLIP ranks best then stands in for the photo, or left without a source;
5. build the generator (the paper's photo start, the classic converter's pattern, or random logits);
6. optimise, with progress and cancel;
7. read out the palette-exact pattern (at most ``max_colors`` colours).

Models no longer needed are dropped as soon as possible (text encoders after the last prompt use, CLIP after
ranking, DPT after the depth map), so the optimisation holds only the UNet, TAESD and the ControlNets.

A cancelled run raises :class:`~pixlcraft.errors.Cancelled` whose ``partial`` is a :class:`GenerateResult` with
the pattern so far and a resumable state (``None`` if the optimisation had not started). :func:`~.resume.save_state`
writes that state; a request with ``resume=`` continues it and ends exactly where an uninterrupted run would.
The state holds a fingerprint of the request, so one made for other settings is refused with a clear message.

The request and result types are in :mod:`.request`, step 1's checks in :mod:`.plan` and the state files in
:mod:`.resume`; their public names are importable from here too. torch and the libraries are imported inside
the functions, so building a request costs nothing.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Cancelled, PixlcraftError
from ..jobs import CancelToken, Progress, ProgressCallback, Reporter
from ..palette import Palette
from ..pattern import Pattern
from .plan import _check_request, _memory_estimate, _Plan, validate_request
from .request import ALL_COLORS, BUDGET_ABOVE, DEFAULT_BUDGET, INITS, GenerateRequest, GenerateResult, ResumeState
from .resume import STATE_FORMAT, STATE_VERSION, load_state, save_state

if TYPE_CHECKING:  # pragma: no cover
    from .optimizer import OptimizeResult

__all__ = [
    "ALL_COLORS",
    "BUDGET_ABOVE",
    "DEFAULT_BUDGET",
    "INITS",
    "STATE_FORMAT",
    "STATE_VERSION",
    "GenerateRequest",
    "GenerateResult",
    "ResumeState",
    "generate",
    "load_state",
    "readout_without_confetti",
    "save_state",
    "validate_request",
]


def readout_without_confetti(indices: np.ndarray, softmax_image: np.ndarray,
                             palette: Palette) -> tuple[np.ndarray, int]:
    """The read-out with lone cells re-coloured by the classic converter's clean-up, and how many were.

    The optimiser decides each cell on its own, so a lone cell of a near-identical shade costs it nothing
    (the paper lists per-cell independence as a limitation). Each cell's expected colour, the softmax image,
    stands for the "true" colour the clean-up weighs a change against, as the photo's cell average does in
    the classic converter; the replacement is always a neighbour's colour, so the budget still holds."""
    from ..color import linear_to_lab, srgb_to_linear
    from ..confetti import DEFAULT_TOLERANCE, remove_confetti

    labs = linear_to_lab(srgb_to_linear(np.clip(np.asarray(softmax_image, np.float64), 0.0, 1.0)))
    grid, removed = remove_confetti(np.asarray(indices, np.int16), labs, palette.lab, DEFAULT_TOLERANCE)
    return grid.astype(np.int16), removed


def _resize_rgb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """uint8 RGB resized to ``size`` = (W, H) with Pillow's bilinear filter (what the generator's start uses)."""
    from PIL import Image

    if (rgb.shape[1], rgb.shape[0]) == tuple(size):
        return rgb
    return np.asarray(Image.fromarray(rgb, "RGB").resize(tuple(size), Image.Resampling.BILINEAR))


@contextlib.contextmanager
def _quiet_libraries() -> Iterator[None]:
    """Silence diffusers'/transformers' own loading bars and chatter; our progress reports replace them."""
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    saved = [(lib, lib.get_verbosity(), lib.is_progress_bar_enabled()) for lib in (dlog, tlog)]
    for lib, _, _ in saved:
        lib.set_verbosity_error()
        lib.disable_progress_bar()
    try:
        yield
    finally:
        for lib, level, bars in saved:
            lib.set_verbosity(level)
            if bars:
                lib.enable_progress_bar()


def _interrupt_safe(progress: ProgressCallback | None, token: CancelToken) -> ProgressCallback:
    """Forward reports; a Ctrl+C that lands inside the caller's progress hook becomes a cancel.

    Without this, a KeyboardInterrupt raised while a progress bar draws would escape the loop with the
    run's state lost; as a cancel, the loop stops cleanly and hands back the pattern so far.
    """

    def forward(p: Progress) -> None:
        if progress is None:
            return
        try:
            progress(p)
        except KeyboardInterrupt:
            token.cancel()
            raise Cancelled("Interrupted.") from None

    return forward


class _Job:
    """One run of :func:`generate`; each numbered step is a method, models live here between steps."""

    def __init__(self, request: GenerateRequest, reporter: Reporter) -> None:
        self.request = request
        self.reporter = reporter
        self.timings: dict[str, float] = {}
        self.loaded = 0
        self.to_load = 0
        # filled in by the steps
        self.plan: _Plan
        self.locations: dict[str, Any] = {}
        self.lora_path: Path | None = None
        self.unet = self.scheduler = self.taesd = self.text = self.embeddings = None
        self.controlnets: list[Any] = []
        self.controls: list[Any] = []
        self.control_images: dict[str, np.ndarray] = {}
        self.source_rgb: np.ndarray | None = None
        self.reference_images: list[np.ndarray] = []
        self.clip_scores: list[float] = []
        self.reference_index: int | None = None
        self.generator = None
        self.init_indices: np.ndarray | None = None

    @contextlib.contextmanager
    def _timed(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - start

    def _loading(self, what: str) -> None:
        self.reporter.report("loading", self.loaded, self.to_load, message=f"Loading the {what}")
        self.loaded += 1

    def drop_models(self) -> None:
        """Let go of every model, so that an exception kept by the caller (it holds this job in its traceback)
        does not keep gigabytes of weights alive."""
        self.unet = self.scheduler = self.taesd = self.text = self.embeddings = None
        self.controlnets = []
        self.controls = []
        self.generator = None

    # -- the steps ------------------------------------------------------------------------------------------

    def run(self) -> GenerateResult:
        start = time.perf_counter()
        # 1. check inputs (no model touched)
        with self._timed("check"):
            self.plan = _check_request(self.request)
        with _quiet_libraries():
            # 2. find every model, then load the ones needed from the start
            with self._timed("load"):
                self.resolve_models()
                self.load_base()
            # 3. prompt embeddings
            with self._timed("encode"):
                self.encode_prompt()
            # 4. the source picture and the ControlNet conditions
            self.prepare_source()
            self.reporter.report("loading", self.to_load, self.to_load, message="Models ready")
            # 5. generator
            with self._timed("init"):
                self.build_generator()
            # 6. optimise
            with self._timed("optimize"):
                result = self.optimise()
        # 7. pattern
        out = self.build_result(result)
        out.timings["total"] = time.perf_counter() - start
        return out

    # 2 ---------------------------------------------------------------------------------------------------------

    def _needs_controls(self) -> bool:
        return self.plan.init != "random"

    def _needs_clip(self) -> bool:
        return self.plan.init == "reference" and self.plan.resume is None

    def resolve_models(self) -> None:
        """Find every model's files (downloading if allowed) before loading any of them."""
        from ..model_loading import resolve_lora
        from ..models import ROLES, ModelMissingError, resolve_model

        r, rep = self.request, self.reporter
        wanted: list[tuple[str, Any]] = [("base", r.base_model), ("vae", r.vae)]
        if self._needs_clip():
            wanted.append(("clip", r.clip_model))
        if self._needs_controls():
            wanted += [("controlnet-canny", r.controlnet_canny), ("controlnet-depth", r.controlnet_depth),
                       ("depth", r.depth_model)]
        missing: list[tuple[str, ModelMissingError]] = []
        for role, value in wanted:
            rep.check()
            try:
                self.locations[role] = resolve_model(value, role, download=r.download, reporter=rep)
            except ModelMissingError as exc:
                missing.append((role, exc))
        if r.lora is not None:
            try:
                self.lora_path = resolve_lora(r.lora, download=r.download, reporter=rep)
            except ModelMissingError as exc:
                missing.append(("lora", exc))
        if missing:  # say everything that is missing at once, not one model per attempt
            first = missing[0][1]
            if len(missing) == 1:
                raise first
            others = ", ".join(f"the {ROLES[role][0]} ({ROLES[role][1]})" for role, _ in missing[1:])
            raise ModelMissingError(
                f"{first} This run also needs {others}, which are missing as well; "
                "`pixlcraft models download all` gets every default model at once."
            ) from first
        # UNet, text encoders, scheduler, TAESD; then CLIP, two ControlNets and DPT when used
        self.to_load = 4 + (1 if self._needs_clip() else 0) + (3 if self._needs_controls() else 0)

    def load_base(self) -> None:
        from ..model_loading import load_scheduler, load_sdxl_text, load_taesd, load_unet

        p, loc = self.plan, self.locations
        self._loading("SDXL UNet")
        self.unet = load_unet(loc["base"], dtype=p.dtype, device=p.device)
        self._loading("SDXL text encoders")
        text_device = "cpu" if self.request.low_memory else p.device
        self.text = load_sdxl_text(loc["base"], dtype=p.dtype, device=text_device)
        self._loading("noise schedule")
        self.scheduler = load_scheduler(loc["base"])
        self._loading("TAESD-XL encoder")
        self.taesd = load_taesd(loc["vae"], dtype=p.dtype, device=p.device)

    # 3 ---------------------------------------------------------------------------------------------------------

    def encode_prompt(self) -> None:
        from ..model_loading import apply_lora_to_parts

        if self.lora_path is not None:
            apply_lora_to_parts(self.unet, self.text, self.lora_path, float(self.request.lora_scale))
        self.reporter.check()
        self.embeddings = self.text.encode(self.plan.prompt, self.plan.negative)
        if not self._needs_clip():  # the reference sampler is the only other user of the text encoders
            self.text.release()

    # 4 ---------------------------------------------------------------------------------------------------------

    def prepare_source(self) -> None:
        p = self.plan
        if p.init == "reference":
            if p.resume is not None:
                self.source_rgb = p.resume.reference
                self.reference_images = [p.resume.reference]
                self.clip_scores = list(p.resume.reference_scores)
                self.reference_index = 0
            else:
                try:
                    with self._timed("reference"):
                        self.sample_reference()
                except Cancelled as exc:
                    raise Cancelled("Cancelled while drawing the reference pictures; nothing to keep yet.") from exc
        elif p.photo_rgb is not None:
            self.source_rgb = _resize_rgb(p.photo_rgb, p.canvas)
        if self._needs_controls():
            with self._timed("conditions"):
                self.compute_conditions()

    def sample_reference(self) -> None:
        """Draw reference pictures with SDXL, sharing the loaded UNet, text encoders and TAESD."""
        from ..model_loading import load_clip, load_sdxl_pipeline
        from .reference import sample_reference

        p, r = self.plan, self.request
        self._loading("CLIP model")
        clip, processor = load_clip(self.locations["clip"], device=p.device)
        text = self.text
        pipe = load_sdxl_pipeline(
            self.locations["base"], vae=self.taesd, dtype=p.dtype, device=p.device, low_memory=r.low_memory,
            unet=self.unet, text_encoder=text.text_encoder, text_encoder_2=text.text_encoder_2,
            tokenizer=text.tokenizer, tokenizer_2=text.tokenizer_2,
        )
        try:
            ref = sample_reference(
                p.prompt, p.negative, pipe, clip, processor,
                samples=int(r.reference_samples), steps=int(r.reference_steps), guidance=float(r.reference_guidance),
                width=p.canvas[0], height=p.canvas[1], seed=p.seed, reporter=self.reporter,
            )
        finally:
            if r.low_memory and p.device != "cpu":
                pipe.remove_all_hooks()  # the offload hooks moved the shared models; put them back for good
                self.unet.to(p.device)
                self.taesd.to(p.device)
            del pipe, clip, processor
            text.release()  # also collects what the lines above dropped (one collection: they are slow)
        self.source_rgb = ref.best
        self.reference_images = list(ref.images)
        self.clip_scores = list(ref.scores)
        self.reference_index = ref.best_index

    def compute_conditions(self) -> None:
        """Canny edges and a DPT depth map of the source, at the canvas size, and the two ControlNets."""
        from ..model_loading import load_controlnet, load_depth
        from .conditions import canny_edges, control_image_from_edges, depth_control_image, estimate_depth

        p, loc = self.plan, self.locations
        canvas_w, canvas_h = p.canvas
        rgb = self.source_rgb
        assert rgb is not None
        self._loading("depth estimator")
        depth_model, processor = load_depth(loc["depth"], device=p.device)
        self.reporter.check()
        depth = estimate_depth(rgb, depth_model, processor, size=(canvas_h, canvas_w))
        # dropped, not collected: its memory goes back to torch's allocator, which the ControlNets reuse next
        del depth_model, processor
        edges = canny_edges(rgb)
        self.controls = [control_image_from_edges(edges, (canvas_h, canvas_w)),
                         depth_control_image(depth, (canvas_h, canvas_w))]
        self.control_images = {
            "canny": edges,
            "depth": np.round(np.clip(depth, 0.0, 1.0) * 255.0).astype(np.uint8),
        }
        self._loading("Canny ControlNet")
        canny = load_controlnet(loc["controlnet-canny"], dtype=p.dtype, device=p.device, kind="canny")
        self._loading("depth ControlNet")
        depth_net = load_controlnet(loc["controlnet-depth"], dtype=p.dtype, device=p.device, kind="depth")
        self.controlnets = [canny, depth_net]

    # 5 ---------------------------------------------------------------------------------------------------------

    def build_generator(self) -> None:
        import torch

        from .generator import PaletteGenerator

        p = self.plan
        rgb = p.palette.rgb.copy()
        if p.init == "classic":
            from ..convert import ConvertOptions, convert_photo

            assert p.photo is not None
            threads = torch.get_num_threads()
            try:
                classic = convert_photo(p.photo, p.palette, ConvertOptions(width=p.width, height=p.height,
                                                                            max_colors=p.max_colors))
            finally:
                # numba's parallel kernels reset OpenMP's thread count, which torch shares; a different count
                # changes the order of torch's sums, so a seeded run would no longer repeat exactly
                torch.set_num_threads(threads)
            self.generator = PaletteGenerator.init_from_indices(classic.pattern.grid, rgb)
        elif p.init == "random":
            self.generator = PaletteGenerator.random(p.height, p.width, rgb,
                                                     generator=torch.Generator().manual_seed(p.seed))
        else:  # "photo" and "reference": the paper's start from a picture already at the canvas size
            assert self.source_rgb is not None
            self.generator = PaletteGenerator.from_photo(self.source_rgb, p.height, p.width, rgb, canvas=p.canvas)
        self.init_indices = self.generator.hard()[0].cpu().numpy().astype(np.int16)

    # 6 ---------------------------------------------------------------------------------------------------------

    def optimise(self) -> OptimizeResult:
        from .memory import check_memory
        from .optimize import optimize
        from .optimizer import SDPixlComponents

        p = self.plan
        # the models are loaded: what is free now must hold the generator and the activations
        check_memory(_memory_estimate(p, (self.unet, self.taesd, *self.controlnets)), p.device, models_loaded=True)
        components = SDPixlComponents(self.unet, self.scheduler, self.taesd, self.embeddings,
                                      controlnets=self.controlnets)
        try:
            return optimize(
                components, self.generator, p.recipe, control_images=self.controls or None,
                steps=p.recipe.steps, seed=p.seed, reporter=self.reporter,
                resume_state=p.resume.optimizer if p.resume is not None else None,
                preview_every=int(self.request.preview_every), device=p.device,
                deterministic=bool(self.request.deterministic),
            )
        except Cancelled as exc:
            partial = exc.partial
            if partial is None:
                raise
            result = self.build_result(partial)
            raise Cancelled(
                f"Stopped after step {partial.steps_done} of {partial.total_steps}; the pattern so far is kept.",
                partial=result,
            ) from exc
        except ValueError as exc:  # the optimiser's own input checks: models that do not fit together
            raise PixlcraftError(f"SD-πXL cannot run with these models and settings: {exc}") from exc

    # 7 ---------------------------------------------------------------------------------------------------------

    def build_result(self, result: OptimizeResult) -> GenerateResult:
        from .. import __version__

        p, r = self.plan, self.request
        from ..fileio import readable

        photo_path = p.photo.path if p.photo is not None else ""
        title = r.title or (p.prompt if len(p.prompt) <= 60 else p.prompt[:57].rstrip() + "…")
        models = {role: loc.label for role, loc in self.locations.items()}
        if self.lora_path is not None:
            models["lora"] = str(self.lora_path)
        recipe_meta: dict[str, Any] = {
            "maker": "sd-pixl",
            **p.recipe.to_dict(),
            "init": p.init,
            "width": p.width,
            "height": p.height,
            "canvas": list(result.canvas),
            "palette": p.palette.name,
            "steps_done": result.steps_done,
            "models": models,
        }
        if self.lora_path is not None:
            recipe_meta["lora_scale"] = float(r.lora_scale)
        grid, removed = result.indices, 0
        if r.cleanup:
            grid, removed = readout_without_confetti(result.indices, result.softmax_image, p.palette)
        recipe_meta["confetti_removed"] = removed
        if p.init == "reference":
            recipe_meta["reference"] = {
                "samples": int(r.reference_samples),
                "steps": int(r.reference_steps),
                "guidance": float(r.reference_guidance),
                "clip_scores": [float(s) for s in self.clip_scores],
            }
        pattern = Pattern(
            grid=grid,
            palette=p.palette,
            metadata={
                "title": title,
                "source": readable(photo_path) if photo_path else ("photo" if p.photo is not None else "prompt"),
                "prompt": p.prompt,
                "negative_prompt": r.negative_prompt or "",
                "seed": p.seed,
                "recipe": recipe_meta,
                "complete": result.complete,
                "app_version": __version__,
            },
        )
        reference = self.source_rgb if p.init == "reference" else None
        return GenerateResult(
            pattern=pattern,
            softmax_image=result.softmax_image,
            init_indices=self.init_indices if self.init_indices is not None else result.indices,
            optimize=result,
            fingerprint=p.fingerprint,
            reference=reference,
            reference_images=list(self.reference_images),
            clip_scores=list(self.clip_scores),
            reference_index=self.reference_index,
            control_images=dict(self.control_images),
            timings=dict(self.timings),
        )


def generate(
    request: GenerateRequest,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> GenerateResult:
    """Run SD-πXL for ``request`` and return the palette-exact pattern.

    Progress arrives as :class:`~pixlcraft.jobs.Progress` reports with stages ``download`` (bytes, only when a
    model is fetched), ``loading`` (models), ``reference`` (denoising steps of the reference pictures, with
    each finished picture as preview) and ``generate`` (optimisation steps; ``info`` has loss, t,
    seconds_left; an argmax preview every ``preview_every`` steps). ``cancel`` stops within one step:
    :class:`~pixlcraft.errors.Cancelled` is raised with ``partial`` = the :class:`GenerateResult` so far once the
    optimisation has started (``None`` before). A KeyboardInterrupt raised inside ``progress`` counts as a
    cancel. User problems raise :class:`~pixlcraft.errors.InputError` (before any model loads) or
    :class:`~pixlcraft.models.ModelMissingError`.
    """
    token = cancel or CancelToken()
    job = _Job(request, reporter=Reporter(_interrupt_safe(progress, token), token))
    try:
        return job.run()
    finally:
        job.drop_models()
