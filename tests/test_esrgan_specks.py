"""Real-ESRGAN must not put coloured specks in dark areas: a channel at 255 among near-black neighbours.

The package's Vulkan shader converts the network's output to bytes through an unsigned integer, so a slightly
negative value (Real-ESRGAN undershoots along dark edges) came out 255 on Mesa's llvmpipe, which ``--device
auto`` took for a GPU on machines without one (see pixlcraft/cleanup/esrgan.py). The fix clamps the network's
output inside the network and keeps ``auto`` off software Vulkan devices. These tests run the real bundled
network on ncnn's CPU path on dark-edged photos and check that the clamp changes no byte there; where a software
Vulkan device is installed they also run it there, in a child process, before and after the clamp.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import median_filter

from pixlcraft import cleanup as cl
from pixlcraft.cleanup import esrgan
from pixlcraft.errors import InputError
from pixlcraft.imageio import Photo

needs_esrgan = pytest.mark.skipif(not esrgan.METHOD.available()[0], reason=esrgan.METHOD.available()[1])
ROOT = Path(__file__).resolve().parents[1]


def specks(rgb8: np.ndarray) -> np.ndarray:
    """(H,W) bool: pixels with a wrapped-looking channel.

    Either a channel at 255 whose 3×3 neighbourhood's median (same channel) is below 60, or at 0 with a median
    above 195; or a channel more than 150 from that median while the other two are within 40 of theirs.
    """
    a = rgb8.astype(np.int16)
    med = np.stack([median_filter(a[..., c], size=3, mode="nearest") for c in range(3)], -1)
    clipped = ((a == 255) & (med < 60)) | ((a == 0) & (med > 195))
    d = np.abs(a - med)
    lone = np.stack([(d[..., c] > 150) & (np.delete(d, c, axis=-1).max(-1) <= 40) for c in range(3)], -1)
    return (clipped | lone).any(-1)


def _small(rgb8: np.ndarray, long_side: int) -> np.ndarray:
    import cv2

    h, w = rgb8.shape[:2]
    f = long_side / max(h, w)
    return cv2.resize(rgb8, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)


def _jpeg(rgb8: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb8).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(buf).convert("RGB"))


def dark_with_bright_edges(n: int = 64) -> np.ndarray:
    """Near-black noise with thin white, red, cyan and yellow strokes and single-pixel stars."""
    import cv2

    rng = np.random.default_rng(1)
    a = (12 + rng.integers(0, 6, (n, n, 3))).astype(np.uint8)
    s = n / 96
    cv2.rectangle(a, (round(10 * s), round(10 * s)), (round(40 * s), round(40 * s)), (250, 250, 250), 2)
    cv2.circle(a, (round(65 * s), round(30 * s)), round(16 * s), (255, 60, 20), 2)
    cv2.line(a, (3, n - 10), (n - 4, n // 2 + 5), (40, 200, 255), 1)
    cv2.putText(a, "Px", (round(12 * s), n - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.6 * s * 1.5, (230, 230, 60), 1)
    for y, x in rng.integers(n // 2, n - 1, (8, 2)):
        a[y, x] = (255, 255, 255)
    return a


def photos() -> dict[str, np.ndarray]:
    from skimage import data

    chelsea = _small(data.chelsea(), 128)  # 128×85, the photo of the report
    return {
        "chelsea": chelsea,
        "chelsea-jpeg20": _jpeg(chelsea, 20),
        "astronaut": _small(data.astronaut()[16:272, 128:384], 96),  # face and helmet
        "dark-edges": dark_with_bright_edges(),
    }


# ------------------------------------------------------------------------------------------ no device needed


def test_the_speck_detector_finds_wrapped_channels() -> None:
    rgb = np.full((12, 12, 3), (21, 5, 6), np.uint8)
    assert not specks(rgb).any()
    rgb[5, 6] = (21, 5, 255)  # the report's speck
    rgb[2, 2, 1] = 250  # a wrapped value that is not exactly 255
    bright = np.full((6, 6, 3), 240, np.uint8)
    bright[3, 3, 0] = 0
    assert specks(rgb).sum() == 2 and specks(rgb)[5, 6] and specks(bright)[3, 3]


TOY_PARAM = ("7767517\n3 3\nInput in 0 1 data\nConvolution c1 1 1 data x 0=3 1=3 6=81\n"
             "Convolution c2 1 1 x output 0=3 1=3 6=81\n")


def _shipped_params() -> list[str]:
    if not esrgan.METHOD.available()[0]:
        return []
    folder = Path(esrgan._import_wrapper().__file__).parent / "models"
    return [(folder / f"{stem}.param").read_text() for stem in esrgan.MODELS.values()]


def test_the_network_text_gets_a_clamp_at_its_output() -> None:
    for text in [TOY_PARAM, *_shipped_params()]:
        old, new = text.splitlines(), esrgan.clamped_param(text).splitlines()
        layers, blobs = map(int, new[1].split())
        assert (layers, blobs) == tuple(n + 2 for n in map(int, old[1].split())) and len(new) == 2 + layers
        # every layer as it was, but the one that made "output" makes "pixlcraft_unclamped" …
        changed = [(a, b) for a, b in zip(old[2:], new[2:-2], strict=True) if a.split() != b.split()]
        assert len(changed) == 1
        assert changed[0][1].split() == [t if t != "output" else "pixlcraft_unclamped" for t in changed[0][0].split()]
        # … which max(x, 0) and then min(x, 1) turn into "output"
        assert new[-2].split() == ["BinaryOp", "pixlcraft_floor", "1", "1", "pixlcraft_unclamped",
                                   "pixlcraft_floored", "0=4", "1=1", "2=0.000000e+00"]
        assert new[-1].split() == ["BinaryOp", "pixlcraft_ceiling", "1", "1", "pixlcraft_floored", "output",
                                   "0=5", "1=1", "2=1.000000e+00"]
    with pytest.raises(ValueError):
        esrgan.clamped_param("7767517\n1 1\nInput in 0 1 data\n")
    with pytest.raises(ValueError):
        esrgan.clamped_param("not a network")


def test_auto_does_not_take_a_software_vulkan_driver_for_a_gpu() -> None:
    assert esrgan.is_software_vulkan("llvmpipe (LLVM 15.0.6, 256 bits)")
    assert esrgan.is_software_vulkan("SwiftShader Device (Subzero)")
    assert not esrgan.is_software_vulkan("NVIDIA GeForce RTX 3060")
    assert esrgan.resolve_gpu("auto", 1, {0}) == -1  # only llvmpipe: ncnn's CPU path
    assert esrgan.resolve_gpu("auto", 2, {0}) == 1  # llvmpipe listed first, a real GPU second
    assert esrgan.resolve_gpu("auto", 1) == 0
    assert esrgan.resolve_gpu("gpu:0", 1, {0}) == 0  # asked for by number: taken as it is
    with pytest.raises(InputError):
        esrgan.resolve_gpu("gpu:1", 1, {0})


def test_device_names_are_read_from_ncnns_listing() -> None:
    import os

    class Wrapper:
        @staticmethod
        def get_gpu_count() -> int:
            os.write(2, b"[0 llvmpipe (LLVM 15.0.6, 256 bits)]  queueC=0[1]  queueG=0[1]  queueT=0[1]\n"
                        b"[0 llvmpipe (LLVM 15.0.6, 256 bits)]  bugsbn1=0  bugbilz=0  bugcopc=0  bugihfa=0\n"
                        b"[1 AMD Radeon RX 6600 (RADV NAVI23)]  queueC=1[4]  queueG=0[1]  queueT=0[1]\n")
            return 3

    assert esrgan.vulkan_devices(Wrapper) == ["llvmpipe (LLVM 15.0.6, 256 bits)", "AMD Radeon RX 6600 (RADV NAVI23)",
                                              ""]


# ------------------------------------------------------------------------------------------ the real network


@pytest.fixture(scope="module")
def cpu_outputs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each photo and its 4× result through PixlCraft's own path (worker process, clamped network, CPU)."""
    out = {}
    for name, rgb8 in photos().items():
        result = cl.cleanup(Photo(rgb8.astype(np.float32) / 255, None, name), "esrgan",
                            {"device": "cpu", "scale": 4, "workers": 1})
        out[name] = (rgb8, np.round(result.srgb * 255).astype(np.uint8))
    return out


@needs_esrgan
@pytest.mark.parametrize("name", ["chelsea", "chelsea-jpeg20", "astronaut", "dark-edges"])
def test_no_specks_on_dark_edged_photos(cpu_outputs, name: str) -> None:
    rgb8, out = cpu_outputs[name]
    assert out.shape == (rgb8.shape[0] * 4, rgb8.shape[1] * 4, 3)
    assert int(specks(out).sum()) == 0
    # the photo itself, not a blank: close to a bicubic enlargement on average
    from pixlcraft.cleanup.tiling import resize

    bicubic = resize(rgb8.astype(np.float32), (out.shape[1], out.shape[0]))
    assert np.abs(out - bicubic).mean() < 12


@needs_esrgan
def test_the_clamp_changes_no_byte_on_the_cpu(cpu_outputs) -> None:
    """On ncnn's CPU path the package already converts with a saturating cast: clamping first is the same."""
    wrapper = esrgan._import_wrapper()
    folder = Path(wrapper.__file__).parent / "models"
    net = wrapper.RealESRGANWrapped(-1, False)
    net.set_parameters(esrgan.DEFAULT_TILE + 2 * esrgan.TILE_PAD, esrgan.SCALE)
    with esrgan._quiet_native_output():
        net.load(str(folder / "realesrgan-x4plus.param"), str(folder / "realesrgan-x4plus.bin"))
    for name in ("chelsea", "dark-edges"):
        rgb8, clamped = cpu_outputs[name]
        h, w = rgb8.shape[:2]
        src = wrapper.RealESRGANImage(rgb8.tobytes(), w, h, 3)
        dst = wrapper.RealESRGANImage(bytes(w * h * 48), w * 4, h * 4, 3)
        with esrgan._quiet_native_output():
            assert net.process(src, dst) == 0
        shipped = np.frombuffer(dst.get_data(), np.uint8).reshape(h * 4, w * 4, 3)
        np.testing.assert_array_equal(clamped, shipped)


@needs_esrgan
@pytest.mark.parametrize("model", ["fast", "x4plus-anime"])
def test_the_other_networks_load_with_their_clamp(model: str) -> None:
    """The package's loader reports no error for a broken .param, so each clamped network is run once."""
    from pixlcraft.cleanup.tiling import resize

    rgb8 = dark_with_bright_edges()[:32, :32].copy()
    result = cl.cleanup(Photo(rgb8.astype(np.float32) / 255, None), "esrgan",
                        {"model": model, "device": "cpu", "scale": 4, "workers": 1})
    out = np.round(result.srgb * 255).astype(np.uint8)
    assert out.shape == (128, 128, 3) and specks(out).sum() == 0
    assert np.abs(out - resize(rgb8.astype(np.float32), (128, 128))).mean() < 25


_ON_SOFTWARE_VULKAN = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from pixlcraft.cleanup import esrgan
wrapper = esrgan._import_wrapper()
names = esrgan.vulkan_devices(wrapper)
soft = [i for i, n in enumerate(names) if esrgan.is_software_vulkan(n)]
if not soft:
    print(json.dumps(None))
    sys.exit(0)
rgb8 = np.load(sys.argv[2])
h, w = rgb8.shape[:2]
folder = Path(wrapper.__file__).parent / "models"
raw = wrapper.RealESRGANWrapped(soft[0], False)
raw.set_parameters(64, 4)
raw.load(str(folder / "realesrgan-x4plus.param"), str(folder / "realesrgan-x4plus.bin"))
dst = wrapper.RealESRGANImage(bytes(w * h * 48), w * 4, h * 4, 3)
raw.process(wrapper.RealESRGANImage(rgb8.tobytes(), w, h, 3), dst)
np.save(sys.argv[3], np.frombuffer(dst.get_data(), np.uint8).reshape(h * 4, w * 4, 3))
net = esrgan._Net(wrapper, soft[0], "x4plus")
net.set_tile(32)
np.save(sys.argv[4], net(rgb8))
print(json.dumps(names[soft[0]]))
"""


def _vulkan_driver_installed() -> bool:
    import glob
    import os

    if os.environ.get("VK_ICD_FILENAMES") or os.environ.get("VK_DRIVER_FILES"):
        return True
    return any(glob.glob(f"{d}/vulkan/icd.d/*.json") for d in ("/usr/share", "/etc", "/usr/local/share"))


@needs_esrgan
@pytest.mark.skipif(not _vulkan_driver_installed(), reason="no Vulkan driver installed")
def test_on_a_software_vulkan_device_the_clamp_removes_exactly_the_specks(tmp_path: Path) -> None:
    """Where llvmpipe is installed: the shipped network gives specks there, the clamped one none, and nothing else
    differs (the wrapped channels become 0)."""
    rgb8 = dark_with_bright_edges()[:40, :40].copy()
    np.save(tmp_path / "in.npy", rgb8)
    proc = subprocess.run([sys.executable, "-c", _ON_SOFTWARE_VULKAN, str(ROOT), str(tmp_path / "in.npy"),
                           str(tmp_path / "raw.npy"), str(tmp_path / "fixed.npy")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if json.loads(proc.stdout.strip().splitlines()[-1]) is None:
        pytest.skip("no software Vulkan device")
    raw, fixed = np.load(tmp_path / "raw.npy"), np.load(tmp_path / "fixed.npy")
    assert specks(fixed).sum() == 0
    changed = raw != fixed
    assert changed.any()  # the shipped network does wrap there …
    assert ((raw[changed] == 255) & (fixed[changed] == 0)).all()  # … and only the wrapped channels changed
