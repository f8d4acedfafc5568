"""Fuse-bead plans: the pattern cut into pegboards, one printed page per board, with bead counts.

Beads are placed on square pegboards (29×29 pegs is the usual large board) and a big picture takes several
boards side by side, so the plan is: an overview page (picture, finished size, the board map and the total
bead count per colour), then one page per board with every bead drawn as a coloured circle carrying its
colour's symbol, and that board's own counts — so each board can be sorted and filled on its own.

With ``true_scale`` the board is printed at the bead pitch of the palette's material (5 mm midi, 2.6 mm mini),
so the sheet can lie under a clear pegboard and the beads go straight onto their circles. Printers like to
"fit to page", which silently shrinks the print; a 10 cm ruler on every true-scale page lets the user check.
A board that is larger than the paper at true scale is refused with the largest board that fits, because a
board split over two sheets cannot lie flat under one pegboard.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..fileio import readable
from ..jobs import Reporter
from ..pattern import Pattern
from .boards import (
    Board,
    assign_symbols,
    check_plan_pages,
    compact_rows,
    counts_per_board,
    draw_axis_numbers,
    draw_cells,
    draw_empty_pegs,
    split_boards,
    swatch_cell,
    symbol_cell,
    used_boards,
)
from .registry import ExportFormat, ExportOption, write_bytes
from .stash_column import STASH_OPTION, stash_texts
from .stash_column import WIDTH as STASH_W
from .symbols import MAX_SYMBOLS

DEFAULT_PITCH_MM = 5.0
"""Pitch used for a pattern whose palette is not a bead palette (a midi pegboard)."""
RULER_MM = 100
MAX_CELL_MM = 9.0
"""Largest bead circle in a normal (not true-scale) print: bigger only wastes paper."""

GROUPS = 3
"""Side-by-side column groups of the per-board count table."""
TRUE_SCALE_NOTE = "Print at 100 % (actual size; switch off 'fit to page'). The ruler must measure exactly 10 cm."


@dataclass(frozen=True)
class BoardGeometry:
    """Where a board goes on its page, in points."""

    pitch: float
    x: float
    top: float
    label_size: float


def bead_pitch_mm(pattern: Pattern) -> float:
    m = pattern.palette.material
    return m.pitch_mm if m.craft == "bead" else DEFAULT_PITCH_MM


def _label_room(label_size: float) -> tuple[float, float]:
    """Room left of (row numbers up to 1000) and above (column numbers) a board."""
    return label_size * 2.6, label_size * 1.6


def board_geometry(page: tuple[float, float], size: int, pitch_mm: float, true_scale: bool) -> BoardGeometry:
    """The board's pitch and position; at true scale, :class:`InputError` if it does not fit the paper."""
    from .pdfkit import FOOTER_H, HEADER_H, MARGIN, MM

    pw, ph = page
    label = 6.5
    left, above = _label_room(label)
    avail_w = pw - 2 * MARGIN - 2 * left
    ruler_h = 46.0 if true_scale else 0.0
    min_table = 9 * 14.0  # header, 7 rows of counts (21 colours in 3 groups), the total line
    avail_h = ph - 2 * MARGIN - HEADER_H - FOOTER_H - above - ruler_h - min_table
    if true_scale:
        pitch = pitch_mm * MM
        if size * pitch > avail_w or size * pitch > avail_h:
            most = int(min(avail_w, avail_h) // pitch)
            raise InputError(
                f"a {size}×{size} board at {pitch_mm:g} mm per bead is {size * pitch_mm:g} mm wide, larger than "
                f"this paper can print at true scale; use --board {most} or less, or print without --true-scale."
            )
    else:
        pitch = min(avail_w / size, avail_h / size, MAX_CELL_MM * MM)
    x = (pw - size * pitch) / 2
    top = ph - MARGIN - HEADER_H - above
    return BoardGeometry(pitch, x, top, label)


def draw_ruler(c, x: float, y: float, length_mm: int = RULER_MM) -> None:
    """A calibration bar ``length_mm`` long with millimetre ticks, its left end at ``(x, y)``."""
    from .pdfkit import FONT, MM

    c.saveState()
    c.setStrokeColorRGB(0, 0, 0)
    c.setLineWidth(0.6)
    c.rect(x, y, length_mm * MM, 2.0, stroke=1, fill=0)
    c.setLineWidth(0.3)
    c.setFont(FONT, 6)
    for mm in range(length_mm + 1):
        tick = 7.0 if mm % 10 == 0 else 4.5 if mm % 5 == 0 else 2.5
        c.line(x + mm * MM, y + 2.0, x + mm * MM, y + 2.0 + tick)
        if mm % 10 == 0:
            c.drawCentredString(x + mm * MM, y + 11.0, f"{mm // 10}")
    c.drawString(x + length_mm * MM + 4, y + 1, "cm")
    c.restoreState()


@dataclass
class _Doc:
    """What every page needs to know."""

    pattern: Pattern
    title: str
    boards: list[Board]
    pages_for: list[Board]
    counts: np.ndarray
    totals: np.ndarray
    order: list[int]
    symbols: list[str]
    size: int
    pitch_mm: float
    true_scale: bool
    paper: str
    stash: dict[int, str] | None = None
    """Palette index → "in stash" / "buy 1 bag" (the key's stash column), or None for no column."""


def _colour_rows(doc: _Doc, counts: np.ndarray) -> list[list[Any]]:
    pal = doc.pattern.palette
    rows: list[list[Any]] = []
    for i in doc.order:
        n = int(counts[i])
        if n:
            e = pal[i]
            tail = [doc.stash.get(i, "")] if doc.stash is not None else []
            rows.append([symbol_cell(doc.symbols[i]), swatch_cell(e.rgb, doc.symbols[i]), e.code, e.name, str(n),
                         *tail])
    return rows


def _compact(doc: _Doc, counts: np.ndarray) -> list[list[Any]]:
    pal = doc.pattern.palette
    return compact_rows([(pal[i].rgb, doc.symbols[i], pal[i].code, int(counts[i])) for i in doc.order if counts[i]],
                        GROUPS)


def _render(doc: _Doc, total_pages: int | None, reporter: Reporter) -> tuple[bytes, int]:
    from .pdfkit import (
        FONT,
        FONT_BOLD,
        MARGIN,
        Column,
        Tile,
        draw_cells_image,
        draw_footer,
        draw_header,
        draw_page_map,
        draw_paragraph,
        draw_table,
        new_canvas,
        page_size,
    )

    p = doc.pattern
    pal = p.palette
    buf = io.BytesIO()
    c = new_canvas(buf, doc.paper, doc.title, "Fuse-bead plan")
    pw, ph = page_size(doc.paper)
    footer = f"{doc.title} · {pal.brand} beads · made with PixlCraft"
    page_no = [1]
    pages = total_pages or 0
    extra = STASH_W if doc.stash is not None else 0.0
    columns = [Column("Symbol", 44, "centre"), Column("Bead", 36, "centre"), Column("Code", 80),
               Column("Colour", pw - 2 * MARGIN - 44 - 36 - 80 - 70 - extra), Column("Beads", 70, "right"),
               *([Column("Stash", STASH_W, "right")] if extra else [])]

    group_w = (pw - 2 * MARGIN) / GROUPS
    compact = [Column("Bead", 38, "centre"), Column("Code", group_w - 38 - 52), Column("Beads", 52, "right")]
    compact = compact * GROUPS

    def finish_page() -> None:
        draw_footer(c, footer, page_no[0], pages)
        c.showPage()
        page_no[0] += 1

    def continued(header: str) -> float:
        finish_page()
        draw_header(c, doc.title, header)
        return ph - MARGIN - 40

    # 1. overview: picture, facts, board map, colour totals
    draw_header(c, doc.title, f"Fuse-bead plan · {pal.brand}")
    top = ph - MARGIN - 36
    pic_w, pic_h = (pw - 2 * MARGIN) * 0.48, ph * 0.27
    if total_pages is not None:  # the counting pass skips what cannot change the page count
        draw_cells_image(c, p.rgb_image(), MARGIN, top - pic_h, pic_w, pic_h)
    rows_b, cols_b = -(-p.height // doc.size), -(-p.width // doc.size)
    w_cm, h_cm = p.width * doc.pitch_mm / 10, p.height * doc.pitch_mm / 10
    facts = (
        f"Size: {p.width} × {p.height} beads\n"
        f"Finished size: {w_cm:.1f} × {h_cm:.1f} cm ({doc.pitch_mm:g} mm beads)\n"
        f"Beads: {int(doc.totals.sum())} in {int(np.count_nonzero(doc.totals))} colours ({pal.brand})\n"
        f"Pegboards: {len(doc.pages_for)} of {doc.size} × {doc.size} pegs "
        f"({cols_b} across × {rows_b} down)\n"
        + ("Board pages are printed at true size. " + TRUE_SCALE_NOTE if doc.true_scale else
           "Board pages are not to scale.")
    )
    draw_paragraph(c, facts, MARGIN + pic_w + 14, top - 10, pw - 2 * MARGIN - pic_w - 14, size=9, leading=14)
    map_top = top - pic_h - 12
    map_h = ph * 0.14
    c.setFont(FONT, 9)
    c.drawString(MARGIN, map_top - 10, "Board map (rows A, B, … from the top; columns 1, 2, … from the left)")
    tiles = [Tile(b.x0, b.x1, b.y0, b.y1, b.label) for b in doc.boards]
    draw_page_map(c, MARGIN, map_top - 16 - map_h, pw - 2 * MARGIN, map_h, p.width, p.height, tiles)
    y = map_top - 26 - map_h
    rows = _colour_rows(doc, doc.totals)
    rows.append(["", "", "", "Total", str(int(doc.totals.sum())), *([""] if extra else [])])
    draw_table(c, columns, rows, y, lambda: continued("Colours (continued)"))

    # 2. one page per board
    pitch_mm = doc.pitch_mm
    for k, b in enumerate(doc.pages_for):
        reporter.report("drawing boards", k, len(doc.pages_for))
        finish_page()
        draw_header(c, doc.title, f"Board {b.label} · rows {b.y0 + 1}–{b.y1} · columns {b.x0 + 1}–{b.x1}")
        g = board_geometry((pw, ph), doc.size, pitch_mm, doc.true_scale)
        side = doc.size * g.pitch
        c.saveState()
        c.setStrokeColorRGB(0.6, 0.6, 0.6)
        c.setLineWidth(0.5)
        c.rect(g.x, g.top - side, side, side, stroke=1, fill=0)
        c.restoreState()
        cells = b.cells(p.grid)
        if total_pages is not None:
            draw_empty_pegs(c, cells, doc.size, g.x, g.top, g.pitch)
            draw_cells(c, cells, pal.rgb, doc.symbols, g.x, g.top, g.pitch, "circle", g.pitch * 0.5)
        draw_axis_numbers(c, doc.size, g.x, g.top, g.pitch, b.x0, b.y0, g.label_size)
        y = g.top - side - 10
        if doc.true_scale:
            from .pdfkit import MM

            c.setFont(FONT, 7.5)
            c.drawString(MARGIN, y - 8, f"True size: {pitch_mm:g} mm per bead. " + TRUE_SCALE_NOTE)
            draw_ruler(c, (pw - RULER_MM * MM) / 2, y - 34)
            y -= 46
        board_rows = _compact(doc, doc.counts[b.index])
        y = draw_table(c, compact, board_rows, y, lambda b=b: continued(f"Board {b.label} (continued)"))
        if y < MARGIN + 40:
            y = continued(f"Board {b.label} (continued)")
        c.setFont(FONT_BOLD, 9)
        c.drawString(MARGIN, y - 14, f"Total on board {b.label}: {int(doc.counts[b.index].sum())} beads")
    draw_footer(c, footer, page_no[0], pages)
    c.showPage()
    c.save()
    return buf.getvalue(), page_no[0]


def write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    from .pdfkit import page_size

    size, paper, true_scale = options["board"], options["paper"], options["true_scale"]
    pitch_mm = bead_pitch_mm(pattern)
    board_geometry(page_size(paper), size, pitch_mm, true_scale)  # refuse a board that does not fit, early
    if pattern.empty_count == pattern.width * pattern.height:
        raise InputError("the pattern has no filled cells, so there are no beads to plan.")
    boards = split_boards(pattern.height, pattern.width, size)
    check_plan_pages(len(used_boards(pattern, boards)), "bead plan",
                     "choose a larger board (such as --board 29) or make the pattern smaller.")
    counts = counts_per_board(pattern, boards)
    totals = counts.sum(axis=0)
    order, symbols = assign_symbols(totals, pattern)
    doc = _Doc(pattern, str(pattern.metadata.get("title") or readable(path.stem)), boards, used_boards(pattern, boards),
               counts, totals, order, symbols, size, pitch_mm, true_scale, paper,
               stash_texts(pattern, options))
    # Page numbers say "of N", and tables may run over: lay the document out once to count, then for real.
    _, pages = _render(doc, None, Reporter(None, reporter.cancel))
    data, _ = _render(doc, pages, reporter)
    return [write_bytes(path, data)]


FORMATS = [
    ExportFormat(
        "bead-pdf",
        ".pdf",
        "Fuse-bead plan: board map, one page per pegboard with bead counts, optional true-size print",
        ["bead"],
        [
            ExportOption("board", int, 29, "pegboard side in pegs (29 for large square boards)", min=4, max=100),
            ExportOption("paper", str, "a4", "paper size", choices=("a4", "letter")),
            ExportOption("true_scale", bool, False, "print boards at the real bead size to lay under a clear "
                         "pegboard (5 mm midi, 2.6 mm mini), with a 10 cm ruler to check the print"),
            STASH_OPTION,
        ],
        write,
        max_colors=MAX_SYMBOLS,
    )
]
