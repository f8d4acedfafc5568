"""The "in stash / to buy" column of the printed keys (thread key, bead colours, brick parts).

A chart printed for someone who has a stash says, beside each colour, whether the stash covers it or how
much to buy — the same numbers as ``pixlcraft stash buy`` (:mod:`pixlcraft.stash.buy`). With no stash of the
pattern's family (or the option off) the key is printed as before, with no empty column.
"""

from __future__ import annotations

from typing import Any

from ..pattern import Pattern
from .registry import ExportOption

STASH_OPTION = ExportOption("stash", bool, True, "beside each colour, whether your stash covers it or what to buy "
                                                 "(when you have a stash of this kind)")
WIDTH = 62.0


def stash_texts(pattern: Pattern, options: dict[str, Any], rule=None, element: str = "") -> dict[int, str] | None:
    """Palette index → "in stash" or "buy 2 skeins", or None when there is no column to print."""
    if not options.get("stash", False):
        return None
    from ..stash import load_stash
    from ..stash.buy import buy_list
    from ..stash.model import family_of
    from ..stash.use import recorded_rule

    try:
        family = family_of(pattern.palette)
    except Exception:  # noqa: BLE001 - a generic palette has no stash
        return None
    stash = load_stash(family)
    if not stash.items:
        return None
    lines = buy_list(pattern, stash, rule or recorded_rule(pattern), element)
    return {ln.index: ("in stash" if ln.buy == 0 else f"buy {ln.to_buy()}") for ln in lines}
