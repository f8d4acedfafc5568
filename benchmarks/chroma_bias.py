"""Saturated patches at small colour budgets (issue 13, part 3): chroma bias with and without the charge.

    python -m benchmarks.chroma_bias

The colour budget picks K colours by CIEDE2000, which discounts chroma differences between saturated colours;
:data:`pixlcraft.budget.OVERSATURATION` charges colours more saturated than the cells they serve. For the
sample photos plus scikit-image's rocket (a dusk sky) and retina, at Perler 64 wide with 16 colours, Hama 80
wide with 24 and DMC 64 wide with 16, this prints with the charge off and on: mean CIEDE2000 per cell, the
error seen from a distance (blurred by one cell), the mean signed ΔC*ab (output minus cell) over the whole
picture and over skin-tone cells (hue 25–75°, C* 12–45, L* 45–85), and the share of cells more than 15 C* too
saturated (the patches one sees).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [("perler", 64, 16), ("hama", 80, 24), ("dmc", 64, 16)]


def photos() -> dict[str, np.ndarray]:
    import skimage.data
    from PIL import Image

    samples = sorted((ROOT / "resources" / "samples").glob("*.jpg"))
    out = {p.stem: np.asarray(Image.open(p).convert("RGB")) for p in samples}
    out["rocket"] = skimage.data.rocket()
    out["retina"] = skimage.data.retina()
    return out


def main() -> int:
    from pixlcraft import budget
    from pixlcraft.color import ciede2000, linear_to_lab
    from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size
    from pixlcraft.imageio import photo_from_array
    from pixlcraft.palette import load_builtin
    from pixlcraft.quality import blurred_delta_e

    charge = budget.OVERSATURATION
    print("| palette, width, K | photo | charge | ΔE00 | blurred | ΔC* all | ΔC* skin | cells > 15 C* over |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    totals: dict[float, list[tuple[float, float, float]]] = {0.0: [], charge: []}
    for name, width, k in CONFIGS:
        pal = load_builtin(name)
        for label, arr in photos().items():
            photo = photo_from_array(arr, label)
            options = ConvertOptions(width=width, max_colors=k, detail="average")
            w, h, crop = resolve_size(photo, options)
            average = cell_colors(photo, w, h, crop)[0]
            ref = linear_to_lab(average.astype(np.float64))
            hue = np.degrees(np.arctan2(ref[..., 2], ref[..., 1])) % 360
            chroma = np.hypot(ref[..., 1], ref[..., 2])
            skin = (hue > 25) & (hue < 75) & (chroma > 12) & (chroma < 45) & (ref[..., 0] > 45) & (ref[..., 0] < 85)
            for c in (0.0, charge):
                budget.OVERSATURATION = c
                grid = convert_photo(photo, pal, options).pattern.grid
                got = pal.lab[grid]
                over = np.hypot(got[..., 1], got[..., 2]) - chroma
                de = float(ciede2000(ref, got).mean())
                blurred = blurred_delta_e(grid, pal, average)
                totals[c].append((de, blurred, float((over > 15).mean())))
                skin_text = f"{over[skin].mean():+.2f}" if skin.any() else "–"
                print(f"| {name} {width} {k} | {label} | {c:g} | {de:.2f} | {blurred:.2f} | {over.mean():+.2f} | "
                      f"{skin_text} | {100 * (over > 15).mean():.1f} % |")
    budget.OVERSATURATION = charge
    for c, rows in totals.items():
        de, blurred, over = np.mean(rows, axis=0)
        print(f"\nmean with charge {c:g}: ΔE00 {de:.3f}, blurred {blurred:.3f}, cells > 15 C* over {100 * over:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
