"""Making a pattern from the stash: the capacities a conversion obeys and what the pattern records of it.

Front ends (the CLI's ``--stash``, the app's "Only what I have") call these so both make the same pattern
from the same stash, and so a saved pattern says which stash it was made against: its fingerprint
(:meth:`Stash.snapshot`) and the rule that turned skeins into stitches. "What to buy" can then be worked out
again after the stash changes, and a front end can tell that the stash is no longer the one the pattern saw.
"""

from __future__ import annotations

from typing import Any

from ..palette import Palette
from ..pattern import Pattern
from ..thread_use import DEFAULT_SKEIN_M, DEFAULT_STRANDS
from .files import load_stash, read_stash_csv
from .model import Stash, family_of
from .units import UnitRule


def rule_for(palette: Palette, strands: int = DEFAULT_STRANDS, skein_m: float = DEFAULT_SKEIN_M) -> UnitRule:
    """The unit rule for a pattern in ``palette``: threads at the palette's fabric count (14-count Aida for
    DMC), the strands and skein length given."""
    count = 25.4 / palette.material.pitch_mm if palette.material.craft == "stitch" else 14.0
    return UnitRule(round(count, 3), int(strands), float(skein_m))


def stash_for(palette: Palette, source: str = "default") -> Stash:
    """The user's stash of the palette's family (``default``), or a stash CSV (rows without a palette column
    are in ``palette``)."""
    family = family_of(palette)
    if source.strip().lower() in ("", "default", "mine"):
        return load_stash(family)
    return read_stash_csv(source, family=family, palette=palette)


def capacity_for(palette: Palette, stash: Stash, rule: UnitRule | None = None) -> tuple[float, ...]:
    """What :class:`~pixlcraft.convert.ConvertOptions` ``capacity`` takes: cells per palette colour."""
    return tuple(float(v) for v in stash.capacity(palette, rule or rule_for(palette)))


def stash_recipe(stash: Stash, rule: UnitRule, source: str = "default") -> dict[str, Any]:
    """The pattern's record of the stash it was made from (kept in ``metadata["recipe"]["stash"]``)."""
    return {"family": stash.family, "snapshot": stash.snapshot(), "source": source,
            "fabric_count": rule.fabric_count, "strands": rule.strands, "skein_m": rule.skein_m}


def record_stash(pattern: Pattern, stash: Stash, rule: UnitRule, source: str = "default") -> None:
    pattern.metadata.setdefault("recipe", {})["stash"] = stash_recipe(stash, rule, source)


def recorded_rule(pattern: Pattern) -> UnitRule:
    """The unit rule the pattern was made with (its own palette's when it records none)."""
    made = (pattern.metadata.get("recipe") or {}).get("stash") or {}
    base = rule_for(pattern.palette)
    try:
        return UnitRule(float(made.get("fabric_count", base.fabric_count)), int(made.get("strands", base.strands)),
                        float(made.get("skein_m", base.skein_m)))
    except (TypeError, ValueError):
        return base


def stash_changed(pattern: Pattern, stash: Stash) -> bool:
    """True when the pattern was made from a stash that is not ``stash`` as it is now."""
    made = (pattern.metadata.get("recipe") or {}).get("stash") or {}
    return bool(made) and made.get("snapshot") != stash.snapshot()


def stocked_palette(palette: Palette, stash: Stash, rule: UnitRule | None = None) -> Palette:
    """``palette`` cut to the colours the stash has some of (what an AI pattern may choose from)."""
    from ..errors import InputError

    cap = stash.capacity(palette, rule or rule_for(palette))
    keep = [i for i in range(len(palette)) if cap[i] > 0]
    if not keep:
        raise InputError(f"the {stash.family} stash has none of the {palette.brand} colours; add some "
                         "(pixlcraft stash add …, or My Stash in the app), or choose the palette it holds.")
    return palette.subset(keep)


def fit_to_stash(pattern: Pattern, stash: Stash, rule: UnitRule | None = None) -> tuple[Pattern, int]:
    """``pattern`` with as few cells changed as the stock demands, each to the stocked colour nearest its own
    (for patterns made without the stash in the loop, such as SD-πXL's); returns it and the cells changed."""
    import numpy as np

    from ..capacity import REPAIR_COST, check_enough, fit_capacity

    cap = stash.capacity(pattern.palette, rule or rule_for(pattern.palette))
    mask = pattern.grid >= 0
    check_enough(cap, int(mask.sum()), pattern.width, pattern.height)
    idx = pattern.grid[mask].astype(np.int64)
    new, moved = fit_capacity(idx, pattern.palette.lab[idx], pattern.palette.lab, cap, keep_cost=REPAIR_COST)
    out = pattern.copy()
    out.grid[mask] = new.astype(out.grid.dtype)
    return out, moved
