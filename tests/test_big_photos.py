"""Big photos are read at a bounded size: memory stays near 1 GB for any accepted photo (issue 12, item 10).

The shrinking itself is tested at small scale by lowering the work size; one test reads a real 100 MP file in
a child process and checks its peak memory, because that is the promise users meet.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pixlcraft import imageio
from pixlcraft.errors import InputError
from pixlcraft.imageio import enough_pixels, load_photo


def _blocks(w: int, h: int, seed: int = 0) -> np.ndarray:
    """Flat 8×8-pixel blocks of random colour: an area average by any whole factor of 8 keeps them exact."""
    rng = np.random.default_rng(seed)
    small = (rng.random((h // 8, w // 8, 3)) * 255).astype(np.uint8)
    return np.repeat(np.repeat(small, 8, 0), 8, 1)


@pytest.fixture
def small_work(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(imageio, "WORK_PIXELS", 20_000)
    return 20_000


def _close_to_box_average(photo_srgb: np.ndarray, rgb: np.ndarray, tol: float = 4 / 255) -> None:
    """The same picture at a coarse scale (16×12 patches of 5×5 blocks), where sub-pixel placement of the
    reduction no longer matters."""
    ours = Image.fromarray(np.round(photo_srgb * 255).astype(np.uint8)).resize((16, 12), Image.Resampling.BOX)
    theirs = Image.fromarray(rgb).resize((16, 12), Image.Resampling.BOX)
    assert np.abs(np.asarray(ours, np.float32) - np.asarray(theirs, np.float32)).mean() / 255 < tol


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "L", "CMYK"])
def test_a_photo_above_the_work_size_is_read_smaller_by_area_average(tmp_path: Path, small_work: int,
                                                                      mode: str) -> None:
    rgb = _blocks(640, 480)
    im = Image.fromarray(rgb)
    if mode == "P":
        im = im.quantize(256, dither=Image.Dither.NONE)
        rgb = np.asarray(im.convert("RGB"))
    elif mode == "L":
        im = im.convert("L")
        rgb = np.repeat(np.asarray(im)[..., None], 3, 2)
    elif mode != "RGB":
        im = im.convert(mode)
    path = tmp_path / ("photo.tif" if mode == "CMYK" else "photo.png")
    im.save(path)
    photo = load_photo(path)
    assert photo.width * photo.height <= small_work and photo.full_size == (640, 480)
    assert abs(photo.width / photo.height - 640 / 480) < 0.05
    if mode == "RGBA":
        assert photo.alpha is None  # fully opaque stays "no alpha"
    if mode != "CMYK":
        _close_to_box_average(photo.srgb, rgb)
    # nothing more to be had by loading it again: the AI canvas and every pattern take it as it is
    assert enough_pixels(photo, None) and enough_pixels(photo, (40, None))


def test_transparency_orientation_and_wide_samples_survive_the_shrinking(tmp_path: Path, small_work: int) -> None:
    rgba = np.dstack([_blocks(640, 480), np.zeros((480, 640), np.uint8)])
    rgba[:, 320:, 3] = 255  # right half opaque
    exif = Image.Exif()
    exif[0x0112] = 6  # shot turned: shown rotated 90° clockwise
    Image.fromarray(rgba, "RGBA").save(tmp_path / "turned.png", exif=exif.tobytes())
    photo = load_photo(tmp_path / "turned.png")
    assert photo.full_size == (480, 640) and photo.height > photo.width
    assert photo.alpha is not None
    assert photo.alpha[: photo.height // 2 - 2].mean() < 0.02  # the opaque right half is now the bottom
    assert photo.alpha[photo.height // 2 + 2:].mean() > 0.98

    grey16 = (np.linspace(0, 65535, 640 * 480).reshape(480, 640)).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "grey16.png")
    g = load_photo(tmp_path / "grey16.png")
    assert g.width * g.height <= small_work
    assert abs(float(g.srgb[..., 0].mean()) - 0.5) < 0.01

    colour16 = _blocks(640, 480).astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "colour16.png"), colour16[..., ::-1])
    c = load_photo(tmp_path / "colour16.png")  # read at 8 bits when it must be shrunk
    assert c.width * c.height <= small_work
    _close_to_box_average(c.srgb, _blocks(640, 480))


def test_photos_within_the_work_size_are_read_whole_exactly_as_before(tmp_path: Path) -> None:
    rgb = _blocks(400, 300)
    Image.fromarray(rgb).save(tmp_path / "p.png")
    photo = load_photo(tmp_path / "p.png")
    assert photo.full_size is None and np.array_equal(np.round(photo.srgb * 255).astype(np.uint8), rgb)


def test_above_the_accepted_size_is_a_clear_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(_blocks(400, 320)).save(tmp_path / "p.png")
    monkeypatch.setattr(imageio, "MAX_PHOTO_PIXELS", 100_000)
    with pytest.raises(InputError, match=r"too large to open safely \(400×320 pixels\).*0\.1 megapixels"):
        load_photo(tmp_path / "p.png")


# (VmHWM, not ru_maxrss: a child's ru_maxrss starts from the forking parent's, and pytest's is large)
_CHILD = """
import re, sys
from pathlib import Path
from pixlcraft.imageio import load_photo
photo = load_photo(sys.argv[1])
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
print(photo.width, photo.height, peak_kb // 1024)
"""


def test_a_100_megapixel_photo_is_read_within_a_gigabyte(tmp_path: Path) -> None:
    w, h = 11_552, 8_664  # 100 MP, the size of a 108 MP phone sensor's output
    rng = np.random.default_rng(1)
    small = Image.fromarray((rng.random((h // 64, w // 64, 3)) * 255).astype(np.uint8))
    small.resize((w, h), Image.Resampling.NEAREST).save(tmp_path / "phone.png", compress_level=1)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "phone.png")], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    width, height, peak_mb = out.stdout.split()
    assert int(width) * int(height) <= imageio.WORK_PIXELS
    assert int(peak_mb) < 1000, f"peak {peak_mb} MB"
