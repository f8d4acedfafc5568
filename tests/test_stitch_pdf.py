"""The cross-stitch chart PDF, read back the way a tracker app or a stitcher would read it.

Glyphs are recovered from the PDF content streams themselves (font resource, position, character through the
font's ToUnicode map), so these tests check what is really on the paper, not what the writer meant to draw.
"""

from __future__ import annotations

import itertools
import math
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader
from pypdf.generic import ContentStream
from scipy import ndimage as ndi

from pixlcraft.errors import Cancelled, InputError
from pixlcraft.export import export, get_format, resolve_options
from pixlcraft.export.pdfkit import font_path, split_axis
from pixlcraft.export.stitch_pdf import chart_layout, skeins_needed, stitches_per_skein
from pixlcraft.export.symbols import SYMBOLS, missing_from_font
from pixlcraft.jobs import CancelToken
from pixlcraft.material import AIDA_14
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import EMPTY, Pattern

CELL_MM = 8.0  # big cells: a small pattern spreads over several pages, keeping the test fast


def make_pattern(w: int = 45, h: int = 40, k: int = 12, seed: int = 3) -> Pattern:
    rng = np.random.default_rng(seed)
    dmc = load_builtin("dmc")
    idx = rng.choice(len(dmc), k, replace=False)
    yy, xx = np.mgrid[0:h, 0:w]
    g = ((xx // 4 + 2 * (yy // 5)) % k).astype(np.int64)
    speckle = rng.random((h, w)) < 0.15
    g[speckle] = rng.integers(0, k, int(speckle.sum()))
    grid = idx[g].astype(np.int16)
    grid[0:3, 0:4] = EMPTY  # bare fabric
    return Pattern(grid, dmc, {"title": "Test Rose"})


# ------------------------------------------------------------------------------------------------ reading PDFs


def _tounicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    out = {}
    for a, b in re.findall(r"<([0-9A-Fa-f]{2})>\s*<([0-9A-Fa-f]{4,8})>", data):
        out[int(a, 16)] = bytes.fromhex(b).decode("utf-16-be")
    return out


def page_glyphs(reader: PdfReader, page_no: int) -> list[tuple[str, float, float]]:
    """Every character on a page drawn with an embedded font: (char, centre x of its advance, baseline y + 0.3 em)."""
    page = reader.pages[page_no]
    fonts = page["/Resources"]["/Font"]
    maps: dict[str, tuple[dict[int, str], list, int]] = {}
    for name in fonts:
        f = fonts[name].get_object()
        if "/ToUnicode" in f:
            maps[name] = (_tounicode(f), list(f.get("/Widths", [])), int(f.get("/FirstChar", 0)))
    out = []
    font = size = None
    x = y = lx = ly = 0.0
    leading = 0.0
    ctm = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)  # only scale and translation are used by the writers
    stack = []
    for operands, op in ContentStream(page.get_contents(), reader).operations:
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop()
        elif op == b"cm":
            a, _b, _c, d, e, f = (float(v) for v in operands)
            ctm = (ctm[0] * a, 0.0, 0.0, ctm[3] * d, ctm[0] * e + ctm[4], ctm[3] * f + ctm[5])
        elif op == b"BT":
            x = y = lx = ly = 0.0
        elif op == b"Tf":
            font, size = operands[0], float(operands[1])
        elif op == b"TL":
            leading = float(operands[0])
        elif op == b"Td":
            lx += float(operands[0])
            ly += float(operands[1])
            x, y = lx, ly
        elif op == b"Tm":
            lx, ly = float(operands[4]), float(operands[5])
            x, y = lx, ly
        elif op == b"T*":
            ly -= leading
            x, y = lx, ly
        elif op == b"Tj" and font in maps:
            s = operands[0]
            raw = s.original_bytes if hasattr(s, "original_bytes") else bytes(s)
            cmap, widths, first = maps[font]
            for code in raw:
                adv = float(widths[code - first]) / 1000 * size
                px, py = x + adv / 2, y + 0.3 * size
                out.append((cmap.get(code, "?"), ctm[0] * px + ctm[4], ctm[3] * py + ctm[5]))
                x += adv
    return out


def glyphs_by_cell(reader: PdfReader, pattern: Pattern, cell_mm: float,
                   paper: str = "a4", overlap: int = 2) -> dict[tuple[int, int], list[tuple[float, str]]]:
    """(row, column) of the pattern → the glyphs drawn inside that cell on the chart pages, as (x, char)."""
    layout = chart_layout(pattern.width, pattern.height, paper, cell_mm, overlap)
    first = len(reader.pages) - len(layout.tiles)
    cells: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for k, tile in enumerate(layout.tiles):
        x_left, y_top = layout.origin(tile)
        for ch, cx, cy in page_glyphs(reader, first + k):
            col = math.floor((cx - x_left) / layout.cell)
            row = math.floor((y_top - cy) / layout.cell)
            if 0 <= col < tile.x1 - tile.x0 and 0 <= row < tile.y1 - tile.y0:
                cells.setdefault((tile.y0 + row, tile.x0 + col), []).append((cx, ch))
    return cells


def key_lines(reader: PdfReader) -> list[tuple[str, str, str, int, int]]:
    """(symbol, code, name, stitches, skeins) for every line of the thread key."""
    rows = []
    line = re.compile(r"^\s*(\S)\s+(\S+)\s{2,}(.+?)\s{2,}([\d,]+)\s+(\d+)\s*$")
    for page in reader.pages:
        text = page.extract_text(extraction_mode="layout")
        if "Thread key" not in text:
            continue
        for ln in text.splitlines():
            m = line.match(ln)
            if m and m.group(1) in SYMBOLS:
                rows.append((m.group(1), m.group(2), m.group(3).strip(), int(m.group(4).replace(",", "")),
                             int(m.group(5))))
    return rows


def chart_cells(reader: PdfReader, pattern: Pattern, paper: str, overlap: int) -> list[dict[tuple[int, int], str]]:
    """Per chart page, the symbol found in each cell (cells located with the layout's grid geometry)."""
    layout = chart_layout(pattern.width, pattern.height, paper, CELL_MM, overlap)
    first = len(reader.pages) - len(layout.tiles)
    pages = []
    for n, tile in enumerate(layout.tiles):
        x_left, y_top = layout.origin(tile)
        found: dict[tuple[int, int], str] = {}
        for ch, cx, cy in page_glyphs(reader, first + n):
            col = math.floor((cx - x_left) / layout.cell)
            row = math.floor((y_top - cy) / layout.cell)
            if 0 <= col < tile.x1 - tile.x0 and 0 <= row < tile.y1 - tile.y0:
                cell = (tile.x0 + col, tile.y0 + row)
                assert cell not in found, f"two glyphs in cell {cell}"
                found[cell] = ch
        pages.append(found)
    return pages


@pytest.fixture(scope="module")
def charts(tmp_path_factory) -> tuple[Pattern, Path, Path]:
    pattern = make_pattern()
    out = tmp_path_factory.mktemp("pdf") / "rose.pdf"
    files = export(pattern, "stitch-pdf", out, {"cell_mm": CELL_MM, "overlap": 3})
    assert files == [out, out.with_name("rose-bw.pdf")]
    return pattern, files[0], files[1]


# ------------------------------------------------------------------------------------------------ key


def test_key_lists_every_thread_with_counts_summing_to_the_stitches(charts) -> None:
    pattern, colour, bw = charts
    counts = pattern.counts()
    expected = {pattern.palette[i].code: (pattern.palette[i].name, int(counts[i])) for i in np.flatnonzero(counts)}
    for path in (colour, bw):
        rows = key_lines(PdfReader(path))
        assert {r[1]: (r[2], r[3]) for r in rows} == expected
        assert sum(r[3] for r in rows) == int((pattern.grid != EMPTY).sum())
        assert len({r[0] for r in rows}) == len(rows)  # one symbol per thread
        assert [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)  # busiest thread first


def test_skeins_follow_the_stated_rule() -> None:
    # one cross = cell side × (2√2 + 2) per strand; × strands; + 50 %; a skein is 6 strands × its length
    for count, strands, skein_m in ((14, 2, 8.0), (18, 1, 8.0), (11, 3, 10.0)):
        per_stitch = 25.4 / count * (2 * math.sqrt(2) + 2) * strands * 1.5
        per_skein = 6 * skein_m * 1000 / per_stitch
        assert stitches_per_skein(count, strands, skein_m) == math.floor(per_skein)
        for n in (1, 10, 999, 1826, 1827, 5000, 12345):
            assert skeins_needed(n, count, strands, skein_m) == max(1, math.ceil(n / per_skein))
    assert skeins_needed(0, 14, 2, 8.0) == 0
    assert 1700 < stitches_per_skein(14, 2, 8.0) < 2000  # the usual rule of thumb for 14-count, 2 strands


def test_key_skeins_and_footnote_use_the_options(tmp_path: Path) -> None:
    pattern = make_pattern(30, 20, 4)
    out = tmp_path / "k.pdf"
    export(pattern, "stitch-pdf", out, {"chart": "bw", "fabric_count": 11, "strands": 3, "skein_m": 10})
    reader = PdfReader(out)
    for _sym, _code, _name, stitches, skeins in key_lines(reader):
        assert skeins == skeins_needed(stitches, 11, 3, 10.0)
    text = reader.pages[1].extract_text()
    assert "11-count" in text and "3 strands" in text and "10 m skein" in text
    assert f"{stitches_per_skein(11, 3, 10.0):,}" in text


# ------------------------------------------------------------------------------------------------ chart


@pytest.mark.parametrize("which", ["colour", "bw"])
def test_every_chart_cell_has_its_glyph(charts, which: str) -> None:
    pattern, colour, bw = charts
    reader = PdfReader(colour if which == "colour" else bw)
    code_of = {sym: code for sym, code, *_ in key_lines(reader)}
    pages = chart_cells(reader, pattern, "a4", overlap=3)
    seen: set[tuple[int, int]] = set()
    for found in pages:
        for (x, y), ch in found.items():
            v = int(pattern.grid[y, x])
            assert v != EMPTY, f"a symbol on the bare fabric at column {x + 1}, row {y + 1}"
            assert code_of[ch] == pattern.palette[v].code, f"wrong symbol at column {x + 1}, row {y + 1}"
            seen.add((x, y))
    filled = {(int(x), int(y)) for y, x in zip(*np.nonzero(pattern.grid != EMPTY), strict=True)}
    assert seen == filled


def test_glyph_counts_per_symbol_include_the_repeated_rows(charts) -> None:
    pattern, colour, _ = charts
    reader = PdfReader(colour)
    layout = chart_layout(pattern.width, pattern.height, "a4", CELL_MM, 3)
    assert layout.across > 1 and layout.down > 1  # the fixture must really span pages both ways
    code_of = {sym: code for sym, code, *_ in key_lines(reader)}
    glyphs = Counter()
    for found in chart_cells(reader, pattern, "a4", 3):
        glyphs.update(code_of[ch] for ch in found.values())
    # brute force: every tile counts its own cells, so cells in overlaps count once per page that shows them
    expected = Counter()
    for t in layout.tiles:
        for v in pattern.grid[t.y0:t.y1, t.x0:t.x1].ravel():
            if v != EMPTY:
                expected[pattern.palette[int(v)].code] += 1
    assert glyphs == expected
    assert sum(expected.values()) > int((pattern.grid != EMPTY).sum())  # overlap rows really repeat


def test_pages_meet_with_the_requested_overlap_and_have_numbers(charts) -> None:
    pattern, colour, _ = charts
    layout = chart_layout(pattern.width, pattern.height, "a4", CELL_MM, 3)
    xs = sorted({(t.x0, t.x1) for t in layout.tiles})
    for (a0, a1), (b0, _b1) in itertools.pairwise(xs):
        assert a1 - b0 >= 3 and b0 > a0
    reader = PdfReader(colour)
    first = len(reader.pages) - len(layout.tiles)
    for n, tile in enumerate(layout.tiles):
        text = reader.pages[first + n].extract_text()
        assert f"columns {tile.x0 + 1}–{tile.x1}, rows {tile.y0 + 1}–{tile.y1}" in text
        numbers = set(re.findall(r"\b\d+\b", text))
        for k in range(10, tile.x1 + 1, 10):
            if k >= tile.x0:
                assert str(k) in numbers


def test_split_axis_covers_everything_with_overlap() -> None:
    for total in range(1, 130, 7):
        for per_page in range(5, 60, 6):
            for overlap in (0, 2, 3):
                runs = split_axis(total, per_page, overlap)
                assert runs[0][0] == 0 and runs[-1][1] == total
                assert all(b - a <= per_page for a, b in runs)
                for (a0, a1), (b0, _b1) in itertools.pairwise(runs):
                    assert a1 - b0 >= min(overlap, per_page - 1) and b0 > a0
                if total > per_page:  # no page could be spared
                    assert len(runs) - 1 < (total - overlap) / (per_page - overlap)


# ------------------------------------------------------------------------------------------------ cover, options


def test_cover_states_size_finished_size_and_colours(tmp_path: Path) -> None:
    pattern = make_pattern(70, 35, 6)
    out = tmp_path / "c.pdf"
    export(pattern, "stitch-pdf", out, {"chart": "color", "fabric_count": 16, "title": "My Fox"})
    reader = PdfReader(out)
    text = reader.pages[0].extract_text()
    assert "My Fox" in text and "70 × 35 stitches" in text
    assert f"{70 / 16 * 2.54:.1f} × {35 / 16 * 2.54:.1f} cm" in text and "16-count" in text
    assert "6 DMC threads" in text
    assert reader.metadata.title == "My Fox"
    assert not out.with_name("c-bw.pdf").exists()


@pytest.mark.parametrize("paper, size", [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_size(tmp_path: Path, paper: str, size: tuple[int, int]) -> None:
    out = tmp_path / "p.pdf"
    export(make_pattern(20, 20, 3), "stitch-pdf", out, {"paper": paper, "chart": "bw"})
    for page in PdfReader(out).pages:
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == size


def test_fonts_are_embedded(charts) -> None:
    _, colour, _ = charts
    reader = PdfReader(colour)
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            assert desc is not None and "/FontFile2" in desc.get_object(), f"{name} is not embedded"


def test_each_symbol_has_one_font_and_code_in_the_whole_document(charts) -> None:
    """Chart trackers that import a PDF match the key's symbols with the chart's by glyph. With subset fonts
    that works when a symbol is the same glyph of the same embedded font object, at the same code, on every
    page (key and chart alike) and its ToUnicode entry names the character; then whole fonts are not needed."""
    pattern, colour, _ = charts
    reader = PdfReader(colour)
    uses: dict[str, set[tuple[int, int]]] = {}
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        maps = {name: (fonts.raw_get(name).idnum, _tounicode(fonts[name].get_object())) for name in fonts}
        font = None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                font = operands[0]
            elif op == b"Tj" and font in maps:
                s = operands[0]
                ref, cmap = maps[font]
                for code in s.original_bytes if hasattr(s, "original_bytes") else bytes(s):
                    ch = cmap.get(code)
                    if ch in SYMBOLS:
                        uses.setdefault(ch, set()).add((ref, code))
    key = {sym for sym, *_ in key_lines(reader)}
    assert key and key <= set(uses)
    assert all(len(uses[ch]) == 1 for ch in key), {ch: uses[ch] for ch in key if len(uses[ch]) > 1}


def test_cancel_leaves_no_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    out = tmp_path / "c.pdf"
    out.write_bytes(b"old chart")
    token = CancelToken()

    def progress(p) -> None:
        if p.done >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        export(make_pattern(), "stitch-pdf", out, {"cell_mm": CELL_MM}, progress=progress, cancel=token)
    assert out.read_bytes() == b"old chart"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pdf"]


def test_option_defaults() -> None:
    opts = resolve_options(get_format("stitch-pdf"), None)
    assert (opts["paper"], opts["chart"], opts["fabric_count"], opts["strands"], opts["skein_m"]) == \
        ("a4", "both", 14.0, 2, 8.0)
    assert 2 <= opts["overlap"] <= 3


# ------------------------------------------------------------------------------------------------ symbols


def test_symbols_exist_in_the_font_and_are_unique() -> None:
    assert missing_from_font() == ()
    assert len(set(SYMBOLS)) == len(SYMBOLS) >= 100
    assert all(len(s) == 1 and not s.isspace() for s in SYMBOLS)


def _shape(font: ImageFont.FreeTypeFont, ch: str, n: int = 48) -> np.ndarray:
    im = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(im).text((30, 20), ch, font=font, fill=255)
    a = np.asarray(im) > 127
    ys, xs = np.nonzero(a)
    crop = Image.fromarray((a[ys.min():ys.max() + 1, xs.min():xs.max() + 1] * 255).astype(np.uint8))
    s = n / max(crop.size)
    crop = crop.resize((max(1, round(crop.size[0] * s)), max(1, round(crop.size[1] * s))),
                       Image.Resampling.BILINEAR)
    out = Image.new("L", (n, n), 0)
    out.paste(crop, ((n - crop.size[0]) // 2, (n - crop.size[1]) // 2))
    return np.asarray(out) > 100


def twin_pairs(glyphs: list[str], shapes: list[np.ndarray]) -> list[tuple[str, str]]:
    """Pairs that are the same shape at another size: after normalising both to their ink box, the filled
    silhouettes match (IoU ≥ 0.9) and the ink of each lies on, or one pixel from, the ink of the other (≥ 93 %).
    Tolerant of the relatively heavier strokes of a smaller glyph (○ and ◦), strict about inner detail (■, ▣)."""
    near = np.ones((3, 3), bool)
    ink = np.array([a.ravel() for a in shapes], np.float32)
    halo = np.array([ndi.binary_dilation(a, near).ravel() for a in shapes], np.float32)
    fill = np.array([ndi.binary_fill_holes(a).ravel() for a in shapes], np.float32)
    on_other = ink @ halo.T / ink.sum(axis=1, keepdims=True)  # [i, j]: share of i's ink near j's ink
    cover = np.minimum(on_other, on_other.T)
    inter = fill @ fill.T
    area = fill.sum(axis=1)
    silhouette = inter / (area[:, None] + area[None, :] - inter)
    i, j = np.nonzero(np.triu((silhouette >= 0.9) & (cover >= 0.93), k=1))
    return [(glyphs[a], glyphs[b]) for a, b in zip(i.tolist(), j.tolist(), strict=True)]


def test_no_two_symbols_are_the_same_shape_at_another_size() -> None:
    font = ImageFont.truetype(str(font_path("DejaVuSans.ttf")), 80)
    # The measure catches real size twins (all in DejaVu Sans, none in the list) …
    for a, b in (("●", "•"), ("■", "▪"), ("▲", "▴"), ("○", "◦")):
        assert twin_pairs([a, b], [_shape(font, a), _shape(font, b)]) == [(a, b)]
    # … and tells apart shapes that differ only inside.
    assert twin_pairs(["■", "▣"], [_shape(font, "■"), _shape(font, "▣")]) == []
    assert twin_pairs(list(SYMBOLS), [_shape(font, ch) for ch in SYMBOLS]) == []


# ------------------------------------------------------------------------------------------------ rendering


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm (poppler-utils) is not installed")
def test_rendered_chart_page_shows_colours_and_symbols(charts, tmp_path: Path) -> None:
    pattern, colour, bw = charts
    reader = PdfReader(colour)
    last = len(reader.pages)
    for path, tag in ((colour, "c"), (bw, "b")):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", str(last), "-l", str(last), str(path),
                        str(tmp_path / tag)], check=True, timeout=60)
    img_c = np.asarray(Image.open(next(tmp_path.glob("c-*.png"))).convert("RGB")).astype(int)
    img_b = np.asarray(Image.open(next(tmp_path.glob("b-*.png"))).convert("RGB")).astype(int)
    # not blank: a good share of the page is inked
    assert (img_c.sum(axis=2) < 720).mean() > 0.2
    assert (img_b.sum(axis=2) < 600).mean() > 0.03
    # the colour chart shows the threads' colours; the black-and-white one is grey only
    chroma_c = img_c.max(axis=2) - img_c.min(axis=2)
    chroma_b = img_b.max(axis=2) - img_b.min(axis=2)
    assert (chroma_c > 40).mean() > 0.1
    assert (chroma_b > 40).mean() < 0.01


def test_more_glyphs_than_one_font_subset_holds(tmp_path: Path) -> None:
    # 151 symbols + ASCII + 80 Cyrillic/Greek letters in thread names: more than the 256 glyphs of one embedded
    # subset, so the symbols spill into a second subset and must still land in the right cells.
    letters = [chr(c) for c in range(0x410, 0x450)] + [chr(c) for c in range(0x3B1, 0x3C9)]
    n = len(SYMBOLS)
    entries = tuple(PaletteEntry(f"T{i}", f"Nit {letters[i % len(letters)]}{letters[(i * 7) % len(letters)]}",
                                 ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)) for i in range(n))
    pal = Palette("wide", "Wide", AIDA_14, entries)
    pattern = Pattern(np.arange(n, dtype=np.int16).reshape(1, n), pal)  # one row, every thread once
    out = tmp_path / "wide.pdf"
    export(pattern, "stitch-pdf", out, {"chart": "bw", "cell_mm": 2.0})
    reader = PdfReader(out)
    fonts = {str(f.get_object()["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any(name.startswith("/AAAAAB+") for name in fonts), fonts  # a second subset really exists
    code_of = {sym: code for sym, code, *_ in key_lines(reader)}
    assert len(code_of) == n
    seen = {col: code_of[ch] for (_, col), glyphs in glyphs_by_cell(reader, pattern, 2.0).items()
            for _, ch in glyphs}
    assert seen == {x: f"T{x}" for x in range(n)}


def test_chart_pages_lie_sideways_when_that_needs_fewer_pages(tmp_path):
    from pypdf import PdfReader

    from pixlcraft.export.registry import export

    rng = np.random.default_rng(3)
    dmc = load_builtin("dmc")
    pattern = Pattern(rng.integers(0, 20, (53, 80)).astype(np.int16), dmc.subset(list(range(20))))
    upright = chart_layout(80, 53, "a4", 3.0, 2, "portrait")
    auto = chart_layout(80, 53, "a4", 3.0, 2, "auto")
    assert len(upright.tiles) == 2 and len(auto.tiles) == 1 and auto.page[0] > auto.page[1]
    out = export(pattern, "stitch-pdf", tmp_path / "c.pdf", {"chart": "color"})[0]
    pages = PdfReader(str(out)).pages
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in pages]
    assert sizes[0][1] > sizes[0][0]  # the cover stays upright
    assert sizes[-1][0] > sizes[-1][1]  # the one chart page lies sideways
    text = pages[-1].extract_text()
    assert "80" in text and "50" in text  # the column numbers run to the end on the one page
    portrait = export(pattern, "stitch-pdf", tmp_path / "p.pdf", {"chart": "color", "orientation": "portrait"})[0]
    assert len(PdfReader(str(portrait)).pages) == len(pages) + 1
    # a tall chart keeps upright pages
    assert chart_layout(60, 120, "a4", 3.0, 2, "auto").page == chart_layout(60, 120, "a4", 3.0, 2).page


def test_long_titles_are_cut_to_the_longest_prefix_that_fits(tmp_path: Path) -> None:
    from reportlab.pdfbase import pdfmetrics

    from pixlcraft.export.pdfkit import FONT_BOLD, fit_text, register_fonts

    register_fonts()
    text = "Ærø wins " * 40
    for width in (30.0, 120.0, 400.0):
        got = fit_text(text, FONT_BOLD, 12, width)
        assert got.endswith("…") and pdfmetrics.stringWidth(got, FONT_BOLD, 12) <= width
        longer = text[: len(got)] + "…"  # one more character would not fit
        assert pdfmetrics.stringWidth(longer, FONT_BOLD, 12) > width
    assert fit_text("Owl", FONT_BOLD, 12, 400.0) == "Owl"
    huge = make_pattern(w=12, h=10, k=3)
    huge.metadata["title"] = "W" * 100_000  # from a .pixl: shown cut, never refused
    out = export(huge, "stitch-pdf", tmp_path / "t.pdf", {"chart": "color"})[0]
    first = PdfReader(out).pages[0].extract_text()
    assert "W" * 20 in first and "W" * 1000 not in first
    with pytest.raises(InputError, match="300 characters long; at most 200"):
        export(huge, "stitch-pdf", tmp_path / "u.pdf", {"title": "x" * 300})
