"""Preview pictures: flat colour cells, or a realistic look of the finished piece.

The realistic preview answers "what will it look like when it is done?", which flat squares do not: a cross
stitch leaves fabric showing between the crosses, fused beads are rings with holes, and a brick mosaic is
studs with shadows between the plates. Every cell of one material looks the same apart from its colour, so
the look is drawn once as a small tile (coverage, shading and highlight maps, anti-aliased by supersampling)
and then coloured for all cells at once with numpy; a 1000×1000 pattern needs no per-cell Python loop.

The finer stitches (part stitches as triangles, backstitch as lines, French knots as dots, beads as rings;
:mod:`pixlcraft.stitch_shapes`) are painted over the cells from :data:`~pixlcraft.stitch_shapes.MIN_LAYER_SCALE`
pixels per cell up; a smaller picture cannot hold half a cell, shows the full crosses only, and the format's
note says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import InputError
from ..jobs import Reporter
from ..pattern import EMPTY, MAX_PNG_SIDE, Pattern
from ..stitch_shapes import MIN_LAYER_SCALE, draw_layers
from .registry import ExportFormat, ExportOption, write_bytes

MIN_REALISTIC_PX = 8
"""Below this many pixels per cell a stitch or a stud is a blur; realistic previews need at least this."""
_SUPERSAMPLE = 4


@dataclass
class Look:
    """How one cell of a material is drawn, as ``(px, px)`` maps shared by every cell.

    A pixel is ``background·(1−coverage) + coverage·lit(colour)``, where ``lit`` multiplies the colour by
    ``shade`` and then moves it towards white by ``highlight`` (so white beads still show their shape).
    """

    coverage: np.ndarray
    shade: np.ndarray
    highlight: np.ndarray
    background: np.ndarray
    """``(px, px, 3)`` float: what shows where a cell leaves gaps, and in empty cells."""


def _grid(px: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample positions (supersampled) across one cell, 0..1 in both directions."""
    n = px * _SUPERSAMPLE
    t = (np.arange(n) + 0.5) / n
    return np.meshgrid(t, t, indexing="xy")


def _down(a: np.ndarray, px: int) -> np.ndarray:
    """Average the supersamples back to pixels (this is the anti-aliasing)."""
    s = _SUPERSAMPLE
    return a.reshape(px, s, px, s, *a.shape[2:]).mean(axis=(1, 3))


def _stitch_look(px: int) -> Look:
    x, y = _grid(px)
    # Aida: cream blocks of woven thread with holes at the cell corners, a faint weave across each block.
    corner = np.minimum(np.minimum(x, 1 - x), np.minimum(y, 1 - y))
    dx, dy = np.minimum(x, 1 - x), np.minimum(y, 1 - y)
    hole = np.hypot(dx, dy) < 0.11
    weave = 0.96 + 0.04 * np.cos(x * 6 * np.pi) * np.cos(y * 6 * np.pi)
    fabric = np.array([236.0, 231.0, 214.0])[None, None, :] * weave[..., None] * (0.93 + 0.07 * (corner > 0.06))[
        ..., None
    ]
    fabric[hole] = (150.0, 145.0, 130.0)

    # Two diagonal legs: '/' first, '\' on top; each a rounded band brightest along its middle (the twist of
    # the strands), with a soft shadow of the top leg on the bottom one.
    half_width = 0.24
    inset = 0.05

    def leg(d: np.ndarray, along: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # the thread is pulled into the corner holes, so a leg is widest in the middle and narrow at its ends
        width = half_width * (0.35 + 0.65 * np.sqrt(np.clip(np.sin(np.pi * along), 0, 1)))
        inside = (np.abs(d) < width) & (along > inset) & (along < 1 - inset)
        profile = np.sqrt(np.clip(1 - (d / width) ** 2, 0, 1))
        strands = 0.94 + 0.06 * np.cos((along * 0.7 + d) * 10 * np.pi)
        return inside, (0.6 + 0.45 * profile) * strands

    s2 = np.sqrt(2.0)
    bottom_in, bottom_shade = leg((x + y - 1) / s2, (x - y + 1) / 2)
    top_d = (x - y) / s2
    top_in, top_shade = leg(top_d, (x + y) / 2)
    shade = np.where(top_in, top_shade, bottom_shade * np.where(np.abs(top_d) < half_width * 1.5, 0.75, 1.0))
    coverage = (bottom_in | top_in).astype(float)
    highlight = np.zeros_like(x)
    return Look(_down(coverage, px), _down(shade * coverage, px) / np.maximum(_down(coverage, px), 1e-9),
                _down(highlight, px), _down(fabric, px))


def _bead_look(px: int) -> Look:
    x, y = _grid(px)
    r = np.hypot(x - 0.5, y - 0.5)
    outer, inner = 0.47, 0.2
    coverage = ((r < outer) & (r > inner)).astype(float)
    # A fused bead is a short tube seen from above: the ring is lit from the top-left, darker inside the hole's
    # rim and at the outer edge, with a small glossy spot.
    mid = (outer + inner) / 2
    ring = 1 - np.abs(r - mid) / (outer - mid)
    light = ((0.5 - x) + (0.5 - y)) / np.sqrt(2)
    shade = 0.72 + 0.3 * np.sqrt(np.clip(ring, 0, 1)) + 0.25 * light
    spot = np.exp(-(((x - 0.34) ** 2 + (y - 0.3) ** 2) / 0.004))
    highlight = 0.45 * spot
    board = np.array([246.0, 246.0, 243.0])[None, None, :] * np.ones_like(x)[..., None]
    board *= (0.97 + 0.03 * (r > 0.49))[..., None]
    return Look(_down(coverage, px), _down(shade * coverage, px) / np.maximum(_down(coverage, px), 1e-9),
                _down(highlight * coverage, px) / np.maximum(_down(coverage, px), 1e-9), _down(board, px))


def _brick_look(px: int) -> Look:
    x, y = _grid(px)
    # A 1×1 plate from above: a square with a thin dark seam to its neighbours, edges lit top-left, and a
    # round stud (4.8 mm of the 8 mm pitch) with a bright rim towards the light and a shadow behind it.
    seam = 0.025
    coverage = ((x > seam) & (x < 1 - seam) & (y > seam) & (y < 1 - seam)).astype(float)
    edge = np.minimum(np.minimum(x, 1 - x), np.minimum(y, 1 - y))
    bevel = np.clip((0.09 - edge) / 0.09, 0, 1)
    light = ((0.5 - x) + (0.5 - y)) / np.sqrt(2)
    shade = 0.9 + 0.25 * bevel * np.sign(light)
    r = np.hypot(x - 0.5, y - 0.5)
    stud_r = 0.3
    shadow = np.hypot(x - 0.55, y - 0.56) < stud_r
    shade = np.where(shadow & (r >= stud_r), shade * 0.72, shade)
    stud = r < stud_r
    rim = np.clip((r - stud_r * 0.75) / (stud_r * 0.25), 0, 1)
    shade = np.where(stud, 1.0 + 0.12 * rim * np.sign(light) - 0.04 * rim, shade)
    highlight = np.where(stud, 0.35 * rim * np.clip(light / 0.3, 0, 1), 0.0)
    background = np.full(x.shape + (3,), 25.0)
    return Look(_down(coverage, px), _down(shade * coverage, px) / np.maximum(_down(coverage, px), 1e-9),
                _down(highlight * coverage, px) / np.maximum(_down(coverage, px), 1e-9), _down(background, px))


_LOOKS = {"stitch": _stitch_look, "bead": _bead_look, "brick": _brick_look}


def render_preview(pattern: Pattern, style: str = "realistic", cell_px: int = 20) -> np.ndarray:
    """The preview as ``(H·cell_px, W·cell_px, 3 or 4)`` uint8 (RGBA only for a flat preview with empty cells)."""
    check_size(pattern, style, cell_px)
    craft = pattern.palette.material.craft
    if style == "flat" or craft not in _LOOKS:
        img = pattern.rgba_image() if pattern.empty_count else pattern.rgb_image()
        img = np.repeat(np.repeat(img, cell_px, axis=0), cell_px, axis=1)
        return draw_layers(img, pattern.layers, pattern.palette.rgb, cell_px)
    look = _LOOKS[craft](cell_px)
    h, w, c = pattern.height, pattern.width, cell_px
    cov_tile = look.coverage.astype(np.float32)[None, :, None, :, None]
    shade = look.shade.astype(np.float32)[None, :, None, :, None]
    hi = look.highlight.astype(np.float32)[None, :, None, :, None]
    bg = look.background.astype(np.float32)[None, :, None, :, :]
    rgb = pattern.rgb_image()
    out = np.empty((h * c, w * c, 3), np.uint8)
    band = max(1, 2_000_000 // (w * c * c))  # rows of cells per step: keeps the float temporaries small
    for y0 in range(0, h, band):
        y1 = min(h, y0 + band)
        colours = rgb[y0:y1].astype(np.float32)[:, None, :, None, :]  # (rows,1,W,1,3)
        filled = (pattern.grid[y0:y1] != EMPTY).astype(np.float32)[:, None, :, None, None]
        cov = cov_tile * filled
        lit = colours * shade
        lit += (255 - np.clip(lit, 0, 255)) * hi
        part = bg * (1 - cov) + cov * lit
        out[y0 * c : y1 * c] = np.clip(np.rint(part), 0, 255).astype(np.uint8).reshape((y1 - y0) * c, w * c, 3)
    return draw_layers(out, pattern.layers, pattern.palette.rgb, cell_px)


def check_size(pattern: Pattern, style: str, cell_px: int) -> None:
    if style not in ("flat", "realistic"):
        raise InputError(f"the preview style must be flat or realistic, not '{style}'.")
    if style == "realistic" and cell_px < MIN_REALISTIC_PX and pattern.palette.material.craft in _LOOKS:
        raise InputError(f"a realistic preview needs at least {MIN_REALISTIC_PX} pixels per cell (--cell-px), "
                         f"not {cell_px}; use --style flat for smaller pictures.")
    side = max(pattern.width, pattern.height) * cell_px
    if side > MAX_PNG_SIDE:
        most = max(1, MAX_PNG_SIDE // max(pattern.width, pattern.height))
        raise InputError(f"a {pattern.width}×{pattern.height} pattern at {cell_px} pixels per cell would be "
                         f"{side} pixels wide; the most is {MAX_PNG_SIDE}. Use --cell-px {most} or less.")


def limits_note(pattern: Pattern, options: dict[str, Any]) -> str:
    """"" or why this picture leaves out the pattern's finer stitches (too few pixels per cell)."""
    if pattern.layers.is_empty or options["cell_px"] >= MIN_LAYER_SCALE:
        return ""
    return (f"at {options['cell_px']} pixel{'s' if options['cell_px'] != 1 else ''} per cell the picture shows the "
            f"full stitches only; the {pattern.layers.summary()} need --cell-px {MIN_LAYER_SCALE} or more.")


def write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    from PIL import Image, PngImagePlugin

    style, cell_px = options["style"], options["cell_px"]
    check_size(pattern, style, cell_px)
    reporter.report("drawing preview", 0, 1)
    img = render_preview(pattern, style, cell_px)
    reporter.check()
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"PixlCraft {__version__}")
    title = pattern.metadata.get("title")
    if isinstance(title, str) and title:
        info.add_text("Title", title)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG", pnginfo=info)
    reporter.report("drawing preview", 1, 1)
    return [write_bytes(path, buf.getvalue())]


FORMATS = [
    ExportFormat(
        "png",
        ".png",
        "Preview picture: flat colour cells, or how the finished stitches, beads or bricks will look",
        ["stitch", "bead", "brick", "generic"],
        [
            ExportOption("style", str, "realistic", "flat colour squares, or the look of the finished piece",
                         choices=("flat", "realistic")),
            ExportOption("cell_px", int, 20, "pixels per cell", min=1, max=400),
        ],
        write,
        limits=limits_note,
    )
]
