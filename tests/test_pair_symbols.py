"""Charts never refuse a pattern the app can make (issue 12, item 11): past the 151 one-glyph symbols come
two-glyph ones (A1 … ZZ), written as two real characters of the chart font, in the key and in every cell."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pypdf import PdfReader
from test_stitch_pdf import glyphs_by_cell

from pixlcraft.convert import ConvertOptions
from pixlcraft.errors import InputError
from pixlcraft.export import export
from pixlcraft.export.pdfkit import symbol_metrics, symbol_scale
from pixlcraft.export.symbols import missing_from_font
from pixlcraft.material import AIDA_14
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import Pattern
from pixlcraft.symbols import ALL_SYMBOLS, MAX_SYMBOLS, PAIRS, SINGLE_SYMBOLS, SYMBOLS, ensure_symbols


def test_the_symbol_set_covers_every_built_in_palette_and_pairs_are_unambiguous() -> None:
    assert len(set(ALL_SYMBOLS)) == MAX_SYMBOLS == SINGLE_SYMBOLS + len(PAIRS)
    assert MAX_SYMBOLS >= len(load_builtin("dmc"))
    assert all(len(p) == 2 and p[0].isupper() and "0" not in p and "O" not in p and "I" not in p for p in PAIRS)
    assert missing_from_font() == ()
    # one size for every pair, none wider than a cell's symbol space allows
    widths = [symbol_metrics(p).width * symbol_scale(p) for p in PAIRS]
    assert max(widths) < 1.0 and len({symbol_scale(p) for p in PAIRS}) == 1


def test_a_480_colour_dmc_chart_is_made_with_two_glyph_symbols_read_back_cell_by_cell(tmp_path: Path) -> None:
    dmc = load_builtin("dmc")
    n = 480
    grid = np.arange(n, dtype=np.int16).reshape(16, 30)
    pattern = Pattern(grid, dmc)
    out = tmp_path / "big.pdf"
    export(pattern, "stitch-pdf", out, {"chart": "bw", "cell_mm": 5.0})
    assigned = ensure_symbols(pattern)
    assert len(set(assigned.values())) == n and sum(len(s) == 2 for s in assigned.values()) == n - SINGLE_SYMBOLS

    reader = PdfReader(out)
    # the key: one line per thread, the symbol first (a pair reads as its two letters)
    key_line = re.compile(r"^\s*(\S{1,2})\s+(\d{2,4}|B5200|White|Ecru)\s{2,}")
    key = {}
    for page in reader.pages:
        text = page.extract_text(extraction_mode="layout")
        if "Thread key" in text:
            for ln in text.splitlines():
                m = key_line.match(ln)
                if m and m.group(1) in ALL_SYMBOLS:
                    key[m.group(2)] = m.group(1)
    assert key == {dmc[i].code: assigned[i] for i in range(n)}

    # the chart: the glyphs inside each cell, left to right, spell that cell's symbol
    cells = glyphs_by_cell(reader, pattern, 5.0)
    read = {rc: "".join(ch for _, ch in sorted(glyphs)) for rc, glyphs in cells.items()}
    expect = {(r, c): assigned[int(grid[r, c])] for r in range(grid.shape[0]) for c in range(grid.shape[1])}
    assert read == expect


def test_only_a_custom_palette_beyond_the_symbols_can_be_refused_and_budgets_stop_there(tmp_path: Path) -> None:
    n = MAX_SYMBOLS + 1
    entries = tuple(PaletteEntry(f"C{i}", f"Colour {i}", ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256))
                    for i in range(n))
    huge = Palette("huge", "Custom", AIDA_14, entries)
    with pytest.raises(InputError, match=str(MAX_SYMBOLS)):
        export(Pattern(np.arange(n, dtype=np.int16).reshape(1, n), huge), "stitch-pdf", tmp_path / "x.pdf")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match=f"at most {MAX_SYMBOLS}"):
        ConvertOptions(width=10, max_colors=MAX_SYMBOLS + 1).validate()
    assert len(SYMBOLS) == SINGLE_SYMBOLS
