"""Dithering judged as people see a pattern: from a distance (issue 13, part 1).

    python -m benchmarks.dither_quality

For the bundled sample photos, Perler at 64 wide with 16 colours and at 120 wide with 32, and DMC at 64/16 and
120/32, each pattern is scored by :func:`pixlcraft.quality.blurred_delta_e` (pattern and photo cells both
blurred by a Gaussian of one cell in linear light, then mean CIEDE2000), with no dithering, Floyd–Steinberg and
ordered dithering, plus the per-cell error and the confetti share that dithering trades for it. Goal: every
dithered pattern closer to the photo from a distance than the undithered one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [("perler", 64, 16), ("perler", 120, 32), ("dmc", 64, 16), ("dmc", 120, 32)]
METHODS = ("none", "floyd-steinberg", "ordered")


def main() -> int:
    from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin
    from pixlcraft.quality import blurred_delta_e

    print("| palette, width, budget | photo | " + " | ".join(f"{m}: blurred / per-cell / confetti" for m in METHODS)
          + " |")
    print("| --- | --- |" + " --- |" * len(METHODS))
    worse = 0
    for name, width, budget in CONFIGS:
        palette = load_builtin(name)
        for path in sorted((ROOT / "resources" / "samples").glob("*.jpg")):
            photo = load_photo(path)
            cells = []
            scores = {}
            for method in METHODS:
                options = ConvertOptions(width=width, max_colors=budget, dither=method)
                start = time.perf_counter()
                made = convert_photo(photo, palette, options)
                took = time.perf_counter() - start
                w, h, crop = resolve_size(photo, options)
                scores[method] = blurred_delta_e(made.pattern.grid, palette, cell_colors(photo, w, h, crop)[0])
                cells.append(f"{scores[method]:.2f} / {made.stats['mean_delta_e']:.2f} / "
                             f"{100 * made.stats['confetti_share']:.0f} % ({took:.2f} s)")
            worse += sum(scores[m] >= scores["none"] for m in METHODS[1:])
            print(f"| {name} {width} {budget} | {path.name} | " + " | ".join(cells) + " |")
    print(f"\ndithered patterns not closer from a distance than undithered: {worse}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
