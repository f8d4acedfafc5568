"""OXS (open cross-stitch XML): exact round trips, files from other programs, damaged files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.cli import main
from pixlcraft.errors import PatternFileError
from pixlcraft.export import export
from pixlcraft.formats import load_pattern
from pixlcraft.formats.oxs import read_oxs, save_oxs
from pixlcraft.material import AIDA_14, aida
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import EMPTY, Pattern, load_pixl, save_pixl


def dmc_pattern(w: int = 23, h: int = 17, k: int = 9, seed: int = 1) -> Pattern:
    rng = np.random.default_rng(seed)
    dmc = load_builtin("dmc")
    idx = rng.choice(len(dmc), k, replace=False)
    grid = idx[rng.integers(0, k, (h, w))].astype(np.int16)
    grid[rng.random((h, w)) < 0.2] = EMPTY
    return Pattern(grid, dmc, {"title": 'Roses & "thorns" <1>'})


def same_pattern(a: Pattern, b: Pattern) -> None:
    """Same cells, same threads (code, name, colour) in every cell, same title."""
    a, b = a.compact(), b.compact()
    assert a.grid.shape == b.grid.shape
    assert np.array_equal(a.grid == EMPTY, b.grid == EMPTY)
    ea = [(e.code, e.name, e.rgb) for e in a.palette]
    eb = [(e.code, e.name, e.rgb) for e in b.palette]
    filled = a.grid != EMPTY
    assert [ea[i] for i in a.grid[filled]] == [eb[i] for i in b.grid[filled]]
    assert a.metadata.get("title") == b.metadata.get("title")


def test_round_trip_is_exact(tmp_path: Path) -> None:
    pattern = dmc_pattern()
    out = tmp_path / "roses.oxs"
    assert export(pattern, "oxs", out) == [out]
    back = read_oxs(out)
    same_pattern(pattern, back)
    assert back.palette.brand == "DMC" and back.palette.material == AIDA_14
    assert [e.code for e in back.palette] == [e.code for e in pattern.compact().palette]


def test_blank_pattern_round_trips(tmp_path: Path) -> None:
    pattern = Pattern(np.full((4, 6), EMPTY, np.int16), load_builtin("dmc"), {"title": "Blank"})
    export(pattern, "oxs", tmp_path / "b.oxs")
    back = read_oxs(tmp_path / "b.oxs")
    assert back.grid.shape == (4, 6) and back.empty_count == 24 and back.metadata["title"] == "Blank"


def test_file_structure(tmp_path: Path) -> None:
    pattern = dmc_pattern()
    out = tmp_path / "s.oxs"
    export(pattern, "oxs", out, {"fabric_count": 18, "strands": 3})
    root = ET.parse(out).getroot()
    assert root.tag == "chart"
    props = root.find("properties")
    assert props.get("chartwidth") == str(pattern.width) and props.get("chartheight") == str(pattern.height)
    assert props.get("stitchesperinch") == "18" and props.get("oxsversion") == "1.0"
    assert props.get("charttitle") == pattern.metadata["title"]
    items = root.find("palette").findall("palette_item")
    assert items[0].get("index") == "0" and items[0].get("name") == "cloth"
    used = pattern.used_indices()
    assert props.get("palettecount") == str(len(used)) == str(len(items) - 1)
    by_index = {int(it.get("index")): it for it in items[1:]}
    for it in items[1:]:
        assert it.get("strands") == "3" and len(it.get("color")) == 6
    stitches = root.find("fullstitches").findall("stitch")
    assert len(stitches) == int((pattern.grid != EMPTY).sum())
    for st in stitches:
        x, y, p = int(st.get("x")), int(st.get("y")), int(st.get("palindex"))
        e = pattern.palette[int(pattern.grid[y, x])]
        assert by_index[p].get("number") == f"DMC {e.code}"
        assert by_index[p].get("color") == e.hex[1:]
    assert root.find("backstitches") is not None
    assert read_oxs(out).palette.material == aida(18)


def test_other_brands_round_trip_with_their_own_codes(tmp_path: Path) -> None:
    entries = (PaletteEntry("A 1", "Moss", (10, 120, 30)), PaletteEntry("B2", "Sky & sea", (90, 160, 250)),
               PaletteEntry("C3", "Ink", (0, 0, 0)))
    pal = Palette("mine", "Anchor Plus", AIDA_14, entries)
    grid = np.array([[0, 1, 2, -1], [2, 2, 1, 0]], np.int16)
    pattern = Pattern(grid, pal, {"title": "Mine"})
    out = tmp_path / "m.oxs"
    export(pattern, "oxs", out)
    back = read_oxs(out)
    same_pattern(pattern, back)
    assert back.palette.brand == "Anchor Plus"


def test_bead_palette_matches_its_builtin(tmp_path: Path) -> None:
    hama = load_builtin("hama")
    pattern = Pattern(np.array([[0, 5], [7, 0]], np.int16), hama, {"title": "Beads"})
    out = tmp_path / "b.oxs"
    export(pattern, "oxs", out)
    back = read_oxs(out)
    same_pattern(pattern, back)
    assert back.palette.source == hama.source and back.palette.material == hama.material


URSA_STYLE = """<?xml version="1.0" encoding="UTF-8"?>
<chart><format comments01="x"/><properties oxsversion="1.0" software="Ursa Software" software_version="2021"
 chartheight="3" chartwidth="4" charttitle="" author="" copyright="" instructions="" stitchesperinch="16"
 stitchesperinch_y="16" palettecount="3" misc1="normal"/>
<palette><palette_item index="0" number="cloth" name="cloth" color="FFFFFF" printcolor="FFFFFF" strands="2"
 symbol="100"/>
<palette_item index="1" number="DMC    310" name="Black" color="000000" blendcolor="nil" strands="2" symbol="7"/>
<palette_item index="2" number="DMC   3708" name="Melon LT" color="FF889F" strands="2" symbol="1"/>
<palette_item index="3" number="Madeira 2401" name="Snow" color="FAFAFA" strands="2" symbol="2"/></palette>
<fullstitches><stitch x="0" y="0" palindex="1"/><stitch x="3" y="2" palindex="2"/>
<stitch x="1" y="1" palindex="3"/><stitch x="2" y="1" palindex="0"/></fullstitches>
<backstitches><backstitch x1="0" x2="1" y1="0" y2="1" palindex="1" objecttype="backstitch"/></backstitches>
<ornaments_inc_knots_and_beads><object x1="1.5" y1="1.5" palindex="1" objecttype="knot"/>
<object x1="2.5" y1="0.5" palindex="2" objecttype="bead3mm"/></ornaments_inc_knots_and_beads>
<commentboxes/></chart>
"""


def test_reads_a_file_written_by_another_program(tmp_path: Path) -> None:
    path = tmp_path / "Piggies.oxs"
    path.write_text(URSA_STYLE)
    p = load_pattern(path)  # dispatch by extension
    assert (p.width, p.height) == (4, 3)
    assert p.metadata["title"] == "Piggies"  # no charttitle: the file name
    assert "oxs_skipped" not in p.metadata  # the backstitch, knot and bead are kept now
    assert p.layers.summary() == "1 backstitch, 1 French knot and 1 bead"
    assert p.layers.backstitches.cells().tolist() == [[0, 0, 1, 1]]
    assert p.layers.knots.cells().tolist() == [[1.5, 1.5]] and p.layers.beads.cells().tolist() == [[2.5, 0.5]]
    cells = {(x, y): p.palette[int(p.grid[y, x])] for y in range(3) for x in range(4) if p.grid[y, x] != EMPTY}
    assert sorted(cells) == [(0, 0), (1, 1), (3, 2)]  # the palindex-0 stitch is bare cloth
    dmc = load_builtin("dmc")
    assert cells[(0, 0)] == dmc.entry("310")  # DMC threads become the built-in entries
    assert cells[(3, 2)] == dmc.entry("3708")
    assert (cells[(1, 1)].code, cells[(1, 1)].name, cells[(1, 1)].rgb) == ("2401", "Snow", (250, 250, 250))
    assert p.palette.material == aida(16)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("this is not xml", "not valid XML"),
        ("<?xml version='1.0'?><pattern/>", "<pattern>"),
        ("<chart><palette/></chart>", "properties"),
        ("<chart><properties chartwidth='ten' chartheight='2'/></chart>", "ten"),
        ("<chart><properties chartwidth='0' chartheight='2'/></chart>", "0×2"),
        ("<chart><properties chartwidth='2' chartheight='2'/><palette/></chart>", "no threads"),
        ("<chart><properties chartwidth='2' chartheight='2'/><palette><palette_item index='1' number='DMC 310' "
         "color='zz0000'/></palette></chart>", "colour"),
        ("<chart><properties chartwidth='2' chartheight='2'/><palette><palette_item index='1' number='DMC 310' "
         "color='000000'/></palette><fullstitches><stitch x='0.5' y='0' palindex='1'/></fullstitches></chart>",
         "whole number"),
        ('<?xml version="1.0"?><!DOCTYPE chart [<!ENTITY a "aaaa">]><chart>&a;</chart>', "document type"),
        ("<chart><properties chartwidth='2' chartheight='2'/><palette><palette_item index='1' number='DMC 310' "
         "color='000000'/></palette><fullstitches><stitch x='0' y='0' palindex='1'/>", "not valid XML"),
    ],
)
def test_damaged_files_say_what_is_wrong(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.oxs"
    path.write_text(text)
    with pytest.raises(PatternFileError) as err:
        read_oxs(path)
    assert needle in str(err.value) and "bad.oxs" in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="does not exist"):
        load_pattern(tmp_path / "nope.oxs")


def test_convert_between_pixl_and_oxs(tmp_path: Path, capsys) -> None:
    pattern = dmc_pattern(12, 9, 5)
    pixl = tmp_path / "a.pixl"
    save_pixl(pattern, pixl)
    oxs = tmp_path / "a.oxs"
    assert main(["convert", str(pixl), "-o", str(oxs)]) == 0
    again = tmp_path / "b.pixl"
    assert main(["convert", str(oxs), "-o", str(again)]) == 0
    same_pattern(pattern, load_pixl(again))
    capsys.readouterr()
    assert main(["convert", str(oxs), "--width", "20", "-o", str(tmp_path / "c.pixl")]) == 2
    assert "--width" in capsys.readouterr().err
    assert not (tmp_path / "c.pixl").exists()


def test_import_is_as_lenient_as_the_spec_and_says_what_it_left_out(tmp_path: Path, capsys) -> None:
    from pixlcraft.formats.oxs import skipped_summary

    path = tmp_path / "csp.oxs"
    path.write_text(
        "<chart><palette filename='DMC.rng'>"
        "<palette_item index='0' number='cloth' name='cloth' color='F0E6D2'/>"
        "<palette_item index='1' number='310' name='Black' color='000000'/>"
        "<palette_item index='2' number='321' name='Red' color='C72B3B'/></palette>"
        "<fullstitches><stitch x='0' y='0' palindex='1'/><stitch x='3' y='2' palindex='2'/>"
        "<stitch x='9' y='9' palindex='1'/><stitch x='1' y='0' palindex='7'/><stitch x='2' y='1' palindex='2'/>"
        "</fullstitches><backstitches><backstitch x1='0' y1='0' x2='1' y2='1' palindex='1'/></backstitches></chart>")
    p = read_oxs(path)  # no <properties>: the size follows the stitches (the spec's default)
    assert (p.width, p.height) == (10, 10)
    assert p.palette.brand == "DMC" and p.palette[p.grid[0, 0]].code == "310"  # brand from <palette filename>
    assert p.metadata["cloth"] == "F0E6D2"
    assert p.metadata["oxs_skipped"] == {"stitches of missing threads": 1}
    assert len(p.layers.backstitches) == 1  # no objecttype: a backstitch
    note = skipped_summary(p)
    assert "1 stitch of missing threads could not be kept" in note
    save_oxs(p, tmp_path / "again.oxs")
    text = (tmp_path / "again.oxs").read_text()
    assert "color=\"F0E6D2\"" in text  # the cloth colour goes back out
    assert main(["convert", str(path), "-o", str(tmp_path / "x.pixl")]) == 0
    assert "could not be kept" in capsys.readouterr().err  # the CLI says so


def test_export_writes_the_chart_symbols(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    from pixlcraft.symbols import ensure_symbols

    pattern = dmc_pattern(12, 9, 5)
    save_oxs(pattern, tmp_path / "s.oxs")
    items = ET.parse(tmp_path / "s.oxs").getroot().find("palette").findall("palette_item")
    by_code = {it.get("number").split()[-1]: it.get("symbol") for it in items[1:]}
    expected = {pattern.palette[i].code: sym for i, sym in ensure_symbols(pattern).items()}
    assert by_code == expected and all(by_code.values())  # the same symbols the PDF chart prints
