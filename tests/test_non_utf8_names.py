"""File names that are not UTF-8 on disk (a Latin-1 ``caf\\xe9.jpg``) go through every step (issue 12 item 3)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from pixlcraft.cli import main
from pixlcraft.fileio import readable
from pixlcraft.formats import load_pattern

SAMPLE = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.jpg"


def _name(tmp_path: Path, raw: bytes) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), raw)))
    return path


@pytest.fixture
def latin1_photo(tmp_path: Path) -> Path:
    if sys.platform in ("darwin", "win32"):
        pytest.skip("this file system stores names as Unicode; a non-UTF-8 name cannot exist")
    path = _name(tmp_path, b"caf\xe9.jpg")
    shutil.copy(SAMPLE, path)
    assert os.fsencode(path).endswith(b"caf\xe9.jpg")
    return path


def test_readable_keeps_utf8_and_reads_stray_bytes_as_latin1() -> None:
    assert readable("café.jpg") == "café.jpg"
    assert readable(os.fsdecode(b"caf\xe9.jpg")) == "café.jpg"
    assert readable(os.fsdecode("naïve.png".encode())) == "naïve.png"
    assert readable("\ud800x") == "?x"  # a lone surrogate that never came from a file name


def test_every_step_takes_a_latin1_file_name(latin1_photo: Path, tmp_path: Path, capsys) -> None:
    pixl = _name(tmp_path, b"caf\xe9.pixl")
    oxs = _name(tmp_path, b"r\xe9sum\xe9.oxs")
    assert main(["convert", str(latin1_photo), "--width", "20", "-o", str(pixl)]) == 0
    pattern = load_pattern(pixl)
    assert pattern.metadata["title"] == "café" and pattern.metadata["source"].endswith("café.jpg")
    assert main(["convert", str(pixl), "-o", str(oxs)]) == 0
    assert load_pattern(oxs).metadata["title"] == "café"
    for fmt, raw in (("stitch-pdf", b"chart\xe9.pdf"), ("png", b"p\xe9.png"), ("pes", b"e\xe9.pes")):
        out = _name(tmp_path, raw)
        assert main(["export", str(oxs), "--format", fmt, "-o", str(out)]) == 0, capsys.readouterr().err
        assert out.stat().st_size > 0
    bare = _name(tmp_path, b"t\xe9te.oxs")  # no title inside: the file name becomes the title
    oxs.rename(bare)
    text = bare.read_text(encoding="utf-8").replace('charttitle="café"', 'charttitle=""')
    bare.write_text(text, encoding="utf-8")
    assert load_pattern(bare).metadata["title"] == "téte"
    assert "Traceback" not in capsys.readouterr().err
