"""Shared reportlab pieces for every printed pattern (stitch charts, bead boards, brick sections).

Why a kit: all PixlCraft PDFs should look like one family — the same embedded font (so text and chart symbols
survive copy/paste, text extraction and tracker apps), the same page sizes, header/footer, page map and tables.
reportlab is imported here at module level, so import this module only inside a writer's ``write``.

Coordinates are reportlab's: points (1/72 in), origin at the bottom-left of the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from reportlab import rl_config
from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from .. import __version__
from ..errors import InputError

# Streams are Flate-compressed binary, without the extra ASCII85 layer: every reader handles that, the files are
# ~20 % smaller, and reportlab's ASCII85 encoder (pure Python without its optional C accelerator) was the slowest
# step of a large chart.
rl_config.useA85 = 0

PAPER: dict[str, tuple[float, float]] = {"a4": A4, "letter": letter}
PAPER_CHOICES = tuple(PAPER)
MM = 72.0 / 25.4
"""Points per millimetre."""

FONT = "PixlSans"
FONT_BOLD = "PixlSans-Bold"
SYMBOL_FONT = FONT
"""Chart symbols are glyphs of the text font (reportlab keeps one embedded subset family per font file anyway;
when text and symbols pass 256 glyphs it opens a further subset, which :class:`GlyphWriter` follows)."""

_FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}

MARGIN = 30.0
HEADER_H = 30.0
FOOTER_H = 16.0
GREY = (0.45, 0.45, 0.45)


# ------------------------------------------------------------------------------------------------ fonts


def font_path(filename: str) -> Path:
    """A bundled font file, from the installed package or from a source checkout."""
    from ..runtime import resource

    p = resource("pixlcraft._resources", "fonts", filename)
    if not p.is_file():
        raise InputError(f"the bundled font {filename} is missing; reinstall PixlCraft.")
    return Path(str(p))


@cache
def register_fonts() -> None:
    """Register the bundled fonts with reportlab once per process (fonts are embedded as subsets)."""
    for name, filename in _FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(font_path(filename))))


def symbol_font() -> TTFont:
    register_fonts()
    return pdfmetrics.getFont(SYMBOL_FONT)


def page_size(paper: str) -> tuple[float, float]:
    try:
        return PAPER[paper]
    except KeyError:
        raise InputError(f"paper must be one of {', '.join(PAPER)}, not '{paper}'.") from None


def new_canvas(target: Any, paper: str, title: str, subject: str) -> Canvas:
    """A compressed canvas on ``target`` (a path or a binary file object) with the document info filled in."""
    register_fonts()
    c = Canvas(target, pagesize=page_size(paper), pageCompression=1, initialFontName=FONT, initialFontSize=10)
    c.setTitle(title)
    c.setAuthor("PixlCraft")
    c.setCreator(f"PixlCraft {__version__}")
    c.setSubject(subject)
    return c


# ------------------------------------------------------------------------------------------------ colour


def rgb01(rgb: Sequence[int]) -> tuple[float, float, float]:
    return rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0


def relative_luminance(rgb: Sequence[int]) -> float:
    """WCAG relative luminance of an sRGB8 colour (0 black … 1 white)."""
    lin = [(v / 255.0) / 12.92 if v <= 10 else (((v / 255.0) + 0.055) / 1.055) ** 2.4 for v in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def ink_for(rgb: Sequence[int]) -> tuple[float, float, float]:
    """Black or white, whichever contrasts more with ``rgb`` (for symbols on coloured cells)."""
    lum = relative_luminance(rgb)
    # Contrast ratio against black is (L+0.05)/0.05, against white 1.05/(L+0.05); equal at L ≈ 0.179.
    return (0.0, 0.0, 0.0) if lum > 0.179 else (1.0, 1.0, 1.0)


def _num(v: float) -> str:
    """A PDF number with at most 2 decimals and no trailing zeros (short content streams)."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ------------------------------------------------------------------------------------------------ raw drawing

# Raw blocks below draw in hundredths of a point ("centipoints") under a scaled CTM, so every coordinate is a
# plain integer: formatting ints is several times faster than formatting floats, and the streams are shorter.
_CENTI = "0.01 0 0 0.01 0 0 cm"


def fill_rects(c: Canvas, rects_by_colour: dict[tuple[int, int, int], Any]) -> None:
    """Many filled rectangles as one raw block per colour: far faster and smaller than one ``rect`` call each.

    Each value is an ``(N, 4)`` array-like of ``x, y, w, h`` in points.
    """
    out = ["q", _CENTI]
    for rgb, rects in rects_by_colour.items():
        arr = np.rint(np.asarray(rects, dtype=np.float64).reshape(-1, 4) * 100).astype(np.int64)
        if not len(arr):
            continue
        r, g, b = rgb01(rgb)
        out.append(f"{_num(r)} {_num(g)} {_num(b)} rg")
        out.extend(f"{x} {y} {w} {h} re" for x, y, w, h in arr.tolist())
        out.append("f")
    out.append("Q")
    c.addLiteral("\n".join(out))


def stroke_lines(c: Canvas, segments: Sequence[tuple[float, float, float, float]], width: float,
                 grey: float = 0.0) -> None:
    """Straight segments ``(x1, y1, x2, y2)`` in one raw path of one width and grey level."""
    if not len(segments):
        return
    arr = np.rint(np.asarray(segments, dtype=np.float64).reshape(-1, 4) * 100).astype(np.int64)
    out = ["q", _CENTI, f"{round(width * 100)} w", f"{_num(grey)} G", "0 J"]
    out.extend(f"{x1} {y1} m {x2} {y2} l" for x1, y1, x2, y2 in arr.tolist())
    out += ["S", "Q"]
    c.addLiteral("\n".join(out))


@dataclass(frozen=True)
class GlyphMetrics:
    """Where a glyph's ink sits relative to its origin, in em units: used to centre a symbol in a cell."""

    centre_x: float
    centre_y: float
    height: float
    width: float


@cache
def _pil_font(font_file: str):
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(font_file)), 1000)


@cache
def glyph_metrics(ch: str, font_file: str = "DejaVuSans.ttf") -> GlyphMetrics:
    """The ink box of ``ch`` (rendered once with PIL at 1000 px/em): symbols differ a lot in where their ink is,
    so centring by advance width and a fixed baseline would leave them visibly off-centre in small cells."""
    f = _pil_font(font_file)
    mask, (ox, oy) = f.getmask2(ch, anchor="ls")  # offset of the mask from the origin; y grows downwards
    box = mask.getbbox()
    if box is None:
        return GlyphMetrics(0.3, 0.35, 0.0, 0.0)
    x0, y0, x1, y1 = ox + box[0], oy + box[1], ox + box[2], oy + box[3]
    return GlyphMetrics((x0 + x1) / 2000.0, -(y0 + y1) / 2000.0, (y1 - y0) / 1000.0, (x1 - x0) / 1000.0)


INK_EM = 0.75
"""Ink size (longest side, in em) that chart symbols are scaled to: most DejaVu symbols are 0.73–0.77 em."""


def symbol_scale(ch: str) -> float:
    """Font-size factor that gives ``ch`` about the same ink size as every other symbol, so a small glyph (✓, ¤)
    is not lost in its cell and a wide one (☎) does not spill over; size never tells two threads apart. A
    two-glyph symbol (A1) is let a little wider than one glyph, so its letters stay legible."""
    if len(ch) > 1:
        return PAIR_SCALE
    m = symbol_metrics(ch)
    longest = max(m.height, m.width)
    return 1.0 if longest <= 0 else min(1.35, max(0.65, INK_EM / longest))


PAIR_SCALE = 0.62
"""Font-size factor of two-glyph symbols: one size for all of them (letters of varying size would look like
different symbols), which makes the widest pair (MM) about 0.9 em, a little wider than one glyph."""


@cache
def _advance(ch: str, font_file: str = "DejaVuSans.ttf") -> float:
    """Advance width of ``ch`` in em, as the PDF viewer will place the next glyph."""
    return float(_pil_font(font_file).getlength(ch)) / 1000.0


def symbol_parts(symbol: str) -> tuple[tuple[str, float], ...]:
    """The glyphs of a chart symbol and each one's offset from the first (em): one glyph, or two set side by
    side by their advance width (without kerning, the same as the PDF text operators place them)."""
    parts, x = [], 0.0
    for ch in symbol:
        parts.append((ch, x))
        x += _advance(ch)
    return tuple(parts)


@cache
def symbol_metrics(symbol: str) -> GlyphMetrics:
    """The ink box of a whole chart symbol (see :func:`glyph_metrics`), two-glyph ones included."""
    if len(symbol) == 1:
        return glyph_metrics(symbol)
    boxes = []
    for ch, dx in symbol_parts(symbol):
        m = glyph_metrics(ch)
        boxes.append((dx + m.centre_x - m.width / 2, m.centre_y - m.height / 2,
                      dx + m.centre_x + m.width / 2, m.centre_y + m.height / 2))
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return GlyphMetrics((x0 + x1) / 2, (y0 + y1) / 2, y1 - y0, x1 - x0)


class GlyphWriter:
    """Writes chart symbols (one glyph, or two side by side) centred on given points as raw PDF text operators.

    Each glyph is a real character of the embedded font (one ``Tj`` each, positioned by ``Td``), so text extraction
    and tracker apps see the symbol at its cell. Writing the operators directly is ~20× faster than reportlab's
    per-string text objects, which matters for charts of tens of thousands of cells.
    """

    def __init__(self, c: Canvas, font_name: str, size: float, normalise: bool = True) -> None:
        register_fonts()
        self.c = c
        self.font = pdfmetrics.getFont(font_name)
        self.size = size
        self.normalise = normalise
        self._enc: dict[str, tuple[str, str]] = {}

    def _encode(self, ch: str) -> tuple[str, str]:
        got = self._enc.get(ch)
        if got is None:
            doc = self.c._doc
            parts = self.font.splitString(ch, doc)
            if len(parts) != 1 or len(parts[0][1]) != 1:
                raise ValueError(f"symbol {ch!r} does not map to a single glyph")
            subset, code = parts[0]
            got = (self.font.getSubsetInternalName(subset, doc), f"<{code[0]:02X}>")
            self._enc[ch] = got
        return got

    def draw(self, items: Sequence[tuple[str, float, float]], rgb: tuple[float, float, float] = (0, 0, 0)) -> None:
        """Draw each ``(char, cx, cy)`` with its ink centred on ``(cx, cy)``."""
        groups: dict[str, tuple[list[float], list[float]]] = {}
        for ch, cx, cy in items:
            xs, ys = groups.setdefault(ch, ([], []))
            xs.append(cx)
            ys.append(cy)
        self.draw_groups([(ch, np.asarray(xs), np.asarray(ys)) for ch, (xs, ys) in groups.items()], rgb)

    def draw_groups(self, groups: Sequence[tuple[str, np.ndarray, np.ndarray]],
                    rgb: tuple[float, float, float] = (0, 0, 0)) -> None:
        """Draw ``symbol`` centred on every point ``(xs[i], ys[i])``, for each ``(symbol, xs, ys)`` of ``groups``."""
        out = ["q", _CENTI, "BT", f"{_num(rgb[0])} {_num(rgb[1])} {_num(rgb[2])} rg"]
        font_now: tuple[str, int] | None = None
        px = py = 0  # previous line origin (centipoints), for relative Td
        for symbol, cxs, cys in groups:
            if not len(cxs):
                continue
            size = self.size * (symbol_scale(symbol) if self.normalise or len(symbol) > 1 else 1.0)
            m = symbol_metrics(symbol)
            size100 = round(size * 100)
            # a two-glyph symbol is two runs, one per glyph: the two may lie in different font subsets
            for ch, offset in symbol_parts(symbol):
                name, hexcode = self._encode(ch)
                if (name, size100) != font_now:
                    out.append(f"{name} {size100} Tf")
                    font_now = (name, size100)
                x = np.rint((np.asarray(cxs, np.float64) + (offset - m.centre_x) * size) * 100).astype(np.int64)
                y = np.rint((np.asarray(cys, np.float64) - m.centre_y * size) * 100).astype(np.int64)
                dx = np.diff(x, prepend=px).tolist()
                dy = np.diff(y, prepend=py).tolist()
                out.extend(f"{a} {b} Td {hexcode} Tj" for a, b in zip(dx, dy, strict=True))
                px, py = int(x[-1]), int(y[-1])
        out += ["ET", "Q"]
        self.c.addLiteral("\n".join(out))


def draw_symbol(c: Canvas, ch: str, cx: float, cy: float, size: float, rgb=(0.0, 0.0, 0.0)) -> None:
    """One symbol centred on a point (legend swatches); same glyphs and centring as the chart. A key line has
    room to spare sideways, so a two-glyph symbol is drawn a quarter larger there."""
    GlyphWriter(c, SYMBOL_FONT, size * (1.25 if len(ch) > 1 else 1.0)).draw([(ch, cx, cy)], rgb)


# ------------------------------------------------------------------------------------------------ pictures


def draw_cells_image(c: Canvas, rgb: np.ndarray, x: float, y: float, max_w: float, max_h: float) -> tuple[float, float]:
    """The pattern as a picture, cells kept square and crisp (nearest-neighbour upscaling before embedding,
    since viewers smooth small images). Returns the drawn width and height."""
    from PIL import Image

    h, w = rgb.shape[:2]
    scale = min(max_w / w, max_h / h)
    dw, dh = w * scale, h * scale
    factor = max(1, min(8, 600 // max(w, h)))
    img = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if factor > 1:
        img = img.resize((w * factor, h * factor), Image.Resampling.NEAREST)
    c.drawImage(ImageReader(img), x + (max_w - dw) / 2, y + (max_h - dh) / 2, dw, dh)
    return dw, dh


# ------------------------------------------------------------------------------------------------ page parts


def draw_header(c: Canvas, title: str, right: str) -> None:
    pw, ph = c._pagesize
    c.setFillColorRGB(0, 0, 0)
    c.setFont(FONT_BOLD, 12)
    c.drawString(MARGIN, ph - MARGIN - 12, fit_text(title, FONT_BOLD, 12, pw * 0.55))
    c.setFont(FONT, 9)
    c.drawRightString(pw - MARGIN, ph - MARGIN - 11, right)
    c.setStrokeColorRGB(*GREY)
    c.setLineWidth(0.5)
    c.line(MARGIN, ph - MARGIN - HEADER_H + 8, pw - MARGIN, ph - MARGIN - HEADER_H + 8)


def draw_footer(c: Canvas, left: str, page_no: int, pages: int) -> None:
    pw, _ = c._pagesize
    c.setFillColorRGB(*GREY)
    c.setFont(FONT, 7.5)
    c.drawString(MARGIN, MARGIN, fit_text(left, FONT, 7.5, pw - 2 * MARGIN - 70))
    c.drawRightString(pw - MARGIN, MARGIN, f"page {page_no} of {pages}")
    c.setFillColorRGB(0, 0, 0)


def fit_text(text: str, font: str, size: float, width: float) -> str:
    """``text`` shortened with an ellipsis so that it fits ``width`` points.

    A bisection over the prefix length, after cutting the text to what could ever fit (no glyph of the bundled
    fonts is narrower than a fifth of the size): a 100,000-character title costs a few measurements, not one
    per character removed."""
    text = text[: int(width / (size * 0.2)) + 2]
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with the ellipsis lies in [lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pdfmetrics.stringWidth(text[:mid] + "…", font, size) <= width:
            lo = mid
        else:
            hi = mid
    return text[:lo] + "…"


@dataclass(frozen=True)
class Tile:
    """A rectangle of cells ``[x0, x1) × [y0, y1)`` that one page (or board, or section) shows."""

    x0: int
    x1: int
    y0: int
    y1: int
    label: str = ""


def split_axis(total: int, per_page: int, overlap: int = 0) -> list[tuple[int, int]]:
    """Cut ``total`` cells into the fewest runs of at most ``per_page`` cells, consecutive runs sharing at least
    ``overlap`` cells, all runs (but rounding) the same length — so no page holds a lonely sliver."""
    if total <= 0 or per_page <= 0:
        raise ValueError("total and per_page must be positive")
    if total <= per_page:
        return [(0, total)]
    overlap = max(0, min(overlap, per_page - 1))
    n = math.ceil((total - overlap) / (per_page - overlap))
    size = math.ceil((total + (n - 1) * overlap) / n)
    starts = [(k * (total - size)) // (n - 1) for k in range(n)]
    return [(s, s + size) for s in starts]


def draw_page_map(
    c: Canvas,
    x: float,
    y: float,
    w: float,
    h: float,
    width: int,
    height: int,
    tiles: Sequence[Tile],
    current: int | None = None,
    font_size: float = 7.0,
) -> None:
    """The whole pattern as an outline with every tile drawn and labelled, the ``current`` one shaded, scaled to
    fit the box ``(x, y, w, h)`` — so a stitcher sees at once where a page belongs."""
    s = min(w / width, h / height)
    ox, oy = x + (w - width * s) / 2, y + (h - height * s) / 2
    top = oy + height * s
    c.saveState()
    c.setLineWidth(0.4)
    for i, t in enumerate(tiles):
        rx, ry = ox + t.x0 * s, top - t.y1 * s
        rw, rh = (t.x1 - t.x0) * s, (t.y1 - t.y0) * s
        if i == current:
            c.setFillColorRGB(0.78, 0.86, 1.0)
            c.rect(rx, ry, rw, rh, stroke=0, fill=1)
        c.setStrokeColorRGB(*GREY)
        c.rect(rx, ry, rw, rh, stroke=1, fill=0)
    for t in tiles:
        if not t.label:
            continue
        size = min(font_size, (t.y1 - t.y0) * s * 0.5, (t.x1 - t.x0) * s / max(1, len(t.label)) * 1.6)
        if size >= 3:
            c.setFillColorRGB(0, 0, 0)
            c.setFont(FONT, size)
            cx, cy = ox + (t.x0 + t.x1) / 2 * s, top - (t.y0 + t.y1) / 2 * s
            c.drawCentredString(cx, cy - size * 0.35, t.label)
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(0.8)
    c.rect(ox, oy, width * s, height * s, stroke=1, fill=0)
    c.restoreState()


# ------------------------------------------------------------------------------------------------ tables


@dataclass(frozen=True)
class Column:
    title: str
    width: float
    align: str = "left"  # left | right | centre


CellDrawer = Callable[[Canvas, float, float, float, float], None]
"""Draws a custom cell into the box ``(x, y, w, h)`` (a colour swatch, a symbol …)."""


def draw_table(
    c: Canvas,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str | CellDrawer]],
    top: float,
    new_page: Callable[[], float],
    row_h: float = 14.0,
    font_size: float = 8.5,
    bottom: float = MARGIN + FOOTER_H + 6,
) -> float:
    """Rows of text (or custom drawers) under a bold header row, continued on new pages as needed.

    ``new_page()`` finishes the current page, starts the next and returns the ``top`` to continue from; the header
    row is repeated there. Returns the ``y`` just below the last row.
    """
    x0 = MARGIN
    total_w = sum(col.width for col in columns)

    def header(y: float) -> float:
        c.setFont(FONT_BOLD, font_size)
        c.setFillColorRGB(0, 0, 0)
        x = x0
        for col in columns:
            _text_in(c, col.title, x, y - row_h, col.width, row_h, col.align, FONT_BOLD, font_size)
            x += col.width
        c.setLineWidth(0.8)
        c.setStrokeColorRGB(0, 0, 0)
        c.line(x0, y - row_h, x0 + total_w, y - row_h)
        return y - row_h

    y = header(top)
    for n, row in enumerate(rows):
        if y - row_h < bottom:
            y = header(new_page())
        if n % 2:
            c.setFillColorRGB(0.95, 0.95, 0.95)
            c.rect(x0, y - row_h, total_w, row_h, stroke=0, fill=1)
            c.setFillColorRGB(0, 0, 0)
        x = x0
        for col, cell in zip(columns, row, strict=True):
            if callable(cell):
                cell(c, x, y - row_h, col.width, row_h)
            else:
                _text_in(c, str(cell), x, y - row_h, col.width, row_h, col.align, FONT, font_size)
            x += col.width
        y -= row_h
    c.setLineWidth(0.4)
    c.setStrokeColorRGB(*GREY)
    c.line(x0, y, x0 + total_w, y)
    return y


def _text_in(c: Canvas, text: str, x: float, y: float, w: float, h: float, align: str, font: str, size: float):
    pad = 3.0
    c.setFont(font, size)
    c.setFillColorRGB(0, 0, 0)
    text = fit_text(text, font, size, w - 2 * pad)
    base = y + (h - size * 0.72) / 2
    if align == "right":
        c.drawRightString(x + w - pad, base, text)
    elif align == "centre":
        c.drawCentredString(x + w / 2, base, text)
    else:
        c.drawString(x + pad, base, text)


def draw_paragraph(c: Canvas, text: str, x: float, y: float, width: float, size: float = 8.0,
                   font: str = FONT, leading: float | None = None) -> float:
    """Word-wrapped plain text from ``y`` (top line's baseline) downwards; returns the next free baseline."""
    leading = leading or size * 1.3
    c.setFont(font, size)
    for para in text.split("\n"):
        line = ""
        for word in para.split(" "):
            trial = f"{line} {word}" if line else word
            if pdfmetrics.stringWidth(trial, font, size) <= width or not line:
                line = trial
            else:
                c.drawString(x, y, line)
                y -= leading
                line = word
        c.drawString(x, y, line)
        y -= leading
    return y
