"""Image loading: every mode and format a hobbyist may drop on PixlCraft, and every way a file can be bad."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile, ImageOps

from pixlcraft import imageio
from pixlcraft.errors import InputError
from pixlcraft.imageio import Photo, load_photo, photo_from_array

RNG = np.random.default_rng(7)
SAMPLES = Path(__file__).resolve().parent.parent / "resources" / "samples"


def as8(photo_values: np.ndarray) -> np.ndarray:
    return np.rint(photo_values * 255).astype(np.int64)


def as16(photo_values: np.ndarray) -> np.ndarray:
    return np.rint(photo_values.astype(np.float64) * 65535).astype(np.int64)


def pattern_rgb(h: int = 5, w: int = 7) -> np.ndarray:
    """Every pixel different, so any flip or turn shows."""
    a = np.arange(h * w * 3, dtype=np.int64).reshape(h, w, 3)
    return (a * 7 % 256).astype(np.uint8)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def write_png16(path: Path, arr: np.ndarray, colour_type: int) -> None:
    """A 16-bit PNG written by hand, for layouts no library here writes (grey+alpha)."""
    h, w = arr.shape[:2]
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)
    data = png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + data)


def with_png_exif(png: bytes, orientation: int) -> bytes:
    """Insert an eXIf chunk (right after IHDR) carrying ``orientation`` into PNG bytes."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    tiff = exif.tobytes()
    if tiff.startswith(b"Exif\x00\x00"):
        tiff = tiff[6:]
    return png[:33] + png_chunk(b"eXIf", tiff) + png[33:]


def save(img: Image.Image, path: Path, **kw) -> Path:
    img.save(path, **kw)
    return path


# ------------------------------------------------------------------------------------------------ 8-bit modes


def test_rgb_png_is_exact_and_opaque(tmp_path: Path) -> None:
    a = RNG.integers(0, 256, (6, 9, 3), dtype=np.uint8)
    photo = load_photo(save(Image.fromarray(a), tmp_path / "rgb.png"))
    assert isinstance(photo, Photo)
    assert (photo.width, photo.height) == (9, 6)
    assert photo.srgb.dtype == np.float32 and photo.srgb.shape == (6, 9, 3)
    assert photo.alpha is None
    np.testing.assert_array_equal(as8(photo.srgb), a)
    assert photo.path == str(tmp_path / "rgb.png")


def test_grey_l_becomes_equal_rgb(tmp_path: Path) -> None:
    g = RNG.integers(0, 256, (4, 5), dtype=np.uint8)
    photo = load_photo(save(Image.fromarray(g, "L"), tmp_path / "g.png"))
    for c in range(3):
        np.testing.assert_array_equal(as8(photo.srgb[..., c]), g)
    assert photo.alpha is None


def test_la_keeps_alpha(tmp_path: Path) -> None:
    la = RNG.integers(0, 256, (4, 5, 2), dtype=np.uint8)
    la[0, 0, 1] = 0
    photo = load_photo(save(Image.fromarray(la, "LA"), tmp_path / "la.png"))
    np.testing.assert_array_equal(as8(photo.srgb[..., 1]), la[..., 0])
    assert photo.alpha is not None
    np.testing.assert_array_equal(as8(photo.alpha), la[..., 1])


def test_rgba_partial_alpha_kept_and_full_alpha_dropped(tmp_path: Path) -> None:
    rgba = RNG.integers(0, 256, (3, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    opaque = load_photo(save(Image.fromarray(rgba, "RGBA"), tmp_path / "opaque.png"))
    assert opaque.alpha is None
    np.testing.assert_array_equal(as8(opaque.srgb), rgba[..., :3])
    rgba[1, 2, 3] = 40
    photo = load_photo(save(Image.fromarray(rgba, "RGBA"), tmp_path / "a.png"))
    assert photo.alpha is not None
    assert as8(photo.alpha)[1, 2] == 40 and as8(photo.alpha).min() == 40
    np.testing.assert_array_equal(as8(photo.srgb), rgba[..., :3])  # straight, not premultiplied


def test_one_bit(tmp_path: Path) -> None:
    bits = RNG.integers(0, 2, (8, 16)).astype(bool)
    img = Image.fromarray(bits).convert("1")
    assert img.mode == "1"
    photo = load_photo(save(img, tmp_path / "bits.png"))
    np.testing.assert_array_equal(as8(photo.srgb[..., 0]), np.where(bits, 255, 0))


def palette_image(with_transparency: bool) -> tuple[Image.Image, np.ndarray, np.ndarray]:
    colours = np.array([[255, 0, 0], [0, 128, 255], [10, 20, 30]], np.uint8)
    idx = RNG.integers(0, 3, (5, 6), dtype=np.uint8)
    img = Image.fromarray(idx, "P")
    img.putpalette(colours.ravel().tolist())
    if with_transparency:
        img.info["transparency"] = 1
    return img, colours[idx], idx


def test_palette_without_transparency(tmp_path: Path) -> None:
    img, expected, _ = palette_image(False)
    photo = load_photo(save(img, tmp_path / "p.png"))
    np.testing.assert_array_equal(as8(photo.srgb), expected)
    assert photo.alpha is None


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_palette_with_transparency_gives_alpha(tmp_path: Path, suffix: str) -> None:
    img, expected, idx = palette_image(True)
    photo = load_photo(save(img, tmp_path / f"pt{suffix}", transparency=1))
    assert photo.alpha is not None
    np.testing.assert_array_equal(photo.alpha, np.where(idx == 1, 0.0, 1.0))
    solid = idx != 1
    np.testing.assert_array_equal(as8(photo.srgb)[solid], expected[solid])


def test_animated_gif_gives_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (4, 3), c) for c in ((200, 0, 0), (0, 0, 200), (0, 200, 0))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    with Image.open(path) as im:
        assert im.n_frames == 3
    photo = load_photo(path)
    assert (photo.width, photo.height) == (4, 3)
    assert np.all(as8(photo.srgb) == [200, 0, 0])


# ------------------------------------------------------------------------------------------------ orientation


def test_exif_orientation_6_turns_clockwise(tmp_path: Path) -> None:
    a = pattern_rgb(4, 6)
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held on its side: the stored top row is shown as the right-hand column
    path = save(Image.fromarray(a), tmp_path / "o6.jpg", exif=exif.tobytes(), quality=100, subsampling=0)
    photo = load_photo(path)
    assert (photo.width, photo.height) == (4, 6)
    got = as8(photo.srgb)
    # stored top-left → shown top-right; stored bottom-left → shown top-left (JPEG, so a few levels off)
    assert np.abs(got[0, -1] - a[0, 0]).max() <= 6
    assert np.abs(got[0, 0] - a[-1, 0]).max() <= 6
    assert np.abs(got[-1, -1] - a[0, -1]).max() <= 6


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    a = pattern_rgb(3, 5)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format="PNG")
    path = tmp_path / f"o{orientation}.png"
    path.write_bytes(with_png_exif(buf.getvalue(), orientation))
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    np.testing.assert_array_equal(as8(load_photo(path).srgb), expected)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_16bit_colour_orientation_matches_pillow(tmp_path: Path, orientation: int) -> None:
    # 16-bit colour goes through OpenCV, which ignores EXIF; the turn must still match Pillow's 8-bit one.
    a8 = pattern_rgb(3, 5)
    a16 = a8.astype(np.uint16) * 257
    ok, enc = cv2.imencode(".png", a16[..., ::-1])
    assert ok
    path = tmp_path / f"o16_{orientation}.png"
    path.write_bytes(with_png_exif(enc.tobytes(), orientation))
    ref = Image.fromarray(a8)
    ref.getexif()[0x0112] = orientation
    expected = np.asarray(ImageOps.exif_transpose(ref))
    np.testing.assert_array_equal(as16(load_photo(path).srgb), expected.astype(np.int64) * 257)


# ------------------------------------------------------------------------------------------------ colour


def test_cmyk_tiff_converts_to_rgb(tmp_path: Path) -> None:
    cmyk = np.array(
        [
            [[0, 255, 255, 0], [255, 0, 0, 0], [0, 0, 0, 0]],
            [[0, 0, 0, 255], [0, 0, 0, 128], [0, 128, 255, 64]],
        ],
        np.uint8,
    )
    photo = load_photo(save(Image.fromarray(cmyk, "CMYK"), tmp_path / "cmyk.tif"))
    c, m, y, k = (cmyk[..., i].astype(float) for i in range(4))
    expected = np.stack([(255 - c) * (255 - k), (255 - m) * (255 - k), (255 - y) * (255 - k)], -1) / 255
    assert np.abs(as8(photo.srgb) - expected).max() <= 1
    assert tuple(as8(photo.srgb)[0, 0]) == (255, 0, 0)  # magenta + yellow ink = red


def test_cmyk_jpeg_known_colour(tmp_path: Path) -> None:
    img = Image.new("CMYK", (16, 16), (0, 255, 255, 0))
    photo = load_photo(save(img, tmp_path / "cmyk.jpg", quality=95))
    mean = as8(photo.srgb).reshape(-1, 3).mean(0)
    assert np.abs(mean - [255, 0, 0]).max() < 8


def _matrix_icc(r: tuple, g: tuple, b: tuple, gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 RGB matrix/TRC display profile (the kind Display P3 and Adobe RGB are)."""

    def s15(v: float) -> bytes:
        return struct.pack(">i", round(v * 65536))

    def xyz(v: tuple) -> bytes:
        return b"XYZ " + b"\0" * 4 + b"".join(s15(c) for c in v)

    d50 = (0.9642, 1.0, 0.8249)
    curv = b"curv" + b"\0" * 4 + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    tags = [(b"wtpt", xyz(d50)), (b"rXYZ", xyz(r)), (b"gXYZ", xyz(g)), (b"bXYZ", xyz(b))]
    tags += [(b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    offset = 128 + 4 + 12 * len(tags)
    table = data = b""
    for sig, d in tags:
        table += sig + struct.pack(">II", offset + len(data), len(d))
        data += d
    body = struct.pack(">I", len(tags)) + table + data
    header = (
        struct.pack(">I", 128 + len(body))
        + b"\0" * 4
        + struct.pack(">I", 0x02100000)
        + b"mntrRGB XYZ "
        + b"\0" * 12
        + b"acsp"
        + b"\0" * 28
        + b"".join(s15(v) for v in d50)
        + b"\0" * 48
    )
    assert len(header) == 128
    return header + body


# sRGB's primaries adapted to D50, as in the ICC sRGB profile
SRGB_R, SRGB_G, SRGB_B = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)


def test_embedded_profile_is_converted_to_srgb(tmp_path: Path) -> None:
    a = np.array([[[255, 0, 0], [0, 255, 0], [255, 255, 255], [0, 0, 0]]], np.uint8)
    swapped = _matrix_icc(SRGB_G, SRGB_R, SRGB_B)  # a device whose "red" channel lights sRGB green
    photo = load_photo(save(Image.fromarray(a), tmp_path / "swapped.png", icc_profile=swapped))
    got = as8(photo.srgb)[0]
    assert np.abs(got[0] - [0, 255, 0]).max() <= 2
    assert np.abs(got[1] - [255, 0, 0]).max() <= 2
    assert np.abs(got[2] - [255, 255, 255]).max() <= 2 and got[3].max() <= 2


def test_srgb_like_or_broken_profile_leaves_colours(tmp_path: Path) -> None:
    a = RNG.integers(0, 256, (3, 4, 3), dtype=np.uint8)
    srgb_like = _matrix_icc(SRGB_R, SRGB_G, SRGB_B)
    same = load_photo(save(Image.fromarray(a), tmp_path / "s.png", icc_profile=srgb_like))
    assert np.abs(as8(same.srgb)[..., 0] - a[..., 0]).max() <= 12  # gamma 2.2 vs the sRGB curve only
    broken = load_photo(save(Image.fromarray(a), tmp_path / "b.png", icc_profile=b"not a profile at all"))
    np.testing.assert_array_equal(as8(broken.srgb), a)


# ------------------------------------------------------------------------------------------------ > 8 bits


def test_16bit_grey_png_keeps_values_8_bits_cannot(tmp_path: Path) -> None:
    g = np.array([[0, 1000, 1001, 65535], [257, 12345, 40000, 3]], np.uint16)
    assert cv2.imwrite(str(tmp_path / "g16.png"), g)
    photo = load_photo(tmp_path / "g16.png")
    for c in range(3):
        np.testing.assert_array_equal(as16(photo.srgb[..., c]), g)
    # 1000 and 1001 are the same 8-bit level; they must stay apart
    assert photo.srgb[0, 1, 0] < photo.srgb[0, 2, 0]


def test_16bit_rgb_png_is_exact_and_in_rgb_order(tmp_path: Path) -> None:
    a = RNG.integers(0, 65536, (4, 6, 3), dtype=np.uint16)
    a[0, 0] = (65535, 1000, 0)  # a red that tells R from B
    assert cv2.imwrite(str(tmp_path / "rgb16.png"), a[..., ::-1])  # OpenCV writes BGR
    photo = load_photo(tmp_path / "rgb16.png")
    np.testing.assert_array_equal(as16(photo.srgb), a)
    assert photo.alpha is None


def test_16bit_rgba_png(tmp_path: Path) -> None:
    a = RNG.integers(0, 65536, (3, 5, 4), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "rgba16.png"), a[..., [2, 1, 0, 3]])
    photo = load_photo(tmp_path / "rgba16.png")
    np.testing.assert_array_equal(as16(photo.srgb), a[..., :3])
    assert photo.alpha is not None
    np.testing.assert_array_equal(as16(photo.alpha), a[..., 3])


def test_16bit_grey_alpha_png(tmp_path: Path) -> None:
    la = RNG.integers(0, 65536, (3, 4, 2), dtype=np.uint16)
    write_png16(tmp_path / "la16.png", la, colour_type=4)
    photo = load_photo(tmp_path / "la16.png")
    np.testing.assert_array_equal(as16(photo.srgb[..., 2]), la[..., 0])
    assert photo.alpha is not None
    np.testing.assert_array_equal(as16(photo.alpha), la[..., 1])


@pytest.mark.parametrize("channels", [1, 3])
def test_16bit_tiff(tmp_path: Path, channels: int) -> None:
    a = RNG.integers(0, 65536, (4, 5, channels), dtype=np.uint16)
    assert cv2.imwrite(str(tmp_path / "t16.tif"), a[..., ::-1] if channels == 3 else a[..., 0])
    photo = load_photo(tmp_path / "t16.tif")
    expected = a if channels == 3 else np.repeat(a, 3, axis=2)
    np.testing.assert_array_equal(as16(photo.srgb), expected)


def test_big_endian_16bit_grey(tmp_path: Path) -> None:
    g = np.array([[0, 300, 65535], [1, 2, 40000]], np.uint16)
    img = Image.frombytes("I;16B", (3, 2), g.astype(">u2").tobytes())
    photo = load_photo(save(img, tmp_path / "be.tif"))
    np.testing.assert_array_equal(as16(photo.srgb[..., 0]), g)


def test_int32_and_float_modes(tmp_path: Path) -> None:
    ints = np.array([[0, 1000, 65535]], np.int32)
    img = Image.fromarray(ints)
    assert img.mode == "I"
    photo = load_photo(save(img, tmp_path / "i.tif"))
    np.testing.assert_array_equal(as16(photo.srgb[..., 0]), ints)

    floats = np.array([[0.0, 0.25, 1.0]], np.float32)
    img = Image.fromarray(floats)
    assert img.mode == "F"
    photo = load_photo(save(img, tmp_path / "f.tif"))
    np.testing.assert_allclose(photo.srgb[..., 1], floats, atol=1e-7)

    hdr = np.array([[0.0, 2.0, 4.0]], np.float32)
    photo = load_photo(save(Image.fromarray(hdr), tmp_path / "hdr.tif"))
    np.testing.assert_allclose(photo.srgb[0, :, 0], [0.0, 0.5, 1.0])


# ------------------------------------------------------------------------------------------------ bad files


def assert_clear_error(path: Path, *words: str) -> InputError:
    with pytest.raises(InputError) as info:
        load_photo(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    for w in words:
        assert w in message
    return info.value


def test_missing_file(tmp_path: Path) -> None:
    assert_clear_error(tmp_path / "nope.jpg", "does not exist")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "photos.png"
    folder.mkdir()
    assert_clear_error(folder, "folder")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.png").write_bytes(b"")
    assert_clear_error(tmp_path / "empty.png", "empty")


def test_text_renamed_jpg(tmp_path: Path) -> None:
    (tmp_path / "notes.jpg").write_text("shopping list: thread, needles\n")
    assert_clear_error(tmp_path / "notes.jpg", "not an image PixlCraft can read")


def test_oxs_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "chart.oxs"
    path.write_text('<?xml version="1.0"?><chart><format/></chart>')
    assert_clear_error(path, "not an image PixlCraft can read")


def noisy_image() -> Image.Image:
    return Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated(tmp_path: Path, fmt: str) -> None:
    buf = io.BytesIO()
    noisy_image().save(buf, format=fmt)
    data = buf.getvalue()
    path = tmp_path / f"cut.{fmt.lower()}"
    path.write_bytes(data[: len(data) // 2])
    assert_clear_error(path, "not an image PixlCraft can read")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_truncated_16bit_png(tmp_path: Path) -> None:
    ok, enc = cv2.imencode(".png", RNG.integers(0, 65536, (64, 64, 3), dtype=np.uint16))
    assert ok
    data = enc.tobytes()
    (tmp_path / "cut16.png").write_bytes(data[: len(data) // 2])
    assert_clear_error(tmp_path / "cut16.png", "not an image PixlCraft can read")


def test_corrupt_png_data(tmp_path: Path) -> None:
    buf = io.BytesIO()
    noisy_image().save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    start = data.index(b"IDAT") + 4
    data[start + 100 : start + 140] = bytes(40)
    (tmp_path / "bad.png").write_bytes(bytes(data))
    assert_clear_error(tmp_path / "bad.png", "not an image PixlCraft can read")


def test_garbage_after_jpeg_header(tmp_path: Path) -> None:
    buf = io.BytesIO()
    noisy_image().save(buf, format="JPEG")
    data = buf.getvalue()
    (tmp_path / "garbled.jpg").write_bytes(data[:200] + b"\xff\x00" * 50)
    assert_clear_error(tmp_path / "garbled.jpg", "not an image PixlCraft can read")


@pytest.mark.parametrize("size", [(15, 10), (40, 40)])
def test_decompression_bomb_guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple) -> None:
    # (15,10) is over the limit (Pillow only warns); (40,40) is over twice the limit (Pillow refuses).
    path = save(Image.new("RGB", size, (1, 2, 3)), tmp_path / "bomb.png")
    monkeypatch.setattr(imageio, "MAX_PHOTO_PIXELS", 100)
    assert_clear_error(path, "too large")
    monkeypatch.setattr(imageio, "MAX_PHOTO_PIXELS", 10_000)
    assert load_photo(path).width == size[0]


# ------------------------------------------------------------------------------------------------ arrays


def test_photo_from_array_types() -> None:
    np.testing.assert_array_equal(photo_from_array(np.array([[0, 255]], np.uint8)).srgb[0, :, 1], [0.0, 1.0])
    wide = photo_from_array(np.array([[0, 65535, 257]], np.uint16))
    np.testing.assert_allclose(wide.srgb[0, :, 0], [0, 1, 1 / 255])
    np.testing.assert_array_equal(photo_from_array(np.array([[True, False]])).srgb[0, :, 2], [1.0, 0.0])
    np.testing.assert_allclose(photo_from_array(np.array([[0, 51, 255]])).srgb[0, :, 0], [0, 0.2, 1])
    np.testing.assert_array_equal(photo_from_array(np.array([[-0.5, 0.5, 3.0]])).srgb[0, :, 0], [0, 0.5, 1])


def test_photo_from_array_channels() -> None:
    rgba = np.zeros((2, 3, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 255
    assert photo_from_array(rgba).alpha is None
    rgba[0, 0, 3] = 0
    photo = photo_from_array(rgba, path="mem")
    assert photo.alpha is not None and photo.alpha[0, 0] == 0 and photo.alpha[1, 1] == 1
    assert photo.path == "mem" and photo.srgb.shape == (2, 3, 3) and photo.srgb.flags.c_contiguous
    la = np.stack([np.full((2, 2), 0.25), np.full((2, 2), 0.5)], -1)
    photo = photo_from_array(la)
    np.testing.assert_array_equal(photo.srgb, np.full((2, 2, 3), 0.25, np.float32))
    np.testing.assert_array_equal(photo.alpha, np.full((2, 2), 0.5, np.float32))


@pytest.mark.parametrize(
    "arr",
    [
        np.zeros((2, 2, 5), np.uint8),
        np.zeros((2, 2, 2, 2), np.uint8),
        np.zeros((0, 3), np.uint8),
        np.array([[0, 300]]),
        np.array([[np.nan, 0.5]]),
        np.array([["a", "b"]]),
    ],
)
def test_photo_from_array_refuses(arr: np.ndarray) -> None:
    with pytest.raises(InputError):
        photo_from_array(arr, path="thing")


def test_bundled_samples_load() -> None:
    names = sorted(p.name for p in SAMPLES.glob("*.jpg"))
    assert {"astronaut.jpg", "coffee.jpg"} <= set(names)
    for name in names:
        photo = load_photo(SAMPLES / name)
        assert photo.alpha is None and min(photo.width, photo.height) >= 256
        assert (SAMPLES / name).stat().st_size <= 150_000
        assert 0.1 < float(photo.srgb.mean()) < 0.9  # a real picture, not a blank
