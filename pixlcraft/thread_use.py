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

STRANDS_PER_SKEIN = 6
ALLOWANCE = 1.5
"""Thread actually used ÷ thread in the crosses: tails, travel on the back, the odd unpicked stitch."""
DEFAULT_STRANDS = 2
DEFAULT_SKEIN_M = 8.0


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
    if stitches <= 0:
        return 0
    need = stitches * stitch_thread_mm(fabric_count, strands)
    return max(1, math.ceil(need / (STRANDS_PER_SKEIN * skein_m * 1000.0) - 1e-9))
