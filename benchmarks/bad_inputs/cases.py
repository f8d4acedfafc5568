"""Every case of the campaign: the command, and what it should do."""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .files import Fixtures, write
from .model import Arg, Case, values_for

# ------------------------------------------------------------------------------------------------ the cases


def number_expect(value: str, kind: type, lo: float | None, hi: float | None) -> str:
    """``ok`` when argparse-style parsing gives a finite number of ``kind`` in [lo, hi], else ``error``."""
    try:
        v: float = kind(value)
    except ValueError:
        return "error"
    if kind is float and not np.isfinite(v):
        return "error"
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        return "error"
    return "ok"


def show(a: Arg, root: Path | None = None) -> str:
    """One argument as a shell word: the scratch folder as $T, control characters escaped, long text cut."""
    text = os.fsdecode(a) if isinstance(a, bytes | Path) else a
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if root is not None:
        text = text.replace(str(root), "$T")
    text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    if len(text) > 70:
        text = f"{text[:30]}…({len(text):,} chars)"
    if text.startswith("$T"):  # keep $T outside the quotes, so that the line still works with T set
        return "$T" + shlex.quote(text[2:])
    return shlex.quote(text)


class Builder:
    """Makes every case, one method per entry point."""

    def __init__(self, fx: Fixtures) -> None:
        self.fx = fx
        self.cases: list[Case] = []
        probe = fx.root / "readonly"
        probe.mkdir()
        probe.chmod(0o555)
        try:
            (probe / "x").write_bytes(b"")
            (probe / "x").unlink()
            self.readonly_blocks = False  # the superuser writes anywhere
        except OSError:
            self.readonly_blocks = True
        self.readonly = probe

    def add(self, entry: str, label: str, args: Iterable[Arg], expect: str = "error", **kw: object) -> None:
        """A case; for ``convert`` and ``cleanup`` the command word is added when ``args`` lacks it."""
        words = list(args)
        if entry in ("convert", "cleanup") and (not words or words[0] != entry):
            words.insert(0, entry)
        self.cases.append(Case(entry, label, words, expect, **kw))  # type: ignore[arg-type]

    def i(self, name: str | bytes) -> Path:
        return self.fx.p(name)

    def out(self, name: str = "out.pixl") -> Path:
        return self.fx.case_dir() / name

    def private(self, name: str) -> tuple[Path, Path]:
        """A case folder holding its own copy of the fixture ``name`` (for cases that may write over it)."""
        d = self.fx.case_dir()
        copy = d / Path(name).name
        shutil.copy(self.i(name), copy)
        return d, copy

    def build(self) -> list[Case]:
        for method in (self.top, self.convert, self.images, self.palettes, self.convert_numbers, self.cleanup,
                       self.pixl, self.oxs, self.reduce, self.export, self.generate, self.models, self.addon,
                       self.outputs, self.pipes):
            method()
        return self.cases

    # -- top level ---------------------------------------------------------------------------------------------

    def top(self) -> None:
        self.add("pixlcraft", "no command", [])
        self.add("pixlcraft", "unknown command", ["frobnicate"])
        self.add("pixlcraft", "--version", ["--version"], "ok")
        self.add("pixlcraft", "--debug alone", ["--debug"])
        self.add("pixlcraft", "unknown option", ["--colour", "red"])

    # -- convert: files and strings ----------------------------------------------------------------------------

    def convert(self) -> None:
        c = "convert"
        files = [("missing file", "nope.png"), ("empty file", "empty.png"), ("folder", "folder.png"),
                 ("FIFO", "fifo.png"), ("symlink loop", "loop-a.png"), ("dangling symlink", "dangling.png"),
                 ("symlink to /dev/zero", "devzero.png"), ("1 GB sparse file of zeros", "sparse-1g.png")]
        for label, name in files:
            self.add(c, f"input: {label}", [self.i(name), "-o", self.out()], timeout=20)
        for label, path in [("/dev/urandom", "/dev/urandom"), ("/proc/self/environ", "/proc/self/environ"),
                            ("empty path", ""), ("'-'", "-"), ("missing non-UTF-8 name", self.i(b"nul\xff.png"))]:
            self.add(c, f"input: {label}", [path, "-o", self.out()], timeout=20)
        self.add(c, "input: trailing slash after a file name", [f"{self.i('photo.png')}/", "-o", self.out()],
                 "either")
        self.add(c, "input named like an option", [self.i("-dash.png").name, "-o", "out.pixl"])
        self.add(c, "input: non-UTF-8 name", [self.i(b"caf\xe9.png"), "-o", o := self.out()], "ok", creates=(o,))
        self.add(c, "input: newline in name", [self.i("new\nline.png"), "-o", o := self.out()], "ok", creates=(o,))
        crops = {"0,0,0,0": "error", "-1,0,10,10": "error", "1e9,0,1,1": "error", "1,2,3": "error",
                 "nan,nan,nan,nan": "error", "40,20,100,100": "error", "0,0,48,32": "ok"}
        for text, expect in crops.items():
            o = self.out()
            self.add(c, f"--crop {text!r}", [self.i("photo.png"), "-o", o, "--crop", text], expect,
                     creates=(o,) if expect == "ok" else ())
        for text in ("GGGGGG", ""):
            self.add(c, f"--background {text!r}", [self.i("alpha.png"), "-o", self.out(), "--background", text])
        self.add(c, "--width 1000 --height 1 (a strip thinner than a pixel row)",
                 [self.i("photo.png"), "-o", o := self.out(), "--width", "1000", "--height", "1"], "either",
                 creates=(o,))
        self.add(c, "--width 1001", [self.i("photo.png"), "-o", self.out(), "--width", "1001"])
        self.add(c, "1×1 photo at --width 1000", [self.i("one.png"), "-o", o := self.out(), "--width", "1000"],
                 "either", creates=(o,))
        self.add(c, "--dither unknown", [self.i("photo.png"), "-o", self.out(), "--dither", "atkinson"])
        self.add(c, "--element with a DMC palette (no effect)", [self.i("photo.png"), "-o", self.out(),
                 "--element", "plate"])
        self.add(c, "--cleanup-denoise without --cleanup-first (no effect)",
                 [self.i("photo.png"), "-o", self.out(), "--cleanup-denoise", "5"])
        self.add(c, "--cleanup-first unknown", [self.i("photo.png"), "-o", self.out(), "--cleanup-first", "magic"])
        self.add(c, "--cleanup-tile with classic clean-up", [self.i("photo.png"), "-o", self.out(),
                 "--cleanup-first", "classic", "--cleanup-tile", "64"])
        self.add(c, "--cleanup-device quantum (esrgan)", [self.i("tiny16.png"), "-o", self.out(), "--cleanup-first",
                 "esrgan", "--cleanup-device", "quantum"])
        self.add(c, "pattern input with --width", [self.i("base.pixl"), "-o", self.out(), "--width", "5"])
        self.add(c, "--title 100,000 characters", [self.i("photo.png"), "-o", o := self.out(), "--title",
                 "Long title " * 9000], "ok", creates=(o,))
        ctl = "a\x1b[31mb\x07c\r\nd\te\u202ef"
        self.add(c, "--title with control characters → .pixl", [self.i("photo.png"), "-o", o := self.out(),
                 "--title", ctl], "ok", creates=(o,))
        self.add(c, "--title with control characters → .oxs", [self.i("photo.png"), "-o", o := self.out("t.oxs"),
                 "--title", ctl], "ok", creates=(o,))
        self.add(c, "--title non-UTF-8 bytes → .pixl", [self.i("photo.png"), "-o", o := self.out(), "--title",
                 b"caf\xe9"], "ok", creates=(o,))
        self.add(c, "--scale 64 on a 1000-cell pattern (PNG too large)", [self.i("big1000.pixl"), "-o",
                 self.out("big.png"), "--scale", "64"])
        self.add(c, "ASCII-only stdout, non-ASCII output name", [self.i("photo.png"), "-o", o := self.out("ü×.pixl")],
                 "ok", creates=(o,), env={"PYTHONIOENCODING": "ascii"})

    def images(self) -> None:
        bad = ["trunc.png", "bad-crc.png", "zero.png", "huge-header.png", "bomb.png", "trunc.jpg", "soi-only.jpg",
               "huge-header.jpg", "zero.jpg", "trunc.gif", "huge-screen.gif", "zero.gif", "trunc.tif", "huge.tif",
               "strip-past-end.tif", "trunc.webp", "huge.webp", "huge.bmp", "negative.bmp",
               "text.png", "html.jpg", "pdf.gif", "exe.tiff", "random.webp"]
        good = ["photo.webp", "alpha.png", "grey16.png", "cmyk.jpg", "palette.png", "animated.gif", "png-named.jpg",
                "exif-orient9.jpg", "exif-garbage.jpg", "icc-garbage.png", "corrupt-scan.jpg", "above-limit.jpg",
                "big-legal.png"]
        for name in bad:
            self.add("convert", f"image: {name}", [self.i(name), "-o", self.out(), "--width", "20"])
        # the header overstates the strip's length but every pixel is there: reading it is fine too
        self.add("convert", "image: strip-huge.tif (strip length 4 GB in the header, data complete)",
                 [self.i("strip-huge.tif"), "-o", o := self.out(), "--width", "8"], "either", creates=(o,))
        for name in good:
            o = self.out()
            self.add("convert", f"legitimate image: {name}", [self.i(name), "-o", o, "--width", "20"], "ok",
                     creates=(o,), timeout=120)
        self.add("convert", "image: loop-ifd.tif", [self.i("loop-ifd.tif"), "-o", o := self.out(), "--width", "8"],
                 "either", creates=(o,), timeout=30)
        for name in ("missing.png", "empty.png", "folder.png", "fifo.png", "trunc.png", "bomb.png", "huge.tif",
                     "text.png"):
            self.add("cleanup", f"image: {name}", [self.i(name), "-o", self.out("c.png")], timeout=30)
        for name in ("one.png", "grey16.png", "palette.png"):
            o = self.out("c.png")
            self.add("cleanup", f"legitimate image: {name}", [self.i(name), "-o", o], "ok", creates=(o,),
                     timeout=120)

    def palettes(self) -> None:
        files = {"pal-empty.csv": "error", "pal-header-only.csv": "error", "pal-garbled.csv": "error",
                 "pal-binary.csv": "error", "pal-bad-hex.csv": "error", "pal-neg-hex.csv": "error",
                 "pal-neg-id.csv": "error", "pal-overflow-id.csv": "error", "pal-nan-id.csv": "error",
                 "pal-huge-line.csv": "error", "pal-too-big.csv": "error", "pal-utf16.csv": "either",
                 "pal-nul.csv": "error", "pal-dup.csv": "error", "pal-quotes.csv": "error",
                 "pal-noheader.gpl": "error", "pal-300.gpl": "error", "pal-neg.gpl": "error",
                 "pal-nan.gpl": "error", "pal-bad.hex": "error", "pal.txt": "error",
                 "pal-folder.csv": "error", "fifo.csv": "error", "pal-ok.csv": "ok", "pal-ok.gpl": "ok"}
        for name, expect in files.items():
            self.add("palettes", f"show {name}", ["palettes", "show", self.i(name)], expect, timeout=20)
        names = {"nosuch": "error", "": "error", "DMC": "ok", "/etc/passwd": "error", "/dev/zero": "error",
                 "dmc\x1b[2J": "error"}
        for name, expect in names.items():
            self.add("palettes", f"show {name!r}", ["palettes", "show", name], expect)
        owned = {"": "error", ",,,": "error", "310,ZZZ": "error", str(self.i("codes-ok.txt")): "ok",
                 str(self.i("codes-binary.txt")): "error", str(self.i("codes-unknown.txt")): "error",
                 str(self.i("codes-huge.txt")): "error", str(self.i("codes-folder.txt")): "error",
                 str(self.i("fifo-codes.txt")): "error"}
        for spec, expect in owned.items():
            self.add("palettes", f"show dmc --owned {show(spec)}", ["palettes", "show", "dmc", "--owned", spec],
                     expect, timeout=20)
        self.add("palettes", "list with an argument", ["palettes", "list", "dmc"])
        self.add("palettes", "show without a palette", ["palettes", "show"])
        # the same palettes through convert
        for name in ("pal-garbled.csv", "pal-overflow-id.csv", "pal-dup.csv", "fifo.csv"):
            self.add("convert", f"--palette {name}", [self.i("photo.png"), "-o", self.out(), "--palette",
                     self.i(name)], timeout=20)
        for name in ("pal-one.csv", "pal-ok.hex"):
            o = self.out()
            self.add("convert", f"--palette {name}", [self.i("photo.png"), "-o", o, "--palette", self.i(name)],
                     "ok", creates=(o,))
        for spec, expect in {"nosuch": "error", "": "error"}.items():
            self.add("convert", f"--palette {spec!r}", [self.i("photo.png"), "-o", self.out(), "--palette", spec],
                     expect)
        for spec, expect in {"": "error", "ZZZ": "error", str(self.i("fifo-codes.txt")): "error"}.items():
            self.add("convert", f"--owned {show(spec)}", [self.i("photo.png"), "-o", self.out(), "--owned", spec],
                     expect, timeout=20)
        self.add("convert", "--owned one colour", [self.i("photo.png"), "-o", o := self.out(), "--owned", "310"],
                 "ok", creates=(o,))

    def convert_numbers(self) -> None:
        flags = [("--width", int, 1, 1000, [], False), ("--height", int, 1, 1000, [], True),
                 ("--max-colors", int, 1, 731, [], True), ("--confetti-tolerance", float, 0, None, [], False),
                 ("--brightness", int, -100, 100, [], False), ("--scale", int, 1, 64, [], True),
                 ("--cleanup-denoise", float, 0, 30, ["--cleanup-first", "classic"], False)]
        for flag, kind, lo, hi, extra, few in flags:
            for value in values_for(hi, few):
                expect = number_expect(value, kind, lo, hi)
                o = self.out("out.png" if flag == "--scale" else "out.pixl")
                self.add("convert", f"{flag} {value!r}", [self.i("photo.png"), "-o", o, flag, value, *extra],
                         expect, creates=(o,) if expect == "ok" else ())

    # -- cleanup -----------------------------------------------------------------------------------------------

    def cleanup(self) -> None:
        c = "cleanup"
        flags = [("--scale", float, 0.05, 8.0, [], False), ("--long-side", int, 8, 16384, [], True),
                 ("--tile", int, 32, 1024, [], False), ("--deblock", float, 0, 3, ["-m", "classic"], True)]
        for flag, kind, lo, hi, extra, few in flags:
            for value in values_for(hi, few):
                expect = number_expect(value, kind, lo, hi)
                o = self.out("c.png")
                self.add(c, f"{flag} {value!r}", [self.i("tiny16.png"), "-o", o, flag, value, *extra], expect,
                         creates=(o,) if expect == "ok" else (), timeout=120)
        for value in ("0", "abc"):
            self.add(c, f"--steps {value!r} (pasd)", [self.i("tiny16.png"), "-o", self.out("c.png"), "-m", "pasd",
                     "--steps", value])
        self.add(c, "--pasd-noise-level 1000", [self.i("tiny16.png"), "-o", self.out("c.png"), "-m", "pasd",
                 "--pasd-noise-level", "1000"])
        self.add(c, "--method unknown", [self.i("tiny16.png"), "-o", self.out("c.png"), "-m", "magic"])
        self.add(c, "--denoise with esrgan", [self.i("tiny16.png"), "-o", self.out("c.png"), "-m", "esrgan",
                 "--denoise", "5"])
        self.add(c, "--device quantum", [self.i("tiny16.png"), "-o", self.out("c.png"), "--device", "quantum"])
        self.add(c, "--device gpu:99", [self.i("tiny16.png"), "-o", self.out("c.png"), "--device", "gpu:99"])
        self.add(c, "--model unknown", [self.i("tiny16.png"), "-o", self.out("c.png"), "--model", "x8"])
        self.add(c, "no input", ["-o", self.out("c.png")])
        self.add(c, "no output", [self.i("tiny16.png")])
        self.add(c, "output .bmp", [self.i("tiny16.png"), "-o", self.out("c.bmp")])
        self.add(c, "transparent photo to .jpg", [self.i("alpha.png"), "-o", self.out("c.jpg"), "-m", "classic"])
        self.add(c, "--list with extra input", ["--list", self.i("tiny16.png")], "either")

    # -- pattern readers ---------------------------------------------------------------------------------------

    def pixl(self) -> None:
        bad = ["pixl-empty", "pixl-png", "pixl-trunc", "pixl-wrong-members", "pixl-json-garbage",
               "pixl-json-latin1", "pixl-deep-json", "pixl-format-other", "pixl-version-str", "pixl-version-999",
               "pixl-version-0", "pixl-no-version", "pixl-width-nan", "pixl-width-inf", "pixl-width-1e300",
               "pixl-width-neg", "pixl-width-10e30", "pixl-claims-1000", "pixl-no-grid", "pixl-grid-name-escape",
               "pixl-grid-garbage", "pixl-grid-float", "pixl-grid-object", "pixl-grid-3d", "pixl-grid-index-big",
               "pixl-grid-index-neg", "pixl-grid-int64-huge", "pixl-grid-claims-huge", "pixl-grid-claims-shape",
               "pixl-zipbomb-grid", "pixl-zipbomb-json", "pixl-crc", "pixl-method99", "pixl-encrypted",
               "pixl-no-palette", "pixl-palette-empty", "pixl-palette-bad-hex", "pixl-palette-neg-id",
               "pixl-palette-material", "pixl-palette-40000", "pixl-meta-list", "pixl-sparse-2g", "folder", "fifo",
               "missing"]
        for name in bad:
            self.add("pixl reader", f"export png: {name}.pixl", ["export", self.i(f"{name}.pixl"), "-f", "png",
                     "-o", self.out("p.png")], timeout=30)
        either = ["pixl-deep-meta-900", "pixl-deep-meta-985", "pixl-title-number", "pixl-meta-nan"]
        for name in either:
            o = self.out("r.pixl")
            self.add("pixl reader", f"reduce → .pixl: {name}.pixl", ["reduce", self.i(f"{name}.pixl"),
                     "--max-colors", "3", "-o", o], "either", creates=(o,))
        for name in ("pixl-title-number", "pixl-title-100k", "pixl-title-control"):
            o = self.out("chart.pdf")
            self.add("pixl reader", f"export stitch-pdf: {name}.pixl", ["export", self.i(f"{name}.pixl"), "-f",
                     "stitch-pdf", "--chart", "color", "-o", o], "either", creates=(o,), timeout=120)
            o = self.out("chart.oxs")
            self.add("pixl reader", f"export oxs: {name}.pixl", ["export", self.i(f"{name}.pixl"), "-f", "oxs",
                     "-o", o], "either", creates=(o,))
        for name in ("pixl-zipbomb-grid", "pixl-grid-index-big", "pixl-width-nan"):
            self.add("pixl reader", f"reduce: {name}.pixl", ["reduce", self.i(f"{name}.pixl"), "--max-colors", "3",
                     "-o", self.out()])
            self.add("pixl reader", f"convert (re-save): {name}.pixl", ["convert", self.i(f"{name}.pixl"), "-o",
                     self.out("r.oxs")])
        self.add("pixl reader", "upper-case .PIXL", ["export", self.i("UPPER.PIXL"), "-f", "png", "-o",
                 o := self.out("p.png")], "ok", creates=(o,))

    def oxs(self) -> None:
        bad = ["oxs-empty", "oxs-text", "oxs-trunc", "oxs-root-html", "oxs-billion-laughs", "oxs-xxe-file",
               "oxs-xxe-http", "oxs-param-entity", "oxs-laughs-utf16", "oxs-bogus-encoding", "oxs-binary",
               "oxs-width-1e12", "oxs-width-abc", "oxs-width-neg", "oxs-width-nan", "oxs-width-frac",
               "oxs-no-props-no-stitches", "oxs-no-props-inf",
               "oxs-palindex-abc", "oxs-stitch-no-palindex", "oxs-item-dup", "oxs-item-bad-colour", "oxs-no-items",
               "oxs-sparse-300m", "folder", "fifo", "missing"]
        for name in bad:
            self.add("oxs import", f"export png: {name}.oxs", ["export", self.i(f"{name}.oxs"), "-f", "png", "-o",
                     self.out("p.png")], timeout=30)
        ok = ["oxs-valid-utf16", "oxs-latin1", "oxs-spi-nan", "oxs-1000-empty", "oxs-palindex-huge",
              "oxs-palindex-neg", "oxs-stitch-x-1e300", "oxs-item-index-huge", "oxs-item-index-neg",
              "oxs-item-number-huge", "oxs-deep-junk"]
        for name in ok:
            o = self.out("p.png")
            self.add("oxs import", f"export png: {name}.oxs", ["export", self.i(f"{name}.oxs"), "-f", "png",
                     "--style", "flat", "--cell-px", "2", "-o", o], "ok", creates=(o,), timeout=60)
        for name in ("oxs-item-number-huge", "oxs-item-index-neg"):
            o = self.out("r.pixl")
            self.add("oxs import", f"reduce → .pixl: {name}.oxs", ["reduce", self.i(f"{name}.oxs"), "--max-colors",
                     "2", "-o", o], "ok", creates=(o,))
            o = self.out("r.oxs")
            self.add("oxs import", f"convert → .oxs: {name}.oxs", ["convert", self.i(f"{name}.oxs"), "-o", o], "ok",
                     creates=(o,))
        for name in ("oxs-xxe-file",):
            self.add("oxs import", f"reduce: {name}.oxs", ["reduce", self.i(f"{name}.oxs"), "--max-colors", "2",
                     "-o", self.out()])

    # -- reduce ------------------------------------------------------------------------------------------------

    def reduce(self) -> None:
        r = "reduce"
        for flag, kind, lo, hi in (("--max-colors", int, 1, None), ("--merge-rare", int, 1, None),
                                   ("--scale", int, 1, 64)):
            for value in values_for(hi, flag != "--max-colors"):
                expect = number_expect(value, kind, lo, hi)
                o = self.out("r.png")
                how = [] if flag != "--scale" else ["--max-colors", "3"]
                self.add(r, f"{flag} {value!r}", ["reduce", self.i("base.pixl"), flag, value, *how, "-o", o],
                         expect, creates=(o,) if expect == "ok" else ())
        self.add(r, "both --max-colors and --merge-rare", ["reduce", self.i("base.pixl"), "--max-colors", "3",
                 "--merge-rare", "2", "-o", self.out()])
        self.add(r, "neither --max-colors nor --merge-rare", ["reduce", self.i("base.pixl"), "-o", self.out()])
        self.add(r, "photo as input", ["reduce", self.i("photo.png"), "--max-colors", "3", "-o", self.out()])
        self.add(r, "--max-colors 1 on a 1000×1000 pattern", ["reduce", self.i("big1000.pixl"), "--max-colors", "1",
                 "-o", o := self.out()], "ok", creates=(o,), timeout=120)
        self.add(r, "--scale 20 on a 1000-cell pattern (PNG too large)", ["reduce", self.i("big1000.pixl"),
                 "--max-colors", "1", "--scale", "20", "-o", self.out("r.png")])

    # -- export ------------------------------------------------------------------------------------------------

    def export(self) -> None:
        e = "export"
        base = self.i("base.pixl")
        flags = [("--fabric-count", float, 6, 40, "stitch-pdf", False), ("--strands", int, 1, 6, "oxs", False),
                 ("--board", int, 4, 100, "bead-pdf", True), ("--cell-px", int, 1, 400, "png", True),
                 ("--spare-percent", float, 0, 100, "parts-csv", True), ("--trim-mm", float, 0.5, 100, "dst", True)]
        ext = {"stitch-pdf": "pdf", "oxs": "oxs", "bead-pdf": "pdf", "png": "png", "parts-csv": "csv", "dst": "dst"}
        for flag, kind, lo, hi, fmt, few in flags:
            pattern = self.i("lego.pixl") if fmt == "parts-csv" else base
            for value in values_for(hi, few):
                expect = number_expect(value, kind, lo, hi)
                o = self.out(f"x.{ext[fmt]}")
                extra = ["--chart", "color"] if fmt == "stitch-pdf" else []
                self.add(e, f"{fmt} {flag} {value!r}", ["export", pattern, "-f", fmt, flag, value, *extra, "-o", o],
                         expect, creates=(o,) if expect == "ok" else (), timeout=120)
        for hoop in ("0x0", "abcxdef", "1e9x1e9", "nanxnan"):
            self.add(e, f"pes --hoop {hoop!r}", ["export", base, "-f", "pes", "--hoop", hoop, "-o", self.out("x.pes")])
        for word in ("maybe",):
            self.add(e, f"pes --ties {word!r}", ["export", base, "-f", "pes", "--ties", word, "-o", self.out("x.pes")])
        self.add(e, "--no-ties with a value", ["export", base, "-f", "pes", "--no-ties=yes", "-o", self.out("x.pes")])
        self.add(e, "--wanted-list-id -1", ["export", self.i("lego.pixl"), "-f", "bricklink-xml", "--wanted-list-id",
                 "-1", "-o", self.out("x.xml")])
        self.add(e, "--base-color unknown", ["export", self.i("lego.pixl"), "-f", "parts-csv", "--base-color",
                 "Ultraviolet", "-o", self.out("x.csv")])
        self.add(e, "--title 201 characters", ["export", base, "-f", "oxs", "--title", "x" * 201, "-o",
                 self.out("x.oxs")])
        self.add(e, "--remarks 201 characters", ["export", self.i("lego.pixl"), "-f", "bricklink-xml", "--remarks",
                 "x" * 201, "-o", self.out("x.xml")])
        ctl = "a\x1b[31mb\x07c\r\nd\u202ef"
        self.add(e, "oxs --title with control characters", ["export", base, "-f", "oxs", "--title", ctl, "-o",
                 o := self.out("x.oxs")], "ok", creates=(o,))
        self.add(e, "stitch-pdf --title with control characters", ["export", base, "-f", "stitch-pdf", "--chart",
                 "color", "--title", ctl, "-o", o := self.out("x.pdf")], "ok", creates=(o,), timeout=120)
        self.add(e, "bricklink-xml --remarks with control characters", ["export", self.i("lego.pixl"), "-f",
                 "bricklink-xml", "--remarks", ctl, "-o", o := self.out("x.xml")], "ok", creates=(o,))
        self.add(e, "oxs --title non-UTF-8 bytes", ["export", base, "-f", "oxs", "--title", b"caf\xe9", "-o",
                 o := self.out("x.oxs")], "ok", creates=(o,))
        self.add(e, "unknown format", ["export", base, "-f", "jpeg", "-o", self.out("x.jpg")])
        self.add(e, "no format", ["export", base, "-o", self.out("x.pdf")])
        self.add(e, "no output", ["export", base, "-f", "png"])
        self.add(e, "--strands for png (not its option)", ["export", base, "-f", "png", "--strands", "2", "-o",
                 self.out("x.png")])
        self.add(e, "--paper unknown", ["export", base, "-f", "stitch-pdf", "--paper", "a3", "-o", self.out("x.pdf")])
        self.add(e, "photo as pattern", ["export", self.i("photo.png"), "-f", "png", "-o", self.out("x.png")])
        self.add(e, "brick format for a DMC pattern", ["export", base, "-f", "bricklink-xml", "-o", self.out("x.xml")])
        self.add(e, "stitch format for a LEGO pattern", ["export", self.i("lego.pixl"), "-f", "pes", "-o",
                 self.out("x.pes")])
        self.add(e, "pes: 1000×1000 pattern fits no hoop", ["export", self.i("big1000.pixl"), "-f", "pes", "-o",
                 self.out("x.pes")], timeout=60)
        self.add(e, "png: 1000 cells × 400 px (400,000 px side)", ["export", self.i("big1000.pixl"), "-f", "png",
                 "--cell-px", "400", "-o", self.out("x.png")], timeout=60)
        # finishing takes about 100 s on a 2-core machine: the timeout lets an unbounded page count show as such
        self.add(e, "bead-pdf: 1000×1000 on 4-peg boards (62,500 boards)", ["export", self.i("big1000.pixl"), "-f",
                 "bead-pdf", "--board", "4", "-o", self.out("x.pdf")], timeout=180)
        self.add(e, "--list with extras", ["export", "--list", "-f", "png"], "either")
        self.add(e, "output without extension gets one", ["export", base, "-f", "png", "-o",
                 (o := self.out("x.png")).with_suffix("")], "ok", creates=(o,))
        d = self.fx.case_dir() / "charts"
        d.mkdir()
        self.add(e, "output is an existing folder (writes inside)", ["export", base, "-f", "png", "-o", d], "ok",
                 creates=(d / "base.png",))
        self.add(e, "output folder/ that does not exist", ["export", base, "-f", "png", "-o",
                 f"{self.fx.case_dir() / 'nope'}/"])
        self.add(e, "png output named .pixl (over the input's kind)", ["export", base, "-f", "png", "-o",
                 o := self.out("x.pixl")], "either", creates=())

    # -- generate ----------------------------------------------------------------------------------------------

    def generate(self) -> None:
        g = "generate"

        def gen(label: str, *extra: Arg, until_models: bool = False, base: bool = True, out: Arg | None = None,
                size: tuple[str, str] = ("8", "8")) -> None:
            args: list[Arg] = ["generate"]
            if base:
                args += ["--prompt", "a red rose", "--width", size[0], "--height", size[1]]
            args += ["-o", out if out is not None else self.out(), "--no-download", *extra]
            self.add(g, label, args, "error", valid_until_models=until_models, timeout=60)

        gen("valid request, no models installed", until_models=True)
        for flag, lo, hi, few in (("--width", 1, 1000, False), ("--height", 1, 1000, True), ("--steps", 1, None, True),
                                  ("--canvas-side", 64, 4096, False), ("--max-colors", 1, 731, True)):
            for value in values_for(hi, few):
                valid = number_expect(value, int, lo, hi) == "ok"
                if flag == "--canvas-side" and valid:
                    valid = int(value) % 32 == 0
                if flag in ("--width", "--height"):
                    args = ["--prompt", "a rose", "--width" if flag == "--height" else "--height", "8", flag, value]
                    self.add(g, f"{flag} {value!r}", ["generate", *args, "-o", self.out(), "--no-download"],
                             valid_until_models=valid, timeout=60)
                else:
                    gen(f"{flag} {value!r}", flag, value, until_models=valid)
        for value in ("nan", "abc"):
            gen(f"--lora-scale {value!r}", "--lora-scale", value)
        size = ["--width", "8", "--height", "8"]
        gen("--prompt ''", "--prompt", "", *size, base=False)
        gen("--prompt of spaces", "--prompt", "   ", *size, base=False)
        gen("--prompt with control characters", "--prompt", "a\x1b[2Jrose\x07\r\n", *size, base=False,
            until_models=True)
        gen("--prompt 100,000 characters", "--prompt", "rose " * 20000, *size, base=False, until_models=True)
        gen("--width 1000 --height 1000 --canvas-side 64", "--canvas-side", "64", size=("1000", "1000"))
        for name in ("nope.png", "fifo.png", "trunc.png", "bomb.png"):
            gen(f"--image {name}", "--image", self.i(name))
        gen("--image with --init reference", "--image", self.i("photo.png"), "--init", "reference")
        gen("--init photo without --image", "--init", "photo")
        gen("--recipe unknown", "--recipe", "slow")
        gen("--cleanup-first without --image", "--cleanup-first", "classic")
        gen("--cleanup-first unknown", "--image", self.i("photo.png"), "--cleanup-first", "magic")
        gen("--save-reference with --image", "--image", self.i("photo.png"), "--save-reference", self.out("r.png"))
        gen("--save-reference .jpg", "--save-reference", self.out("r.jpg"))
        o = self.out("same.png")
        gen("--save-reference = -o", "--save-reference", o, out=o)
        gen("--palette unknown", "--palette", "nosuch")
        gen("--palette garbled file", "--palette", self.i("pal-garbled.csv"))
        gen("--palette of one colour", "--palette", self.i("pal-one.csv"))
        gen("--owned unknown codes", "--owned", "ZZZ")
        gen("--resume missing file", "--resume", self.i("nope.state"))
        gen("--resume garbled file", "--resume", self.i("text.png"))
        gen("--lora missing file", "--lora", self.i("nope.safetensors"))
        gen("--lora garbage file", "--lora", self.i("text.png"))
        gen("--device quantum", "--device", "quantum")
        gen("--device cuda:99", "--device", "cuda:99")
        gen("--base-model missing folder", "--base-model", str(self.fx.root / "no-such-model"))
        gen("--scale 0", "--scale", "0")
        gen("-o .jpg", out=self.out("x.jpg"))
        gen("-o in missing folder", out=self.fx.case_dir() / "nope" / "x.pixl")
        gen("-o /proc/x.pixl", out="/proc/x.pixl")
        d, photo = self.private("photo.png")
        gen("-o the --image photo", "--image", photo, out=photo)
        gen("no --prompt", *size, base=False)

    # -- models and addon --------------------------------------------------------------------------------------

    def models(self) -> None:
        m = "models"
        self.add(m, "list", ["models", "list"], "ok")
        self.add(m, "path", ["models", "path"], "ok")
        self.add(m, "list with an argument", ["models", "list", "all"])
        self.add(m, "no sub-command", ["models"])
        self.add(m, "unknown sub-command", ["models", "frob"])
        self.add(m, "download without a name", ["models", "download"])
        self.add(m, "download ''", ["models", "download", ""])
        self.add(m, "download unknown name", ["models", "download", "sdxl-turbo-9000"])
        self.add(m, "download 'all' with another name", ["models", "download", "all", "taesdxl"])
        self.add(m, "download --role unknown", ["models", "download", "x/y", "--role", "painter"])
        self.add(m, "download --precision fp8", ["models", "download", "taesdxl", "--precision", "fp8"])
        self.add(m, "download id with --role, downloads off", ["models", "download", "org/model", "--role", "vae"])
        self.add(m, "download path-like id with --role", ["models", "download", "../../etc", "--role", "vae"])
        self.add(m, "download 5,000-character name", ["models", "download", "a" * 5000])
        self.add(m, "download known name, downloads off", ["models", "download", "taesdxl"])
        self.add(m, "list with the model cache a file", ["models", "list"], "either",
                 env={"HF_HUB_CACHE": str(self.i("photo.png"))})

    def addon(self) -> None:
        a = "addon"
        self.add(a, "status", ["addon", "status"], "ok")
        self.add(a, "no sub-command", ["addon"])
        self.add(a, "unknown sub-command", ["addon", "update"])
        self.add(a, "status with an argument", ["addon", "status", "now"])
        self.add(a, "install --accelerator quantum", ["addon", "install", "--accelerator", "quantum"])
        self.add(a, "install --accelerator ''", ["addon", "install", "--accelerator", ""])
        self.add(a, "install with a stray argument", ["addon", "install", "everything"])
        self.add(a, "install --torch-index without a value", ["addon", "install", "--torch-index"])
        self.add(a, "remove --force", ["addon", "remove", "--force"])

    # -- outputs -----------------------------------------------------------------------------------------------

    def outputs(self) -> None:
        ro_expect = "error" if self.readonly_blocks else "ok"
        # convert: photo → .png output can name the photo itself
        for entry, cmd, name, suffix in (("convert", ["convert"], "photo.png", ".png"),
                                         ("cleanup", ["cleanup"], "tiny16.png", ".png"),
                                         ("reduce", ["reduce"], "base.pixl", ".pixl"),
                                         ("export", ["export"], "base.oxs", ".oxs")):
            tail: list[Arg] = {"reduce": ["--max-colors", "3"], "export": ["-f", "oxs"],
                               "cleanup": ["-m", "classic"]}.get(entry, [])
            d, src = self.private(name)
            self.add(entry, "output = input (same path)", [*cmd, src, *tail, "-o", src], keep=(src,))
            if entry in ("convert", "reduce"):
                d, src = self.private(name)
                self.add(entry, "output = input (./ spelling)", [*cmd, src, *tail, "-o", f"{d}/./{src.name}"],
                         keep=(src,))
            d, src = self.private(name)
            link = d / f"link{suffix}"
            link.symlink_to(src.name)
            self.add(entry, "output = symlink to input", [*cmd, src, *tail, "-o", link], keep=(src, link))
            d, src = self.private(name)
            hard = d / f"hard{suffix}"
            os.link(src, hard)
            self.add(entry, "output = hard link to input", [*cmd, src, *tail, "-o", hard], keep=(src, hard))
            inp = self.i(name)
            self.add(entry, "output in a missing folder", [*cmd, inp, *tail, "-o", self.fx.case_dir() / "no" /
                     f"x{suffix}"])
            if entry in ("convert", "export"):
                self.add(entry, "output under a file", [*cmd, inp, *tail, "-o", self.i("photo.jpg") / f"x{suffix}"])
            self.add(entry, "output in /proc", [*cmd, inp, *tail, "-o", f"/proc/x{suffix}"])
            o = self.readonly / f"x-{entry}{suffix}"
            self.add(entry, f"output in a read-only folder ({'blocks' if self.readonly_blocks else 'superuser'})",
                     [*cmd, inp, *tail, "-o", o], ro_expect, creates=(o,) if ro_expect == "ok" else ())
            folder = self.fx.case_dir() / f"folder{suffix}"
            folder.mkdir()
            if entry == "export":  # export -o DIR writes DIR/NAME.ext
                self.add(entry, "output is a folder named like a file (writes inside)", [*cmd, inp, *tail, "-o",
                         folder], "ok", creates=(folder / f"{inp.stem}{suffix}",))
            else:
                self.add(entry, "output is a folder named like a file", [*cmd, inp, *tail, "-o", folder])
            if entry != "export":
                folder2 = self.fx.case_dir() / "plainfolder"
                folder2.mkdir()
                self.add(entry, "output is an existing folder", [*cmd, inp, *tail, "-o", folder2])
            self.add(entry, "output name of 300 characters", [*cmd, inp, *tail, "-o", self.fx.case_dir() /
                     ("x" * 300 + suffix)])
            if entry in ("convert", "export"):
                self.add(entry, "output ''", [*cmd, inp, *tail, "-o", ""])
            o = self.fx.case_dir() / os.fsdecode(b"r\xe9sultat" + suffix.encode())
            self.add(entry, "output with a non-UTF-8 name", [*cmd, inp, *tail, "-o", o], "ok", creates=(o,))
            # an existing output must survive a failed run
            d = self.fx.case_dir()
            existing = write(d / f"keep{suffix}", b"precious existing output\n")
            broken = {"convert": "trunc.png", "cleanup": "trunc.png", "reduce": "pixl-trunc.pixl",
                      "export": "oxs-trunc.oxs"}[entry]
            self.add(entry, "failed run leaves an existing output alone", [*cmd, self.i(broken), *tail, "-o",
                     existing], keep=(existing,))
        self.add("convert", "output with a wrong suffix", ["convert", self.i("photo.png"), "-o", self.out("x.jpg")])
        self.add("convert", "output without a suffix", ["convert", self.i("photo.png"), "-o", self.out("x")])
        self.add("convert", "output '-'", ["convert", self.i("photo.png"), "-o", "-"])
        self.add("convert", "re-save .oxs onto itself", ["convert", (p := self.private("base.oxs")[1]), "-o", p],
                 keep=(p,))
        d = self.fx.case_dir()
        existing = write(d / "old.pixl", b"old")
        self.add("convert", "overwrite an existing output (allowed)", ["convert", self.i("photo.png"), "-o",
                 existing], "ok", creates=(existing,))
        self.add("convert", "upper-case .PIXL output", ["convert", self.i("photo.png"), "-o",
                 o := self.out("OUT.PIXL")], "ok", creates=(o,))
        self.add("export", "stitch-pdf both charts, -bw name is an existing folder",
                 ["export", self.i("base.pixl"), "-f", "stitch-pdf", "-o", (d := self.fx.case_dir()) / "c.pdf"],
                 "error")
        (d / "c-bw.pdf").mkdir()

    def pipes(self) -> None:
        p = "pipes"
        runs: list[tuple[str, list[Arg], str]] = [
            ("palettes show dmc | head -1", ["palettes", "show", "dmc"], "head"),
            ("palettes show dmc, reader gone", ["palettes", "show", "dmc"], "closed"),
            ("palettes list, reader gone", ["palettes", "list"], "closed"),
            ("export --list | head -1", ["export", "--list"], "head"),
            ("cleanup --list, reader gone", ["cleanup", "--list"], "closed"),
            ("models list, reader gone", ["models", "list"], "closed"),
            ("addon status, reader gone", ["addon", "status"], "closed"),
            ("--help, reader gone", ["--help"], "closed"),
            ("convert --help, reader gone", ["convert", "--help"], "closed"),
            ("--version, reader gone", ["--version"], "closed"),
            ("convert --stats, reader gone", ["convert", self.i("photo.png"), "-o", self.out(), "--stats"], "closed"),
            ("reduce --stats, reader gone", ["reduce", self.i("base.pixl"), "--max-colors", "3", "-o", self.out(),
                                             "--stats"], "closed"),
        ]
        for label, args, mode in runs:
            self.add(p, label, args, "quiet-exit", stdout=mode, timeout=60)
        self.add(p, "error message while stdout's reader is gone", ["palettes", "show", "nosuch"], "error",
                 stdout="closed")


