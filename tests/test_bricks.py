"""Brick formats: the wanted list, parts CSV, LDraw model and instructions PDF are parsed back and checked
against the pattern's own counts and cells."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from pypdf import PdfReader

from pixlcraft.errors import InputError
from pixlcraft.export import export
from pixlcraft.export.bricks import with_spares
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import EMPTY, Pattern

BLACK_BL, BLACK_LDRAW = 11, 0  # LEGO Black: BrickLink colour 11, LDraw colour 0


def _pattern(h: int = 20, w: int = 35, seed: int = 2) -> Pattern:
    rng = np.random.default_rng(seed)
    lego = load_builtin("lego")
    idx = [lego.index_of(n) for n in ("White", "Red", "Blue", "Yellow", "Dark Bluish Gray", "Trans-Clear")]
    grid = rng.integers(0, len(idx), (h, w)).astype(np.int16)
    grid[rng.random((h, w)) < 0.05] = EMPTY
    return Pattern(grid, lego.subset(idx), {"title": "Bricks"})


def _spare(n: int, percent: int) -> int:
    """Integer-only reference for n + percent %, rounded up."""
    return (n * (100 + percent) + 99) // 100


def test_with_spares_rounds_up_exactly():
    for n in range(0, 400):
        for p in (0, 1, 5, 10, 12, 33, 100):
            assert with_spares(n, p) == _spare(n, p)
    assert with_spares(10, 2.5) == 11 and with_spares(40, 2.5) == 41 and with_spares(80, 2.5) == 82


@pytest.mark.parametrize("base,part,side", [("plate16", "91405", 16), ("baseplate32", "3811", 32),
                                            ("baseplate48", "4186", 48)])
@pytest.mark.parametrize("spare", [0, 10])
def test_bricklink_wanted_list(tmp_path, base, part, side, spare):
    pattern = _pattern()
    out = export(pattern, "bricklink-xml", tmp_path / "w.xml", {"base": base, "spare_percent": spare})
    text = out[0].read_text(encoding="utf-8")
    assert not text.lstrip().startswith("<?xml")  # BrickLink refuses a declaration
    root = ET.fromstring(text)
    assert root.tag == "INVENTORY"
    items = [{child.tag: child.text for child in item} for item in root.findall("ITEM")]
    assert all(it["ITEMTYPE"] == "P" for it in items)
    elements = [it for it in items if it["ITEMID"] == "3024"]
    bases = [it for it in items if it["ITEMID"] == part]
    assert len(elements) + len(bases) == len(items)
    counts = pattern.counts()
    want = {pattern.palette[i].bricklink_id: _spare(int(counts[i]), spare) for i in np.flatnonzero(counts)}
    got = {int(it["COLOR"]): int(it["MINQTY"]) for it in elements}
    assert got == want
    assert sum(got.values()) >= int(np.count_nonzero(pattern.grid != EMPTY))
    n_bases = -(-pattern.height // side) * -(-pattern.width // side)
    assert [(int(b["COLOR"]), int(b["MINQTY"])) for b in bases] == [(BLACK_BL, n_bases)]


@pytest.mark.parametrize("element,bl_part,ld_part", [("plate", "3024", "3024"), ("round-plate", "4073", "6141"),
                                                     ("tile", "3070b", "3070b"), ("round-tile", "98138", "98138")])
def test_parts_csv_sums_to_the_cells(tmp_path, element, bl_part, ld_part):
    pattern = _pattern(seed=5)
    out = export(pattern, "parts-csv", tmp_path / "p.csv",
                 {"element": element, "spare_percent": 5, "base": "plate16", "base_color": "White"})
    with out[0].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    elements = [r for r in rows if r["bricklink_part"] == bl_part]
    assert all(r["ldraw_part"] == ld_part for r in elements)
    counts = pattern.counts()
    assert sum(int(r["needed"]) for r in elements) == int(np.count_nonzero(pattern.grid != EMPTY))
    for r in elements:
        i = pattern.palette.find(f"bl:{r['bricklink_colour_id']}")
        e = pattern.palette[i]
        assert (r["colour_name"], int(r["ldraw_colour_code"])) == (e.name, e.ldraw_code)
        assert int(r["needed"]) == counts[i]
        assert int(r["quantity"]) == _spare(int(counts[i]), 5)
    (base,) = [r for r in rows if r not in elements]
    assert base["bricklink_part"] == "91405" and base["colour_name"] == "White"
    assert int(base["quantity"]) == 2 * 3  # 20×35 studs on 16×16 plates


def _ldraw_lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.startswith("1 ")]


@pytest.mark.parametrize("element,part", [("plate", "3024.dat"), ("round-plate", "6141.dat"),
                                          ("round-tile", "98138.dat")])
def test_ldraw_model_has_one_part_per_cell_in_place(tmp_path, element, part):
    pattern = _pattern(h=18, w=21)
    out = export(pattern, "ldraw", tmp_path / "m.ldr", {"element": element, "base": "plate16"})
    lines = _ldraw_lines(out[0].read_text(encoding="utf-8"))
    cells = [ln for ln in lines if ln[14] == part]
    bases = [ln for ln in lines if ln[14] == "91405.dat"]
    assert len(cells) + len(bases) == len(lines)
    assert len(cells) == int(np.count_nonzero(pattern.grid != EMPTY))
    seen = set()
    for ln in cells:
        colour, x, y, z = int(ln[1]), float(ln[2]), float(ln[3]), float(ln[4])
        assert ln[5:14] == ["1", "0", "0", "0", "1", "0", "0", "0", "1"]  # upright: studs up, lying flat
        assert y == -8  # on top of the base, one plate (8 LDU) above its top face
        col, row = x / 20, -z / 20  # row 0 is the far edge (largest z): the top of a top view
        assert col.is_integer() and row.is_integer()
        r, c = int(row), int(col)
        seen.add((r, c))
        assert pattern.grid[r, c] != EMPTY
        assert colour == pattern.palette[pattern.grid[r, c]].ldraw_code
    assert len(seen) == len(cells)
    # bases: 2×2 plates of 16×16, centred on their 16 studs, in black, their top face at y = 0
    centres = sorted((float(b[2]), float(b[4])) for b in bases)
    assert centres == [(150, -470), (150, -150), (470, -470), (470, -150)]
    assert all(int(b[1]) == BLACK_LDRAW and float(b[3]) == 0 for b in bases)


def test_ldraw_without_base_sits_at_zero(tmp_path):
    pattern = _pattern(h=4, w=5)
    text = export(pattern, "ldraw", tmp_path / "m.ldr", {"base": "none"})[0].read_text(encoding="utf-8")
    lines = _ldraw_lines(text)
    assert len(lines) == int(np.count_nonzero(pattern.grid != EMPTY))
    assert {float(ln[3]) for ln in lines} == {0.0}
    assert text.splitlines()[0] == "0 Bricks"


def test_brick_pdf_has_a_page_per_section_with_counts(tmp_path):
    pattern = _pattern(h=20, w=35, seed=7)
    out = export(pattern, "brick-pdf", tmp_path / "b.pdf", {"spare_percent": 10})
    reader = PdfReader(str(out[0]))
    texts = [p.extract_text() for p in reader.pages]
    sections = {}
    for t in texts:
        for label, n in re.findall(r"Total in section ([A-Z]+\d+): (\d+) elements", t):
            sections[label] = int(n)
    assert sorted(sections) == ["A1", "A2", "A3", "B1", "B2", "B3"]
    for label, n in sections.items():
        r, c = ord(label[0]) - ord("A"), int(label[1:]) - 1
        block = pattern.grid[r * 16 : (r + 1) * 16, c * 16 : (c + 1) * 16]
        assert n == int(np.count_nonzero(block != EMPTY))
    assert sum(sections.values()) == int(np.count_nonzero(pattern.grid != EMPTY))
    # the parts list on the first page: every colour with its BrickLink id, count and order quantity
    counts = pattern.counts()
    first = texts[0]
    for i in np.flatnonzero(counts):
        e = pattern.palette[i]
        m = re.search(rf"{re.escape(e.name)}\s+{e.bricklink_id}\s+{e.ldraw_code}\s+(\d+)\s+(\d+)", first)
        assert m, e.name
        assert (int(m.group(1)), int(m.group(2))) == (counts[i], _spare(int(counts[i]), 10))
    assert f"page {len(texts)} of {len(texts)}" in texts[-1]


def test_brick_formats_need_lego_colours(tmp_path):
    dmc = Pattern(np.zeros((3, 3), np.int16), load_builtin("dmc").subset([4]))
    for fmt, name in (("bricklink-xml", "w.xml"), ("ldraw", "m.ldr"), ("parts-csv", "p.csv"),
                      ("brick-pdf", "b.pdf")):
        with pytest.raises(InputError, match="For brick patterns.*--palette lego"):
            export(dmc, fmt, tmp_path / name)
    lego = load_builtin("lego")
    half = Palette("mine", "LEGO", lego.material, (lego[0], PaletteEntry("X1", "Mystery", (1, 2, 3))))
    mixed = Pattern(np.array([[0, 1]], np.int16), half)
    with pytest.raises(InputError, match=r"X1 \(Mystery\) has none"):
        export(mixed, "bricklink-xml", tmp_path / "w.xml")
    assert not any(tmp_path.iterdir())


def test_unknown_base_colour_is_explained(tmp_path):
    with pytest.raises(InputError, match="no LEGO colour 'Plaid'"):
        export(_pattern(h=3, w=3), "bricklink-xml", tmp_path / "w.xml", {"base_color": "Plaid"})


def _letter_f(h: int, w: int) -> np.ndarray:
    """A non-symmetric picture: an F (mirrored in any direction it is no longer an F)."""
    grid = np.zeros((h, w), np.int16)  # colour 0: background
    grid[1:-1, 2:4] = 1  # the stem
    grid[1:3, 2:w - 2] = 1  # the top bar
    grid[h // 2 - 1:h // 2 + 1, 2:w // 2 + 2] = 1  # the middle bar
    return grid


@pytest.mark.parametrize(("h", "w", "base"), [(16, 16, "plate16"), (40, 37, "baseplate32"), (20, 35, "none")])
def test_ldraw_top_view_matches_the_picture(tmp_path, h, w, base):
    from ldraw_spec import parts, top_view

    from pixlcraft.palette import load_builtin

    lego = load_builtin("lego")
    palette = lego.subset([lego.find("White"), lego.find("Red")])
    pattern = Pattern(_letter_f(h, w), palette)
    out = export(pattern, "ldraw", tmp_path / "f.ldr", {"base": base})[0]
    text = out.read_text(encoding="utf-8")
    view = top_view(text, "3024.dat")
    expected = np.array([e.ldraw_code for e in palette])[pattern.grid]
    assert np.array_equal(view, expected)  # the picture as a top view shows it: not mirrored
    from PIL import Image

    from pixlcraft.pattern import save_png

    save_png(pattern, tmp_path / "f.png")  # one pixel per cell, as `convert -o x.png` writes it
    pixels = np.asarray(Image.open(tmp_path / "f.png").convert("RGB"))
    red = (pixels == np.array(palette[1].rgb)).all(-1)
    assert np.array_equal(red, view == palette[1].ldraw_code)  # cell for cell the same as the PNG export
    if base != "none":  # the elements lie on the bases, studs up (−y), inside their area
        plates = [p for c, p, m, f in parts(text) if f != "3024.dat"]
        cells = [p for c, p, m, f in parts(text) if f == "3024.dat"]
        assert plates and all(p[1] == 0 for p in plates) and all(p[1] == -8 for p in cells)
        studs = {"plate16": 16, "baseplate32": 32}[base]
        xs = [p[0] for p in plates]
        zs = [p[2] for p in plates]
        assert min(xs) - 20 * (studs - 1) / 2 <= 0 and max(zs) + 20 * (studs - 1) / 2 >= 0


def test_rebrickable_part_list_uses_rebrickable_ids(tmp_path):
    import csv

    from pixlcraft.palette import load_builtin

    lego = load_builtin("lego")
    from pixlcraft.export.bricks import element_colours

    differ = [e for e in lego if e.rebrickable_id is not None and e.ldraw_code is not None
              and e.rebrickable_id != e.ldraw_code and not e.transparent
              and e.name in element_colours()["round-tile"]]
    assert differ  # Coral, Medium Tan … (palettes/SOURCES.md)
    picks = [lego.find("Black"), lego.find(differ[0].name), lego.find(differ[1].name)]
    grid = np.zeros((20, 20), np.int16)
    grid[5:15, 5:15] = 1
    grid[8:12, 8:12] = 2
    pattern = Pattern(grid, lego.subset(picks))
    out = export(pattern, "rebrickable-csv", tmp_path / "r.csv", {"element": "round-tile", "base": "plate16"})[0]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0]) == ["part", "color", "quantity"]  # Rebrickable's documented import columns
    by_colour = {(r["part"], int(r["color"])): int(r["quantity"]) for r in rows}
    counts = pattern.counts()
    for i, e in enumerate(pattern.palette):
        assert by_colour[("98138", e.rebrickable_id)] == counts[i]  # Rebrickable's colour id, not LDraw's
    assert by_colour[("91405", 0)] == 4  # four 16×16 plates in Black (Rebrickable 0)


def test_bricklink_wanted_list_condition_remarks_and_list(tmp_path):
    import xml.etree.ElementTree as ET

    pattern = _pattern(h=8, w=8)
    out = export(pattern, "bricklink-xml", tmp_path / "w.xml",
                 {"condition": "new", "remarks": "Rose <mosaic> & more", "wanted_list_id": 1234})[0]
    items = ET.parse(out).getroot().findall("ITEM")
    assert items and all(i.findtext("CONDITION") == "N" and i.findtext("WANTEDLISTID") == "1234" for i in items)
    assert items[0].findtext("REMARKS") == "Rose <mosaic> & more"
    plain = ET.parse(export(pattern, "bricklink-xml", tmp_path / "p.xml", {})[0]).getroot().findall("ITEM")
    assert all(i.find("CONDITION") is None and i.find("REMARKS") is None for i in plain)


def test_colours_an_element_is_not_made_in_are_refused_or_left_out(tmp_path, capsys):
    from pixlcraft.cli import main
    from pixlcraft.export.bricks import element_colours
    from pixlcraft.palette import load_builtin

    made = element_colours()
    assert "Sand Green" in made["plate"] and "Sand Green" not in made["round-tile"]  # Rebrickable elements.csv
    assert "Coral" not in made["round-plate"] and "Trans-Black" not in made["tile"]
    lego = load_builtin("lego")
    grid = np.zeros((16, 16), np.int16)
    grid[4:12, 4:12] = 1
    pattern = Pattern(grid, lego.subset([lego.find("White"), lego.find("Sand Green")]))
    export(pattern, "bricklink-xml", tmp_path / "ok.xml", {"element": "plate"})
    with pytest.raises(InputError, match="Sand Green") as err:
        export(pattern, "bricklink-xml", tmp_path / "no.xml", {"element": "round-tile"})
    assert "plate" in str(err.value) and not (tmp_path / "no.xml").exists()
    photo = tmp_path / "green.png"
    from PIL import Image

    Image.fromarray(np.full((32, 32, 3), (160, 188, 172), np.uint8)).save(photo)  # a sand-green-ish photo
    assert main(["convert", str(photo), "--palette", "lego", "--width", "8", "--element", "round-tile",
                 "-o", str(tmp_path / "g.pixl")]) == 0
    from pixlcraft.pattern import load_pixl

    used = {e.name for e in (lambda p: [p.palette[i] for i in p.used_indices()])(load_pixl(tmp_path / "g.pixl"))}
    assert used and all(name in made["round-tile"] for name in used)
