"""Does photo clean-up make better patterns? (issue 17)

    python -m benchmarks.cleanup_benefit [--methods none,classic,esrgan] [--photos N] [--quick]

Six clean photos that are not the bundled samples (scikit-image's rocket, immunohistochemistry, Hubble deep
field, retina, motorcycle and its logo over white) are degraded the way phones and messengers do it —
downscaled to a long side of 96, 160 or 320 px, sensor noise (σ 3/255, seeded), JPEG at quality 20, 30 or
40 — and made into DMC patterns 64, 120 and 200 cells wide (cells smaller than, about equal to and larger
than the small photo's pixels) with each clean-up method and with none, exactly as ``convert --cleanup-first
METHOD`` does (the photo cleaned to the size that pattern needs).

Figure of merit: the pattern's mean CIEDE2000 to the **clean** photo's cell averages, against the pattern made
from the clean photo itself (the gap is what the degradation costs and what a clean-up can win back), and its
confetti share. Time and peak extra memory (resident set sampled every 10 ms) are the clean-up's own.
A method name may carry options: ``esrgan:model=fast``.
"""

from __future__ import annotations

import argparse
import io
import statistics
import threading
import time
from collections import defaultdict

import numpy as np

DEGRADATIONS = ((96, 20), (160, 30), (320, 40))
WIDTHS = (64, 120, 200)
NOISE = 3.0 / 255.0


def photos() -> list[tuple[str, np.ndarray]]:
    from skimage import data

    def over_white(rgba: np.ndarray) -> np.ndarray:
        a = rgba[..., 3:4].astype(np.float32) / 255.0
        return np.clip(rgba[..., :3] * a + 255 * (1 - a), 0, 255).astype(np.uint8)

    return [("rocket", data.rocket()), ("immunohistochemistry", data.immunohistochemistry()),
            ("hubble", data.hubble_deep_field()[:600, :800]), ("retina", data.retina()[200:1200, 200:1200]),
            ("motorcycle", data.stereo_motorcycle()[0]), ("logo", over_white(data.logo()))]


def degrade(rgb: np.ndarray, long_side: int, quality: int, seed: int) -> np.ndarray:
    """Downscale (area), add sensor noise, JPEG-compress: a photo as a messenger delivers it."""
    import cv2
    from PIL import Image

    h, w = rgb.shape[:2]
    s = long_side / max(h, w)
    small = cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    noisy = small.astype(np.float32) / 255.0 + np.random.default_rng(seed).normal(0, NOISE, small.shape)
    buf = io.BytesIO()
    Image.fromarray(np.clip(noisy * 255 + 0.5, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


class PeakMemory:
    """Peak resident memory above the start, of this process and every process it started (Real-ESRGAN runs in
    worker processes), sampled every 10 ms from /proc — ncnn's and torch's allocations included, which
    tracemalloc cannot see."""

    def __enter__(self) -> PeakMemory:
        self.start = self.peak = self._rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.start) / 2**20

    @staticmethod
    def _rss() -> int:
        import os

        me = os.getpid()
        parents: dict[int, int] = {}
        sizes: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
                sizes[int(entry)] = int(fields[21]) * 4096  # rss in pages
            except (OSError, IndexError, ValueError):
                continue
        total, family = 0, {me}
        for pid in sorted(parents):  # children have larger pids than their parents, almost always
            if pid == me or parents[pid] in family:
                family.add(pid)
                total += sizes.get(pid, 0)
        return total

    def _watch(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())


def _score(pattern, target: np.ndarray, palette_lab: np.ndarray) -> tuple[float, float]:
    """Mean ΔE00 of the pattern to the clean photo's cells (on the common part, should the degraded photo's
    rounded size give a row more or less) and its confetti share."""
    from pixlcraft.color import ciede2000
    from pixlcraft.confetti import confetti_share

    g = pattern.grid
    h, w = min(g.shape[0], target.shape[0]), min(g.shape[1], target.shape[1])
    g, t = g[:h, :w], target[:h, :w]
    m = g >= 0
    return float(ciede2000(t[m], palette_lab[g[m]]).mean()), confetti_share(pattern.grid)


def parse_method(spec: str) -> tuple[str, dict]:
    name, _, rest = spec.partition(":")
    options = {}
    for pair in filter(None, rest.split(",")):
        k, _, v = pair.partition("=")
        options[k] = int(v) if v.isdigit() else v
    return name, options


def main(argv: list[str] | None = None) -> int:
    from pixlcraft.cleanup import cleanup, get_method, long_side_for_pattern
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import photo_from_array
    from pixlcraft.palette import load_builtin
    from pixlcraft.sizing import target_cells

    ap = argparse.ArgumentParser()
    ap.add_argument("--methods", default="none,classic,esrgan")
    ap.add_argument("--photos", type=int, default=6)
    ap.add_argument("--quick", action="store_true", help="one degradation and one width (a smoke run)")
    args = ap.parse_args(argv)
    methods = [parse_method(m) for m in args.methods.split(",")]
    degradations = DEGRADATIONS[:1] if args.quick else DEGRADATIONS
    widths = WIDTHS[:1] if args.quick else WIDTHS
    dmc = load_builtin("dmc")
    gaps: dict[tuple, list[float]] = defaultdict(list)
    confetti: dict[tuple, list[float]] = defaultdict(list)
    times: dict[tuple, list[float]] = defaultdict(list)
    memory: dict[tuple, list[float]] = defaultdict(list)
    print("| photo | degraded to | width | " + " | ".join(f"{m[0]}{'*' if m[1] else ''} ΔE / confetti"
                                                          for m in methods) + " | clean ΔE / confetti |")
    print("|---|---|---:|" + "---:|" * (len(methods) + 1))
    for pi, (name, rgb) in enumerate(photos()[:args.photos]):
        clean = photo_from_array(rgb)
        for long_side, quality in degradations:
            small = photo_from_array(degrade(rgb, long_side, quality, seed=pi))
            for width in widths:
                opts = ConvertOptions(width=width)
                ref = convert_photo(clean, dmc, opts)
                target = ref.cell_lab

                base_de, base_conf = _score(ref.pattern, target, dmc.lab)
                cells = []
                for method, mopts in methods:
                    key = (method, tuple(sorted(mopts.items())), long_side, width)
                    photo = small
                    if method != "none":
                        m = get_method(method)
                        cells_wh = target_cells(small.width, small.height, width, None)
                        options = {**mopts, "target_long_side": long_side_for_pattern(small, cells_wh, m)}
                        with PeakMemory() as mem:
                            t = time.perf_counter()
                            photo = cleanup(small, m, options)
                            times[key].append(time.perf_counter() - t)
                        memory[key].append(mem.extra_mb)
                    de, conf = _score(convert_photo(photo, dmc, opts).pattern, target, dmc.lab)
                    gaps[key].append(de - base_de)
                    confetti[key].append(conf)
                    cells.append(f"{de:.2f} / {100 * conf:.1f} %")
                print(f"| {name} | {small.width}×{small.height} q{quality} | {width} | " + " | ".join(cells)
                      + f" | {base_de:.2f} / {100 * base_conf:.1f} % |", flush=True)

    print("\nMean gap to the pattern from the clean photo (ΔE00; lower is better), by photo size and pattern width:\n")
    print("| method | degraded long side | width | mean gap | confetti | clean-up time | peak extra memory |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key in sorted(gaps, key=lambda k: (k[2], k[3], k[0])):
        method, mopts, long_side, width = key
        label = method + ("" if not mopts else ":" + ",".join(f"{k}={v}" for k, v in mopts))
        t = f"{statistics.median(times[key]):.1f} s" if times[key] else "—"
        mem = f"{max(memory[key]):.0f} MB" if memory[key] else "—"
        print(f"| {label} | {long_side} | {width} | {statistics.mean(gaps[key]):+.3f} | "
              f"{100 * statistics.mean(confetti[key]):.1f} % | {t} | {mem} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
