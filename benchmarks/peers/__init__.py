"""PixlCraft's classic converter against the converters a user could pick instead, all scored the same way.

What runs (each peer is optional: one that is not installed is skipped with a message saying why):

* **PixlCraft**: :func:`pixlcraft.convert.convert_photo` with ``ConvertOptions(width=W, max_colors=K)`` (the
  defaults: exact CIEDE2000 nearest colour, best-K budget, line/flat-graphics detail, confetti clean-up), the
  same with ``dither="floyd-steinberg"``, and with ``detail="average"`` (the plain cell averages of before).
* **image-q** (npm ``image-q``, run under node by a small script written to the output folder at run time):
  our palette given as a fixed palette, mapped with the CIEDE2000 distance, both by nearest colour
  ("image-q nearest") and with Floyd–Steinberg error diffusion ("image-q FS"). Under a colour budget K its
  Wu quantiser first builds K colours from the cells, each is snapped to the nearest palette colour by
  CIEDE2000, and those become the fixed palette; with no budget the whole palette is the fixed palette.
* **libimagequant** (pip ``imagequant``): quantise to K colours (no dithering, and its default full dithering
  as "libimagequant dither"), then snap each of its colours to the nearest palette colour by CIEDE2000.
* **k-means in Lab** (scikit-learn ``KMeans``, k-means++ start, fixed seed): K clusters of the cells' Lab
  colours, each centre snapped to the nearest palette colour by CIEDE2000.
* **legopic** (pip ``legopic``, a LEGO-mosaic maker that takes any palette): its per-cell CIEDE2000 match
  ("legopic", the quantise step of its "classic" profile) and its serpentine Floyd–Steinberg ("legopic
  dithered"). It has no colour budget, so it runs only where the budget is "all".

Peers that need a K get 64 where the budget is "all"; PixlCraft's "all" is ``max_colors=None`` (as many as the
photo needs, up to the 151 a chart can label with one-glyph symbols). Every peer may use exactly the palette
colours PixlCraft may (:func:`pixlcraft.convert.usable_colors`).

**Same cells for everyone.** A peer knows nothing about stitches, so it gets what a user would give it after
resizing the photo first: the photo area-averaged to W cells wide in linear light
(:func:`pixlcraft.convert.resolve_size` and :func:`pixlcraft.convert.cell_colors`), as 8-bit sRGB where the
peer wants pixels. Only PixlCraft sees the full photo (its default ``detail="auto"`` uses it to keep thin
lines; ``detail="average"`` does not). The reference for every metric is those cells.

Photos (none of them the project's own samples). No internet, so they come from packages' bundled data or are
drawn here:

* ``portrait``: Grace Hopper (US Navy official photo, public domain), bundled with matplotlib as sample data;
* ``portrait_grey``: scikit-image's ``camera()`` (the cameraman, grey: shows colour casts on neutral tones);
* ``sky``: a synthetic sunset gradient (deep blue → pale blue → orange) with a soft sun glow;
* ``sky_photo``: scikit-image's ``rocket()`` (a launch against a clear blue sky);
* ``line_art``: synthetic, white with 2–3 px anti-aliased black lines (drawn at 4× and area-reduced);
* ``logo``: scikit-image's ``logo()`` composited onto white (flat colours, anti-aliased edges);
* ``busy``: scikit-image's ``stereo_motorcycle()`` left view (no street scene is bundled; a cluttered garage
  full of small coloured objects stands in for the busy street);
* ``pet``: scikit-image's ``cat()``: the only pet photo bundled anywhere offline. It is the same photo as the
  shipped ``chelsea.jpg`` sample, so it is cropped here to the cat's head (a different framing and scale).

Metrics, per tool × photo × palette × width × budget (functions below): mean per-cell ΔE00 to the cells;
blurred ΔE00 (:func:`pixlcraft.quality.blurred_delta_e`, σ = 1 cell in linear light); confetti share;
line recall on line art; mean signed chroma shift ΔC*ab over all cells and over skin-tone cells; seconds per
conversion (PixlCraft from the photo, including its own cell averaging; peers from the cells; image-q's time
is measured inside node and leaves out node's start-up). A contact sheet per photo/palette/width/budget
(every cell an 8×8 block, the reference cells first) goes to ``OUT/sheets``; the tables go to stdout and to
``OUT/results.md``, every row to ``OUT/results.jsonl``.

Run from the project root, in an environment that has PixlCraft's requirements and the peers (not the
project's own virtualenv: the peers are never project dependencies)::

    PYTHONPATH=. /work/peers-env/bin/python -m benchmarks.peers [--out /tmp/peers_out] [--quick]

``--node-modules`` (default ``/work/peers-env/node/node_modules``) is where ``npm install image-q`` put it.
Each conversion is timed as the best of ``--repeats`` runs (2): on a shared machine single timings of the
multi-threaded converters vary by 20× (another process holding a core stalls every parallel region). The
full run (8 photos × 2 palettes × 2 widths × 3 budgets) takes about 15 minutes on 2 busy cores; ``--quick``
(DMC, width 64, budgets 32 and all) under a minute.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .output import report, run_all, warm_up
from .settings import PALETTES, WIDTHS
from .subjects import load_subjects
from .tools import available_tools


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/peers_out"))
    ap.add_argument("--node-modules", type=Path, default=Path("/work/peers-env/node/node_modules"))
    ap.add_argument("--photos", help="comma-separated subset of the photos")
    ap.add_argument("--tools", help="comma-separated subset of the tools (by name)")
    ap.add_argument("--palettes", default=",".join(PALETTES))
    ap.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    ap.add_argument("--budgets", default="16,32,all")
    ap.add_argument("--quick", action="store_true", help="width 64, budget 32 and all, DMC only")
    ap.add_argument("--no-sheets", action="store_true")
    ap.add_argument("--repeats", type=int, default=2, help="time each conversion as the best of this many runs")
    args = ap.parse_args(argv)
    if args.quick:
        args.palettes, args.widths, args.budgets = "dmc", "64", "32,all"
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    budgets = [None if b == "all" else int(b) for b in args.budgets.split(",")]
    subjects = load_subjects(args.photos.split(",") if args.photos else None)
    tools, skipped = available_tools(args.node_modules, out / "work",
                                     set(args.tools.split(",")) if args.tools else None)
    for msg in skipped:
        print(f"[skip] {msg}", file=sys.stderr)
    if not subjects or not tools:
        raise SystemExit("nothing to run")
    t0 = time.perf_counter()
    warm_up(tools, subjects)
    print(f"warm-up {time.perf_counter() - t0:.1f} s; tools: {', '.join(t.name for t in tools)}", flush=True)
    rows = run_all(subjects, tools, args.palettes.split(","), [int(w) for w in args.widths.split(",")], budgets,
                   out, sheets=not args.no_sheets, repeats=max(1, args.repeats))
    md = report(rows, tools, subjects, skipped)
    (out / "results.md").write_text(md, encoding="utf-8")
    print(md)
    print(f"total {time.perf_counter() - t0:.0f} s; sheets in {out / 'sheets'}")

