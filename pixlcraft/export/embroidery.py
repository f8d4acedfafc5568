"""Machine embroidery: the pattern as cross stitches sewn by an embroidery machine (PES for Brother/Babylock,
DST for Tajima and almost every other machine).

Each cell becomes an X of two diagonal stitches, ``cell_mm`` wide. Sewing cell by cell would leave a visible
travel stitch inside every cell, so the plan works a row of same-colour cells the way hand stitchers do (the
Danish method): one pass along the row lays the under leg in every cell, stepping along the cells' shared
edges (hidden under the crosses), and a pass back lays the top legs, all the same way. The return ends at the
row's bottom-left corner, which is the top-left corner of the next row. Where a pass ends away from the next
one's start (a ring, a comb, a ragged edge), the needle walks there along the area's own cell edges, so every
connected area is sewn in one piece without a jump.

A colour is sewn one connected area at a time (nearest area next). From one area to the next the needle walks
under cells of colours still to come when that is short (their crosses will hide it), and jumps otherwise;
jumps longer than ``trim_mm`` are trimmed (a long loose thread would catch the presser foot or show). Colours
are sewn largest area first: big fills first stabilise the fabric before the small details. The stitch data
itself is written by pystitch, the Ink/Stitch project's maintained fork of pyembroidery.

The finer work (part stitches, backstitches, French knots, beads) is planned in :mod:`.embroidery_layers`:
part stitches are sewn as their own legs with their colour's crosses, backstitch as running stitch after all
the fills (outlines on top), knots as small tacks, and beads are left for the hand (the format's note says
how many).

DST files carry no colours, only colour changes; the machine operator threads the colours in the order given
in PES (or in the legend of the stitch chart).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..jobs import Reporter
from ..pattern import Pattern
from ..stitches import rotate_clockwise
from . import embroidery_layers as layers_plan
from .registry import ExportFormat, ExportOption, write_bytes

UNITS_PER_MM = 10
"""Embroidery files count in tenths of a millimetre."""
MAX_COMPONENTS_GREEDY = 4000
"""Above this many separate areas of one colour, areas are sewn in reading order instead of nearest-first
(nearest-first is quadratic; a confetti pattern with that many areas is not worth optimising)."""
MAX_WALK_CELLS = 12
"""Longest walk (in cell edges) from one area to the next under colours still to come; further than that a
jump (and trim) is quicker to sew and safer than a long hidden running stitch."""


@dataclass
class ColourBlock:
    """Everything sewn in one thread: ``paths`` are sewn in order, the needle jumps between them."""

    index: int
    """Palette index of the thread."""
    paths: list[np.ndarray]
    """Each ``(k, 2)`` float array of needle points in millimetres, x right and y down, from the top-left."""

    @property
    def stitch_count(self) -> int:
        return sum(len(p) - 1 for p in self.paths)


# ------------------------------------------------------------------------------------------------ planning


def _row_runs(row: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True in a 1-D boolean array, as (start, end) with end exclusive."""
    padded = np.concatenate(([False], row, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _zigzag(a: int, b: int, r: int, forward: bool) -> list[tuple[int, int]]:
    """Corner points (x, y) in cell units of one pass over cells ``a..b-1`` of row ``r``.

    The forward pass lays the under leg "\\" in every cell, left to right, stepping up the shared edge between
    cells; the return pass lays the top leg "/" right to left the same way. So every cross has its top leg the
    same way, as a hand stitcher's do (crosses whose top legs alternate catch the light differently), and the
    return pass ends at the row's bottom-left corner, where the next row starts.
    """
    points: list[tuple[int, int]] = []
    if forward:
        for c in range(a, b):
            points += [(c, r), (c + 1, r + 1)]  # top-left → bottom-right
    else:
        for c in range(b - 1, a - 1, -1):
            points += [(c + 1, r), (c, r + 1)]  # top-right → bottom-left
    return points


def _component_path(mask: np.ndarray, y0: int, x0: int) -> list[tuple[int, int]]:
    """One path (cell-corner points) covering one connected area given as a mask with its top-left at (y0, x0).

    Each run of cells in a row is sewn as a there-and-back pass (ending at its bottom-left corner, which is the
    top-left corner of the row below), runs in nearest-first order; where one pass ends away from the next
    one's start, the needle walks there along edges of this area's cells instead of jumping (a jump needs a
    trim or leaves a loose thread)."""
    runs = [(y0 + dy, a + x0, b + x0) for dy in range(mask.shape[0]) for a, b in _row_runs(mask[dy])]
    starts = np.array([(a, r) for r, a, _ in runs], float)
    left = np.ones(len(runs), bool)
    joined: list[tuple[int, int]] = []
    i = 0
    for _ in range(len(runs)):
        left[i] = False
        r, a, b = runs[i]
        loop = _zigzag(a, b, r, True) + _zigzag(a, b, r, False)
        if joined and joined[-1] != loop[0]:
            joined.extend(_travel(mask, y0, x0, joined[-1], loop[0])[1:-1])  # type: ignore[index]
        joined.extend(loop)
        if not left.any():
            break
        here = joined[-1]
        d = np.abs(starts[:, 0] - here[0]) + np.abs(starts[:, 1] - here[1])
        d[~left] = np.inf
        i = int(np.argmin(d))
    return joined


TRAVEL_COST = {2: 1, 5: 1, 8: 1, 1: 3}
"""Cost of walking along a cell edge by what lies on its two sides (1 for a cell of the area, 4 for a cell sewn
later in another colour, 0 for anything else): an edge between two cells that will be crossed over is hidden;
one on the area's rim (beside bare fabric or an earlier colour) shows a little, so it costs more; an edge between
a later colour and bare fabric or an earlier colour would show, so it is never walked."""


def _travel(mask: np.ndarray, y0: int, x0: int, start: tuple[int, int], goal: tuple[int, int],
            covered: np.ndarray | None = None, limit: float = math.inf) -> list[tuple[int, int]] | None:
    """The cheapest walk (corner points, ``start`` and ``goal`` included) from ``start`` to ``goal`` along
    edges of the area's cells (a connected area always has one), or None when there is none.

    ``covered`` marks cells sewn later in other colours: an edge between two of those (or one of them and a
    cell of the area) is as good as one inside the area, as their crosses will hide the walk."""
    import heapq

    h, w = mask.shape
    hidden = mask if covered is None else mask | covered

    def inside(r: int, c: int) -> int:
        if not (0 <= r < h and 0 <= c < w):
            return 0
        return 1 if mask[r, c] else 4 if hidden[r, c] else 0

    sx, sy = start[0] - x0, start[1] - y0
    gx, gy = goal[0] - x0, goal[1] - y0
    best = {(sx, sy): 0}
    came: dict[tuple[int, int], tuple[int, int]] = {}
    heap = [(0, sx, sy)]
    while heap:
        d, x, y = heapq.heappop(heap)
        if (x, y) == (gx, gy):
            break
        if d > limit:
            return None
        if d > best[(x, y)]:
            continue
        for nx, ny, sides in ((x + 1, y, inside(y - 1, x) + inside(y, x)),
                              (x - 1, y, inside(y - 1, x - 1) + inside(y, x - 1)),
                              (x, y + 1, inside(y, x - 1) + inside(y, x)),
                              (x, y - 1, inside(y - 1, x - 1) + inside(y - 1, x))):
            cost = TRAVEL_COST.get(sides)
            if cost is None:
                continue
            nd = d + cost
            if nd < best.get((nx, ny), 1 << 30):
                best[(nx, ny)] = nd
                came[(nx, ny)] = (x, y)
                heapq.heappush(heap, (nd, nx, ny))
    else:
        return None
    walk = [(gx, gy)]
    while walk[-1] != (sx, sy):
        walk.append(came[walk[-1]])
    return [(x + x0, y + y0) for x, y in reversed(walk)]


def _order_components(starts: np.ndarray, ends: np.ndarray) -> list[int]:
    """Visit order of areas: from the top-left, always the area whose start is nearest the last end."""
    n = len(starts)
    if n > MAX_COMPONENTS_GREEDY:
        return sorted(range(n), key=lambda i: (starts[i][1], starts[i][0]))
    left = np.ones(n, bool)
    order = []
    here = np.array([0.0, 0.0])
    for _ in range(n):
        d = np.hypot(starts[:, 0] - here[0], starts[:, 1] - here[1])
        d[~left] = np.inf
        i = int(np.argmin(d))
        order.append(i)
        left[i] = False
        here = ends[i]
    return order


def plan_stitches(pattern: Pattern, cell_mm: float, reporter: Reporter | None = None) -> list[ColourBlock]:
    """The whole design as colour blocks of needle paths, in sewing order: the fills, largest colour first,
    each colour's part stitches after its crosses, then the outlines and knots (:mod:`.embroidery_layers`)."""
    import cv2

    grid = pattern.grid
    legs = layers_plan.part_legs(pattern)
    counts = pattern.counts()
    fill = counts + pattern.layer_counts().quarters / 4  # part stitches count as the crosses they make up
    colours = sorted(np.flatnonzero(fill), key=lambda i: (-fill[i], i))
    blocks = []
    for n_done, idx in enumerate(colours):
        if reporter is not None:
            reporter.report("planning stitches", n_done, len(colours))
        mask = (grid == idx).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
        comps = []
        for k in range(1, n):
            x, y, w, h = (int(v) for v in stats[k, :4])
            sub = labels[y : y + h, x : x + w] == k
            comps.append(_component_path(sub, y, x))
        starts = np.array([c[0] for c in comps], float)
        ends = np.array([c[-1] for c in comps], float)
        # From one area to the next the needle walks under cells of colours still to come where it can, rather
        # than jump: their crosses hide the walk, and every jump saved is a trim saved.
        later = np.isin(grid, colours[n_done + 1 :])
        own = mask.astype(bool)
        paths: list[list[tuple[int, int]]] = []
        for i in _order_components(starts, ends):
            p = comps[i]
            if paths and paths[-1][-1] != p[0] and math.dist(paths[-1][-1], p[0]) <= MAX_WALK_CELLS:
                walk = _travel(own, 0, 0, paths[-1][-1], p[0], later, 3 * MAX_WALK_CELLS)
                if walk is not None and len(walk) - 1 <= MAX_WALK_CELLS:
                    paths[-1].extend(walk[1:-1])
                    paths[-1].append(p[0])
            if paths and paths[-1][-1] == p[0]:
                paths[-1].extend(p[1:])
            else:
                paths.append(p)
        blocks.append(ColourBlock(int(idx), [np.asarray(p, float) * cell_mm for p in paths]
                                  + layers_plan.leg_paths(legs.get(int(idx), []), cell_mm)))
    blocks += [ColourBlock(i, paths) for i, paths in layers_plan.outline_paths(pattern, cell_mm)]
    return blocks


# ------------------------------------------------------------------------------------------------ writing


LOCK_MM = 0.5
"""Length of a lock (tie-on, tie-off) stitch: short enough to hide in a cross, long enough to hold."""


def _toward(a: np.ndarray, b: np.ndarray, mm: float) -> np.ndarray:
    """The point ``mm`` from ``a`` towards ``b`` (at most halfway; ``a`` itself when they coincide)."""
    d = np.asarray(b, float) - np.asarray(a, float)
    length = float(np.hypot(*d))
    return np.asarray(a, float) if length == 0 else np.asarray(a, float) + d / length * min(mm, length / 2)


def _ascii(text: str, limit: int) -> str:
    """DST headers hold a few ASCII characters; keep what fits."""
    clean = "".join(ch if 32 <= ord(ch) < 127 else "_" for ch in text)
    return clean[:limit] or "PixlCraft"


def build_embroidery(pattern: Pattern, options: dict[str, Any], reporter: Reporter | None = None,
                     pec_jumps: bool = False):
    """A pystitch ``EmbPattern`` of the design (coordinates in 0.1 mm, centred on the origin). ``pec_jumps``
    for PES, whose PEC stitch block drops the needle at the end of every jump."""
    try:
        import pystitch
    except ImportError:
        raise InputError("machine embroidery export needs the pystitch package: pip install pystitch") from None

    cell_mm = float(options["cell_mm"])
    trim_mm = float(options["trim_mm"])
    ties = bool(options.get("ties", True))
    blocks = plan_stitches(pattern, cell_mm, reporter)
    if not blocks:
        raise InputError("the pattern has no stitches, so there is nothing to embroider.")
    cx, cy = pattern.width * cell_mm / 2, pattern.height * cell_mm / 2

    def units(p: np.ndarray) -> tuple[float, float]:
        return round((p[0] - cx) * UNITS_PER_MM), round((p[1] - cy) * UNITS_PER_MM)

    emb = pystitch.EmbPattern()
    emb.metadata("name", _ascii(str(pattern.metadata.get("title") or "PixlCraft"), 16))
    brand = pattern.palette.brand
    for bi, block in enumerate(blocks):
        entry = pattern.palette[block.index]
        thread = pystitch.EmbThread()
        thread.set_color(*entry.rgb)
        thread.description = entry.name
        thread.catalog_number = entry.code
        thread.brand = brand
        emb.add_thread(thread)
        if bi > 0:
            emb.color_change()
        last: np.ndarray | None = None
        for path in block.paths:
            start = path[0]
            if last is not None and math.dist(last, start) > trim_mm:
                emb.trim()
            # Jump to a point a lock's length inside the first stitch, and sew back to the start: the needle's
            # first stitch moves (a jump and then a stitch on the same spot would be a zero-length stitch).
            inside = _toward(path[0], path[1] if len(path) > 1 else path[0], LOCK_MM)
            if pec_jumps:  # PEC marks the needle going down after a jump by a stitch on the jump's own spot
                emb.add_stitch_absolute(pystitch.JUMP, *units(path[0]))
                emb.add_stitch_absolute(pystitch.STITCH, *units(path[0]))
                sewn = [inside, path[0]] if ties else []
            else:
                emb.add_stitch_absolute(pystitch.JUMP, *units(inside))
                sewn = [path[0], inside, path[0]] if ties else [path[0]]  # tie-on: small stitches that move
            sewn += list(path[1:])
            if ties and len(path) > 1:  # tie-off: back and forth along the last stitch
                end_lock = _toward(path[-1], path[-2], LOCK_MM)
                sewn += [end_lock, path[-1], end_lock]
            previous = None
            for p in sewn:
                u = units(p)
                if u != previous:  # never two needle drops on one spot
                    emb.add_stitch_absolute(pystitch.STITCH, *u)
                previous = u
            last = path[-1]
        if reporter is not None:
            reporter.check()
    emb.end()
    return emb


#: The usual home-machine hoops (sewing field, width × height in mm, as the machines list them).
HOOPS: dict[str, tuple[int, int]] = {"100x100": (100, 100), "130x180": (130, 180), "160x260": (160, 260),
                                     "200x200": (200, 200), "200x300": (200, 300), "360x200": (360, 200)}


def parse_hoop(text: str) -> tuple[int, int] | None:
    """A hoop name or a custom ``WxH`` in mm; None for auto (the smallest usual hoop the design fits)."""
    t = str(text).strip().lower().replace("×", "x").replace(" ", "").removesuffix("mm")
    if t in ("", "auto"):
        return None
    if t in HOOPS:
        return HOOPS[t]
    try:
        w, h = (int(float(v)) for v in t.split("x"))
    except ValueError:
        raise InputError(f"a hoop is a size such as 130x180 (millimetres) or auto, not '{text}'.") from None
    if not (20 <= w <= 1000 and 20 <= h <= 1000):
        raise InputError(f"a hoop of {w}×{h} mm is not a machine hoop; give its sewing field in millimetres.")
    return (w, h)


def fit_hoop(width_mm: float, height_mm: float, hoop: str) -> tuple[tuple[int, int], bool]:
    """(the hoop, whether the design must be turned 90° to fit it); :class:`InputError` when it fits none."""
    wanted = parse_hoop(hoop)
    candidates = [wanted] if wanted else sorted(HOOPS.values(), key=lambda s: s[0] * s[1])
    for w, h in candidates:
        if width_mm <= w and height_mm <= h:
            return (w, h), False
        if height_mm <= w and width_mm <= h:
            return (w, h), True
    largest = wanted or max(HOOPS.values(), key=lambda s: s[0] * s[1])
    raise InputError(
        f"the design is {width_mm:.0f}×{height_mm:.0f} mm, larger than the {largest[0]}×{largest[1]} mm hoop "
        f"{'chosen' if wanted else 'of any usual home machine'}; choose a larger hoop (--hoop, e.g. 200x300), a "
        "smaller stitch (--cell-mm), or make the pattern smaller.",
        gui=f"The design is {width_mm:.0f}×{height_mm:.0f} mm and does not fit the {largest[0]}×{largest[1]} mm "
            "hoop. Choose a larger hoop or a smaller stitch size here, or make the pattern smaller.")


def _set_pes_hoop(data: bytes, hoop: tuple[int, int]) -> bytes:
    """Write the hoop into a version 6 PES header (pystitch always writes 100×100 there). The header is:
    signature (8), PEC offset (4), hoop flag (2), "02" (2), five length-prefixed strings, two flags (2 + 2),
    then the hoop width and height in mm (2 + 2, little-endian)."""
    if not data.startswith(b"#PES0060"):
        return data
    at = 8 + 4 + 2 + 2
    for _ in range(5):
        at += 1 + data[at]
    at += 4
    return data[:at] + int(hoop[0]).to_bytes(2, "little") + int(hoop[1]).to_bytes(2, "little") + data[at + 4:]


def _write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter, writer_name: str,
           settings: dict[str, Any]) -> list[Path]:
    import pystitch

    cell = float(options["cell_mm"])
    hoop, turn = fit_hoop(pattern.width * cell, pattern.height * cell, options["hoop"])
    if turn:  # sewn turned a quarter: it fits the hoop only that way round
        pattern = Pattern(np.ascontiguousarray(np.rot90(pattern.grid, -1)), pattern.palette, pattern.metadata,
                          rotate_clockwise(pattern.layers, pattern.height))
    emb = build_embroidery(pattern, options, reporter, pec_jumps=writer_name == "PesWriter")
    reporter.report("writing stitches", 0, 1)
    # the locks are sewn by build_embroidery itself (pystitch's would anchor on the needle's own spot)
    settings = {**settings, "tie_on": pystitch.CONTINGENCY_TIE_ON_NONE,
                "tie_off": pystitch.CONTINGENCY_TIE_OFF_NONE}
    buf = io.BytesIO()
    pystitch.EmbPattern.write_embroidery(getattr(pystitch, writer_name), emb, buf, settings)
    return [write_bytes(path, _set_pes_hoop(buf.getvalue(), hoop))]


def write_pes(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    # Version 1 (the default) is read by every Brother and Baby Lock machine and by all software, and is what
    # Ink/Stitch writes; its threads are indexes into Brother's 64-colour chart (the nearest is chosen), which
    # is all a machine shows anyway. Version 6 keeps each thread's own colour, name and code and the hoop, for
    # PE-Design and newer machines, but older machines read only up to version 4 or 1.
    return _write(pattern, path, options, reporter, "PesWriter", {"version": int(options["pes_version"])})


def write_dst(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    return _write(pattern, path, options, reporter, "DstWriter", {})


_OPTIONS = [
    ExportOption("cell_mm", float, 2.5, "size of one cross stitch in millimetres (2.5 mm ≈ 10 per inch)",
                 min=1.0, max=8.0),
    ExportOption("trim_mm", float, 3.0, "trim the thread before a jump longer than this many millimetres",
                 min=0.5, max=100.0),
    ExportOption("ties", bool, True, "lock each thread with three tiny stitches where it starts and ends"),
    ExportOption("hoop", str, "auto", "the machine's hoop: 100x100, 130x180, 160x260, 200x200, 200x300, 360x200 "
                 "or your own WxH in mm; auto takes the smallest that fits. The design is turned when that makes "
                 "it fit, and refused when it fits none"),
]
_PES_VERSION = ExportOption("pes_version", int, 1, "PES version: 1 (default) opens on every Brother/Baby Lock "
                            "machine; 6 keeps the exact thread colours and names (PE-Design, newer machines)",
                            choices=(1, 6))

FORMATS = [
    ExportFormat("pes", ".pes", "Brother/Babylock machine embroidery (cross-stitch fill, thread colours)",
                 ["stitch"], [*_OPTIONS, _PES_VERSION], write_pes, limits=layers_plan.limits_note),
    ExportFormat("dst", ".dst", "Tajima DST machine embroidery (cross-stitch fill; colour changes only)",
                 ["stitch"], _OPTIONS, write_dst, limits=layers_plan.limits_note),
]
