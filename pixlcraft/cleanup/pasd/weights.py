"""Finding and loading PASD's released weights, strictly, and the Stable Diffusion 1.5 parts they run with.

The PASD authors publish their checkpoints in the Hugging Face repository ``yangtao9009/PASD``, one folder per
variant as their training script saved it: ``pasd/checkpoint-100000`` (full) and ``pasd_light/checkpoint-120000``
(light), each with ``unet/`` and ``controlnet/`` in diffusers' layout (``config.json`` + weights). Those folders
are loaded as they are: PixlCraft builds the architecture its own modules describe and requires the file to
match it exactly — every tensor used, none missing, none left over, every shape equal. A near miss (another
variant, an RRDB checkpoint, a plain SD UNet) then fails loudly instead of running with random layers.

About ``.bin`` files: the model loaders (:mod:`pixlcraft.model_loading`) open only ``.safetensors``, because unpickling
a downloaded file can run code. The PASD checkpoints were written in 2023 by the training script's
``save_pretrained`` (PASD requires diffusers ≥ 0.18), and diffusers wrote the pickled
``diffusion_pytorch_model.bin`` by default until 0.20 (August 2023), so the released folders may hold ``.bin``
files. For these files, and only these, :func:`read_state_dict` uses ``torch.load(weights_only=True)``: PyTorch's
restricted unpickler, which rebuilds tensors and plain containers and refuses any other object, so no code from
the file runs. A safetensors file is preferred whenever a folder has one.

The SD 1.5 base (VAE, CLIP text encoder, tokenizer, scheduler config) comes through the model store as usual
(role ``sd15-base``); PASD ships its own complete UNet, so the base's UNet is never loaded.
"""

from __future__ import annotations

import json
import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import InputError
from ...jobs import Reporter
from ...model_loading import LOAD_ERRORS, load_error, quiet_diffusers, weights_variant
from ...models import (
    HUB_ID,
    ModelLocation,
    ModelMissingError,
    cached_snapshots,
    hub_offline,
    model_cache_dir,
    progress_bar_class,
    resolve_model,
)

if TYPE_CHECKING:  # pragma: no cover
    import torch

PASD_REPO = "yangtao9009/PASD"
SUBFOLDERS = {"full": "pasd/checkpoint-100000", "light": "pasd_light/checkpoint-120000"}
PARTS = ("unet", "controlnet")
# Preferred first. The release has one of the full-precision files; an fp16 one would be a user's conversion.
WEIGHT_FILES = (
    "diffusion_pytorch_model.safetensors",
    "diffusion_pytorch_model.fp16.safetensors",
    "diffusion_pytorch_model.bin",
)
# Download sizes in GB, from the parameter counts of the architectures built from SD 1.5's configs at 4 bytes each
# (training saved full precision): UNet 859.5 M plus 248.2 M pixel-aware parameters (full) or 28.7 M (light),
# ControlNet 361.3 M including the RGB heads.
DOWNLOAD_GB = {"full": 5.9, "light": 5.0}


# ------------------------------------------------------------------------------------------------------------
# Folders
# ------------------------------------------------------------------------------------------------------------


def weights_file(folder: Path) -> Path | None:
    """The weights file of one model folder (``unet/`` or ``controlnet/``), safetensors preferred."""
    for name in WEIGHT_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def missing_parts(folder: Path) -> list[str]:
    """What a PASD checkpoint folder lacks (empty when it has ``unet/`` and ``controlnet/``, each complete)."""
    if not folder.is_dir():
        return [f"the folder {folder} itself"]
    missing = []
    for part in PARTS:
        if not (folder / part / "config.json").is_file():
            missing.append(f"{part}/config.json")
        if weights_file(folder / part) is None:
            missing.append(f"{part}/diffusion_pytorch_model.safetensors (or .bin)")
    return missing


def missing_message(variant: str, why: str, cache: Path | None = None) -> str:
    """What to download for ``variant`` and two ways to get it, for a :class:`ModelMissingError`."""
    sub = SUBFOLDERS[variant]
    where = f" (into the Hugging Face cache {cache})" if cache is not None else ""
    return (
        f"The PASD {variant} weights are not on this computer ({why}). They are the folder '{sub}' (its unet/ "
        f"and controlnet/ subfolders, about {DOWNLOAD_GB[variant]:.0f} GB) of the Hugging Face repository "
        f"'{PASD_REPO}'. Either run PixlCraft once while online (without HF_HUB_OFFLINE) and it fetches them"
        f"{where}, or download them yourself with `hf download {PASD_REPO} --include \"{sub}/unet/*\" "
        f"\"{sub}/controlnet/*\" --local-dir PASD` and pass `--pasd-model PASD/{sub}`. PASD also needs a Stable "
        "Diffusion 1.5 base (VAE, text encoder, tokenizer): `pixlcraft models download sd15-base`, or "
        "`--base-model DIR`."
    )


def resolve_pasd(
    model: str | os.PathLike[str] | None,
    variant: str,
    *,
    download: bool = True,
    cache_dir: str | os.PathLike[str] | None = None,
    reporter: Reporter | None = None,
) -> Path:
    """The checkpoint folder (holding ``unet/`` and ``controlnet/``) for ``--pasd-model`` and ``--pasd-variant``.

    ``model`` is a folder (the checkpoint folder itself, or one holding the release's ``pasd/checkpoint-100000``
    layout directly or one level down), a Hugging Face id (default ``yangtao9009/PASD``, of which the variant's
    subfolder is used), or ``None``. Hub ids are looked up in the Hugging Face cache, then fetched when online
    and allowed, as the model store does; otherwise :class:`ModelMissingError` says what to download.
    """
    if variant not in SUBFOLDERS:
        raise InputError(f"--pasd-variant must be one of {', '.join(SUBFOLDERS)} (got '{variant}').")
    sub = SUBFOLDERS[variant]
    text = os.fspath(model) if model is not None else PASD_REPO
    local = Path(text).expanduser()
    if local.exists() or not HUB_ID.match(text):
        if not local.exists():
            raise ModelMissingError(
                f"The PASD folder '{text}' does not exist. Pass --pasd-model a folder holding unet/ and "
                f"controlnet/ (the released '{sub}'), or a Hugging Face id such as '{PASD_REPO}'."
            )
        if not missing_parts(local):
            return local.resolve()
        found = _complete_variant_folder(local, sub)
        if found is not None:
            return found
        raise ModelMissingError(
            f"The PASD folder '{local}' is incomplete: it lacks {'; '.join(missing_parts(local))}. Point "
            f"--pasd-model at the folder holding unet/ and controlnet/ (the released '{sub}' of '{PASD_REPO}')."
        )

    cache = model_cache_dir(cache_dir)
    for snapshot in cached_snapshots(cache, text, None):
        found = _complete_variant_folder(snapshot, sub)
        if found is not None:
            return found
    if not download:
        why = "downloading is switched off"
    elif hub_offline():
        why = "downloads are switched off by HF_HUB_OFFLINE=1"
    else:
        return _download(text, variant, cache, reporter)
    if text != PASD_REPO:
        why += f"; looked for '{sub}' in '{text}'"
    raise ModelMissingError(missing_message(variant, why, cache))


def locate_parts(
    pasd_model: str | os.PathLike[str] | None,
    variant: str,
    base_model: str | os.PathLike[str] | ModelLocation | None,
    *,
    download: bool = True,
    reporter: Reporter | None = None,
) -> tuple[Path, ModelLocation]:
    """The PASD checkpoint folder and the SD 1.5 base, both looked up before anything is fetched or loaded, so
    that one :class:`ModelMissingError` names everything that is missing."""
    problems: list[str] = []
    folder: Path | None = None
    base: ModelLocation | None = None
    try:
        folder = resolve_pasd(pasd_model, variant, download=download, reporter=reporter)
    except ModelMissingError as exc:
        problems.append(str(exc))
    try:
        base = resolve_model(base_model, "sd15-base", download=download, reporter=reporter)
    except ModelMissingError as exc:
        if not problems:  # the PASD message already says that an SD 1.5 base is needed too
            problems.append(str(exc))
    if problems or folder is None or base is None:
        raise ModelMissingError(" ".join(problems))
    return folder, base


@dataclass(frozen=True)
class MissingPart:
    """A model PASD needs that is not on this computer."""

    what: str
    mb: int
    how: str
    """How to get it yourself (a command)."""
    fetchable: bool
    """Whether a run would download it (a Hub id, downloads allowed) rather than fail."""
    message: str
    """The run's own error for it (what :func:`locate_parts` would raise)."""


def missing_model_parts(
    pasd_model: str | os.PathLike[str] | None,
    variant: str,
    base_model: str | os.PathLike[str] | None,
) -> list[MissingPart]:
    """The PASD weights and SD 1.5 parts that are not on this computer: no network access, nothing loaded."""
    from ...models import MODELS

    offline = hub_offline()
    out: list[MissingPart] = []
    sub = SUBFOLDERS.get(variant, SUBFOLDERS["full"])
    text = os.fspath(pasd_model) if pasd_model is not None else PASD_REPO
    try:
        resolve_pasd(pasd_model, variant, download=False)
    except ModelMissingError as exc:
        hub = not Path(text).expanduser().exists() and bool(HUB_ID.match(text))
        cache = f" --cache-dir {model_cache_dir()}" if os.environ.get("PIXLCRAFT_MODEL_CACHE") else ""
        out.append(MissingPart(
            f"PASD {variant} weights", int(DOWNLOAD_GB[variant] * 1000),
            f"`hf download {text if hub else PASD_REPO} --include \"{sub}/unet/*\" \"{sub}/controlnet/*\"{cache}`",
            hub and not offline, _message(exc, lambda: resolve_pasd(pasd_model, variant, download=True), offline)))
    name = os.fspath(base_model) if base_model is not None else "sd15-base"
    try:
        resolve_model(base_model, "sd15-base", download=False)
    except ModelMissingError as exc:
        known = name in MODELS or any(spec.repo_id == name for spec in MODELS.values())
        hub = known or (not Path(name).expanduser().exists() and bool(HUB_ID.match(name)))
        out.append(MissingPart(
            "Stable Diffusion 1.5 parts", MODELS["sd15-base"].download_size_mb(),
            "`pixlcraft models download sd15-base`", hub and not offline,
            _message(exc, lambda: resolve_model(base_model, "sd15-base", download=True), offline)))
    return out


def _message(exc: ModelMissingError, with_download, offline: bool) -> str:
    """The error a run would give: with downloads switched off by the environment, ask the resolver itself
    (it refuses before any network access) so the message names the real reason."""
    if not offline:
        return str(exc)
    try:
        with_download()
    except ModelMissingError as again:
        return str(again)
    return str(exc)  # pragma: no cover - found after all


def _complete_variant_folder(root: Path, sub: str) -> Path | None:
    """``root/sub``, or ``root/<folder>/sub`` (a copy of the authors' ``runs/`` tree), when complete."""
    for candidate in (root / sub, *sorted(root.glob(f"*/{sub}"))):
        if not missing_parts(candidate):
            return candidate.resolve()
    return None


def _download(repo_id: str, variant: str, cache: Path, reporter: Reporter | None) -> Path:
    """Fetch the variant's config files and one weights file per part (not the training state beside them)."""
    sub = SUBFOLDERS[variant]
    try:
        from huggingface_hub import HfApi, snapshot_download

        files = set(HfApi().list_repo_files(repo_id))
        # The variant's folder, at the top of the repository or one level down (as in the authors' runs/ tree).
        marker = f"{sub}/unet/config.json"
        tops = sorted(f[: -len("/unet/config.json")] for f in files if f == marker or f.endswith("/" + marker))
        sub = tops[0] if tops else sub
        patterns = []
        for part in PARTS:
            patterns.append(f"{sub}/{part}/config.json")
            present = [name for name in WEIGHT_FILES if f"{sub}/{part}/{name}" in files]
            if present:
                patterns.append(f"{sub}/{part}/{present[0]}")
        snapshot = snapshot_download(
            repo_id,
            cache_dir=str(cache),
            allow_patterns=patterns,
            tqdm_class=progress_bar_class(reporter, f"PASD {variant} weights"),
        )
    except Exception as exc:  # network, authentication, missing repository …
        raise ModelMissingError(
            f"Could not download the PASD {variant} weights from '{repo_id}': {type(exc).__name__}: {exc}. Check "
            "your internet connection, or pass a local folder with --pasd-model DIR."
        ) from exc
    folder = Path(snapshot) / sub
    lacking = missing_parts(folder)
    if lacking:
        raise ModelMissingError(
            f"The Hugging Face repository '{repo_id}' has no complete '{sub}' (missing: {'; '.join(lacking)}). "
            "Pass a local PASD checkpoint folder with --pasd-model DIR."
        )
    return folder.resolve()


# ------------------------------------------------------------------------------------------------------------
# Strict loading
# ------------------------------------------------------------------------------------------------------------


def read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelMissingError(f"'{folder / 'config.json'}' could not be read as a model config: {exc}") from exc


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a weights file: safetensors, or a pickled ``.bin`` read with the weights-only unpickler."""
    import torch

    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(path)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError:  # written in the legacy (non-zip) format, which cannot be memory-mapped
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise ModelMissingError(
            f"'{path}' holds more than tensors (the weights-only loader refused it: {exc}). PixlCraft loads only "
            "plain weights; use the released PASD files or a safetensors copy."
        ) from exc
    except (OSError, RuntimeError, ValueError) as exc:
        raise ModelMissingError(f"'{path}' could not be read as a weights file: {type(exc).__name__}: {exc}") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelMissingError(f"'{path}' is not a plain dictionary of tensors.")
    return state


def detect_variant(keys: Any) -> str | None:
    """Which PASD variant a UNet state dict belongs to, from the names of its pixel-aware layers."""
    keys = list(keys)
    if any(".pixel_attentions." in k for k in keys):
        return "full"
    if any(".attn2_plus." in k or ".proj_in_plus." in k for k in keys):
        return "light"
    return None


def load_strictly(model: torch.nn.Module, state: dict[str, torch.Tensor], where: Path) -> None:
    """Load ``state`` into ``model`` (built on the meta device) only if names and shapes match one to one."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing or unexpected or reshaped:
        problems = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("of another shape", reshaped)):
            if keys:
                problems.append(f"{len(keys)} {label} (e.g. {', '.join(keys[:3])})")
        raise ModelMissingError(
            f"The weights in '{where}' do not fit the architecture of its config.json: tensors "
            f"{'; '.join(problems)}. Is this a PASD checkpoint folder of the variant you chose?"
        )
    model.load_state_dict(state, strict=True, assign=True)
    left = [name for name, t in [*model.named_parameters(), *model.named_buffers()] if t.is_meta]
    if left:  # a tensor the checkpoint cannot carry (a non-persistent buffer); not the case for these models
        raise RuntimeError(f"tensors left uninitialised after loading {where}: {', '.join(left[:5])}")


def _build_on_meta(factory):
    import torch

    with quiet_diffusers(), torch.device("meta"):
        return factory()


def load_unet(folder: Path, variant: str, dtype: torch.dtype | None = None, device: str = "cpu"):
    """PASD's UNet (:class:`~.unet.PASDUNet2DConditionModel`) from ``folder/unet``, eval mode, no gradients."""
    from .unet import PASDUNet2DConditionModel

    part = folder / "unet"
    path = weights_file(part)
    if path is None:
        raise ModelMissingError(missing_message(variant, f"'{part}' has no weights file"))
    state = read_state_dict(path)
    found = detect_variant(state)
    if found != variant:
        what = f"the {found} variant" if found else "no PASD pixel-aware layers (a plain Stable Diffusion UNet?)"
        hint = f"pass --pasd-variant {found}" if found else "pass a PASD checkpoint folder to --pasd-model"
        raise InputError(f"The UNet in '{part}' has {what}, but --pasd-variant is {variant}: {hint}.")
    config = read_config(part)
    model = _build_on_meta(lambda: PASDUNet2DConditionModel.from_pasd_config(config, variant))
    load_strictly(model, state, path)
    return _placed(model, device, dtype)


def load_controlnet(folder: Path, dtype: torch.dtype | None = None, device: str = "cpu"):
    """PASD's ControlNet (:class:`~.controlnet.PASDControlNetModel`) from ``folder/controlnet``."""
    from .controlnet import PASDControlNetModel

    part = folder / "controlnet"
    path = weights_file(part)
    if path is None:
        raise ModelMissingError(f"'{part}' has no weights file (diffusion_pytorch_model.safetensors or .bin).")
    config = read_config(part)
    model = _build_on_meta(lambda: PASDControlNetModel.from_pasd_config(config))
    load_strictly(model, read_state_dict(path), path)
    return _placed(model, device, dtype)


def _placed(model, device: str, dtype):
    with quiet_diffusers():  # diffusers warns about fp32-only modules even when a model has none
        model = model.to(device=device, dtype=dtype)
    return model.eval().requires_grad_(False)


@dataclass
class BaseParts:
    """What PASD takes from Stable Diffusion 1.5."""

    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler: Any


def load_base(
    base: str | os.PathLike[str] | ModelLocation | None,
    dtype: torch.dtype | None = None,
    device: str = "cpu",
    *,
    reporter: Reporter | None = None,
) -> BaseParts:
    """VAE, CLIP text encoder, tokenizer and UniPC scheduler of an SD 1.5 base (a folder, an id, or the default).

    The scheduler is ``UniPCMultistepScheduler`` built from the base's scheduler config, as PASD's test script
    does (SD 1.5 ships a PNDM config; only its noise schedule is shared). Its timestep spacing is fixed to
    "linspace" (first step 999), which is what SD 1.5's published config gives UniPC: a config re-saved by a newer
    diffusers names PNDM's "leading" spacing, which would start PASD at 941 instead.
    """
    import torch
    from diffusers import AutoencoderKL, UniPCMultistepScheduler
    from transformers import CLIPTextModel, CLIPTokenizer

    loc = base if isinstance(base, ModelLocation) else resolve_model(base, "sd15-base", reporter=reporter)
    dtype = dtype or torch.float32
    try:
        with quiet_diffusers():
            vae = AutoencoderKL.from_pretrained(
                loc.path,
                subfolder="vae",
                dtype=dtype,
                use_safetensors=True,
                variant=weights_variant(loc.path / "vae", "diffusion_pytorch_model", dtype),
            )
            scheduler = UniPCMultistepScheduler.from_pretrained(
                loc.path, subfolder="scheduler", timestep_spacing="linspace"
            )
        text_encoder = CLIPTextModel.from_pretrained(
            loc.path,
            subfolder="text_encoder",
            dtype=dtype,
            use_safetensors=True,
            variant=weights_variant(loc.path / "text_encoder", "model", dtype),
        )
        tokenizer = CLIPTokenizer.from_pretrained(loc.path, subfolder="tokenizer")
    except LOAD_ERRORS as exc:
        raise load_error(exc, "Stable Diffusion 1.5 parts", loc) from exc
    return BaseParts(
        vae=vae.to(device).eval().requires_grad_(False),
        text_encoder=text_encoder.to(device).eval().requires_grad_(False),
        tokenizer=tokenizer,
        scheduler=scheduler,
    )


def check_compatible(base: BaseParts, unet: Any, base_label: str) -> None:
    """A base of another family (SD 2, SDXL) loads fine but yields noise; say so before any sampling."""
    width = base.text_encoder.config.hidden_size
    if width != unet.config.cross_attention_dim or base.vae.config.latent_channels != unet.config.in_channels:
        raise ModelMissingError(
            f"The base model '{base_label}' does not fit PASD (its text encoder gives {width}-wide embeddings, "
            f"PASD's UNet expects {unet.config.cross_attention_dim}). Pass a Stable Diffusion 1.5 folder or id "
            "to --base-model."
        )
