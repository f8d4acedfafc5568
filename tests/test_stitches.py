"""Stitch layers beside the grid: the model, colour edits acting on them, and their .pixl (format 2) storage."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.edit import CompactPalette, MergeColors, Paint, ReplaceColor, UndoStack
from pixlcraft.errors import InputError, PatternFileError
from pixlcraft.material import GENERIC
from pixlcraft.palette import Palette, PaletteEntry
from pixlcraft.pattern import EMPTY, FORMAT_VERSION, Pattern, load_pixl, save_pixl
from pixlcraft.reduce import ReduceColors
from pixlcraft.stitches import (
    BACKSTITCH,
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    HALF_CELL,
    NO_STITCH,
    STRAIGHT_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
    part_kind,
)

TOY = Palette("toy", "Toy", GENERIC, (
    PaletteEntry("A", "red", (200, 0, 0)),
    PaletteEntry("A2", "nearly the same red", (203, 2, 0)),
    PaletteEntry("B", "blue", (0, 0, 200)),
    PaletteEntry("C", "green", (0, 160, 0)),
    PaletteEntry("K", "black", (0, 0, 0)),
    PaletteEntry("U", "unused", (255, 255, 0)),
))
RED, RED2, BLUE, GREEN, BLACK, UNUSED = range(6)


def layered(h: int = 4, w: int = 6) -> Pattern:
    """Full crosses in red and blue; part stitches in red2 and green; backstitches, knots and beads that use
    black, which is in no cell."""
    grid = np.full((h, w), EMPTY, np.int16)
    grid[0, :3] = RED
    grid[1, :2] = BLUE
    q = np.full((h, w, 4), NO_STITCH, np.int16)
    q[2, 2, [TOP_LEFT, BOTTOM_RIGHT, BOTTOM_LEFT]] = RED2  # three-quarter stitch
    q[2, 2, TOP_RIGHT] = GREEN  # and a quarter stitch of another colour in the same cell
    q[3, 4, [BOTTOM_LEFT, TOP_RIGHT]] = GREEN  # a / half stitch
    lines = Lines.from_cells([[0, 0, 3, 0], [3, 0, 3, 1.5], [0.5, 2.2, 2, 4]], [BLACK, BLACK, RED2], [1, 1, 2],
                             [BACKSTITCH, BACKSTITCH, STRAIGHT_STITCH])
    knots = Points.from_cells([[1.5, 2.5], [6, 4]], BLACK, 2)
    beads = Points.from_cells([[4.0625, 0.75]], GREEN)
    return Pattern(grid, TOY, {"title": "layers"}, StitchLayers(q, lines, knots, beads))


def test_default_layers_are_empty_and_cost_nothing() -> None:
    p = Pattern(np.zeros((3, 3), np.int16), TOY)
    assert p.layers.is_empty and p.layers.quarters is None and p.layers.summary() == ""
    assert p.used_indices().tolist() == [RED]
    p.layers = None  # also accepted: no layers
    p.validate()
    assert p.layers.is_empty


def test_positions_are_exact_units_and_drawn_in_cells() -> None:
    p = layered()
    bs = p.layers.backstitches
    assert bs.xy.dtype == np.int32 and bs.xy[1].tolist() == [3 * UNITS_PER_CELL, 0, 3 * UNITS_PER_CELL,
                                                             UNITS_PER_CELL + HALF_CELL]
    assert bs.cells()[2].tolist() == [0.5, 2.2, 2.0, 4.0]  # fifths are exact
    assert p.layers.beads.cells().tolist() == [[4.0625, 0.75]]  # so are sixteenths
    assert bs.lengths() == pytest.approx([3, 1.5, np.hypot(1.5, 1.8)])
    per = bs.length_per_colour(len(TOY))
    assert per[BLACK] == pytest.approx(4.5) and per[RED2] == pytest.approx(np.hypot(1.5, 1.8))
    with pytest.raises(ValueError):
        bs.xy[0, 0] = 7  # read-only: copies of a pattern share layers safely


def test_part_stitches_one_per_cell_and_colour() -> None:
    parts = layered().layers.part_stitches()
    rows = zip(parts.ys, parts.xs, parts.colour, parts.mask, strict=True)
    got = [(int(y), int(x), int(c), part_kind(m)) for y, x, c, m in rows]
    assert got == [(2, 2, RED2, "three-quarter"), (2, 2, GREEN, "quarter"), (3, 4, GREEN, "half")]
    assert [part_kind(m) for m in (0b0011, 0b1001, 0b0110, 0b1111)] == ["two quarters", "half", "half", "cross"]


def test_counts_used_and_summary() -> None:
    p = layered()
    assert p.counts().tolist() == [3, 0, 2, 0, 0, 0]  # full crosses only
    c = p.layer_counts()
    assert c.part_stitches.tolist() == [0, 1, 0, 2, 0, 0]
    assert c.quarters.tolist() == [0, 3, 0, 3, 0, 0]
    assert c.backstitches.tolist() == [0, 1, 0, 0, 2, 0]
    assert c.knots.tolist() == [0, 0, 0, 0, 2, 0] and c.beads.tolist() == [0, 0, 0, 1, 0, 0]
    # a colour used only in the layers (black backstitching) is used: a thread to buy and to keep
    assert p.used_indices().tolist() == [RED, RED2, BLUE, GREEN, BLACK]
    assert p.layers.summary() == "3 part stitches, 3 backstitches, 2 French knots and 1 bead"


def test_compact_remaps_every_layer() -> None:
    p = layered()
    small = p.compact()
    assert [e.code for e in small.palette] == ["A", "A2", "B", "C", "K"]
    # the same pattern with an unused colour first: every index one higher, in the grid and the layers
    spare = PaletteEntry("Z", "spare", (9, 9, 9))
    p2 = Pattern(np.where(p.grid >= 0, p.grid + 1, EMPTY), Palette("x", "Toy", GENERIC, (spare, *TOY.entries)),
                 {}, p.layers.remap(np.arange(len(TOY)) + 1))
    small2 = p2.compact()
    assert [e.code for e in small2.palette] == ["A", "A2", "B", "C", "K"]
    assert small2.layers.equals(small.layers) and np.array_equal(small2.grid, small.grid)
    assert small2.layers.backstitches.colour.tolist() == [4, 4, 1]


def test_copy_shares_the_read_only_layers() -> None:
    p = layered()
    c = p.copy()
    assert c.layers is p.layers and c.grid is not p.grid


@pytest.mark.parametrize("make, words", [
    (lambda: StitchLayers(np.full((4, 5, 4), RED, np.int16)), "cover 5×4 cells"),
    (lambda: StitchLayers(np.full((4, 6, 4), 9, np.int16)), "colour number 9"),
    (lambda: StitchLayers(np.full((4, 6, 3), RED, np.int16)), "(H, W, 4)"),
    (lambda: StitchLayers(np.full((4, 6, 4), 0.5)), "whole palette indices"),
    (lambda: StitchLayers(backstitches=Lines.from_cells([[0, 0, 6.5, 1]], RED)), "outside the 6×4 chart"),
    (lambda: StitchLayers(backstitches=Lines.from_cells([[1, 1, 1, 1]], RED)), "same point"),
    (lambda: StitchLayers(backstitches=Lines.from_cells([[0, 0, 1, 1]], 6)), "colour number 6"),
    (lambda: StitchLayers(backstitches=Lines.from_cells([[0, 0, 1, 1]], RED, 13)), "13 strands"),
    (lambda: StitchLayers(backstitches=Lines.from_cells([[0, 0, 1, 1]], RED, 1, 5)), "kind 5"),
    (lambda: StitchLayers(knots=Points.from_cells([[-0.5, 1]], RED)), "French knot 1 at (-0.5, 1)"),
    (lambda: StitchLayers(beads=Points.from_cells([[1, 4.5]], RED)), "bead 1"),
    (lambda: StitchLayers(beads=Points(np.zeros((2, 3), np.int32), RED)), "shape (2, 3)"),
    (lambda: StitchLayers(beads=Points(np.zeros((2, 2), np.int32), [RED])), "colour has shape (1,)"),
    (lambda: StitchLayers(beads=[(1, 1)]), "must be Points"),
])
def test_invalid_layers_are_refused_with_a_clear_error(make, words: str) -> None:
    grid = np.zeros((4, 6), np.int16)
    with pytest.raises(InputError) as err:
        Pattern(grid, TOY, {}, make())
    assert words in str(err.value)


def test_validate_catches_a_palette_that_shrank_under_the_layers() -> None:
    p = layered()
    p.palette = TOY.subset([0, 1, 2, 3])  # black, used by the backstitches, is gone
    with pytest.raises(InputError, match="colour number 4"):
        p.validate()


# ------------------------------------------------------------------------------------------------ edits


def run_and_undo(p: Pattern, command) -> tuple[Pattern, Pattern]:
    """The pattern after ``command``, and after undo and redo (which must give the same layers back)."""
    before_layers, before_grid = p.layers, p.grid.copy()
    stack = UndoStack(p)
    events = []
    stack.add_listener(events.append)
    assert stack.push(command)
    after = p.copy()
    stack.undo()
    assert p.layers.equals(before_layers) and np.array_equal(p.grid, before_grid)
    stack.redo()
    assert p.layers.equals(after.layers) and np.array_equal(p.grid, after.grid)
    if command.layers_changed:
        assert all(e.cells is None for e in events)  # the view repaints everything: lines moved colour
    return after, p


def test_merge_acts_on_every_layer_and_undoes() -> None:
    p = layered()
    after, _ = run_and_undo(p, MergeColors([RED2, GREEN], RED))
    c = after.layer_counts()
    assert c.quarters.tolist() == [6, 0, 0, 0, 0, 0] and c.beads.tolist() == [1, 0, 0, 0, 0, 0]
    assert after.layers.backstitches.colour.tolist() == [BLACK, BLACK, RED]
    assert after.layers.part_stitches().mask.tolist() == [0b1111, 0b0110]  # the two colours of one cell are one


def test_replace_a_colour_used_only_in_backstitches() -> None:
    p = layered()
    cmd = ReplaceColor(BLACK, PaletteEntry("Z", "navy", (0, 0, 80)))
    after, _ = run_and_undo(p, cmd)
    assert cmd.changed and cmd.cell_count == 0 and cmd.layers_changed  # no cell is black, yet it changed
    navy = len(TOY)
    assert len(after.palette) == len(TOY) + 1 and after.palette[navy].code == "Z"
    assert after.layers.backstitches.colour.tolist() == [navy, navy, RED2]
    assert after.layers.knots.colour.tolist() == [navy, navy]


def test_merge_into_empty_removes_those_stitches() -> None:
    p = layered()
    after, _ = run_and_undo(p, MergeColors([BLACK, GREEN], EMPTY))
    assert len(after.layers.backstitches) == 1 and not len(after.layers.knots) and not len(after.layers.beads)
    assert after.layers.part_stitches().colour.tolist() == [RED2]


def test_painting_leaves_the_layers_alone() -> None:
    p = layered()
    layers = p.layers
    cmd = Paint([(3, 4)], RED)
    run_and_undo(p, cmd)
    assert not cmd.layers_changed and p.layers is layers


def test_compact_palette_command_remaps_the_layers() -> None:
    p = layered()
    after, _ = run_and_undo(p, CompactPalette())
    assert len(after.palette) == 5  # UNUSED goes; BLACK (backstitches only) stays
    assert after.layers.equals(layered().compact().layers)


def test_reduce_merges_in_the_layers_and_leaves_layer_only_colours() -> None:
    p = layered()
    p.grid[1, 3] = RED2  # the nearly-same red now fills a cell too, beside red and blue
    after, _ = run_and_undo(p, ReduceColors(2))
    assert after.counts().tolist() == [4, 0, 2, 0, 0, 0]  # red2 went into red
    q = after.layers.quarters
    assert not (q == RED2).any() and (q == RED).sum() == 3 and (q == GREEN).sum() == 3
    assert after.layers.backstitches.colour.tolist() == [BLACK, BLACK, RED]
    # green (part stitches, a bead) and black (backstitches, knots) fill no cell: not counted against K, kept
    assert after.layers.knots.colour.tolist() == [BLACK, BLACK] and after.layers.beads.colour.tolist() == [GREEN]


# ------------------------------------------------------------------------------------------------ .pixl


def test_pixl_round_trip_keeps_every_layer_exactly(tmp_path: Path) -> None:
    p = layered()
    save_pixl(p, tmp_path / "l.pixl")
    back = load_pixl(tmp_path / "l.pixl")
    small = p.compact()
    assert back.layers.equals(small.layers)
    for name in ("backstitches", "knots", "beads"):
        a, b = getattr(small.layers, name), getattr(back.layers, name)
        assert np.array_equal(a.xy, b.xy) and np.array_equal(a.colour, b.colour)
        assert np.array_equal(a.strands, b.strands)
    assert np.array_equal(back.layers.quarters, small.layers.quarters)
    assert np.array_equal(back.layers.backstitches.kind, small.layers.backstitches.kind)
    with zipfile.ZipFile(tmp_path / "l.pixl") as zf:
        doc = json.loads(zf.read("pattern.json"))
        assert doc["version"] == FORMAT_VERSION == 2
        assert doc["layers"] == {"units_per_cell": UNITS_PER_CELL, "quarters": "quarters.npy",
                                 "backstitches": "backstitches.npy", "knots": "knots.npy", "beads": "beads.npy"}
        quarters = np.load(io.BytesIO(zf.read("quarters.npy")))
        assert quarters.dtype == np.int32 and quarters.shape == (2, 6)  # only the two cells that have any


def test_pixl_without_layers_is_format_1_and_opens_empty(tmp_path: Path) -> None:
    p = Pattern(np.array([[0, 1], [2, EMPTY]], np.int16), TOY, {"title": "v1"})
    save_pixl(p, tmp_path / "v1.pixl")
    with zipfile.ZipFile(tmp_path / "v1.pixl") as zf:
        assert json.loads(zf.read("pattern.json"))["version"] == 1
        assert sorted(zf.namelist()) == ["grid.npy", "pattern.json", "preview.png"]
    back = load_pixl(tmp_path / "v1.pixl")
    assert back.layers.is_empty and back.grid.tolist() == [[0, 1], [2, EMPTY]]


def rewrite(src: Path, dst: Path, *, doc_change=None, members: dict[str, bytes] | None = None) -> Path:
    """A copy of a .pixl with its pattern.json changed and members replaced (None removes one)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        doc = json.loads(zin.read("pattern.json"))
        if doc_change:
            doc_change(doc)
        zout.writestr("pattern.json", json.dumps(doc))
        for name in zin.namelist():
            if name != "pattern.json" and name not in (members or {}):
                zout.writestr(name, zin.read(name))
        for name, data in (members or {}).items():
            if data is not None:
                zout.writestr(name, data)
    return dst


def npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def test_a_version_1_file_with_layer_members_ignores_them(tmp_path: Path) -> None:
    save_pixl(layered(), tmp_path / "l.pixl")
    v1 = rewrite(tmp_path / "l.pixl", tmp_path / "v1.pixl", doc_change=lambda d: d.update(version=1))
    back = load_pixl(v1)  # format 1 has no layers: whatever else is inside is not read
    assert back.layers.is_empty and back.counts().sum() == 5


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    save_pixl(layered(), tmp_path / "l.pixl")
    newer = rewrite(tmp_path / "l.pixl", tmp_path / "n.pixl", doc_change=lambda d: d.update(version=3))
    with pytest.raises(PatternFileError, match="newer PixlCraft .*please update"):
        load_pixl(newer)


def _set_layer(name: str, value):
    return lambda d: d["layers"].__setitem__(name, value)


@pytest.mark.parametrize("doc_change, members, words", [
    (_set_layer("units_per_cell", 2), None, "1/2 of a cell"),
    (lambda d: d.__setitem__("layers", ["quarters.npy"]), None, "names its stitch layers wrongly"),
    (None, {"backstitches.npy": None}, "backstitches (backstitches.npy) are missing"),
    (None, {"knots.npy": b"not a numpy file"}, "French knots cannot be read"),
    (None, {"quarters.npy": None}, "part stitches (quarters.npy) are missing"),
    (None, {"beads.npy": npy(np.zeros((1, 4), np.float32))}, "beads do not hold whole numbers"),
    (None, {"beads.npy": npy(np.zeros((1, 5), np.int32))}, "table has shape (1, 5)"),
    (None, {"backstitches.npy": npy(np.array([[0, 0, 240, 240, 9, 0, 0]], np.int32))}, "colour number 9"),
    (None, {"backstitches.npy": npy(np.array([[0, 0, 9999, 240, 0, 0, 0]], np.int32))}, "outside the 6×4"),
    (None, {"knots.npy": npy(np.array([[0, 0, 0, 300]], np.int32))}, "outside 0–255"),
    (None, {"quarters.npy": npy(np.array([[9, 0, 0, 0, 0, 0]], np.int32))}, "outside the 6×4 pattern"),
    (None, {"quarters.npy": npy(np.array([[0, 0, 0, 0, 0, 0]] * 2, np.int32))}, "lists a cell twice"),
    (None, {"quarters.npy": npy(np.array([[0, 0, 7, 0, 0, 0]], np.int32))}, "outside the palette"),
])
def test_damaged_layers_are_refused_with_a_clear_message(tmp_path: Path, doc_change, members, words) -> None:
    save_pixl(layered(), tmp_path / "l.pixl")
    bad = rewrite(tmp_path / "l.pixl", tmp_path / "bad.pixl", doc_change=doc_change, members=members)
    with pytest.raises(PatternFileError) as err:
        load_pixl(bad)
    message = str(err.value)
    assert str(bad) in message and words in message
