"""Resume-state files: :func:`save_state` writes the state a cancelled run leaves, :func:`load_state` reads it.

A request with ``resume=`` continues that state and ends exactly where an uninterrupted run would. The state
holds a fingerprint of the request, so one made for other settings is refused with a clear message naming
what differs (:func:`_mismatch_message`, used by the request checks in :mod:`.plan`).

torch is imported inside the functions, so the request checks import it only when a state is read.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .request import GenerateResult, ResumeState

STATE_FORMAT = "pixlcraft-sdpixl-state"
STATE_VERSION = 1


def save_state(path: str | os.PathLike[str], result: GenerateResult | ResumeState) -> Path:
    """Write a run's resumable state (``torch.save``, tensors and plain data only), atomically."""
    import torch

    from ..fileio import atomic_write

    state = result.state if isinstance(result, GenerateResult) else result
    payload = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "fingerprint": state.fingerprint,
        "optimizer": state.optimizer,
        "reference": None if state.reference is None else torch.from_numpy(np.ascontiguousarray(state.reference)),
        "reference_scores": [float(s) for s in state.reference_scores],
    }
    target = Path(path)
    with atomic_write(target, "wb") as f:
        torch.save(payload, f)
    return target


def load_state(path: str | os.PathLike[str]) -> ResumeState:
    """Read a state file written by :func:`save_state`.

    Loaded with ``weights_only=True``: a state file is plain tensors and numbers, and nothing in it may run
    code, even if someone hands over a crafted one.
    """
    import torch

    p = Path(path)
    if not p.is_file():
        raise InputError(f"The resume state '{p}' does not exist. Check the path given to --resume.")
    try:
        payload = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors, zip errors, refused types
        raise InputError(
            f"The resume state '{p}' cannot be read ({type(exc).__name__}); it is damaged or not a PixlCraft "
            "state file. Start again without --resume."
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != STATE_FORMAT:
        raise InputError(f"'{p}' is not a PixlCraft SD-πXL resume state. Start again without --resume.")
    if payload.get("version") != STATE_VERSION:
        raise InputError(
            f"The resume state '{p}' has version {payload.get('version')}; this PixlCraft reads version "
            f"{STATE_VERSION}. Start again without --resume."
        )
    reference = payload.get("reference")
    try:
        return ResumeState(
            fingerprint=dict(payload["fingerprint"]),
            optimizer=dict(payload["optimizer"]),
            reference=None if reference is None else reference.numpy().astype(np.uint8),
            reference_scores=[float(s) for s in payload.get("reference_scores", [])],
            path=p,
        )
    except (KeyError, TypeError, ValueError, AttributeError):  # a valid header over damaged contents
        raise InputError(f"The resume state '{p}' is damaged (its contents are not what PixlCraft wrote). Start "
                         "again without --resume.") from None


#: How a fingerprint key is named when a resume state does not match.
_FINGERPRINT_NAMES = {
    "prompt": "the prompt",
    "negative_prompt": "the negative prompt",
    "size": "the pattern size",
    "palette": "the palette (or --owned colours)",
    "max_colors": "the colour budget (--max-colors)",
    "recipe": "the recipe settings (--recipe, --steps, --canvas-side or --compile)",
    "seed": "the seed",
    "init": "the start (--init)",
    "image": "the photo",
    "models": "the models",
    "lora_scale": "the LoRA scale",
    "reference": "the reference sampling settings",
}


def _mismatch_message(path: Path | None, saved: dict[str, Any], wanted: dict[str, Any]) -> str | None:
    diffs = []
    for key in wanted.keys() | saved.keys():
        if saved.get(key) != wanted.get(key):
            name = _FINGERPRINT_NAMES.get(key, key)
            old, new = saved.get(key), wanted.get(key)
            if isinstance(old, str | int | float) and isinstance(new, str | int | float) and key != "image":
                name += f" ({old!r} then, {new!r} now)"
            elif key == "size" and old and new:
                name += f" ({old[0]}×{old[1]} then, {new[0]}×{new[1]} now)"
            diffs.append(name)
    if not diffs:
        return None
    where = f" '{path}'" if path else ""
    return (
        f"The resume state{where} belongs to another run: {', '.join(sorted(diffs))} differ. Use exactly the "
        "settings of the interrupted run to continue it, or start afresh without --resume."
    )
