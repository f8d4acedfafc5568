"""The model store: which neural-network weights SD-πXL needs, where they are, and how they are fetched.

Every model is named either by a Hugging Face id (``stabilityai/stable-diffusion-xl-base-1.0``) or by a local
folder in the same standard diffusers/transformers layout, and every load goes through the library's own
``from_pretrained(..., use_safetensors=True)``: no pickled ``.bin``/``.ckpt`` files are ever opened, because
unpickling a downloaded file can run arbitrary code.

Hub ids are looked up in the Hugging Face cache first (``HF_HUB_CACHE`` / ``HF_HOME``, or a folder the user
chose through ``PIXLCRAFT_MODEL_CACHE`` or ``cache_dir=``), with no network access at all when the files are
there. Only when they are missing, the machine is online and ``HF_HUB_OFFLINE`` is not set, are they fetched with
``huggingface_hub.snapshot_download``, restricted to the few files we load (safetensors + json/txt), with
progress sent to a :class:`~pixlcraft.jobs.Reporter`. Anything else ends in :class:`ModelMissingError`, whose
message says which model is missing, how big it is and the exact command or flag that fixes it.

Precision of what is downloaded: the SDXL base and the ControlNets publish both fp32 and fp16 copies of every
weight file. By default only the fp16 copies are fetched (SDXL base: ~6.8 GB instead of ~13.6 GB); the loaders
notice which copy a folder holds and up-cast fp16 weights when fp32 compute is asked for (the paper recipe). The
fp16 files are exact fp16 roundings of the fp32 release, so an up-cast model differs from the fp32 one only by
that rounding. ``precision="fp32"`` downloads the full-precision files for those who want them bit-exact.
The base model's own VAE is never downloaded: like the official SD-πXL code we decode and encode with TAESD-XL.

Turning those files into torch models is the job of :mod:`pixlcraft.model_loading`, which imports this module.
torch, diffusers and transformers are imported inside the functions that need them, so importing this module
is cheap and the classic (non-AI) path of the program never pays for them.
"""

from __future__ import annotations

import gc
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, PixlcraftError
from .jobs import Reporter

__all__ = [
    "HUB_ID",
    "MODELS",
    "ROLES",
    "ModelLocation",
    "ModelMissingError",
    "ModelSpec",
    "ModelStatus",
    "cached_snapshots",
    "check_folder",
    "download_model",
    "free_memory",
    "hub_offline",
    "list_models",
    "model_cache_dir",
    "model_status",
    "pick_device",
    "progress_bar_class",
    "resolve_model",
    "weights_present",
]


class ModelMissingError(PixlcraftError):
    """A model's weights are not on this computer (or not usable) and could not be fetched."""


# --------------------------------------------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------------------------------------------

#: What each role is for and the command-line flag that overrides its default model.
ROLES: dict[str, tuple[str, str]] = {
    "base": ("SDXL base model", "--base-model"),
    "vae": ("TAESD-XL image encoder/decoder", "--vae"),
    "controlnet-canny": ("Canny-edge ControlNet", "--controlnet-canny"),
    "controlnet-depth": ("depth ControlNet", "--controlnet-depth"),
    "depth": ("depth estimator", "--depth-model"),
    "clip": ("CLIP image-text model", "--clip-model"),
    "lora": ("style LoRA", "--lora"),
    "sd15-base": ("Stable Diffusion 1.5 base model", "--base-model"),
    "caption": ("image captioning model", "--caption-model"),
}

_TOKENIZER_FILES = ("vocab.json", "merges.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")


@dataclass(frozen=True)
class ModelSpec:
    """One model pixlcraft knows by a short name, with what is needed from its Hub repository."""

    name: str  # short name: ``pixlcraft models download NAME``
    repo_id: str
    role: str
    title: str
    classes: tuple[str, ...]  # the library classes that load it
    files: tuple[str, ...]  # allow-patterns for configs/tokenizers (json/txt)
    weights: tuple[str, ...]  # allow-patterns for the full-precision safetensors
    weights_fp16: tuple[str, ...] = ()  # allow-patterns for the fp16 copies, where the repository has them
    size_mb: int = 0  # approximate download with the default (fp16 where available) precision
    size_mb_fp32: int = 0  # approximate download with precision="fp32"
    revision: str | None = None  # a branch/PR holding safetensors when the main branch has only .bin

    @property
    def flag(self) -> str:
        return ROLES[self.role][1]

    def allow_patterns(self, precision: str = "fp16") -> list[str]:
        weights = self.weights_fp16 if (precision == "fp16" and self.weights_fp16) else self.weights
        return [*self.files, *weights]

    def download_size_mb(self, precision: str = "fp16") -> int:
        return self.size_mb if (precision == "fp16" and self.weights_fp16) else (self.size_mb_fp32 or self.size_mb)


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="sdxl-base",
            repo_id="stabilityai/stable-diffusion-xl-base-1.0",
            role="base",
            title="Stable Diffusion XL base 1.0",
            classes=(
                "UNet2DConditionModel",
                "CLIPTextModel",
                "CLIPTextModelWithProjection",
                "CLIPTokenizer",
                "DDPMScheduler",
            ),
            files=(
                "model_index.json",
                "scheduler/scheduler_config.json",
                "unet/config.json",
                "text_encoder/config.json",
                "text_encoder_2/config.json",
                "tokenizer/*.json",
                "tokenizer/*.txt",
                "tokenizer_2/*.json",
                "tokenizer_2/*.txt",
            ),
            weights=(
                "unet/diffusion_pytorch_model.safetensors",
                "text_encoder/model.safetensors",
                "text_encoder_2/model.safetensors",
            ),
            weights_fp16=(
                "unet/diffusion_pytorch_model.fp16.safetensors",
                "text_encoder/model.fp16.safetensors",
                "text_encoder_2/model.fp16.safetensors",
            ),
            size_mb=6_780,
            size_mb_fp32=13_560,
        ),
        ModelSpec(
            name="taesdxl",
            repo_id="madebyollin/taesdxl",
            role="vae",
            title="TAESD-XL tiny autoencoder",
            classes=("AutoencoderTiny",),
            files=("config.json",),
            weights=("diffusion_pytorch_model.safetensors",),
            size_mb=10,
        ),
        ModelSpec(
            name="controlnet-canny",
            repo_id="diffusers/controlnet-canny-sdxl-1.0-mid",
            role="controlnet-canny",
            title="SDXL Canny ControlNet (mid)",
            classes=("ControlNetModel",),
            files=("config.json",),
            weights=("diffusion_pytorch_model.safetensors",),
            weights_fp16=("diffusion_pytorch_model.fp16.safetensors",),
            size_mb=545,
            size_mb_fp32=1_090,
        ),
        ModelSpec(
            name="controlnet-depth",
            repo_id="diffusers/controlnet-depth-sdxl-1.0-mid",
            role="controlnet-depth",
            title="SDXL depth ControlNet (mid)",
            classes=("ControlNetModel",),
            files=("config.json",),
            weights=("diffusion_pytorch_model.safetensors",),
            weights_fp16=("diffusion_pytorch_model.fp16.safetensors",),
            size_mb=545,
            size_mb_fp32=1_090,
        ),
        ModelSpec(
            name="dpt-hybrid-midas",
            repo_id="Intel/dpt-hybrid-midas",
            role="depth",
            title="DPT-Hybrid MiDaS depth estimator",
            classes=("DPTForDepthEstimation", "DPTImageProcessor"),
            files=("config.json", "preprocessor_config.json"),
            weights=("model.safetensors",),
            size_mb=490,
            # The main branch holds only pytorch_model.bin; the safetensors conversion lives in this PR branch.
            revision="refs/pr/5",
        ),
        ModelSpec(
            name="clip-vit-b32",
            repo_id="openai/clip-vit-base-patch32",
            role="clip",
            title="CLIP ViT-B/32",
            classes=("CLIPModel", "CLIPProcessor"),
            files=("config.json", "preprocessor_config.json", *_TOKENIZER_FILES),
            weights=("model.safetensors",),
            size_mb=605,
        ),
        # PASD photo clean-up runs on SD 1.5 but ships its own (fine-tuned) UNet, so only the VAE, the text encoder,
        # the tokenizer and the scheduler are fetched. runwayml's original repository is gone; this is its mirror.
        ModelSpec(
            name="sd15-base",
            repo_id="stable-diffusion-v1-5/stable-diffusion-v1-5",
            role="sd15-base",
            title="Stable Diffusion 1.5 (VAE, text encoder, tokenizer)",
            classes=("AutoencoderKL", "CLIPTextModel", "CLIPTokenizer", "UniPCMultistepScheduler"),
            files=(
                "model_index.json",
                "scheduler/scheduler_config.json",
                "vae/config.json",
                "text_encoder/config.json",
                "tokenizer/*.json",
                "tokenizer/*.txt",
            ),
            weights=("vae/diffusion_pytorch_model.safetensors", "text_encoder/model.safetensors"),
            weights_fp16=("vae/diffusion_pytorch_model.fp16.safetensors", "text_encoder/model.fp16.safetensors"),
            size_mb=410,
            size_mb_fp32=820,
        ),
        # PASD's automatic prompt: BLIP base finetuned on COCO captions (the official PASD code's --use_blip model).
        ModelSpec(
            name="blip-caption-base",
            repo_id="Salesforce/blip-image-captioning-base",
            role="caption",
            title="BLIP base image captioning",
            classes=("BlipForConditionalGeneration", "BlipProcessor"),
            files=("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json",
                   "special_tokens_map.json", "vocab.txt"),
            weights=("model.safetensors",),
            size_mb=990,
        ),
    )
}

#: The model used for each role when the user names none.
DEFAULTS: dict[str, str] = {
    "base": "sdxl-base",
    "vae": "taesdxl",
    "controlnet-canny": "controlnet-canny",
    "controlnet-depth": "controlnet-depth",
    "depth": "dpt-hybrid-midas",
    "clip": "clip-vit-b32",
    "sd15-base": "sd15-base",
    "caption": "blip-caption-base",
}


def list_models() -> list[ModelSpec]:
    """The models pixlcraft knows by name, in the order a user meets them."""
    return list(MODELS.values())


def _spec_for(name_or_id: str) -> ModelSpec | None:
    if name_or_id in MODELS:
        return MODELS[name_or_id]
    for spec in MODELS.values():
        if spec.repo_id == name_or_id:
            return spec
    return None


# --------------------------------------------------------------------------------------------------------------
# Folder checks
# --------------------------------------------------------------------------------------------------------------


def weights_present(folder: Path, stem: str) -> list[str]:
    """Which safetensors copies of ``stem`` a folder holds: any of "" (full precision) and "fp16"."""
    found = []
    if (folder / f"{stem}.safetensors").is_file() or (folder / f"{stem}.safetensors.index.json").is_file():
        found.append("")
    if (folder / f"{stem}.fp16.safetensors").is_file() or (folder / f"{stem}.safetensors.index.fp16.json").is_file():
        found.append("fp16")
    return found


def _check_model_files(folder: Path, stem: str = "diffusion_pytorch_model", prefix: str = "") -> list[str]:
    """What a diffusers/transformers model folder lacks: its config and a safetensors weights file."""
    missing = []
    if not (folder / "config.json").is_file():
        missing.append(f"{prefix}config.json")
    if not weights_present(folder, stem):
        pickled = [p.name for p in sorted(folder.glob(f"{stem}*")) if p.suffix in (".bin", ".ckpt", ".pt", ".pth")]
        why = (
            f" (the folder has only {', '.join(pickled)}; pixlcraft loads .safetensors weights only, because "
            "pickled files can run code when opened)"
            if pickled
            else ""
        )
        missing.append(f"{prefix}{stem}.safetensors{why}")
    return missing


#: What config.json says for each kind of folder: diffusers writes ``_class_name``, transformers ``model_type``.
_CONFIG_KIND: dict[str, tuple[str, str]] = {
    "unet": ("_class_name", "UNet2DConditionModel"),
    "vae": ("_class_name", "AutoencoderTiny"),
    "controlnet-canny": ("_class_name", "ControlNetModel"),
    "controlnet-depth": ("_class_name", "ControlNetModel"),
    "depth": ("model_type", "dpt"),
    "clip": ("model_type", "clip"),
    "caption": ("model_type", "blip"),
}


def _check_config_kind(config_file: Path, kind: str, prefix: str = "") -> list[str]:
    """A config naming another kind of model means the folder was mixed up (say, a ControlNet given as --vae).

    Loading it anyway would not fail cleanly: the library fills the missing layers with random weights.
    """
    if not config_file.is_file():
        return []
    key, expected = _CONFIG_KIND[kind]
    try:
        found = json.loads(config_file.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError, RecursionError):
        return [f"a readable {prefix}config.json (this one is not valid JSON)"]
    if found is not None and found != expected:
        return [f"a {expected} model ({prefix}config.json describes a {found})"]
    return []


def _check_tokenizer(folder: Path, prefix: str = "") -> list[str]:
    if (folder / "tokenizer.json").is_file() or (
        (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    ):
        return []
    return [f"{prefix}vocab.json + {prefix}merges.txt (or {prefix}tokenizer.json)"]


def check_folder(folder: str | os.PathLike[str], role: str) -> list[str]:
    """List what a local model folder lacks for ``role`` (empty when it looks loadable).

    The check is by file name only (cheap, no loading), so that a wrong folder is reported before minutes of
    loading other models.
    """
    folder = Path(folder)
    if role not in ROLES:
        raise ValueError(f"unknown model role {role!r}")
    if role == "lora":
        if folder.is_file():
            return [] if folder.suffix == ".safetensors" else [f"a .safetensors file (got {folder.name})"]
        return [] if any(folder.glob("*.safetensors")) else ["a .safetensors LoRA file"]
    if not folder.is_dir():
        return [f"the folder {folder} itself"]
    missing: list[str] = []
    if role == "base":
        if not (folder / "model_index.json").is_file():
            missing.append("model_index.json")
        missing += _check_model_files(folder / "unet", prefix="unet/")
        missing += _check_config_kind(folder / "unet" / "config.json", "unet", "unet/")
        missing += _check_model_files(folder / "text_encoder", "model", prefix="text_encoder/")
        missing += _check_model_files(folder / "text_encoder_2", "model", prefix="text_encoder_2/")
        missing += _check_tokenizer(folder / "tokenizer", "tokenizer/")
        missing += _check_tokenizer(folder / "tokenizer_2", "tokenizer_2/")
        if not (folder / "scheduler" / "scheduler_config.json").is_file():
            missing.append("scheduler/scheduler_config.json")
    elif role in ("vae", "controlnet-canny", "controlnet-depth"):
        missing += _check_model_files(folder)
    elif role == "depth":
        missing += _check_model_files(folder, "model")
        if not (folder / "preprocessor_config.json").is_file():
            missing.append("preprocessor_config.json")
    elif role == "sd15-base":
        missing += _check_model_files(folder / "vae", prefix="vae/")
        missing += _check_model_files(folder / "text_encoder", "model", prefix="text_encoder/")
        missing += _check_tokenizer(folder / "tokenizer", "tokenizer/")
        if not (folder / "scheduler" / "scheduler_config.json").is_file():
            missing.append("scheduler/scheduler_config.json")
    elif role == "clip":
        missing += _check_model_files(folder, "model")
        if not ((folder / "preprocessor_config.json").is_file() or (folder / "processor_config.json").is_file()):
            missing.append("preprocessor_config.json")
        missing += _check_tokenizer(folder)
    elif role == "caption":
        missing += _check_model_files(folder, "model")
        if not (folder / "preprocessor_config.json").is_file():
            missing.append("preprocessor_config.json")
        if not ((folder / "tokenizer.json").is_file() or (folder / "vocab.txt").is_file()):
            missing.append("vocab.txt (or tokenizer.json)")
    if role in _CONFIG_KIND:
        missing += _check_config_kind(folder / "config.json", role)
    return missing


# --------------------------------------------------------------------------------------------------------------
# Resolution: folder, cache, download
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelLocation:
    """Where a model's files are, once found; accepted by every loader in place of an id or folder."""

    path: Path
    role: str
    source: str  # "folder", "cache" or "download"
    repo_id: str | None = None
    spec: ModelSpec | None = None

    def __fspath__(self) -> str:
        return str(self.path)

    @property
    def label(self) -> str:
        return self.repo_id or str(self.path)


#: A Hugging Face repository id ("owner/name"), as opposed to a local folder.
HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TRUE = {"1", "on", "yes", "true"}


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in _TRUE


def hub_offline() -> bool:
    """True when Hugging Face downloads are switched off (``HF_HUB_OFFLINE=1``), read at call time."""
    if _env_true("HF_HUB_OFFLINE"):
        return True
    try:
        from huggingface_hub import constants
    except ImportError:  # pragma: no cover - huggingface_hub is a dependency
        return True
    return bool(constants.HF_HUB_OFFLINE)


def model_cache_dir(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The Hugging Face cache folder in use: ``cache_dir``, else ``PIXLCRAFT_MODEL_CACHE``, else the Hub's own.

    Environment variables are read now rather than at import, so a GUI setting or a test can change them.
    """
    if cache_dir:
        return Path(cache_dir).expanduser()
    for var in ("PIXLCRAFT_MODEL_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    try:
        from huggingface_hub import constants
    except ImportError:  # the installed app before its AI add-on: the Hub's documented default
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache").expanduser() / "huggingface" / "hub"
    return Path(constants.HF_HUB_CACHE).expanduser()


def _repo_storage(cache: Path, repo_id: str) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def cached_snapshots(cache: Path, repo_id: str, revision: str | None) -> list[Path]:
    """Snapshot folders of ``repo_id`` in the cache, the wanted revision's first, then the others.

    A cache that cannot be read (permissions, a file where the folder should be, a damaged disk) is a
    :class:`ModelMissingError` saying so, not a traceback; a ref that names something other than a commit
    (``../..``) is ignored rather than followed out of the cache."""
    if cache.exists() and not cache.is_dir():
        raise ModelMissingError(
            f"The model cache '{cache}' is a file, not a folder. Move it away, or set PIXLCRAFT_MODEL_CACHE to "
            "a folder for the models."
        )
    storage = _repo_storage(cache, repo_id)
    snapshots = storage / "snapshots"
    try:
        if not snapshots.is_dir():
            return []
        ordered: list[Path] = []
        for rev in (revision, "main"):
            if rev:
                ref = storage / "refs" / rev
                if ref.is_file():
                    commit = ref.read_text(encoding="utf-8", errors="replace").strip()
                    if _COMMIT.fullmatch(commit) and (snapshots / commit).is_dir():
                        ordered.append(snapshots / commit)
        others = sorted((p for p in snapshots.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                        reverse=True)
    except OSError as exc:
        raise ModelMissingError(
            f"The model cache '{storage}' cannot be read ({exc.strerror or exc}). Check that folder's "
            "permissions, or set PIXLCRAFT_MODEL_CACHE to another folder and download the model again."
        ) from None
    ordered += [p for p in others if p not in ordered]
    return ordered


_COMMIT = re.compile(r"(?!\.+$)[0-9A-Za-z_.-]{1,100}")  # what a snapshot folder may be called (no separators)


def _find_in_cache(cache: Path, repo_id: str, role: str, revision: str | None) -> tuple[Path | None, list[str]]:
    best_missing: list[str] = []
    for snap in cached_snapshots(cache, repo_id, revision):
        missing = check_folder(snap, role)
        if not missing:
            return snap, []
        if not best_missing or len(missing) < len(best_missing):
            best_missing = missing
    return None, best_missing


def _size_text(mb: int) -> str:
    return f"about {mb / 1000:.1f} GB" if mb >= 1000 else f"about {mb} MB"


def _missing_message(
    repo_id: str, role: str, spec: ModelSpec | None, cache: Path, why: str, precision: str
) -> str:
    title, flag = ROLES[role]
    if spec is not None:
        what = f"The {title} '{spec.repo_id}' ({_size_text(spec.download_size_mb(precision))} to download)"
        get = f"`pixlcraft models download {spec.name}`"
    else:
        what = f"The {title} '{repo_id}'"
        get = f"`pixlcraft models download {repo_id} --role {role}`"
    return (
        f"{what} is not on this computer ({why}). Get it once while online with {get} "
        f"(it goes to the Hugging Face cache {cache}), or put a copy of the model folder anywhere on this "
        f"computer and pass `{flag} DIR`."
    )


def resolve_model(
    id_or_path: str | os.PathLike[str] | ModelLocation | None,
    role: str,
    *,
    download: bool = True,
    precision: str = "fp16",
    cache_dir: str | os.PathLike[str] | None = None,
    reporter: Reporter | None = None,
) -> ModelLocation:
    """Find a model's files: a local folder, the Hugging Face cache, or (online and allowed) a fresh download.

    ``id_or_path`` may be a short registry name (``sdxl-base``), a Hub id, a folder (an existing folder wins
    over a Hub id spelt the same), or ``None`` for the role's default. ``download=False`` or
    ``HF_HUB_OFFLINE=1`` forbids network access. ``precision`` says which weight copies a download fetches
    (``fp16`` where the repository has them, or ``fp32``); any complete cached copy satisfies ``fp16``.
    """
    if isinstance(id_or_path, ModelLocation):
        return id_or_path
    if role not in ROLES:
        raise ValueError(f"unknown model role {role!r}")
    if id_or_path is None:
        if role not in DEFAULTS:
            raise ValueError(f"no default model for role {role!r}")
        id_or_path = DEFAULTS[role]
    text = os.fspath(id_or_path)
    spec = _spec_for(text)
    local = Path(text).expanduser()
    title, flag = ROLES[role]

    if spec is None and (local.exists() or not HUB_ID.match(text)):
        if not local.exists():
            raise ModelMissingError(
                f"The {title} folder '{text}' does not exist. Check the path given to {flag}; it must be a "
                f"folder in the standard diffusers/transformers layout, or a Hugging Face id such as "
                f"'{MODELS[DEFAULTS[role]].repo_id if role in DEFAULTS else 'owner/name'}'."
            )
        missing = check_folder(local, role)
        if missing:
            raise ModelMissingError(
                f"The {title} folder '{local}' is incomplete: it lacks {'; '.join(missing)}. Point {flag} at "
                "a complete copy in the standard diffusers/transformers layout (as saved by save_pretrained or "
                "downloaded from Hugging Face)."
            )
        return ModelLocation(local.resolve(), role, "folder")

    repo_id = spec.repo_id if spec else text
    if spec is not None and spec.role != role:
        raise InputError(
            f"'{text}' is the {spec.title} ({ROLES[spec.role][0]}), not a {title}; pass it with {spec.flag}."
        )
    cache = model_cache_dir(cache_dir)
    revision = spec.revision if spec else None
    found, incomplete = _find_in_cache(cache, repo_id, role, revision)
    if found is not None and _has_precision(found, spec, precision):
        return ModelLocation(found, role, "cache", repo_id, spec)
    if not download:
        why = "downloading is switched off"
    elif hub_offline():
        why = "downloads are switched off by HF_HUB_OFFLINE=1"
    else:
        path = _download(repo_id, role, spec, cache, precision, reporter)
        return ModelLocation(path, role, "download", repo_id, spec)
    if found is not None:  # complete, but only in fp16 while fp32 files were asked for
        why += "; the cached copy has only the fp16 weights"
    elif incomplete:
        why += f"; the cached copy is incomplete, it lacks {'; '.join(incomplete)}"
    size = f", about {_size_text(spec.download_size_mb(precision))}" if spec is not None else ""
    raise ModelMissingError(
        _missing_message(repo_id, role, spec, cache, why, precision),
        gui=f"The {ROLES[role][0]} is not on this computer yet ({why}{size}). Pattern ▸ AI Models… downloads "
            "it, once, while you are online.",
        action="models.manager",
    )


def _has_precision(folder: Path, spec: ModelSpec | None, precision: str) -> bool:
    """Whether a complete snapshot also holds the full-precision files when those were asked for."""
    if precision != "fp32" or spec is None or not spec.weights_fp16:
        return True
    return all((folder / pattern).is_file() for pattern in spec.weights)


# --------------------------------------------------------------------------------------------------------------
# Downloading
# --------------------------------------------------------------------------------------------------------------


def progress_bar_class(reporter: Reporter | None, label: str):
    """A tqdm class for ``snapshot_download`` that forwards byte counts to ``reporter``.

    huggingface_hub drives several bars (file count, bytes on the wire, bytes written); only the bytes-written
    bar is forwarded, as stage ``download``, and nothing is drawn. Without a reporter this returns ``None`` and
    huggingface_hub draws its usual terminal bars.
    """
    from tqdm.auto import tqdm

    if reporter is None:
        return None

    class _ReportingTqdm(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # noqa: SIM115 - closed in close()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            shown = super().update(n)
            if self.unit == "B" and self.total and not str(self.desc).startswith("Downloading bytes"):
                reporter.report(
                    "download",
                    int(self.n),
                    int(self.total),
                    message=f"Downloading {label}: {self.n / 1e6:.0f} of {self.total / 1e6:.0f} MB",
                )
            return shown

        def close(self) -> None:
            fp = self.fp
            super().close()
            try:
                fp.close()
            except Exception:  # pragma: no cover - devnull closes cleanly
                pass

    return _ReportingTqdm


def _download(
    repo_id: str,
    role: str,
    spec: ModelSpec | None,
    cache: Path,
    precision: str,
    reporter: Reporter | None,
) -> Path:
    from huggingface_hub import snapshot_download

    if spec is not None:
        attempts = [(spec.revision, spec.allow_patterns(precision))]
        if precision == "fp16" and spec.weights_fp16:
            attempts.append((spec.revision, spec.allow_patterns("fp32")))  # repository without fp16 copies
    else:
        attempts = [(None, _generic_patterns(role, precision))]
        if precision == "fp16":
            attempts.append((None, _generic_patterns(role, "fp32")))
    label = spec.title if spec else repo_id
    tqdm_class = progress_bar_class(reporter, label)
    last_missing: list[str] = []
    tried_revisions: set[str | None] = set()
    try:
        while attempts:
            revision, patterns = attempts.pop(0)
            tried_revisions.add(revision)
            folder = Path(
                snapshot_download(
                    repo_id,
                    revision=revision,
                    cache_dir=str(cache),
                    allow_patterns=patterns,
                    tqdm_class=tqdm_class,
                )
            )
            last_missing = check_folder(folder, role)
            if not last_missing:
                return folder
            if not attempts:
                pr = _safetensors_pr(repo_id)
                if pr is not None and pr not in tried_revisions:
                    attempts.append((pr, patterns))
    except PixlcraftError:
        raise
    except Exception as exc:  # network, authentication, missing repository …
        title, flag = ROLES[role]
        raise ModelMissingError(
            f"Could not download the {title} '{repo_id}': {type(exc).__name__}: {exc}. Check the id and your "
            f"internet connection, or pass a local folder with {flag} DIR."
        ) from exc
    title, flag = ROLES[role]
    raise ModelMissingError(
        f"The {title} '{repo_id}' has no usable safetensors weights on Hugging Face (missing: "
        f"{'; '.join(last_missing)}). pixlcraft loads only .safetensors files; convert the model or pass another "
        f"one with {flag}."
    )


def _generic_patterns(role: str, precision: str) -> list[str]:
    """Allow-patterns for a Hub id that is not in the registry: configs, tokenizers and safetensors only.

    Patterns are fnmatch-style, where ``*`` also crosses ``/``, so ``*.json`` takes every config and tokenizer
    file of every subfolder (all small).
    """
    text = ["*.json", "*.txt"]
    if role == "base":
        # Only the three networks we load; SDXL-style repositories also hold single-file checkpoints at the top
        # and a VAE, which are gigabytes we never open.
        sub = ("unet", "text_encoder", "text_encoder_2")
        stems = ("diffusion_pytorch_model", "model", "model")
        suffix = ".fp16.safetensors" if precision == "fp16" else ".safetensors"
        # Sharded checkpoints name their parts "<stem>-00001-of-00002.safetensors".
        weights = [f"{s}/{stem}{suffix}" for s, stem in zip(sub, stems, strict=True)]
        weights += [f"{s}/{stem}-*{suffix}" for s, stem in zip(sub, stems, strict=True)]
        return [*text, *weights]
    if role == "lora":
        return ["*.safetensors", *text]
    return [*text, "*.fp16.safetensors" if precision == "fp16" else "*.safetensors"]


def _safetensors_pr(repo_id: str) -> str | None:
    """The Hub's automatic 'Adding safetensors variant' pull request, if the repository has one."""
    try:
        from huggingface_hub import HfApi

        for d in HfApi().get_repo_discussions(repo_id, author="SFconvertbot", discussion_type="pull_request"):
            if d.status == "open" and "safetensors" in d.title.lower():
                return f"refs/pr/{d.num}"
    except Exception:  # pragma: no cover - network only
        return None
    return None


def download_model(
    name_or_id: str,
    *,
    role: str | None = None,
    precision: str = "fp16",
    cache_dir: str | os.PathLike[str] | None = None,
    reporter: Reporter | None = None,
) -> ModelLocation:
    """Fetch a model into the Hugging Face cache (no-op when it is already complete there)."""
    spec = _spec_for(name_or_id)
    if spec is None and role is None:
        known = ", ".join(MODELS)
        raise InputError(
            f"'{name_or_id}' is not a model pixlcraft knows ({known}); to fetch another Hugging Face model, say "
            "what it is for with --role (base, vae, controlnet-canny, controlnet-depth, depth, clip, lora)."
        )
    return resolve_model(
        name_or_id,
        role or spec.role,  # type: ignore[union-attr]
        download=True,
        precision=precision,
        cache_dir=cache_dir,
        reporter=reporter,
    )


@dataclass(frozen=True)
class ModelStatus:
    """What ``pixlcraft models list`` shows for one registry model."""

    spec: ModelSpec
    installed: bool
    path: Path | None
    bytes_on_disk: int
    missing: list[str] = field(default_factory=list)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for p in folder.rglob("*"):
        if p.is_file():  # follows the cache's symlinks to the blobs
            total += p.stat().st_size
    return total


def model_status(cache_dir: str | os.PathLike[str] | None = None) -> list[ModelStatus]:
    """Which registry models are in the cache, where, and how much disk they take."""
    cache = model_cache_dir(cache_dir)
    rows = []
    for spec in MODELS.values():
        path, missing = _find_in_cache(cache, spec.repo_id, spec.role, spec.revision)
        if path is None:
            snaps = cached_snapshots(cache, spec.repo_id, spec.revision)
            rows.append(ModelStatus(spec, False, snaps[0] if snaps else None, 0, missing))
        else:
            rows.append(ModelStatus(spec, True, path, _folder_bytes(path)))
    return rows


# --------------------------------------------------------------------------------------------------------------
# Device and precision
# --------------------------------------------------------------------------------------------------------------


def pick_device(requested: str | None = None) -> str:
    """``cuda`` → ``mps`` → ``cpu`` when nothing (or ``auto``) is asked; the asked device when it exists.

    Asking for a device that PyTorch cannot see is an error, not a silent fallback: a run that was meant for
    the GPU and quietly takes hours on the CPU is worse than a clear message.
    """
    import torch

    req = (requested or "auto").strip().lower()
    if req == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if _mps_available(torch):
            return "mps"
        return "cpu"
    if req == "cpu":
        return "cpu"
    if req == "cuda" or re.fullmatch(r"cuda:\d+", req):
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else f"built for CUDA {torch.version.cuda}"
            raise InputError(
                f"--device {requested} was asked for, but PyTorch sees no CUDA GPU (torch {torch.__version__}, "
                f"{build}). Install a CUDA build of PyTorch and an NVIDIA driver, or use --device cpu."
            )
        if ":" in req and int(req.split(":")[1]) >= torch.cuda.device_count():
            raise InputError(
                f"--device {requested}: only {torch.cuda.device_count()} CUDA GPU(s) are visible (cuda:0 …)."
            )
        return req
    if req == "mps":
        if not _mps_available(torch):
            raise InputError("--device mps was asked for, but Apple Metal (MPS) is not available here.")
        return "mps"
    raise InputError(f"Unknown device '{requested}': use auto, cpu, cuda, cuda:N or mps.")


def _mps_available(torch_module) -> bool:
    backend = getattr(torch_module.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def free_memory() -> None:
    """Return freed tensors to the GPU (after dropping the last reference to a model).

    Only where a GPU's memory is at stake: on the CPU, dropping the last reference frees a tensor at once, and a
    full ``gc.collect()`` with torch and diffusers loaded holds the GIL for up to a second, freezing the window.
    """
    import torch

    cuda = torch.cuda.is_available()
    mps = _mps_available(torch) and hasattr(torch, "mps")
    if not (cuda or mps):
        return
    gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    if mps:
        torch.mps.empty_cache()
