"""The holes a second bad-input campaign found (``benchmarks/bad_inputs.py``), each kept as a test."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from pixlcraft.cli import main
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern, save_pattern

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "chelsea.jpg"


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err, err
    return code, err


@pytest.fixture
def dmc_file(tmp_path: Path) -> Path:
    path = tmp_path / "dmc.pixl"
    save_pattern(Pattern(np.zeros((4, 4), np.int16), load_builtin("dmc").subset([3])), path)
    return path


@pytest.fixture
def lego_file(tmp_path: Path) -> Path:
    path = tmp_path / "lego.pixl"
    save_pattern(Pattern(np.zeros((4, 4), np.int16), load_builtin("lego").subset([0])), path)
    return path


def test_an_output_name_too_long_or_an_unwritable_folder_is_refused_before_the_work(tmp_path, capsys) -> None:
    code, err = run(capsys, "convert", SAMPLE, "--palette", "dmc", "--width", "20", "-o",
                    tmp_path / ("x" * 300 + ".pixl"))
    assert code == 2 and "longer than the 255 bytes" in err
    code, err = run(capsys, "convert", SAMPLE, "--palette", "dmc", "--width", "20", "-o", "/proc/x.pixl")
    assert code == 2 and "cannot write '/proc/x.pixl'" in err
    assert not list(tmp_path.iterdir())  # the probe leaves nothing behind


def test_a_title_that_is_not_utf8_is_stored_as_text(tmp_path, capsys) -> None:
    out = tmp_path / "t.pixl"
    code, _ = run(capsys, "convert", SAMPLE, "--palette", "dmc", "--width", "20", "-o", out, "--title", "caf\udce9")
    assert code == 0
    with zipfile.ZipFile(out) as zf:
        assert json.loads(zf.read("pattern.json"))["metadata"]["title"] == "caf\ufffd"


def test_damaged_pattern_files_are_clear_errors(tmp_path, capsys, dmc_file) -> None:
    oxs = tmp_path / "odd.oxs"
    oxs.write_bytes(b'<?xml version="1.0" encoding="EBCDIC-NOPE"?><chart/>')
    code, err = run(capsys, "export", oxs, "-f", "png", "-o", tmp_path / "p.png")
    assert code == 2 and "cannot be read" in err

    with zipfile.ZipFile(dmc_file) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    doc = json.loads(members["pattern.json"])
    deep: list = []
    for _ in range(900):
        deep = [deep]
    doc["metadata"]["notes"] = deep
    nested = tmp_path / "deep.pixl"
    with zipfile.ZipFile(nested, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, json.dumps(doc) if name == "pattern.json" else data)
    code, err = run(capsys, "reduce", nested, "--max-colors", "3", "-o", tmp_path / "r.pixl")
    assert code == 2 and "nested far too deeply" in err

    locked = bytearray(dmc_file.read_bytes())  # the "encrypted" flag set in every header, as a locked zip has
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = locked.find(sig)
        while at >= 0:
            locked[at + offset] |= 1
            at = locked.find(sig, at + 4)
    (tmp_path / "locked.pixl").write_bytes(bytes(locked))
    code, err = run(capsys, "export", tmp_path / "locked.pixl", "-f", "png", "-o", tmp_path / "l.png")
    assert code == 2 and "encrypted" in err and "ZipInfo" not in err


def test_bricklink_remarks_with_control_characters_still_make_valid_xml(tmp_path, capsys, lego_file) -> None:
    out = tmp_path / "w.xml"
    code, _ = run(capsys, "export", lego_file, "-f", "bricklink-xml", "-o", out, "--remarks",
                  "a\x1b[31mb\x07c\r\nd\u202ef")
    assert code == 0
    remarks = ET.parse(out).getroot().find("ITEM/REMARKS")
    assert remarks is not None and remarks.text == "a[31mbc d\u202ef"


def test_a_jpeg_whose_header_claims_a_huge_picture_is_refused(tmp_path, capsys) -> None:
    im = Image.new("RGB", (48, 32), (10, 200, 30))
    im.save(tmp_path / "small.jpg")
    data = bytearray((tmp_path / "small.jpg").read_bytes())
    at = data.index(b"\xff\xc0")
    data[at + 5:at + 9] = struct.pack(">HH", 65500, 65500)
    (tmp_path / "huge.jpg").write_bytes(bytes(data))
    code, err = run(capsys, "convert", tmp_path / "huge.jpg", "--palette", "dmc", "--width", "20", "-o",
                    tmp_path / "o.pixl")
    assert code == 2 and "far too short for a 65500×65500 picture" in err


def test_a_plan_of_absurdly_many_pages_is_refused_before_drawing(tmp_path, capsys) -> None:
    perler = load_builtin("perler")
    big = tmp_path / "big.pixl"
    save_pattern(Pattern(np.zeros((1000, 1000), np.int16), perler.subset([0])), big)
    code, err = run(capsys, "export", big, "-f", "bead-pdf", "--board", "4", "-o", tmp_path / "x.pdf")
    assert code == 2 and "62,500 pages" in err and "--board 29" in err
    assert not (tmp_path / "x.pdf").exists()


def test_options_that_would_be_ignored_are_refused(tmp_path, capsys, lego_file) -> None:
    out = tmp_path / "o.pixl"
    base = ["convert", SAMPLE, "--width", "20", "-o", out]
    assert run(capsys, *base, "--palette", "dmc", "--owned", "")[0] == 2
    assert run(capsys, "palettes", "show", "dmc", "--owned", " ")[0] == 2
    code, err = run(capsys, *base, "--palette", "dmc", "--cleanup-denoise", "5")
    assert code == 2 and "--cleanup-first" in err
    code, err = run(capsys, *base, "--palette", "dmc", "--element", "plate")
    assert code == 2 and "not a brick palette" in err
    code, err = run(capsys, "export", lego_file, "-f", "pes", "-o", tmp_path / "x.pes")
    assert code == 2 and "For cross-stitch patterns" in err
    palette = tmp_path / "ids.csv"
    palette.write_text("name,hex,bricklink_id\nRed,#C91A09,123456789012345678901234567890\n")
    code, err = run(capsys, "palettes", "show", palette)
    assert code == 2 and "far too long for a colour id" in err
    assert not out.exists()


def test_generate_refuses_what_it_can_see_before_loading_models(tmp_path, capsys) -> None:
    pytest.importorskip("torch")
    out = tmp_path / "g.pixl"
    rose = ("generate", "--prompt", "a rose", "--width", "16", "--height", "16")
    code, err = run(capsys, *rose, "-o", tmp_path / "g.png", "--save-reference", tmp_path / "g.png")
    assert code == 2 and "the same file" in err
    code, err = run(capsys, *rose, "-o", out, "--lora", tmp_path / "nope.safetensors")
    assert code == 2 and "does not exist" in err
    code, err = run(capsys, *rose, "-o", "/proc/g.pixl")
    assert code == 2 and "cannot write" in err


def test_help_and_subcommand_errors_speak_plainly(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["export", "--help"])
    assert done.value.code == 0 and "10 % smaller" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["models"])
    err = capsys.readouterr().err
    assert "{list,download,path}" in err and "models_cmd" not in err
