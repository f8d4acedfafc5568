"""The command line: real conversions parsed back, and every bad input → exit 2 with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft.cli import main
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import load_pixl

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"


@pytest.fixture()
def photo(tmp_path: Path) -> Path:
    y, x = np.mgrid[0:60, 0:90]
    img = np.stack([x * 2.8, y * 4.2, (x + y) * 1.7], -1).clip(0, 255).astype(np.uint8)
    path = tmp_path / "gradient.png"
    Image.fromarray(img).save(path)
    return path


def test_convert_png_uses_only_palette_colours(photo: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.png"
    assert main(["convert", str(photo), "--palette", "hama", "--width", "30", "--max-colors", "8",
                 "-o", str(out)]) == 0
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (20, 30, 3)
    hama = {tuple(c) for c in load_builtin("hama").rgb}
    colours = {tuple(c) for c in img.reshape(-1, 3)}
    assert colours <= hama and len(colours) <= 8
    assert "30×20 cells" in capsys.readouterr().out


def test_convert_pixl_and_scaled_png_round_trip(photo: Path, tmp_path: Path) -> None:
    pixl = tmp_path / "p.pixl"
    png = tmp_path / "p.png"
    assert main(["convert", str(photo), "--width", "15", "-o", str(pixl)]) == 0
    assert main(["convert", str(photo), "--width", "15", "--scale", "4", "-o", str(png)]) == 0
    pattern = load_pixl(pixl)
    assert pattern.grid.shape == (10, 15)
    big = np.asarray(Image.open(png).convert("RGB"))
    assert big.shape == (40, 60, 3)
    assert (big[::4, ::4] == pattern.rgb_image()).all()


def test_owned_colours_restrict_the_result(photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.pixl"
    assert main(["convert", str(photo), "--width", "12", "--owned", "310,BLANC,321,699,797", "-o", str(out)]) == 0
    codes = {e.code for e in load_pixl(out).palette}
    assert codes <= {"310", "BLANC", "321", "699", "797"}


def test_palettes_list_and_show(capsys) -> None:
    assert main(["palettes", "list"]) == 0
    text = capsys.readouterr().out
    for name in ("dmc", "perler", "hama_mini", "artkal_c", "nabbi", "lego"):
        assert name in text
    assert main(["palettes", "show", "lego"]) == 0
    text = capsys.readouterr().out
    assert "BrickLink" in text and "Light Bluish Gray" in text


@pytest.mark.parametrize(
    "argv_tail, needle",
    [
        (["missing.jpg", "-o", "x.png"], "missing.jpg"),
        (["NOTIMAGE", "-o", "x.png"], "not an image"),
        (["PHOTO", "--palette", "nosuch", "-o", "x.png"], "nosuch"),
        (["PHOTO", "--width", "0", "-o", "x.png"], "width"),
        (["PHOTO", "--width", "5000", "-o", "x.png"], "5000"),
        (["PHOTO", "-o", "no/such/folder/x.png"], "folder"),
        (["PHOTO", "-o", "x.jpg"], ".pixl"),
        (["PHOTO", "--width", "ten", "-o", "x.png"], "ten"),
        (["PHOTO", "--max-colors", "0", "-o", "x.png"], "max-colors"),
        (["PHOTO", "--owned", "310,99999", "-o", "x.png"], "99999"),
        (["PHOTO", "--confetti-tolerance", "nan", "-o", "x.png"], "finite"),
        (["PHOTO", "--confetti-tolerance", "inf", "-o", "x.png"], "finite"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv_tail, needle, photo: Path, tmp_path: Path, monkeypatch,
                                          capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notimage.jpg").write_text("this is not a picture")
    argv = [str(photo) if a == "PHOTO" else str(tmp_path / "notimage.jpg") if a == "NOTIMAGE" else a
            for a in argv_tail]
    parse_error = needle in ("ten", "finite")  # argparse refuses these itself
    with pytest.raises(SystemExit) if parse_error else _nullcontext() as exc:
        code = main(["convert", *argv])
    if parse_error:
        code = exc.value.code
    err = capsys.readouterr().err
    assert code == 2
    assert needle.lower() in err.lower()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


class _nullcontext:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_console_script_end_to_end_on_the_bundled_sample(tmp_path: Path) -> None:
    out = tmp_path / "astronaut.pixl"
    run = subprocess.run([sys.executable, "-m", "pixlcraft.cli", "convert", str(SAMPLE), "--palette", "dmc",
                          "--width", "40", "--max-colors", "12", "-o", str(out)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    pattern = load_pixl(out)
    assert pattern.width == 40 and len(np.unique(pattern.grid)) <= 12
    bad = subprocess.run([sys.executable, "-m", "pixlcraft.cli", "convert", str(tmp_path / "nope.png"),
                          "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nope.png" in bad.stderr


def test_convert_cleans_the_photo_first_and_crops_once(photo: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.pixl"
    plain = tmp_path / "p.pixl"
    args = ["--width", "20", "--crop", "10,5,60,40", "--no-cleanup"]
    assert main(["convert", str(photo), *args, "--cleanup-first", "classic", "-o", str(out)]) == 0
    assert main(["convert", str(photo), *args, "-o", str(plain)]) == 0
    cleaned, reference = load_pixl(out), load_pixl(plain)
    # the crop's 60×40 shape gives 20×13 cells both ways: cropping twice would have shrunk the picture again
    assert cleaned.grid.shape == reference.grid.shape == (13, 20)
    # a gentle clean-up keeps the picture: most cells keep their thread
    same = (cleaned.rgb_image() == reference.rgb_image()).all(axis=-1).mean()
    assert same > 0.6


def test_cleanup_first_needs_a_photo_for_generate(tmp_path: Path, capsys) -> None:
    code = main(["generate", "--prompt", "a rose", "--width", "8", "--height", "8", "--cleanup-first", "classic",
                 "-o", str(tmp_path / "g.pixl")])
    assert code == 2
    assert "--image" in capsys.readouterr().err


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    """`pixlcraft palettes show dmc | head -1`: no traceback and no "internal error" once the reader has gone."""
    proc = subprocess.Popen([sys.executable, "-m", "pixlcraft.cli", "palettes", "show", "dmc"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the first line is written (head after its lines, sooner)
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141
    assert err == "", err


def test_export_into_an_existing_folder_names_the_file_after_the_pattern(photo: Path, tmp_path: Path,
                                                                         capsys) -> None:
    pixl = tmp_path / "owl.pixl"
    assert main(["convert", str(photo), "--width", "12", "-o", str(pixl)]) == 0
    folder = tmp_path / "charts"
    folder.mkdir()
    for spelling in (str(folder) + "/", str(folder)):
        assert main(["export", str(pixl), "--format", "oxs", "-o", spelling]) == 0
        assert (folder / "owl.oxs").is_file() and not (tmp_path / "charts.oxs").exists()
    assert main(["export", str(pixl), "--format", "oxs", "-o", str(tmp_path / "nosuch") + "/"]) == 2
    assert "does not exist" in capsys.readouterr().err
    from pixlcraft.errors import InputError
    from pixlcraft.export import export

    with pytest.raises(InputError, match="is a folder"):  # the library itself never writes beside a folder
        export(load_pixl(pixl), "oxs", folder)


def test_library_warnings_show_only_with_debug(photo: Path, tmp_path: Path, capsys, caplog, monkeypatch) -> None:
    import logging
    import warnings

    from pixlcraft.cli import convert as convert_cmd

    real = convert_cmd.run

    def noisy(args):
        warnings.warn("Palette images with Transparency expressed in bytes should be converted", UserWarning,
                      stacklevel=2)
        logging.getLogger("some.library").warning("Some weights of the model were not used")
        return real(args)

    monkeypatch.setattr(convert_cmd, "run", noisy)
    out = tmp_path / "o.pixl"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        assert main(["convert", str(photo), "--width", "10", "-o", str(out)]) == 0
        assert not seen and "weights" not in caplog.text
        assert capsys.readouterr().err == ""
        assert main(["--debug", "convert", str(photo), "--width", "10", "-o", str(out)]) == 0
        assert [str(w.message) for w in seen] == [
            "Palette images with Transparency expressed in bytes should be converted"]
        assert "weights of the model" in caplog.text
    assert logging.getLogger("x").isEnabledFor(logging.WARNING)  # nothing stays switched off afterwards
