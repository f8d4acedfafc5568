"""What to buy: the pattern's needs minus the stash, in the units a shop sells.

Threads are compared in thread, not stitches: a colour's need is everything it stitches — crosses, part
stitches, backstitch, knots (:func:`pixlcraft.thread_use.thread_need_mm`, the rule the chart key uses) — and
what the stash holds is its skeins and metres as thread; the shortfall is bought in whole skeins. Beads are
counted and bought in the brand's bags; brick elements are counted and bought one by one (that is how
BrickLink and Rebrickable sell them), of the mosaic's element: a stash line of another element does not
count, one that names none does.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..pattern import Pattern
from ..thread_use import STRANDS_PER_SKEIN, stitch_thread_mm, thread_need_mm
from .model import Stash, family_of
from .units import UnitRule, plural


@dataclass(frozen=True)
class BuyLine:
    """One colour of the pattern: how much it needs, how much the stash has, what to buy."""

    index: int
    code: str
    name: str
    need: float
    """In the family's count: stitches' worth of thread (threads), beads, elements."""
    have: float
    buy: int
    unit: str
    """Shop unit of ``buy``: skein, bag or piece."""

    @property
    def short(self) -> float:
        """What the stash lacks; rounding dust (a skein's stitches as thread and back) is not a lack."""
        short = self.need - self.have
        return short if short > 1e-6 * max(1.0, self.need) else 0.0

    def in_stash(self) -> str:
        """What the stash has of it, in words ("2 skeins", "1,200 beads", "none")."""
        if self.have <= 0:
            return "none"
        return "enough" if self.short == 0 else f"{self.have:,.0f} of {self.need:,.0f}"

    def to_buy(self) -> str:
        return "—" if self.buy == 0 else plural(self.buy, self.unit)


def buy_list(pattern: Pattern, stash: Stash, rule: UnitRule | None = None, element: str = "") -> list[BuyLine]:
    """Every colour the pattern uses, most needed first, with what the stash holds and what to buy. For bricks,
    ``element`` (or the one the pattern records) decides which stash lines count."""
    rule = rule or UnitRule()
    family = family_of(pattern.palette)
    if family == "brick" and not element:  # the element the mosaic was made for (convert --element), if any
        element = str((pattern.metadata.get("recipe") or {}).get("element") or "")
    if stash.family != family:
        raise InputError(f"this is a {family} pattern; the {stash.family} stash has nothing for it.")
    palette = pattern.palette
    n = len(palette)
    if family == "thread":
        per = stitch_thread_mm(rule.fabric_count, rule.strands)
        need = thread_need_mm(pattern, rule.fabric_count, rule.strands) / per  # in full crosses' worth
    else:
        need = pattern.counts().astype(np.float64)[:n]
    have = stash.cells(palette, rule, element if family == "brick" else "")
    out = []
    for i in sorted(np.flatnonzero(need > 0).tolist(), key=lambda i: (-need[i], i)):
        short = need[i] - have[i]
        short = short if short > 1e-6 * max(1.0, need[i]) else 0.0
        if family == "thread":  # whole skeins of thread, the same rounding as the chart key
            skein_mm = STRANDS_PER_SKEIN * rule.skein_m * 1000.0
            buy, unit = (math.ceil(short * per / skein_mm - 1e-9) if short > 1e-9 else 0), "skein"
        else:
            buy, unit = rule.shop_units(family, math.ceil(short - 1e-9), palette.name)
        e = palette[i]
        out.append(BuyLine(i, e.code, e.name, float(need[i]), float(have[i]), int(buy), unit))
    return out


def buy_summary(lines: list[BuyLine]) -> str:
    """"Buy 7 skeins in 3 colours; the stash covers the other 21." or "The stash covers every colour."."""
    buying = [ln for ln in lines if ln.buy]
    if not buying:
        return "The stash covers every colour."
    units: dict[str, int] = {}
    for ln in buying:
        units[ln.unit] = units.get(ln.unit, 0) + ln.buy
    what = " and ".join(plural(v, u) for u, v in units.items())
    covered = len(lines) - len(buying)
    rest = f"; the stash covers the other {covered}" if covered else ""
    return f"Buy {what} in {len(buying)} colour{'s' if len(buying) != 1 else ''}{rest}."


BUY_CSV_HEADER = ("code", "name", "need", "in_stash", "to_buy", "unit")


def buy_csv(lines: list[BuyLine]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BUY_CSV_HEADER)
    for ln in lines:
        w.writerow([ln.code, ln.name, f"{ln.need:.0f}", f"{min(ln.have, ln.need):.0f}", ln.buy, ln.unit])
    return buf.getvalue()
