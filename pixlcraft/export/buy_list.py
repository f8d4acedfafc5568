"""What to buy, as a file: the pattern's needs minus the user's stash (:mod:`pixlcraft.stash.buy`).

``buy-csv`` is the list for a spreadsheet or a shop's bulk order; ``buy-pdf`` a page to take to the shop,
with each colour's swatch, what the stash has and what to buy, and the total. Both compare with the user's
own stash of the pattern's kind (threads, beads or bricks), the one ``pixlcraft stash`` and My Stash edit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ..jobs import Reporter
from ..pattern import Pattern
from .registry import ExportFormat, ExportOption, write_bytes, write_text

_STRANDS = ExportOption("strands", int, 0, "threads: strands per stitch (0: as the pattern records, else 2)",
                        min=0, max=6)
_ELEMENT = ExportOption("element", str, "any", "bricks: the 1×1 element you will build with (stash lines of "
                        "other elements do not count)", choices=("any", "plate", "round-plate", "tile",
                                                                  "round-tile"))


def _lines(pattern: Pattern, options: dict[str, Any]):
    from dataclasses import replace

    from ..stash import load_stash
    from ..stash.buy import buy_list
    from ..stash.model import family_of
    from ..stash.use import recorded_rule

    rule = recorded_rule(pattern)
    if options.get("strands"):
        rule = replace(rule, strands=int(options["strands"]))
    stash = load_stash(family_of(pattern.palette))
    element = "" if options.get("element", "any") == "any" else options["element"]
    return buy_list(pattern, stash, rule, element), stash


def write_csv(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    from ..stash.buy import buy_csv

    lines, _ = _lines(pattern, options)
    return [write_text(path, buy_csv(lines))]


def write_pdf(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    lines, stash = _lines(pattern, options)
    _, pages = _render(pattern, lines, stash, path, 0)  # laid out once to count the pages for "of N"
    data, _ = _render(pattern, lines, stash, path, pages)
    return [write_bytes(path, data)]


def _render(pattern: Pattern, lines, stash, path: Path, pages: int) -> tuple[bytes, int]:
    from ..stash.buy import buy_summary
    from .pdfkit import MARGIN, Column, draw_footer, draw_header, draw_paragraph, draw_table, new_canvas, rgb01

    title = str(pattern.metadata.get("title") or path.stem)
    footer = f"{title} · buy list · made with PixlCraft"
    buf = io.BytesIO()
    c = new_canvas(buf, "a4", title, "Buy list")
    pw, ph = c._pagesize
    page = [1]

    def new_page() -> float:
        draw_footer(c, footer, page[0], pages)
        c.showPage()
        page[0] += 1
        draw_header(c, title, "Buy list (continued)")
        return ph - MARGIN - 40

    def swatch(rgb):
        def draw(cv, x, y, w, h):
            cv.setFillColorRGB(*rgb01(rgb))
            cv.setStrokeColorRGB(0.3, 0.3, 0.3)
            cv.rect(x + 6, y + 2, w - 12, h - 4, stroke=1, fill=1)
            cv.setFillColorRGB(0, 0, 0)

        return draw

    draw_header(c, title, f"Buy list · {pattern.palette.brand}")
    y = draw_paragraph(c, f"{buy_summary(lines)} Compared with your {stash.family} stash "
                          f"({len(stash.items)} line{'s' if len(stash.items) != 1 else ''}).",
                       MARGIN, ph - MARGIN - 48, pw - 2 * MARGIN, size=10)
    wide = pw - 2 * MARGIN
    columns = [Column("", 36, "centre"), Column("Code", 70), Column("Name", wide - 36 - 70 - 3 * 80),
               Column("Needed", 80, "right"), Column("In stash", 80, "right"), Column("To buy", 80, "right")]
    rows = [[swatch(pattern.palette[ln.index].rgb), ln.code, ln.name, f"{ln.need:,.0f}", ln.in_stash(), ln.to_buy()]
            for ln in sorted(lines, key=lambda ln: (ln.buy == 0, ln.code))]
    draw_table(c, columns, rows, y - 8, new_page)
    draw_footer(c, footer, page[0], pages)
    c.showPage()
    c.save()
    return buf.getvalue(), page[0]


_CRAFTS = ["stitch", "bead", "brick"]
FORMATS = [
    ExportFormat("buy-csv", ".csv", "What to buy: each colour's need, what your stash has and what to buy, as CSV",
                 _CRAFTS, [_STRANDS, _ELEMENT], write_csv),
    ExportFormat("buy-pdf", ".pdf", "What to buy, as a page to take to the shop (with colour swatches)",
                 _CRAFTS, [_STRANDS, _ELEMENT], write_pdf),
]
