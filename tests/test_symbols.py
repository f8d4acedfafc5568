"""Chart symbols that stay with their colour: lightest first for the most-used, stored in .pixl, used by the PDF."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pixlcraft.edit import FloodFill, Paint, UndoStack
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern, load_pixl, save_pixl
from pixlcraft.symbols import LIGHT_FIRST, SYMBOLS, ensure_symbols, set_symbol

ROOT = Path(__file__).resolve().parents[1]


def test_light_first_is_every_symbol_ordered_by_the_ink_it_prints() -> None:
    from PIL import Image, ImageDraw, ImageFont

    assert sorted(LIGHT_FIRST) == sorted(SYMBOLS) and len(set(LIGHT_FIRST)) == len(SYMBOLS)
    font = ImageFont.truetype(str(ROOT / "resources" / "fonts" / "DejaVuSans.ttf"), 64)

    def ink(s: str) -> float:
        im = Image.new("L", (96, 96), 0)
        ImageDraw.Draw(im).text((48, 48), s, fill=255, font=font, anchor="mm")
        return float(np.asarray(im, np.float64).sum() / 255.0)

    measured = [ink(s) for s in LIGHT_FIRST]
    assert all(a <= b + 1e-6 for a, b in zip(measured, measured[1:], strict=False))
    assert measured[-1] > 5 * measured[0]  # ■ really is much darker than ♤


def _pattern() -> Pattern:
    dmc = load_builtin("dmc")
    grid = np.zeros((20, 30), np.int16)
    grid[:, 10:] = 1  # colour 1: the background, most used
    grid[5:8, 2:5] = 2
    grid[15:18, 20:25] = 3
    return Pattern(grid, dmc.subset([dmc.find("310"), dmc.find("BLANC"), dmc.find("321"), dmc.find("798")]))


def test_the_most_used_colour_gets_the_lightest_symbol_and_keeps_it_after_edits() -> None:
    pattern = _pattern()
    first = ensure_symbols(pattern)
    assert first[1] == LIGHT_FIRST[0] and first[0] == LIGHT_FIRST[1]
    stack = UndoStack(pattern)
    stack.push(FloodFill(0, 15, 2))  # colour 2 is now by far the most used
    stack.push(Paint([(0, 0)], 3))
    after = ensure_symbols(pattern)
    assert all(after[i] == first[i] for i in after)  # nothing moved
    dmc = load_builtin("dmc")
    stack.push(Paint([(19, 29)], dmc[dmc.find("3865")]))  # a new colour: the lightest free symbol
    new_index = pattern.palette.find("3865")
    assert ensure_symbols(pattern)[new_index] == next(s for s in LIGHT_FIRST if s not in first.values())


def test_symbols_are_saved_in_the_pixl_and_used_by_the_printed_chart(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from pixlcraft.export.stitch_pdf import thread_key

    pattern = _pattern()
    set_symbol(pattern, 2, "★")  # the user's choice
    save_pixl(pattern, tmp_path / "p.pixl")
    again = load_pixl(tmp_path / "p.pixl")
    mine = {pattern.palette[i].code: s for i, s in ensure_symbols(pattern).items()}
    theirs = {again.palette[i].code: s for i, s in ensure_symbols(again).items()}
    assert mine == theirs and mine["321"] == "★"
    key = {t.code: t.symbol for t in thread_key(again)}
    assert key == mine
    from pixlcraft.export.registry import export

    export(again, "stitch-pdf", tmp_path / "c.pdf", {})
    text = "".join(page.extract_text() for page in PdfReader(str(tmp_path / "c.pdf")).pages)
    assert "★" in text and mine["BLANC"] in text


def test_choosing_a_taken_symbol_swaps_it() -> None:
    pattern = _pattern()
    before = ensure_symbols(pattern)
    after = set_symbol(pattern, 3, before[1])
    assert after[3] == before[1] and after[1] == before[3]
    with pytest.raises(Exception, match="not one of the chart symbols"):
        set_symbol(pattern, 3, "x")


def test_old_files_get_symbols_on_first_use(tmp_path: Path) -> None:
    pattern = _pattern()
    save_pixl(pattern, tmp_path / "p.pixl")
    loaded = load_pixl(tmp_path / "p.pixl")
    loaded.metadata.pop("symbols")  # as written by an earlier PixlCraft
    assert ensure_symbols(loaded)[1] == LIGHT_FIRST[0]
