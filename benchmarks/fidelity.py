"""Fidelity against a naive converter on scikit-image's astronaut at colour budgets 12/24/48.

Naive = what many simple tools do: resize in sRGB, nearest palette colour by RGB distance, keep the K most used
colours and re-map by RGB distance, no clean-up. Both are scored the same way: mean CIEDE2000 between each cell's
colour and the area-averaged photo (averaged in linear light), and the share of confetti cells.
"""

from __future__ import annotations

import cv2
import numpy as np

from benchmarks._photos import astronaut
from pixlcraft.color import ciede2000
from pixlcraft.confetti import confetti_share
from pixlcraft.convert import ConvertOptions, convert_photo
from pixlcraft.palette import load_builtin


def naive(photo_srgb8: np.ndarray, palette_rgb: np.ndarray, width: int, height: int, k: int) -> np.ndarray:
    small = cv2.resize(photo_srgb8, (width, height), interpolation=cv2.INTER_AREA).astype(np.float64)
    pal = palette_rgb.astype(np.float64)
    d = ((small[:, :, None, :] - pal[None, None]) ** 2).sum(-1)
    idx = d.argmin(-1)
    keep = np.argsort(-np.bincount(idx.ravel(), minlength=len(pal)))[:k]
    idx2 = keep[d[:, :, keep].argmin(-1)]
    return idx2


def main(width: int = 100) -> None:
    photo = astronaut()
    palette = load_builtin("dmc")
    srgb8 = np.round(photo.srgb * 255).astype(np.uint8)
    print(f"astronaut {photo.width}×{photo.height} → {width}×{width} cells, DMC")
    print(f"{'K':>3} | {'ours ΔE00':>9} {'ours confetti':>13} | {'naive ΔE00':>10} {'naive confetti':>14}")
    for k in (12, 24, 48):
        res = convert_photo(photo, palette, ConvertOptions(width=width, max_colors=k))
        ours_de = res.stats["mean_delta_e"]
        ours_conf = res.stats["confetti_share"]
        nv = naive(srgb8, palette.rgb, width, width, k)
        nv_de = float(ciede2000(res.cell_lab, palette.lab[nv]).mean())
        nv_conf = confetti_share(nv.astype(np.int16))
        print(f"{k:>3} | {ours_de:>9.2f} {100 * ours_conf:>12.1f}% | {nv_de:>10.2f} {100 * nv_conf:>13.1f}%")


if __name__ == "__main__":
    main()
