"""No command writes over the file it reads (issue 12): the same path, a symlink or a hard link to it, and the
stitch chart's second (black-and-white) file too. The input stays byte for byte as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft.cli import main
from pixlcraft.errors import InputError
from pixlcraft.fileio import atomic_write, protect_inputs

SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "samples"


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def chart(tmp_path: Path) -> Path:
    path = tmp_path / "chart.oxs"
    assert main(["convert", str(SAMPLES / "astronaut.jpg"), "--width", "20", "-o", str(path)]) == 0
    return path


def _refused(argv: list[str], protected: Path, capsys) -> None:
    before = protected.read_bytes()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "input file" in err and "Traceback" not in err, err
    assert protected.read_bytes() == before
    assert not [p for p in protected.parent.iterdir() if p.name.endswith(".tmp")]  # no temp left behind


def test_convert_and_cleanup_refuse_their_own_input(photo: Path, tmp_path: Path, capsys) -> None:
    _refused(["convert", str(photo), "--width", "20", "-o", str(photo)], photo, capsys)
    jpeg = tmp_path / "p.jpg"
    shutil.copy(SAMPLES / "astronaut.jpg", jpeg)
    _refused(["cleanup", str(jpeg), "--method", "classic", "-o", str(jpeg)], jpeg, capsys)


@pytest.mark.parametrize("link", ["symlink", "hardlink", "relative"])
def test_links_and_other_spellings_of_the_input_are_refused(photo: Path, tmp_path: Path, capsys, link: str,
                                                            monkeypatch) -> None:
    if link == "symlink":
        out = tmp_path / "link.png"
        out.symlink_to(photo)
    elif link == "hardlink":
        out = tmp_path / "hard.png"
        os.link(photo, out)
    else:
        monkeypatch.chdir(tmp_path / "..")
        out = Path(tmp_path.name) / "." / "photo.png"
    _refused(["convert", str(photo), "--width", "20", "-o", str(out)], photo, capsys)


def test_an_oxs_is_not_saved_over_itself(chart: Path, capsys) -> None:
    _refused(["convert", str(chart), "-o", str(chart)], chart, capsys)
    _refused(["reduce", str(chart), "--max-colors", "3", "-o", str(chart)], chart, capsys)
    _refused(["export", str(chart), "--format", "oxs", "-o", str(chart)], chart, capsys)


def test_the_chart_pdfs_second_file_is_checked_too(chart: Path, tmp_path: Path, capsys) -> None:
    (tmp_path / "out-bw.pdf").symlink_to(chart)  # the black-and-white file would land on the input
    _refused(["export", str(chart), "--format", "stitch-pdf", "--chart", "both", "-o", str(tmp_path / "out.pdf")],
             chart, capsys)
    assert not (tmp_path / "out.pdf").exists()  # all or nothing: the colour file was not written either


def test_other_outputs_still_work_and_protection_ends_with_the_command(photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    assert main(["convert", str(photo), "--width", "20", "-o", str(out)]) == 0
    assert Image.open(out).size == (20, 20)
    with protect_inputs(photo), pytest.raises(InputError, match="input file"):
        with atomic_write(photo) as f:
            f.write(b"x")
    with atomic_write(photo) as f:  # outside a command nothing is protected (the app saves over its own .pixl)
        f.write(b"x")
    assert photo.read_bytes() == b"x"


def test_the_app_neither_saves_nor_exports_over_the_source_photo(qtbot, main_window, tmp_path: Path,
                                                                 monkeypatch) -> None:
    from pixlcraft.gui import errors

    shown: list[str] = []
    monkeypatch.setattr(errors, "show_error", lambda parent, error, title=None: shown.append(str(error)))
    monkeypatch.setattr(errors, "present", lambda parent, m: "discard")
    photo = tmp_path / "cat.png"
    shutil.copy(SAMPLES / "astronaut.jpg", tmp_path / "a.jpg")
    Image.open(tmp_path / "a.jpg").save(photo)
    before = photo.read_bytes()
    window = main_window
    window.source_panel.width_cells.setValue(24)
    window.open_path(photo)
    qtbot.waitUntil(lambda: window.document.pattern is not None and not window.jobs.busy, timeout=30000)
    assert window.document.photo_path == str(photo)

    assert window.save_to(photo) is False  # Save As onto the photo
    assert "the photo this pattern was made from" in shown[-1]

    dialog = window.open_export_dialog()
    dialog.start_export("png", photo, {})  # PNG export under the photo's own name
    assert "the photo this pattern was made from" in shown[-1] and not dialog.runner.busy

    (tmp_path / "chart-bw.pdf").symlink_to(photo)  # the chart's second file would land on the photo
    dialog.start_export("stitch-pdf", tmp_path / "chart.pdf", {"chart": "both"})
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=60000)
    assert "input file" in shown[-1]
    assert not (tmp_path / "chart.pdf").exists()
    assert photo.read_bytes() == before
    dialog.close()
    window.document.stack.set_clean()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@pytest.mark.parametrize("argv", [
    ["convert", "FIFO.jpg", "--width", "10", "-o", "OUT.pixl"],
    ["convert", "PHOTO", "--palette", "FIFO.gpl", "--width", "10", "-o", "OUT.pixl"],
    ["convert", "PHOTO", "--owned", "FIFO.txt", "--width", "10", "-o", "OUT.pixl"],
    ["export", "FIFO.pixl", "--format", "png", "-o", "OUT.png"],
    ["export", "FIFO.oxs", "--format", "png", "-o", "OUT.png"],
    ["cleanup", "FIFO.png", "--method", "classic", "-o", "OUT.png"],
])
def test_a_pipe_as_input_is_refused_not_waited_on(argv: list[str], photo: Path, tmp_path: Path, capsys) -> None:
    args = []
    for a in argv:
        if a.startswith("FIFO"):
            fifo = tmp_path / a.lower()
            os.mkfifo(fifo)  # nothing ever writes to it: reading would wait for ever
            a = str(fifo)
        args.append(str(photo) if a == "PHOTO" else str(tmp_path / a.lower()) if a.startswith("OUT") else a)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err and "Traceback" not in err, err
