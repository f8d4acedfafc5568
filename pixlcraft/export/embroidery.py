"""Machine embroidery: the pattern as cross stitches sewn by an embroidery machine (PES for Brother/Babylock,
DST for Tajima and almost every other machine).

Each cell becomes an X of two diagonal stitches, ``cell_mm`` wide. Sewing cell by cell would leave a visible
travel stitch inside every cell, so the plan works a row of same-colour cells the way hand stitchers do: a
zig-zag along the row lays one diagonal in every cell, one short stitch down the row's end turns the needle,
and a zig-zag back lays the other diagonals. That leaves one travel stitch per row, on the outer edge of the
row, and the return ends at the row's bottom-left corner, which is the top-left corner of the next row — so
a solid area is sewn in one piece without a single jump.

A colour is sewn one connected area at a time (nearest area next), so the needle jumps only between areas;
jumps longer than ``trim_mm`` are trimmed (a long loose thread would catch the presser foot or show). Colours
are sewn largest area first: big fills first stabilise the fabric before the small details. The stitch data
itself is written by pystitch, the Ink/Stitch project's maintained fork of pyembroidery.

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
from .registry import ExportFormat, ExportOption, write_bytes

UNITS_PER_MM = 10
"""Embroidery files count in tenths of a millimetre."""
MAX_COMPONENTS_GREEDY = 4000
"""Above this many separate areas of one colour, areas are sewn in reading order instead of nearest-first
(nearest-first is quadratic; a confetti pattern with that many areas is not worth optimising)."""


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

    The forward pass starts at the top-left corner and alternates top/bottom; the return pass uses the
    opposite corners, so the two passes together cross every cell with both diagonals.
    """
    ks = range(0, b - a + 1) if forward else range(b - a, -1, -1)
    if forward:
        return [(a + k, r + (k % 2)) for k in ks]
    return [(a + k, r + 1 - (k % 2)) for k in ks]


def _component_paths(mask: np.ndarray, y0: int, x0: int) -> list[list[tuple[int, int]]]:
    """Paths (cell-corner points) covering one connected area given as a mask with its top-left at (y0, x0)."""
    paths: list[list[tuple[int, int]]] = []
    for dy in range(mask.shape[0]):
        runs = [(a + x0, b + x0) for a, b in _row_runs(mask[dy])]
        if not runs:
            continue
        r = y0 + dy
        row_paths = [_zigzag(a, b, r, True) for a, b in runs[:-1]]
        a, b = runs[-1]
        row_paths.append(_zigzag(a, b, r, True) + _zigzag(a, b, r, False))
        row_paths += [_zigzag(a, b, r, False) for a, b in reversed(runs[:-1])]
        for p in row_paths:
            if paths and paths[-1][-1] == p[0]:
                paths[-1].extend(p[1:])  # the previous row ended where this one starts: no jump
            else:
                paths.append(p)
    return paths


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
    """The whole design as colour blocks of needle paths, in sewing order (largest colour first)."""
    import cv2

    grid = pattern.grid
    counts = pattern.counts()
    colours = sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i))
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
            comps.append(_component_paths(sub, y, x))
        starts = np.array([c[0][0] for c in comps], float)
        ends = np.array([c[-1][-1] for c in comps], float)
        paths = []
        for i in _order_components(starts, ends):
            for p in comps[i]:
                if paths and paths[-1][-1] == p[0]:
                    paths[-1].extend(p[1:])
                else:
                    paths.append(list(p))
        blocks.append(ColourBlock(int(idx), [np.asarray(p, float) * cell_mm for p in paths]))
    return blocks


# ------------------------------------------------------------------------------------------------ writing


def _ascii(text: str, limit: int) -> str:
    """DST headers hold a few ASCII characters; keep what fits."""
    clean = "".join(ch if 32 <= ord(ch) < 127 else "_" for ch in text)
    return clean[:limit] or "PixlCraft"


def build_embroidery(pattern: Pattern, options: dict[str, Any], reporter: Reporter | None = None):
    """A pystitch ``EmbPattern`` of the design (coordinates in 0.1 mm, centred on the origin)."""
    try:
        import pystitch
    except ImportError:
        raise InputError("machine embroidery export needs the pystitch package: pip install pystitch") from None

    cell_mm = float(options["cell_mm"])
    trim_mm = float(options["trim_mm"])
    blocks = plan_stitches(pattern, cell_mm, reporter)
    if not blocks:
        raise InputError("the pattern has no filled cells, so there is nothing to embroider.")
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
            emb.add_stitch_absolute(pystitch.JUMP, *units(start))
            for p in path:
                emb.add_stitch_absolute(pystitch.STITCH, *units(p))
            last = path[-1]
        if reporter is not None:
            reporter.check()
    emb.end()
    return emb


def _write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter, writer_name: str,
           settings: dict[str, Any]) -> list[Path]:
    import pystitch

    emb = build_embroidery(pattern, options, reporter)
    reporter.report("writing stitches", 0, 1)
    ties = pystitch.CONTINGENCY_TIE_ON_THREE_SMALL, pystitch.CONTINGENCY_TIE_OFF_THREE_SMALL
    if not options["ties"]:
        ties = pystitch.CONTINGENCY_TIE_ON_NONE, pystitch.CONTINGENCY_TIE_OFF_NONE
    settings = {**settings, "tie_on": ties[0], "tie_off": ties[1]}
    buf = io.BytesIO()
    pystitch.EmbPattern.write_embroidery(getattr(pystitch, writer_name), emb, buf, settings)
    return [write_bytes(path, buf.getvalue())]


def write_pes(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    # Version 6 stores each thread's own colour, name and code; version 1 only indexes Brother's 64 colours.
    return _write(pattern, path, options, reporter, "PesWriter", {"version": 6})


def write_dst(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    return _write(pattern, path, options, reporter, "DstWriter", {})


_OPTIONS = [
    ExportOption("cell_mm", float, 2.5, "size of one cross stitch in millimetres (2.5 mm ≈ 10 per inch)",
                 min=1.0, max=8.0),
    ExportOption("trim_mm", float, 3.0, "trim the thread before a jump longer than this many millimetres",
                 min=0.5, max=100.0),
    ExportOption("ties", bool, True, "lock each thread with three tiny stitches where it starts and ends"),
]

FORMATS = [
    ExportFormat("pes", ".pes", "Brother/Babylock machine embroidery (cross-stitch fill, thread colours)",
                 ["stitch"], _OPTIONS, write_pes),
    ExportFormat("dst", ".dst", "Tajima DST machine embroidery (cross-stitch fill; colour changes only)",
                 ["stitch"], _OPTIONS, write_dst),
]
