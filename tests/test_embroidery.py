"""Machine embroidery (PES, DST): files are read back with pystitch and compared with the pattern cell by cell."""

from __future__ import annotations

import math

import numpy as np
import pystitch
import pytest

from pixlcraft.errors import InputError
from pixlcraft.export import export
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern

READERS = {"pes": pystitch.PesReader, "dst": pystitch.DstReader}


def _pattern(seed: int = 3, h: int = 9, w: int = 11, colours: int = 4, empty: float = 0.15) -> Pattern:
    rng = np.random.default_rng(seed)
    # blobs rather than noise: a few areas per colour, some touching, some far apart
    grid = np.zeros((h, w), np.int16)
    for k in range(1, colours):
        y, x = rng.integers(0, h), rng.integers(0, w)
        grid[max(0, y - 2) : y + 2, max(0, x - 3) : x + 2] = k
    grid[rng.random((h, w)) < empty] = EMPTY
    grid[0, 0] = 0
    pal = load_builtin("dmc").subset([0, 12, 40, 77, 120][:colours])
    return Pattern(grid, pal, {"title": "Blobs"})


def _read(path, fmt):
    return pystitch.EmbPattern.read_embroidery(READERS[fmt], str(path))


def _blocks(emb) -> list[list[tuple[tuple[int, int], tuple[int, int]]]]:
    """Sewn segments (pairs of needle points, 0.1 mm) per colour block: two consecutive STITCH commands."""
    blocks: list[list] = [[]]
    prev = None
    for x, y, cmd in emb.stitches:
        cmd &= pystitch.COMMAND_MASK
        if cmd == pystitch.COLOR_CHANGE:
            blocks.append([])
            prev = None
        elif cmd == pystitch.STITCH:
            if prev is not None and prev != (x, y):
                blocks[-1].append((prev, (x, y)))
            prev = (x, y)
        else:
            prev = None
    return [b for b in blocks if b]


def _expected_order(pattern: Pattern) -> list[int]:
    counts = pattern.counts()
    return sorted(np.flatnonzero(counts).tolist(), key=lambda i: (-counts[i], i))


@pytest.mark.parametrize("fmt", ["pes", "dst"])
def test_every_cell_is_an_x_in_its_own_colour_block(tmp_path, fmt):
    pattern = _pattern()
    cell = 2.5
    out = export(pattern, fmt, tmp_path / f"x.{fmt}", {"cell_mm": cell, "ties": False})
    emb = _read(out[0], fmt)
    order = _expected_order(pattern)
    assert emb.count_color_changes() == len(order) - 1
    blocks = _blocks(emb)
    assert len(blocks) == len(order)

    unit = cell * 10
    ox, oy = pattern.width * unit / 2, pattern.height * unit / 2

    def corner(p):
        gx, gy = (p[0] + ox) / unit, (p[1] + oy) / unit
        assert abs(gx - round(gx)) < 0.05 and abs(gy - round(gy)) < 0.05, "needle off the cell corners"
        return round(gx), round(gy)

    for idx, segs in zip(order, blocks, strict=True):
        sewn = {frozenset((corner(a), corner(b))) for a, b in segs}
        want = set()
        for r, c in zip(*np.nonzero(pattern.grid == idx), strict=True):
            want.add(frozenset(((c, r), (c + 1, r + 1))))
            want.add(frozenset(((c + 1, r), (c, r + 1))))
        diagonals = {s for s in sewn if len({p[0] for p in s}) == 2 and len({p[1] for p in s}) == 2}
        assert diagonals == want, f"colour {idx}: crosses differ from the pattern"
        # the only other stitches are short walks along cell edges that crosses cover: an edge of a cell of this
        # colour, or an edge between cells of colours sewn later
        later = set(order[order.index(idx) + 1 :])
        for s in sewn - diagonals:
            (x0, y0), (x1, y1) = sorted(s)
            assert abs(x1 - x0) + abs(y1 - y0) == 1
            sides = [(y0, x0 - 1), (y0, x0)] if x0 == x1 else [(y0 - 1, x0), (y0, x0)]
            colours = [int(pattern.grid[r, c]) if 0 <= r < pattern.height and 0 <= c < pattern.width else None
                       for r, c in sides]
            assert idx in colours or all(c in later for c in colours), (idx, s, colours)


def test_pes_threads_are_the_palette_colours_in_sewing_order(tmp_path):
    pattern = _pattern(seed=5)
    emb = _read(export(pattern, "pes", tmp_path / "t.pes", {"pes_version": 6})[0], "pes")
    order = _expected_order(pattern)
    got = [(t.get_red(), t.get_green(), t.get_blue()) for t in emb.threadlist]
    assert got == [pattern.palette[i].rgb for i in order]  # version 6 keeps the exact threads
    v1 = _read(export(pattern, "pes", tmp_path / "v1.pes")[0], "pes")  # the default: version 1
    assert (tmp_path / "v1.pes").read_bytes().startswith(b"#PES0001")
    assert len(v1.threadlist) == len(order)  # one thread per colour change, from Brother's chart


@pytest.mark.parametrize("fmt", ["pes", "dst"])
@pytest.mark.parametrize("cell", [1.5, 4.0])
def test_stitches_stay_inside_the_design_and_follow_the_cell_size(tmp_path, fmt, cell):
    pattern = _pattern(seed=8, h=7, w=13)
    plain = _read(export(pattern, fmt, tmp_path / f"a.{fmt}", {"cell_mm": cell, "ties": False})[0], fmt)
    tied = _read(export(pattern, fmt, tmp_path / f"b.{fmt}", {"cell_mm": cell, "ties": True})[0], fmt)
    half_w, half_h = pattern.width * cell * 5, pattern.height * cell * 5
    for emb in (plain, tied):
        for x, y, cmd in emb.stitches:
            if cmd & pystitch.COMMAND_MASK == pystitch.STITCH:
                assert -half_w - 1 <= x <= half_w + 1 and -half_h - 1 <= y <= half_h + 1
    longest = max(math.dist(a, b) for block in _blocks(plain) for a, b in block)
    assert longest == pytest.approx(cell * 10 * math.sqrt(2), abs=1.5)
    filled = int(np.count_nonzero(pattern.grid != EMPTY))
    n_plain = plain.count_stitch_commands(pystitch.STITCH)
    assert n_plain >= 2 * filled
    assert tied.count_stitch_commands(pystitch.STITCH) > n_plain  # lock stitches were added


def test_distant_areas_are_trimmed_and_near_ones_jumped(tmp_path):
    pal = load_builtin("dmc").subset([5])
    grid = np.full((3, 9), EMPTY, np.int16)
    grid[1, 0] = 0
    grid[1, 8] = 0  # 8 cells = 20 mm away
    pattern = Pattern(grid, pal)
    # DST keeps the difference between a jump and a trim (PES writers mark every jump as trimmed)
    trimmed = _read(export(pattern, "dst", tmp_path / "a.dst", {"trim_mm": 3.0, "ties": False})[0], "dst")
    jumped = _read(export(pattern, "dst", tmp_path / "b.dst", {"trim_mm": 50.0, "ties": False})[0], "dst")
    assert trimmed.count_stitch_commands(pystitch.TRIM) == 1
    assert jumped.count_stitch_commands(pystitch.TRIM) == 0
    assert jumped.count_stitch_commands(pystitch.JUMP) >= 2  # to the first cell, and on to the second


def test_a_solid_area_is_sewn_without_jumps(tmp_path):
    pattern = Pattern(np.zeros((6, 5), np.int16), load_builtin("dmc").subset([3]))
    emb = _read(export(pattern, "dst", tmp_path / "s.dst", {"ties": False})[0], "dst")
    # one jump from the origin to the first corner, then stitches only
    assert emb.count_stitch_commands(pystitch.JUMP) <= 1
    assert emb.count_stitch_commands(pystitch.TRIM) == 0
    # per row of 5: 10 diagonals, 4 + 4 steps along shared edges and one turn at the end; plus the needle-down
    assert emb.count_stitch_commands(pystitch.STITCH) == 6 * (10 + 8 + 1) + 1


def test_an_irregular_area_is_sewn_in_one_piece(tmp_path):
    """A ring and a comb (rows with several runs, rows that start further left or right) are each one area:
    the needle walks along their cells' edges between passes instead of jumping."""
    grid = np.full((9, 12), EMPTY, np.int16)
    grid[0:5, 0:5] = 0
    grid[1:4, 1:4] = EMPTY  # ring
    grid[0, 6:12] = 0
    grid[1:8, 6:12:2] = 0  # comb hanging from a bar; not touching the ring
    pattern = Pattern(grid, load_builtin("dmc").subset([3]))
    emb = _read(export(pattern, "dst", tmp_path / "r.dst", {"ties": False, "trim_mm": 3.0})[0], "dst")
    assert emb.count_stitch_commands(pystitch.TRIM) == 1  # between the ring and the comb, two cells apart
    jumps = [i for i, (_, _, c) in enumerate(emb.stitches) if c & pystitch.COMMAND_MASK == pystitch.JUMP]
    runs_of_jumps = sum(1 for n, i in enumerate(jumps) if n == 0 or jumps[n - 1] != i - 1)
    assert runs_of_jumps == 2  # to the first area, then to the second


def test_areas_apart_are_joined_by_a_walk_under_a_colour_sewn_later(tmp_path):
    grid = np.zeros((6, 9), np.int16)  # colour 0 (most cells, sewn first) left and right ...
    grid[:, 4] = 1  # ... of a column of colour 1, sewn after it
    grid[2, 0:3] = EMPTY  # bare fabric elsewhere: walks never cross it
    pattern = Pattern(grid, load_builtin("dmc").subset([3, 40]))
    emb = _read(export(pattern, "dst", tmp_path / "w.dst", {"ties": False, "trim_mm": 1.0})[0], "dst")
    assert emb.count_stitch_commands(pystitch.TRIM) == 0
    first_block = _blocks(emb)[0]
    unit = 25.0
    under = 0
    for a, b in first_block:
        (xa, ya), (xb, yb) = ((round((p[0] + 4.5 * unit) / unit), round((p[1] + 3 * unit) / unit)) for p in (a, b))
        under += xa == xb == 4 or xa == xb == 5 or (ya == yb and {xa, xb} == {4, 5})
    assert under > 0  # the walk runs along the edges of the later colour's column
    jumps = [i for i, (_, _, c) in enumerate(emb.stitches) if c & pystitch.COMMAND_MASK == pystitch.JUMP]
    runs_of_jumps = sum(1 for n, i in enumerate(jumps) if n == 0 or jumps[n - 1] != i - 1)
    assert runs_of_jumps == 2  # to the start of colour 0, and to the start of colour 1; none in between


def test_empty_pattern_is_refused(tmp_path):
    pattern = Pattern(np.full((3, 3), EMPTY, np.int16), load_builtin("dmc").subset([0]))
    with pytest.raises(InputError, match="nothing to embroider"):
        export(pattern, "pes", tmp_path / "e.pes")
    assert not (tmp_path / "e.pes").exists()


def _extent_mm(emb) -> tuple[float, float]:
    xs = [x for x, y, c in emb.stitches if c & pystitch.COMMAND_MASK == pystitch.STITCH]
    ys = [y for x, y, c in emb.stitches if c & pystitch.COMMAND_MASK == pystitch.STITCH]
    return (max(xs) - min(xs)) / 10, (max(ys) - min(ys)) / 10


def test_the_design_is_fitted_to_a_hoop_turned_or_refused(tmp_path):
    from pixlcraft.errors import InputError
    from pixlcraft.export.embroidery import fit_hoop

    assert fit_hoop(90, 90, "auto") == ((100, 100), False)
    assert fit_hoop(200, 132.5, "auto") == ((200, 200), False)  # an 80×53 design at 2.5 mm: the smallest hoop
    assert fit_hoop(200, 132.5, "160x260") == ((160, 260), True)  # … or turned to fit a long hoop
    assert fit_hoop(200, 132.5, "200x300") == ((200, 300), False)
    assert fit_hoop(50, 60, "70x80") == ((70, 80), False)  # a custom hoop
    with pytest.raises(InputError, match="375×250 mm"):
        fit_hoop(375, 250, "auto")
    with pytest.raises(InputError, match="hoop is a size"):
        fit_hoop(10, 10, "huge")
    pattern = _pattern(seed=3, h=53, w=80)
    out = export(pattern, "pes", tmp_path / "h.pes", {"pes_version": 6, "ties": False, "hoop": "160x260"})[0]
    data = out.read_bytes()
    at = 8 + 4 + 2 + 2
    for _ in range(5):
        at += 1 + data[at]
    at += 4
    hoop = (int.from_bytes(data[at:at + 2], "little"), int.from_bytes(data[at + 2:at + 4], "little"))
    assert hoop == (160, 260)  # the header names the hoop it was fitted to
    w, h = _extent_mm(_read(out, "pes"))
    assert w <= 160 and h <= 260 and h > w  # sewn turned, inside the hoop
    with pytest.raises(InputError, match="larger than the 100×100 mm hoop"):
        export(pattern, "dst", tmp_path / "x.dst", {"hoop": "100x100"})
    assert not (tmp_path / "x.dst").exists()


@pytest.mark.parametrize("ties", [False, True])
def test_no_zero_length_stitches_and_locks_that_move(tmp_path, ties):
    pattern = _pattern(seed=11, h=20, w=24)
    for fmt in ("dst", "pes"):
        emb = _read(export(pattern, fmt, tmp_path / f"z.{fmt}", {"ties": ties})[0], fmt)
        zero = jumps = 0
        prev = prev_cmd = None
        lengths = []
        for x, y, cmd in emb.stitches:
            cmd &= pystitch.COMMAND_MASK
            if cmd == pystitch.STITCH and prev is not None:
                d = math.dist(prev, (x, y))
                if d == 0 and prev_cmd == pystitch.STITCH:
                    zero += 1
                elif d == 0:
                    jumps += fmt == "pes"  # PEC's needle-down mark after a jump (its own encoding)
                if d:
                    lengths.append(d)
            prev, prev_cmd = (x, y), cmd
        assert zero == 0, fmt  # never two needle drops on one spot
        assert min(lengths) >= 4  # the shortest stitch is a lock of about 0.5 mm (0.4 mm after rounding)


@pytest.mark.parametrize("fmt", ["pes", "dst"])
def test_every_cross_has_its_top_leg_the_same_way(tmp_path, fmt):
    pattern = _pattern(seed=4, h=9, w=14)
    cell = 2.5
    emb = _read(export(pattern, fmt, tmp_path / f"t.{fmt}", {"cell_mm": cell, "ties": False})[0], fmt)
    unit = cell * 10
    ox, oy = pattern.width * unit / 2, pattern.height * unit / 2
    last_leg: dict[tuple[int, int], str] = {}  # cell → the diagonal sewn last (the one on top)
    for block in _blocks(emb):
        for a, b in block:
            (xa, ya), (xb, yb) = ((round((p[0] + ox) / unit), round((p[1] + oy) / unit)) for p in (a, b))
            if abs(xa - xb) == 1 and abs(ya - yb) == 1:
                cell_at = (min(ya, yb), min(xa, xb))
                last_leg[cell_at] = "\\" if (xb - xa) * (yb - ya) > 0 else "/"
    assert len(last_leg) == int(np.count_nonzero(pattern.grid != EMPTY))
    assert set(last_leg.values()) == {"/"}  # the top leg is "/" in every cell
