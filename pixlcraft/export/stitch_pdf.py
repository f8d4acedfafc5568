"""Cross-stitch chart PDF: the document a stitcher prints (or loads into a tracker app) and works from.

Pages: a cover (preview, title, size in stitches, finished size on the chosen fabric, number of colours, page
map), the thread key (symbol, code, name, stitches, skeins), then the chart — one symbol per cell, a bold line
every 10 cells, row and column numbers, centre arrows, and 2–3 rows/columns repeated where pages meet (marked by a
grey bar beside the numbers) so a stitcher never loses the place when turning the page.

``chart=both`` writes two complete files, ``NAME.pdf`` (symbols on the thread colours) and ``NAME-bw.pdf``
(black symbols on white, for mono printers and for marking up with a pen). Two files rather than one: a tracker
app such as Pattern Keeper imports a whole PDF, and one file holding two charts would count every stitch twice.

Every symbol is a glyph of the embedded DejaVu Sans font (see :mod:`.symbols`), written as real text at its
cell, so text extraction and tracker apps read both the chart and the key.

How much thread (the rule printed under the key)
------------------------------------------------
One full cross on fabric of ``n`` stitches per inch has cell side ``s = 25.4 / n`` mm. On the front it is two
diagonals (``2·√2·s``); worked in rows, the back carries about one cell side per half-stitch pass (``2·s``).
So one stitch takes ``s·(2√2 + 2) ≈ 4.83·s`` of each strand, times the strands used, plus 50 % for starting and
ending tails and travel between stitches (:data:`ALLOWANCE`). A skein is 6 strands of ``skein_m`` metres (DMC
stranded cotton: 8 m), so its usable single-strand length is ``6 × skein_m``. Skeins = needed ÷ that, rounded
up, at least 1 per colour used. At 14-count, 2 strands and 8 m skeins that is about 1,820 stitches per skein,
in line with the usual rule of thumb for 14-count Aida.

Part stitches, backstitches, French knots and beads (the pattern's layers) are drawn over the chart and get
their own lines in the key under their thread, with the thread they take added to its skeins; both, and the
assumptions behind those lengths, are in :mod:`.stitch_layers_pdf`. A colour used only in a layer (a
backstitch outline) still gets a symbol and a key line.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import __version__
from ..jobs import Reporter
from ..pattern import EMPTY, Pattern, picture
from ..stash.units import UnitRule
from ..symbols import ensure_symbols
from ..thread_use import (  # noqa: F401 - the rule's names, re-exported for the key and its tests
    ALLOWANCE,
    STRANDS_PER_SKEIN,
    skeins_for_mm,
    skeins_needed,
    stitches_per_skein,
    thread_need_mm,
    thread_per_stitch_mm,
)
from . import stitch_layers_pdf as layers_pdf
from .registry import MAX_TITLE, ExportFormat, ExportOption, sibling, write_files
from .stash_column import STASH_OPTION, stash_texts
from .stash_column import WIDTH as STASH_W
from .symbols import MAX_SYMBOLS, symbols_for

if TYPE_CHECKING:
    from .pdfkit import Tile

BOLD_EVERY = 10
SYMBOL_INK = 0.66
"""Ink size of a chart symbol as a share of the cell side: big enough to read at 2 mm, with room to breathe."""
SYMBOL_INK_COLOUR = 0.6
"""On the colour chart symbols are a little smaller, so that the thread colour dominates each cell."""
GUTTER = 30.0
"""Space around the grid for numbers (inner part), overlap bars (next to the grid) and centre arrows (outer part)."""
CHART_CHOICES = ("color", "bw", "both")

OPTIONS = (
    ExportOption("paper", str, "a4", "paper size", choices=("a4", "letter")),
    ExportOption("chart", str, "both", "symbols on colour, black-and-white, or both (two files: NAME.pdf, "
                 "NAME-bw.pdf)", choices=CHART_CHOICES),
    ExportOption("fabric_count", float, 14.0, "fabric count (stitches per inch), for the finished size and thread",
                 min=6, max=40),
    ExportOption("strands", int, 2, "strands of floss per stitch (for the thread estimate)", min=1, max=6),
    ExportOption("skein_m", float, 8.0, "length of one skein in metres (DMC stranded cotton: 8)", min=1, max=100),
    ExportOption("cell_mm", float, 3.0, "printed size of one chart cell in millimetres", min=2, max=8),
    ExportOption("overlap", int, 2, "rows/columns repeated where chart pages meet", min=0, max=5),
    ExportOption("orientation", str, "auto", "chart pages upright or sideways; auto takes whichever needs fewer "
                 "pages, with cells up to 10 % smaller when that saves a page (an 80×53 chart fits one landscape "
                 "A4 page)", choices=("auto", "portrait", "landscape")),
    ExportOption("title", str, "", "title on the cover (default: the pattern's title)", max=MAX_TITLE),
    STASH_OPTION,
)


# ------------------------------------------------------------------------------------------------ the numbers


def skein_rule(fabric_count: float, strands: int, skein_m: float) -> str:
    per = stitches_per_skein(fabric_count, strands, skein_m)
    return (
        f"Skeins: one cross stitch on {fabric_count:g}-count fabric uses {thread_per_stitch_mm(fabric_count):.1f} mm "
        f"of each strand (two diagonals on the front plus the travel on the back, 4.83 × the "
        f"{25.4 / fabric_count:.2f} mm cell side); × {strands} strand{'s' if strands != 1 else ''}, + 50 % for "
        f"tails and travel. Each {skein_m:g} m skein of {STRANDS_PER_SKEIN} strands therefore covers about {per:,} "
        f"stitches; counts are rounded up to whole skeins."
    )


@dataclass(frozen=True)
class Thread:
    """One line of the key."""

    index: int
    symbol: str
    code: str
    name: str
    rgb: tuple[int, int, int]
    stitches: int
    skeins: int
    layers: layers_pdf.LayerUse | None = None
    """What the thread does beside its full crosses (None: nothing); its thread is in ``skeins``."""


def thread_key(pattern: Pattern, fabric_count: float = 14.0, strands: int = 2, skein_m: float = 8.0) -> list[Thread]:
    """The threads the pattern uses, most-stitched first, ties in palette order, each with the symbol the
    pattern keeps for it (:func:`pixlcraft.symbols.ensure_symbols`: the same in every export and on screen)."""
    counts = pattern.counts()
    uses = layers_pdf.layer_use(pattern, fabric_count, strands)
    used = sorted(set(np.flatnonzero(counts).tolist()) | set(uses),
                  key=lambda i: (-int(counts[i]), -(uses[i].quarters if i in uses else 0), i))
    symbols_for(len(used))  # more threads than symbols: the clear error, before any page is drawn
    assigned = ensure_symbols(pattern)
    out = []
    need = thread_need_mm(pattern, fabric_count, strands)  # the finer work's thread joins the crosses'
    for sym, i in ((assigned[i], i) for i in used):
        e = pattern.palette[i]
        out.append(Thread(i, sym, e.code, e.name, e.rgb, int(counts[i]), skeins_for_mm(need[i], skein_m),
                          uses.get(i)))
    return out


def key_row_count(key: list[Thread], fabric_count: float) -> int:
    """Lines of the key: one per thread, and one more for each kind of finer work it does."""
    return sum(1 + (len(layers_pdf.key_sub_rows(t.layers, fabric_count)) if t.layers else 0) for t in key)


def colour_chart_ink(rgb: tuple[int, int, int]) -> tuple[float, float, float]:
    """Symbol colour on a cell of thread colour ``rgb``: a deep shade of it on light threads, a pale tint on dark
    ones. Pure white would make a filled symbol (■ ● ▲) on a black thread read as a white cell; a tint keeps the
    cell's tone while the symbol stays clearly readable."""
    from .pdfkit import ink_for

    r, g, b = (v / 255.0 for v in rgb)
    if ink_for(rgb) == (0.0, 0.0, 0.0):
        return r * 0.2, g * 0.2, b * 0.2
    return r + (1 - r) * 0.6, g + (1 - g) * 0.6, b + (1 - b) * 0.6


# ------------------------------------------------------------------------------------------------ layout


@dataclass(frozen=True)
class ChartLayout:
    """Where chart cells go on the paper: the tiles (one per page) and the cell size, in points."""

    page: tuple[float, float]
    cell: float
    cols_per_page: int
    rows_per_page: int
    tiles: list[Tile]
    """One per chart page, row-major: left to right, then down."""
    across: int
    down: int

    def origin(self, tile: Tile) -> tuple[float, float]:
        """Top-left corner of the tile's grid on the page: centred across, at the top of the space below the
        header (where the eye starts; a short last row of pages leaves its spare room at the bottom)."""
        from .pdfkit import HEADER_H, MARGIN

        pw, ph = self.page
        w = (tile.x1 - tile.x0) * self.cell
        return (pw - w) / 2, ph - MARGIN - HEADER_H - GUTTER


def chart_layout(width: int, height: int, paper: str = "a4", cell_mm: float = 3.0, overlap: int = 2,
                 orientation: str = "portrait") -> ChartLayout:
    """How the chart is cut into pages. ``orientation`` auto lays the chart pages out both ways, and with cells
    up to 10 % smaller than ``cell_mm``, and keeps the layout with the fewest pages (on a tie: upright, then the
    larger cells): an 80×53 chart then fits one landscape A4 page instead of two upright ones."""
    from .pdfkit import FOOTER_H, HEADER_H, MARGIN, MM, Tile, page_size, split_axis

    def layout(pw: float, ph: float, size_mm: float = cell_mm) -> ChartLayout:
        cell = size_mm * MM
        cols = int((pw - 2 * MARGIN - 2 * GUTTER) // cell)
        rows = int((ph - 2 * MARGIN - HEADER_H - FOOTER_H - 2 * GUTTER) // cell)
        xs = split_axis(width, cols, overlap)
        ys = split_axis(height, rows, overlap)
        tiles = [Tile(x0, x1, y0, y1) for (y0, y1) in ys for (x0, x1) in xs]
        return ChartLayout((pw, ph), cell, cols, rows, tiles, len(xs), len(ys))

    pw, ph = page_size(paper)
    if orientation == "portrait":
        return layout(pw, ph)
    if orientation == "landscape":
        return layout(ph, pw)
    candidates = [layout(w, h, cell_mm * f) for f in (1.0, 0.95, 0.9) for (w, h) in ((pw, ph), (ph, pw))]
    return min(candidates, key=lambda c: len(c.tiles))  # min keeps the first of equals: upright, larger cells


# ------------------------------------------------------------------------------------------------ writer


def write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    modes = ["color", "bw"] if options["chart"] == "both" else [options["chart"]]
    files = []
    for n, mode in enumerate(modes):
        target = path if n == 0 else sibling(path, "bw")
        files.append((target, render(pattern, options, mode, reporter, part=(n, len(modes)))))
    return write_files(files)


def render(pattern: Pattern, options: dict[str, Any], mode: str, reporter: Reporter | None = None,
           part: tuple[int, int] = (0, 1)) -> bytes:
    """The whole PDF for one chart ``mode`` (``color`` or ``bw``) as bytes."""
    from . import pdfkit as kit

    reporter = reporter or Reporter()
    fc, strands, skein_m = options["fabric_count"], options["strands"], options["skein_m"]
    title = options.get("title") or str(pattern.metadata.get("title") or "") or "Cross-stitch pattern"
    key = thread_key(pattern, fc, strands, skein_m)
    layout = chart_layout(pattern.width, pattern.height, options["paper"], options["cell_mm"], options["overlap"],
                          options.get("orientation", "auto"))
    chunks = key_chunks(key_row_count(key, fc), kit.page_size(options["paper"]))  # the key pages are upright
    key_pages = len(chunks)
    first_chart = 2 + key_pages
    total_pages = first_chart - 1 + len(layout.tiles)
    tiles = [kit.Tile(t.x0, t.x1, t.y0, t.y1, str(first_chart + i)) for i, t in enumerate(layout.tiles)]
    layout = dataclasses.replace(layout, tiles=tiles)
    mode_name = "colour" if mode == "color" else "black and white"

    buf = io.BytesIO()
    c = kit.new_canvas(buf, options["paper"], title, f"Cross-stitch chart ({mode_name}), {pattern.width}×"
                       f"{pattern.height} stitches, {len(key)} colours")
    footer = f"{title} · {pattern.width}×{pattern.height} stitches · {fc:g}-count · made with PixlCraft {__version__}"
    page = 1
    _cover(c, pattern, key, layout, title, options, mode_name, first_chart, key_pages)
    kit.draw_footer(c, footer, page, total_pages)
    c.showPage()
    page = _key_pages(c, pattern, key, options, title, footer, page + 1, total_pages, chunks)
    done_base = part[0] * len(tiles)
    for i in range(len(tiles)):
        reporter.report("chart pages", done_base + i, part[1] * len(tiles), message=f"{mode_name} page {i + 1}")
        c.setPageSize(layout.page)  # chart pages may lie sideways; the cover and key stay upright
        _chart_page(c, pattern, key, layout, i, mode, title)
        kit.draw_footer(c, footer, page, total_pages)
        c.showPage()
        page += 1
    reporter.report("chart pages", done_base + len(tiles), part[1] * len(tiles))
    c.save()
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------ cover


def _cover(c, pattern, key, layout, title, options, mode_name, first_chart, key_pages) -> None:
    from . import pdfkit as kit

    pw, ph = kit.page_size(options["paper"])  # the cover is upright whatever the chart pages are
    m = kit.MARGIN
    fc = options["fabric_count"]
    c.setFont(kit.FONT_BOLD, 22)
    c.drawString(m, ph - m - 22, kit.fit_text(title, kit.FONT_BOLD, 22, pw - 2 * m))
    c.setFont(kit.FONT, 11)
    c.setFillColorRGB(*kit.GREY)
    c.drawString(m, ph - m - 40, f"Cross-stitch chart · {mode_name} symbols")
    c.setFillColorRGB(0, 0, 0)

    img_top = ph - m - 56
    img_h = (ph - 2 * m) * 0.48
    kit.draw_cells_image(c, picture(pattern)[..., :3], m, img_top - img_h, pw - 2 * m, img_h)

    w_in, h_in = pattern.width / fc, pattern.height / fc
    stitches = sum(t.stitches for t in key)
    skeins = sum(t.skeins for t in key)
    brand = pattern.palette.brand
    last = first_chart + len(layout.tiles) - 1
    facts = [
        ("Size", f"{pattern.width} × {pattern.height} stitches ({stitches:,} full crosses to work)"),
        *([("Finer work", extra)] if (extra := pattern.layers.summary()) else []),
        ("Finished size", f"{w_in * 2.54:.1f} × {h_in * 2.54:.1f} cm ({w_in:.1f} × {h_in:.1f} in) on "
                          f"{fc:g}-count Aida"),
        ("Fabric to cut", f"{w_in * 2.54 + 10:.0f} × {h_in * 2.54 + 10:.0f} cm (5 cm spare on every side for "
                          f"framing)"),
        ("Colours", f"{len(key)} {brand} thread{'s' if len(key) != 1 else ''}, {skeins} skein"
                    f"{'s' if skeins != 1 else ''} in all ({options['strands']} strands per stitch)"),
        ("Thread key", f"page {2}" + (f"–{1 + key_pages}" if key_pages > 1 else "")),
        ("Chart", f"page {first_chart}" + (f"–{last}" if last > first_chart else "")
         + f" ({layout.across} across × {layout.down} down, {options['overlap']} rows/columns repeated where "
           f"pages meet)"),
    ]
    y = img_top - img_h - 26
    for label, text in facts:
        c.setFont(kit.FONT_BOLD, 10)
        c.drawString(m, y, label)
        c.setFont(kit.FONT, 10)
        c.drawString(m + 95, y, kit.fit_text(text, kit.FONT, 10, pw - 2 * m - 95))
        y -= 16
    # the page map: which chart page shows which part
    map_h = y - (m + kit.FOOTER_H + 14)
    if map_h > 40:
        c.setFont(kit.FONT_BOLD, 9)
        c.drawString(m, y - 4, "Page map")
        kit.draw_page_map(c, m, m + kit.FOOTER_H + 8, pw - 2 * m, map_h - 14, pattern.width, pattern.height,
                          layout.tiles, font_size=9)


# ------------------------------------------------------------------------------------------------ key


_KEY_TOP_FIRST = 62.0  # below the page title and the summary line
_KEY_TOP_NEXT = 40.0
_KEY_ROW_H = 12.5
_KEY_FOOTNOTE_H = 50.0


def key_chunks(n_rows: int, page: tuple[float, float]) -> list[int]:
    """How many key lines go on each key page. Pages are filled; the total line and the footnote need room only
    on the last one (which therefore keeps a few lines when they would not fit under a full page)."""
    from .pdfkit import FOOTER_H, MARGIN

    _, ph = page
    first = int((ph - 2 * MARGIN - _KEY_TOP_FIRST - FOOTER_H - 6) // _KEY_ROW_H) - 1
    more = int((ph - 2 * MARGIN - _KEY_TOP_NEXT - FOOTER_H - 6) // _KEY_ROW_H) - 1
    note = math.ceil(_KEY_FOOTNOTE_H / _KEY_ROW_H)
    chunks: list[int] = []
    left = n_rows
    while True:
        cap = first if not chunks else more
        if left <= cap - note:
            chunks.append(left)
            return chunks
        take = cap if left > cap else left - min(left - 1, 4)
        chunks.append(take)
        left -= take


def _key_pages(c, pattern, key, options, title, footer, page, total_pages, sizes: list[int]) -> int:
    """Draw the thread key; returns the number of the next page."""
    from . import pdfkit as kit

    pw, ph = c._pagesize
    m = kit.MARGIN
    fc, strands, skein_m = options["fabric_count"], options["strands"], options["skein_m"]
    brand = pattern.palette.brand
    stash = stash_texts(pattern, options, UnitRule(fc, strands, skein_m))
    extra = STASH_W if stash is not None else 0.0
    name_w = pw - 2 * m - (44 + 44 + 62 + 64 + 50) - extra
    columns = [
        kit.Column("Symbol", 44, "centre"),
        kit.Column("Colour", 44, "centre"),
        kit.Column(brand[:10] or "Code", 62),
        kit.Column("Name", name_w),
        kit.Column("Stitches", 64, "right"),
        kit.Column("Skeins", 50, "right"),
        *([kit.Column("Stash", STASH_W, "right")] if stash is not None else []),
    ]
    sym_size = _KEY_ROW_H * 0.82

    def symbol_cell(t: Thread):
        def draw(cv, x, y, w, h):
            kit.draw_symbol(cv, t.symbol, x + w / 2, y + h / 2, sym_size)

        return draw

    def swatch_cell(t: Thread):  # plain colour: one symbol glyph per key line keeps tracker apps' parsing simple
        def draw(cv, x, y, w, h):
            cv.setFillColorRGB(*kit.rgb01(t.rgb))
            cv.setStrokeColorRGB(0.3, 0.3, 0.3)
            cv.setLineWidth(0.4)
            cv.rect(x + 8, y + 2, w - 16, h - 4, stroke=1, fill=1)
            cv.setFillColorRGB(0, 0, 0)

        return draw

    def sample_cell(t: Thread, kind: str):
        def draw(cv, x, y, w, h):
            layers_pdf.draw_key_sample(cv, kind, t.rgb, x, y, w, h)

        return draw

    rows = []
    for t in key:
        tail = [stash.get(t.index, "")] if stash is not None else []
        rows.append([symbol_cell(t), swatch_cell(t), t.code, t.name, f"{t.stitches:,}", str(t.skeins), *tail])
        for kind, what, n in layers_pdf.key_sub_rows(t.layers, fc) if t.layers else ():
            rows.append([sample_cell(t, kind), "", "", f"  {what}", n, "", *([""] if tail else [])])
    bounds = list(itertools.accumulate(sizes, initial=0))
    chunks = [rows[a:b] for a, b in itertools.pairwise(bounds)]
    stitches = sum(t.stitches for t in key)
    skeins = sum(t.skeins for t in key)

    def no_break() -> float:  # the chunks are sized to fit; a page break inside one would be a layout bug
        raise AssertionError("thread key chunk does not fit its page")

    for n, chunk in enumerate(chunks):
        kit.draw_header(c, title, f"Thread key{f' ({n + 1} of {len(chunks)})' if len(chunks) > 1 else ''}")
        top = ph - m - (_KEY_TOP_FIRST if n == 0 else _KEY_TOP_NEXT)
        if n == 0:
            c.setFont(kit.FONT, 9)
            c.drawString(m, ph - m - 44, f"{len(key)} colours · {stitches:,} stitches · {fc:g}-count Aida · "
                                         f"{strands} strand{'s' if strands != 1 else ''} · {skein_m:g} m skeins")
        y = kit.draw_table(c, columns, chunk, top, no_break, row_h=_KEY_ROW_H, bottom=m + kit.FOOTER_H + 6)
        if n == len(chunks) - 1:
            c.setFont(kit.FONT_BOLD, 8.5)
            c.drawString(m + 3, y - 12, "Total")
            c.drawRightString(pw - m - extra - 50 - 3, y - 12, f"{stitches:,}")
            c.drawRightString(pw - m - extra - 3, y - 12, str(skeins))
            c.setFillColorRGB(0.25, 0.25, 0.25)
            rule = skein_rule(fc, strands, skein_m)
            if any(t.layers for t in key):
                rule += layers_pdf.layer_rule(fc)
            kit.draw_paragraph(c, rule, m, y - 30, pw - 2 * m, size=7.5)
            c.setFillColorRGB(0, 0, 0)
        kit.draw_footer(c, footer, page, total_pages)
        c.showPage()
        page += 1
    return page


# ------------------------------------------------------------------------------------------------ chart pages


def _chart_page(c, pattern: Pattern, key: list[Thread], layout: ChartLayout, i: int, mode: str, title: str) -> None:
    from . import pdfkit as kit

    tile = layout.tiles[i]
    cell = layout.cell
    x_left, y_top = layout.origin(tile)
    sub = pattern.grid[tile.y0:tile.y1, tile.x0:tile.x1]
    rows, cols = sub.shape
    w, h = cols * cell, rows * cell

    kit.draw_header(c, title, f"Chart page {i + 1} of {len(layout.tiles)} · columns {tile.x0 + 1}–{tile.x1}, "
                              f"rows {tile.y0 + 1}–{tile.y1}")
    pw, ph = layout.page
    map_w = min(70.0, 22.0 * layout.across / max(1, layout.down) + 10)
    kit.draw_page_map(c, pw / 2 - map_w / 2, ph - kit.MARGIN - kit.HEADER_H + 11, map_w, 17,
                      pattern.width, pattern.height, layout.tiles, current=i, font_size=0)

    sym_of = {t.index: t.symbol for t in key}
    rgb_of = {t.index: t.rgb for t in key}

    # 1. cell colours (colour chart): horizontal runs of one colour become one rectangle
    if mode == "color":
        starts = np.ones(sub.shape, bool)
        starts[:, 1:] = sub[:, 1:] != sub[:, :-1]
        r, c0 = np.nonzero(starts)  # row-major: each run, left to right, top to bottom
        c1 = np.full_like(c0, cols)
        c1[:-1] = np.where(r[1:] == r[:-1], c0[1:], cols)
        vals = sub[r, c0].astype(np.int64)
        rects = np.stack([x_left + c0 * cell, y_top - (r + 1) * cell, (c1 - c0) * cell,
                          np.full(len(c0), cell)], axis=1)
        kit.fill_rects(c, {rgb_of[v]: rects[vals == v] for v in np.unique(vals).tolist() if v != EMPTY})

    # 1b. part stitches: their triangles, filled with the thread (outlined on the black-and-white chart)
    part_spots = layers_pdf.draw_part_shapes(c, pattern, tile, x_left, y_top, cell, mode)

    # 2. grid: thin lines every cell, bold every 10 (counted from the pattern's first row/column), border
    xs_all = [(k, x_left + k * cell) for k in range(cols + 1)]
    ys_all = [(k, y_top - k * cell) for k in range(rows + 1)]
    kit.stroke_lines(c, [(x, y_top, x, y_top - h) for k, x in xs_all if (tile.x0 + k) % BOLD_EVERY]
                     + [(x_left, y, x_left + w, y) for k, y in ys_all if (tile.y0 + k) % BOLD_EVERY], 0.25, 0.55)
    bold = [(x, y_top, x, y_top - h) for k, x in xs_all if (tile.x0 + k) % BOLD_EVERY == 0 or k in (0, cols)]
    bold += [(x_left, y, x_left + w, y) for k, y in ys_all if (tile.y0 + k) % BOLD_EVERY == 0 or k in (0, rows)]
    kit.stroke_lines(c, bold, 1.0, 0.0)

    # 3. symbols, grouped by ink colour and symbol (fewer font switches)
    ink_share = SYMBOL_INK if mode == "bw" else SYMBOL_INK_COLOUR
    writer = kit.GlyphWriter(c, kit.SYMBOL_FONT, cell * ink_share / kit.INK_EM)
    groups: dict[tuple[float, float, float], list] = {}
    for t in key:
        ys, xs = np.nonzero(sub == t.index)
        if not len(xs):
            continue
        ink = colour_chart_ink(t.rgb) if mode == "color" else (0.0, 0.0, 0.0)
        groups.setdefault(ink, []).append((sym_of[t.index], x_left + (xs + 0.5) * cell, y_top - (ys + 0.5) * cell))
    for ink, items in groups.items():
        writer.draw_groups(items, ink)
    if part_spots:  # each part stitch carries its colour's symbol, smaller, inside its triangle
        small = kit.GlyphWriter(c, kit.SYMBOL_FONT, writer.size * layers_pdf.PART_SYMBOL_SHARE)
        by_ink: dict[tuple[float, float, float], list[tuple[str, float, float]]] = {}
        for idx, px, py in part_spots:
            ink = colour_chart_ink(rgb_of[idx]) if mode == "color" else (0.0, 0.0, 0.0)
            by_ink.setdefault(ink, []).append((sym_of[idx], px, py))
        for ink, items in by_ink.items():
            small.draw(items, ink)

    # 3b. backstitches over the symbols, then knots and beads
    layers_pdf.draw_lines_and_points(c, pattern, tile, x_left, y_top, cell, mode)

    # 4. numbers, overlap bars and centre arrows in the gutters
    _gutters(c, pattern, layout, i, x_left, y_top, w, h)


def _gutters(c, pattern: Pattern, layout: ChartLayout, i: int, x_left: float, y_top: float, w: float, h: float):
    from . import pdfkit as kit

    tile = layout.tiles[i]
    cell = layout.cell
    fs = 6.5
    c.saveState()
    # overlap bars: the rows/columns this page repeats from its neighbours (above/left and below/right)
    c.setFillColorRGB(0.72, 0.72, 0.72)
    bar = 3.0
    for a0, a1 in _repeated(tile.x0, tile.x1, [(t.x0, t.x1) for t in layout.tiles if t.y0 == tile.y0]):
        x = x_left + (a0 - tile.x0) * cell
        c.rect(x, y_top + 1, (a1 - a0) * cell, bar, stroke=0, fill=1)
        c.rect(x, y_top - h - 1 - bar, (a1 - a0) * cell, bar, stroke=0, fill=1)
    for a0, a1 in _repeated(tile.y0, tile.y1, [(t.y0, t.y1) for t in layout.tiles if t.x0 == tile.x0]):
        y = y_top - (a1 - tile.y0) * cell
        c.rect(x_left - 1 - bar, y, bar, (a1 - a0) * cell, stroke=0, fill=1)
        c.rect(x_left + w + 1, y, bar, (a1 - a0) * cell, stroke=0, fill=1)
    # numbers at every bold line, on all four sides
    c.setFillColorRGB(0, 0, 0)
    c.setFont(kit.FONT, fs)
    for k in range(tile.x0, tile.x1 + 1):
        if k % BOLD_EVERY == 0 and k > 0:
            x = x_left + (k - tile.x0) * cell
            c.drawCentredString(x, y_top + bar + 3, str(k))
            c.drawCentredString(x, y_top - h - bar - 3 - fs * 0.75, str(k))
    for k in range(tile.y0, tile.y1 + 1):
        if k % BOLD_EVERY == 0 and k > 0:
            y = y_top - (k - tile.y0) * cell - fs * 0.36
            c.drawRightString(x_left - bar - 3, y, str(k))
            c.drawString(x_left + w + bar + 3, y, str(k))
    # centre arrows: triangles in the outer gutter pointing at the centre line of the whole pattern
    a = 4.5
    cx_cells, cy_cells = pattern.width / 2, pattern.height / 2
    c.setFillColorRGB(0, 0, 0)
    if tile.x0 <= cx_cells <= tile.x1:
        x = x_left + (cx_cells - tile.x0) * cell
        _triangle(c, [(x - a, y_top + GUTTER), (x + a, y_top + GUTTER), (x, y_top + GUTTER - 1.6 * a)])
        _triangle(c, [(x - a, y_top - h - GUTTER), (x + a, y_top - h - GUTTER), (x, y_top - h - GUTTER + 1.6 * a)])
    if tile.y0 <= cy_cells <= tile.y1:
        y = y_top - (cy_cells - tile.y0) * cell
        _triangle(c, [(x_left - GUTTER, y - a), (x_left - GUTTER, y + a), (x_left - GUTTER + 1.6 * a, y)])
        _triangle(c, [(x_left + w + GUTTER, y - a), (x_left + w + GUTTER, y + a), (x_left + w + GUTTER - 1.6 * a, y)])
    c.restoreState()


def _repeated(a0: int, a1: int, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of ``[a0, a1)`` that a neighbouring run along the same axis also shows."""
    out = []
    for b0, b1 in runs:
        if (b0, b1) == (a0, a1):
            continue
        lo, hi = max(a0, b0), min(a1, b1)
        if lo < hi:
            out.append((lo, hi))
    return out


def _triangle(c, pts) -> None:
    p = c.beginPath()
    p.moveTo(*pts[0])
    for q in pts[1:]:
        p.lineTo(*q)
    p.close()
    c.drawPath(p, stroke=0, fill=1)


FORMATS = [
    ExportFormat(
        "stitch-pdf",
        ".pdf",
        "cross-stitch chart to print or load into a tracker app: cover, thread key with skeins, symbol chart "
        "(colour and black-and-white)",
        ("stitch",),
        OPTIONS,
        write,
        max_colors=MAX_SYMBOLS,
    )
]
