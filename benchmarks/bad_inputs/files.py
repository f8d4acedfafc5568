"""The bad inputs themselves: damaged images, hostile pattern files, odd palettes, awkward paths."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .model import Arg

# ------------------------------------------------------------------------------------------------ file makers


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def sparse(path: Path, size: int, head: bytes = b"") -> Path:
    """A file of ``size`` bytes that takes no disk space (a hole after ``head``)."""
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)
    return path


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_file(width: int, height: int, idat: bytes, color_type: int = 0) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_bomb(width: int, height: int) -> bytes:
    """A grey PNG of ``width``×``height`` zero pixels, compressed to a few hundred KB, made without holding it."""
    z = zlib.compressobj(9)
    row = b"\0" * (width + 1)
    parts = [z.compress(row) for _ in range(height)]
    parts.append(z.flush())
    return png_file(width, height, b"".join(parts))


def gif_header(screen_w: int, screen_h: int, frame_w: int = 1, frame_h: int = 1) -> bytes:
    return (b"GIF89a" + struct.pack("<HH", screen_w, screen_h) + b"\x80\x00\x00" + b"\x00\x00\x00\xff\xff\xff"
            + b"," + struct.pack("<HHHH", 0, 0, frame_w, frame_h) + b"\x00" + b"\x02\x02\x44\x01\x00" + b";")


def tiff_file(width: int, height: int, *, loop: bool = False, strip_offset: int | None = None,
              strip_bytes: int | None = None) -> bytes:
    """A little-endian grey TIFF; ``loop`` makes its directory chain point back at itself."""
    pixels = (bytes(range(256)) * 256)[: min(width * height, 65536) or 16]
    entries = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
               (273, 4, 0), (277, 3, 1), (278, 4, height), (279, 4, strip_bytes or len(pixels))]
    ifd_size = 2 + 12 * len(entries) + 4
    data_at = 8 + ifd_size
    out = io.BytesIO()
    out.write(b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(entries)))
    for tag, kind, value in entries:
        if tag == 273:
            value = data_at if strip_offset is None else strip_offset
        out.write(struct.pack("<HHIHH", tag, kind, 1, value, 0) if kind == 3 else struct.pack("<HHII", tag, kind, 1,
                                                                                                value))
    out.write(struct.pack("<I", 8 if loop else 0))
    out.write(pixels)
    return out.getvalue()


def bmp_file(width: int, height: int, bpp: int = 24) -> bytes:
    pixels = b"\0" * 64
    header = struct.pack("<IiiHHIIiiII", 40, width, height, 1, bpp, 0, len(pixels), 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 14 + len(header) + len(pixels), 0, 0, 54) + header + pixels


def webp_vp8x(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\0\0\0\0" + (width - 1).to_bytes(3, "little") \
        + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def make_pixl(path: Path, doc: dict | str | bytes | None, members: dict[str, bytes] | None = None,
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """A .pixl-like zip: ``doc`` as pattern.json (dict → JSON, allowing NaN; None → left out) plus ``members``."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        if doc is not None:
            text = json.dumps(doc, allow_nan=True) if isinstance(doc, dict) else doc
            zf.writestr("pattern.json", text.encode("utf-8") if isinstance(text, str) else text)
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


def npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def npy_claiming(shape: tuple[int, ...], dtype: str = "<i2", payload: int = 32) -> bytes:
    """A valid .npy header that claims ``shape``, followed by only ``payload`` bytes of data."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + b"\0" * payload


def patch_local_header(path: Path, member: str, *, method: int | None = None, flag_bits: int = 0) -> Path:
    """Change a member's compression method and/or set flag bits, in its local and central headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                flags = struct.unpack_from("<H", data, at + flag_at)[0] | flag_bits
                struct.pack_into("<H", data, at + flag_at, flags)
                if method is not None:
                    struct.pack_into("<H", data, at + method_at, method)
            start = at + 4
    path.write_bytes(bytes(data))
    return path


# ------------------------------------------------------------------------------------------------ fixtures


class Fixtures:
    """Every shared input file, made once in ``root / "in"`` (cases only read them)."""

    def __init__(self, root: Path, exe: str, env: dict[str, str]) -> None:
        self.root = root
        self.dir = root / "in"
        self.dir.mkdir(parents=True)
        self.exe = exe
        self.env = env
        self._n = 0

    def p(self, name: str | bytes) -> Path:
        return Path(os.fsdecode(os.path.join(os.fsencode(self.dir), os.fsencode(name))))

    def case_dir(self) -> Path:
        self._n += 1
        d = self.root / "cases" / f"{self._n:04d}"
        d.mkdir(parents=True)
        return d

    def cli(self, *args: Arg) -> None:
        """Run pixlcraft to make a fixture; it must succeed."""
        r = subprocess.run([self.exe, *map(os.fsencode, args)], env=self.env, capture_output=True, text=True,
                           cwd=self.dir, timeout=300)
        if r.returncode != 0:
            raise SystemExit(f"fixture command failed: {args}\n{r.stderr}")

    def build(self) -> None:
        from PIL import Image

        d = self.dir
        rng = np.random.default_rng(0)
        yy, xx = np.mgrid[0:32, 0:48]
        rgb = np.dstack([xx * 5, yy * 7, (xx + yy) * 3]).astype(np.uint8)
        photo = Image.fromarray(rgb)
        photo.save(d / "photo.png")
        photo.save(d / "photo.jpg", quality=90)
        photo.save(d / "photo.gif")
        photo.save(d / "photo.tif")
        photo.save(d / "photo.webp")
        photo.save(d / "photo.bmp")
        Image.fromarray(rgb[:16, :16]).save(d / "tiny16.png")
        Image.new("RGB", (1, 1), (200, 30, 30)).save(d / "one.png")
        rgba = Image.fromarray(np.dstack([rgb, (xx * 5).astype(np.uint8)]), "RGBA")
        rgba.save(d / "alpha.png")
        Image.fromarray((yy * 2000 + xx * 30).astype(np.uint16)).save(d / "grey16.png")
        photo.convert("CMYK").save(d / "cmyk.jpg")
        photo.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(d / "palette.png", transparency=0)
        frames = [photo, Image.fromarray(255 - rgb)]
        frames[0].save(d / "animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
        shutil.copy(d / "photo.png", d / "png-named.jpg")
        shutil.copy(d / "photo.jpg", d / "jpeg-named.gif")
        shutil.copy(d / "photo.png", d / "no-extension")
        shutil.copy(d / "photo.png", d / "new\nline.png")
        shutil.copy(d / "photo.png", d / "-dash.png")
        shutil.copy(d / "photo.png", self.p(b"caf\xe9.png"))
        exif = Image.Exif()
        exif[0x0112] = 9
        photo.save(d / "exif-orient9.jpg", exif=exif.tobytes())
        photo.save(d / "exif-garbage.jpg", exif=b"Exif\0\0" + bytes(rng.integers(0, 256, 300, np.uint8)))
        photo.save(d / "icc-garbage.png", icc_profile=b"not a profile" * 20)
        # damaged images
        png = (d / "photo.png").read_bytes()
        jpg = (d / "photo.jpg").read_bytes()
        write(d / "empty.png", b"")
        write(d / "trunc.png", png[: len(png) // 2])
        write(d / "sig-only.png", png[:8])
        write(d / "garbage-after-sig.png", png[:8] + bytes(rng.integers(0, 256, 2000, np.uint8)))
        bad_crc = bytearray(png)
        bad_crc[png.find(b"IDAT") + 10] ^= 0xFF
        write(d / "bad-crc.png", bytes(bad_crc))
        write(d / "zero.png", png_file(0, 0, zlib.compress(b"")))
        write(d / "huge-header.png", png_file(2**31 - 1, 2**31 - 1, zlib.compress(b"\0" * 100)))
        write(d / "wide-header.png", png_file(2**31 - 1, 1, zlib.compress(b"\0" * 100)))
        write(d / "bomb.png", png_bomb(20000, 20000))
        write(d / "big-legal.png", png_bomb(14000, 10000))
        write(d / "trunc.jpg", jpg[: len(jpg) // 2])
        write(d / "soi-only.jpg", b"\xff\xd8\xff" + b"\0" * 100)
        sof = jpg.find(b"\xff\xc0")
        huge_jpg = bytearray(jpg)
        struct.pack_into(">HH", huge_jpg, sof + 5, 65500, 65500)
        write(d / "huge-header.jpg", bytes(huge_jpg))
        zero_jpg = bytearray(jpg)
        struct.pack_into(">HH", zero_jpg, sof + 5, 0, 0)
        write(d / "zero.jpg", bytes(zero_jpg))
        scan = bytearray(jpg)
        sos = jpg.find(b"\xff\xda")
        for k in range(sos + 40, len(scan) - 10, 37):
            scan[k] = 0x55
        write(d / "corrupt-scan.jpg", bytes(scan))
        Image.new("L", (15000, 15000), 128).save(d / "above-limit.jpg", quality=50)
        gif = (d / "photo.gif").read_bytes()
        write(d / "trunc.gif", gif[: len(gif) // 2])
        write(d / "huge-screen.gif", gif_header(65535, 65535))
        write(d / "zero.gif", gif_header(0, 0, 0, 0))
        write(d / "header-only.gif", b"GIF89a")
        tif = (d / "photo.tif").read_bytes()
        write(d / "trunc.tif", tif[: len(tif) // 2])
        write(d / "huge.tif", tiff_file(2**32 - 1, 2**32 - 1))
        write(d / "zero.tif", tiff_file(0, 0))
        write(d / "loop-ifd.tif", tiff_file(16, 16, loop=True))
        write(d / "strip-past-end.tif", tiff_file(16, 16, strip_offset=10**9))
        write(d / "strip-huge.tif", tiff_file(16, 16, strip_bytes=2**32 - 1))
        webp = (d / "photo.webp").read_bytes()
        write(d / "trunc.webp", webp[: len(webp) // 2])
        write(d / "huge.webp", webp_vp8x(2**24, 2**24))
        write(d / "huge.bmp", bmp_file(2**31 - 1, 2**31 - 1))
        write(d / "negative.bmp", bmp_file(-5, -5))
        write(d / "bpp99.bmp", bmp_file(4, 4, bpp=99))
        write(d / "text.png", "just some text, not an image\n")
        write(d / "html.jpg", "<!doctype html><html><body>hi</body></html>")
        write(d / "pdf.gif", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
        write(d / "svg.png", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
        write(d / "exe.tiff", Path(sys.executable).resolve().read_bytes()[:8192])
        write(d / "random.webp", bytes(rng.integers(0, 256, 5000, np.uint8)))
        sparse(d / "sparse-1g.png", 1 << 30)
        (d / "folder.png").mkdir()
        for name in ("fifo.png", "fifo.pixl", "fifo.oxs", "fifo.csv", "fifo-codes.txt", "fifo.safetensors"):
            os.mkfifo(d / name)
        os.symlink("loop-b.png", d / "loop-a.png")
        os.symlink("loop-a.png", d / "loop-b.png")
        os.symlink("does-not-exist.png", d / "dangling.png")
        os.symlink("/dev/zero", d / "devzero.png")
        self._palettes()
        self._patterns()
        self._oxs()

    def _palettes(self) -> None:
        d = self.dir
        rng = np.random.default_rng(1)
        head = "code,name,hex\n"
        write(d / "pal-ok.csv", head + "A1,Red,#FF0000\nA2,Blue,#0000FF\nA3,White,#FFFFFF\n")
        write(d / "pal-one.csv", head + "A1,Red,#FF0000\n")
        write(d / "pal-empty.csv", "")
        write(d / "pal-header-only.csv", head)
        write(d / "pal-garbled.csv", bytes(rng.integers(32, 127, 3000, np.uint8)))
        write(d / "pal-binary.csv", (d / "photo.png").read_bytes())
        write(d / "pal-bad-hex.csv", head + "A1,Red,#GG0000\n")
        write(d / "pal-neg-hex.csv", head + "A1,Red,#-10000\n")
        write(d / "pal-neg-id.csv", "code,name,hex,bricklink_id\nA1,Red,#FF0000,-5\nA2,Blue,#0000FF,7\n")
        write(d / "pal-overflow-id.csv", "code,name,hex,bricklink_id\nA1,Red,#FF0000," + "9" * 30
              + "\nA2,Blue,#0000FF,7\n")
        write(d / "pal-nan-id.csv", "code,name,hex,ldraw_code\nA1,Red,#FF0000,nan\nA2,Blue,#0000FF,inf\n")
        write(d / "pal-huge-line.csv", head + "x" * 5_000_000 + "\n")
        sparse(d / "pal-too-big.csv", 9 * 1024 * 1024, head.encode())
        write(d / "pal-utf16.csv", (head + "A1,Rot,#FF0000\nA2,Blau,#0000FF\n").encode("utf-16"))
        write(d / "pal-nul.csv", head.encode() + b"A1,Red\0,#FF0000\n")
        write(d / "pal-dup.csv", head + "A1,Red,#FF0000\nA1,Blue,#0000FF\n")
        write(d / "pal-quotes.csv", head + '"A1,Red,#FF0000\n')
        write(d / "pal-ok.gpl", "GIMP Palette\nName: t\n#\n255 0 0 Red\n0 0 255 Blue\n")
        write(d / "pal-noheader.gpl", "255 0 0 Red\n0 0 255 Blue\n")
        write(d / "pal-300.gpl", "GIMP Palette\n300 0 0 Red\n0 0 255 Blue\n")
        write(d / "pal-neg.gpl", "GIMP Palette\n-5 0 0 Red\n0 0 255 Blue\n")
        write(d / "pal-nan.gpl", "GIMP Palette\nnan nan nan Red\n0 0 255 Blue\n")
        write(d / "pal-1e9.gpl", "GIMP Palette\n1e9 0 0 Red\n0 0 255 Blue\n")
        write(d / "pal-short.gpl", "GIMP Palette\n255 0\n")
        write(d / "pal-ok.hex", "FF0000\n0000FF\n")
        write(d / "pal-bad.hex", "FF0000\nnot-a-colour\n")
        write(d / "pal-empty.hex", "\n\n")
        write(d / "pal.txt", "FF0000\n0000FF\n")
        write(d / "pal-no-ext", "FF0000\n0000FF\n")
        (d / "pal-folder.csv").mkdir()
        write(d / "codes-ok.txt", "310\n321\n")
        write(d / "codes-binary.txt", (d / "photo.png").read_bytes())
        write(d / "codes-unknown.txt", "ZZZ-1\nZZZ-2\n")
        sparse(d / "codes-huge.txt", 64 * 1024 * 1024, b"310\n")
        (d / "codes-folder.txt").mkdir()

    def _patterns(self) -> None:
        d = self.dir
        self.cli("convert", "photo.png", "-o", "base.pixl", "--width", "12")
        self.cli("convert", "base.pixl", "-o", "base.oxs")
        self.cli("convert", "photo.png", "-o", "lego.pixl", "--width", "12", "--palette", "lego")
        with zipfile.ZipFile(d / "base.pixl") as zf:
            doc = json.loads(zf.read("pattern.json"))
            grid = np.load(io.BytesIO(zf.read("grid.npy")))
            preview = zf.read("preview.png")
        self.doc, self.grid = doc, grid
        good = {"grid.npy": npy(grid), "preview.png": preview}
        h, w = grid.shape

        def variant(name: str, doc_: dict | str | bytes | None = None, members: dict[str, bytes] | None = None,
                    **changes: object) -> Path:
            new = json.loads(json.dumps(doc)) if doc_ is None else doc_
            if isinstance(new, dict):
                for key, value in changes.items():
                    if value is _DROP:
                        new.pop(key, None)
                    else:
                        new[key] = value
            return make_pixl(d / f"{name}.pixl", new, good if members is None else members)

        write(d / "pixl-empty.pixl", b"")
        write(d / "pixl-text.pixl", "hello\n")
        write(d / "pixl-png.pixl", (d / "photo.png").read_bytes())
        base = (d / "base.pixl").read_bytes()
        write(d / "pixl-trunc.pixl", base[: len(base) // 2])
        write(d / "pixl-oxs-inside.pixl", (d / "base.oxs").read_bytes())
        make_pixl(d / "pixl-wrong-members.pixl", None, {"readme.txt": b"hi", "grid.npy": npy(grid)})
        variant("pixl-json-garbage", "{not json")
        variant("pixl-json-latin1", b'{"format": "pixlcraft-pattern", "title": "caf\xe9"')
        variant("pixl-json-array", "[]")
        variant("pixl-json-null", "null")
        variant("pixl-deep-json", "[" * 100_000 + "]" * 100_000)
        deep = json.loads(json.dumps(doc))
        deep["metadata"]["nest"] = json.loads("[" * 900 + "]" * 900)
        variant("pixl-deep-meta-900", deep)
        deep990 = json.loads(json.dumps(doc))
        deep990["metadata"]["nest"] = json.loads("[" * 985 + "]" * 985)
        variant("pixl-deep-meta-985", deep990)
        variant("pixl-format-other", format="something-else")
        variant("pixl-version-str", version="1")
        variant("pixl-version-999", version=999)
        variant("pixl-version-0", version=0)
        variant("pixl-version-true", version=True)
        variant("pixl-version-1e300", version=1e300)
        variant("pixl-no-version", version=_DROP)
        variant("pixl-width-nan", width=float("nan"))
        variant("pixl-width-inf", width=float("inf"))
        variant("pixl-width-1e300", width=1e300)
        variant("pixl-width-neg", width=-1)
        variant("pixl-width-0", width=0)
        variant("pixl-width-10e30", width=10**30)
        variant("pixl-width-str", width="12")
        variant("pixl-claims-1000", width=1000, height=1000)
        variant("pixl-claims-1001", width=1001, height=1001)
        variant("pixl-no-grid", members={"preview.png": preview})
        variant("pixl-grid-name-list", grid=[1, 2])
        variant("pixl-grid-name-escape", grid="../../../../etc/passwd")
        variant("pixl-grid-garbage", members={"grid.npy": b"\x93NUMPY garbage", "preview.png": preview})
        variant("pixl-grid-float", members={"grid.npy": npy(grid.astype(np.float64)), "preview.png": preview})
        variant("pixl-grid-object", members={"grid.npy": npy(np.array([[1, None]], dtype=object))})
        variant("pixl-grid-bool", members={"grid.npy": npy(grid > 0)})
        variant("pixl-grid-3d", members={"grid.npy": npy(np.zeros((h, w, 2), np.int16))})
        variant("pixl-grid-index-big", members={"grid.npy": npy(np.full((h, w), 30000, np.int16))})
        variant("pixl-grid-index-neg", members={"grid.npy": npy(np.full((h, w), -5, np.int16))})
        variant("pixl-grid-int64-huge", members={"grid.npy": npy(np.full((h, w), 2**40, np.int64))})
        variant("pixl-grid-uint64-max", members={"grid.npy": npy(np.full((h, w), 2**64 - 1, np.uint64))})
        variant("pixl-grid-claims-huge", members={"grid.npy": npy_claiming((99999, 99999))})
        variant("pixl-grid-claims-shape", members={"grid.npy": npy_claiming((h, w))})
        # zip bombs: a quarter-gigabyte grid, a 64 MB pattern.json, both a few hundred KB on disk
        with zipfile.ZipFile(d / "pixl-zipbomb-grid.pixl", "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("pattern.json", json.dumps(doc))
            with zf.open("grid.npy", "w", force_zip64=True) as member:
                member.write(npy(np.zeros((1000, 1000), np.int16))[:128])
                chunk = b"\0" * (1 << 20)
                for _ in range(256):
                    member.write(chunk)
        with zipfile.ZipFile(d / "pixl-zipbomb-json.pixl", "w", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("pattern.json", "w", force_zip64=True) as member:
                member.write(b"{")
                chunk = b" " * (1 << 20)
                for _ in range(64):
                    member.write(chunk)
                member.write(json.dumps(doc)[1:].encode())
            zf.writestr("grid.npy", npy(grid))
        stored = make_pixl(d / "pixl-crc.pixl", doc, {"grid.npy": npy(grid)}, zipfile.ZIP_STORED)
        raw = bytearray(stored.read_bytes())
        raw[raw.find(b"NUMPY") + 100] ^= 0xFF
        stored.write_bytes(bytes(raw))
        patch_local_header(make_pixl(d / "pixl-method99.pixl", doc, good), "pattern.json", method=99)
        patch_local_header(make_pixl(d / "pixl-encrypted.pixl", doc, good), "pattern.json", flag_bits=1)
        variant("pixl-no-palette", palette=_DROP)
        pal = doc["palette"]
        variant("pixl-palette-empty", palette={**pal, "entries": []})
        variant("pixl-palette-list", palette=[1, 2, 3])
        variant("pixl-palette-bad-hex", palette={**pal, "entries": [{**pal["entries"][0], "hex": "#XYZ"}]
                                                  + pal["entries"][1:]})
        variant("pixl-palette-code-int", palette={**pal, "entries": [{**pal["entries"][0], "code": 5}]
                                                   + pal["entries"][1:]})
        variant("pixl-palette-neg-id", palette={**pal, "entries": [{**pal["entries"][0], "bricklink_id": -1}]
                                                 + pal["entries"][1:]})
        variant("pixl-palette-material", palette={**pal, "material": "velvet"})
        many = [{"code": f"C{i}", "name": "", "hex": f"#{i % 256:02X}{(i // 256) % 256:02X}00"} for i in range(40000)]
        variant("pixl-palette-40000", palette={**pal, "entries": many})
        variant("pixl-meta-list", metadata=[1, 2])
        variant("pixl-title-number", metadata={**doc["metadata"], "title": 1e300})
        variant("pixl-title-nan", metadata={**doc["metadata"], "title": float("nan")})
        variant("pixl-title-100k", metadata={**doc["metadata"], "title": "Long title " * 9000})
        variant("pixl-title-control", metadata={**doc["metadata"], "title": "a\x1b[31mb\x07c\x00d\r\ne\u202e"})
        variant("pixl-meta-nan", metadata={**doc["metadata"], "fabric": float("nan"), "x": float("inf")})
        big = {**doc, "width": 1000, "height": 1000}
        make_pixl(d / "big1000.pixl", big, {"grid.npy": npy(np.zeros((1000, 1000), np.int16))})
        shutil.copy(d / "base.pixl", d / "UPPER.PIXL")
        sparse(d / "pixl-sparse-2g.pixl", 2 << 30)
        (d / "folder.pixl").mkdir()

    def _oxs(self) -> None:
        d = self.dir
        text = (d / "base.oxs").read_text("utf-8")
        props = re.search(r"<properties [^>]*/>", text)
        assert props is not None

        def oxs(name: str, body: str | bytes) -> Path:
            return write(d / f"{name}.oxs", body)

        def with_props(name: str, **attrs: str) -> Path:
            new = props.group(0)
            for key, value in attrs.items():
                new = re.sub(rf'{key}="[^"]*"', f'{key}="{value}"', new)
            return oxs(name, text.replace(props.group(0), new))

        first_item = re.search(r'<palette_item index="1"[^>]*/>', text)
        first_stitch = re.search(r"<stitch [^>]*/>", text)
        assert first_item is not None and first_stitch is not None
        oxs("oxs-empty", "")
        oxs("oxs-text", "hello, not XML\n")
        oxs("oxs-trunc", text[: len(text) // 2])
        oxs("oxs-root-html", "<html><body/></html>")
        laughs = '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
        ) + ']>\n<chart><properties charttitle="&lol9;" chartwidth="2" chartheight="2"/></chart>\n'
        oxs("oxs-billion-laughs", laughs)
        oxs("oxs-xxe-file", '<?xml version="1.0"?>\n<!DOCTYPE chart [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                            '<chart><properties charttitle="&x;" chartwidth="2" chartheight="2"/></chart>\n')
        oxs("oxs-xxe-http", '<?xml version="1.0"?>\n<!DOCTYPE chart SYSTEM "http://127.0.0.1:9/x.dtd">\n<chart/>\n')
        oxs("oxs-param-entity", '<?xml version="1.0"?>\n<!DOCTYPE chart [<!ENTITY % p SYSTEM "file:///etc/passwd">'
                                "%p;]>\n<chart/>\n")
        oxs("oxs-laughs-utf16", laughs.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
            .encode("utf-16"))
        oxs("oxs-valid-utf16", text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
        oxs("oxs-latin1", text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
            .replace('charttitle="', 'charttitle="caf\u00e9 ').encode("latin-1", "replace"))
        oxs("oxs-bogus-encoding", text.replace('encoding="UTF-8"', 'encoding="EBCDIC-NOPE"'))
        oxs("oxs-binary", bytes(np.random.default_rng(2).integers(0, 256, 4000, np.uint8)))
        with_props("oxs-width-1e12", chartwidth="1000000000000")
        with_props("oxs-width-abc", chartwidth="abc")
        with_props("oxs-width-neg", chartwidth="-5")
        with_props("oxs-width-nan", chartwidth="nan")
        with_props("oxs-width-1e300", chartwidth="1e300")
        with_props("oxs-width-0", chartwidth="0")
        with_props("oxs-width-frac", chartwidth="1.5")
        with_props("oxs-width-list", chartwidth="[1,2]")
        with_props("oxs-spi-nan", stitchesperinch="nan")
        with_props("oxs-1000-empty", chartwidth="1000", chartheight="1000")
        no_props = text.replace(props.group(0), "")
        oxs("oxs-no-props-no-stitches", re.sub(r"<fullstitches>.*</fullstitches>", "", no_props, flags=re.S))
        oxs("oxs-no-props-inf", no_props.replace(first_stitch.group(0), '<stitch x="inf" y="0" palindex="1"/>'))

        def stitch(name: str, new: str) -> Path:
            return oxs(name, text.replace(first_stitch.group(0), new))

        stitch("oxs-palindex-huge", f'<stitch x="0" y="0" palindex="{10**30}"/>')
        stitch("oxs-palindex-neg", '<stitch x="0" y="0" palindex="-1"/>')
        stitch("oxs-palindex-abc", '<stitch x="0" y="0" palindex="abc"/>')
        stitch("oxs-stitch-neg-x", '<stitch x="-1" y="0" palindex="1"/>')
        stitch("oxs-stitch-no-palindex", '<stitch x="0" y="0"/>')
        stitch("oxs-stitch-x-1e300", '<stitch x="1e300" y="0" palindex="1"/>')

        def item(name: str, new: str) -> Path:
            return oxs(name, text.replace(first_item.group(0), new))

        item("oxs-item-index-huge", '<palette_item index="1000000000000000000" number="DMC 01" color="E3E3E6"/>')
        item("oxs-item-index-neg", '<palette_item index="-3" number="DMC 01" color="E3E3E6"/>')
        item("oxs-item-dup", first_item.group(0) + first_item.group(0))
        item("oxs-item-bad-colour", '<palette_item index="1" number="DMC 01" color="GGGGGG"/>')
        item("oxs-item-number-huge", '<palette_item index="1" number="' + "9" * 5000 + '" color="E3E3E6"/>')
        oxs("oxs-no-items", re.sub(r"<palette>.*</palette>", "<palette/>", text, flags=re.S))
        junk = "<junk>" * 50000 + "</junk>" * 50000
        oxs("oxs-deep-junk", text.replace("</chart>", junk + "</chart>"))
        sparse(d / "oxs-sparse-300m.oxs", 300 * 1024 * 1024, b"<?xml version='1.0'?><chart>")
        (d / "folder.oxs").mkdir()


_DROP = object()


