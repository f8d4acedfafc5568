"""Classic converter speed: 1024² photo → 200×200 cells, full DMC palette, exact CIEDE2000, clean-up on.

Prints the median in-process time of ``convert_photo`` (the photo already decoded), then the time of brute
force over all palette colours with scikit-image's ``deltaE_ciede2000`` on the same cell colours, the ratio,
and whether the nearest-colour assignments are identical.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from benchmarks._photos import astronaut
from pixlcraft.color import linear_to_lab
from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo
from pixlcraft.nearest import nearest_colors
from pixlcraft.palette import load_builtin


def main(repeats: int = 7) -> None:
    photo = astronaut(1024)
    palette = load_builtin("dmc")
    options = ConvertOptions(width=200, height=200)
    convert_photo(photo, palette, options)  # warm-up: numba compile / cache load
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = convert_photo(photo, palette, options)
        times.append(time.perf_counter() - t0)
    ours = statistics.median(times)
    print(f"convert 1024² → 200×200, DMC ({len(palette)} colours), clean-up on: median {ours * 1000:.0f} ms "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, n={repeats}); "
          f"{result.confetti_removed} confetti cells cleaned")

    from skimage.color import deltaE_ciede2000

    linear, _ = cell_colors(photo, 200, 200)
    lab = linear_to_lab(linear.astype(np.float64)).reshape(-1, 3)
    t0 = time.perf_counter()
    nearest_ms = []
    for _ in range(3):
        t1 = time.perf_counter()
        idx, _ = nearest_colors(lab, palette.lab)
        nearest_ms.append(time.perf_counter() - t1)
    t0 = time.perf_counter()
    brute = np.empty(len(lab), np.int64)
    for s in range(0, len(lab), 2000):
        d = deltaE_ciede2000(lab[s : s + 2000, None, :], palette.lab[None, :, :])
        brute[s : s + 2000] = d.argmin(axis=1)
    brute_t = time.perf_counter() - t0
    same = int((brute == idx).sum())
    print(f"nearest colour alone: median {statistics.median(nearest_ms) * 1000:.0f} ms; "
          f"skimage brute force: {brute_t * 1000:.0f} ms; "
          f"ratio brute/ours(nearest) {brute_t / statistics.median(nearest_ms):.0f}×, "
          f"brute/ours(whole convert) {brute_t / ours:.1f}×; identical assignments {same}/{len(lab)}")


if __name__ == "__main__":
    main()
