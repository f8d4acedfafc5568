"""Load any common image file into float sRGB, safely.

Pattern making compares colours to within a fraction of a ΔE, so the loader keeps everything the file has:
16-bit files stay 16-bit (Pillow squeezes 16-bit colour PNG/TIFF down to 8 bits, so those go through OpenCV),
CMYK and embedded colour profiles are converted to sRGB, and the camera's EXIF orientation is applied so a
portrait photo is not stitched lying on its side. Anything the loader cannot read becomes an
:class:`InputError` naming the file — a hobbyist dropping a random file on the window never sees a traceback.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from .errors import InputError
from .fileio import existing_file

# Pillow modes whose samples are already wider than 8 bits and which Pillow decodes faithfully.
_WIDE_GREY_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


@dataclass
class Photo:
    """A decoded image: straight (not premultiplied) sRGB and optional coverage."""

    srgb: np.ndarray
    """float32 (H,W,3) in [0,1], orientation applied, at the file's full precision."""
    alpha: np.ndarray | None
    """float32 (H,W) in [0,1]; None when every pixel is opaque."""
    path: str = ""
    """Where it came from, for messages and pattern metadata."""
    full_size: tuple[int, int] | None = None
    """(width, height) of the whole image when it was decoded smaller; None when at full size."""
    for_cells: tuple[int | None, int | None] | None = None
    """The pattern size it was decoded smaller for, when smaller than a plain load would give (a JPEG decoded
    at the size one pattern needs); None when no plain load would give more pixels."""
    _linear: np.ndarray | None = field(default=None, repr=False, compare=False)
    derived: dict = field(default_factory=dict, repr=False, compare=False)
    """Results computed from the pixels alone (cell colours for a size and crop), kept for the photo's life so
    re-making a pattern with other colour settings does not compute them again."""

    def linear(self) -> np.ndarray:
        """The colours in linear light (float32), computed once per photo: re-making a pattern with other
        settings then costs only the cell averaging."""
        if self._linear is None:
            from .convert import photo_to_linear

            self._linear = photo_to_linear(self.srgb)
        return self._linear

    @property
    def width(self) -> int:
        return int(self.srgb.shape[1])

    @property
    def height(self) -> int:
        return int(self.srgb.shape[0])


def _name(path: str | Path) -> str:
    return str(path) if str(path) else "the image"


def _not_readable(path: str | Path, reason: str) -> InputError:
    reason = " ".join(str(reason).split()).rstrip(".") or "unknown problem"
    return InputError(
        f"{_name(path)} is not an image PixlCraft can read ({reason}). Save it as PNG or JPEG and try again."
    )


def _too_large(path: str | Path, size: tuple[int, int] | None) -> InputError:
    what = f" ({size[0]}×{size[1]} pixels)" if size else ""
    most = f"; the most PixlCraft opens is {MAX_PHOTO_PIXELS / 1e6:.3g} megapixels"
    return InputError(
        f"{_name(path)} is too large to open safely{what}{most}. Shrink it in an image editor first."
    )


# --------------------------------------------------------------------------------------------- arrays


def photo_from_array(arr: np.ndarray, path: str = "") -> Photo:
    """Wrap a grey, grey+alpha, RGB or RGBA array (uint8, uint16, bool or float in [0,1]) as a Photo.

    Integer types other than uint8/uint16 are accepted when their values fit in 0–255 (a plain
    ``np.array([[0, 255]])`` is int64), because the scale of wider integers is a guess we should not make.
    """
    a = np.asarray(arr)
    if a.ndim == 2:
        a = a[..., None]
    if a.ndim != 3 or a.shape[2] not in (1, 2, 3, 4):
        raise InputError(
            f"{_name(path)}: an image array must be (H,W) grey or (H,W,C) with 1–4 channels, not {a.shape}."
        )
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{_name(path)} has no pixels ({a.shape[1]}×{a.shape[0]}).")
    values = _to_unit_float(a, path)
    channels = values.shape[2]
    colour = values[..., : 1 if channels <= 2 else 3]
    if colour.shape[2] == 1:
        colour = np.repeat(colour, 3, axis=2)
    alpha = values[..., -1] if channels in (2, 4) else None
    if alpha is not None and bool((alpha >= 1.0).all()):
        alpha = None
    return Photo(
        np.ascontiguousarray(colour, dtype=np.float32),
        None if alpha is None else np.ascontiguousarray(alpha, dtype=np.float32),
        str(path),
    )


def _to_unit_float(a: np.ndarray, path: str | Path) -> np.ndarray:
    if a.dtype == np.bool_:
        return a.astype(np.float32)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / np.float32(255)
    if a.dtype == np.uint16:
        return a.astype(np.float32) / np.float32(65535)
    if np.issubdtype(a.dtype, np.integer):
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 255:
            raise InputError(
                f"{_name(path)}: integer pixel values {lo}–{hi} are ambiguous; use uint8 (0–255), "
                "uint16 (0–65535) or floats in [0,1]."
            )
        return a.astype(np.float32) / np.float32(255)
    if np.issubdtype(a.dtype, np.floating):
        f = a.astype(np.float32)
        if not np.isfinite(f).all():
            raise InputError(f"{_name(path)} contains NaN or infinite pixel values.")
        return np.clip(f, 0.0, 1.0)
    raise InputError(f"{_name(path)}: pixels of type {a.dtype} are not an image.")


# --------------------------------------------------------------------------------------------- files


#: Pixels per cell a pattern needs at least: a reduced decode never goes below this.
MIN_PIXELS_PER_CELL = 4
#: Smaller photos are always decoded whole (it costs little), so their patterns are exactly as before.
DRAFT_MIN_PIXELS = 4_000_000
#: The most pixels a photo is worked on at. Every later step holds several float copies (sRGB, linear light,
#: Lab of the cells' sources), about 37 bytes a pixel in all, so this keeps a convert under about 1 GB; it is
#: still 4 pixels a cell for the largest pattern (1000×1000 cells).
WORK_PIXELS = 16_000_000
#: The largest photo accepted (a 200 MP phone photo is 16320×12240). Larger pictures are refused with a
#: clear message, except JPEGs that the decoder itself can read at 1/8 scale within it.
MAX_PHOTO_PIXELS = 210_000_000

#: Most pixels a JPEG byte can hold: even a blank white JPEG needs a byte for about 85 pixels (an 8×8 block
#: is a few bits at least), so a header claiming far more than this is a damaged or doctored file.
JPEG_PIXELS_PER_BYTE = 512

# Pillow refuses above twice its own limit while opening; PixlCraft checks its own limit (above) itself.
Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, MAX_PHOTO_PIXELS)


def load_photo(path: str | Path, cells: tuple[int | None, int | None] | None = None) -> Photo:
    """Read an image file (PNG, JPEG, GIF, TIFF, WebP, BMP, …) into a :class:`Photo`.

    A photo larger than :data:`WORK_PIXELS` is reduced while it is read (area average), so memory stays
    bounded for any accepted photo up to :data:`MAX_PHOTO_PIXELS`; a JPEG is reduced by its decoder (DCT scaling
    1/2, 1/4 or 1/8), which never holds the whole picture. ``cells`` (width, height in cells; either may be
    None, as the size boxes allow) says what the photo is for: a JPEG much larger than the pattern needs is
    then decoded smaller still (never below :data:`MIN_PIXELS_PER_CELL` pixels a cell), which is several
    times faster for a phone photo and averages to nearly the same cells.

    Raises :class:`InputError` for a missing, empty, damaged, non-image or absurdly large file.
    """
    # 1. the file itself
    p = existing_file(path, "an image file")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {p}: {e.strerror or e}.") from None
    return decode_photo(data, p, cells)


def decode_photo(data: bytes, p: Path, cells: tuple[int | None, int | None] | None = None) -> Photo:
    """An image file's bytes as a :class:`Photo` (``p`` names it in messages and in the photo); see
    :func:`load_photo`."""
    if not data:
        raise InputError(f"{p} is empty (0 bytes), not an image.")

    # 2. decode with Pillow: it identifies the format, guards against decompression bombs and verifies the
    #    whole stream (a truncated file fails here instead of loading half grey).
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with _open(data) as im:
                full = im.size
                if im.format == "JPEG" and full[0] * full[1] > JPEG_PIXELS_PER_BYTE * len(data) + 1_000_000:
                    # the decoder would fill the missing picture with grey and not say so
                    raise _not_readable(p, f"the file is damaged or incomplete: its picture data is far too "
                                           f"short for a {full[0]}×{full[1]} picture")
                # (a PNG's EXIF may follow the pixels: reading it would load them with errors hidden, so
                # only a JPEG's orientation is read before decoding, for the reduced decode's size)
                turned = im.format == "JPEG" and _exif_orientation(im) in (5, 6, 7, 8)
                for_cells = _draft(im, _pixels_needed(full, cells, turned))
                if im.width * im.height > MAX_PHOTO_PIXELS:
                    raise _too_large(p, full)
                im.load()
                orientation = _exif_orientation(im)
                turned = orientation in (5, 6, 7, 8)
                photo = _decode(im, data, p, orientation)
                if (photo.width, photo.height) != ((full[1], full[0]) if turned else full):
                    photo.full_size = (full[1], full[0]) if turned else full
                    photo.for_cells = cells if for_cells else None
    except InputError:
        raise
    except Image.DecompressionBombError:
        raise _too_large(p, None) from None
    except Image.UnidentifiedImageError:
        raise _not_readable(p, "unknown or unsupported file format") from None
    except MemoryError:
        raise _too_large(p, None) from None
    except Exception as e:  # Pillow's plugins raise OSError, SyntaxError, ValueError, struct.error, …
        raise _not_readable(p, f"the file is damaged or incomplete: {e}") from None
    if photo.width == 0 or photo.height == 0:
        raise _not_readable(p, "it has no pixels")
    return photo


def _open(data: bytes) -> Image.Image:
    """``Image.open``, except that a JPEG is opened without Pillow's size refusal: it can be decoded at a
    reduced size (see :func:`_draft`), and the decoded size is checked against the limit afterwards."""
    if data[:3] == b"\xff\xd8\xff":
        from PIL import JpegImagePlugin

        return JpegImagePlugin.JpegImageFile(io.BytesIO(data))
    return Image.open(io.BytesIO(data))


def _pixels_needed(size: tuple[int, int], cells: tuple[int | None, int | None] | None,
                   turned: bool) -> tuple[int, int] | None:
    """(width, height) in the file's own orientation that the pattern of ``cells`` needs at least, or None
    when it needs the whole photo (no cells given, a small photo, or a size the converter will refuse)."""
    w, h = size
    if cells is None or w * h < DRAFT_MIN_PIXELS:
        return None
    from .sizing import target_cells

    try:
        cw, ch = target_cells(h if turned else w, w if turned else h, cells[0], cells[1])
    except InputError:
        return None  # an impossible size: let the converter say what is wrong
    need = (cw * MIN_PIXELS_PER_CELL, ch * MIN_PIXELS_PER_CELL)
    return (need[1], need[0]) if turned else need


def _work_size(size: tuple[int, int], need: tuple[int, int] | None) -> tuple[int, int]:
    """The size to work at: at most :data:`WORK_PIXELS` (area kept in proportion) and, when a pattern's needs
    are known and the photo is much larger, about that (but never under it)."""
    w, h = size
    scale = min(1.0, math.sqrt(WORK_PIXELS / (w * h)))
    if need is not None:
        scale = min(scale, max(need[0] / w, need[1] / h))
    if scale > 0.5 and w * h <= WORK_PIXELS:
        return size  # less than halving would help: work at full size, exactly as always
    return max(1, math.floor(w * scale)), max(1, math.floor(h * scale))


def _draft(im: Image.Image, need: tuple[int, int] | None) -> bool:
    """Ask the JPEG decoder for the smallest DCT scale that still gives the work size (see :func:`_work_size`);
    True when it was the pattern's needs, not the size bound, that made it decode smaller. Other formats,
    and JPEGs that are not much larger, are left alone."""
    if im.format != "JPEG" or im.mode not in ("RGB", "L", "CMYK"):
        return False
    target = _work_size(im.size, need)
    if target == im.size:
        return False
    im.draft(im.mode, target)
    return need is not None and _work_size(im.size, None) != target


def _shrink(im: Image.Image) -> Image.Image:
    """An area-averaged copy within :data:`WORK_PIXELS` of a decoded image larger than that, and the large
    one's pixels released: only the small copy is converted to floats, so a 200 MP photo costs its 8-bit
    pixels once. (A pattern's needs do not shrink it further: that is the JPEG decoder's job, which saves
    the decoding too.)"""
    target = _work_size(im.size, None)
    if target == im.size:
        return im
    info = dict(im.info)
    mode = im.mode if im.mode in ("L", "LA", "RGB", "RGBA", "I", "F") else _working_mode(im)
    factor = min(im.width // target[0], im.height // target[1])
    if factor > 1:
        work = _reduce_in_bands(im, mode, factor)
        im.close()  # the full-size pixels are not needed again
    else:
        work = im.convert(mode) if mode != im.mode else im
    if work.size != target:
        work = work.resize(target, Image.Resampling.BOX)
    work.info = info
    return work


def _reduce_in_bands(im: Image.Image, mode: str, factor: int) -> Image.Image:
    """``im`` converted to ``mode`` and reduced ``factor`` times (block average), a band of rows at a time, so
    no second full-size copy ever exists (a palette image converted whole to RGB would be 4 bytes a pixel).
    The last ``factor - 1`` rows and columns at most, which do not fill a block, are left out."""
    width, height = im.width // factor, im.height // factor
    out = Image.new(mode, (width, height))
    band = factor * max(1, 512 // factor)
    for top in range(0, height * factor, band):
        strip = im.crop((0, top, width * factor, min(top + band, height * factor)))
        if strip.mode != mode:
            strip = strip.convert(mode)
        out.paste(strip.reduce(factor), (0, top // factor))
    return out


def _working_mode(im: Image.Image) -> str:
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return "I"
    if im.mode in ("La", "PA"):
        return "LA" if im.mode == "La" else "RGBA"
    if im.mode == "1":
        return "L"
    return "RGBA" if im.has_transparency_data or im.mode == "RGBa" else "RGB"


def _decode(im: Image.Image, data: bytes, path: Path, orientation: int) -> Photo:
    if _needs_opencv(im, data) and im.width * im.height <= WORK_PIXELS:
        arr = _decode_opencv(data, path)
        return photo_from_array(_apply_orientation(arr, orientation), str(path))
    # (a 16-bit colour photo above the work size is read at 8 bits: the area average that follows is finer
    # than the bits lost, and the 16-bit array of a 200 MP photo alone would be 1.2 GB)
    im = _shrink(im)
    if orientation != 1:
        im = _turn(im, orientation)
    return photo_from_array(_pillow_array(_to_srgb_profile(im)), str(path))


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _turn(im: Image.Image, orientation: int) -> Image.Image:
    """The EXIF orientation applied (the same turns as ``ImageOps.exif_transpose``), keeping the image's info
    and so its ICC profile."""
    turned = im.transpose(_TRANSPOSE[orientation])
    turned.info = dict(im.info)
    return turned


def _exif_orientation(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(0x0112, 1))
    except Exception:  # a broken EXIF block should not make an otherwise fine photo unreadable
        return 1
    return value if 1 <= value <= 8 else 1


def _apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """The array twin of ``ImageOps.exif_transpose`` for pixels Pillow cannot hold (16-bit colour)."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(arr, k=-1)
    if orientation == 7:
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(arr, k=1)
    return arr


def _bits_per_sample(im: Image.Image, data: bytes) -> int:
    if im.format == "PNG" and len(data) > 24:
        return data[24]  # IHDR bit depth: 8-byte signature, chunk length and type, width, height
    if im.format == "TIFF":
        bits = getattr(im, "tag_v2", {}).get(258, 8)
        return int(max(bits) if isinstance(bits, tuple | list) else bits)
    return 8


def _needs_opencv(im: Image.Image, data: bytes) -> bool:
    return (
        im.format in ("PNG", "TIFF")
        and im.mode not in _WIDE_GREY_MODES
        and _bits_per_sample(im, data) > 8
    )


def _decode_opencv(data: bytes, path: Path) -> np.ndarray:
    import cv2

    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise _not_readable(path, "the high bit-depth image data could not be decoded")
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        # OpenCV hands out BGR(A); PixlCraft works in RGB(A).
        arr = arr[..., [2, 1, 0, 3]] if arr.shape[2] == 4 else arr[..., ::-1]
    return arr


def _to_srgb_profile(im: Image.Image) -> Image.Image:
    """Convert colour with an embedded ICC profile (Display P3, Adobe RGB, a CMYK press profile) to sRGB.

    Palette colours are sRGB, so matching a P3 phone photo by its raw numbers would shift every colour. A
    profile LittleCMS cannot use is ignored, as browsers do, rather than refusing the picture. (16-bit colour
    files decoded by OpenCV keep their numbers; such files rarely carry a non-sRGB profile.)
    """
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK"):
        return im
    try:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if src.profile.xcolor_space.strip() != ("CMYK" if im.mode == "CMYK" else "RGB"):
            return im  # a profile for another colour space than the pixels: unusable
        base = im.convert("RGB") if im.mode == "RGBA" else im
        converted = ImageCms.profileToProfile(base, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except Exception:
        return im
    if converted is None:
        return im
    if im.mode == "RGBA":
        converted.putalpha(im.getchannel("A"))
    return converted


def _pillow_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        return np.asarray(im).astype(np.uint16)
    if mode == "I":
        a = np.asarray(im).astype(np.int64)
        hi = int(a.max()) if a.size else 0
        # Pillow gives 16-bit PNG/TIFF grey as "I"; only genuinely 32-bit integer data uses the wider scale.
        scale = 65535.0 if hi <= 65535 else float(2**31 - 1)
        return (np.clip(a, 0, None) / scale).astype(np.float32)
    if mode == "F":
        a = np.nan_to_num(np.asarray(im, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        hi = float(a.max()) if a.size else 0.0
        # Floating-point images are conventionally in [0,1]; brighter (HDR) data is scaled down, not clipped.
        return np.clip(a / hi if hi > 1.0 else a, 0.0, 1.0)
    if mode in ("L", "LA", "RGB", "RGBA"):
        return np.asarray(im)
    if mode in ("La", "RGBa"):  # premultiplied alpha: un-premultiply through Pillow
        return np.asarray(im.convert("LA" if mode == "La" else "RGBA"))
    if mode == "1":
        return np.asarray(im.convert("L"))
    # P, PA, CMYK without a profile, YCbCr, LAB, HSV, RGBX: Pillow's own conversions are right for these,
    # and a palette image's transparency (tRNS or an RGBA palette) survives only through RGBA.
    return np.asarray(im.convert("RGBA" if im.has_transparency_data else "RGB"))


def enough_pixels(photo: Photo, cells: tuple[int | None, int | None] | None) -> bool:
    """Whether ``photo`` (perhaps decoded small) has the detail a pattern of ``cells`` needs; ``cells`` None
    means "all of it" (the AI canvas, display at full size)."""
    if photo.full_size is None or photo.for_cells is None:
        return True  # nothing more to be had by loading it again
    if cells is None:
        return False
    from .sizing import target_cells

    try:
        cw, ch = target_cells(photo.width, photo.height, cells[0], cells[1])
    except InputError:
        return True  # the converter will say what is wrong with the size
    return cw * MIN_PIXELS_PER_CELL <= photo.width and ch * MIN_PIXELS_PER_CELL <= photo.height


def encode_photo(photo: Photo, max_side: int = 1024) -> bytes:
    """A small copy of ``photo`` to keep inside a pattern file: at most ``max_side`` pixels a side, JPEG
    (PNG when it has transparent parts), so a pattern can be made again from its photo later."""
    rgb = np.clip(photo.srgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb, "RGB")
    if photo.alpha is not None:
        image.putalpha(Image.fromarray(np.clip(photo.alpha * 255.0 + 0.5, 0, 255).astype(np.uint8), "L"))
    scale = max_side / max(photo.width, photo.height)
    if scale < 1:
        image = image.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))),
                             Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    if photo.alpha is not None:
        image.save(buf, "PNG", optimize=True)
    else:
        image.save(buf, "JPEG", quality=90)
    return buf.getvalue()
