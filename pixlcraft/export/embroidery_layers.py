"""The finer work of a pattern (:mod:`pixlcraft.stitches`) as machine stitches, for :mod:`.embroidery`.

* **Part stitches** are sewn as the legs they are: a half stitch is one diagonal leg corner to corner, a
  quarter a leg from its corner to the cell's centre, a three-quarter both. They are fill, so each colour's
  part stitches are sewn right after that colour's crosses, in the same thread.
* **Backstitches** become running stitch along each segment (segments meeting end to end are sewn as one
  line), in their own colour, **after every fill**. Outlines go last because that is how hand stitchers and
  digitisers work them: an outline sewn first would be half buried under the crosses beside it, and sewn
  last it lies on top, crisp, where the chart draws it. A long segment is cut into stitches of at most
  :data:`RUN_MM`, since a machine stitch much longer than that lies loose and snags.
* **French knots** cannot be made by a machine; each is approximated by a small tack (:data:`KNOT_MM`
  across) at its point, sewn after the outlines of its colour.
* **Beads** are sewn on by hand; the file cannot hold them, so they are left out and counted in the
  format's note (:func:`limits_note`), never dropped silently.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..pattern import Pattern
from ..stitches import BACKWARD, BOTTOM_LEFT, BOTTOM_RIGHT, FORWARD, TOP_LEFT, TOP_RIGHT, Lines, describe

RUN_MM = 4.0
"""Longest running stitch along a backstitch line: longer machine stitches lie loose and catch."""
KNOT_MM = 0.8
"""Width of the tack that stands in for a French knot: a dot of thread about the size of a two-wrap knot."""

_CORNER = {TOP_LEFT: (0.0, 0.0), TOP_RIGHT: (1.0, 0.0), BOTTOM_LEFT: (0.0, 1.0), BOTTOM_RIGHT: (1.0, 1.0)}


def _run(points: np.ndarray, step_mm: float = RUN_MM) -> np.ndarray:
    """A polyline (``(k, 2)`` mm) with each leg cut into equal stitches of at most ``step_mm``."""
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:], strict=True):
        n = max(1, math.ceil(float(np.hypot(*(b - a))) / step_mm - 1e-9))
        out.extend(a + (b - a) * (i / n) for i in range(1, n + 1))
    return np.asarray(out, float)


def part_legs(pattern: Pattern) -> dict[int, list[np.ndarray]]:
    """Per palette index, the legs of its part stitches as cell-unit polylines (``(2, 2)`` arrays), row by row:
    a diagonal for each half (two opposite quarters of one colour), corner to centre for each other quarter."""
    parts = pattern.layers.part_stitches()
    out: dict[int, list[np.ndarray]] = {}
    for y, x, colour, mask in zip(parts.ys.tolist(), parts.xs.tolist(), parts.colour.tolist(),
                                  parts.mask.tolist(), strict=True):
        legs = out.setdefault(int(colour), [])
        left = int(mask)
        for a, b in (FORWARD, BACKWARD):
            if left & (1 << a) and left & (1 << b):
                legs.append(np.array([_CORNER[a], _CORNER[b]]) + (x, y))
                left &= ~((1 << a) | (1 << b))
        for q in range(4):
            if left & (1 << q):
                legs.append(np.array([_CORNER[q], (0.5, 0.5)]) + (x, y))
    return out


def _chains(lines: Lines) -> list[np.ndarray]:
    """Backstitch segments (cells) joined into polylines where one ends where the next (in chart order)
    starts, or ends: a chart's outline is usually stored as consecutive segments, and sewing it as one line
    saves a tie-off, a jump and a tie-on at every joint."""
    chains: list[list[np.ndarray]] = []
    for x1, y1, x2, y2 in lines.cells().tolist():
        a, b = np.array([x1, y1]), np.array([x2, y2])
        if chains and np.array_equal(chains[-1][-1], b):
            a, b = b, a
        if chains and np.array_equal(chains[-1][-1], a):
            chains[-1].append(b)
        else:
            chains.append([a, b])
    return [np.asarray(c, float) for c in chains]


def outline_paths(pattern: Pattern, cell_mm: float) -> list[tuple[int, list[np.ndarray]]]:
    """``(palette index, paths in mm)`` for the outlines and knots, in sewing order: colours with the most
    backstitch first (the main outline, then details), each colour's lines then its knot tacks."""
    layers = pattern.layers
    n = len(pattern.palette)
    length = layers.backstitches.length_per_colour(n)
    knots = layers.knots.count_per_colour(n)
    colours = sorted(np.flatnonzero((length > 0) | (knots > 0)).tolist(), key=lambda i: (-length[i], i))
    out = []
    r = KNOT_MM / 2
    for i in colours:
        lines = layers.backstitches.select(layers.backstitches.colour == i)
        paths = [_run(c * cell_mm) for c in _chains(lines)]
        for px, py in (layers.knots.cells()[layers.knots.colour == i] * cell_mm).tolist():
            # a tack: out and back across the point twice, crossing, so the thread bunches into a dot
            paths.append(np.array([(px - r, py), (px + r, py), (px, py - r), (px, py + r), (px, py)]))
        out.append((int(i), paths))
    return out


def leg_paths(legs: list[np.ndarray], cell_mm: float) -> list[np.ndarray]:
    """Part-stitch legs (cells) as needle paths in millimetres."""
    return [_run(leg * cell_mm) for leg in legs]


def limits_note(pattern: Pattern, options: dict[str, Any] | None = None) -> str:
    """"" or one sentence on what of the pattern a stitch file cannot hold as charted (knots, beads)."""
    knots, beads = len(pattern.layers.knots), len(pattern.layers.beads)
    said = []
    if knots:
        said.append(f"{describe({'French knots': knots})} {'is' if knots == 1 else 'are'} sewn as small tacks (a "
                    "machine cannot wrap a knot)")
    if beads:
        said.append(f"{describe({'beads': beads})} {'is' if beads == 1 else 'are'} not in the file: sew "
                    f"{'it' if beads == 1 else 'them'} on by hand after the embroidery")
    return "; ".join(said) + "." if said else ""
