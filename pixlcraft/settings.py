"""The user's settings: one schema of typed fields with defaults, stored as JSON in the user config folder.

One schema (:data:`FIELDS`) serves everything: the defaults, the checks, the settings dialog (labels, help,
choices and ranges come from here) and the file. A settings file is something people edit by hand or copy
between machines, so a bad one must never stop the app: :func:`load_settings` keeps every valid value, falls
back to the default for anything unknown or wrongly typed, and returns warnings that say which line to fix.
Code that sets values (the dialog) gets a :class:`SettingsError` at once instead.

``$PIXLCRAFT_CONFIG_DIR`` replaces the per-user config folder (tests, portable installs).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .fileio import atomic_write
from .palette import builtin_names

__all__ = [
    "CONFIG_DIR_ENV",
    "FIELDS",
    "SettingField",
    "Settings",
    "SettingsError",
    "config_dir",
    "load_settings",
    "save_settings",
    "settings_path",
]

CONFIG_DIR_ENV = "PIXLCRAFT_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
FORMAT = "pixlcraft-settings"
FORMAT_VERSION = 1
_MAX_BYTES = 1024 * 1024


class SettingsError(InputError):
    """A setting has an unknown name or a value of the wrong kind."""


@dataclass(frozen=True)
class SettingField:
    """One setting: its name in the file, its kind, default and limits, and the words the dialog shows.

    ``kind`` is ``"folder"`` (a path, "" = the built-in default), ``"choice"`` (one of ``choices``),
    ``"int"``/``"float"`` (between ``minimum`` and ``maximum``), ``"bool"`` or ``"text"``.
    """

    name: str
    kind: str
    default: Any
    label: str
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str = ""
    """For ``text``: a regular expression the whole value must match ("" = anything) ..."""
    expected: str = ""
    """... and how to say what it expects when it does not."""
    lowercase: bool = False
    """For ``text``: stored in lower case (device names)."""


FIELDS: tuple[SettingField, ...] = (
    SettingField("model_folder", "folder", "", "Model folder",
                 "A folder holding downloaded AI models; empty uses the Hugging Face cache."),
    SettingField("hf_cache_folder", "folder", "", "Hugging Face cache",
                 "Where models are downloaded to; empty uses the usual Hugging Face cache."),
    SettingField("device", "text", "auto", "Device",
                 "Where AI generation runs: auto, cpu, cuda, cuda:N or mps.",
                 pattern=r"auto|cpu|cuda(:\d+)?|mps", expected="auto, cpu, cuda, cuda:N or mps", lowercase=True),
    SettingField("low_memory", "bool", False, "Low memory mode",
                 "Slower AI generation that fits smaller graphics cards."),
    SettingField("compile_models", "bool", False, "Compile the models (faster after a slow first step; CUDA)",
                 "AI generation compiles its models for the graphics card first: the first step takes minutes, "
                 "every later one less time. Worth it for long runs; only NVIDIA (CUDA) graphics cards."),
    SettingField("paper_size", "choice", "a4", "Paper size", "Page size of printed charts.", ("a4", "letter")),
    SettingField("units", "choice", "mm", "Units", "Units for physical sizes.", ("mm", "in")),
    SettingField("fabric_count", "float", 14.0, "Fabric count",
                 "Stitches per inch of the Aida fabric (11, 14, 16 and 18 are usual).", minimum=4, maximum=40),
    SettingField("default_craft", "choice", "stitch", "Craft", "The craft a new pattern starts with.",
                 ("stitch", "bead", "brick")),
    SettingField("default_palette", "choice", "dmc", "Palette",
                 "The brand a new pattern starts with, until you make one (then your last choice is kept).",
                 tuple(builtin_names())),
    SettingField("embed_photo", "bool", True, "Keep the photo in saved patterns",
                 "A small copy of the source photo (about 200 kB) goes into the .pixl file, so the pattern can be "
                 "made again from it later, on any computer."),
    SettingField("recent_files_max", "int", 10, "Recent files", "How many recent files the File menu lists.",
                 minimum=0, maximum=50),
    SettingField("autosave_interval_s", "int", 120, "Autosave every (seconds)",
                 "How often unsaved changes are kept safe in case of a crash; 0 switches autosave off.",
                 minimum=0, maximum=3600),
)

_BY_NAME = {f.name: f for f in FIELDS}


def _check(f: SettingField, value: Any) -> Any:
    """The value converted to the field's type, or :class:`SettingsError` saying what was expected."""

    def wrong(expected: str) -> SettingsError:
        return SettingsError(f"the setting '{f.name}' must be {expected}, not {value!r}.")

    if f.kind == "bool":
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if f.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise wrong("a whole number")
    elif f.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise wrong("a number")
        value = float(value)
    if f.kind in ("int", "float"):
        lo, hi = f.minimum, f.maximum
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise wrong(f"between {lo:g} and {hi:g}")
        return value
    if not isinstance(value, str):
        raise wrong("text")
    if f.kind == "choice":
        v = value.strip().lower()
        if v not in f.choices:
            raise wrong("one of " + ", ".join(f.choices))
        return v
    if f.kind == "folder":
        return value.strip()
    if f.kind != "text":
        raise AssertionError(f"unknown setting kind {f.kind!r}")
    if f.pattern and not re.fullmatch(f.pattern, value.strip(), re.IGNORECASE):
        raise wrong(f.expected or f"text matching {f.pattern}")
    return value.strip().lower() if f.lowercase else value.strip()


@dataclass(frozen=True)
class Settings:
    """All settings, each a field of :data:`FIELDS` (same names). Immutable: change with :meth:`replace`."""

    model_folder: str = ""
    hf_cache_folder: str = ""
    device: str = "auto"
    low_memory: bool = False
    compile_models: bool = False
    paper_size: str = "a4"
    units: str = "mm"
    fabric_count: float = 14.0
    default_craft: str = "stitch"
    default_palette: str = "dmc"
    embed_photo: bool = True
    recent_files_max: int = 10
    autosave_interval_s: int = 120

    def __post_init__(self) -> None:
        for f in FIELDS:
            object.__setattr__(self, f.name, _check(f, getattr(self, f.name)))

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``; an unknown name or a bad value raises :class:`SettingsError`."""
        unknown = [k for k in changes if k not in _BY_NAME]
        if unknown:
            raise SettingsError(f"there is no setting '{unknown[0]}'; known settings: {', '.join(_BY_NAME)}.")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Strict: every key must be a known setting with a valid value (raises :class:`SettingsError`)."""
        if not isinstance(data, dict):
            raise SettingsError("settings must be a set of named values.")
        return cls().replace(**data)


# ------------------------------------------------------------------------------------------------ files


def config_dir() -> Path:
    """The folder for settings and the recent-files list: ``$PIXLCRAFT_CONFIG_DIR`` or the per-user one."""
    env = os.environ.get(CONFIG_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("pixlcraft", appauthor=False))


def settings_path() -> Path:
    return config_dir() / SETTINGS_FILE


def load_settings(path: str | os.PathLike[str] | None = None) -> tuple[Settings, list[str]]:
    """The saved settings and a list of warnings (empty when all is well). Never raises for a bad file.

    A missing file gives the defaults silently. An unreadable or damaged file gives the defaults and one
    warning; an unknown setting or a bad value is skipped (its default is used) with a warning naming it.
    """
    p = Path(path) if path is not None else settings_path()
    if not p.exists():
        return Settings(), []
    try:
        if p.stat().st_size > _MAX_BYTES:
            return Settings(), [f"The settings file {p} is far too large to be settings; using the defaults."]
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as e:
        return Settings(), [f"Cannot read the settings file {p} ({e.strerror or e}); using the defaults."]
    except UnicodeDecodeError:
        return Settings(), [f"The settings file {p} is not text; it is damaged, so the defaults are used."]
    except json.JSONDecodeError as e:
        return Settings(), [f"The settings file {p} is damaged (line {e.lineno}: {e.msg}); using the defaults."]
    except RecursionError:
        return Settings(), [f"The settings file {p} is nested far too deeply; it is damaged, so the defaults are "
                            "used."]
    if not isinstance(doc, dict):
        return Settings(), [f"The settings file {p} does not hold named settings; using the defaults."]
    warnings: list[str] = []
    if doc.get("format", FORMAT) != FORMAT:
        return Settings(), [f"{p} is not a PixlCraft settings file; using the defaults."]
    version = doc.get("version", FORMAT_VERSION)
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        warnings.append(f"The settings file {p} was written by a newer PixlCraft; settings it does not know "
                        "are ignored.")
    values: dict[str, Any] = {}
    for key, value in doc.items():
        if key in ("format", "version"):
            continue
        f = _BY_NAME.get(key)
        if f is None:
            warnings.append(f"The settings file {p} has an unknown setting '{key}'; it is ignored.")
            continue
        try:
            values[key] = _check(f, value)
        except SettingsError as e:
            warnings.append(f"In {p}, {e} The default ({f.default!r}) is used instead.")
    return Settings(**values), warnings


def save_settings(settings: Settings, path: str | os.PathLike[str] | None = None) -> Path:
    """Write the settings atomically (creating the config folder); returns the file written."""
    p = Path(path) if path is not None else settings_path()
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the settings folder {p.parent}: {e.strerror or e}.") from None
    doc = {"format": FORMAT, "version": FORMAT_VERSION, **settings.to_dict()}
    with atomic_write(p, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return p
