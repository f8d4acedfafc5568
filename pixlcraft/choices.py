"""The pattern-making choices the user made last time (craft, brand, size, budget, owned colours, "Only what I
have", dither…).

A crafter who always makes 58×58 Perler patterns should not have to set that up at every launch. The window
saves its panel's choices here when a pattern is made and when it closes, and restores them at start; the
settings' defaults apply only until there is something remembered. Stored as JSON in the config folder next to
the settings; a damaged or foreign file is ignored (nothing to lose: it only saves clicks).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .fileio import atomic_write
from .settings import config_dir

FILE = "choices.json"
FORMAT = "pixlcraft-choices"
#: Each remembered choice and the type it must have (anything else in the file is dropped).
KEYS: dict[str, type | tuple[type, ...]] = {
    "craft": str,
    "palette": str,
    "fabric_count": (int, float),
    "size_unit": str,
    "width": int,
    "height": int,
    "use_budget": bool,
    "budget": int,
    "owned": str,
    "use_stash": bool,
    "dither": bool,
    "detail": bool,
    "cleanup": bool,
    "method": str,
    "photo_cleanup": bool,
    "photo_cleanup_method": str,  # which clean-up (a key of the panel's menu); absent in older files: automatic
    "export_folder": str,
    "alpha_empty": bool,
    "empty_background": bool,
    "include_special": bool,
}


def choices_path() -> Path:
    return config_dir() / FILE


def load_choices() -> dict[str, Any]:
    """What was remembered, with only known keys of the right type ({} when there is nothing usable)."""
    try:
        data = json.loads(choices_path().read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return {}
    values = data.get("choices", {})
    if not isinstance(values, dict):
        return {}
    return {k: v for k, v in values.items() if k in KEYS and isinstance(v, KEYS[k])
            and not (KEYS[k] is int and isinstance(v, bool))}


def save_choices(values: dict[str, Any]) -> None:
    """Remember ``values`` (unknown keys are left out). A folder that cannot be written is not an error."""
    kept = {k: v for k, v in values.items() if k in KEYS}
    try:
        choices_path().parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(choices_path(), "w", encoding="utf-8") as f:
            json.dump({"format": FORMAT, "choices": kept}, f, indent=1)
    except OSError:
        pass
