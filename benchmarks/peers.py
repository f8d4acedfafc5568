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
import json
import math
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pixlcraft.color import ciede2000, linear_to_lab, linear_to_srgb8
from pixlcraft.confetti import confetti_share
from pixlcraft.convert import ConvertOptions, cell_colors, convert_photo, resolve_size, usable_colors
from pixlcraft.imageio import Photo, photo_from_array
from pixlcraft.nearest import nearest_colors
from pixlcraft.palette import Palette, load_builtin
from pixlcraft.quality import blurred_delta_e
from pixlcraft.sizing import Crop

PALETTES: tuple[str, ...] = ("dmc", "perler")
WIDTHS: tuple[int, ...] = (64, 120)
BUDGETS: tuple[int | None, ...] = (16, 32, None)
K_FOR_ALL = 64
"""The K a peer that needs one gets when the budget is "all"."""
BLOCK = 8
"""Pixels per cell side on the contact sheets."""
SHEET_COLUMNS = 4
SKIN_HUE = (25.0, 75.0)
SKIN_CHROMA = (12.0, 45.0)
SKIN_LIGHTNESS = (45.0, 85.0)
MIN_SKIN_CELLS = 20
"""Fewer skin-tone cells than this and a configuration has no skin chroma figure."""


# --- photos -----------------------------------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    kind: str
    source: str
    photo: Photo
    line_art: bool = False


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """An RGBA uint8 image composited onto white (as an image editor's "flatten" does, in sRGB)."""
    a = rgba[..., 3:4].astype(np.float64) / 255.0
    return np.rint(rgba[..., :3] * a + 255.0 * (1.0 - a)).astype(np.uint8)


def synthetic_sky(width: int = 960, height: int = 640) -> np.ndarray:
    """A sunset: deep blue at the top through pale blue to orange at the horizon, a soft sun glow, faint grain."""
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    stops = np.array([[20, 45, 110], [70, 130, 200], [175, 205, 230], [250, 190, 120], [240, 120, 60]], float)
    pos = np.linspace(0.0, 1.0, len(stops))
    col = np.stack([np.interp(t[:, 0, 0], pos, stops[:, c]) for c in range(3)], axis=-1)[:, None, :]
    img = np.repeat(col, width, axis=1)
    yy, xx = np.mgrid[0:height, 0:width]
    glow = np.exp(-(((xx - 0.7 * width) / (0.18 * width)) ** 2 + ((yy - 0.9 * height) / (0.15 * height)) ** 2))
    img = img + glow[..., None] * (np.array([255, 235, 180]) - img) * 0.8
    img += np.random.default_rng(7).normal(0.0, 0.8, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def synthetic_line_art(width: int = 960, height: int = 720, scale: int = 4) -> np.ndarray:
    """White with black lines 2–3 px wide, anti-aliased: drawn at ``scale``× and area-reduced."""
    big = np.full((height * scale, width * scale), 255, np.uint8)
    s = scale

    def pt(x: float, y: float) -> tuple[int, int]:
        return int(round(x * s)), int(round(y * s))

    thin, thick = 2 * s, 3 * s
    # a house
    cv2.polylines(big, [np.array([pt(80, 420), pt(80, 250), pt(200, 150), pt(320, 250), pt(320, 420)])], True,
                  0, thick)
    cv2.rectangle(big, pt(170, 330), pt(230, 420), 0, thin)
    cv2.rectangle(big, pt(110, 280), pt(160, 320), 0, thin)
    # a sun with rays, a spiral, a wave, a star, a grid of diagonals
    cv2.circle(big, pt(520, 140), 60 * s, 0, thick)
    for a in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        cv2.line(big, pt(520 + 75 * np.cos(a), 140 + 75 * np.sin(a)), pt(520 + 110 * np.cos(a),
                 140 + 110 * np.sin(a)), 0, thin)
    th = np.linspace(0, 6 * np.pi, 600)
    spiral = np.stack([780 + 5.5 * th * np.cos(th), 170 + 5.5 * th * np.sin(th)], axis=1)
    cv2.polylines(big, [np.rint(spiral * s).astype(np.int32)], False, 0, thin)
    x = np.linspace(40, 920, 500)
    for k, y0 in enumerate((520, 580, 640)):
        wave = np.stack([x, y0 + 22 * np.sin(x / (40 + 15 * k))], axis=1)
        cv2.polylines(big, [np.rint(wave * s).astype(np.int32)], False, 0, thin if k != 1 else thick)
    star = [pt(620 + 90 * np.cos(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
               380 + 90 * np.sin(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4))
            for i, a in enumerate(np.linspace(0, 2 * np.pi, 10, endpoint=False))]
    cv2.polylines(big, [np.array(star)], True, 0, thin)
    for i in range(6):
        cv2.line(big, pt(760 + 25 * i, 300), pt(860 + 25 * i, 460), 0, thin)
    cv2.ellipse(big, pt(420, 330), (70 * s, 35 * s), 20, 0, 360, 0, thin)
    grey = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
    return np.repeat(grey[..., None], 3, axis=2)


def load_subjects(names: Iterable[str] | None = None) -> list[Subject]:
    """The benchmark photos that can be had here (a missing source is skipped with a message)."""
    from skimage import data

    def portrait() -> np.ndarray:
        import matplotlib.cbook as cbook

        return np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB"))

    makers: dict[str, tuple[str, str, Callable[[], np.ndarray], bool]] = {
        "portrait": ("portrait", "Grace Hopper, US Navy photo (public domain), matplotlib sample data", portrait,
                     False),
        "portrait_grey": ("portrait, grey", "scikit-image camera()", data.camera, False),
        "sky": ("sky gradient", "synthetic sunset gradient", synthetic_sky, False),
        "sky_photo": ("sky photo", "scikit-image rocket()", data.rocket, False),
        "line_art": ("line art", "synthetic, 2–3 px anti-aliased black lines on white", synthetic_line_art, True),
        "logo": ("logo", "scikit-image logo() over white", lambda: _over_white(data.logo()), False),
        "busy": ("busy scene", "scikit-image stereo_motorcycle() left view", lambda: data.stereo_motorcycle()[0],
                 False),
        "pet": ("pet", "scikit-image cat(), cropped to the head", lambda: data.cat()[0:300, 90:390], False),
    }
    wanted = list(makers) if names is None else list(names)
    out: list[Subject] = []
    for name in wanted:
        if name not in makers:
            raise SystemExit(f"unknown photo '{name}'; choose from: {', '.join(makers)}")
        kind, source, make, line_art = makers[name]
        try:
            rgb = np.ascontiguousarray(make())
        except Exception as exc:  # a package or its data missing: say so, carry on with the rest
            print(f"[skip photo] {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        out.append(Subject(name, kind, source, photo_from_array(rgb, path=name), line_art))
    return out


# --- one configuration ------------------------------------------------------------------------------------


@dataclass
class Case:
    """One photo at one palette, width and budget: the cells every peer gets and the reference for scoring."""

    subject: Subject
    palette: Palette
    width: int
    budget: int | None
    cells: np.ndarray
    """(H,W,3) linear sRGB cell averages."""
    lab: np.ndarray
    srgb8: np.ndarray
    allowed: np.ndarray
    crossed: np.ndarray | None = None
    """Line art: the cells a line crosses; None elsewhere."""
    line_l: float = 0.0
    ground_l: float = 100.0

    @property
    def k(self) -> int:
        return K_FOR_ALL if self.budget is None else self.budget

    @property
    def budget_label(self) -> str:
        return "all" if self.budget is None else str(self.budget)


def pixel_lightness(photo: Photo) -> np.ndarray:
    """CIE L* of every photo pixel."""
    return linear_to_lab(photo.linear().astype(np.float64))[..., 0]


def line_cells(photo: Photo, size: tuple[int, int], crop: Crop | None = None) -> tuple[np.ndarray, float, float]:
    """Cells crossed by a line (holding a pixel darker than halfway between line and ground L*), and the line's
    and the ground's L* (the darkest 0.5 % of pixels, and the median)."""
    light = pixel_lightness(photo)
    if crop is not None:
        light = light[crop.top : crop.bottom, crop.left : crop.right]
    line_l, ground_l = float(np.percentile(light, 0.5)), float(np.median(light))
    dark = (light < 0.5 * (line_l + ground_l)).astype(np.float32)
    share = cv2.resize(dark, size, interpolation=cv2.INTER_AREA)
    return share > 1e-4, line_l, ground_l


def make_case(subject: Subject, palette: Palette, width: int, budget: int | None) -> Case:
    w, h, crop = resolve_size(subject.photo, ConvertOptions(width=width))
    cells, _ = cell_colors(subject.photo, w, h, crop)
    cells = np.asarray(cells, np.float64)
    case = Case(subject, palette, width, budget, cells, linear_to_lab(cells), linear_to_srgb8(cells),
                usable_colors(palette))
    if subject.line_art:
        case.crossed, case.line_l, case.ground_l = line_cells(subject.photo, (w, h), crop)
    return case


# --- metrics ----------------------------------------------------------------------------------------------


def per_cell_delta_e(grid: np.ndarray, palette: Palette, ref_lab: np.ndarray) -> float:
    """Mean CIEDE2000 between each cell's palette colour and its linear-light average (in Lab)."""
    return float(ciede2000(palette.lab[grid], ref_lab).mean())


def blurred_error(grid: np.ndarray, palette: Palette, cells_linear: np.ndarray) -> float:
    """Mean CIEDE2000 seen from a distance: both blurred by a Gaussian of σ = 1 cell in linear light."""
    return blurred_delta_e(grid, palette, cells_linear)


def confetti(grid: np.ndarray) -> float:
    """Share of cells whose colour matches none of their 4 neighbours."""
    return confetti_share(grid.astype(np.int16))


def line_recall(grid: np.ndarray, palette: Palette, crossed: np.ndarray, line_l: float, ground_l: float) -> float:
    """Share of the cells a line crosses whose output L* is nearer the line's L* than the ground's."""
    if not crossed.any():
        return math.nan
    out_l = palette.lab[grid[crossed], 0]
    return float((np.abs(out_l - line_l) < np.abs(out_l - ground_l)).mean())


def skin_mask(ref_lab: np.ndarray) -> np.ndarray:
    """Skin-tone reference cells: hue 25–75°, C* 12–45, L* 45–85."""
    chroma = np.hypot(ref_lab[..., 1], ref_lab[..., 2])
    hue = np.degrees(np.arctan2(ref_lab[..., 2], ref_lab[..., 1])) % 360.0
    return ((hue >= SKIN_HUE[0]) & (hue <= SKIN_HUE[1]) & (chroma >= SKIN_CHROMA[0]) & (chroma <= SKIN_CHROMA[1])
            & (ref_lab[..., 0] >= SKIN_LIGHTNESS[0]) & (ref_lab[..., 0] <= SKIN_LIGHTNESS[1]))


def chroma_bias(grid: np.ndarray, palette: Palette, ref_lab: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean signed ΔC*ab (output chroma minus reference chroma) over ``mask`` (all cells if None): positive is
    more saturated than the photo, negative is duller."""
    out = palette.lab[grid]
    d = np.hypot(out[..., 1], out[..., 2]) - np.hypot(ref_lab[..., 1], ref_lab[..., 2])
    if mask is not None:
        if int(mask.sum()) < MIN_SKIN_CELLS:
            return math.nan
        d = d[mask]
    return float(d.mean())


def score(case: Case, grid: np.ndarray) -> dict[str, float]:
    pal = case.palette
    return {
        "delta_e": per_cell_delta_e(grid, pal, case.lab),
        "blurred_delta_e": blurred_error(grid, pal, case.cells),
        "confetti": confetti(grid),
        "line_recall": (line_recall(grid, pal, case.crossed, case.line_l, case.ground_l)
                        if case.crossed is not None else math.nan),
        "chroma_bias": chroma_bias(grid, pal, case.lab),
        "skin_chroma_bias": chroma_bias(grid, pal, case.lab, skin_mask(case.lab)),
        "colors_used": float(np.unique(grid).size),
    }


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


# --- contact sheets ---------------------------------------------------------------------------------------


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def contact_sheet(case: Case, panels: list[tuple[str, np.ndarray, dict[str, float] | None]], path: Path) -> None:
    """Reference cells first, then each tool's output, every cell a BLOCK×BLOCK square, labelled."""
    font, small = _font(16), _font(13)
    label_h = 42
    tiles: list[Image.Image] = []
    for title, rgb, m in panels:
        big = np.repeat(np.repeat(rgb, BLOCK, axis=0), BLOCK, axis=1)
        tile = Image.new("RGB", (big.shape[1], big.shape[0] + label_h), "white")
        tile.paste(Image.fromarray(big), (0, label_h))
        draw = ImageDraw.Draw(tile)
        draw.text((4, 2), title, fill="black", font=font)
        if m is not None:
            info = f"dE {m['delta_e']:.2f}  blurred {m['blurred_delta_e']:.2f}  confetti {100 * m['confetti']:.1f}%"
            if not math.isnan(m["line_recall"]):
                info += f"  lines {100 * m['line_recall']:.0f}%"
            draw.text((4, 22), info, fill="black", font=small)
        else:
            draw.text((4, 22), f"{case.subject.name}, {case.palette.name}, {case.width} wide, K {case.budget_label}",
                      fill="black", font=small)
        tiles.append(tile)
    tw, th, gap = tiles[0].width, tiles[0].height, 12
    cols = min(SHEET_COLUMNS, len(tiles))
    rows = -(-len(tiles) // cols)
    sheet = Image.new("RGB", (cols * tw + (cols - 1) * gap, rows * th + (rows - 1) * gap), (200, 200, 200))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % cols) * (tw + gap), (i // cols) * (th + gap)))
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, compress_level=3)


# --- running and reporting --------------------------------------------------------------------------------


@dataclass
class Row:
    tool: str
    photo: str
    palette: str
    width: int
    budget: str
    seconds: float
    metrics: dict[str, float] = field(default_factory=dict)


def warm_up(tools: list[Tool], subjects: list[Subject]) -> None:
    """One small untimed conversion per tool, so compile and import time is not counted as conversion time."""
    case = make_case(subjects[0], load_builtin("perler"), 24, 8)
    for tool in tools:
        if not tool.all_only:
            tool.run(case)
    case = make_case(subjects[0], load_builtin("perler"), 24, None)
    for tool in tools:
        tool.run(case)


def run_all(subjects: list[Subject], tools: list[Tool], palettes: Iterable[str], widths: Iterable[int],
            budgets: Iterable[int | None], out: Path, sheets: bool = True, repeats: int = 2) -> list[Row]:
    rows: list[Row] = []
    jsonl = (out / "results.jsonl").open("w", encoding="utf-8")
    try:
        for subject in subjects:
            for pal_name in palettes:
                palette = load_builtin(pal_name)
                for width in widths:
                    for budget in budgets:
                        case = make_case(subject, palette, width, budget)
                        panels: list[tuple[str, np.ndarray, dict[str, float] | None]] = [
                            ("reference cells", case.srgb8, None)]
                        started = time.perf_counter()
                        for tool in tools:
                            if tool.all_only and budget is not None:
                                continue
                            grid, seconds = tool.run(case)
                            for _ in range(repeats - 1):  # best of N: the machine may be busy with other work
                                again, more = tool.run(case)
                                seconds = min(seconds, more)
                                if not np.array_equal(again, grid):
                                    print(f"[note] {tool.name} is not deterministic on {subject.name}",
                                          file=sys.stderr)
                            metrics = score(case, grid)
                            row = Row(tool.name, subject.name, pal_name, width, case.budget_label, seconds, metrics)
                            rows.append(row)
                            jsonl.write(json.dumps({"tool": row.tool, "photo": row.photo, "palette": row.palette,
                                                    "width": row.width, "budget": row.budget,
                                                    "seconds": row.seconds, **row.metrics}) + "\n")
                            panels.append((tool.name, palette.rgb[grid], metrics))
                        jsonl.flush()
                        if sheets:
                            contact_sheet(case, panels, out / "sheets" /
                                          f"{subject.name}_{pal_name}_w{width}_k{case.budget_label}.png")
                        print(f"{subject.name:>13} {pal_name:>6} w{width:<3} K {case.budget_label:>3}: "
                              f"{len(panels) - 1} tools in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        jsonl.close()
    return rows


def _mean(values: list[float]) -> float:
    v = [x for x in values if not math.isnan(x)]
    return float(np.mean(v)) if v else math.nan


def _fmt(x: float, digits: int = 2, pct: bool = False) -> str:
    if math.isnan(x):
        return "–"
    return f"{100 * x:.1f}%" if pct else f"{x:.{digits}f}"


METRICS: tuple[tuple[str, str, int, bool], ...] = (
    ("delta_e", "ΔE00 per cell", 2, False),
    ("blurred_delta_e", "ΔE00 blurred", 2, False),
    ("confetti", "confetti", 1, True),
    ("line_recall", "line recall", 0, True),
    ("chroma_bias", "ΔC* all", 2, False),
    ("skin_chroma_bias", "ΔC* skin", 2, False),
    ("seconds", "s / conversion", 3, False),
)


def _value(row: Row, key: str) -> float:
    return row.seconds if key == "seconds" else row.metrics[key]


def _table(header: list[str], lines: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " if i == 0 else " ---: " for i in
                                                              range(len(header))) + "|"]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def report(rows: list[Row], tools: list[Tool], subjects: list[Subject], skipped: list[str]) -> str:
    names = [t.name for t in tools]
    combos = sorted({(r.palette, r.budget) for r in rows},
                    key=lambda pb: (pb[0], 10**6 if pb[1] == "all" else int(pb[1])))
    parts = ["# PixlCraft against its peers", ""]
    parts.append("Means over photos and widths (64 and 120 cells unless stated otherwise); every peer converts the "
                 "same linear-light cell averages. ΔC*: signed chroma shift (+ more saturated than the photo). "
                 "Line recall: line-art photo only. Time: seconds per conversion, best of the runs made (PixlCraft "
                 "from the photo, peers from the cells, image-q inside node).")
    parts.append("")
    if skipped:
        parts += ["Skipped: " + "; ".join(skipped), ""]
    # 1. per palette/budget: every metric
    for pal, budget in combos:
        parts.append(f"## {pal.upper()}, budget {budget}")
        parts.append("")
        lines = []
        for name in names:
            sel = [r for r in rows if r.tool == name and r.palette == pal and r.budget == budget]
            if not sel:
                continue
            vals = [_fmt(_mean([_value(r, k) for r in sel]), d, p) for k, _, d, p in METRICS]
            colours = _mean([r.metrics["colors_used"] for r in sel])
            lines.append([name, *vals, f"{colours:.0f}"])
        parts.append(_table(["tool", *[label for _, label, _, _ in METRICS], "colours"], lines))
        parts.append("")
    # 2. one table per metric: tool × palette/budget
    parts.append("## Per metric (tool × palette/budget, mean over photos and widths)")
    for key, label, d, p in METRICS:
        parts += ["", f"### {label}", ""]
        lines = []
        for name in names:
            cells = []
            for pal, budget in combos:
                sel = [r for r in rows if r.tool == name and r.palette == pal and r.budget == budget]
                cells.append(_fmt(_mean([_value(r, key) for r in sel]), d, p) if sel else "")
            lines.append([name, *cells])
        parts.append(_table(["tool", *[f"{pal} {b}" for pal, b in combos], ], lines))
    # 3. per photo at budget "all" (every tool ran there), both palettes and widths
    parts += ["", "## Per photo, budget all (mean over both palettes and widths)"]
    for key, label, d, p in METRICS[:3] + METRICS[5:6]:
        parts += ["", f"### {label}", ""]
        lines = []
        for name in names:
            cells = []
            for s in subjects:
                sel = [r for r in rows if r.tool == name and r.photo == s.name and r.budget == "all"]
                cells.append(_fmt(_mean([_value(r, key) for r in sel]), d, p) if sel else "")
            lines.append([name, *cells])
        parts.append(_table(["tool", *[s.name for s in subjects]], lines))
    # 4. line art in detail
    if any(s.line_art for s in subjects):
        parts += ["", "## Line recall on line art (palette/budget × width)", ""]
        keys = sorted({(r.palette, r.budget, r.width) for r in rows if not math.isnan(r.metrics["line_recall"])},
                      key=lambda t: (t[0], 10**6 if t[1] == "all" else int(t[1]), t[2]))
        lines = []
        for name in names:
            cells = []
            for pal, budget, width in keys:
                sel = [r for r in rows if r.tool == name and (r.palette, r.budget, r.width) == (pal, budget, width)
                       and not math.isnan(r.metrics["line_recall"])]
                cells.append(_fmt(_mean([r.metrics["line_recall"] for r in sel]), 0, True) if sel else "")
            lines.append([name, *cells])
        parts.append(_table(["tool", *[f"{p} {b} w{w}" for p, b, w in keys]], lines))
    parts += ["", "## Photos", ""]
    parts += [f"* `{s.name}` ({s.kind}, {s.photo.width}×{s.photo.height}): {s.source}" for s in subjects]
    return "\n".join(parts) + "\n"


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


if __name__ == "__main__":
    main()
