"""Fewer colours in a finished pattern: merge it down to K colours, or fold rare colours into their neighbours.

Both work on the pattern as it stands (edits included), never on the photo: each colour in use is a point with
the weight of its stitch count, and whole colours are merged, so the chart stays coherent (every cell of a
merged colour gets the same new colour) and the key simply loses rows.

* :func:`reduce_plan` keeps the K colours that minimise the total CIEDE2000 added over all cells: the same
  K-median optimiser the converter's colour budget uses (:func:`pixlcraft.budget.choose_colors`), here with the
  pattern's own colours as both the points and the candidates. Every other colour goes to its nearest kept one.
* :func:`merge_rare_plan` folds every colour used by fewer than N cells into the nearest colour that is not rare.

The undoable commands (:class:`ReduceColors`, :class:`MergeRareColors`) say afterwards what they merged and how
much colour error that added, for the status bar and the CLI.

Colours are weighed by the full-cross cells they fill (:meth:`Pattern.counts`). A merged colour is merged in the
stitch layers as well (its backstitches, part stitches, knots and beads take the new colour); a colour used only
in the layers (a black used only for backstitching) fills no cell, so it is neither counted against K nor merged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .budget import choose_colors
from .color import ciede2000_pairwise
from .edit import Command
from .errors import InputError
from .palette import Palette
from .pattern import Pattern
from .stitches import StitchLayers


@dataclass(frozen=True)
class MergePlan:
    """``mapping[old] = new`` palette index for every colour in use (unchanged colours map to themselves)."""

    mapping: dict[int, int]
    added_error: float  # CIEDE2000 added, summed over cells
    cells_changed: int

    @property
    def merged(self) -> dict[int, int]:
        return {old: new for old, new in self.mapping.items() if old != new}

    def mean_added(self, cells: int) -> float:
        return self.added_error / cells if cells else 0.0


def _plan(pattern: Pattern, keep: np.ndarray) -> MergePlan:
    """Map every used colour to the nearest colour of ``keep`` (itself when kept)."""
    counts = pattern.counts()
    used = np.flatnonzero(counts > 0)
    labs = np.asarray(pattern.palette.lab, np.float64)
    dist = ciede2000_pairwise(labs[used], labs[keep])  # used × kept
    nearest = keep[np.argmin(dist, axis=1)]
    added = dist[np.arange(used.size), np.argmin(dist, axis=1)]
    mapping = {int(o): int(n) for o, n in zip(used, nearest, strict=True)}
    moved = nearest != used
    return MergePlan(mapping, float((added * counts[used]).sum()), int(counts[used][moved].sum()))


def reduce_plan(pattern: Pattern, k: int) -> MergePlan:
    """The merge that leaves ``k`` colours at the least added CIEDE2000."""
    if k < 1:
        raise InputError(f"a pattern needs at least 1 colour (asked for {k}).")
    counts = pattern.counts()
    used = np.flatnonzero(counts > 0)
    if k >= used.size:
        return MergePlan({int(i): int(i) for i in used}, 0.0, 0)
    labs = np.asarray(pattern.palette.lab, np.float64)
    points = np.repeat(labs[used], counts[used], axis=0)  # the pattern's own cells, as colours
    keep = choose_colors(points, labs, k, allowed=used, bin_size=0.0 if used.size <= 64 else 0.5,
                         oversaturation=0)  # the least added error, exactly, as promised above
    return _plan(pattern, np.asarray(keep, np.int64))


def merge_rare_plan(pattern: Pattern, min_count: int) -> MergePlan:
    """Fold every colour used by fewer than ``min_count`` cells into the nearest colour that is not rare."""
    if min_count < 1:
        raise InputError(f"the smallest stitch count to keep must be at least 1 (got {min_count}).")
    counts = pattern.counts()
    used = np.flatnonzero(counts > 0)
    keep = used[counts[used] >= min_count]
    if keep.size == 0:  # every colour is rare: keep the most used one
        keep = used[np.argmax(counts[used])][None]
    return _plan(pattern, keep.astype(np.int64))


class _MergePlanCommand(Command):
    """Applies a :class:`MergePlan` worked out against the pattern as it is when pushed."""

    def __init__(self) -> None:
        super().__init__()
        self.plan: MergePlan | None = None

    def _make_plan(self, pattern: Pattern) -> MergePlan:
        raise NotImplementedError

    def _plan(self, pattern: Pattern):
        self.plan = self._make_plan(pattern)
        lut = np.arange(len(pattern.palette), dtype=np.int16)
        for old, new in self.plan.merged.items():
            lut[old] = new
        filled = pattern.grid >= 0
        ys, xs = np.nonzero(filled & (lut[np.where(filled, pattern.grid, 0)] != pattern.grid))
        self.label = self.describe(pattern)
        self._lut = lut
        return pattern.palette, ys, xs, lut[pattern.grid[ys, xs]]

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers:
        return pattern.layers.remap(self._lut)

    def describe(self, pattern: Pattern) -> str:
        plan = self.plan
        if plan is None or not plan.merged:
            return self.label
        cells = int((pattern.grid >= 0).sum())
        return (f"{self.label}: merged {len(plan.merged)} colour{'s' if len(plan.merged) != 1 else ''} "
                f"({plan.cells_changed} cells), adding {plan.mean_added(cells):.2f} ΔE00 on average")


class ReduceColors(_MergePlanCommand):
    """Merge the pattern down to ``k`` colours at the least added CIEDE2000."""

    def __init__(self, k: int) -> None:
        super().__init__()
        self.k = int(k)
        self.label = f"Reduce to {self.k} colours"

    def _make_plan(self, pattern: Pattern) -> MergePlan:
        return reduce_plan(pattern, self.k)


class MergeRareColors(_MergePlanCommand):
    """Fold colours with fewer than ``min_count`` stitches into their nearest common colour."""

    def __init__(self, min_count: int) -> None:
        super().__init__()
        self.min_count = int(min_count)
        self.label = f"Merge colours under {self.min_count} cells"

    def _make_plan(self, pattern: Pattern) -> MergePlan:
        return merge_rare_plan(pattern, self.min_count)
