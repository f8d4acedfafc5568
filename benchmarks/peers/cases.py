"""One configuration (photo, palette, width, budget) and the ways its result is scored."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from pixlcraft.color import ciede2000, linear_to_lab, linear_to_srgb8
from pixlcraft.confetti import confetti_share
from pixlcraft.convert import ConvertOptions, cell_colors, resolve_size, usable_colors
from pixlcraft.imageio import Photo
from pixlcraft.palette import Palette
from pixlcraft.quality import blurred_delta_e
from pixlcraft.sizing import Crop

from .settings import K_FOR_ALL, MIN_SKIN_CELLS, SKIN_CHROMA, SKIN_HUE, SKIN_LIGHTNESS
from .subjects import Subject

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


