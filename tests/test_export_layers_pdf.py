"""Stitch layers on the stitch-pdf chart and in its key: the PDF's content streams are parsed back with pypdf and
the lines, shapes and glyphs are found at the page coordinates the chart layout gives their cells."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream
from test_stitch_pdf import page_glyphs

from pixlcraft.export import export
from pixlcraft.export.stitch_layers_pdf import BACKSTITCH_FACTOR, BACKSTITCH_STRANDS
from pixlcraft.export.stitch_pdf import ALLOWANCE, chart_layout, thread_key
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern
from pixlcraft.stitches import BOTTOM_LEFT, NO_STITCH, TOP_LEFT, TOP_RIGHT, Lines, Points, StitchLayers
from pixlcraft.symbols import ensure_symbols

CELL_MM = 3.0


def _pattern() -> Pattern:
    """20×12 of colour 0 with a 2-cell square of colour 1; a backstitch in colour 2, used nowhere else (so it
    needs its own symbol and key line); a "/" half stitch of colour 1 in cell (3, 8), a top-left quarter of
    colour 1 in cell (6, 8), a knot and a bead of colour 2."""
    dmc = load_builtin("dmc")
    palette = dmc.subset([dmc.index_of(c) for c in ("3865", "321", "310")])
    grid = np.zeros((12, 20), np.int16)
    grid[2:4, 2:4] = 1
    q = np.full((12, 20, 4), NO_STITCH, np.int16)
    q[8, 3, [BOTTOM_LEFT, TOP_RIGHT]] = 1
    q[8, 6, TOP_LEFT] = 1
    lines = Lines.from_cells([[2, 2, 4, 2], [4, 2, 4, 4], [10, 5, 15, 10]], 2)
    return Pattern(grid, palette, {"title": "Outlined"},
                   StitchLayers(q, lines, Points.from_cells([[12.5, 3.5]], 2), Points.from_cells([[16.5, 8.5]], 2)))


def _paths(reader: PdfReader, page_no: int) -> list[dict]:
    """Every painted path of a page: its points (page coordinates, points), paint operator, line width and
    stroke/fill colour. Only scale-and-translate ``cm`` matrices are followed (all the writers use)."""
    page = reader.pages[page_no]
    state = {"ctm": (1.0, 1.0, 0.0, 0.0), "w": 1.0, "RG": (0.0, 0.0, 0.0), "rg": (0.0, 0.0, 0.0)}
    stack, out, current, sub = [], [], [], []
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        op = op.decode()
        sx, sy, tx, ty = state["ctm"]

        def pt(a, b, sx=sx, sy=sy, tx=tx, ty=ty):
            return sx * float(a) + tx, sy * float(b) + ty

        if op == "q":
            stack.append(dict(state))
        elif op == "Q":
            state = stack.pop()
        elif op == "cm":
            a, _, _, d, e, f = (float(v) for v in operands)
            state["ctm"] = (sx * a, sy * d, sx * e + tx, sy * f + ty)
        elif op == "w":
            state["w"] = float(operands[0]) * abs(sx)
        elif op in ("RG", "rg"):
            state[op] = tuple(float(v) for v in operands)
        elif op in ("G", "g"):
            state["RG" if op == "G" else "rg"] = (float(operands[0]),) * 3
        elif op == "m":
            sub = [pt(*operands)]
            current.append(sub)
        elif op == "l":
            sub.append(pt(*operands))
        elif op == "c":
            sub.append(pt(*operands[4:6]))
        elif op == "re":
            x, y, w, h = (float(v) for v in operands)
            current.append([pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h)])
        elif op in ("S", "f", "b", "B", "f*", "s"):
            for poly in current:
                out.append({"points": poly, "op": op, "w": state["w"], "stroke": state["RG"], "fill": state["rg"]})
            current = []
        elif op == "n":
            current = []
    return out


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    pattern = _pattern()
    out = tmp_path_factory.mktemp("layers") / "o.pdf"
    files = export(pattern, "stitch-pdf", out, {"cell_mm": CELL_MM})
    return pattern, PdfReader(files[0]), PdfReader(files[1])


def _page_xy(pattern: Pattern):
    layout = chart_layout(pattern.width, pattern.height, "a4", CELL_MM, 2, "auto")
    assert len(layout.tiles) == 1
    x_left, y_top = layout.origin(layout.tiles[0])
    return (lambda x, y: (x_left + x * layout.cell, y_top - y * layout.cell)), layout.cell


def _close(a, b, tol: float = 0.05) -> bool:
    return math.dist(a, b) <= tol


@pytest.mark.parametrize("which", ["colour", "bw"])
def test_backstitch_is_thick_vector_lines_at_its_cells(pdfs, which: str) -> None:
    pattern, colour, bw = pdfs
    reader = colour if which == "colour" else bw
    to_page, cell = _page_xy(pattern)
    paths = _paths(reader, len(reader.pages) - 1)
    thick = [p for p in paths if p["op"] == "S" and p["w"] >= 1.4 and len(p["points"]) == 2]
    want_ink = tuple(v / 255 for v in pattern.palette[2].rgb) if which == "colour" else (0.0, 0.0, 0.0)
    for x1, y1, x2, y2 in pattern.layers.backstitches.cells().tolist():
        a, b = to_page(x1, y1), to_page(x2, y2)
        hits = [p for p in thick if _close(p["points"][0], a) and _close(p["points"][1], b)]
        assert len(hits) == 1, (x1, y1, x2, y2)
        assert np.allclose(hits[0]["stroke"], want_ink, atol=0.01)
        assert hits[0]["w"] >= 0.2 * cell - 0.01  # thicker than the 1 pt bold grid lines
    assert len(thick) == 3


@pytest.mark.parametrize("which", ["colour", "bw"])
def test_part_stitches_are_shapes_carrying_a_smaller_symbol(pdfs, which: str) -> None:
    pattern, colour, bw = pdfs
    reader = colour if which == "colour" else bw
    to_page, cell = _page_xy(pattern)
    page = len(reader.pages) - 1
    paths = _paths(reader, page)
    red = tuple(v / 255 for v in pattern.palette[1].rgb)
    paint = ("b",) if which == "colour" else ("S",)
    shapes = [p for p in paths if p["op"] in paint and len(p["points"]) in (3, 6)]
    # the quarter: the triangle of cell (6, 8)'s top-left corner, to the midpoints of its top and left edges
    tri = [to_page(6, 8), to_page(6.5, 8), to_page(6, 8.5)]
    found = [p for p in shapes if len(p["points"]) == 3
             and all(_close(a, b) for a, b in zip(p["points"], tri, strict=True))]
    assert len(found) == 1
    # the half "/": the band from the bottom-left to the top-right corner of cell (3, 8)
    band = [to_page(3, 9), to_page(3.5, 9), to_page(4, 8.5), to_page(4, 8), to_page(3.5, 8), to_page(3, 8.5)]
    found_band = [p for p in shapes if len(p["points"]) == 6
                  and all(_close(a, b) for a, b in zip(p["points"], band, strict=True))]
    assert len(found_band) == 1
    if which == "colour":
        assert np.allclose(found[0]["fill"], red, atol=0.01) and np.allclose(found_band[0]["fill"], red, atol=0.01)
    # each carries colour 1's symbol, inside the shape
    sym = ensure_symbols(pattern)[1]
    glyphs = [(x, y) for ch, x, y in page_glyphs(reader, page) if ch == sym]
    for cx, cy in (to_page(6 + 1 / 6, 8 + 1 / 6), to_page(3.5, 8.5)):
        assert any(math.dist((x, y), (cx, cy)) < cell * 0.25 for x, y in glyphs)
    assert len(glyphs) == 4 + 2  # the 2×2 square's full crosses, and the two part stitches


def test_knots_and_beads_are_dots_and_rings(pdfs) -> None:
    pattern, colour, _ = pdfs
    to_page, cell = _page_xy(pattern)
    paths = _paths(colour, len(colour.pages) - 1)
    curves = [p for p in paths if len(p["points"]) == 5]  # a circle: its start and four Bézier quarters
    knot = [p for p in curves if p["op"] == "f" and _close(p["points"][0], (to_page(12.5, 3.5)[0] + 0.22 * cell,
                                                                            to_page(12.5, 3.5)[1]))]
    bead = [p for p in curves if p["op"] == "S" and _close(p["points"][0], (to_page(16.5, 8.5)[0] + 0.32 * cell,
                                                                            to_page(16.5, 8.5)[1]))]
    assert len(knot) == 1 and len(bead) == 1


def test_key_lists_layer_threads_with_lengths_and_skeins(pdfs) -> None:
    pattern, colour, _ = pdfs
    key = thread_key(pattern)
    assert [t.index for t in key] == [0, 1, 2]  # colour 2 (backstitch only) has a key line and a symbol
    black = key[2]
    assert black.stitches == 0 and black.skeins == 1 and black.layers is not None
    text = "\n".join(p.extract_text() for p in colour.pages[1:-1])
    line_cells = float(pattern.layers.backstitches.lengths().sum())
    line_cm = line_cells * 2.54 / 14
    thread_m = line_cells * 25.4 / 14 * BACKSTITCH_FACTOR * BACKSTITCH_STRANDS * ALLOWANCE / 1000
    assert f"backstitch, 1 strand: {line_cm:.1f} cm of line, {thread_m:.2f} m of thread" in text
    assert re.search(r"part stitches \(3 quarters\)\s+2", text)
    assert "French knot: 0.06 m of thread" in text  # 20 mm × 2 strands × 1.5
    assert re.search(r"bead\s+1", text)
    assert black.symbol in text and "310" in text
    assert "Backstitch takes 3 × its line" in text


def test_cover_counts_the_finer_work_beside_the_full_crosses(pdfs) -> None:
    pattern, colour, _ = pdfs
    cover = colour.pages[0].extract_text()
    full = int((pattern.grid >= 0).sum())
    text = " ".join(cover.split())
    assert f"({full:,} full crosses to work)" in text
    assert "Finer work 2 part stitches, 3 backstitches, 1 French knot and 1 bead" in text


def test_cover_picture_shows_the_backstitch_over_the_cells(pdfs) -> None:
    pattern, colour, _ = pdfs
    images = colour.pages[0].images
    assert len(images) == 1
    pic = np.asarray(images[0].image.convert("RGB"))
    scale = pic.shape[1] // pattern.width
    assert pic.shape[0] == pattern.height * scale and scale >= 4
    black = np.asarray(pattern.palette[2].rgb)
    # the (10, 5)–(15, 10) backstitch runs through the cells' centres along that diagonal, all of colour 0
    for t in (6.5, 7.5, 8.5):
        y, x = int(t * scale), int((t + 5) * scale)
        assert np.abs(pic[y, x].astype(int) - black).max() < 40
    assert np.abs(pic[int(1.5 * scale), int(8.5 * scale)].astype(int) - pattern.palette[0].rgb).max() < 40
