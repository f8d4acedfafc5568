"""OXS's stitches beyond full crosses: read into :class:`~pixlcraft.stitches.StitchLayers` and written back.

What the sections mean, as the programs that write OXS use them (Ursa Software's WinStitch/MacStitch, which
defined the format, Cross Stitch Pro Platinum and Embroiderly):

* ``<partstitches>`` of ``<partstitch x y palindex1 palindex2 direction>``: cell ``(x, y)``. Directions 1 and 2
  split the cell along a diagonal into two triangles, each filled with one thread (palindex 0: left bare):
  1 along ``\\`` with ``palindex1`` the bottom-left triangle and ``palindex2`` the top-right one, 2 along ``/``
  with ``palindex1`` top-left and ``palindex2`` bottom-right. The first thread given takes the long diagonal (a
  three-quarter stitch), the other a quarter stitch. 3 is a ``/`` half stitch and 4 a ``\\`` one, in
  ``palindex1``. (Checked on Ursa's own sample chart: each triangle continues the full stitches beside it.)
* ``<backstitches>`` of ``<backstitch x1 y1 x2 y2 palindex objecttype [strands] [sequence]>``: ends in cells,
  grid lines at whole numbers and decimals between them (Ursa writes fifths, others halves; Cross Stitch Pro
  writes a decimal comma). ``objecttype`` is ``backstitch`` (also when missing) or ``straightstitch``;
  ``curvedstitch`` (points ``x1 y1 … xn yn``) cannot be kept. No ``strands``: the thread's ``bsstrands``.
* ``<ornaments_inc_knots_and_beads>`` of ``<object x1 y1 palindex objecttype>``: ``knot``; ``bead`` (also
  ``bead3mm`` and other sizes); ``tent``, a half stitch in cell ``(⌊x1⌋, ⌊y1⌋)``, direction 1 ``\\`` and 2
  ``/``; ``quarter`` with ``petit="false"``, a quarter stitch whose top-left corner is ``(x1, y1)`` (without it
  a *petite* cross, which cannot be kept); ``specialstitch`` (cannot be kept).

Palette index 0 is the cloth. Whatever cannot be kept is counted by what it is in ``skipped``, which the reader
stores in ``metadata["oxs_skipped"]`` for the front ends to report; nothing is dropped silently. Positions are
rounded to the layers' 1/240 of a cell. Part stitches that are not one Ursa ``partstitch`` (a lone quarter, two
colours crossing) are written as Embroiderly's ``tent`` and ``quarter petit="false"`` objects.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable

import numpy as np

from ..stitches import (
    BACKSTITCH,
    BACKWARD,
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    FORWARD,
    MAX_STRANDS,
    NO_STITCH,
    STRAIGHT_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
)

# direction → (quarters of the diagonal, quarter on palindex1's side, quarter on palindex2's side)
_SPLITS = {1: (BACKWARD, BOTTOM_LEFT, TOP_RIGHT), 2: (FORWARD, TOP_LEFT, BOTTOM_RIGHT)}
_HALVES = {3: FORWARD, 4: BACKWARD}
_TENT = {1: BACKWARD, 2: FORWARD}
_LINE_TYPES = {"": BACKSTITCH, "backstitch": BACKSTITCH, "straightstitch": STRAIGHT_STITCH}
_LINE_NAMES = {BACKSTITCH: "backstitch", STRAIGHT_STITCH: "straightstitch"}


def _number(raw: str | None) -> float | None:
    """An attribute as a finite number (decimal point or comma), or None."""
    if raw is None:
        return None
    try:
        v = float(raw.strip().replace(",", "."))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _whole(raw: str | None) -> int | None:
    v = _number(raw)
    return int(v) if v is not None and abs(v) < 2**53 and v == int(v) else None


class _Reader:
    """Collects one chart's layers; ``colour_of`` maps a file palindex to a palette index (None: no thread)."""

    def __init__(self, width: int, height: int, colour_of: Callable[[int], int | None],
                 bs_strands: dict[int, int], skipped: dict[str, int]) -> None:
        self.width, self.height = width, height
        self.colour_of, self.bs_strands, self.skipped = colour_of, bs_strands, skipped
        self.quarters: np.ndarray | None = None
        self.lines: list[tuple[int, int, int, int, int, int, int]] = []
        self.knots: list[tuple[int, int, int, int]] = []
        self.beads: list[tuple[int, int, int, int]] = []

    def skip(self, what: str) -> None:
        self.skipped[what] = self.skipped.get(what, 0) + 1

    def thread(self, raw: str | None, what: str) -> int | None:
        """The palette index of a stitch's thread, or None after counting why there is none."""
        pi = _whole(raw)
        if pi is None:
            self.skip(f"unreadable {what}")
            return None
        if pi == 0:
            self.skip(f"{what} in the cloth colour")
            return None
        colour = self.colour_of(pi)
        if colour is None:
            self.skip(f"{what} of missing threads")
        return colour

    def point(self, el: ET.Element, what: str, xa: str = "x1", ya: str = "y1") -> tuple[int, int] | None:
        x, y = _number(el.get(xa, el.get("x"))), _number(el.get(ya, el.get("y")))
        if x is None or y is None:
            self.skip(f"unreadable {what}")
            return None
        ux, uy = round(x * UNITS_PER_CELL), round(y * UNITS_PER_CELL)
        if not (0 <= ux <= self.width * UNITS_PER_CELL and 0 <= uy <= self.height * UNITS_PER_CELL):
            self.skip(f"{what} outside the chart")
            return None
        return ux, uy

    def set_quarters(self, x: int, y: int, quarters: tuple[int, ...], colour: int) -> None:
        if self.quarters is None:
            self.quarters = np.full((self.height, self.width, 4), NO_STITCH, np.int16)
        cell = self.quarters[y, x]
        for q in quarters:
            if cell[q] not in (NO_STITCH, colour):
                self.skip("part stitches covered by a later one")
            cell[q] = colour

    def cell(self, x: int, y: int, what: str) -> bool:
        if 0 <= x < self.width and 0 <= y < self.height:
            return True
        self.skip(f"{what} outside the chart")
        return False

    # -- the three sections ---------------------------------------------------------------------------------

    def partstitch(self, el: ET.Element) -> None:
        x, y, d = _whole(el.get("x")), _whole(el.get("y")), _whole(el.get("direction"))
        if x is None or y is None or d not in (1, 2, 3, 4):
            self.skip("unreadable part stitches")
            return
        if not self.cell(x, y, "part stitches"):
            return
        given = [(_whole(el.get(a)) or 0) != 0 for a in ("palindex1", "palindex2")]
        if not any(given):
            self.skip("part stitches with no thread")
            return
        colours = [self.thread(el.get(a), "part stitches") if g else None
                   for a, g in zip(("palindex1", "palindex2"), given, strict=True)]
        if d in _HALVES:
            colour = colours[0] if given[0] else colours[1]
            if colour is not None:
                self.set_quarters(x, y, _HALVES[d], colour)
            return
        diagonal, side1, side2 = _SPLITS[d]
        first = 0 if given[0] else 1  # the first thread given takes the long diagonal
        if colours[first] is not None:
            self.set_quarters(x, y, diagonal, colours[first])
        for colour, side in zip(colours, (side1, side2), strict=True):
            if colour is not None:
                self.set_quarters(x, y, (side,), colour)

    def backstitch(self, el: ET.Element) -> None:
        kind = (el.get("objecttype") or "").strip().lower()
        if kind not in _LINE_TYPES:
            self.skip("curved stitches" if kind == "curvedstitch" else f"backstitches of type '{kind}'")
            return
        a = self.point(el, "backstitches")
        b = a and self.point(el, "backstitches", "x2", "y2")
        if not b:
            return
        if a == b:
            self.skip("backstitches of no length")
            return
        colour = self.thread(el.get("palindex"), "backstitches")
        if colour is None:
            return
        strands = _whole(el.get("strands"))
        if strands is None:
            strands = self.bs_strands.get(_whole(el.get("palindex")) or 0, 0)
        self.lines.append((*a, *b, colour, strands if 0 <= strands <= MAX_STRANDS else 0, _LINE_TYPES[kind]))

    def ornament(self, el: ET.Element) -> None:
        kind = (el.get("objecttype") or "").strip().lower()
        if kind == "knot" or kind.startswith("bead"):
            what = "French knots" if kind == "knot" else "beads"
            at = self.point(el, what)
            colour = None if at is None else self.thread(el.get("palindex"), what)
            if colour is not None:
                strands = _whole(el.get("strands")) or 0
                (self.knots if kind == "knot" else self.beads).append(
                    (*at, colour, strands if 0 <= strands <= MAX_STRANDS else 0))
        elif kind == "tent" or (kind == "quarter" and (el.get("petit") or "").strip().lower() == "false"):
            x, y = _number(el.get("x1", el.get("x"))), _number(el.get("y1", el.get("y")))
            if x is None or y is None:
                self.skip("unreadable part stitches")
                return
            cx, cy = math.floor(x), math.floor(y)
            if not self.cell(cx, cy, "part stitches"):
                return
            colour = self.thread(el.get("palindex"), "part stitches")
            if colour is None:
                return
            if kind == "tent":
                self.set_quarters(cx, cy, _TENT.get(_whole(el.get("direction")) or 2, FORWARD), colour)
            else:
                self.set_quarters(cx, cy, ((x - cx >= 0.5) + 2 * (y - cy >= 0.5),), colour)
        elif kind == "quarter":
            self.skip("petite stitches")
        elif kind in ("specialstitch", "special"):
            self.skip("special stitches")
        else:
            self.skip(f"ornaments of type '{kind or 'none'}'")

    def layers(self) -> StitchLayers:
        def table(rows: list, cls: type, width: int):
            return cls.from_table(np.asarray(rows, np.int64).reshape(-1, width)) if rows else cls()

        return StitchLayers(self.quarters, table(self.lines, Lines, 7), table(self.knots, Points, 4),
                            table(self.beads, Points, 4))


def read_layers(root: ET.Element, width: int, height: int, colour_of: Callable[[int], int | None],
                bs_strands: dict[int, int], skipped: dict[str, int]) -> StitchLayers:
    """The part stitches, backstitches, knots and beads of an OXS ``<chart>``; what cannot be kept is counted
    in ``skipped`` (phrase → count)."""
    reader = _Reader(width, height, colour_of, bs_strands, skipped)
    for section, child, read in (("partstitches", "partstitch", reader.partstitch),
                                 ("backstitches", "backstitch", reader.backstitch),
                                 ("ornaments_inc_knots_and_beads", "object", reader.ornament)):
        for el in root.findall(section):
            for item in el.iter(child):
                read(item)
    notes = sum(len(el) for el in root.findall("commentboxes"))
    if notes:
        skipped["comment boxes"] = skipped.get("comment boxes", 0) + notes
    return reader.layers()


# ------------------------------------------------------------------------------------------------ writing


def _num(units: int) -> str:
    """A position for the file, in cells: "12", "12.5", "11.6875" (four decimals always read back exactly)."""
    return f"{units / UNITS_PER_CELL:.4f}".rstrip("0").rstrip(".")


def _as_partstitch(q: tuple[int, int, int, int]) -> tuple[int, int, int] | None:
    """``(colour1, colour2, direction)`` of the one Ursa ``partstitch`` that is exactly these quarters, if any
    (``NO_STITCH`` for a bare triangle)."""
    tl, tr, bl, br = q
    if tl == br == NO_STITCH and bl == tr != NO_STITCH:
        return bl, NO_STITCH, 3
    if bl == tr == NO_STITCH and tl == br != NO_STITCH:
        return tl, NO_STITCH, 4
    for (d1, d2), side1, side2, direction in ((BACKWARD, BOTTOM_LEFT, TOP_RIGHT, 1),
                                              (FORWARD, TOP_LEFT, BOTTOM_RIGHT, 2)):
        a = q[d1]
        if a == q[d2] != NO_STITCH:
            if q[side1] == a:
                return a, q[side2], direction
            if q[side1] == NO_STITCH and q[side2] == a:
                return NO_STITCH, a, direction
    return None


def layer_xml(layers: StitchLayers, palindex: np.ndarray) -> list[str]:
    """The ``<partstitches>``, ``<backstitches>`` and ``<ornaments_inc_knots_and_beads>`` elements for
    ``layers``; ``palindex[c]`` is the file's palette item of palette index ``c``."""
    def pi(c: int) -> int:
        return 0 if c == NO_STITCH else int(palindex[c])

    parts, objects = [], []
    if layers.quarters is not None:
        ys, xs = np.nonzero((layers.quarters >= 0).any(axis=2))
        for y, x, q in zip(ys.tolist(), xs.tolist(), layers.quarters[ys, xs].tolist(), strict=True):
            one = _as_partstitch(tuple(q))
            if one is not None:
                c1, c2, d = one
                parts.append(f'<partstitch x="{x}" y="{y}" palindex1="{pi(c1)}" palindex2="{pi(c2)}" '
                             f'direction="{d}"/>')
                continue
            left = list(q)
            for (a, b), direction in ((BACKWARD, 1), (FORWARD, 2)):
                if left[a] == left[b] != NO_STITCH:
                    objects.append(f'<object x1="{x}" y1="{y}" palindex="{pi(left[a])}" objecttype="tent" '
                                   f'direction="{direction}"/>')
                    left[a] = left[b] = NO_STITCH
            for k, c in enumerate(left):
                if c != NO_STITCH:
                    qx, qy = x + 0.5 * (k in (TOP_RIGHT, BOTTOM_RIGHT)), y + 0.5 * (k in (BOTTOM_LEFT, BOTTOM_RIGHT))
                    objects.append(f'<object x1="{qx:g}" y1="{qy:g}" palindex="{pi(c)}" objecttype="quarter" '
                                   f'petit="false"/>')
    lines = []
    bs = layers.backstitches
    for n, (row, c, s, k) in enumerate(zip(bs.xy.tolist(), bs.colour.tolist(), bs.strands.tolist(),
                                           bs.kind.tolist(), strict=True)):
        x1, y1, x2, y2 = map(_num, row)
        strands = f' strands="{s}"' if s else ""
        lines.append(f'<backstitch x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" palindex="{pi(c)}" '
                     f'objecttype="{_LINE_NAMES[k]}" sequence="{n}"{strands}/>')
    for points, kind in ((layers.knots, "knot"), (layers.beads, "bead")):
        for (x, y), c, s in zip(points.xy.tolist(), points.colour.tolist(), points.strands.tolist(), strict=True):
            strands = f' strands="{s}"' if s else ""
            objects.append(f'<object x1="{_num(x)}" y1="{_num(y)}" palindex="{pi(c)}" objecttype="{kind}"{strands}/>')

    def section(name: str, items: list[str]) -> list[str]:
        return [f"<{name}>", *items, f"</{name}>"] if items else [f"<{name}/>"]

    return [*section("partstitches", parts), *section("backstitches", lines),
            *section("ornaments_inc_knots_and_beads", objects)]
