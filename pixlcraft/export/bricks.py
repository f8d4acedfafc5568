"""Brick mosaics: what to order (BrickLink wanted list, parts CSV), a 3-D model (LDraw) and how to build it (PDF).

A mosaic is one 1×1 element per cell on a base. The element is the builder's choice — a plate (3024) shows
studs, a tile (3070b) is smooth, and the round versions (plate: BrickLink 4073 = LDraw 6141; tile 98138) give
the dotted look of LEGO's own mosaic sets. The base is either 16×16 plates (91405), which match the 16×16
sections of the instructions, or large baseplates (32×32 3811, 48×48 4186). Catalogue numbers differ between
BrickLink and LDraw for some parts, so each element carries both.

Colours come from the pattern's palette: the LEGO palette carries each colour's BrickLink id (the wanted
list's COLOR) and LDraw code (the model's colour). A palette without them cannot be ordered or modelled,
so brick formats refuse it with a message saying to use the LEGO palette.

The LDraw model stands the way the mosaic is built: lying flat, studs up (LDraw's −y), the base at y = 0, the
elements on top of it (20 LDU per stud, a plate is 8 LDU high). LDraw is right-handed with +x to the right and
−y up, so +z points away from a viewer in front of the model: seen from above (the top view of LDraw viewers,
front at the bottom), larger z is further up the picture. So column c goes to x = 20·c and row r to z = −20·r:
row 0, the picture's top row, is the far edge, and the top view shows the picture the right way round, not
mirrored. Each 16×16 section is one building step.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InputError
from ..fileio import readable
from ..jobs import Reporter
from ..palette import PaletteEntry
from ..pattern import EMPTY, Pattern
from .boards import (
    Board,
    assign_symbols,
    check_plan_pages,
    compact_rows,
    counts_per_board,
    draw_axis_numbers,
    draw_cells,
    split_boards,
    swatch_cell,
    used_boards,
)
from .registry import MAX_TITLE, ExportFormat, ExportOption, write_bytes, write_text
from .stash_column import STASH_OPTION, stash_texts
from .stash_column import WIDTH as STASH_W
from .symbols import MAX_SYMBOLS

LDU_PER_STUD = 20
PLATE_LDU = 8
SECTION = 16
"""Side of one building section (and of one instructions page) in studs."""


@dataclass(frozen=True)
class Part:
    """A LEGO part as the two catalogues name it."""

    key: str
    name: str
    bricklink: str
    ldraw: str
    studs: int = 1
    """Side in studs (1 for the mosaic elements, 16/32/48 for bases)."""

    @property
    def rebrickable(self) -> str:
        """Rebrickable's part number: the same as BrickLink's for every part used here (3024, 4073, 3070b, 98138,
        91405, 3811, 4186)."""
        return self.bricklink


ELEMENTS: dict[str, Part] = {
    p.key: p
    for p in (
        Part("plate", "Plate 1 x 1", "3024", "3024"),
        Part("round-plate", "Plate 1 x 1 Round", "4073", "6141"),
        Part("tile", "Tile 1 x 1 with Groove", "3070b", "3070b"),
        Part("round-tile", "Tile 1 x 1 Round", "98138", "98138"),
    )
}
BASES: dict[str, Part | None] = {
    "plate16": Part("plate16", "Plate 16 x 16", "91405", "91405", 16),
    "baseplate32": Part("baseplate32", "Baseplate 32 x 32", "3811", "3811", 32),
    "baseplate48": Part("baseplate48", "Baseplate 48 x 48", "4186", "4186", 48),
    "none": None,
}


@dataclass(frozen=True)
class PartLine:
    """One line of the shopping list: a part in one colour."""

    part: Part
    colour: PaletteEntry
    needed: int
    """How many the mosaic uses."""
    quantity: int
    """How many to buy: ``needed`` plus the spare percentage, rounded up."""
    is_base: bool = False


# ------------------------------------------------------------------------------------------------ checks


def check_lego(pattern: Pattern, fmt: str, need: tuple[str, ...]) -> None:
    """Every used colour must carry the catalogue ids ``need`` (``bricklink_id``, ``ldraw_code``)."""
    used = [pattern.palette[int(i)] for i in pattern.used_indices()]
    what = {"bricklink_id": "BrickLink colour id", "ldraw_code": "LDraw colour code"}
    if not any(getattr(e, n) is not None for e in pattern.palette for n in need):
        raise InputError(
            f"{fmt} needs the LEGO palette: this pattern uses {pattern.palette.brand} colours "
            f"('{pattern.palette.name}'), which have no {' or '.join(what[n] for n in need)}. "
            "Make the pattern with --palette lego (or a palette file with bricklink_id and ldraw_code columns).",
            gui=f"Brick parts lists need a pattern in LEGO colours, and this one uses {pattern.palette.brand} "
                "colours. Choose Bricks ▸ LEGO in the panel on the left and make the pattern again.",
        )
    for n in need:
        missing = [e for e in used if getattr(e, n) is None]
        if missing:
            shown = ", ".join(f"{e.code} ({e.name})" for e in missing[:8])
            more = f" and {len(missing) - 8} more" if len(missing) > 8 else ""
            raise InputError(f"{fmt} needs a {what[n]} for every colour, but {shown}{more} "
                             f"{'has' if len(missing) == 1 else 'have'} none; add them to the palette file "
                             f"(column {n}) or use --palette lego.")


_ELEMENT_COLUMN = {"plate": "plate", "round-plate": "round_plate", "tile": "tile", "round-tile": "round_tile"}


@cache
def element_colours() -> dict[str, frozenset[str]]:
    """Element key → the LEGO colour names it is made in (``palettes/lego_elements.csv``, from Rebrickable)."""
    from ..runtime import resource

    rows = list(csv.DictReader(io.StringIO(resource("pixlcraft._palettes", "lego_elements.csv")
                                           .read_text(encoding="utf-8"))))
    return {key: frozenset(r["name"] for r in rows if r[column] == "true") for key, column in _ELEMENT_COLUMN.items()}


def known_colours() -> frozenset[str]:
    return frozenset().union(*element_colours().values())


def not_made(pattern: Pattern, element: str) -> list[PaletteEntry]:
    """The pattern's colours that LEGO does not make as ``element`` (colours the table does not know pass)."""
    made, known = element_colours()[element], known_colours()
    used = [pattern.palette[int(i)] for i in pattern.used_indices()]
    return [e for e in used if e.name in known and e.name not in made]


def check_element(pattern: Pattern, element: str) -> None:
    missing = not_made(pattern, element)
    if missing:
        part = ELEMENTS[element]
        names = ", ".join(e.name for e in missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        others = [k for k in ELEMENTS if k != element and not not_made(pattern, k)]
        instead = f"choose another element ({', '.join(others)}), or " if others else ""
        raise InputError(
            f"LEGO does not make the {part.name} ({part.bricklink}) in {names}; {instead}make the pattern again "
            f"with convert --element {element}, which leaves those colours out.",
            gui=f"LEGO does not make the {part.name} in {names}. Choose another element here, or make the "
                "pattern with plates.")


def base_colour(pattern: Pattern, name: str) -> PaletteEntry:
    """The base's colour, looked up in the pattern's palette and then in the built-in LEGO palette."""
    i = pattern.palette.find(name)
    if i is not None and pattern.palette[i].bricklink_id is not None:
        return pattern.palette[i]
    from ..palette import load_builtin

    lego = load_builtin("lego")
    j = lego.find(name)
    if j is None:
        raise InputError(f"there is no LEGO colour '{name}' for the base; use a name such as Black, White or "
                         "Light Bluish Gray, or a BrickLink colour id.")
    return lego[j]


def with_spares(needed: int, spare_percent: float) -> int:
    """``needed`` plus ``spare_percent`` per cent, rounded up (exact: 3 + 10 % is 4, never 3.3000001 → 4)."""
    return math.ceil(Fraction(needed) * (100 + Fraction(str(spare_percent))) / 100)


# ------------------------------------------------------------------------------------------------ the lists


def bases_for(pattern: Pattern, base: str) -> list[Board]:
    part = BASES[base]
    return [] if part is None else split_boards(pattern.height, pattern.width, part.studs)


def parts_list(pattern: Pattern, options: dict[str, Any]) -> list[PartLine]:
    """Elements by colour (most used first), then the base parts."""
    check_element(pattern, options["element"])
    element = ELEMENTS[options["element"]]
    counts = pattern.counts()
    have = _stash_pieces(pattern, options["element"]) if options.get("only_missing") else None
    lines = []
    for i in sorted(np.flatnonzero(counts), key=lambda i: (-counts[i], i)):
        n = int(counts[i])
        order = with_spares(n, options["spare_percent"])
        if have is not None:
            n, order = max(0, n - int(have[i])), max(0, order - int(have[i]))
            if order == 0:
                continue
        lines.append(PartLine(element, pattern.palette[int(i)], n, order))
    bases = bases_for(pattern, options["base"])
    if bases:
        part = BASES[options["base"]]
        assert part is not None
        lines.append(PartLine(part, base_colour(pattern, options["base_color"]), len(bases), len(bases), True))
    return lines


def _stash_pieces(pattern: Pattern, element: str) -> np.ndarray:
    """Pieces per palette colour the user's brick stash holds of ``element`` (lines naming no element count)."""
    from ..stash import load_stash

    return load_stash("brick").cells(pattern.palette, element=element)


def bricklink_xml(lines: list[PartLine], condition: str = "any", remarks: str = "", wanted_list: int = 0) -> str:
    """A BrickLink wanted list. BrickLink refuses an XML declaration, so there is none. ``condition`` new or used
    (CONDITION N/U; any: left out), ``remarks`` (REMARKS on every item), ``wanted_list`` (WANTEDLISTID: add to
    that existing list instead of the one chosen when uploading; 0: left out)."""
    from xml.sax.saxutils import escape

    from ..formats.oxs import xml_chars

    remarks = " ".join(xml_chars(remarks).split())  # control characters would make the file unreadable
    out = ["<INVENTORY>"]
    for line in lines:
        out += [
            "  <ITEM>",
            "    <ITEMTYPE>P</ITEMTYPE>",
            f"    <ITEMID>{escape(line.part.bricklink)}</ITEMID>",
            f"    <COLOR>{line.colour.bricklink_id}</COLOR>",
            f"    <MINQTY>{line.quantity}</MINQTY>",
        ]
        if condition in ("new", "used"):
            out.append(f"    <CONDITION>{'N' if condition == 'new' else 'U'}</CONDITION>")
        if remarks:
            out.append(f"    <REMARKS>{escape(remarks)}</REMARKS>")
        if wanted_list:
            out.append(f"    <WANTEDLISTID>{int(wanted_list)}</WANTEDLISTID>")
        out.append("  </ITEM>")
    out.append("</INVENTORY>")
    return "\n".join(out) + "\n"


REBRICKABLE_HEADER = ("part", "color", "quantity")


def rebrickable_csv(lines: list[PartLine]) -> str:
    """A Rebrickable part list to import (Rebrickable's CSV columns part, color, quantity; its own colour ids,
    which differ from LDraw's for 11 of our colours)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(REBRICKABLE_HEADER)
    for line in lines:
        w.writerow([line.part.rebrickable, line.colour.rebrickable_id, line.quantity])
    return buf.getvalue()


CSV_HEADER = ("element", "bricklink_part", "ldraw_part", "colour_name", "bricklink_colour_id",
              "ldraw_colour_code", "needed", "quantity")


def parts_csv(lines: list[PartLine]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for line in lines:
        c = line.colour
        w.writerow([line.part.name, line.part.bricklink, line.part.ldraw, c.name,
                    "" if c.bricklink_id is None else c.bricklink_id,
                    "" if c.ldraw_code is None else c.ldraw_code, line.needed, line.quantity])
    return buf.getvalue()


def _ldraw_text(text: str) -> str:
    """LDraw meta lines are single lines of text."""
    return " ".join(str(text).split())


def ldraw_model(pattern: Pattern, options: dict[str, Any], name: str, reporter: Reporter | None = None) -> str:
    """The mosaic as an LDraw model: bases first, then one step per 16×16 section, one part line per cell."""
    element = ELEMENTS[options["element"]]
    base = BASES[options["base"]]
    title = _ldraw_text(pattern.metadata.get("title") or "PixlCraft mosaic")
    out = [
        f"0 {title}",
        f"0 Name: {_ldraw_text(name)}",
        f"0 Author: PixlCraft {__version__}",
        "0 !LDRAW_ORG Unofficial_Model",
        f"0 // {pattern.width} x {pattern.height} studs of {element.name} ({element.ldraw}.dat)",
    ]
    y = 0
    if base is not None:
        colour = base_colour(pattern, options["base_color"])
        for b in bases_for(pattern, options["base"]):
            cx = LDU_PER_STUD * (b.x0 + (base.studs - 1) / 2)
            cz = -LDU_PER_STUD * (b.y0 + (base.studs - 1) / 2)
            out.append(f"1 {colour.ldraw_code} {cx:g} 0 {cz:g} 1 0 0 0 1 0 0 0 1 {base.ldraw}.dat")
        out.append("0 STEP")
        y = -PLATE_LDU  # the element's origin is its top face: it sits one plate above the base's top
    codes = np.array([e.ldraw_code if e.ldraw_code is not None else -1 for e in pattern.palette], np.int64)
    sections = split_boards(pattern.height, pattern.width, SECTION)
    for k, s in enumerate(sections):
        if reporter is not None:
            reporter.report("writing LDraw model", k, len(sections))
        cells = s.cells(pattern.grid)
        rows, cols = np.nonzero(cells != EMPTY)
        if rows.size == 0:
            continue
        out.append(f"0 // section {s.label}")
        for r, c in zip((rows + s.y0).tolist(), (cols + s.x0).tolist(), strict=True):
            code = codes[pattern.grid[r, c]]
            out.append(f"1 {code} {LDU_PER_STUD * c} {y} {-LDU_PER_STUD * r} 1 0 0 0 1 0 0 0 1 {element.ldraw}.dat")
        out.append("0 STEP")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------------------------------------ writers


def write_xml(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    check_lego(pattern, "a BrickLink wanted list", ("bricklink_id",))
    lines = parts_list(pattern, options)
    return [write_text(path, bricklink_xml(lines, options["condition"], options["remarks"],
                                            options["wanted_list_id"]))]


def write_rebrickable(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    check_lego(pattern, "a Rebrickable part list", ("rebrickable_id",))
    base = options["base"]
    if base != "none" and base_colour(pattern, options["base_color"]).rebrickable_id is None:
        raise InputError(f"the base colour '{options['base_color']}' has no Rebrickable colour id; choose another.")
    return [write_text(path, rebrickable_csv(parts_list(pattern, options)))]


def write_csv(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    check_lego(pattern, "a brick parts list", ("bricklink_id", "ldraw_code"))
    return [write_text(path, parts_csv(parts_list(pattern, options)))]


def write_ldraw(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    check_lego(pattern, "an LDraw model", ("ldraw_code",))
    check_element(pattern, options["element"])
    if options["base"] != "none" and base_colour(pattern, options["base_color"]).ldraw_code is None:
        raise InputError(f"the base colour '{options['base_color']}' has no LDraw colour code; choose another.")
    return [write_text(path, ldraw_model(pattern, options, path.name, reporter))]


def section_counts(pattern: Pattern) -> tuple[list[Board], np.ndarray]:
    """The 16×16 building sections and the elements of each colour in each."""
    sections = split_boards(pattern.height, pattern.width, SECTION)
    return sections, counts_per_board(pattern, sections)


_ELEMENT = ExportOption("element", str, "plate", "the 1×1 part for each cell: plate 3024, round-plate 4073/6141, "
                        "tile 3070b or round-tile 98138", choices=tuple(ELEMENTS))
_BASE = ExportOption("base", str, "plate16", "what the mosaic is built on: 16×16 plates (91405), 32×32 or 48×48 "
                     "baseplates (3811, 4186), or none", choices=tuple(BASES))
_BASE_COLOR = ExportOption("base_color", str, "Black", "LEGO colour of the base (name or BrickLink colour id)")
_CONDITION = ExportOption("condition", str, "any", "BrickLink condition wanted: new, used or any",
                          choices=("any", "new", "used"))
_REMARKS = ExportOption("remarks", str, "", "a note on every BrickLink item (e.g. the mosaic's name)",
                        max=MAX_TITLE)
_WANTED = ExportOption("wanted_list_id", int, 0, "the id of an existing BrickLink wanted list to add to (0: chosen "
                       "when uploading)", min=0)
_SPARE = ExportOption("spare_percent", float, 0.0, "extra 1×1 elements to order, in per cent of each colour "
                      "(rounded up)", min=0.0, max=100.0)
_MISSING = ExportOption("only_missing", bool, False, "list only the 1×1 elements your brick stash lacks (what to "
                        "buy), not the whole mosaic")


# ------------------------------------------------------------------------------------------------ the PDF

GROUPS = 3
MAX_STUD_MM = 9.0


def _render_pdf(pattern: Pattern, options: dict[str, Any], title: str, total_pages: int | None,
                reporter: Reporter) -> tuple[bytes, int]:
    from .pdfkit import (
        FONT,
        FONT_BOLD,
        FOOTER_H,
        HEADER_H,
        MARGIN,
        MM,
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

    pal = pattern.palette
    element = ELEMENTS[options["element"]]
    base = BASES[options["base"]]
    lines = parts_list(pattern, options)
    sections, counts = section_counts(pattern)
    order, symbols = assign_symbols(counts.sum(axis=0), pattern)
    shape = "circle" if element.key.startswith("round") else "square"
    buf = io.BytesIO()
    c = new_canvas(buf, options["paper"], title, "Brick mosaic instructions")
    pw, ph = page_size(options["paper"])
    footer = f"{title} · LEGO {element.name} mosaic · made with PixlCraft"
    page_no = [1]
    pages = total_pages or 0

    def finish_page() -> None:
        draw_footer(c, footer, page_no[0], pages)
        c.showPage()
        page_no[0] += 1

    def continued(header: str) -> float:
        finish_page()
        draw_header(c, title, header)
        return ph - MARGIN - 40

    # 1. overview: picture, facts, section map, parts list
    draw_header(c, title, "Brick mosaic")
    top = ph - MARGIN - 36
    pic_w, pic_h = (pw - 2 * MARGIN) * 0.48, ph * 0.27
    if total_pages is not None:  # the counting pass skips what cannot change the page count
        draw_cells_image(c, pattern.rgb_image(), MARGIN, top - pic_h, pic_w, pic_h)
    stud = pal.material.pitch_mm if pal.material.craft == "brick" else 8.0
    base_text = "no base" if base is None else (
        f"{len(bases_for(pattern, options['base']))} × {base.name} ({base.bricklink}) in "
        f"{base_colour(pattern, options['base_color']).name}")
    n_elements = int(pattern.counts().sum())
    facts = (
        f"Size: {pattern.width} × {pattern.height} studs\n"
        f"Finished size: {pattern.width * stud / 10:.1f} × {pattern.height * stud / 10:.1f} cm\n"
        f"Element: {element.name} (BrickLink {element.bricklink}, LDraw {element.ldraw}.dat)\n"
        f"Elements: {n_elements} in {len(order)} colours\n"
        f"Base: {base_text}\n"
        f"Build one 16 × 16 section per page, left to right, top row first."
    )
    draw_paragraph(c, facts, MARGIN + pic_w + 14, top - 10, pw - 2 * MARGIN - pic_w - 14, size=9, leading=14)
    map_top = top - pic_h - 12
    map_h = ph * 0.14
    c.setFont(FONT, 9)
    c.drawString(MARGIN, map_top - 10, "Section map (rows A, B, … from the top; columns 1, 2, … from the left)")
    tiles = [Tile(s.x0, s.x1, s.y0, s.y1, s.label) for s in sections]
    draw_page_map(c, MARGIN, map_top - 16 - map_h, pw - 2 * MARGIN, map_h, pattern.width, pattern.height, tiles)
    y = map_top - 26 - map_h
    wide = pw - 2 * MARGIN
    stash = stash_texts(pattern, options, element=options["element"])
    extra = STASH_W if stash is not None else 0.0
    columns = [Column("", 30, "centre"), Column("Part", 150), Column("Colour", wide - 30 - 150 - 4 * 58 - extra),
               Column("BL colour", 58, "right"), Column("LDraw", 58, "right"), Column("Needed", 58, "right"),
               Column("Order", 58, "right"), *([Column("Stash", STASH_W, "right")] if extra else [])]
    rows: list[list[Any]] = []
    for line in lines:
        index = -1 if line.is_base else pal.codes.index(line.colour.code)
        sym = "" if line.is_base else symbols[index]
        tail = [] if stash is None else [stash.get(index, "")]
        rows.append([swatch_cell(line.colour.rgb, sym, "square" if line.is_base else shape),
                     f"{line.part.name} ({line.part.bricklink})", line.colour.name, str(line.colour.bricklink_id),
                     str(line.colour.ldraw_code), str(line.needed), str(line.quantity), *tail])
    elements_needed = sum(li.needed for li in lines if not li.is_base)
    elements_order = sum(li.quantity for li in lines if not li.is_base)
    rows.append(["", f"Total {element.name}", "", "", "", str(elements_needed), str(elements_order),
                 *([""] if extra else [])])
    y = draw_table(c, columns, rows, y, lambda: continued("Parts (continued)"))
    if options["spare_percent"]:
        c.setFont(FONT, 8)
        c.drawString(MARGIN, y - 12, f"'Order' adds {options['spare_percent']:g} % spare elements per colour, "
                                     "rounded up.")

    # 2. one page per 16×16 section
    group_w = wide / GROUPS
    compact = [Column("Part", 30, "centre"), Column("Colour", group_w - 30 - 40), Column("Count", 40, "right")]
    for k, s in enumerate(sections):
        reporter.report("drawing sections", k, len(sections))
        finish_page()
        draw_header(c, title, f"Section {s.label} · rows {s.y0 + 1}–{s.y1} · columns {s.x0 + 1}–{s.x1}")
        label = 6.5
        avail_w = wide - 2 * label * 2.6
        avail_h = ph - 2 * MARGIN - HEADER_H - FOOTER_H - label * 1.6 - 11 * 14.0
        pitch = min(avail_w / SECTION, avail_h / SECTION, MAX_STUD_MM * MM)
        side = SECTION * pitch
        x0 = (pw - side) / 2
        top = ph - MARGIN - HEADER_H - label * 1.6
        c.saveState()
        c.setFillColorRGB(0.93, 0.93, 0.93)
        c.setStrokeColorRGB(0.5, 0.5, 0.5)
        c.setLineWidth(0.6)
        c.rect(x0, top - side, side, side, stroke=1, fill=1)
        c.restoreState()
        cells = s.cells(pattern.grid)
        if total_pages is not None:
            draw_cells(c, cells, pal.rgb, symbols, x0, top, pitch, shape, pitch * 0.5)
        c.saveState()
        c.setStrokeColorRGB(0.25, 0.25, 0.25)
        c.setLineWidth(0.9)
        for q in range(4, SECTION, 4):  # a line every 4 studs, in the gaps between elements, helps to count
            c.line(x0 + q * pitch, top - side, x0 + q * pitch, top)
            c.line(x0, top - q * pitch, x0 + side, top - q * pitch)
        c.restoreState()
        draw_axis_numbers(c, SECTION, x0, top, pitch, s.x0, s.y0, label)
        y = top - side - 10
        items = [(pal[i].rgb, symbols[i], pal[i].name, int(counts[s.index, i]))
                 for i in order if counts[s.index, i]]
        if items:
            y = draw_table(c, compact * GROUPS, compact_rows(items, GROUPS, shape), y,
                           lambda s=s: continued(f"Section {s.label} (continued)"))
        if y < MARGIN + 40:
            y = continued(f"Section {s.label} (continued)")
        c.setFont(FONT_BOLD, 9)
        c.drawString(MARGIN, y - 14, f"Total in section {s.label}: {int(counts[s.index].sum())} elements")
        if base is not None:
            b = next(b for b in bases_for(pattern, options["base"]) if b.y0 <= s.y0 < b.y1 and b.x0 <= s.x0 < b.x1)
            c.setFont(FONT, 8)
            where = "" if base.studs == SECTION else (
                f", studs {s.y0 - b.y0 + 1}–{s.y0 - b.y0 + s.shape[0]} down and "
                f"{s.x0 - b.x0 + 1}–{s.x0 - b.x0 + s.shape[1]} across")
            c.drawString(MARGIN, y - 28, f"Built on the {base.name} in row {b.row + 1}, column {b.col + 1} of the "
                                         f"base{where}.")
    draw_footer(c, footer, page_no[0], pages)
    c.showPage()
    c.save()
    return buf.getvalue(), page_no[0]


def write_pdf(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    check_lego(pattern, "brick building instructions", ("bricklink_id", "ldraw_code"))
    if pattern.empty_count == pattern.width * pattern.height:
        raise InputError("the pattern has no filled cells, so there is nothing to build.")
    check_plan_pages(len(used_boards(pattern, split_boards(pattern.height, pattern.width, SECTION))),
                     "set of building instructions", "make the mosaic smaller, or make it in parts.")
    title = str(pattern.metadata.get("title") or readable(path.stem))
    _, pages = _render_pdf(pattern, options, title, None, Reporter(None, reporter.cancel))
    data, _ = _render_pdf(pattern, options, title, pages, reporter)
    return [write_bytes(path, data)]


_PAPER = ExportOption("paper", str, "a4", "paper size", choices=("a4", "letter"))
_CRAFTS = ["brick"]


def fits_lego(pattern: Pattern) -> str:
    """"" when every used colour has its BrickLink and LDraw ids, else why not (the export dialog's reason)."""
    try:
        check_lego(pattern, "A brick parts list", ("bricklink_id", "ldraw_code"))
    except InputError as e:
        return e.gui or str(e)
    return ""

FORMATS = [
    ExportFormat("bricklink-xml", ".xml", "BrickLink wanted list of the 1×1 elements and the base, ready to upload",
                 _CRAFTS, [_ELEMENT, _BASE, _BASE_COLOR, _SPARE, _CONDITION, _REMARKS, _WANTED, _MISSING], write_xml,
                 fits_lego),
    ExportFormat("rebrickable-csv", ".csv", "Rebrickable part list (part, color, quantity) to import into a "
                 "Rebrickable list", _CRAFTS, [_ELEMENT, _BASE, _BASE_COLOR, _SPARE, _MISSING], write_rebrickable,
                 fits_lego),
    ExportFormat("ldraw", ".ldr", "LDraw 3-D model of the mosaic (LDraw viewers, LeoCAD, Stud.io)",
                 _CRAFTS, [_ELEMENT, _BASE, _BASE_COLOR], write_ldraw, fits_lego),
    ExportFormat("parts-csv", ".csv", "Parts list as a spreadsheet: element, colour, BrickLink and LDraw ids, "
                 "quantity", _CRAFTS, [_ELEMENT, _BASE, _BASE_COLOR, _SPARE, _MISSING], write_csv, fits_lego),
    ExportFormat("brick-pdf", ".pdf", "Building instructions: parts list, section map, one page per 16×16 section",
                 _CRAFTS, [_ELEMENT, _BASE, _BASE_COLOR, _SPARE, _PAPER, STASH_OPTION], write_pdf, fits_lego,
                 MAX_SYMBOLS),
]
