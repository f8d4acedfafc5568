"""Stash units: how many cells a skein, a metre, a bag, a gram or a piece makes, and what a shop sells.

Threads are counted in **skeins** (default) or **metres** of six-strand floss; a skein makes
:func:`~pixlcraft.thread_use.stitches_per_skein` full crosses at the pattern's fabric count and strands (about
1,820 at 14-count, 2 strands, 8 m skeins), a metre a sixth of a skein's strands' worth. The same rule sizes the
chart's key, so the stash and the chart never disagree on what a skein covers.

Beads are counted one by one (**bead**, default), in **bags** of the brand's usual single-colour pack, or in
**grams**. Packs: 1,000 midi (5 mm) beads for Perler, Hama, Artkal S and Nabbi, 2,000 for the mini (2.6 mm)
ranges (Perler Mini, Hama Mini, Artkal C) — the sizes their single-colour bags are sold in; a bag of
another size is best entered as a count. Grams use the bead's weight from its size: a midi bead is a 5 mm
tube 5 mm long with a 2.6 mm hole, 72 mm³ of polyethylene (0.95 g/cm³), 0.068 g or **14.7 beads per gram**;
a mini bead (2.6 × 2.5 mm, 1.3 mm hole) 0.0095 g or **105 per gram**. Weighed beads are an estimate, and the
buy list never rounds a purchase down to them.

Bricks are counted in **pieces** (1×1 plates, tiles, round tiles or round plates: each is one stud of the
mosaic). A stash line may name its element; the mosaic may use any 1×1 element of a colour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError
from ..thread_use import DEFAULT_SKEIN_M, DEFAULT_STRANDS, stitches_per_metre, stitches_per_skein

UNITS = {"thread": ("skein", "m"), "bead": ("bead", "bag", "g"), "brick": ("piece",)}
"""Units each family's stash may use; the first is the default and the one the buy list uses."""
UNIT_ALIASES = {"skeins": "skein", "metre": "m", "metres": "m", "meter": "m", "meters": "m", "beads": "bead",
                "bags": "bag", "gram": "g", "grams": "g", "pieces": "piece", "pcs": "piece", "pc": "piece",
                "elements": "piece", "element": "piece", "studs": "piece", "count": "", "": ""}

MINI_PALETTES = {"perler_mini", "hama_mini", "artkal_c"}
BAG_MIDI, BAG_MINI = 1000, 2000
BEADS_PER_GRAM_MIDI, BEADS_PER_GRAM_MINI = 14.7, 105.0


def unit_name(family: str, text: str) -> str:
    """``text`` as one of the family's units ("" → the default); anything else is a clear error."""
    unit = UNIT_ALIASES.get(text.strip().lower(), text.strip().lower())
    if not unit:
        return UNITS[family][0]
    if unit not in UNITS[family]:
        raise InputError(f"'{text}' is not a unit for {family}s; use {', '.join(UNITS[family])}.")
    return unit


@dataclass(frozen=True)
class UnitRule:
    """What a unit of stash is worth in cells, for one pattern's fabric and palette."""

    fabric_count: float = 14.0
    strands: int = DEFAULT_STRANDS
    skein_m: float = DEFAULT_SKEIN_M

    def cells(self, family: str, unit: str, quantity: float, palette_name: str = "") -> float:
        """How many cells ``quantity`` of ``unit`` covers (fractions kept; the caller floors the total)."""
        if family == "thread":
            per = (stitches_per_skein(self.fabric_count, self.strands, self.skein_m) if unit == "skein"
                   else stitches_per_metre(self.fabric_count, self.strands))
            return quantity * per
        if family == "bead":
            mini = palette_name in MINI_PALETTES
            if unit == "bag":
                return quantity * (BAG_MINI if mini else BAG_MIDI)
            if unit == "g":
                return quantity * (BEADS_PER_GRAM_MINI if mini else BEADS_PER_GRAM_MIDI)
            return quantity
        return quantity

    def shop_units(self, family: str, cells: int, palette_name: str = "") -> tuple[int, str]:
        """The smallest number of shop units that covers ``cells``: skeins, bags of beads or pieces."""
        if cells <= 0:
            return 0, _shop_unit(family)
        if family == "thread":
            per = stitches_per_skein(self.fabric_count, self.strands, self.skein_m)
            return math.ceil(cells / per), "skein"
        if family == "bead":
            per = BAG_MINI if palette_name in MINI_PALETTES else BAG_MIDI
            return math.ceil(cells / per), "bag"
        return int(cells), "piece"


def _shop_unit(family: str) -> str:
    return {"thread": "skein", "bead": "bag"}.get(family, "piece")


def plural(n: float, unit: str) -> str:
    """"1 skein", "3 skeins", "2.5 m", "120 g", "1,000 beads"."""
    if unit in ("m", "g"):
        return f"{n:,g} {unit}"
    word = unit if n == 1 else unit + "s"
    return f"{n:,g} {word}"
