"""LEGO Art sets as stash: import a set (or several copies of one) by its number.

Lego Art Remix's idea — remix the studs of the sets you own — needs each set's stud inventory. The table
``palettes/lego_art_sets.csv`` (sources and checks in ``palettes/SOURCES.md``) gives, per set, the count of
each colour of 1×1 round tile or round plate in one box, spares included; colours our LEGO palette lacks
(Pearl Gold, Flat Silver, Pearl Dark Gray) are not in it, which the import says.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import lru_cache

from ..errors import InputError
from ..palette import load_builtin
from .model import Stash


@dataclass(frozen=True)
class ArtSet:
    number: str
    name: str
    parts: tuple[tuple[str, str, int], ...]
    """(colour name, element, quantity) in one box."""

    @property
    def studs(self) -> int:
        return sum(q for _, _, q in self.parts)


@lru_cache(maxsize=1)
def art_sets() -> dict[str, ArtSet]:
    """Every LEGO Art set in the bundled table, by set number."""
    from ..runtime import resource

    text = resource("pixlcraft._palettes", "lego_art_sets.csv").read_text(encoding="utf-8")
    rows: dict[str, tuple[str, list[tuple[str, str, int]]]] = {}
    for r in csv.DictReader(io.StringIO(text)):
        name, parts = rows.setdefault(r["set_number"], (r["set_name"], []))
        parts.append((r["colour"], r["element"], int(r["quantity"])))
    return {n: ArtSet(n, name, tuple(parts)) for n, (name, parts) in rows.items()}


def find_set(number: str) -> ArtSet:
    """A set by number ("31197", "31197-1", "set 31197"); an unknown number lists the sets there are."""
    key = str(number).strip().lower().removeprefix("set").strip().split("-")[0]
    sets = art_sets()
    if key not in sets:
        listing = ", ".join(f"{s.number} {s.name}" for s in sets.values())
        raise InputError(f"there is no LEGO Art set {number} in PixlCraft's table. Sets: {listing}.")
    return sets[key]


def set_stash(number: str, copies: int = 1) -> Stash:
    """The bricks of ``copies`` boxes of set ``number``, as a brick stash (add it to the user's with
    :meth:`Stash.merged`)."""
    if isinstance(copies, bool) or int(copies) != copies or copies < 1:
        raise InputError(f"the number of copies must be a whole number of 1 or more, not {copies}.")
    art = find_set(number)
    lego = load_builtin("lego")
    stash = Stash("brick")
    for colour, element, quantity in art.parts:
        stash = stash.add(lego, colour, quantity * int(copies), "piece", element)
    return stash
