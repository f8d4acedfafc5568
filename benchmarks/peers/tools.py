"""The converters: PixlCraft and the peers a user could pick instead."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pixlcraft.convert import ConvertOptions, convert_photo
from pixlcraft.nearest import nearest_colors

from .cases import Case

# --- the converters ---------------------------------------------------------------------------------------


def snap(lab: np.ndarray, case: Case) -> np.ndarray:
    """Palette index of the colour nearest (CIEDE2000) to each Lab colour, among the usable ones."""
    idx, _ = nearest_colors(np.asarray(lab, np.float64).reshape(-1, 3), case.palette.lab, allowed=case.allowed)
    return idx


def snap_rgb8(rgb: np.ndarray, case: Case) -> np.ndarray:
    from pixlcraft.color import srgb8_to_lab

    return snap(srgb8_to_lab(np.asarray(rgb, np.uint8).reshape(-1, 3)), case)


Runner = Callable[[Case], tuple[np.ndarray, float]]
"""A converter: the case in, the grid of palette indices and the seconds it took out."""


@dataclass
class Tool:
    name: str
    run: Runner
    all_only: bool = False
    """Has no colour budget: runs only where the budget is "all"."""


def pixlcraft_tool(name: str, **options: object) -> Tool:
    def run(case: Case) -> tuple[np.ndarray, float]:
        opts = ConvertOptions(width=case.width, max_colors=case.budget, **options)  # type: ignore[arg-type]
        t0 = time.perf_counter()
        res = convert_photo(case.subject.photo, case.palette, opts)
        return np.asarray(res.pattern.grid, np.int32), time.perf_counter() - t0

    return Tool(name, run)


def kmeans_tool() -> Tool:
    from sklearn.cluster import KMeans

    def run(case: Case) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        x = case.lab.reshape(-1, 3)
        k = min(case.k, len(np.unique(np.round(x, 3), axis=0)))
        km = KMeans(n_clusters=k, n_init="auto", random_state=0).fit(x)
        grid = snap(km.cluster_centers_, case)[km.labels_].reshape(case.lab.shape[:2])
        return grid, time.perf_counter() - t0

    return Tool("k-means Lab", run)


def imagequant_tool(dithering: float) -> Tool:
    import imagequant

    def run(case: Case) -> tuple[np.ndarray, float]:
        h, w = case.srgb8.shape[:2]
        rgba = np.concatenate([case.srgb8, np.full((h, w, 1), 255, np.uint8)], axis=2)
        t0 = time.perf_counter()
        pixels, pal = imagequant.quantize_raw_rgba_bytes(rgba.tobytes(), w, h, dithering_level=dithering,
                                                         max_colors=case.k)
        idx = np.frombuffer(pixels, np.uint8).reshape(h, w)
        colours = np.asarray(pal, np.uint8).reshape(-1, 4)[:, :3]
        grid = snap_rgb8(colours, case)[idx]
        return grid, time.perf_counter() - t0

    return Tool("libimagequant" + (" dither" if dithering > 0 else ""), run)


def legopic_tools() -> list[Tool]:
    from legopic import Color
    from legopic import Palette as LegoPalette
    from legopic.pipeline import DitherConfig, DitherStep, PipelineContext, QuantizeStep, RGBImage

    def make(step_factory: Callable[[], object], name: str) -> Tool:
        def run(case: Case) -> tuple[np.ndarray, float]:
            allowed = case.allowed
            rgb = case.palette.rgb[allowed]
            lego_pal = LegoPalette([Color(tuple(int(v) for v in c)) for c in rgb])  # type: ignore[arg-type]
            # legopic keys its colours by RGB: map its indices back through the RGB values
            back = {tuple(int(v) for v in rgb[i]): int(allowed[i]) for i in range(len(allowed) - 1, -1, -1)}
            lookup = np.array([back[c.rgb] for c in lego_pal.colors], np.int32)
            h, w = case.srgb8.shape[:2]
            ctx = PipelineContext(palette=lego_pal, target_size=(w, h))
            t0 = time.perf_counter()
            out = step_factory().process(RGBImage(data=np.ascontiguousarray(case.srgb8)), ctx)  # type: ignore[attr-defined]
            grid = lookup[np.asarray(out.data)]
            return grid, time.perf_counter() - t0

        return Tool(name, run, all_only=True)

    return [make(QuantizeStep, "legopic"), make(lambda: DitherStep(DitherConfig()), "legopic dithered")]


IMAGE_Q_SCRIPT = r"""
// Written by benchmarks/peers.py: image-q on one image of cells. argv: image-q module path, job JSON path.
const fs = require('fs');
const iq = require(process.argv[2]);
const job = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const rgba = new Uint8Array(fs.readFileSync(job.pixels));
const image = iq.utils.PointContainer.fromUint8Array(rgba, job.width, job.height);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const result = {};
if (job.mode === 'wu') {
  const t0 = now();
  const pal = iq.buildPaletteSync([image], {paletteQuantization: 'wuquant', colors: job.colors});
  result.seconds = now() - t0;
  result.colors = pal.getPointContainer().getPointArray().map((p) => [p.r, p.g, p.b]);
} else {
  result.seconds = {};
  for (const q of job.quantizers) {
    const pal = new iq.utils.Palette();
    for (const [r, g, b] of job.palette) pal.add(iq.utils.Point.createByRGBA(r, g, b, 255));
    const t0 = now();
    const out = iq.applyPaletteSync(image.clone(), pal, {colorDistanceFormula: 'ciede2000', imageQuantization: q});
    result.seconds[q] = now() - t0;
    fs.writeFileSync(job.output + '.' + q + '.rgba', Buffer.from(out.toUint8Array()));
  }
}
process.stdout.write(JSON.stringify(result));
"""


class ImageQ:
    """image-q under node: one node run builds the Wu palette, one maps with both quantisers; the nearest and
    the Floyd–Steinberg tool share those runs."""

    QUANTIZERS = ("nearest", "floyd-steinberg")

    def __init__(self, node: str, module: Path, work: Path) -> None:
        self.node, self.module, self.work = node, module, work
        work.mkdir(parents=True, exist_ok=True)
        self.script = work / "image_q_run.js"
        self.script.write_text(IMAGE_Q_SCRIPT.lstrip(), encoding="utf-8")
        self._case: Case | None = None
        self._pending: dict[str, tuple[np.ndarray, float]] = {}

    def _node(self, job: dict[str, object]) -> dict[str, object]:
        path = self.work / "image_q_job.json"
        path.write_text(json.dumps(job), encoding="utf-8")
        done = subprocess.run([self.node, str(self.script), str(self.module), str(path)], capture_output=True,
                              text=True, timeout=600, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"image-q under node failed: {done.stderr.strip()[-500:]}")
        return json.loads(done.stdout)

    def _run_case(self, case: Case) -> dict[str, tuple[np.ndarray, float]]:
        h, w = case.srgb8.shape[:2]
        pixels = self.work / "image_q_cells.rgba"
        pixels.write_bytes(np.concatenate([case.srgb8, np.full((h, w, 1), 255, np.uint8)], axis=2).tobytes())
        base = {"pixels": str(pixels), "width": w, "height": h}
        build = 0.0
        if case.budget is None:
            chosen = np.asarray(case.allowed)
        else:
            wu = self._node({**base, "mode": "wu", "colors": case.budget})
            t0 = time.perf_counter()
            chosen = np.unique(snap_rgb8(np.asarray(wu["colors"], np.uint8), case))
            build = float(wu["seconds"]) + time.perf_counter() - t0  # type: ignore[arg-type]
        rgb = case.palette.rgb[chosen].astype(np.int64)
        keys = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
        order = np.argsort(keys, kind="stable")
        out = self._node({**base, "mode": "apply", "palette": rgb.tolist(), "quantizers": list(self.QUANTIZERS),
                          "output": str(self.work / "image_q_out")})
        results: dict[str, tuple[np.ndarray, float]] = {}
        for q in self.QUANTIZERS:
            px = np.frombuffer((self.work / f"image_q_out.{q}.rgba").read_bytes(), np.uint8).reshape(h, w, 4)
            got = (px[..., 0].astype(np.int64) << 16) | (px[..., 1].astype(np.int64) << 8) | px[..., 2]
            pos = np.searchsorted(keys[order], got)
            grid = chosen[order][np.clip(pos, 0, len(keys) - 1)]
            if not np.array_equal(keys[order][np.clip(pos, 0, len(keys) - 1)], got):
                raise RuntimeError("image-q returned a colour that is not in the palette it was given")
            results[q] = (grid.astype(np.int32), build + float(out["seconds"][q]))  # type: ignore[index]
        return results

    def tool(self, quantizer: str, name: str) -> Tool:
        def run(case: Case) -> tuple[np.ndarray, float]:
            # one node run serves both quantisers; a second call for the same one (a repeat) runs node again
            if self._case is not case or quantizer not in self._pending:
                self._case, self._pending = case, self._run_case(case)
            return self._pending.pop(quantizer)

        return Tool(name, run)


def available_tools(node_modules: Path, work: Path, only: set[str] | None = None) -> tuple[list[Tool], list[str]]:
    """Every converter that can run here, and a message for each that cannot."""
    tools = [
        pixlcraft_tool("PixlCraft"),
        pixlcraft_tool("PixlCraft FS", dither="floyd-steinberg"),
        pixlcraft_tool("PixlCraft average", detail="average"),
    ]
    skipped: list[str] = []
    node = shutil.which("node")
    module = node_modules / "image-q"
    if node is None:
        skipped.append("image-q: node is not installed (apt-get install -y nodejs npm)")
    elif not (module / "package.json").exists():
        skipped.append(f"image-q: not found in {node_modules} (npm install --prefix {node_modules.parent} image-q)")
    else:
        iq = ImageQ(node, module, work)
        tools += [iq.tool("nearest", "image-q nearest"), iq.tool("floyd-steinberg", "image-q FS")]
    try:
        tools += [imagequant_tool(0.0), imagequant_tool(1.0)]
    except ImportError as exc:
        skipped.append(f"libimagequant: pip package imagequant cannot be imported ({exc})")
    try:
        tools.append(kmeans_tool())
    except ImportError as exc:
        skipped.append(f"k-means Lab: scikit-learn cannot be imported ({exc})")
    try:
        tools += legopic_tools()
    except ImportError as exc:
        skipped.append(f"legopic: pip package legopic cannot be imported ({exc})")
    if only is not None:
        tools = [t for t in tools if t.name in only]
    return tools, skipped


