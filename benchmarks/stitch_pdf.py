"""Cross-stitch chart PDF speed and size: a 200×200 pattern with 50 DMC colours (goal ≤ 3 s, ≤ 3 MB).

Two patterns: the astronaut photo converted to 200×200 cells with a 50-colour budget (a real chart), and a
worst case where every cell is an independent random choice among 50 colours (no runs of one colour to merge, the
most symbols to switch between). For each, the median wall time of ``export(..., "stitch-pdf")`` over a few runs
after a warm-up, for the colour chart alone and for ``chart=both`` (colour + black-and-white files), with the file
sizes and page counts.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from pixlcraft.export import export
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern


def photo_pattern() -> Pattern:
    from benchmarks._photos import astronaut
    from pixlcraft.convert import ConvertOptions, convert_photo

    result = convert_photo(astronaut(600), load_builtin("dmc"), ConvertOptions(width=200, height=200, max_colors=50))
    return result.pattern


def noise_pattern(seed: int = 0) -> Pattern:
    dmc = load_builtin("dmc")
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(dmc), 50, replace=False)
    grid = idx[rng.integers(0, 50, (200, 200))].astype(np.int16)
    return Pattern(grid, dmc, {"title": "Noise 200×200, 50 colours"})


def measure(pattern: Pattern, chart: str, folder: Path, repeats: int) -> tuple[list[float], list[Path]]:
    out = folder / f"bench-{chart}.pdf"
    export(pattern, "stitch-pdf", out, {"chart": chart})  # warm-up: fonts, glyph metrics
    times = []
    files: list[Path] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        files = export(pattern, "stitch-pdf", out, {"chart": chart})
        times.append(time.perf_counter() - t0)
    return times, files


def main(repeats: int = 5) -> None:
    from pypdf import PdfReader

    for name, pattern in (("astronaut", photo_pattern()), ("random noise", noise_pattern())):
        colours = len(pattern.used_indices())
        with tempfile.TemporaryDirectory() as tmp:
            for chart in ("color", "both"):
                times, files = measure(pattern, chart, Path(tmp), repeats)
                sizes = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.2f} MB ({len(PdfReader(f).pages)} pages)"
                                  for f in files)
                print(f"{name} {pattern.width}×{pattern.height}, {colours} colours, chart={chart}: median "
                      f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={repeats}); "
                      f"{sizes}")


if __name__ == "__main__":
    main()
