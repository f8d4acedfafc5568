"""Backstitch outline and smooth edges (issue 15).

    python -m benchmarks.outline

The three bundled sample photos, plus the peers' synthetic line art and the scikit-image logo, in DMC at 64 and
120 cells wide (default conversion settings): the mean CIEDE2000 over half cells against the photo without and
with ``--smooth-edges`` (measured on the four triangles a cell's two diagonals cut it into — every half cell of
either diagonal is two of them — so a full cross and a split cell are measured on the same pieces), the cells
split, and with ``--outline auto`` the backstitch length in cells, the runs per 100 cells and the thread.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import load_photo, photo_from_array
    from pixlcraft.outline import outline_pattern
    from pixlcraft.palette import load_builtin
    from pixlcraft.smooth_edges import smooth_edges, triangle_error

    palette = load_builtin("dmc")
    photos = [(p.stem, load_photo(p)) for p in sorted((ROOT / "resources" / "samples").glob("*.jpg"))]
    try:
        from skimage import data

        from benchmarks.peers.subjects import _over_white, synthetic_line_art

        photos += [("line art", photo_from_array(synthetic_line_art())),
                   ("logo", photo_from_array(_over_white(data.logo())))]
    except ImportError as e:  # the synthetic subjects need scikit-image
        print(f"(skipping line art and logo: {e})", file=sys.stderr)
    print("| photo | width | ΔE00 half cells | with --smooth-edges | cells split | outline length (cells) "
          "| runs / 100 cells | thread | time outline / smooth |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for name, photo in photos:
        for width in (64, 120):
            pattern = convert_photo(photo, palette, ConvertOptions(width=width)).pattern
            t0 = time.perf_counter()
            outlined = outline_pattern(pattern, photo, "auto")
            t1 = time.perf_counter()
            smoothed = smooth_edges(pattern, photo)
            t2 = time.perf_counter()
            lines = outlined.layers.backstitches
            cells = pattern.width * pattern.height
            thread = palette[int(lines.colour[0])].code if len(lines) else "–"
            split = smoothed.empty_count - pattern.empty_count
            print(f"| {name} | {pattern.width}×{pattern.height} | {triangle_error(pattern, photo):.2f} "
                  f"| {triangle_error(smoothed, photo):.2f} | {split} ({100 * split / cells:.1f} %) "
                  f"| {lines.lengths().sum():.0f} | {100 * len(lines) / cells:.2f} | {thread} "
                  f"| {t1 - t0:.2f} / {t2 - t1:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
