"""The stash in the exports: the keys' "Stash" column, BrickLink and Rebrickable lists of only the missing
parts, and the buy list as CSV and PDF — each read back and compared with the buy list itself."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest
from pypdf import PdfReader

from pixlcraft.export import export
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern
from pixlcraft.stash import Stash, save_stash
from pixlcraft.stash.buy import buy_list


def _pattern(palette: str, codes: tuple[str, ...], rows: tuple[int, ...], width: int = 40) -> Pattern:
    pal = load_builtin(palette)
    grid = np.concatenate([np.full((r, width), pal.index_of(c), np.int16) for c, r in zip(codes, rows, strict=True)])
    return Pattern(grid, pal, {"title": "stashed"})


def _text(path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_thread_key_says_in_stash_or_what_to_buy(tmp_path) -> None:
    pattern = _pattern("dmc", ("310", "321", "BLANC"), (60, 30, 10))  # 2,400 / 1,200 / 400 stitches
    plain = export(pattern, "stitch-pdf", tmp_path / "plain.pdf", {"chart": "color"})[0]
    assert "Stash" not in _text(plain)  # no stash yet: no column
    dmc = pattern.palette
    save_stash(Stash("thread").add(dmc, "310", 1).add(dmc, "321", 1).add(dmc, "BLANC", 3, "m"))
    out = export(pattern, "stitch-pdf", tmp_path / "key.pdf", {"chart": "color"})[0]
    text = _text(out)
    assert "Stash" in text
    # 310: 2,400 stitches > 1 skein's 1,826 → buy 1; 321: 1,200 ≤ 1,826 → in stash; BLANC 400 ≤ 3 m (684)
    assert re.search(r"310 Black 2,400 2 buy 1 skein", text)
    assert re.search(r"321 Red 1,200 1 in stash", text)
    off = export(pattern, "stitch-pdf", tmp_path / "off.pdf", {"chart": "color", "stash": False})[0]
    assert "buy 1 skein" not in _text(off)


def test_bead_plan_key_counts_bags(tmp_path) -> None:
    pattern = _pattern("hama", ("H01", "H18"), (30, 30))  # 1,200 beads each
    hama = pattern.palette
    save_stash(Stash("bead").add(hama, "H01", 2, "bag").add(hama, "H18", 500))
    text = _text(export(pattern, "bead-pdf", tmp_path / "beads.pdf", {})[0])
    assert re.search(r"H01 .*?1200 in stash", text) and re.search(r"H18 .*?1200 buy 1 bag", text)


def test_bricklink_and_rebrickable_lists_of_only_what_is_missing(tmp_path) -> None:
    pattern = _pattern("lego", ("Black", "Red", "White"), (10, 5, 1), width=16)  # 160 / 80 / 16 studs
    lego = pattern.palette
    save_stash(Stash("brick").add(lego, "Black", 100, element="round_tile").add(lego, "Red", 200, element="plate")
               .add(lego, "White", 16))
    opts = {"element": "round-tile", "base": "none", "only_missing": True}
    xml = (tmp_path / "w.xml")
    export(pattern, "bricklink-xml", xml, opts)
    items = re.findall(r"<COLOR>(\d+)</COLOR>\s*<MINQTY>(\d+)</MINQTY>", xml.read_text())
    # Black: 160 − 100 round tiles; Red: the stash's plates are not round tiles, so all 80; White: covered
    assert items == [(str(lego.entry("Black").bricklink_id), "60"), (str(lego.entry("Red").bricklink_id), "80")]
    rb = tmp_path / "r.csv"
    export(pattern, "rebrickable-csv", rb, opts)
    rows = list(csv.DictReader(rb.open()))
    assert [(r["color"], r["quantity"]) for r in rows] == [(str(lego.entry("Black").rebrickable_id), "60"),
                                                          (str(lego.entry("Red").rebrickable_id), "80")]
    full = tmp_path / "all.xml"
    export(pattern, "bricklink-xml", full, {**opts, "only_missing": False})
    assert re.findall(r"<MINQTY>(\d+)</MINQTY>", full.read_text()) == ["160", "80", "16"]


@pytest.mark.parametrize("fmt", ["buy-csv", "buy-pdf"])
def test_buy_list_files_match_the_buy_list(tmp_path, fmt: str) -> None:
    pattern = _pattern("dmc", ("310", "321", "BLANC"), (60, 30, 10))
    dmc = pattern.palette
    stash = Stash("thread").add(dmc, "310", 1).add(dmc, "321", 1)
    save_stash(stash)
    lines = buy_list(pattern, stash)
    out = export(pattern, fmt, tmp_path / f"buy{'.csv' if fmt == 'buy-csv' else '.pdf'}", {})[0]
    if fmt == "buy-csv":
        rows = list(csv.DictReader(out.open()))
        assert [(r["code"], int(r["to_buy"])) for r in rows] == [(ln.code, ln.buy) for ln in lines]
        assert [r["to_buy"] for r in rows] == ["1", "0", "1"]
    else:
        text = _text(out)
        assert "Buy 2 skeins in 2 colours; the stash covers the other 1." in text
        assert "page 1 of 1" in text and re.search(r"BLANC White 400 none 1 skein", text)
