"""Palettes: built-in data, user file formats, colour look-up, owned-colour lists and storage."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.errors import PaletteError
from pixlcraft.material import AIDA_14, BEAD_MIDI, BEAD_MINI, BRICK_1X1, GENERIC
from pixlcraft.palette import (
    Palette,
    PaletteEntry,
    builtin_names,
    load_builtin,
    load_palette_file,
    read_owned_codes,
    resolve_palette,
    restrict_palette,
    save_palette_file,
    user_palette_dir,
)

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "palettes"

# row counts and brands as documented in palettes/SOURCES.md; materials as the task defines them
EXPECTED = {
    "dmc": (489, "DMC", AIDA_14),
    "perler": (103, "Perler", BEAD_MIDI),
    "perler_mini": (41, "Perler Mini", BEAD_MINI),
    "hama": (92, "Hama", BEAD_MIDI),
    "hama_mini": (78, "Hama Mini", BEAD_MINI),
    "artkal_s": (199, "Artkal S", BEAD_MIDI),
    "artkal_c": (174, "Artkal C", BEAD_MINI),
    "nabbi": (30, "Nabbi", BEAD_MIDI),
    "lego": (58, "LEGO", BRICK_1X1),
}

PICO8 = ["000000", "1D2B53", "7E2553", "008751", "AB5236", "5F574F", "C2C3C7", "FFF1E8",
         "FF004D", "FFA300", "FFEC27", "00E436", "29ADFF", "83769C", "FF77A8", "FFCCAA"]  # fmt: skip


def _rgb(hex6: str) -> tuple[int, int, int]:
    h = hex6.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _csv_rows(name: str) -> list[dict[str, str]]:
    with open(REPO / "palettes" / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8", newline="")
    return p


# --- built-in palettes -------------------------------------------------------------------------------------


def test_builtin_names_are_the_nine_documented_palettes():
    assert builtin_names() == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_builtin_loads_with_documented_count_brand_and_material(name):
    count, brand, material = EXPECTED[name]
    p = load_builtin(name)
    assert len(p) == count
    assert p.name == name and p.brand == brand
    assert p.material == material
    assert p.source == f"builtin:{name}"
    assert p.rgb.shape == (count, 3) and p.rgb.dtype == np.uint8
    assert len(set(e.code.upper() for e in p)) == count


@pytest.mark.parametrize("name", list(EXPECTED))
def test_builtin_entries_equal_the_csv_rows(name):
    """Every row of the shipped CSV, parsed here with the csv module, appears in order with its values."""
    rows = _csv_rows(name)
    p = load_builtin(name)
    assert len(rows) == len(p)
    for row, e, rgb in zip(rows, p, p.rgb, strict=True):
        assert e.hex == row["hex"]
        assert tuple(int(v) for v in rgb) == _rgb(row["hex"]) == e.rgb
        assert e.name == row["name"]
        if name == "lego":
            assert e.code == row["bricklink_id"]
            assert (e.bricklink_id, e.ldraw_code, e.rebrickable_id) == (
                int(row["bricklink_id"]), int(row["ldraw_code"]), int(row["rebrickable_id"]))
            assert e.transparent == (row["transparent"] == "true")
        else:
            assert e.code == row["code"]
            assert (e.bricklink_id, e.ldraw_code, e.rebrickable_id) == (None, None, None)
            assert e.transparent is False


def test_artkal_series_sizes_are_s_5mm_and_c_2_6mm():
    assert load_builtin("artkal_s").material.pitch_mm == 5.0
    assert load_builtin("artkal_c").material.pitch_mm == 2.6
    assert load_builtin("perler_mini").material.pitch_mm == 2.6
    assert load_builtin("lego").material.pitch_mm == 8.0


def test_builtin_is_cached_and_accepts_loose_spellings():
    p = load_builtin("perler_mini")
    assert load_builtin("Perler Mini") is p
    assert load_builtin(" perler-mini ") is p


def test_unknown_builtin_lists_the_real_names():
    with pytest.raises(PaletteError) as exc:
        load_builtin("anchor")
    msg = str(exc.value)
    assert "anchor" in msg
    assert all(n in msg for n in builtin_names())


def test_rgb_is_read_only_and_cached():
    p = load_builtin("nabbi")
    assert p.rgb is p.rgb
    with pytest.raises(ValueError):
        p.rgb[0, 0] = 1


def test_lab_matches_an_independent_conversion():
    pytest.importorskip("pixlcraft.color")
    skcolor = pytest.importorskip("skimage.color")
    p = load_builtin("dmc")
    lab = p.lab
    assert lab.shape == (489, 3) and lab.dtype == np.float64
    assert lab is p.lab
    assert not lab.flags.writeable
    ref = skcolor.rgb2lab(p.rgb.astype(np.float64)[None] / 255.0)[0]
    np.testing.assert_allclose(lab, ref, atol=0.05)
    black = p.index_of("310")
    assert abs(lab[black, 0]) < 1e-6


# --- looking colours up ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_code_and_unique_name_finds_its_own_row(name):
    p = load_builtin(name)
    names = [e.name.upper() for e in p]
    for i, e in enumerate(p):
        assert p.index_of(e.code) == i
        assert p.index_of(f"  {e.code.lower()} ") == i
        if names.count(e.name.upper()) == 1:
            assert p.index_of(e.name) == i


def test_dmc_aliases_and_leading_zeros():
    dmc = load_builtin("dmc")
    blanc = dmc.index_of("BLANC")
    assert dmc[blanc].code == "BLANC" and dmc[blanc].name == "White" and dmc[blanc].hex == "#FCFBF8"
    for alias in ("White", "white", "Blanc", "blanc", " BLANC "):
        assert dmc.index_of(alias) == blanc
    ecru = dmc.entry("Ecru")
    assert (ecru.code, ecru.hex) == ("ECRU", "#F0EADA")
    assert dmc.entry("ecru") == ecru
    assert dmc.entry("1").code == "01" and dmc.entry("1").name == "White Tin"
    assert dmc.entry("001").code == "01"
    assert dmc.entry("35").code == "35"
    assert dmc.entry("310").hex == "#000000"
    assert dmc.entry("309").hex == "#BA4A4A"  # the corrected value recorded in SOURCES.md
    assert dmc.entry("b5200").name == "Snow White"


def test_dmc_withdrawn_codes_map_to_their_replacements():
    dmc = load_builtin("dmc")
    assert dmc.entry("3880").code == "223"
    assert dmc.entry("3895").code == "646"
    # only DMC knows that mapping: a custom palette with the same codes keeps them unknown
    custom = Palette("c", "Custom", GENERIC, (PaletteEntry("223", "x", (1, 2, 3)),))
    assert custom.find("3880") is None


def test_bead_codes_tolerate_missing_zeros_and_spaces():
    assert load_builtin("hama").entry("h1").code == "H01"
    assert load_builtin("artkal_s").entry("S 1").code == "S01"
    assert load_builtin("perler").entry("80 19001").code == "80-19001"
    assert load_builtin("perler").find("8019001") is None


def test_lego_ids_for_known_colours():
    lego = load_builtin("lego")
    expected = {  # name: (BrickLink, LDraw, Rebrickable, hex, transparent), from palettes/lego.csv
        "Black": (11, 0, 0, "#1B2A34", False),
        "Light Bluish Gray": (86, 71, 71, "#969696", False),
        "Dark Bluish Gray": (85, 72, 72, "#646464", False),
        "Reddish Brown": (88, 70, 70, "#5F3109", False),
        "Medium Tan": (241, 371, 1089, "#CCA373", False),
        "Trans-Black": (251, 10375, 1095, "#212121", True),
        "Trans-Clear": (12, 47, 47, "#FCFCFC", True),
    }
    for name, (bl, ld, rb, hex_, trans) in expected.items():
        e = lego.entry(name)
        assert (e.name, e.code, e.bricklink_id, e.ldraw_code, e.rebrickable_id, e.hex, e.transparent) == (
            name, str(bl), bl, ld, rb, hex_, trans)
        assert lego.entry(str(bl)) == e
        assert lego.entry(f"ldraw:{ld}") == e
        assert lego.entry(f"bl:{bl}") == e
        assert lego.entry(f"rb:{rb}") == e


def test_lego_bare_number_is_bricklink_first_then_ldraw():
    lego = load_builtin("lego")
    assert lego.entry("5").name == "Red"  # BrickLink 5
    assert lego.entry("ldraw:5").name == "Dark Pink"  # LDraw 5
    assert lego.entry("10375").name == "Trans-Black"  # no BrickLink 10375, so LDraw
    assert lego.entry("trans black").name == "Trans-Black"
    assert lego.entry("dark bluish gray").code == "85"


def test_unknown_code_names_code_and_palette_and_suggests():
    dmc = load_builtin("dmc")
    with pytest.raises(PaletteError) as exc:
        dmc.index_of("3999")
    msg = str(exc.value)
    assert "'3999'" in msg and "DMC" in msg and "'dmc'" in msg
    assert "Did you mean 3799" in msg
    with pytest.raises(PaletteError, match="'Pink'.*LEGO.*Dark Pink"):
        load_builtin("lego").index_of("Pink")


# --- user palette files ------------------------------------------------------------------------------------


def test_hex_fixture_reads_codes_names_and_colours():
    p = load_palette_file(DATA / "pico8.hex")
    assert (p.name, p.brand, p.material, p.source) == ("pico8", "Custom", GENERIC, str(DATA / "pico8.hex"))
    assert [e.rgb for e in p] == [_rgb(h) for h in PICO8]
    assert p.codes == tuple(str(i) for i in range(1, 17))
    assert [e.name for e in p] == ["#" + h for h in PICO8]
    assert p.entry("#ff004d").code == "9"


def test_gpl_fixture_equals_hex_fixture():
    gpl = load_palette_file(DATA / "pico8.gpl")
    hexp = load_palette_file(DATA / "pico8.hex")
    np.testing.assert_array_equal(gpl.rgb, hexp.rgb)
    assert gpl.codes == hexp.codes
    assert gpl[0].name == "black" and gpl[1].name == "dark blue" and gpl[8].name == "red"
    assert gpl[15].name == "#FFCCAA"  # GIMP's "Untitled" becomes the colour itself
    assert gpl.entry("dark purple").rgb == (126, 37, 83)


def test_hex_accepts_hash_lowercase_blank_lines_crlf_and_bom(tmp_path):
    p = _write(tmp_path, "mixed.hex", "\ufeff#ff0000\r\n\r\n00ff00\r\n  #0000FF  \r\n")
    pal = load_palette_file(p, name="rgb", material="bead5")
    assert [e.rgb for e in pal] == [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    assert pal.name == "rgb" and pal.material == BEAD_MIDI


def test_gpl_rgba_channels_and_names_with_spaces(tmp_path):
    text = "GIMP Palette\nName: A\nChannels: RGBA\n10 20 30 255 Deep  sea\n1 2 3 0\n"
    p = _write(tmp_path, "alpha.gpl", text)
    pal = load_palette_file(p)
    assert [e.rgb for e in pal] == [(10, 20, 30), (1, 2, 3)]
    assert [e.name for e in pal] == ["Deep  sea", "#010203"]


def test_csv_variants(tmp_path):
    # r,g,b spelled out, semicolons (European spreadsheets), BOM, CRLF, no code column → numbered
    p = _write(tmp_path, "semi.csv", "\ufeffName;Red;Green;Blue\r\nTomato;255;99;71\r\nSky;135;206;235\r\n")
    pal = load_palette_file(p)
    assert [(e.code, e.name, e.rgb) for e in pal] == [("1", "Tomato", (255, 99, 71)),
                                                      ("2", "Sky", (135, 206, 235))]
    # an exported legend: extra columns are ignored, a quoted name may hold a comma and even a new line
    text = 'symbol,code,name,hex,count\n*,310,"Black, deep",#000000,12\n+,321,"Red\nChristmas",#C72B3B,3\n'
    p = _write(tmp_path, "legend.csv", text)
    pal = load_palette_file(p)
    assert [(e.code, e.name, e.hex) for e in pal] == [("310", "Black, deep", "#000000"),
                                                      ("321", "Red\nChristmas", "#C72B3B")]
    # hex and r,g,b together must agree
    p = _write(tmp_path, "both.csv", "code,hex,r,g,b\nA,#0A0B0C,10,11,12\n")
    assert load_palette_file(p)[0].rgb == (10, 11, 12)


def test_csv_in_windows_1252_is_read(tmp_path):
    p = _write(tmp_path, "old.csv", "code,name,hex\n1,Cr\xe8me,#FFF8E7\n".encode("cp1252"))
    assert load_palette_file(p)[0].name == "Crème"


def test_our_own_csvs_load_as_user_files():
    for name in ("dmc", "lego"):
        user = load_palette_file(REPO / "palettes" / f"{name}.csv")
        assert user.entries == load_builtin(name).entries
        assert user.brand == "Custom" and user.material == GENERIC


def test_lego_style_csv_without_code_uses_bricklink_id(tmp_path):
    text = ("name,bricklink_id,ldraw_code,hex,transparent\n"
            "White,1,15,#F4F4F4,false\nTrans-Red,17,36,#C91A09,TRUE\n")
    p = _write(tmp_path, "bricks.csv", text)
    pal = load_palette_file(p, brand="LEGO", material=BRICK_1X1)
    assert pal.codes == ("1", "17")
    assert pal.entry("ldraw:36").transparent and not pal.entry("White").transparent
    assert pal.entry("17").rebrickable_id is None


@pytest.mark.parametrize("name", list(EXPECTED))
def test_csv_round_trip_keeps_everything(tmp_path, name):
    p = load_builtin(name)
    out = save_palette_file(p, tmp_path / f"{name}.csv")
    back = load_palette_file(out)
    assert back.entries == p.entries
    assert [x.name for x in tmp_path.iterdir()] == [f"{name}.csv"]  # no temporary file left behind


def test_gpl_and_hex_round_trips_keep_colours(tmp_path):
    dmc = load_builtin("dmc")
    gpl = load_palette_file(save_palette_file(dmc, tmp_path / "dmc.gpl"))
    np.testing.assert_array_equal(gpl.rgb, dmc.rgb)
    assert [e.name for e in gpl] == [e.name for e in dmc]
    assert gpl.codes == tuple(str(i) for i in range(1, len(dmc) + 1))
    assert (tmp_path / "dmc.gpl").read_text(encoding="utf-8").startswith("GIMP Palette\nName: dmc\n")
    hexp = load_palette_file(save_palette_file(dmc, tmp_path / "dmc.hex"))
    np.testing.assert_array_equal(hexp.rgb, dmc.rgb)
    with pytest.raises(PaletteError, match="dmc.txt"):
        save_palette_file(dmc, tmp_path / "dmc.txt")


MALFORMED = [
    # (file name, content, line the message must name, a word the message must contain)
    ("bad.hex", "FF0000\n\n00FF00\nGG0000\n", 4, "RRGGBB"),
    ("short.hex", "#FFF\n", 1, "six hex digits"),
    ("alpha.hex", "FF000080\n", 1, "RRGGBB"),
    ("words.hex", "FF0000\nred\n", 2, "'red'"),
    ("nohead.gpl", "\nName: x\n0 0 0 Black\n", 2, "GIMP Palette"),
    ("range.gpl", "GIMP Palette\nName: t\n#\n0 0 0\tBlack\n256 0 0\tToo red\n", 5, "0–255"),
    ("few.gpl", "GIMP Palette\n0 0\n", 2, "3 numbers"),
    ("text.gpl", "GIMP Palette\nred green blue\n", 2, "red value"),
    ("neg.gpl", "GIMP Palette\n-1 0 0 x\n", 2, "0–255"),
    ("cols.gpl", "GIMP Palette\nColumns: many\n", 2, "Columns"),
    ("noheader.csv", "#FF0000,Red\n", 1, "header line"),
    ("numbers.csv", "310,Black,#000000\n", 1, "colour data"),
    ("nohex.csv", "code,name\n1,Red\n", 1, "'hex' column"),
    ("partial.csv", "code,r,g\n1,2,3\n", 1, "not b"),
    ("twice.csv", "code,hex,colour\n1,#000000,#000000\n", 1, "twice"),
    ("badhex.csv", "code,name,hex\n1,Red,#FF0000\n2,Green,#00FG00\n", 3, "#FF8800"),
    ("range.csv", "code,r,g,b\n1,255,0,0\n2,0,300,0\n", 3, "green"),
    ("dup.csv", "code,name,hex\n310,Black,#000000\nBLANC,White,#FFFFFF\n310,Again,#010101\n", 4, "line 2"),
    ("dupcase.csv", "code,name,hex\nh01,a,#000000\nH01,b,#010101\n", 3, "twice"),
    ("ragged.csv", "code,name,hex\n1,Red\n", 2, "3 values"),
    ("extra.csv", "code,name,hex\n1,Red,#FF0000,oops\n", 2, "3 values"),
    ("emptycode.csv", "code,name,hex\n,Red,#FF0000\n", 2, "empty"),
    ("disagree.csv", "code,hex,r,g,b\n1,#FF0000,255,0,1\n", 2, "disagree"),
    ("trans.csv", "code,hex,transparent\n1,#FF0000,maybe\n", 2, "true or false"),
    ("ldraw.csv", "bricklink_id,name,hex,ldraw_code\n1,White,#FFFFFF,15\n2,Tan,#D7BA8C,15\n", 3, "ldraw"),
    ("ids.csv", "code,hex,bricklink_id\n1,#FFFFFF,one\n", 2, "whole number"),
    ("multiline.csv", 'code,name,hex\n1,"Red\nDark",#880000\n2,Bad,#XYZ\n', 4, "#FF8800"),
]


@pytest.mark.parametrize(("fname", "text", "line", "word"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_file_names_file_and_line(tmp_path, fname, text, line, word):
    p = _write(tmp_path, fname, text)
    with pytest.raises(PaletteError) as exc:
        load_palette_file(p)
    msg = str(exc.value)
    assert fname in msg
    assert f"line {line}:" in msg
    assert word in msg


NO_COLOURS = [
    ("empty.hex", ""),
    ("blank.hex", "\n\n  \n"),
    ("empty.gpl", ""),
    ("headonly.gpl", "GIMP Palette\nName: nothing\n# no rows\n"),
    ("empty.csv", ""),
    ("headonly.csv", "code,name,hex\n\n"),
]


@pytest.mark.parametrize(("fname", "text"), NO_COLOURS, ids=[m[0] for m in NO_COLOURS])
def test_empty_palettes_are_rejected(tmp_path, fname, text):
    p = _write(tmp_path, fname, text)
    with pytest.raises(PaletteError) as exc:
        load_palette_file(p)
    assert fname in str(exc.value)
    assert "empty" in str(exc.value) or "no colours" in str(exc.value)


def test_unusable_files(tmp_path):
    with pytest.raises(PaletteError, match=r"colours\.aco.*\.hex.*\.gpl.*\.csv"):
        load_palette_file(_write(tmp_path, "colours.aco", "FF0000\n"))
    with pytest.raises(PaletteError, match=r"photo\.csv.*not a text file"):
        load_palette_file(_write(tmp_path, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    with pytest.raises(PaletteError, match=r"missing\.gpl.*does not exist"):
        load_palette_file(tmp_path / "missing.gpl")
    (tmp_path / "folder.hex").mkdir()
    with pytest.raises(PaletteError, match=r"folder\.hex.*folder"):
        load_palette_file(tmp_path / "folder.hex")


def test_more_than_1024_colours_are_allowed(tmp_path):
    lines = [f"{i:06X}" for i in range(0, 2000 * 7919, 7919)]
    pal = load_palette_file(_write(tmp_path, "big.hex", "\n".join(lines)))
    assert len(pal) == 2000 and pal[1999].hex == "#" + lines[-1]


def test_palette_constructor_rejects_bad_data():
    with pytest.raises(PaletteError, match="no colours"):
        Palette("x", "Custom", GENERIC, ())
    a = PaletteEntry("1", "a", (0, 0, 0))
    with pytest.raises(PaletteError, match="'1' twice"):
        Palette("x", "Custom", GENERIC, (a, PaletteEntry("1", "b", (1, 1, 1))))
    with pytest.raises(PaletteError, match="0–255"):
        PaletteEntry("2", "b", (0, 256, 0))
    e = PaletteEntry("3", "c", (np.uint8(1), np.int64(2), 3))
    assert e.rgb == (1, 2, 3) and type(e.rgb[0]) is int and e.hex == "#010203"


# --- owned colours -----------------------------------------------------------------------------------------


def test_restrict_keeps_palette_order_and_ignores_repeats():
    dmc = load_builtin("dmc")
    mine = dmc.restrict(["ECRU", "3865", "310", "blanc", "310", "01"])
    assert mine.codes == ("01", "310", "3865", "BLANC", "ECRU")
    assert [e for e in mine] == [dmc.entry(c) for c in mine.codes]
    assert mine.material == dmc.material and mine.brand == "DMC"


def test_restrict_rejects_unknown_codes_all_at_once():
    dmc = load_builtin("dmc")
    with pytest.raises(PaletteError) as exc:
        dmc.restrict(["310", "3999", "banana"])
    msg = str(exc.value)
    assert "2 of your colours" in msg and "'3999'" in msg and "'banana'" in msg and "3799" in msg
    with pytest.raises(PaletteError, match="'9999'"):
        dmc.restrict(["9999"])
    with pytest.raises(PaletteError, match="No colours"):
        dmc.restrict([])
    with pytest.raises(PaletteError, match="No colours"):
        dmc.restrict(["", "  "])


def test_restrict_splits_on_spaces_only_when_needed():
    lego = load_builtin("lego")
    assert lego.restrict(["Dark Bluish Gray", "11 1"]).codes == ("11", "85", "1")
    dmc = load_builtin("dmc")
    assert dmc.restrict(["310 BLANC 3865"]).codes == ("310", "3865", "BLANC")
    with pytest.raises(PaletteError, match="'Dark Bluish Grey'"):
        lego.restrict(["Dark Bluish Grey"])  # reported whole, not as three unknown words


def test_read_owned_codes_from_file_string_and_list():
    assert read_owned_codes(DATA / "owned_dmc.txt") == ["310", "BLANC", "3865", "ecru", "321", "666"]
    assert read_owned_codes(str(DATA / "owned_dmc.txt")) == ["310", "BLANC", "3865", "ecru", "321", "666"]
    assert read_owned_codes("310,BLANC, 3865") == ["310", "BLANC", "3865"]
    assert read_owned_codes("#FF0000, 2 # the second one") == ["#FF0000", "2"]
    assert read_owned_codes([" 310 ", "", "BLANC"]) == ["310", "BLANC"]
    with pytest.raises(PaletteError, match=r"mine\.txt.*does not exist"):
        read_owned_codes("mine.txt")


def test_restrict_palette_from_a_file():
    mine = restrict_palette(load_builtin("dmc"), DATA / "owned_dmc.txt")
    assert mine.codes == ("310", "321", "666", "3865", "BLANC", "ECRU")


def test_subset_follows_the_given_order():
    hama = load_builtin("hama")
    sub = hama.subset([5, 0, np.int64(2)])
    assert sub.entries == (hama[5], hama[0], hama[2])
    np.testing.assert_array_equal(sub.rgb, hama.rgb[[5, 0, 2]])
    with pytest.raises(IndexError):
        hama.subset([len(hama)])
    with pytest.raises(ValueError):
        hama.subset([1, 1])


# --- storage and resolving ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dmc", "lego", "artkal_c"])
def test_to_dict_from_dict_round_trip_through_json(name):
    p = load_builtin(name)
    back = Palette.from_dict(json.loads(json.dumps(p.to_dict())))
    assert back.entries == p.entries
    assert (back.name, back.brand, back.source) == (p.name, p.brand, p.source)
    assert back.material is p.material


def test_from_dict_keeps_a_material_it_does_not_know(tmp_path):
    from pixlcraft.material import aida

    p = load_palette_file(DATA / "pico8.hex", material=aida(18))
    back = Palette.from_dict(json.loads(json.dumps(p.to_dict())))
    assert back.material == aida(18) and back.material.pitch_mm == pytest.approx(25.4 / 18)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("entries"),
        lambda d: d.update(entries=[]),
        lambda d: d["entries"][0].update(hex="#12345"),
        lambda d: d["entries"][0].pop("code"),
        lambda d: d["entries"][1].update(code=d["entries"][0]["code"]),
        lambda d: d["entries"][0].update(bricklink_id="eleven"),
        lambda d: d["entries"][0].update(transparent="false"),
        lambda d: d.update(material="velvet"),
        lambda d: d.update(material={"key": "x"}),
    ],
)
def test_from_dict_rejects_damaged_data(damage):
    d = json.loads(json.dumps(load_builtin("lego").to_dict()))
    damage(d)
    with pytest.raises(PaletteError, match="damaged"):
        Palette.from_dict(d)


def test_resolve_palette_by_name_and_by_path(tmp_path):
    assert resolve_palette("dmc") is load_builtin("dmc")
    assert resolve_palette("Hama Mini") is load_builtin("hama_mini")
    assert resolve_palette("builtin:lego") is load_builtin("lego")
    p = resolve_palette(str(DATA / "pico8.gpl"))
    assert p.name == "pico8" and len(p) == 16
    assert len(resolve_palette(DATA / "pico8.hex")) == 16


def test_resolve_palette_unknown_lists_builtins(tmp_path, monkeypatch):
    monkeypatch.setenv("PIXLCRAFT_PALETTE_DIR", str(tmp_path))
    with pytest.raises(PaletteError) as exc:
        resolve_palette("anchor")
    msg = str(exc.value)
    assert "'anchor'" in msg and all(n in msg for n in builtin_names())
    with pytest.raises(PaletteError, match=r"nowhere.*does not exist"):
        resolve_palette(str(tmp_path / "nowhere" / "p.hex"))


def test_resolve_palette_finds_user_palettes_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("PIXLCRAFT_PALETTE_DIR", str(tmp_path))
    assert user_palette_dir() == tmp_path
    save_palette_file(load_builtin("nabbi"), tmp_path / "My Beads.csv")
    p = resolve_palette("my beads")
    assert p.entries == load_builtin("nabbi").entries and p.name == "My Beads"
    save_palette_file(load_builtin("nabbi"), tmp_path / "My Beads.gpl")
    with pytest.raises(PaletteError, match="several"):
        resolve_palette("my beads")
    assert len(resolve_palette("My Beads.gpl")) == 30


def test_installed_package_data_is_preferred_over_the_repo_folder(tmp_path, monkeypatch):
    """With ``pixlcraft._palettes`` importable (an installed wheel) its files are read, not ``palettes/``."""
    import sys

    import pixlcraft
    from pixlcraft.palette import catalog as palette_module

    pkg = tmp_path / "_palettes"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "nabbi.csv").write_text("code,name,hex\nN01,Black,#3A3D41\nN99,Test,#010203\n", encoding="utf-8")
    monkeypatch.setattr(pixlcraft, "__path__", [*pixlcraft.__path__, str(tmp_path)])
    monkeypatch.delitem(sys.modules, "pixlcraft._palettes", raising=False)
    palette_module._load_builtin_cached.cache_clear()
    try:
        p = load_builtin("nabbi")
        assert p.codes == ("N01", "N99") and p.entry("N99").rgb == (1, 2, 3)
    finally:
        sys.modules.pop("pixlcraft._palettes", None)
        palette_module._load_builtin_cached.cache_clear()
    monkeypatch.undo()
    assert len(load_builtin("nabbi")) == 30


def test_builtin_catalog_matches_the_loaded_palettes() -> None:
    from pixlcraft.palette import builtin_catalog

    catalog = builtin_catalog()
    assert [name for name, _, _ in catalog] == builtin_names()
    for name, brand, material in catalog:
        pal = load_builtin(name)
        assert (pal.brand, pal.material) == (brand, material)
