"""What the app's stitch tools do to the :class:`~pixlcraft.stitches.StitchLayers`, as plain functions.

The GUI only turns a click into positions (cells, as floats) and names a tool; everything a tool decides —
where a click snaps, which quarters a part stitch covers, which item an eraser hits — lives here, so it is the
same in the app, in a script and in a test, and needs no Qt. Each function takes the layers as they are and
gives back new layers (they are immutable values); :class:`~pixlcraft.edit.EditLayers` makes that undoable.

Backstitches and knots sit on the half-cell lattice: cell corners, edge midpoints and cell centres, which is
where a needle goes through fabric for a backstitch or a knot on a cross-stitch chart.
"""

from __future__ import annotations

import math

import numpy as np

from .stitches import (
    BACKWARD,
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    FORWARD,
    HALF_CELL,
    NO_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
)

PART_KINDS = ("half", "quarter", "three-quarter")
OPPOSITE = {TOP_LEFT: BOTTOM_RIGHT, BOTTOM_RIGHT: TOP_LEFT, TOP_RIGHT: BOTTOM_LEFT, BOTTOM_LEFT: TOP_RIGHT}

Point = tuple[int, int]
"""A position in stitch units (1/UNITS_PER_CELL of a cell) from the chart's top-left corner."""


def snap(x: float, y: float, shape: tuple[int, int]) -> Point:
    """The half-cell lattice point nearest ``(x, y)`` (cells), kept on the chart of ``shape`` (rows, cols)."""
    h, w = shape
    ux = min(max(round(x * 2) * HALF_CELL, 0), w * UNITS_PER_CELL)
    uy = min(max(round(y * 2) * HALF_CELL, 0), h * UNITS_PER_CELL)
    return int(ux), int(uy)


def constrain(start: Point, x: float, y: float, shape: tuple[int, int]) -> Point:
    """Like :func:`snap`, but on the horizontal, vertical or 45° line from ``start`` nearest the cursor: what
    Shift does, so long straight outlines need no steady hand."""
    dx, dy = x - start[0] / UNITS_PER_CELL, y - start[1] / UNITS_PER_CELL
    angle = round(math.atan2(dy, dx) / (math.pi / 4)) % 8  # 0 = right, 2 = down, …
    ux, uy = [(1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)][angle]
    # half cells along each axis: the cursor projected on the line (a diagonal step moves both ways at once)
    steps = round(dx * ux + dy * uy) if ux and uy else round((dx * ux + dy * uy) * 2)
    h, w = shape
    px, py = start[0] + ux * steps * HALF_CELL, start[1] + uy * steps * HALF_CELL
    while steps > 0 and not (0 <= px <= w * UNITS_PER_CELL and 0 <= py <= h * UNITS_PER_CELL):
        steps -= 1  # pull back onto the chart along the same line
        px, py = start[0] + ux * steps * HALF_CELL, start[1] + uy * steps * HALF_CELL
    return int(px), int(py)


def quarter_at(fx: float, fy: float) -> int:
    """The quarter of a cell under a click at ``(fx, fy)`` within it (0–1 each way)."""
    return (TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT)[(fy >= 0.5) * 2 + (fx >= 0.5)]


def part_quarters(kind: str, quarter: int) -> tuple[int, ...]:
    """The quarters a part stitch of ``kind`` covers when placed by a click in ``quarter``.

    A half stitch runs along the diagonal through the clicked quarter (a click top-right or bottom-left makes
    ``/``); a quarter stitch is the clicked quarter; a three-quarter stitch is the clicked quarter plus the half
    stitch across the other diagonal, so it leaves the opposite quarter free (where a second colour meets it).
    """
    if kind == "half":
        return FORWARD if quarter in FORWARD else BACKWARD
    if kind == "quarter":
        return (quarter,)
    if kind == "three-quarter":
        other = BACKWARD if quarter in FORWARD else FORWARD
        return tuple(sorted((quarter, *other)))
    raise ValueError(f"unknown part stitch kind {kind!r}; known: {', '.join(PART_KINDS)}")


def place_part(layers: StitchLayers, shape: tuple[int, int], row: int, col: int, quarters: tuple[int, ...],
               colour: int) -> StitchLayers:
    """Layers with ``quarters`` of cell ``(row, col)`` set to ``colour`` (replacing what those quarters held)."""
    grid = layers.quarter_grid(*shape)
    grid[row, col, list(quarters)] = colour
    return layers.replace(quarters=grid)


def add_backstitch(layers: StitchLayers, a: Point, b: Point, colour: int) -> StitchLayers:
    """Layers with a backstitch from ``a`` to ``b``; the same layers when it has no length or that stitch is
    already there (either way round) in that colour."""
    lines = layers.backstitches
    if a == b:
        return layers
    if len(lines):
        xy = lines.xy
        fwd = (xy == np.array([*a, *b])).all(axis=1)
        back = (xy == np.array([*b, *a])).all(axis=1)
        if ((fwd | back) & (lines.colour == colour)).any():
            return layers
    return layers.replace(backstitches=lines.concat(Lines(np.array([[*a, *b]]), colour)))


def add_knot(layers: StitchLayers, point: Point, colour: int) -> StitchLayers:
    """Layers with a French knot at ``point``; a knot already there takes the new colour instead."""
    knots = layers.knots
    if len(knots):
        here = (knots.xy == np.array(point)).all(axis=1)
        if here.any():
            if (knots.colour[here] == colour).all():
                return layers
            knots = knots.select(~here)
    return layers.replace(knots=knots.concat(Points(np.array([point]), colour)))


def _segment_distance(lines: Lines, x: float, y: float) -> np.ndarray:
    """Distance in cells from ``(x, y)`` to each backstitch segment."""
    d = lines.cells()
    ax, ay, bx, by = d[:, 0], d[:, 1], d[:, 2], d[:, 3]
    vx, vy = bx - ax, by - ay
    t = np.clip(((x - ax) * vx + (y - ay) * vy) / np.maximum(vx * vx + vy * vy, 1e-12), 0.0, 1.0)
    return np.hypot(ax + t * vx - x, ay + t * vy - y)


def erase_at(layers: StitchLayers, shape: tuple[int, int], x: float, y: float, tolerance: float) -> StitchLayers:
    """Layers without the one item nearest ``(x, y)`` (cells): a knot or bead within ``tolerance``, else the
    nearest backstitch within it, else the part stitch under the point (every quarter of the cell in the colour
    of the quarter clicked). The same layers when nothing is there. Small things go first because they are the
    hardest to hit and lie on top of the others."""
    best: tuple[float, str, int] | None = None
    for name in ("knots", "beads"):
        points = getattr(layers, name)
        if len(points):
            dist = np.hypot(points.cells()[:, 0] - x, points.cells()[:, 1] - y)
            i = int(dist.argmin())
            if dist[i] <= tolerance and (best is None or dist[i] < best[0]):
                best = (float(dist[i]), name, i)
    if best is None and len(layers.backstitches):
        dist = _segment_distance(layers.backstitches, x, y)
        i = int(dist.argmin())
        if dist[i] <= tolerance:
            best = (float(dist[i]), "backstitches", i)
    if best is not None:
        _, name, i = best
        table = getattr(layers, name)
        keep = np.ones(len(table), bool)
        keep[i] = False
        return layers.replace(**{name: table.select(keep)})
    h, w = shape
    col, row = math.floor(x), math.floor(y)
    if layers.quarters is None or not (0 <= row < h and 0 <= col < w):
        return layers
    cell = layers.quarters[row, col]
    colour = int(cell[quarter_at(x - col, y - row)])
    if colour == NO_STITCH:
        present = cell[cell >= 0]
        if not present.size:
            return layers
        colour = int(present[0])  # clicked an empty quarter of a part-stitched cell: that cell's stitch
    grid = layers.quarter_grid(h, w)
    grid[row, col][grid[row, col] == colour] = NO_STITCH
    return layers.replace(quarters=grid)
