"""A 12 MP phone JPEG → 200-wide full-DMC pattern in the app's job function, and re-making it after a change.

    python -m benchmarks.live_preview [--runs 5]

The photo is made here: the bundled chelsea photo enlarged to 4032×3024 with sensor-like noise, saved as a
quality-92 JPEG with an embedded sRGB ICC profile and an EXIF "rotate 90°" tag, as phones write them (the
profile conversion and the rotation are part of a real decode). Figures, medians of ``--runs``:

1. first time: ``make_classic`` from the file (decode at the pattern's size + convert), numba warm;
2. re-make after a settings change, from the decoded photo the window keeps: budget 24 → 30, dithering on,
   width 200 → 180, another brand;
3. the same pattern from the whole photo decoded at full size, as before: time, and how many cells differ
   (the draft decode averages 4+ pixels per cell from a DCT-scaled image instead of 15+ from the full one);
4. a photo below the draft threshold (the 512² sample): draft and full decode must give identical cells.

Goals (issue 10): first time ≤ 0.8 s; re-make ≤ 150 ms; identical assignments whenever draft is not used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def phone_jpeg(folder: Path) -> Path:
    from PIL import Image, ImageCms

    im = Image.open(ROOT / "resources" / "samples" / "chelsea.jpg").convert("RGB").resize((4032, 3024),
                                                                                        Image.BICUBIC)
    noisy = np.asarray(im).astype(np.int16) + np.random.default_rng(0).integers(-6, 7, (3024, 4032, 3))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = folder / "phone.jpg"
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(
        path, quality=92, icc_profile=ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes(),
        exif=exif.tobytes())
    return path


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args(argv)
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.gui.source_panel import MakeRequest, make_classic
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin

    with tempfile.TemporaryDirectory() as tmp:
        photo_path = str(phone_jpeg(Path(tmp)))
        make_classic(MakeRequest(photo_path=str(ROOT / "resources" / "samples" / "astronaut.jpg"), width=40))
        base = MakeRequest(photo_path=photo_path, width=200, max_colors=24)
        first, made = timed(lambda: make_classic(base), a.runs)
        print(f"12 MP JPEG → 200-wide full-DMC pattern, first time (decode included): {first * 1000:.0f} ms "
              f"(decoded at {made.photo.width}×{made.photo.height} of {made.photo.full_size}); goal ≤ 800 ms")
        changes = {"budget 24 → 30": {"max_colors": 30}, "dithering on": {"dither": True},
                   "width 200 → 180": {"width": 180}, "brand DMC → Perler": {"palette": "perler"}}
        for label, change in changes.items():
            request = MakeRequest(**{**base.__dict__, **change})
            t, _ = timed(lambda r=request: make_classic(r, photo=made.photo), a.runs)
            print(f"  re-make after a change ({label}): {t * 1000:.0f} ms; goal ≤ 150 ms")
        dmc = load_builtin("dmc")
        full_t, full = timed(lambda: convert_photo(load_photo(photo_path), dmc,
                                                   ConvertOptions(width=200, max_colors=24)), max(1, a.runs // 2))
        differ = float((full.pattern.rgb_image() != made.pattern.rgb_image()).any(-1).mean())
        print(f"the same from the whole photo (full decode, as before): {full_t * 1000:.0f} ms; cells that differ "
              f"from the draft-decoded pattern: {differ:.1%}")
    sample = ROOT / "resources" / "samples" / "astronaut.jpg"
    a1 = convert_photo(load_photo(sample, (200, None)), dmc, ConvertOptions(width=200, max_colors=24)).pattern
    a2 = convert_photo(load_photo(sample), dmc, ConvertOptions(width=200, max_colors=24)).pattern
    print(f"512² sample (below the draft threshold): identical assignments {bool(np.array_equal(a1.grid, a2.grid))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
