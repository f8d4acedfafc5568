"""The user's stash: the threads, beads and bricks they own, with quantities (issue 16).

:mod:`.model` is the stash itself and what it can make (each palette colour's capacity in cells),
:mod:`.units` turns skeins, metres, bags, grams and pieces into cells and back into what a shop sells,
:mod:`.files` reads and writes stash CSVs and keeps the user's stash in their data folder, :mod:`.lego_art`
imports LEGO Art sets by number, and :mod:`.buy` works out what to buy.
"""

from .files import default_stash_path, load_stash, read_stash_csv, save_stash, write_stash_csv
from .model import FAMILIES, Stash, StashItem, family_of
from .units import UnitRule

__all__ = [
    "FAMILIES",
    "Stash",
    "StashItem",
    "UnitRule",
    "default_stash_path",
    "family_of",
    "load_stash",
    "read_stash_csv",
    "save_stash",
    "write_stash_csv",
]
