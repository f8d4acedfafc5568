"""OXS part stitches, backstitches, knots and beads: read as the writing programs mean them, written back, and
whatever cannot be kept reported. Every count is checked against the XML counted directly."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.cli import main
from pixlcraft.formats.oxs import import_summary, oxs_text, read_oxs, save_oxs, skipped_summary
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import EMPTY, Pattern, load_pixl
from pixlcraft.stitches import (
    BOTTOM_LEFT,
    BOTTOM_RIGHT,
    NO_STITCH,
    STRAIGHT_STITCH,
    TOP_LEFT,
    TOP_RIGHT,
    UNITS_PER_CELL,
    Lines,
    Points,
    StitchLayers,
)

DATA = Path(__file__).parent / "data" / "oxs"
FIXTURES = sorted(DATA.glob("*.oxs"))
MIRROR = Path("/work/.mirror/embroidery-space+embroiderly/repo")
REAL = {"Piggies.oxs": "app/public/demo/Piggies.oxs", "Festive Capy.oxs": "app/public/demo/Festive Capy.oxs",
        "Pumpkin Cupcake.oxs": "app/public/demo/Pumpkin Cupcake.oxs"}


# ------------------------------------------------------------------------------------------------ the XML itself


def num(raw: str) -> float:
    return float(raw.replace(",", "."))


def units(raw: str) -> int:
    return round(num(raw) * UNITS_PER_CELL)


def xml_counts(path: Path) -> dict[str, object]:
    """What a chart holds, counted straight from its XML by the rules the writing programs follow (threads listed
    in the palette, positions on the chart), independent of the reader under test."""
    root = ET.parse(path).getroot()
    threads = {int(el.get("index")) for el in root.iter("palette_item")} - {0}
    props = root.find("properties")
    w, h = int(props.get("chartwidth")), int(props.get("chartheight"))

    def on_chart(*xy: str) -> bool:
        return all(0 <= num(v) <= (w if i % 2 == 0 else h) for i, v in enumerate(xy))

    full = {(s.get("x"), s.get("y")) for s in root.find("fullstitches").iter("stitch")
            if int(s.get("palindex")) in threads}
    parts = 0
    for el in root.iter("partstitch"):  # 1, 2: one part stitch per thread given; 3, 4: one half stitch
        given = {int(el.get(a)) for a in ("palindex1", "palindex2")} & threads
        parts += len(given) if el.get("direction") in ("1", "2") else min(len(given), 1)
    lines = [el for sec in root.findall("backstitches") for el in sec.iter("backstitch")
             if (el.get("objecttype") or "backstitch") in ("backstitch", "straightstitch")
             and int(el.get("palindex")) in threads
             and on_chart(el.get("x1"), el.get("y1"), el.get("x2"), el.get("y2"))]
    objects = [el for sec in root.findall("ornaments_inc_knots_and_beads") for el in sec.iter("object")
               if int(el.get("palindex")) in threads and on_chart(el.get("x1"), el.get("y1"))]
    knots = [el for el in objects if el.get("objecttype") == "knot"]
    beads = [el for el in objects if el.get("objecttype").startswith("bead")]
    return {"full": len(full), "parts": parts, "part_cells": {(int(el.get("y")), int(el.get("x")))
                                                             for el in root.iter("partstitch")},
            "lines": [[units(el.get(k)) for k in ("x1", "y1", "x2", "y2")] for el in lines],
            "knots": [[units(el.get("x1")), units(el.get("y1"))] for el in knots],
            "beads": [[units(el.get("x1")), units(el.get("y1"))] for el in beads]}


def assert_matches_xml(p: Pattern, path: Path) -> dict[str, object]:
    want = xml_counts(path)
    assert int(np.count_nonzero(p.grid != EMPTY)) == want["full"]
    parts = p.layers.part_stitches()
    if want["part_cells"]:
        assert {(int(y), int(x)) for y, x in zip(parts.ys, parts.xs, strict=True)} >= want["part_cells"]
    if want["parts"]:
        assert len(parts) >= want["parts"]
    assert p.layers.backstitches.xy.tolist() == want["lines"]  # every one, in file order, at its exact place
    assert p.layers.knots.xy.tolist() == want["knots"]
    assert p.layers.beads.xy.tolist() == want["beads"]
    return want


# ------------------------------------------------------------------------------------------------ our own charts


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_counts_match_the_xml(path: Path) -> None:
    assert_matches_xml(read_oxs(path), path)


def quarters_by_code(p: Pattern) -> dict[tuple[int, int], list[str | None]]:
    q = p.layers.quarters
    ys, xs = np.nonzero((q >= 0).any(axis=2))
    return {(int(x), int(y)): [None if c == NO_STITCH else p.palette[int(c)].code for c in q[y, x]]
            for y, x in zip(ys, xs, strict=True)}


def test_ursa_part_stitches_split_the_cell_as_ursa_draws_them() -> None:
    p = read_oxs(DATA / "ursa_style.oxs")
    # quarters in the order top-left, top-right, bottom-left, bottom-right
    assert quarters_by_code(p) == {
        (1, 1): ["321", "321", "321", None],      # 2: "/" split, palindex1 fills the top-left triangle
        (2, 2): ["321", "321", None, "321"],      # 1 with only palindex2: the top-right triangle of "\"
        (3, 3): [None, "310", "310", None],       # 3: a / half stitch
        (4, 3): ["310", None, None, "310"],       # 4: a \ half stitch
        (4, 5): ["3708", None, "3708", "3708"],   # 1: "\" split, palindex1 fills the bottom-left triangle
        (7, 5): ["3708", "3708", "3708", "321"],  # 2 with both: a three-quarter and a quarter stitch
    }
    assert p.layers.summary() == "7 part stitches, 7 backstitches, 3 French knots and 2 beads"
    # no strands on the backstitch: the thread's bsstrands (310: 1, 321 and 3708: 2)
    assert p.layers.backstitches.strands.tolist() == [1, 1, 1, 1, 1, 2, 2]
    assert p.layers.backstitches.cells()[3].tolist() == [4.5, 5.8, 6.0, 7.0]
    assert p.layers.knots.cells()[2].tolist() == [10.0, 8.0]  # the far corner of the chart is on it
    assert "oxs_skipped" not in p.metadata


def test_cross_stitch_pro_decimal_commas_and_strands() -> None:
    p = read_oxs(DATA / "csp_style.oxs")
    assert p.palette.brand == "DMC" and [e.code for e in p.palette] == ["310", "BLANC", "827"]
    bs = p.layers.backstitches
    assert bs.cells()[4].tolist() == [0.5, 5.0, 5.5, 5.0]
    assert [p.palette[int(c)].code for c in bs.colour] == ["310", "310", "310", "310", "827"]
    assert bs.strands.tolist() == [1, 1, 2, 2, 3]  # the twice-listed 310 keeps each listing's strands
    assert p.layers.knots.cells().tolist() == [[3.0, 4.5], [3.5, 0.5]]
    assert p.layers.beads.cells().tolist() == [[4.5, 4.5], [5.5, 5.5]]


def test_embroiderly_objects_and_what_cannot_be_kept() -> None:
    p = read_oxs(DATA / "embroiderly_style.oxs")
    assert quarters_by_code(p) == {
        (3, 1): ["321", None, None, "797"],    # two quarter objects: x1, y1 is the quarter's top-left corner
        (4, 1): ["321", "310", "310", "321"],  # tent direction 2 (/) in 310 crossed by direction 1 (\) in 321
        (5, 2): ["797", None, None, "797"],
    }
    assert p.layers.backstitches.kind.tolist() == [0, STRAIGHT_STITCH]
    assert p.metadata["oxs_skipped"] == {"curved stitches": 1, "backstitches outside the chart": 1,
                                         "petite stitches": 1, "special stitches": 1}
    note = skipped_summary(p)
    assert note.startswith("embroiderly_style.oxs: 1 curved stitch, 1 backstitch outside the chart, 1 petite "
                           "stitch and 1 special stitch could not be kept")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_export_and_import_again_is_equal(path: Path, tmp_path: Path) -> None:
    first = read_oxs(path)
    save_oxs(first, tmp_path / "again.oxs")
    second = read_oxs(tmp_path / "again.oxs")
    assert second.layers.equals(first.compact().layers)
    assert np.array_equal(second.grid, first.compact().grid)
    assert "oxs_skipped" not in second.metadata  # everything we write, we read


def test_every_kind_of_cell_survives_export(tmp_path: Path) -> None:
    dmc = load_builtin("dmc")
    idx = [dmc.find(c) for c in ("310", "321", "797", "3708")]
    pal = dmc.subset(idx)
    q = np.full((3, 4, 4), NO_STITCH, np.int16)
    q[0, 0, TOP_LEFT] = 0                                  # a lone quarter
    q[0, 1, [TOP_LEFT, TOP_RIGHT]] = 1                     # two quarters side by side
    q[0, 2, [TOP_LEFT, BOTTOM_RIGHT]] = 2                  # "\" half
    q[0, 2, [BOTTOM_LEFT, TOP_RIGHT]] = 3                  # crossed by a "/" half of another colour
    q[1, 0] = 1                                            # all four quarters one colour
    q[1, 1, [BOTTOM_LEFT, TOP_RIGHT, BOTTOM_RIGHT]] = 0    # three-quarter with a quarter on the other side:
    q[1, 1, TOP_LEFT] = 3                                  # Ursa gives the diagonal to palindex1 only
    q[1, 2, [TOP_LEFT, BOTTOM_RIGHT, TOP_RIGHT]] = 2       # three-quarter, other side bare
    q[2, 3, [TOP_LEFT, BOTTOM_LEFT, BOTTOM_RIGHT]] = 1     # "\" three-quarter with the bottom-left
    q[2, 0, [TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT]] = 2    # "/" three-quarter with the bottom-right
    q[2, 1, [TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT]] = 0        # "/" three-quarter with the top-left
    q[2, 1, BOTTOM_RIGHT] = 1
    layers = StitchLayers(q, Lines.from_cells([[0, 0, 4, 3], [1 / 3, 0, 1 / 3, 3]], [0, 2], [0, 4], [0, 1]),
                          Points.from_cells([[4, 3], [0.0625, 0.2]], 1, 2), Points.from_cells([[2.5, 1.5]], 3))
    grid = np.full((3, 4), EMPTY, np.int16)
    grid[2, 2] = 0
    pattern = Pattern(grid, pal, {"title": "every cell"}, layers)
    save_oxs(pattern, tmp_path / "all.oxs")
    back = read_oxs(tmp_path / "all.oxs")
    assert back.layers.equals(layers) and np.array_equal(back.grid, grid)
    root = ET.parse(tmp_path / "all.oxs").getroot()
    # what Ursa's partstitch can say is written as one; the rest as Embroiderly's tent and quarter objects
    assert len(root.find("partstitches")) == 5
    kinds = [el.get("objecttype") for el in root.find("ornaments_inc_knots_and_beads")]
    assert sorted(kinds) == ["bead", "knot", "knot", *["quarter"] * 5, *["tent"] * 3]
    assert [el.get("objecttype") for el in root.find("backstitches")] == ["backstitch", "straightstitch"]


def test_a_pattern_without_layers_writes_empty_sections(tmp_path: Path) -> None:
    dmc = load_builtin("dmc")
    text = oxs_text(Pattern(np.zeros((2, 2), np.int16), dmc))
    assert "<partstitches/>" in text and "<backstitches/>" in text and "<ornaments_inc_knots_and_beads/>" in text


@pytest.mark.parametrize("element, skipped", [
    ('<backstitch x1="a" y1="0" x2="1" y2="1" palindex="1"/>', {"unreadable backstitches": 1}),
    ('<backstitch x1="0" y1="0" x2="1" y2="1" palindex="0"/>', {"backstitches in the cloth colour": 1}),
    ('<backstitch x1="0" y1="0" x2="1" y2="1" palindex="99999999999"/>', {"backstitches of missing threads": 1}),
    ('<backstitch x1="1" y1="1" x2="1" y2="1" palindex="1"/>', {"backstitches of no length": 1}),
    ('<backstitch x1="0" y1="0" x2="1" y2="1" palindex="1" objecttype="zigzag"/>',
     {"backstitches of type 'zigzag'": 1}),
])
def test_odd_backstitches_are_counted_not_fatal(tmp_path: Path, element: str, skipped: dict) -> None:
    path = tmp_path / "odd.oxs"
    path.write_text("<chart><properties chartwidth='3' chartheight='3'/><palette>"
                    "<palette_item index='1' number='DMC 310' color='000000'/></palette>"
                    f"<fullstitches/><backstitches>{element}</backstitches></chart>")
    p = read_oxs(path)
    assert p.metadata["oxs_skipped"] == skipped and not len(p.layers.backstitches)


def test_part_stitches_drawn_over_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "over.oxs"
    path.write_text("<chart><properties chartwidth='3' chartheight='3'/><palette>"
                    "<palette_item index='1' number='DMC 310' color='000000'/>"
                    "<palette_item index='2' number='DMC 321' color='C72B3B'/></palette><partstitches>"
                    "<partstitch x='1' y='1' palindex1='1' palindex2='0' direction='3'/>"
                    "<partstitch x='1' y='1' palindex1='2' palindex2='0' direction='2'/>"
                    "<partstitch x='5' y='1' palindex1='2' palindex2='0' direction='2'/>"
                    "<partstitch x='1' y='2' palindex1='2' palindex2='0' direction='7'/></partstitches></chart>")
    p = read_oxs(path)
    assert p.metadata["oxs_skipped"] == {"part stitches covered by a later one": 2,
                                         "part stitches outside the chart": 1, "unreadable part stitches": 1}
    assert quarters_by_code(p) == {(1, 1): ["321", "321", "321", None]}


# ------------------------------------------------------------------------------------------------ the CLI


def test_convert_says_what_it_read_and_what_it_left_out(tmp_path: Path, capsys) -> None:
    out = tmp_path / "e.pixl"
    assert main(["convert", str(DATA / "embroiderly_style.oxs"), "-o", str(out)]) == 0
    printed = capsys.readouterr()
    assert "2 full stitches, 5 part stitches, 2 backstitches, 1 French knot and 1 bead" in printed.out
    assert "1 curved stitch" in printed.err and "1 petite stitch" in printed.err and "could not be kept" in printed.err
    assert load_pixl(out).layers.summary() == "5 part stitches, 2 backstitches, 1 French knot and 1 bead"
    assert main(["convert", str(out), "-o", str(tmp_path / "e.png")]) == 0
    assert "a .png at one pixel a cell shows the full stitches only" in capsys.readouterr().err
    assert main(["convert", str(out), "-o", str(tmp_path / "e8.png"), "--scale", "8"]) == 0
    assert "full stitches only" not in capsys.readouterr().err  # from 4 pixels a cell the layers are drawn


# ------------------------------------------------------------------------------------------------ real charts


def real_charts(folder: Path) -> list[Path]:
    """Real charts from other programs, where this machine has them (they may not be redistributed)."""
    given = os.environ.get("PIXLCRAFT_OXS_SAMPLES")
    if given:
        return sorted(Path(given).glob("*.oxs"))
    if not MIRROR.is_dir() or shutil.which("git") is None:
        return []
    found = []
    for name, inside in REAL.items():
        done = subprocess.run(["git", f"--git-dir={MIRROR}", "show", f"HEAD:{inside}"], capture_output=True)
        if done.returncode == 0:
            (folder / name).write_bytes(done.stdout)
            found.append(folder / name)
    return found


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    found = real_charts(tmp_path_factory.mktemp("real-oxs"))
    if not found:
        pytest.skip("no real OXS charts on this machine (set PIXLCRAFT_OXS_SAMPLES to a folder of them)")
    return found


def test_real_charts_import_everything_the_xml_holds(charts: list[Path], tmp_path: Path) -> None:
    for path in charts:
        p = read_oxs(path)
        want = assert_matches_xml(p, path)
        assert "oxs_skipped" not in p.metadata, (path.name, p.metadata.get("oxs_skipped"))
        # real file → import → export → import: the same elements at the same places
        save_oxs(p, tmp_path / path.name)
        again = read_oxs(tmp_path / path.name)
        assert again.layers.equals(p.compact().layers) and np.array_equal(again.grid, p.compact().grid)
        written = ET.parse(tmp_path / path.name).getroot()
        source = ET.parse(path).getroot()
        for section, child in (("partstitches", "partstitch"), ("backstitches", "backstitch"),
                               ("ornaments_inc_knots_and_beads", "object")):
            assert len(written.find(section).findall(child)) == len(source.find(section).findall(child)), section
        assert len(want["lines"]) == len(p.layers.backstitches)


def test_piggies_counts(charts: list[Path], capsys) -> None:
    piggies = [p for p in charts if p.name.lower() == "piggies.oxs"]
    if not piggies:
        pytest.skip("Ursa's Piggies.oxs is not on this machine")
    p = read_oxs(piggies[0])
    assert import_summary(p) == ("1,000 full stitches, 55 part stitches, 1,105 backstitches, 10 French knots and "
                                 "8 beads")
    assert main(["convert", str(piggies[0]), "-o", str(piggies[0].with_suffix(".pixl"))]) == 0
    assert "55 part stitches, 1,105 backstitches, 10 French knots and 8 beads" in capsys.readouterr().out
