"""How much thread a cross stitch takes: the one skein rule behind the chart key, the stash and the buy list.

One full cross on fabric of ``n`` stitches per inch has cell side ``s = 25.4 / n`` mm. On the front it is two
diagonals (``2·√2·s``); worked in rows, the back carries about one cell side per half-stitch pass (``2·s``).
So one stitch takes ``s·(2√2 + 2) ≈ 4.83·s`` of each strand, times the strands used, plus 50 % for starting and
ending tails and travel between stitches (:data:`ALLOWANCE`). A skein is 6 strands of ``skein_m`` metres (DMC
stranded cotton: 8 m), so its usable single-strand length is ``6 × skein_m``. At 14-count, 2 strands and 8 m
skeins that is about 1,820 stitches per skein, in line with the usual rule of thumb for 14-count Aida.

It lives in the core, not in the chart exporter, because the same rule must say how many stitches a stash's
skeins can make (:mod:`pixlcraft.stash`) and how many skeins to buy: a chart that asked for three skeins while
the stash solver thought two would do would be worse than either number alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .pattern import Pattern

STRANDS_PER_SKEIN = 6
ALLOWANCE = 1.5
"""Thread actually used ÷ thread in the crosses: tails, travel on the back, the odd unpicked stitch."""
DEFAULT_STRANDS = 2
DEFAULT_SKEIN_M = 8.0
BACKSTITCH_FACTOR = 3.0
BACKSTITCH_STRANDS = 1
KNOT_MM = 20.0
"""The finer work's thread (the chart key states these): backstitch takes 3 × its line on the fabric (the back
carries two units for each on the front), in 1 strand unless a line says otherwise; a French knot about
20 mm of each strand (two wraps, the pass through and the travel to the next)."""


def thread_per_stitch_mm(fabric_count: float) -> float:
    """Length of one strand in one full cross stitch, millimetres (rule in the module docstring)."""
    s = 25.4 / fabric_count
    return s * (2.0 * math.sqrt(2.0) + 2.0)


def stitch_thread_mm(fabric_count: float, strands: int = DEFAULT_STRANDS) -> float:
    """Skein thread one full cross really uses, in millimetres of single strand, allowance included."""
    return thread_per_stitch_mm(fabric_count) * strands * ALLOWANCE


def stitches_per_skein(fabric_count: float, strands: int = DEFAULT_STRANDS, skein_m: float = DEFAULT_SKEIN_M) -> int:
    usable = STRANDS_PER_SKEIN * skein_m * 1000.0
    return int(usable // stitch_thread_mm(fabric_count, strands))


def stitches_per_metre(fabric_count: float, strands: int = DEFAULT_STRANDS) -> float:
    """Full crosses per metre of six-strand floss (a stash measured in metres of thread, not skeins)."""
    return STRANDS_PER_SKEIN * 1000.0 / stitch_thread_mm(fabric_count, strands)


def skeins_needed(stitches: int, fabric_count: float, strands: int = DEFAULT_STRANDS,
                  skein_m: float = DEFAULT_SKEIN_M) -> int:
    return skeins_for_mm(stitches * stitch_thread_mm(fabric_count, strands), skein_m) if stitches > 0 else 0


def skeins_for_mm(mm: float, skein_m: float = DEFAULT_SKEIN_M) -> int:
    """Whole skeins for ``mm`` of single strand (0 for none, else at least 1)."""
    if mm <= 0:
        return 0
    return max(1, math.ceil(mm / (STRANDS_PER_SKEIN * skein_m * 1000.0) - 1e-9))


@dataclass(frozen=True)
class LayerUse:
    """What one thread does beside its full crosses, and the thread that takes (mm of single strand)."""

    part_stitches: int = 0
    quarters: int = 0
    backstitches: int = 0
    backstitch_cells: float = 0.0
    backstitch_strands: tuple[int, ...] = ()
    backstitch_mm: float = 0.0
    knots: int = 0
    knot_mm: float = 0.0
    beads: int = 0

    @property
    def any(self) -> bool:
        return bool(self.part_stitches or self.backstitches or self.knots or self.beads)


def layer_use(pattern: Pattern, fabric_count: float, strands: int) -> dict[int, LayerUse]:
    """Per palette index that has any finer work, its counts and thread (rules in the module docstring)."""
    layers = pattern.layers
    if layers.is_empty:
        return {}
    n = len(pattern.palette)
    counts = pattern.layer_counts()
    cell_mm = 25.4 / fabric_count
    lines = layers.backstitches
    line_strands = np.where(lines.strands == 0, BACKSTITCH_STRANDS, lines.strands).astype(np.float64)
    line_mm = np.bincount(lines.colour.astype(np.int64), lines.lengths() * line_strands, minlength=n)[:n]
    knot_strands = np.where(layers.knots.strands == 0, strands, layers.knots.strands).astype(np.float64)
    knot_mm = np.bincount(layers.knots.colour.astype(np.int64), knot_strands, minlength=n)[:n] * KNOT_MM
    out = {}
    for i in np.flatnonzero(layers.used(n)).tolist():
        out[i] = LayerUse(
            int(counts.part_stitches[i]), int(counts.quarters[i]), int(counts.backstitches[i]),
            float(counts.backstitch_length[i]),
            tuple(sorted({int(s) for s in line_strands[lines.colour == i].tolist()})),
            float(line_mm[i] * cell_mm * BACKSTITCH_FACTOR), int(counts.knots[i]), float(knot_mm[i]),
            int(counts.beads[i]))
    return out


def thread_need_mm(pattern: Pattern, fabric_count: float, strands: int = DEFAULT_STRANDS) -> np.ndarray:
    """(len(palette),) single-strand millimetres each thread of ``pattern`` takes: its full crosses, its part
    stitches (a quarter is a quarter cross), backstitches and knots, + :data:`ALLOWANCE` — what the chart key
    turns into skeins and the buy list compares with the stash."""
    n = len(pattern.palette)
    per = thread_per_stitch_mm(fabric_count) * strands
    need = pattern.counts().astype(np.float64)[:n] * per
    for i, use in layer_use(pattern, fabric_count, strands).items():
        need[i] += use.quarters / 4 * per + use.backstitch_mm + use.knot_mm
    return need * ALLOWANCE
