"""Finishes and availability: the right beads by default, special ones when asked for or owned."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.convert import ConvertOptions, convert_photo, usable_colors
from pixlcraft.imageio import load_photo
from pixlcraft.palette import FINISHES, Palette, load_builtin
from pixlcraft.pattern import load_pixl

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"
TAGGED = ("dmc", "perler", "perler_mini", "hama", "hama_mini", "artkal_s", "artkal_c", "nabbi")


@pytest.mark.parametrize("name", TAGGED)
def test_every_bead_and_thread_palette_says_finish_and_availability(name: str) -> None:
    rows = list(csv.DictReader((ROOT / "palettes" / f"{name}.csv").open(encoding="utf-8")))
    assert rows and {"finish", "availability"} <= set(rows[0])
    assert {r["finish"] for r in rows} <= set(FINISHES)
    assert all(r["availability"] == "current" or r["availability"] in ("discontinued",)
               or r["availability"].startswith("region-limited:") for r in rows)


def test_the_tags_follow_the_documented_sources() -> None:
    hama = {e.code: e for e in load_builtin("hama")}
    assert hama["H19"].finish == "transparent" and hama["H55"].finish == "glow"
    assert hama["H61"].finish == "metallic" and hama["H64"].finish == "pearl" and hama["H72"].finish == "translucent"
    assert hama["H36"].finish == "neon" and hama["H01"].finish == "opaque"
    artkal = {e.code: e for e in load_builtin("artkal_s")}
    assert [artkal[c].finish for c in ("ST1", "SG1", "SP8", "SL1", "SN1", "S63")] == \
        ["transparent", "glow", "pearl", "glitter", "neon", "metallic"]
    assert artkal["S86"].finish == "opaque"  # Goldenrod is a colour, not gold
    perler = {e.code: e for e in load_builtin("perler")}
    assert perler["80-15268"].availability == "region-limited:Japan" and not perler["80-15268"].standard
    assert all(e.finish == "opaque" for e in load_builtin("dmc"))  # art. 117 floss: "Pearl Gray" is a colour


@pytest.mark.parametrize("brand", ["hama", "artkal_s", "perler"])
def test_a_photo_uses_no_special_beads_by_default(brand: str) -> None:
    palette = load_builtin(brand)
    pattern = convert_photo(load_photo(SAMPLE), palette, ConvertOptions(width=60)).pattern
    used = [pattern.palette[i] for i in pattern.used_indices()]
    assert used and all(e.standard for e in used), [(e.code, e.name) for e in used if not e.standard]
    everything = convert_photo(load_photo(SAMPLE), palette, ConvertOptions(width=60, include_special=True))
    if brand == "hama":  # the clear and pearl beads are mid-tones a photo picks when allowed
        assert any(not everything.pattern.palette[i].standard for i in everything.pattern.used_indices())


def test_owned_colours_and_the_flag_override_the_default(tmp_path: Path) -> None:
    from pixlcraft.cli import main

    assert main(["convert", str(SAMPLE), "--palette", "hama", "--width", "30", "--owned", "H19,H18,H01",
                 "-o", str(tmp_path / "owned.pixl")]) == 0
    owned = load_pixl(tmp_path / "owned.pixl")
    assert "H19" in {owned.palette[i].code for i in owned.used_indices()}  # the clear bead is in the box: used
    hama = load_builtin("hama")
    assert usable_colors(hama).size < len(hama) == usable_colors(hama, include_special=True).size
    lego = load_builtin("lego")
    assert usable_colors(lego, include_transparent=True).size > usable_colors(lego).size


def test_finishes_survive_palette_files_and_pixl(tmp_path: Path) -> None:
    from pixlcraft.palette.files import load_palette_file, save_palette_file

    hama = load_builtin("hama")
    save_palette_file(hama, tmp_path / "mine.csv")
    again = load_palette_file(tmp_path / "mine.csv")
    assert [(e.finish, e.availability) for e in again] == [(e.finish, e.availability) for e in hama]
    stored = Palette.from_dict(hama.to_dict())
    assert [(e.finish, e.availability) for e in stored] == [(e.finish, e.availability) for e in hama]
    (tmp_path / "bad.csv").write_text("code,name,hex,finish\nA,x,#112233,shiny\n")
    with pytest.raises(Exception, match="finish"):
        load_palette_file(tmp_path / "bad.csv")


def test_the_panel_checkbox_lets_special_colours_in(main_window) -> None:
    from pixlcraft.gui.source_panel import make_classic

    window = main_window
    panel = window.source_panel
    panel.restore_choices({"palette": "hama", "width": 60, "use_budget": False})
    request = panel.request()
    request.photo_path = str(SAMPLE)
    made = make_classic(request)
    assert all(made.pattern.palette[i].standard for i in made.pattern.used_indices())
    panel.include_special.setChecked(True)
    request = panel.request()
    request.photo_path = str(SAMPLE)
    special = make_classic(request)
    assert any(not special.pattern.palette[i].standard for i in special.pattern.used_indices())
    assert np.any(special.pattern.grid != made.pattern.grid)
    window.close()
