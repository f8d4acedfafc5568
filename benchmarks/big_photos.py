"""Peak memory and time of a whole `pixlcraft convert` from big photos (issue 12, item 10).

    python -m benchmarks.big_photos [--keep FOLDER]

The photos are made here (block-coloured pictures compress small, like the 280 KB 88 MP file of the report):
a 24 MP and an 88 MP RGB PNG, a 200 MP RGB PNG, a 200 MP palette PNG and a 200 MP JPEG (16320×12240, a 200 MP
phone sensor). Each is converted to a 200-wide DMC pattern in a child process whose peak resident memory
(VmHWM) is read from /proc when it ends. Goal: every accepted photo under about 1 GB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SIZES = {"24 MP PNG": (6000, 4000), "88 MP PNG": (11500, 7650), "200 MP PNG": (16320, 12240)}

_CHILD = """
import re, sys
from pathlib import Path
from pixlcraft.cli import main
code = main(["convert", sys.argv[1], "--palette", "dmc", "--width", "200", "-o", sys.argv[2]])
peak = int(re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1))
print("PEAK", peak // 1024, "EXIT", code)
"""


def make_photos(folder: Path) -> dict[str, Path]:
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = None
    rng = np.random.default_rng(0)
    out = {}
    for name, (w, h) in SIZES.items():
        blocks = (rng.random((h // 200 + 1, w // 200 + 1, 3)) * 255).astype(np.uint8)
        im = Image.fromarray(blocks).resize((w, h), Image.Resampling.NEAREST)
        out[name] = folder / f"{name.replace(' ', '_')}.png"
        im.save(out[name], compress_level=1)
        if name.startswith("200"):
            out["200 MP palette PNG"] = folder / "200_palette.png"
            im.convert("P", palette=Image.Palette.ADAPTIVE, colors=64).save(out["200 MP palette PNG"],
                                                                            compress_level=1)
            out["200 MP JPEG"] = folder / "200.jpg"
            im.save(out["200 MP JPEG"], quality=85)
        im.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="make the photos in this folder and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        photos = make_photos(folder)
        print("| photo | file size | peak memory | time | result |\n| --- | --- | --- | --- | --- |")
        for name, path in photos.items():
            start = time.perf_counter()
            run = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(folder / "out.pixl")],
                                 capture_output=True, text=True)
            took = time.perf_counter() - start
            words = run.stdout.split()
            peak = words[words.index("PEAK") + 1] if "PEAK" in words else "?"
            result = "pattern made" if run.returncode == 0 and "EXIT 0" in run.stdout else run.stderr.strip()[-80:]
            print(f"| {name} | {path.stat().st_size / 1e6:.1f} MB | {peak} MB | {took:.1f} s | {result} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
