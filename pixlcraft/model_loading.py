"""The loaders: turning the model store's folders into torch models, pipelines and LoRA adapters.

:mod:`pixlcraft.models` finds (and if allowed downloads) a model's files; this module loads them. Every load
goes through the library's own ``from_pretrained(..., use_safetensors=True)``: no pickled ``.bin``/``.ckpt``
files are ever opened, because unpickling a downloaded file can run arbitrary code.

A folder may hold the fp16 copy of a weight file, the fp32 one or both (the store fetches fp16 by default); the
loaders pick the copy that fits the compute precision and up-cast fp16 weights when fp32 compute is asked for.

torch, diffusers and transformers are imported inside the functions that need them, so importing this module
is as cheap as importing the store.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, PixlcraftError
from .jobs import Reporter
from .models import ROLES, ModelLocation, ModelMissingError, free_memory, resolve_model, weights_present

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "LOAD_ERRORS",
    "SdxlText",
    "apply_lora",
    "apply_lora_to_parts",
    "load_clip",
    "load_controlnet",
    "load_depth",
    "load_error",
    "load_scheduler",
    "load_sdxl_pipeline",
    "load_sdxl_text",
    "load_taesd",
    "load_unet",
    "quiet_diffusers",
    "resolve_lora",
    "weights_variant",
]


def _location(model: str | os.PathLike[str] | ModelLocation | None, role: str) -> ModelLocation:
    return model if isinstance(model, ModelLocation) else resolve_model(model, role)


def weights_variant(folder: Path, stem: str, dtype: torch.dtype | None) -> str | None:
    """Pick the weights copy to load: the fp16 one for half-precision compute or when it is the only one."""
    import torch

    present = weights_present(folder, stem)
    half = dtype in (torch.float16, torch.bfloat16)
    if "fp16" in present and (half or "" not in present):
        return "fp16"
    return None


#: What from_pretrained raises on a folder whose files do not fit the class (bad JSON, wrong shapes, layers
#: left on the meta device because the checkpoint lacks them).
LOAD_ERRORS = (OSError, ValueError, KeyError, RuntimeError, NotImplementedError)


def load_error(exc: Exception, what: str, loc: ModelLocation) -> ModelMissingError:
    """A failed ``from_pretrained`` as a message naming the folder and the flag that picks another one."""
    title, flag = ROLES[loc.role]
    return ModelMissingError(
        f"The {title} at '{loc.path}' could not be loaded as {what}: {type(exc).__name__}: {exc}. "
        f"Pass a folder with a matching model to {flag}."
    )


def load_unet(
    base: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
):
    """The SDXL UNet (``UNet2DConditionModel``) of a base model, in eval mode with gradients off."""
    import torch
    from diffusers import UNet2DConditionModel

    loc = _location(base, "base")
    dtype = dtype or torch.float32
    try:
        unet = UNet2DConditionModel.from_pretrained(
            loc.path,
            subfolder="unet",
            dtype=dtype,
            use_safetensors=True,
            variant=weights_variant(loc.path / "unet", "diffusion_pytorch_model", dtype),
        )
    except LOAD_ERRORS as exc:
        raise load_error(exc, "an SDXL UNet", loc) from exc
    return unet.to(device).eval().requires_grad_(False)


def load_scheduler(base: str | os.PathLike[str] | ModelLocation | None = None):
    """The base model's noise schedule as a ``DDPMScheduler`` (what score distillation adds noise with)."""
    from diffusers import DDPMScheduler

    loc = _location(base, "base")
    try:
        return DDPMScheduler.from_pretrained(loc.path, subfolder="scheduler")
    except LOAD_ERRORS as exc:
        raise load_error(exc, "an SDXL noise schedule", loc) from exc


@dataclass
class SdxlText:
    """SDXL's two tokenizers and text encoders. Used once per run, so they live on the CPU by default."""

    tokenizer: Any
    tokenizer_2: Any
    text_encoder: Any
    text_encoder_2: Any

    @property
    def tokenizers(self) -> tuple[Any, Any]:
        return (self.tokenizer, self.tokenizer_2)

    @property
    def text_encoders(self) -> tuple[Any, Any]:
        return (self.text_encoder, self.text_encoder_2)

    def encode(self, prompt: str, negative_prompt: str | None = ""):
        """``[negative, positive]`` SDXL conditioning (see :func:`pixlcraft.sdpixl.prompts.encode_prompts`).

        ``negative_prompt=None`` gives all-zero negative embeddings, as SDXL base's
        ``force_zeros_for_empty_prompt`` does when no negative prompt is given; a string, even empty, is
        encoded, as the official SD-πXL code does with its default ``""``.
        """
        from .sdpixl.prompts import encode_prompts

        if self.text_encoder is None or self.text_encoder_2 is None:
            raise RuntimeError("the text encoders were released; load them again to encode another prompt")
        return encode_prompts(
            self.tokenizers,
            self.text_encoders,
            prompt,
            negative_prompt or "",
            zero_empty_negative=negative_prompt is None,
        )

    def release(self) -> None:
        """Drop the encoders (about 1.6 GB for SDXL in fp16) once the prompt is encoded."""
        self.text_encoder = None
        self.text_encoder_2 = None
        free_memory()


def load_sdxl_text(
    base: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
) -> SdxlText:
    """Tokenizers and both CLIP text encoders of an SDXL base (``CLIPTextModel``, ``CLIPTextModelWithProjection``)."""
    import torch
    from transformers import CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    loc = _location(base, "base")
    dtype = dtype or torch.float32
    try:
        tokenizer = CLIPTokenizer.from_pretrained(loc.path, subfolder="tokenizer")
        tokenizer_2 = CLIPTokenizer.from_pretrained(loc.path, subfolder="tokenizer_2")
        encoders = []
        for sub, cls in (("text_encoder", CLIPTextModel), ("text_encoder_2", CLIPTextModelWithProjection)):
            enc = cls.from_pretrained(
                loc.path,
                subfolder=sub,
                dtype=dtype,
                use_safetensors=True,
                variant=weights_variant(loc.path / sub, "model", dtype),
            )
            encoders.append(enc.to(device).eval().requires_grad_(False))
    except LOAD_ERRORS as exc:
        raise load_error(exc, "SDXL text encoders", loc) from exc
    return SdxlText(tokenizer, tokenizer_2, encoders[0], encoders[1])


def _load_diffusers_model(cls, model, role: str, what: str, dtype, device):
    import torch

    loc = _location(model, role)
    dtype = dtype or torch.float32
    try:
        net = cls.from_pretrained(
            loc.path,
            dtype=dtype,
            use_safetensors=True,
            variant=weights_variant(loc.path, "diffusion_pytorch_model", dtype),
        )
    except LOAD_ERRORS as exc:
        raise load_error(exc, what, loc) from exc
    return net.to(device).eval().requires_grad_(False)


def load_taesd(
    vae: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
):
    """TAESD-XL (``AutoencoderTiny``). Gradients are off on its weights but flow through it to the input."""
    from diffusers import AutoencoderTiny

    return _load_diffusers_model(AutoencoderTiny, vae, "vae", "a TAESD-XL AutoencoderTiny", dtype, device)


def load_controlnet(
    model: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
    *,
    kind: str = "canny",
):
    """An SDXL ``ControlNetModel``; ``kind`` (canny/depth) picks the default model and the flag in messages."""
    from diffusers import ControlNetModel

    role = f"controlnet-{kind}"
    if role not in ROLES:
        raise ValueError(f"unknown ControlNet kind {kind!r}")
    return _load_diffusers_model(ControlNetModel, model, role, "an SDXL ControlNet", dtype, device)


def load_depth(
    model: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
):
    """``(DPTForDepthEstimation, image processor)`` of a depth model such as DPT-Hybrid MiDaS."""
    from transformers import AutoImageProcessor, DPTForDepthEstimation

    return _load_with_processor(DPTForDepthEstimation, AutoImageProcessor, model, "depth",
                                "a DPT depth estimator", dtype, device)


def load_clip(
    model: str | os.PathLike[str] | ModelLocation | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
):
    """``(CLIPModel, CLIPProcessor)`` for ranking reference images against the prompt."""
    from transformers import AutoProcessor, CLIPModel

    return _load_with_processor(CLIPModel, AutoProcessor, model, "clip", "a CLIP model", dtype, device)


def _load_with_processor(model_cls, processor_cls, model, role: str, what: str, dtype, device: str):
    """A transformers model in eval mode without gradients, and the processor saved beside it."""
    import torch

    loc = _location(model, role)
    try:
        net = model_cls.from_pretrained(loc.path, dtype=dtype or torch.float32, use_safetensors=True)
        processor = processor_cls.from_pretrained(loc.path)
    except LOAD_ERRORS as exc:
        raise load_error(exc, what, loc) from exc
    return net.to(device).eval().requires_grad_(False), processor


@contextlib.contextmanager
def quiet_diffusers():
    """Silence diffusers' warnings for one load, where they warn about a choice made on purpose."""
    from diffusers.utils import logging as dlogging

    level = dlogging.get_verbosity()
    dlogging.set_verbosity_error()
    try:
        yield
    finally:
        dlogging.set_verbosity(level)


def load_sdxl_pipeline(
    base: str | os.PathLike[str] | ModelLocation | None = None,
    vae: str | os.PathLike[str] | ModelLocation | Any | None = None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
    *,
    low_memory: bool = False,
    lora: str | os.PathLike[str] | ModelLocation | None = None,
    lora_scale: float = 1.0,
    **components: Any,
):
    """A ``StableDiffusionXLPipeline`` for sampling reference images.

    ``vae`` is TAESD-XL by default (as in the official code; the base's own VAE is not downloaded); pass an
    ``AutoencoderKL``/``AutoencoderTiny`` instance or a folder to use another. Already-loaded models can be
    shared through ``components`` (``unet=…``, ``text_encoder=…``) so that the optimiser and the sampler do
    not hold two copies. ``low_memory`` keeps each model on the CPU until it runs (model CPU offload).
    """
    import torch
    from diffusers import StableDiffusionXLPipeline

    loc = _location(base, "base")
    dtype = dtype or torch.float32
    if vae is None or isinstance(vae, (str, os.PathLike, ModelLocation)):
        vae = load_taesd(vae, dtype=dtype)
    if "unet" not in components:
        components["unet"] = load_unet(loc, dtype=dtype)
    if "text_encoder" not in components or "text_encoder_2" not in components:
        text = load_sdxl_text(loc, dtype=dtype)
        components.setdefault("text_encoder", text.text_encoder)
        components.setdefault("text_encoder_2", text.text_encoder_2)
    try:
        with quiet_diffusers():  # it warns that TAESD is not an AutoencoderKL, which is intended
            pipe = StableDiffusionXLPipeline.from_pretrained(
                loc.path, vae=vae, dtype=dtype, use_safetensors=True, **components
            )
    except LOAD_ERRORS as exc:
        raise load_error(exc, "an SDXL pipeline", loc) from exc
    if lora is not None:
        apply_lora(pipe, lora, lora_scale)
    if low_memory and device != "cpu":
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# --------------------------------------------------------------------------------------------------------------
# LoRA
# --------------------------------------------------------------------------------------------------------------


def resolve_lora(
    lora: str | os.PathLike[str] | ModelLocation,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    reporter: Reporter | None = None,
) -> Path:
    """The one ``.safetensors`` file of a LoRA given as a file, a folder or a Hub id."""
    loc = lora if isinstance(lora, ModelLocation) else None
    if loc is None:
        path = Path(os.fspath(lora)).expanduser()
        if path.is_file():
            if path.suffix != ".safetensors":
                raise InputError(
                    f"The LoRA '{path}' is not a .safetensors file; pixlcraft loads only safetensors weights."
                )
            return path.resolve()
        loc = resolve_model(lora, "lora", download=download, cache_dir=cache_dir, reporter=reporter)
    files = sorted(loc.path.glob("*.safetensors"))
    preferred = [f for f in files if f.name == "pytorch_lora_weights.safetensors"]
    if preferred:
        return preferred[0]
    if len(files) == 1:
        return files[0]
    names = ", ".join(f.name for f in files)
    raise InputError(
        f"The LoRA '{loc.label}' has several weight files ({names}); pass the one you want as a file path to --lora."
    )


def apply_lora(
    pipeline: Any,
    lora: str | os.PathLike[str] | ModelLocation,
    scale: float = 1.0,
    *,
    adapter_name: str = "style",
) -> None:
    """Load a LoRA into an SDXL pipeline's UNet and text encoders with diffusers' ``load_lora_weights``.

    The scale becomes the adapter weight (UNet and text encoders alike, as the official code's ``lora_scale``),
    so the UNet is then called as usual: do not pass ``cross_attention_kwargs={"scale": …}`` on top, or the
    scale would apply twice. Apply it before encoding the prompt, so that text-encoder LoRA layers count.
    """
    from diffusers.utils import USE_PEFT_BACKEND

    if not USE_PEFT_BACKEND:
        raise PixlcraftError(
            "Using a LoRA needs the 'peft' package (and a recent 'transformers'), which is not installed. "
            "Install it with: pip install peft"
        )
    path = resolve_lora(lora)
    try:
        pipeline.load_lora_weights(str(path.parent), weight_name=path.name, adapter_name=adapter_name)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"The LoRA '{path}' does not fit this SDXL base model: {type(exc).__name__}: {exc}") from exc
    pipeline.set_adapters([adapter_name], adapter_weights=[float(scale)])


def apply_lora_to_parts(
    unet: Any,
    text: SdxlText,
    lora: str | os.PathLike[str] | ModelLocation,
    scale: float = 1.0,
    *,
    adapter_name: str = "style",
) -> None:
    """:func:`apply_lora` for the optimiser, which holds a bare UNet and :class:`SdxlText` rather than a pipeline.

    The models are wrapped in a pipeline object only to reuse diffusers' LoRA loading (key conversion for
    Kohya/A1111 files, text-encoder layers); nothing is copied and the wrapper is dropped afterwards.
    """
    from diffusers import StableDiffusionXLPipeline

    holder = StableDiffusionXLPipeline(
        vae=None,
        text_encoder=text.text_encoder,
        text_encoder_2=text.text_encoder_2,
        tokenizer=text.tokenizer,
        tokenizer_2=text.tokenizer_2,
        unet=unet,
        scheduler=None,
    )
    apply_lora(holder, lora, scale, adapter_name=adapter_name)
