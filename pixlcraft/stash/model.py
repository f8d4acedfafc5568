"""The stash: what the user owns, per material family, and how many cells of each palette colour it covers.

One stash per family — threads, beads, bricks — because a crafter's DMC box and bead tubs are different
things, while a Perler and a Hama tub are the same kind of thing (one bead stash holds both; a pattern in
Perler colours uses the Perler lines). Items are kept as the user entered them (3 skeins, 2 bags, 120 g),
so the stash reads back the way it was typed; only :meth:`Stash.capacity` turns them into cells, for the
pattern's fabric and palette.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from ..errors import InputError, PaletteError
from ..palette import Palette
from .units import UnitRule, plural, unit_name

FAMILIES = ("thread", "bead", "brick")
_CRAFT_FAMILY = {"stitch": "thread", "bead": "bead", "brick": "brick"}
ELEMENTS = ("", "plate", "tile", "round_tile", "round_plate")


def family_of(palette: Palette) -> str:
    """The stash family a palette's colours belong to (DMC → thread, Perler → bead, LEGO → brick)."""
    family = _CRAFT_FAMILY.get(palette.material.craft)
    if family is None:
        raise InputError(f"the palette '{palette.name}' is not threads, beads or bricks, so no stash applies to it.")
    return family


@dataclass(frozen=True)
class StashItem:
    """So much of one colour: ``quantity`` ``unit`` of ``palette``'s ``code`` (bricks: of one ``element``)."""

    palette: str
    code: str
    quantity: float
    unit: str
    element: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.palette, self.code, self.unit, self.element

    def describe(self) -> str:
        what = f" {self.element.replace('_', ' ')}" if self.element else ""
        return f"{plural(self.quantity, self.unit)}{what}"


@dataclass(frozen=True)
class Stash:
    """What the user owns of one family; immutable — every change returns a new stash (easy undo, safe
    sharing between the window and a worker)."""

    family: str
    items: tuple[StashItem, ...] = ()

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InputError(f"'{self.family}' is not a stash; stashes are {', '.join(FAMILIES)}.")

    def __len__(self) -> int:
        return len(self.items)

    # -- changes ---------------------------------------------------------------------------------------------

    def add(self, palette: Palette, code: str, quantity: float, unit: str = "", element: str = "") -> Stash:
        """``quantity`` more of ``code`` (a code, a name, a BrickLink id: whatever the palette recognises)."""
        item = self._item(palette, code, quantity, unit, element)
        return self if item.quantity == 0 else self._add_item(item)

    def remove(self, palette: Palette, code: str, quantity: float | None = None, unit: str = "",
               element: str = "") -> Stash:
        """``quantity`` less of ``code`` (all of it when ``None``); taking more than there is is an error."""
        if quantity is None:
            entry = palette[palette.index_of(code)]
            items = tuple(it for it in self.items if not (it.palette == palette.name and it.code == entry.code))
            if len(items) == len(self.items):
                raise InputError(f"there is no {entry.code} {entry.name} in the {self.family} stash.")
            return replace(self, items=items)
        item = self._item(palette, code, quantity, unit, element)
        items = list(self.items)
        for i, old in enumerate(items):
            if old.key == item.key:
                left = old.quantity - item.quantity
                if left < -1e-9:
                    raise InputError(f"the stash has only {old.describe()} of {old.code}; cannot take "
                                     f"{item.describe()}.")
                if left <= 1e-9:
                    del items[i]
                else:
                    items[i] = replace(old, quantity=left)
                return replace(self, items=tuple(items))
        raise InputError(f"there is no {item.code} counted in {item.unit}s in the {self.family} stash.")

    def merged(self, other: Stash) -> Stash:
        """This stash with everything in ``other`` added (an imported file, a LEGO Art set)."""
        if other.family != self.family:
            raise InputError(f"a {other.family} stash cannot be added to the {self.family} stash.")
        out = self
        for it in other.items:
            out = out._add_item(it)
        return out

    def _add_item(self, item: StashItem) -> Stash:
        items = list(self.items)
        for i, old in enumerate(items):
            if old.key == item.key:
                items[i] = replace(old, quantity=old.quantity + item.quantity)
                break
        else:
            items.append(item)
        return replace(self, items=tuple(sorted(items, key=_order)))

    def _item(self, palette: Palette, code: str, quantity: float, unit: str, element: str) -> StashItem:
        if family_of(palette) != self.family:
            raise InputError(f"{palette.name} is a {family_of(palette)} palette; it cannot go into the "
                             f"{self.family} stash.")
        try:
            q = float(quantity)
        except (TypeError, ValueError):
            raise InputError(f"'{quantity}' is not a quantity; give a number such as 3 or 2.5.") from None
        if not np.isfinite(q) or q < 0:
            raise InputError(f"a quantity must be a number of 0 or more, not {quantity}.")
        element = (element or "").strip().lower().replace(" ", "_").replace("1x1_", "")
        if element and (self.family != "brick" or element not in ELEMENTS):
            raise InputError(f"'{element}' is not a brick element; use {', '.join(e for e in ELEMENTS if e)}, "
                             "or leave it out." if self.family == "brick" else
                             f"only bricks have an element, not {self.family}s.")
        entry = palette[palette.index_of(code)]
        return StashItem(palette.name, entry.code, q, unit_name(self.family, unit), element)

    # -- what it can make ------------------------------------------------------------------------------------

    def items_for(self, palette: Palette) -> list[tuple[int, StashItem]]:
        """(palette index, item) of the items in ``palette``'s colours."""
        out = []
        for it in self.items:
            if it.palette == palette.name:
                i = palette.find(it.code)
                if i is not None:
                    out.append((i, it))
        return out

    def cells(self, palette: Palette, rule: UnitRule | None = None, element: str = "") -> np.ndarray:
        """(len(palette),) cells each colour can make, fractions kept (a part skein's stitches); colours not
        in the stash get 0. With a brick ``element`` (``round_tile`` or ``round-tile``), only lines of that
        element and lines that name none count."""
        rule = rule or UnitRule()
        want = element.replace("-", "_")
        cells = np.zeros(len(palette), np.float64)
        for i, it in self.items_for(palette):
            if want and it.element and it.element != want:
                continue
            cells[i] += rule.cells(self.family, it.unit, it.quantity, palette.name)
        return cells

    def capacity(self, palette: Palette, rule: UnitRule | None = None) -> np.ndarray:
        """(len(palette),) cells each colour can make, whole cells only; colours not in the stash get 0."""
        return np.floor(self.cells(palette, rule) + 1e-9)

    def snapshot(self) -> str:
        """A short fingerprint of the stash's contents: a pattern records it, so "made from the stash as it
        was" can be told apart from the stash as it is now."""
        text = "\n".join(f"{p}\t{c}\t{q!r}\t{u}\t{e}" for p, c, q, u, e in
                         ((it.palette, it.code, it.quantity, it.unit, it.element) for it in self.items))
        return hashlib.sha256(f"{self.family}\n{text}".encode()).hexdigest()[:12]


def _order(item: StashItem) -> tuple:
    return item.palette, _code_sort(item.code), item.unit, item.element


def _code_sort(code: str) -> tuple:
    return (0, int(code), "") if code.isdigit() else (1, 0, code.upper())


def check_palette_family(palette: Palette, family: str) -> None:
    if family_of(palette) != family:
        raise PaletteError(f"{palette.name} is a {family_of(palette)} palette, not a {family} one.")
