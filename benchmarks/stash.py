"""Patterns from a stash (issue 16): how fast the exact stock-limited assignment is, and what it costs.

    python -m benchmarks.stash

* **LEGO Art remix**: a 48×48 mosaic of each sample photo from 3 copies of LEGO Art 31197 (Andy Warhol's
  Marilyn Monroe, 7 colours) — Lego Art Remix's use case; the whole conversion's time and the assignment's.
* **DMC, 200×200, a 60-skein stash**: one skein each of 60 colours, two ways — the 60 the unconstrained
  pattern uses most (the stock binds on the big areas) and a "starter box" of every 8th DMC colour.
* **the cost of the constraint**: mean CIEDE2000 to the photo's cells with the stash against without it
  (no budget, the whole palette), and how many cells had to take another colour; and the blended mode with up
  to 3 colours bought.

Times are wall-clock medians of 3 on whatever machine runs this (the numba kernels warmed up first).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _timed(fn, repeat: int = 3):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return out, statistics.median(times)


def _mean_de(result) -> float:
    from pixlcraft.color import ciede2000

    g = result.pattern.grid
    m = g >= 0
    return float(ciede2000(result.cell_lab[m], result.pattern.palette.lab[g[m]]).mean())


def main() -> int:
    from pixlcraft.capacity import fit_capacity
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import load_photo
    from pixlcraft.nearest import nearest_colors
    from pixlcraft.palette import load_builtin
    from pixlcraft.purchase import BuyPlan
    from pixlcraft.stash import Stash
    from pixlcraft.stash.lego_art import set_stash
    from pixlcraft.stash.use import capacity_for, rule_for

    photos = [(p.stem, load_photo(p)) for p in sorted((ROOT / "resources" / "samples").glob("*.jpg"))]
    lego = load_builtin("lego")
    art = set_stash("31197", 3)
    cap = capacity_for(lego, art)
    convert_photo(photos[0][1], lego, ConvertOptions(width=48, height=48, capacity=cap))  # warm the kernels
    print("### LEGO Art remix: 48×48 from 3 × 31197 (7 colours, 9,462 round tiles)\n")
    print("| photo | free ΔE00 | stash ΔE00 | cells moved | convert (stash) | convert (free) | assignment |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, photo in photos:
        free, t_free = _timed(lambda p=photo: convert_photo(p, lego, ConvertOptions(width=48, height=48)))
        res, t_stash = _timed(lambda p=photo: convert_photo(p, lego, ConvertOptions(width=48, height=48,
                                                                                  capacity=cap)))
        allowed = np.flatnonzero(np.asarray(cap) > 0)
        lab = res.cell_lab.reshape(-1, 3)
        idx, _ = nearest_colors(lab, lego.lab, allowed=allowed)
        _, t_fit = _timed(lambda i=idx, lab=lab, a=allowed: fit_capacity(i, lab, lego.lab, np.asarray(cap), a))
        print(f"| {name} | {_mean_de(free):.2f} | {_mean_de(res):.2f} | {int(res.stats['moved_for_stock']):,} "
              f"| {t_stash:.2f} s | {t_free:.2f} s | {t_fit:.3f} s |")

    dmc = load_builtin("dmc")
    rule = rule_for(dmc)
    print("\n### DMC 200×200, a 60-skein stash (one skein of each of 60 colours)\n")
    print("| photo | stash | free ΔE00 (489 colours) | stash ΔE00 | + up to 3 bought | cells moved | convert (stash) "
          "| assignment |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name, photo in photos:
        opts = ConvertOptions(width=200, height=200, max_colors=None)
        free, _ = _timed(lambda p=photo, o=opts: convert_photo(p, dmc, o), repeat=1)
        counts = free.pattern.counts()
        top60 = np.argsort(-counts)[:60]
        starter = np.arange(0, len(dmc), 8)[:60]
        for label, picks in (("its top 60", top60), ("every 8th", starter)):
            stash = Stash("thread")
            for i in picks:
                stash = stash.add(dmc, dmc[int(i)].code, 1)
            c = capacity_for(dmc, stash, rule)
            o = ConvertOptions(width=200, height=200, capacity=c)
            res, t = _timed(lambda p=photo, o=o: convert_photo(p, dmc, o))
            bought = convert_photo(photo, dmc, ConvertOptions(width=200, height=200, capacity=c,
                                                              buy=BuyPlan(new_colours=3)))
            allowed = np.flatnonzero(np.asarray(c) > 0)
            lab = res.cell_lab.reshape(-1, 3)
            idx, _ = nearest_colors(lab, dmc.lab, allowed=allowed)
            _, t_fit = _timed(lambda i=idx, lab=lab, c=c, a=allowed: fit_capacity(i, lab, dmc.lab, np.asarray(c), a))
            print(f"| {name} | {label} | {_mean_de(free):.2f} | {_mean_de(res):.2f} | {_mean_de(bought):.2f} "
                  f"| {int(res.stats['moved_for_stock']):,} | {t:.2f} s | {t_fit:.2f} s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
