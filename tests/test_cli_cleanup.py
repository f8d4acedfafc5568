"""``pixlcraft cleanup`` and the ``--cleanup-first`` helpers: real runs read back, every mistake → exit 2, one line."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft import cleanup as cl
from pixlcraft.cleanup import PIXELS_PER_CELL, esrgan
from pixlcraft.cli import main
from pixlcraft.cli.cleanup import add_cleanup_args, apply_cleanup
from pixlcraft.errors import InputError
from pixlcraft.imageio import Photo, load_photo

ESRGAN_OK, ESRGAN_WHY = esrgan.METHOD.available()


def _scene(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([0.2 + 0.6 * x / w, 0.3 + 0.4 * y / h, 0.6 - 0.3 * x / w], -1)
    img[(x - w / 2) ** 2 + (y - h / 2) ** 2 < (min(h, w) / 3) ** 2] = (0.85, 0.25, 0.2)
    return img


@pytest.fixture()
def noisy_png(tmp_path: Path) -> tuple[Path, np.ndarray]:
    clean = _scene(40, 60)
    noisy = np.clip(clean + np.random.default_rng(3).normal(0, 0.05, clean.shape), 0, 1)
    path = tmp_path / "noisy.png"
    Image.fromarray((noisy * 255 + 0.5).astype(np.uint8)).save(path)
    return path, clean


def test_classic_cleanup_writes_a_cleaner_png(noisy_png, tmp_path: Path, capsys) -> None:
    src, clean = noisy_png
    out = tmp_path / "clean.png"
    assert main(["cleanup", str(src), "--method", "classic", "--denoise", "12", "-o", str(out)]) == 0
    result = np.asarray(Image.open(out).convert("RGB")).astype(np.float64) / 255
    before = np.asarray(Image.open(src).convert("RGB")).astype(np.float64) / 255
    assert result.shape == (40, 60, 3)
    assert np.sqrt(np.mean((result - clean) ** 2)) < 0.7 * np.sqrt(np.mean((before - clean) ** 2))
    text = capsys.readouterr().out
    assert "60×40 pixels" in text and "classic" in text


def test_cleanup_keeps_transparency_and_sizes_by_long_side(tmp_path: Path) -> None:
    rgba = np.zeros((30, 50, 4), np.uint8)
    rgba[..., :3] = (_scene(30, 50) * 255).astype(np.uint8)
    rgba[5:25, 10:40, 3] = 255
    src = tmp_path / "sticker.png"
    Image.fromarray(rgba, "RGBA").save(src)
    out = tmp_path / "out.png"
    assert main(["cleanup", str(src), "-m", "classic", "--long-side", "25", "-o", str(out)]) == 0
    photo = load_photo(out)
    assert (photo.width, photo.height) == (25, 15)
    assert photo.alpha is not None and photo.alpha[7, 12] == 1.0 and photo.alpha[0, 0] == 0.0


@pytest.mark.skipif(not ESRGAN_OK, reason=ESRGAN_WHY)
def test_esrgan_is_the_default_and_enlarges_a_small_photo(tmp_path: Path, capsys) -> None:
    src = tmp_path / "small.png"
    Image.fromarray((_scene(12, 16) * 255).astype(np.uint8)).save(src)
    out = tmp_path / "big.png"
    assert main(["cleanup", str(src), "--device", "cpu", "-o", str(out)]) == 0
    assert Image.open(out).size == (64, 48)  # automatic size: 4× for a photo this small
    assert "esrgan" in capsys.readouterr().out


def test_list_shows_every_method_and_its_state(capsys) -> None:
    assert main(["cleanup", "--list"]) == 0
    text = capsys.readouterr().out
    for name in cl.methods():
        assert name in text
    assert "ready" in text


@pytest.mark.parametrize(
    "argv_tail, needle",
    [
        (["PHOTO", "-o", "x.png", "--method", "magic"], "magic"),
        (["PHOTO", "-o", "x.png", "--method", "classic", "--tile", "64"], "--tile"),
        (["PHOTO", "-o", "x.png", "--method", "classic", "--denoise", "lots"], "--denoise"),
        (["PHOTO", "-o", "x.png", "--method", "classic", "--scale", "0"], "--scale"),
        (["PHOTO", "-o", "x.gif", "--method", "classic"], ".png"),
        (["PHOTO", "-o", "no/such/folder/x.png", "--method", "classic"], "folder"),
        (["missing.jpg", "-o", "x.png", "--method", "classic"], "missing.jpg"),
        (["-o", "x.png"], "PHOTO"),
        (["ALPHA", "-o", "x.jpg", "--method", "classic"], "transparent"),
        (["PHOTO", "-o", "x.png", "--method", "esrgan", "--model", "x2"], "x4plus"),
    ],
)
def test_mistakes_exit_2_with_one_line(argv_tail, needle, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Image.fromarray((_scene(16, 16) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    Image.fromarray(np.zeros((16, 16, 4), np.uint8), "RGBA").save(tmp_path / "a.png")
    argv = ["p.png" if a == "PHOTO" else "a.png" if a == "ALPHA" else a for a in argv_tail]
    assert main(["cleanup", *argv]) == 2
    err = capsys.readouterr().err
    assert needle.lower() in err.lower()
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()


def test_unavailable_method_exits_2_with_the_reason(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(esrgan.METHOD, "_status", (False, "Real-ESRGAN needs the system library libvulkan1."))
    Image.fromarray((_scene(16, 16) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    assert main(["cleanup", str(tmp_path / "p.png"), "-m", "esrgan", "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert "libvulkan1" in err and len(err.strip().splitlines()) == 1
    # the automatic choice skips it and still works
    assert main(["cleanup", str(tmp_path / "p.png"), "-o", str(tmp_path / "y.png")]) == 0
    assert "classic" in capsys.readouterr().out


@pytest.mark.skipif("pasd" not in cl.methods(), reason="the PASD port is not installed")
def test_missing_pasd_weights_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    Image.fromarray((_scene(16, 16) * 255).astype(np.uint8)).save(tmp_path / "p.png")
    empty = tmp_path / "no_weights_here"
    empty.mkdir()
    code = main(["cleanup", str(tmp_path / "p.png"), "-m", "pasd", "--pasd-model", str(empty),
                 "--base-model", str(empty), "--device", "cpu", "-o", str(tmp_path / "x.png")])
    err = capsys.readouterr().err.split("\r")[-1]  # after any progress-bar redraws (a terminal erases them)
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "no_weights_here" in err


def test_console_script_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "pixlcraft.cli", "cleanup", str(tmp_path / "nope.png"), "-m",
                          "classic", "-o", str(tmp_path / "x.png")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "Traceback" not in run.stderr and "nope.png" in run.stderr


# ----------------------------------------------------------------------------------------- --cleanup-first


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--crop")
    p.add_argument("--steps", type=int)  # a command's own flag must not clash with the methods' options
    p.add_argument("--scale", type=int, default=1)
    add_cleanup_args(p)
    return p


def test_cleanup_first_is_off_unless_asked() -> None:
    photo = Photo(_scene(20, 30).astype(np.float32), None)
    assert apply_cleanup(_parser().parse_args([]), photo) is photo


def test_cleanup_first_sizes_the_photo_for_the_pattern() -> None:
    photo = Photo(_scene(100, 200).astype(np.float32), None)
    args = _parser().parse_args(["--width", "40", "--cleanup-first", "classic", "--cleanup-denoise", "3"])
    result = apply_cleanup(args, photo)
    assert (result.width, result.height) == (40 * PIXELS_PER_CELL, 20 * PIXELS_PER_CELL)
    # both sides given: the converter crops to the grid's aspect, so the tighter axis decides
    args = _parser().parse_args(["--width", "40", "--height", "40", "--cleanup-first", "classic"])
    assert apply_cleanup(args, photo).height == 40 * PIXELS_PER_CELL
    # a crop is applied first and the result is that crop
    args = _parser().parse_args(["--crop", "10,20,100,48", "--width", "25", "--cleanup-first", "classic"])
    result = apply_cleanup(args, photo)
    assert (result.width, result.height) == (50, 24)
    np.testing.assert_allclose(result.srgb[0, 0], photo.srgb[20:22, 10:12].mean((0, 1)), atol=0.02)
    # an explicit size wins; classic never enlarges on its own
    args = _parser().parse_args(["--width", "400", "--cleanup-first", "classic"])
    assert apply_cleanup(args, photo).width == 200
    args = _parser().parse_args(["--cleanup-first", "classic", "--cleanup-long-side", "60"])
    assert apply_cleanup(args, photo).width == 60


def test_cleanup_first_refuses_options_of_another_method() -> None:
    photo = Photo(_scene(20, 30).astype(np.float32), None)
    args = _parser().parse_args(["--steps", "5", "--cleanup-first", "classic", "--cleanup-tile", "64"])
    assert args.steps == 5
    with pytest.raises(InputError, match="--cleanup-tile.*esrgan"):
        apply_cleanup(args, photo)


@pytest.mark.skipif(not ESRGAN_OK, reason=ESRGAN_WHY)
def test_cleanup_first_with_esrgan_enlarges_a_small_photo_to_two_pixels_per_cell() -> None:
    photo = Photo(_scene(12, 18).astype(np.float32), None)
    args = _parser().parse_args(["--width", "18", "--cleanup-first", "auto", "--cleanup-device", "cpu"])
    result = apply_cleanup(args, photo)
    assert (result.width, result.height) == (36, 24)


def _children(pid: int) -> list[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
def test_ctrl_c_stops_the_real_esrgan_workers_too(tmp_path: Path) -> None:
    """Interrupting `pixlcraft cleanup` must not leave worker processes (1.5 GB each) computing on."""
    import signal
    import time

    photo = tmp_path / "in.png"
    sample = Path(__file__).resolve().parents[1] / "resources" / "samples" / "astronaut.jpg"
    Image.open(sample).resize((320, 320)).save(photo)
    proc = subprocess.Popen([sys.executable, "-m", "pixlcraft.cli", "cleanup", str(photo), "--tile", "256",
                             "--workers", "2", "--long-side", "1280", "-o", str(tmp_path / "out.png")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) == 2, "the workers never started"
    time.sleep(3)  # both busy on a 256-pixel tile, about 14 s of work each on this machine
    proc.send_signal(signal.SIGINT)  # to the command only, as `kill -INT` does
    # the workers are stopped, not waited for: well before their tiles could have finished
    assert proc.wait(timeout=8) == 130
    deadline = time.monotonic() + 2
    while any(_running(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_running(w) for w in workers)
    assert not (tmp_path / "out.png").exists()
    assert "Traceback" not in proc.stderr.read().decode()


def test_automatic_clean_up_follows_the_benchmark_by_photo_and_pattern_size() -> None:
    from pixlcraft.cleanup import auto_plan

    big = auto_plan(640, 480, (120, 90))
    assert big.method is None and "used as it is" in big.reason
    tiny_up = auto_plan(96, 72, (120, 90))
    tiny_down = auto_plan(96, 72, (64, 48))
    small = auto_plan(200, 150, (120, 90))
    assert tiny_down.method == "classic"
    if ESRGAN_OK:
        assert (tiny_up.method, tiny_up.options) == ("esrgan", {"model": "x4plus"})
        assert (small.method, small.options) == ("esrgan", {"model": "fast"})
    else:  # where Real-ESRGAN cannot run, the classic filters stand in, and the reason says so
        assert tiny_up.method == small.method == "classic" and "cannot run here" in small.reason


def test_cleanup_first_auto_leaves_a_large_photo_as_it_is_but_still_crops_it(capsys) -> None:
    photo = Photo(_scene(300, 400).astype(np.float32), None)
    args = _parser().parse_args(["--width", "60", "--cleanup-first", "auto", "--crop", "10,20,300,250"])
    result = apply_cleanup(args, photo)
    assert (result.width, result.height) == (300, 250)
    assert np.array_equal(result.srgb, photo.srgb[20:270, 10:310])
    assert "no clean-up method made its patterns better" in capsys.readouterr().err
