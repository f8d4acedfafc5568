"""The finer stitches on the printed chart and in its key (for :mod:`.stitch_pdf`).

On the chart, over the cells (shapes from :mod:`pixlcraft.stitch_shapes`, the same as the PNG previews):

* part stitches are their triangles (a half stitch its diagonal band), filled with the thread colour on the
  colour chart and outlined on the black-and-white one, each carrying the colour's symbol at a smaller size
  (a real glyph, like the full crosses, so text extraction still finds the colour there);
* backstitches are thick vector lines drawn over the symbols, in the thread colour (black on the
  black-and-white chart), clipped to the page's part of the grid;
* French knots are dots, beads small rings.

Vector paths, not pictures: they stay sharp at any zoom, and the full-cross symbols stay text for tracker apps.

How much thread the finer work takes (added to the thread's skeins; the rule is printed under the key)
-----------------------------------------------------------------------------------------------------------
Assumptions, stated because the numbers rest on them:

* a part stitch uses the thread of the quarters it covers: ``quarters / 4`` full crosses;
* backstitch: every unit of line on the front carries about two on the back (each stitch comes up a stitch
  ahead and goes down a stitch behind), so :data:`BACKSTITCH_FACTOR` = 3 × the line's length on the fabric,
  times its strands (a line that names none is worked in :data:`BACKSTITCH_STRANDS`, as most charts ask);
* a French knot takes about :data:`KNOT_MM` of each strand (two wraps, the pass through and the travel to the
  next), in the chart's strands when it names none;
* everything gets the same +50 % for tails and travel as the crosses (:data:`.stitch_pdf.ALLOWANCE`);
* beads are not thread: they are counted, and the thread that sews them on is not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..pattern import Pattern
from ..stitch_shapes import BEAD_RADIUS, KNOT_RADIUS, part_polygons, polygon_centre
from ..thread_use import (  # noqa: F401 - the rule's names, re-exported for the key and its tests
    BACKSTITCH_FACTOR,
    BACKSTITCH_STRANDS,
    KNOT_MM,
    LayerUse,
    layer_use,
)

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

    from .pdfkit import Tile

LINE_SHARE = 0.2
"""Backstitch width as a share of the cell: thicker than the bold grid lines, so an outline reads at a glance."""
PART_SYMBOL_SHARE = 0.55
"""A part stitch's symbol, relative to a full cross's: it has to fit its triangle."""


def layer_rule(fabric_count: float) -> str:
    """The sentence under the key that says how the finer work's thread was reckoned."""
    return (f" Part stitches count as the quarters they cover (4 quarters = 1 cross). Backstitch takes 3 × its "
            f"line on the fabric ({25.4 / fabric_count:.2f} mm per cell; the back carries twice the front), in "
            f"{BACKSTITCH_STRANDS} strand unless the chart says otherwise; a French knot about {KNOT_MM:g} mm per "
            f"strand; both + 50 % like the crosses, and included in the skeins. Beads are counted, not their thread.")


def key_sub_rows(use: LayerUse, fabric_count: float) -> list[tuple[str, str, str]]:
    """The key's extra lines for one thread: (what it draws in the symbol column, description, count)."""
    rows = []
    if use.part_stitches:
        rows.append(("part", f"part stitches ({use.quarters:,} quarter{'s' if use.quarters != 1 else ''})",
                     f"{use.part_stitches:,}"))
    if use.backstitches:
        k = "/".join(str(s) for s in use.backstitch_strands) or str(BACKSTITCH_STRANDS)
        line_cm = use.backstitch_cells * 2.54 / fabric_count
        rows.append(("line", f"backstitch, {k} strand{'s' if k != '1' else ''}: {line_cm:.1f} cm of line, "
                             f"{use.backstitch_mm * _allowance() / 1000:.2f} m of thread", f"{use.backstitches:,}"))
    if use.knots:
        rows.append(("knot", f"French knot{'s' if use.knots != 1 else ''}: "
                             f"{use.knot_mm * _allowance() / 1000:.2f} m of thread", f"{use.knots:,}"))
    if use.beads:
        rows.append(("bead", f"bead{'s' if use.beads != 1 else ''}", f"{use.beads:,}"))
    return rows


def _allowance() -> float:
    from .stitch_pdf import ALLOWANCE

    return ALLOWANCE


def draw_key_sample(c: Canvas, kind: str, rgb: tuple[int, int, int], x: float, y: float, w: float,
                    h: float) -> None:
    """The symbol column of a key sub-line: a short line, a dot, a ring or a triangle in the thread colour."""
    from .pdfkit import rgb01

    col = rgb01(rgb)
    cx, cy = x + w / 2, y + h / 2
    c.saveState()
    c.setStrokeColorRGB(*col)
    c.setFillColorRGB(*col)
    if kind == "line":
        c.setLineWidth(1.8)
        c.setLineCap(1)
        c.line(cx - 9, cy - 2.5, cx + 9, cy + 2.5)
    elif kind == "knot":
        c.circle(cx, cy, 2.6, stroke=0, fill=1)
    elif kind == "bead":
        c.setLineWidth(1.2)
        c.circle(cx, cy, 3.2, stroke=1, fill=0)
    else:
        p = c.beginPath()
        p.moveTo(cx - 4.5, cy - 4)
        p.lineTo(cx + 4.5, cy - 4)
        p.lineTo(cx - 4.5, cy + 4)
        p.close()
        c.setStrokeColorRGB(0.3, 0.3, 0.3)
        c.setLineWidth(0.4)
        c.drawPath(p, stroke=1, fill=1)
    c.restoreState()


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def _rg(rgb: tuple[float, float, float]) -> str:
    return " ".join(_n(v) for v in rgb)


def draw_part_shapes(c: Canvas, pattern: Pattern, tile: Tile, x_left: float, y_top: float, cell: float,
                     mode: str) -> list[tuple[int, float, float]]:
    """The part stitches' shapes on this page (filled on the colour chart, outlined on the black-and-white
    one); returns ``(palette index, x, y)`` where each one's symbol goes."""
    from .pdfkit import rgb01

    rgb = pattern.palette.rgb
    out = ["q", "0.35 w", "0 0 0 RG", "1 j"]
    spots = []
    for y, x, colour, poly in part_polygons(pattern.layers):
        if not (tile.y0 <= y < tile.y1 and tile.x0 <= x < tile.x1):
            continue
        pts = [(x_left + (px - tile.x0) * cell, y_top - (py - tile.y0) * cell) for px, py in poly]
        path = f"{_n(pts[0][0])} {_n(pts[0][1])} m " + " ".join(f"{_n(a)} {_n(b)} l" for a, b in pts[1:]) + " h"
        if mode == "color":
            out.append(f"{_rg(rgb01(rgb[colour]))} rg {path} b")
        else:
            out.append(f"{path} S")
        cx, cy = polygon_centre(poly)
        spots.append((colour, x_left + (cx - tile.x0) * cell, y_top - (cy - tile.y0) * cell))
    if spots:
        out.append("Q")
        c.addLiteral("\n".join(out))
    return spots


def draw_lines_and_points(c: Canvas, pattern: Pattern, tile: Tile, x_left: float, y_top: float, cell: float,
                          mode: str) -> None:
    """Backstitches as thick lines, knots as dots and beads as rings, over everything else on the page, clipped
    to the page's part of the grid (a line crossing into the next page is drawn there too)."""
    from .pdfkit import rgb01

    layers = pattern.layers
    if not (len(layers.backstitches) or len(layers.knots) or len(layers.beads)):
        return
    w, h = (tile.x1 - tile.x0) * cell, (tile.y1 - tile.y0) * cell
    out = ["q", f"{_n(x_left)} {_n(y_top - h)} {_n(w)} {_n(h)} re W n", "1 J", "1 j"]
    rgb = pattern.palette.rgb

    def ink(i: int) -> str:
        return _rg(rgb01(rgb[i]) if mode == "color" else (0.0, 0.0, 0.0))

    def page(x: float, y: float) -> tuple[float, float]:
        return x_left + (x - tile.x0) * cell, y_top - (y - tile.y0) * cell

    lines = layers.backstitches.cells()
    near = ((np.minimum(lines[:, 0], lines[:, 2]) <= tile.x1) & (np.maximum(lines[:, 0], lines[:, 2]) >= tile.x0)
            & (np.minimum(lines[:, 1], lines[:, 3]) <= tile.y1) & (np.maximum(lines[:, 1], lines[:, 3]) >= tile.y0))
    out.append(f"{_n(max(1.5, cell * LINE_SHARE))} w")
    colours = layers.backstitches.colour
    for i in np.unique(colours[near]).tolist():
        out.append(f"{ink(i)} RG")
        for x1, y1, x2, y2 in lines[near & (colours == i)].tolist():
            (a, b), (p, q) = page(x1, y1), page(x2, y2)
            out.append(f"{_n(a)} {_n(b)} m {_n(p)} {_n(q)} l")
        out.append("S")
    k = 0.5523  # Bézier circle
    for pts, cols, radius, paint in ((layers.knots, layers.knots.colour, KNOT_RADIUS, "f"),
                                     (layers.beads, layers.beads.colour, BEAD_RADIUS, "S")):
        r = radius * cell
        out.append(f"{_n(max(0.6, cell * 0.08))} w")
        for (x, y), i in zip(pts.cells().tolist(), cols.tolist(), strict=True):
            if not (tile.x0 - 1 <= x <= tile.x1 + 1 and tile.y0 - 1 <= y <= tile.y1 + 1):
                continue
            cx, cy = page(x, y)
            out.append(f"{ink(i)} {'rg' if paint == 'f' else 'RG'} {_n(cx + r)} {_n(cy)} m "
                       f"{_n(cx + r)} {_n(cy + k * r)} {_n(cx + k * r)} {_n(cy + r)} {_n(cx)} {_n(cy + r)} c "
                       f"{_n(cx - k * r)} {_n(cy + r)} {_n(cx - r)} {_n(cy + k * r)} {_n(cx - r)} {_n(cy)} c "
                       f"{_n(cx - r)} {_n(cy - k * r)} {_n(cx - k * r)} {_n(cy - r)} {_n(cx)} {_n(cy - r)} c "
                       f"{_n(cx + k * r)} {_n(cy - r)} {_n(cx + r)} {_n(cy - k * r)} {_n(cx + r)} {_n(cy)} c h {paint}")
    out.append("Q")
    c.addLiteral("\n".join(out))
