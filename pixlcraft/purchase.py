"""The blended mode: make the pattern from the stash first, and buy a little where it pays.

A pattern from the stash alone can be poor (a portrait without a skin tone) or impossible (too little in
all). :class:`BuyPlan` says what may be bought — at most ``new_colours`` colours the stash lacks, at most
``max_units`` skeins, bags or pieces in all — and :func:`plan_purchases` finds the pattern of least colour
error within it, with :func:`pixlcraft.capacity.assign_with_purchases`: owned stock is free, each bought cell
costs ``cost`` ΔE00 on top of its colour error, so a colour is bought only where it beats every owned one by
that much. A unit limit is met by raising that cost (bisection) until the purchases fit; ``fewest`` sets it
so high that only a stash's shortfall is bought, where it hurts the picture least.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .capacity import StockTooSmall, assign_with_purchases
from .errors import InputError

DEFAULT_BUY_COST = 1.0
"""ΔE00 a bought cell must gain over the best owned colour: about the smallest difference a stitcher sees."""
FEWEST_COST = 1000.0
"""A cost above any colour error (ΔE00 stays under ~120): only what the stash lacks is bought."""


@dataclass(frozen=True)
class BuyPlan:
    new_colours: int | None = None
    """At most this many colours the stash does not have (None: any); more of stashed colours is always fine."""
    max_units: float | None = None
    """At most this many shop units in all (skeins, bags, pieces; None: no limit)."""
    unit_cells: tuple[float, ...] | None = None
    """Cells one shop unit of each palette colour makes (needed with ``max_units``)."""
    cost: float = DEFAULT_BUY_COST

    def validate(self) -> None:
        if self.new_colours is not None and self.new_colours < 0:
            raise InputError(f"the number of colours to buy must be 0 or more (got {self.new_colours}).")
        if self.max_units is not None and (self.max_units < 0 or self.unit_cells is None):
            raise InputError("the most units to buy must be 0 or more, with the cells each unit makes.")
        if not self.cost >= 0:
            raise InputError("the cost of buying must be 0 or more ΔE.")


def fewest() -> BuyPlan:
    return BuyPlan(None, None, None, FEWEST_COST)


def units_bought(bought: np.ndarray, unit_cells: np.ndarray) -> int:
    """Whole shop units for ``bought`` cells per colour (a part skein is a whole one at the shop)."""
    return int(sum(math.ceil(b / u - 1e-9) for b, u in zip(bought.tolist(), unit_cells.tolist(), strict=True)
                   if b > 0))


def plan_purchases(labs: np.ndarray, palette_labs: np.ndarray, owned: np.ndarray, usable: np.ndarray,
                   preference: np.ndarray, plan: BuyPlan,
                   check: Callable[[], None] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each cell's colour, the cells bought per colour and the colours a later repair may use.

    ``owned`` is the stash's capacity per palette colour, ``usable`` the palette colours the pattern may use
    at all (its budget's pick, say), ``preference`` a score per colour used to pick the new colours (the
    cells that colour is nearest for, weighted by what it saves). ``check`` is called before each solve (a
    unit limit takes up to a dozen): a cancel token's check stops it there."""
    plan.validate()
    owned = np.asarray(owned, np.float64)
    usable = np.asarray(usable, np.int64)
    stocked = usable[owned[usable] > 0]
    new = usable[owned[usable] <= 0]
    if plan.new_colours is not None:  # the new colours the best pattern would use most
        new = new[preference[new] > 0]
        new = new[np.argsort(-preference[new], kind="stable")][:plan.new_colours]
    buyable = np.union1d(stocked, new)
    if buyable.size == 0:
        raise StockTooSmall(int(owned[usable].sum()), len(labs))

    def solve(cost: float) -> tuple[np.ndarray, np.ndarray]:
        if check is not None:
            check()
        return assign_with_purchases(labs, palette_labs, owned, buyable, cost, candidates=stocked)

    idx, bought = solve(plan.cost)
    if plan.max_units is not None:
        unit_cells = np.asarray(plan.unit_cells, np.float64)
        if units_bought(bought, unit_cells) > plan.max_units:
            least, most = plan.cost, max(plan.cost * 2, 1.0)
            while units_bought(solve(most)[1], unit_cells) > plan.max_units:
                if most >= FEWEST_COST:
                    need = units_bought(solve(FEWEST_COST)[1], unit_cells)
                    raise InputError(f"the stash lacks so much that at least {need} units must be bought, more "
                                     f"than the {plan.max_units:g} allowed; allow more, or make a smaller pattern.")
                least, most = most, min(most * 4, FEWEST_COST)
            for _ in range(8):  # the cheapest cost whose purchases fit
                mid = (least + most) / 2
                if units_bought(solve(mid)[1], unit_cells) > plan.max_units:
                    least = mid
                else:
                    most = mid
            idx, bought = solve(most)
    return idx, bought, buyable
