"""``pixlcraft stash …`` and ``--stash``: the stash kept between runs, files in and out, LEGO Art sets, patterns
that never use more than the stash holds, and the buy list."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from pixlcraft.cli import main
from pixlcraft.pattern import load_pixl
from pixlcraft.stash import load_stash, read_stash_csv
from pixlcraft.stash.lego_art import find_set
from pixlcraft.thread_use import stitches_per_skein


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    from PIL import Image

    path = tmp_path_factory.mktemp("photo") / "astronaut.png"
    Image.fromarray(data.astronaut()).save(path)
    return path


def test_add_show_remove_and_it_is_kept_between_runs(capsys) -> None:
    assert main(["stash", "add", "310", "3"]) == 0
    assert main(["stash", "add", "white", "2", "--unit", "skeins"]) == 0
    assert main(["stash", "add", "321", "4.5", "--unit", "m"]) == 0
    assert main(["stash", "add", "H01", "2", "--palette", "hama", "--unit", "bag"]) == 0
    assert main(["stash", "remove", "310", "1"]) == 0
    out = capsys.readouterr().out
    assert "310 Black: 2 skeins in the stash" in out
    threads = load_stash("thread")
    assert [(i.code, i.quantity, i.unit) for i in threads.items] == [("310", 2.0, "skein"), ("321", 4.5, "m"),
                                                                    ("BLANC", 2.0, "skein")]
    assert [(i.palette, i.code, i.unit) for i in load_stash("bead").items] == [("hama", "H01", "bag")]
    assert main(["stash", "show"]) == 0
    shown = capsys.readouterr().out
    assert "4.5 m" in shown and "2 bags" in shown and "bricks: none yet" in shown
    assert main(["stash", "remove", "321"]) == 0  # no quantity: the whole colour
    assert [i.code for i in load_stash("thread").items] == ["310", "BLANC"]


@pytest.mark.parametrize("argv, message", [
    (["stash", "add", "310", "-2"], "0 or more"),
    (["stash", "add", "9999", "1"], "There is no colour '9999'"),
    (["stash", "add", "310", "1", "--unit", "bag"], "'bag' is not a unit for threads"),
    (["stash", "add", "310", "1", "--element", "tile"], "only bricks have an element"),
    (["stash", "remove", "310", "5"], "there is no 310"),
    (["stash", "show", "yarn"], "'yarn' is not a stash"),
])
def test_bad_stash_input_is_a_clear_error(argv, message: str, capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert len(load_stash("thread")) == 0  # nothing half-done


def test_import_and_export_round_trip_and_a_bad_row_changes_nothing(tmp_path: Path, capsys) -> None:
    src = tmp_path / "mine.csv"
    src.write_text("Code,Quantity,Notes\n310,3,box A\n321,1,\n 3865 ,2.5,half used\n", encoding="utf-8")
    assert main(["stash", "import", str(src)]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code,quantity\n310,1\n99999,2\n", encoding="utf-8")
    assert main(["stash", "import", str(bad)]) == 2
    assert "bad.csv, line 3: There is no colour '99999'" in capsys.readouterr().err
    stash = load_stash("thread")
    assert {i.code: i.quantity for i in stash.items} == {"310": 3.0, "321": 1.0, "3865": 2.5}
    out = tmp_path / "out.csv"
    assert main(["stash", "export", "threads", "-o", str(out)]) == 0
    assert read_stash_csv(out) == stash
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert rows[0] == {"palette": "dmc", "code": "310", "name": "Black", "quantity": "3", "unit": "skein",
                       "element": ""}


def test_lego_art_sets_are_imported_by_number_and_copies(capsys) -> None:
    assert main(["stash", "import", "--list-sets"]) == 0
    assert "31197  Andy Warhol's Marilyn Monroe" in capsys.readouterr().out
    assert main(["stash", "import", "--lego-art", "31197-1", "--copies", "3"]) == 0
    bricks = load_stash("brick")
    art = find_set("31197")
    assert sum(i.quantity for i in bricks.items) == 3 * art.studs
    assert {i.element for i in bricks.items} == {"round_tile"}
    assert main(["stash", "import", "--lego-art", "99999"]) == 2
    assert "no LEGO Art set 99999" in capsys.readouterr().err


def test_convert_from_a_stash_file_never_uses_more_than_it_holds(photo: Path, tmp_path: Path, capsys) -> None:
    stash = tmp_path / "few.csv"
    stash.write_text("code,quantity,unit\n310,1,skein\nBLANC,1,skein\n3865,0.5,skein\n321,1,skein\n"
                     "3750,40,m\n415,1,skein\n", encoding="utf-8")
    out = tmp_path / "p.pixl"
    assert main(["convert", str(photo), "-o", str(out), "--width", "60", "--stash", str(stash)]) == 0
    printed = capsys.readouterr().out
    pattern = load_pixl(out)
    per = stitches_per_skein(14)
    allowed = {"310": per, "BLANC": per, "3865": per // 2, "321": per, "3750": int(40 * per / 8), "415": per}
    counts = pattern.counts()
    used = {pattern.palette[i].code: int(counts[i]) for i in np.flatnonzero(counts)}
    assert set(used) <= set(allowed)
    assert all(used[c] <= allowed[c] + 1 for c in used)
    made = pattern.metadata["recipe"]["stash"]
    assert made["snapshot"] == read_stash_csv(stash, family="thread", palette=pattern.palette).snapshot()
    assert "from the stash" in printed


def test_a_stash_too_small_says_the_size_that_fits(photo: Path, tmp_path: Path, capsys) -> None:
    stash = tmp_path / "tiny.csv"
    stash.write_text("code,quantity\n310,0.2\nBLANC,0.2\n", encoding="utf-8")  # about 730 stitches
    out = tmp_path / "p.pixl"
    assert main(["convert", str(photo), "-o", str(out), "--width", "80", "--stash", str(stash)]) == 2
    err = capsys.readouterr().err
    assert "has enough for 730 cells, but this 80×80 pattern has 6,400" in err
    assert "--width 27" in err and not out.exists()
    assert "though there colours stand in for each other; every cell keeps its own nearest colour up to" in err


def test_buy_list_for_a_pattern_against_the_stash(photo: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "p.pixl"
    assert main(["convert", str(photo), "-o", str(out), "--width", "60", "--max-colors", "8"]) == 0
    pattern = load_pixl(out)
    counts = pattern.counts()
    top = int(np.argmax(counts))
    code = pattern.palette[top].code
    assert main(["stash", "add", code, "20"]) == 0  # far more than enough of the most used colour
    buy_csv = tmp_path / "buy.csv"
    capsys.readouterr()
    assert main(["stash", "buy", str(out), "--csv", str(buy_csv)]) == 0
    printed = capsys.readouterr().out
    rows = {r["code"]: r for r in csv.DictReader(buy_csv.open(encoding="utf-8"))}
    assert rows[code]["to_buy"] == "0" and len(rows) == 8
    per = stitches_per_skein(14)
    for c, r in rows.items():
        if c != code:
            assert int(r["to_buy"]) == -(-int(r["need"]) // per) and r["in_stash"] == "0"
    assert "in 7 colours; the stash covers the other 1." in printed


def test_fewest_purchases_buys_exactly_the_shortfall(photo: Path, tmp_path: Path, capsys) -> None:
    stash = tmp_path / "tiny.csv"
    stash.write_text("code,quantity\n310,0.2\nBLANC,0.2\n3865,0.3\n", encoding="utf-8")  # 1,277 stitches
    out = tmp_path / "p.pixl"
    assert main(["convert", str(photo), "-o", str(out), "--width", "50", "--stash", str(stash),
                 "--fewest-purchases"]) == 0
    pattern = load_pixl(out)
    bought = pattern.metadata["recipe"]["bought"]
    owned = read_stash_csv(stash, family="thread", palette=pattern.palette).capacity(pattern.palette)
    assert sum(bought.values()) == 50 * 50 - int(owned.sum())  # every owned stitch used, only the rest bought
    assert "Buy " in capsys.readouterr().out


def test_buying_up_to_n_new_colours_lowers_the_error_and_keeps_to_n(photo: Path, tmp_path: Path, capsys) -> None:
    stash = tmp_path / "greys.csv"
    stash.write_text("code,quantity\n310,5\nBLANC,5\n415,5\n414,5\n318,5\n", encoding="utf-8")
    errors = {}
    for extra in ([], ["--buy-colours", "3"], ["--buy-colours", "3", "--buy-units", "2"]):
        out = tmp_path / f"p{len(extra)}.pixl"
        assert main(["convert", str(photo), "-o", str(out), "--width", "50", "--stash", str(stash), *extra]) == 0
        pattern = load_pixl(out)
        errors[len(extra)] = float(capsys.readouterr().out.split("mean colour error ")[1].split(" ")[0])
        codes = {pattern.palette[i].code for i in np.flatnonzero(pattern.counts())}
        new = codes - {"310", "BLANC", "415", "414", "318"}
        if extra:
            assert 1 <= len(new) <= 3
            bought = pattern.metadata["recipe"]["bought"]
            assert set(bought) == new  # the greys were enough of themselves; only new colours are bought
            if "--buy-units" in extra:
                assert sum(-(-n // stitches_per_skein(14)) for n in bought.values()) <= 2
        else:
            assert not new
    assert errors[2] < errors[0] and errors[4] <= errors[0]


def test_a_stash_of_the_wrong_material_is_a_clear_error(photo: Path, tmp_path: Path, capsys) -> None:
    beads = tmp_path / "beads.csv"
    beads.write_text("palette,code,quantity\nperler,P01,500\n", encoding="utf-8")
    assert main(["convert", str(photo), "-o", str(tmp_path / "p.pixl"), "--width", "30", "--stash", str(beads)]) == 2
    assert "perler is a bead palette; it cannot go into the thread stash" in capsys.readouterr().err
    assert main(["stash", "add", "Black", "10", "--palette", "lego", "--unit", "skein"]) == 2
    assert "'skein' is not a unit for bricks" in capsys.readouterr().err


def test_a_mosaic_made_for_an_element_counts_only_that_element_in_the_stash(photo: Path, tmp_path: Path,
                                                                            capsys) -> None:
    out = tmp_path / "m.pixl"
    assert main(["convert", str(photo), "-o", str(out), "--palette", "lego", "--width", "16", "--max-colors", "3",
                 "--element", "round-tile"]) == 0
    pattern = load_pixl(out)
    assert pattern.metadata["recipe"]["element"] == "round-tile"
    counts = pattern.counts()
    top = pattern.palette[int(np.argmax(counts))]
    assert main(["stash", "add", top.name, "1000", "--palette", "lego", "--element", "plate"]) == 0
    capsys.readouterr()
    assert main(["stash", "buy", str(out)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if f" {top.name[:30]}" in line)
    assert "none" in row  # plates are not round tiles
