"""Stitch layers in PES/DST: read back with pystitch, backstitch must be running stitch along its segments after
every fill, part stitches their own legs, and what a machine cannot sew is counted in the format's note."""

from __future__ import annotations

import numpy as np
import pystitch
import pytest

from pixlcraft.export import export, get_format
from pixlcraft.export.registry import limits_note
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern
from pixlcraft.stitches import (
    BOTTOM_LEFT,
    NO_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
    rotate_clockwise,
)

READERS = {"pes": pystitch.PesReader, "dst": pystitch.DstReader}
CELL = 2.5


def _pattern() -> Pattern:
    """6×4 cells: a block of colour 0, a backstitch outline in colour 2 (an L from (1,1) to (5,1) to (5,3),
    stored as two segments), a half stitch "/" of colour 1 in cell (4, 3), a French knot and a bead."""
    grid = np.full((4, 6), EMPTY, np.int16)
    grid[0:2, 0:3] = 0
    q = np.full((4, 6, 4), NO_STITCH, np.int16)
    q[3, 4, [BOTTOM_LEFT, TOP_RIGHT]] = 1
    layers = StitchLayers(q, Lines.from_cells([[1, 1, 5, 1], [5, 1, 5, 3]], 2),
                          Points.from_cells([[0.5, 3.5]], 1), Points.from_cells([[2.5, 2.5]], 0))
    return Pattern(grid, load_builtin("dmc").subset([0, 12, 40]), {"title": "Layers"}, layers)


def _blocks(emb) -> list[list[tuple[int, int]]]:
    """Needle drops (0.1 mm) per colour block."""
    blocks: list[list] = [[]]
    for x, y, cmd in emb.stitches:
        cmd &= pystitch.COMMAND_MASK
        if cmd == pystitch.COLOR_CHANGE:
            blocks.append([])
        elif cmd == pystitch.STITCH:
            blocks[-1].append((round(x), round(y)))
    return [b for b in blocks if b]


def _to_units(pattern: Pattern, x_cells: float, y_cells: float) -> np.ndarray:
    """Chart cells → the file's 0.1 mm, centred on the design as the writer does."""
    return np.array([(x_cells - pattern.width / 2) * CELL * 10, (y_cells - pattern.height / 2) * CELL * 10])


def _on_segment(p: np.ndarray, a: np.ndarray, b: np.ndarray, tol: float = 1.01) -> bool:
    ab, ap = b - a, p - a
    t = float(np.clip(ap @ ab / (ab @ ab), 0, 1))
    return float(np.hypot(*(a + t * ab - p))) <= tol


@pytest.mark.parametrize("fmt", ["pes", "dst"])
def test_backstitch_is_running_stitch_along_its_segments_after_the_fills(tmp_path, fmt) -> None:
    pattern = _pattern()
    out = tmp_path / f"l.{fmt}"
    export(pattern, fmt, out, {"cell_mm": CELL, "hoop": "100x100"})
    emb = pystitch.EmbPattern.read_embroidery(READERS[fmt], str(out))
    blocks = _blocks(emb)
    # fills: colour 0 (6 crosses), then colour 1 (its half stitch); then the outline (colour 2); then the knot
    # of colour 1 as a tack, in its own block after the outline
    assert len(blocks) == 4
    if fmt == "pes":
        rgbs = [(t.get_red(), t.get_green(), t.get_blue()) for t in emb.threadlist]
        want = [pattern.palette[i].rgb for i in (0, 1, 2, 1)]
        assert len(rgbs) == 4 and all(max(abs(a - b) for a, b in zip(g, w, strict=True)) < 60
                                      for g, w in zip(rgbs, want, strict=True))
    corner, elbow, end = (_to_units(pattern, *p) for p in ((1, 1), (5, 1), (5, 3)))
    outline = np.array(blocks[2], float)
    assert all(_on_segment(p, corner, elbow) or _on_segment(p, elbow, end) for p in outline)
    for target in (corner, elbow, end):  # every end of every segment is a needle drop
        assert np.min(np.hypot(*(outline - target).T)) <= 1.0
    # running stitch, not one long jump: 10 mm of line cut into stitches of at most 4 mm
    steps = np.hypot(*np.diff(outline, axis=0).T)
    assert steps.max() <= 40.5 and len(outline) >= 5
    # the half stitch "/" of cell (4, 3): one leg from its bottom-left to its top-right corner
    half = np.array(blocks[1], float)
    a, b = _to_units(pattern, 4, 4), _to_units(pattern, 5, 3)
    assert all(_on_segment(p, a, b) for p in half)
    assert np.min(np.hypot(*(half - a).T)) <= 1 and np.min(np.hypot(*(half - b).T)) <= 1
    # the knot: a tack at (0.5, 3.5), less than a millimetre across
    knot = np.array(blocks[3], float)
    assert np.max(np.hypot(*(knot - _to_units(pattern, 0.5, 3.5)).T)) <= 5


def test_beads_and_knots_are_named_in_the_note_not_dropped_silently() -> None:
    pattern = _pattern()
    note = limits_note(get_format("pes"), pattern)
    assert note == ("1 French knot is sewn as small tacks (a machine cannot wrap a knot); 1 bead is not in the "
                    "file: sew it on by hand after the embroidery.")
    assert limits_note(get_format("dst"), Pattern(pattern.grid, pattern.palette)) == ""


def test_rotate_clockwise_turns_layers_with_the_grid() -> None:
    pattern = _pattern()
    turned = rotate_clockwise(pattern.layers, pattern.height)
    grid = np.rot90(pattern.grid, -1)
    # the half stitch of cell (x=4, y=3) is now in cell (x=H-1-3=0, y=4), and "/" became "\"
    assert turned.quarters is not None and turned.quarters.shape == (6, 4, 4)
    assert sorted(np.flatnonzero(turned.quarters[4, 0] >= 0).tolist()) == [TOP_LEFT, 3]
    # the outline's corner (1, 1) goes to (H - 1, 1) = (3, 1); lengths are kept
    assert turned.backstitches.cells()[0].tolist() == [3, 1, 3, 5]
    assert np.allclose(turned.backstitches.lengths(), pattern.layers.backstitches.lengths())
    assert turned.knots.cells().tolist() == [[0.5, 0.5]]
    Pattern(grid, pattern.palette, {}, turned)  # fits the turned grid (checked on construction)
    assert turned.beads.xy.tolist() == [[(4 - 2.5) * UNITS_PER_CELL, 2.5 * UNITS_PER_CELL]]


def test_a_turned_design_keeps_its_backstitch(tmp_path) -> None:
    grid = np.zeros((4, 60), np.int16)  # 150×10 mm: fits the 130×180 hoop only turned
    layers = StitchLayers(backstitches=Lines.from_cells([[0, 0, 60, 0]], 1))
    pattern = Pattern(grid, load_builtin("dmc").subset([0, 12]), {}, layers)
    out = tmp_path / "t.dst"
    export(pattern, "dst", out, {"cell_mm": CELL, "hoop": "130x180"})
    line = np.array(_blocks(pystitch.EmbPattern.read_embroidery(pystitch.DstReader, str(out)))[-1], float)
    # turned clockwise, the top edge becomes the right edge: x constant at +W/2·cell, y spanning the length
    assert np.allclose(line[:, 0], 4 / 2 * CELL * 10, atol=1)
    assert line[:, 1].max() - line[:, 1].min() >= 60 * CELL * 10 - 1
