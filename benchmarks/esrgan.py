"""Real-ESRGAN ×4 on the CPU: time and peak memory per network, photo size, tile size and worker count.

Photos: ``resources/samples/astronaut.jpg`` — its 256×256 face crop (area-averaged to 128×128 for 128), the
whole 512×512 photo for 512. Each configuration runs PixlCraft's ``cleanup(..., "esrgan", {"model": M,
"scale": 4, "tile": T, "workers": W, "device": "cpu"})`` in its own fresh process, so that ``ru_maxrss`` (the
peak resident memory of a process) belongs to that run alone. PixlCraft runs the network in worker processes,
so the peak is the sum of the main process's and each worker's (an upper bound: the peaks need not coincide)
and the CPU seconds include the workers'. ``start s`` is loading the first worker (Python, the package, the
weights); ``run s`` is the clean-up call after that, including the start of any further worker.

The networks: ``x4plus`` (realesrgan-x4plus, RRDBNet) and ``fast`` (realesr-animevideov3-x4, SRVGGNetCompact).
The package exposes no thread setting: ncnn's CPU path runs one thread here, so worker processes side by side are
the only way to use more cores (``workers`` = 0: PixlCraft's automatic count, one per core that free memory
allows).

The quality table (``--quality``) shows what the speed costs: the sample photos area-averaged to a quarter of
their size and saved as JPEG quality 30, then enlarged 4× back by each network (and by bicubic), compared with the
original photo (PSNR in dB and SSIM on sRGB; higher is better).

Usage: ``python -m benchmarks.esrgan [--sizes 128,256,512] [--models fast,x4plus] [--quick] [--no-quality]
[--json F]``
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
CROP = (128, 16, 384, 272)  # left, top, right, bottom: 256×256 around the astronaut's face


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _photo(size: int):
    import cv2
    import numpy as np

    from pixlcraft.imageio import Photo, load_photo

    rgb = load_photo(SAMPLES / "astronaut.jpg").srgb
    if size <= 256:
        left, top, right, bottom = CROP
        rgb = rgb[top:bottom, left:right]
    if rgb.shape[0] != size:
        shrink = size < rgb.shape[0]
        rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return Photo(np.ascontiguousarray(np.clip(rgb, 0, 1), dtype=np.float32), None, f"astronaut-{size}")


def _child(config: dict) -> dict:
    """One measurement, in this (fresh) process."""
    from pixlcraft.cleanup import cleanup, get_method

    photo = _photo(config["size"])
    method = get_method("esrgan")
    ok, why = method.available()
    if not ok:
        return {**config, "error": why}
    t0 = time.perf_counter()
    method.worker("cpu", config["model"])
    load_s = time.perf_counter() - t0
    options = {"model": config["model"], "scale": 4, "tile": config["tile"], "device": "cpu"}
    if config["workers"]:
        options["workers"] = config["workers"]
    tiles = []
    t0 = time.perf_counter()
    result = cleanup(photo, method, options, progress=lambda p: tiles.append(p.total))
    run_s = time.perf_counter() - t0
    workers = len(method._workers)
    worker_peaks = [w.peak_rss_kib() / 1024 for w in method._workers]
    method.release()
    t = os.times()
    return {**config, "tiles": max(tiles), "workers_used": workers, "load_s": load_s, "run_s": run_s,
            "cpu_s": t.user + t.system + t.children_user + t.children_system,
            "peak_rss_mib": _rss_mib() + sum(worker_peaks), "worker_peaks_mib": worker_peaks,
            "output": f"{result.width}×{result.height}"}


def _run_child(config: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.esrgan", "--child", json.dumps(config)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {**config, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _configs(sizes: list[int], models: list[str], quick: bool) -> list[dict]:
    """Each network at each size with its default tile, on one worker and on the automatic count; tile sizes
    and worker counts around the defaults at 256 (and, for the fast network, at every size)."""
    from pixlcraft.cleanup.esrgan import DEFAULT_TILES

    out = []
    for model in models:
        for size in sizes:
            tiles = [DEFAULT_TILES[model]]
            if not quick and (model == "fast" or size == 256):
                tiles = sorted({128, 256, 512, DEFAULT_TILES[model]} - ({512} if model != "fast" else set()))
            for tile in tiles:
                for workers in (1, 0):
                    if workers == 0 and quick and size < 256:
                        continue
                    out.append({"model": model, "size": size, "tile": tile, "workers": workers})
    return out


def _quality(models: list[str]) -> list[dict]:
    """Degrade each sample (¼ size, JPEG 30), enlarge it 4× again, compare with the original."""
    import cv2
    import numpy as np
    from PIL import Image
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    from pixlcraft.cleanup import cleanup, get_method
    from pixlcraft.imageio import Photo

    method = get_method("esrgan")
    rows = []
    for name in ("astronaut", "chelsea"):
        original = np.asarray(Image.open(SAMPLES / f"{name}.jpg").convert("RGB"))
        h, w = (original.shape[0] // 4) * 4, (original.shape[1] // 4) * 4
        original = original[:h, :w]
        small = cv2.resize(original, (w // 4, h // 4), interpolation=cv2.INTER_AREA)
        buf = io.BytesIO()
        Image.fromarray(small).save(buf, "JPEG", quality=30)
        degraded = np.asarray(Image.open(buf).convert("RGB"))
        results = {"bicubic": np.clip(cv2.resize(degraded.astype(np.float32) / 255, (w, h),
                                                 interpolation=cv2.INTER_CUBIC), 0, 1)}
        times = {"bicubic": 0.0}
        for model in models:
            t0 = time.perf_counter()
            out = cleanup(Photo(degraded.astype(np.float32) / 255, None, name), method,
                          {"model": model, "scale": 4, "device": "cpu", "workers": 1})
            times[model] = time.perf_counter() - t0
            results[model] = out.srgb
        ref = original.astype(np.float32) / 255
        for key, img in results.items():
            rows.append({"photo": f"{name} {w // 4}×{h // 4} JPEG 30 → {w}×{h}", "method": key,
                         "psnr": float(peak_signal_noise_ratio(ref, img, data_range=1.0)),
                         "ssim": float(structural_similarity(ref, img, channel_axis=2, data_range=1.0)),
                         "seconds": times[key]})
    method.release()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="128,256,512", help="comma-separated photo sizes (default 128,256,512)")
    ap.add_argument("--models", default="fast,x4plus", help="comma-separated networks (default fast,x4plus)")
    ap.add_argument("--quick", action="store_true", help="default tiles only, automatic workers only from 256")
    ap.add_argument("--no-quality", action="store_true", help="skip the quality comparison")
    ap.add_argument("--json", metavar="PATH", help="also write the figures to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    models = [m for m in args.models.split(",") if m]
    machine = f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"Real-ESRGAN ×4 on the CPU (ncnn, device cpu), astronaut photo; {machine}")
    print(f"| {'network':<7} | {'photo':>7} | {'tile':>4} | {'tiles':>5} | {'workers':>7} | {'output':>9} "
          f"| {'start s':>7} | {'run s':>6} | {'CPU s':>6} | {'peak MiB':>8} |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    results = []
    for config in _configs(sizes, models, args.quick):
        r = _run_child(config)
        results.append(r)
        size = f"{r['size']}²"
        if "error" in r:
            print(f"| {r['model']:<7} | {size:>7} | {r['tile']:>4} | failed: {r['error']} |", flush=True)
            continue
        workers = f"{r['workers_used']}{' auto' if not r['workers'] else ''}"
        print(f"| {r['model']:<7} | {size:>7} | {r['tile']:>4} | {r['tiles']:>5} | {workers:>7} | {r['output']:>9} "
              f"| {r['load_s']:7.1f} | {r['run_s']:6.1f} | {r['cpu_s']:6.1f} | {r['peak_rss_mib']:8,.0f} |",
              flush=True)
    quality = []
    if not args.no_quality:
        quality = _quality(models)
        print("\n| photo | method | PSNR dB | SSIM | seconds |\n| --- | --- | ---: | ---: | ---: |")
        for q in quality:
            print(f"| {q['photo']} | {q['method']} | {q['psnr']:.2f} | {q['ssim']:.3f} | {q['seconds']:.1f} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "results": results, "quality": quality},
                                              indent=2))


if __name__ == "__main__":
    main()
