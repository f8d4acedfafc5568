"""Cutting a pattern into the physical pieces it is built on: pegboards for beads, 16×16 sections for bricks.

Beads are ironed on square pegboards (29×29 pegs is the common large Perler/Hama board) and brick mosaics are
built on 16×16 plates or larger baseplates, so both crafts need the same thing: the grid split into fixed
squares, each square named so that a page, a count and a place on the map agree. Squares at the right and
bottom edges may be partly used; they keep their full physical size (a half-filled pegboard is still a
pegboard) but only the cells inside the pattern are counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..pattern import EMPTY, Pattern

MIN_BOARD = 4
MAX_BOARD = 100


@dataclass(frozen=True)
class Board:
    """One square piece: rows ``y0:y1`` and columns ``x0:x1`` of the pattern (end-exclusive)."""

    index: int
    """Position in reading order (left to right, then top to bottom), from 0."""
    row: int
    col: int
    y0: int
    x0: int
    y1: int
    x1: int
    size: int
    """Side of the physical board in cells (the used part ``y1-y0``×``x1-x0`` may be smaller at the edges)."""

    @property
    def label(self) -> str:
        """Spreadsheet-like name, row letter then column number ("A1", "B3"), printed on the map and pages."""
        return f"{row_letters(self.row)}{self.col + 1}"

    @property
    def shape(self) -> tuple[int, int]:
        return self.y1 - self.y0, self.x1 - self.x0

    def cells(self, grid: np.ndarray) -> np.ndarray:
        return grid[self.y0 : self.y1, self.x0 : self.x1]


def row_letters(row: int) -> str:
    """0 → A, 25 → Z, 26 → AA, … (a 1000-cell pattern on 4-peg boards needs 250 rows, so two letters)."""
    out = ""
    n = row + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("A") + rem) + out
    return out


def check_board_size(size: object, what: str = "board") -> int:
    if isinstance(size, bool) or not isinstance(size, int | np.integer):
        raise InputError(f"the {what} size must be a whole number of cells per side, not {size!r}.")
    size = int(size)
    if not MIN_BOARD <= size <= MAX_BOARD:
        raise InputError(f"the {what} size must be {MIN_BOARD}–{MAX_BOARD} cells per side, not {size}.")
    return size


def split_boards(height: int, width: int, size: int) -> list[Board]:
    """Square boards of ``size`` cells covering an ``height``×``width`` grid, in reading order."""
    size = check_board_size(size)
    rows, cols = -(-height // size), -(-width // size)
    boards = []
    for r in range(rows):
        for c in range(cols):
            y0, x0 = r * size, c * size
            boards.append(Board(len(boards), r, c, y0, x0, min(y0 + size, height), min(x0 + size, width), size))
    return boards


def board_grid_shape(boards: list[Board]) -> tuple[int, int]:
    """Rows × columns of boards."""
    return max(b.row for b in boards) + 1, max(b.col for b in boards) + 1


def counts_per_board(pattern: Pattern, boards: list[Board]) -> np.ndarray:
    """``(len(boards), len(palette))`` int64: cells of each colour on each board (empty cells not counted)."""
    n = len(pattern.palette)
    out = np.zeros((len(boards), n), np.int64)
    for b in boards:
        cells = b.cells(pattern.grid)
        out[b.index] = np.bincount(cells[cells != EMPTY].ravel(), minlength=n)
    return out


def used_boards(pattern: Pattern, boards: list[Board]) -> list[Board]:
    """Boards with at least one filled cell (a transparent corner needs no board and no page)."""
    return [b for b in boards if np.any(b.cells(pattern.grid) != EMPTY)]


MAX_PLAN_PAGES = 2500
"""Most board or section pages a plan may have: past this a printout is no use to anyone, and writing it would
take minutes and a gigabyte (a 1000×1000 plan on 4-peg boards would be 62,500 pages)."""


def check_plan_pages(pages: int, what: str, advice: str) -> None:
    """Refuse, before any drawing, a plan of more than :data:`MAX_PLAN_PAGES` pages."""
    if pages > MAX_PLAN_PAGES:
        from ..errors import InputError

        raise InputError(f"this {what} would need {pages:,} pages, more than the {MAX_PLAN_PAGES:,} a plan may "
                         f"have; {advice}")


# ------------------------------------------------------------------------------------------------ drawing
# Shared by the bead and brick PDFs. The canvas is a reportlab Canvas; reportlab is imported only by callers.

_K = 0.5523  # Bézier handle length of a quarter circle, as a fraction of the radius


def _n(v: float) -> str:
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


_CIRCLE = (
    "{0:.2f} {1:.2f} m {0:.2f} {2:.2f} {3:.2f} {4:.2f} {5:.2f} {4:.2f} c "
    "{6:.2f} {4:.2f} {7:.2f} {2:.2f} {7:.2f} {1:.2f} c "
    "{7:.2f} {8:.2f} {6:.2f} {9:.2f} {5:.2f} {9:.2f} c "
    "{3:.2f} {9:.2f} {0:.2f} {8:.2f} {0:.2f} {1:.2f} c h"
)


def circle_path(cx: float, cy: float, r: float) -> str:
    """A circle as four Bézier curves in raw PDF operators (no fill/stroke operator). One format call per
    circle: a board page has thousands, and this is most of the time spent drawing it."""
    k = r * _K
    return _CIRCLE.format(cx + r, cy, cy + k, cx + k, cy + r, cx, cx - k, cx - r, cy - k, cy - r)


def draw_cells(
    c,
    cells: np.ndarray,
    rgb: np.ndarray,
    symbols: list[str],
    x: float,
    top: float,
    pitch: float,
    shape: str,
    symbol_size: float,
) -> None:
    """Cells of a board as coloured circles or squares with their colour's symbol, top-left at ``(x, top)``.

    ``cells`` holds palette indices (``EMPTY`` = nothing), ``rgb`` the palette colours, ``symbols`` one glyph per
    palette index. Everything is written as raw PDF operators grouped by colour, so a page of 2,500 beads is a
    few hundred kilobytes of content drawn in milliseconds instead of one reportlab call per bead.
    """
    from .pdfkit import SYMBOL_FONT, GlyphWriter, ink_for

    h, w = cells.shape
    radius = pitch * 0.45
    out = ["q", "0.35 w", "0.55 0.55 0.55 RG"]
    glyphs: dict[tuple[float, float, float], list[tuple[str, float, float]]] = {}
    for idx in np.unique(cells[cells != EMPTY]).tolist():
        r, g, b = (int(v) for v in rgb[idx])
        out.append(f"{_n(r / 255)} {_n(g / 255)} {_n(b / 255)} rg")
        ys, xs = np.nonzero(cells == idx)
        ink = ink_for((r, g, b))
        items = glyphs.setdefault(ink, [])
        for yy, xx in zip(ys.tolist(), xs.tolist(), strict=True):
            cx, cy = x + (xx + 0.5) * pitch, top - (yy + 0.5) * pitch
            if shape == "circle":
                out.append(circle_path(cx, cy, radius) + " B")
            else:
                inset = pitch * 0.04
                out.append(f"{_n(cx - pitch / 2 + inset)} {_n(cy - pitch / 2 + inset)} "
                           f"{_n(pitch - 2 * inset)} {_n(pitch - 2 * inset)} re B")
            items.append((symbols[idx], cx, cy))
    out.append("Q")
    c.addLiteral("\n".join(out))
    writer = GlyphWriter(c, SYMBOL_FONT, symbol_size)
    for ink, items in glyphs.items():
        writer.draw(items, ink)


def draw_empty_pegs(c, cells: np.ndarray, size: int, x: float, top: float, pitch: float) -> None:
    """Small grey dots where a peg has no bead (empty cells and the unused part of an edge board)."""
    mask = np.ones((size, size), bool)
    h, w = cells.shape
    mask[:h, :w] = cells == EMPTY
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return
    r = max(0.6, pitch * 0.08)
    out = ["q", "0.78 0.78 0.78 rg"]
    out += [circle_path(x + (xx + 0.5) * pitch, top - (yy + 0.5) * pitch, r) + " f"
            for yy, xx in zip(ys.tolist(), xs.tolist(), strict=True)]
    out.append("Q")
    c.addLiteral("\n".join(out))


def draw_axis_numbers(c, size: int, x: float, top: float, pitch: float, first_col: int, first_row: int,
                      font_size: float) -> None:
    """Pattern column numbers above and row numbers left of a board, every 5th (and the first) one."""
    from .pdfkit import FONT

    c.saveState()
    c.setFont(FONT, font_size)
    c.setFillColorRGB(0.35, 0.35, 0.35)
    for k in range(size):
        if k == 0 or (first_col + k + 1) % 5 == 0:
            c.drawCentredString(x + (k + 0.5) * pitch, top + font_size * 0.45, str(first_col + k + 1))
        if k == 0 or (first_row + k + 1) % 5 == 0:
            c.drawRightString(x - font_size * 0.4, top - (k + 0.5) * pitch - font_size * 0.35, str(first_row + k + 1))
    c.restoreState()


def assign_symbols(totals: np.ndarray, pattern: Pattern) -> tuple[list[int], list[str]]:
    """Used palette indices, most used first, and a symbol per palette index: the pattern's own symbols
    (:func:`pixlcraft.symbols.ensure_symbols`), the same as on screen and in every other export."""
    from ..symbols import ensure_symbols
    from .symbols import symbols_for

    order = sorted(np.flatnonzero(totals).tolist(), key=lambda i: (-int(totals[i]), i))
    symbols_for(len(order))  # more colours than symbols: the clear error
    assigned = ensure_symbols(pattern)
    symbols = [""] * len(totals)
    for i in order:
        symbols[i] = assigned.get(i, "")
    return order, symbols


def symbol_cell(ch: str):
    """A table cell drawer: the symbol alone, centred."""

    def draw(c, x: float, y: float, w: float, h: float) -> None:
        from .pdfkit import draw_symbol

        draw_symbol(c, ch, x + w / 2, y + h / 2, h * 0.62)

    return draw


def swatch_cell(rgb: tuple[int, int, int], ch: str | None = None, shape: str = "circle"):
    """A table cell drawer: the colour as it appears on the board (circle or square) with its symbol on it."""

    def draw(c, x: float, y: float, w: float, h: float) -> None:
        from .pdfkit import draw_symbol, ink_for

        r = h * 0.4
        cx, cy = x + w / 2, y + h / 2
        path = circle_path(cx, cy, r) if shape == "circle" else f"{_n(cx - r)} {_n(cy - r)} {_n(2 * r)} {_n(2 * r)} re"
        fill = " ".join(_n(v / 255) for v in rgb)
        c.addLiteral(f"q 0.35 w 0.55 0.55 0.55 RG {fill} rg {path} B Q")
        if ch:
            draw_symbol(c, ch, cx, cy, h * 0.45, ink_for(rgb))

    return draw


def compact_rows(items: list[tuple[tuple[int, int, int], str, str, int]], groups: int,
                 shape: str = "circle") -> list[list[object]]:
    """``(rgb, symbol, code, count)`` items laid out in ``groups`` side-by-side column groups of (swatch, code,
    count), read down then across: a board or section page rarely has room for a full-width table."""
    per_col = -(-len(items) // groups)
    rows: list[list[object]] = []
    for r in range(per_col):
        row: list[object] = []
        for g in range(groups):
            k = g * per_col + r
            if k < len(items):
                rgb, ch, code, n = items[k]
                row += [swatch_cell(rgb, ch, shape), code, str(n)]
            else:
                row += ["", "", ""]
        rows.append(row)
    return rows
