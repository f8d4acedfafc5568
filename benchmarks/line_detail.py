"""Thin lines and photos under the detail modes (issue 13, part 2).

    python -m benchmarks.line_detail

1. Line art: white pictures crossed by 12 random anti-aliased black lines 2 or 3 pixels wide, 10 pixels a
   cell (60×45 cells), four seeds, DMC and Perler: the share of the cells a line crosses that come out darker
   than the midpoint between line and ground (goal ≥ 80 %), and their mean lightness (0–255).
2. Photos: the bundled samples at DMC 120 wide and Perler 64 wide, 32 colours: the per-cell CIEDE2000 against
   the plain linear-light cell average, with ``--detail auto`` and ``average`` (goal: auto within +3 %).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PPC = 10


def line_art(seed: int, thickness: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(seed)
    img = np.full((45 * PPC, 60 * PPC, 3), 255, np.uint8)
    for _ in range(12):
        a = tuple(int(v) for v in rng.integers(0, [60 * PPC, 45 * PPC]))
        b = tuple(int(v) for v in rng.integers(0, [60 * PPC, 45 * PPC]))
        cv2.line(img, a, b, (0, 0, 0), thickness, cv2.LINE_AA)
    return img


def main() -> int:
    import cv2

    from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size
    from pixlcraft.imageio import load_photo, photo_from_array
    from pixlcraft.palette import load_builtin
    from pixlcraft.quality import error_to_average

    print("| palette | line width | detail | crossed cells dark | their mean lightness |")
    print("| --- | --- | --- | --- | --- |")
    for name in ("dmc", "perler"):
        pal = load_builtin(name)
        for thickness in (2, 3):
            for detail in ("average", "auto"):
                kept, light = [], []
                for seed in range(4):
                    img = line_art(seed, thickness)
                    options = ConvertOptions(width=60, detail=detail)
                    grid = convert_photo(photo_from_array(img), pal, options).pattern.grid
                    crossed = cv2.resize((img.min(-1) < 128).astype(np.float32), (60, 45),
                                         interpolation=cv2.INTER_AREA) > 0
                    luma = pal.rgb[grid].astype(float) @ [0.2126, 0.7152, 0.0722]
                    kept.append((luma[crossed] < 127.5).mean())
                    light.append(luma[crossed].mean())
                print(f"| {name} | {thickness} px | {detail} | {100 * np.mean(kept):.0f} % | {np.mean(light):.0f} |")
    print("\n| palette, width | photo | per-cell ΔE00, average | auto | change |\n| --- | --- | --- | --- | --- |")
    for name, width in (("dmc", 120), ("perler", 64)):
        pal = load_builtin(name)
        for path in sorted((ROOT / "resources" / "samples").glob("*.jpg")):
            photo = load_photo(path)
            err = {}
            for detail in ("average", "auto"):
                options = ConvertOptions(width=width, detail=detail, max_colors=32)
                grid = convert_photo(photo, pal, options).pattern.grid
                w, h, crop = resolve_size(photo, options)
                err[detail] = error_to_average(grid, pal, cell_colors(photo, w, h, crop)[0])
            change = 100 * (err["auto"] / err["average"] - 1)
            print(f"| {name} {width} | {path.name} | {err['average']:.3f} | {err['auto']:.3f} | {change:+.1f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
