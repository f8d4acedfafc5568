"""The classic photo → pattern maker.

It is also SD-πXL's starting point, so it has to be good on its own: each cell's colour is the true average
of the photo area it covers, computed in linear light (averaging sRGB values darkens edges and fine texture);
each cell then gets the palette colour nearest by CIEDE2000, exactly; a colour budget is met by choosing the
best K colours for this photo (not the K most frequent); and isolated single cells are cleaned up when that
costs little. Every step is a named function so the GUI, the CLI, SD-πXL's init and the benchmarks share them.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from . import __version__
from .adjust import adjust_linear, check_amount
from .budget import choose_colors
from .capacity import REPAIR_COST, check_enough, faithful_note, fit_capacity, stocked, widen_for_stock
from .color import ciede2000, linear_to_lab, srgb8_to_linear, srgb_to_linear
from .confetti import DEFAULT_TOLERANCE, confetti_share, remove_confetti
from .detail import DETAIL_CHOICES, Detail, detailed_cells
from .dither import DITHER_METHODS, dither
from .errors import InputError
from .fileio import readable
from .imageio import Photo, load_photo
from .jobs import CancelToken, ProgressCallback, Reporter
from .nearest import nearest_colors
from .palette import Palette
from .pattern import EMPTY, Pattern
from .purchase import BuyPlan, plan_purchases
from .sizing import Crop, crop_to_aspect, target_cells
from .symbols import MAX_SYMBOLS, SINGLE_SYMBOLS

Dither = Literal["none", "floyd-steinberg", "ordered"]
AlphaMode = Literal["composite", "empty"]
DITHER_CHOICES: tuple[str, ...] = ("none", *DITHER_METHODS)


@dataclass
class ConvertOptions:
    """Everything the classic converter can be told; the defaults are what a stitcher wants."""

    width: int | None = None
    height: int | None = None
    crop: Crop | None = None
    max_colors: int | None = None
    """Colour budget (at most 731, the chart symbols). None: every colour the photo needs, up to the 151 that
    get one-glyph chart symbols."""
    dither: Dither = "none"
    """Error diffusion (fine shading, for stitching), an ordered pattern (a regular texture, for beads and
    bricks) or none. A dithered pattern is speckled on purpose, so the confetti clean-up leaves it alone."""
    detail: Detail = "auto"
    """``auto``: cells crossed by a thin line take the line's colour, and flat graphics keep their own colours
    (:mod:`pixlcraft.detail`); ``average``: every cell is its area's average colour."""
    dither_strength: float = 1.0
    """How much of each cell's error is passed on (0–1): lower is calmer, with fewer mixed cells."""
    cleanup: bool = True
    confetti_tolerance: float = DEFAULT_TOLERANCE
    alpha: AlphaMode = "composite"
    background: tuple[int, int, int] = (255, 255, 255)
    alpha_threshold: float = 0.5
    include_transparent: bool = False
    """Allow see-through colours (LEGO Trans-*, Hama clear beads). Off by default: over a base plate or on a
    pegboard they do not look like their swatch, and photos pick them often because they are mid-tones."""
    include_special: bool = False
    """Allow every colour: also clear, glow, pearl, metallic and glitter ones, and colours sold in one region
    only or no longer made (:attr:`PaletteEntry.standard`). A palette of colours the user owns sets this: what
    is in the box is used whatever it is."""
    title: str = ""
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    """Photo adjustments in [-1, 1] (0 = none), applied to the cells' colours (:mod:`pixlcraft.adjust`)."""
    buy: BuyPlan | None = None
    """With ``capacity``: what may be bought beyond the stash (:mod:`pixlcraft.purchase`); None: nothing."""
    capacity: tuple[float, ...] | None = None
    """Cells each palette colour can make at most (a stash, :meth:`pixlcraft.stash.Stash.capacity`), or None
    for unlimited. Then only stocked colours are used, and the pattern is the one of least total CIEDE2000
    that stays within the stock (:mod:`pixlcraft.capacity`); the dither and the confetti clean-up are repaired
    to stay within it too."""
    empty_background: bool = False
    """Leave the background unstitched: cells of the border's main colour connected to the border stay empty
    (:mod:`pixlcraft.background`), for logos and sprites on a plain background."""

    def validate(self) -> None:
        if self.max_colors is not None and self.max_colors < 1:
            raise InputError(f"--max-colors must be at least 1 (got {self.max_colors}).")
        if self.max_colors is not None and self.max_colors > MAX_SYMBOLS:
            raise InputError(f"--max-colors can be at most {MAX_SYMBOLS}, the most colours a chart can tell apart "
                             f"by symbol (got {self.max_colors}).")
        if self.dither not in DITHER_CHOICES:
            raise InputError(f"unknown dithering '{self.dither}'; choose one of: {', '.join(DITHER_CHOICES)}.")
        if self.detail not in DETAIL_CHOICES:
            raise InputError(f"unknown detail mode '{self.detail}'; choose one of: {', '.join(DETAIL_CHOICES)}.")
        if not (isinstance(self.dither_strength, int | float) and 0.0 <= self.dither_strength <= 1.0):
            raise InputError(f"--dither-strength must be a number from 0 to 1 (got {self.dither_strength}).")
        if self.alpha not in ("composite", "empty"):
            raise InputError(f"unknown alpha handling '{self.alpha}'; choose 'composite' or 'empty'.")
        if not 0.0 < self.alpha_threshold <= 1.0:
            raise InputError("the alpha threshold must be in (0, 1].")
        if self.confetti_tolerance < 0:
            raise InputError("the confetti tolerance must not be negative.")
        for name in ("brightness", "contrast", "saturation"):
            check_amount(name, getattr(self, name))


@dataclass
class ConvertResult:
    pattern: Pattern
    cell_lab: np.ndarray
    """(H,W,3) CIELAB of each cell's area-averaged photo colour: the target the pattern approximates."""
    confetti_removed: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    notes: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Things worth telling the user, as (command line, window) wordings: ``stash_faithful`` names the size up
    to which a stash needs no colour to stand in for another."""


@lru_cache(maxsize=1)
def _linear_lut() -> np.ndarray:
    """sRGB → linear for 65,536 levels: exact to 16 bits and ~10× faster than the power law per pixel."""
    return srgb_to_linear(np.linspace(0.0, 1.0, 65536)).astype(np.float32)


def photo_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Float sRGB in [0,1] → float32 linear light, through the 16-bit table."""
    idx = np.clip(srgb, 0.0, 1.0) * 65535.0 + 0.5
    return _linear_lut()[idx.astype(np.uint16)]


def _cropped(photo: Photo, crop: Crop | None) -> tuple[np.ndarray, np.ndarray | None]:
    linear, alpha = photo.linear(), photo.alpha
    if crop is not None:
        linear = linear[crop.top : crop.bottom, crop.left : crop.right]
        alpha = None if alpha is None else alpha[crop.top : crop.bottom, crop.left : crop.right]
    return linear, alpha


def cell_colors(
    photo: Photo, width: int, height: int, crop: Crop | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Average the photo over each cell's area in linear light.

    Returns linear RGB (H,W,3) float32 of the covered part of each cell, and the fraction of each cell that
    is covered (alpha), or None for opaque photos. Transparent pixels do not bleed their (meaningless) colour
    into the cell: colours are alpha-weighted.
    """
    linear, alpha = _cropped(photo, crop)
    size = (int(width), int(height))
    if alpha is None:
        return cv2.resize(linear, size, interpolation=cv2.INTER_AREA), None
    a = np.ascontiguousarray(alpha, dtype=np.float32)
    weighted = cv2.resize(linear * a[..., None], size, interpolation=cv2.INTER_AREA)
    coverage = cv2.resize(a, size, interpolation=cv2.INTER_AREA)
    with np.errstate(invalid="ignore", divide="ignore"):
        colour = np.where(coverage[..., None] > 1e-6, weighted / np.maximum(coverage[..., None], 1e-6), 0.0)
    return colour.astype(np.float32), coverage


def resolve_size(photo: Photo, options: ConvertOptions) -> tuple[int, int, Crop | None]:
    """Cells across and down, and the crop that gives the cells square pixels of the photo."""
    crop = options.crop
    if crop is not None and (crop.right > photo.width or crop.bottom > photo.height):
        raise InputError(
            f"the crop {crop.right - crop.left}×{crop.bottom - crop.top} at ({crop.left},{crop.top}) "
            f"does not fit inside the {photo.width}×{photo.height} image."
        )
    w0 = crop.right - crop.left if crop else photo.width
    h0 = crop.bottom - crop.top if crop else photo.height
    width, height = target_cells(w0, h0, options.width, options.height, crop=None)
    if options.width and options.height and crop is None:
        # Both sides given: fill them by cropping the photo's centre to the same aspect, never by squashing.
        crop = crop_to_aspect(photo.width, photo.height, width / height)
    return width, height, crop


def convert_photo(
    photo: Photo,
    palette: Palette,
    options: ConvertOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ConvertResult:
    """Turn a loaded photo into a pattern in ``palette``'s colours."""
    options = options or ConvertOptions()
    # 1. check inputs
    options.validate()
    rep = Reporter(progress, cancel)
    width, height, crop = resolve_size(photo, options)
    steps = 4 + (options.max_colors is not None)
    done = 0

    # 2. area-average into cells, in linear light
    rep.report("Averaging the photo into cells", done, steps)
    linear, coverage = cell_colors(photo, width, height, crop)
    plain = linear  # without kept detail: what a dither must add up to (see pixlcraft.dither.dither)
    if options.detail != "average":
        key = ("detail", options.detail, width, height, None if crop is None else astuple(crop))
        if key not in photo.derived:  # the same for every colour setting: worked out once per photo and size
            pixels, alpha = _cropped(photo, crop)
            photo.derived.clear()
            photo.derived[key] = detailed_cells(pixels, linear, (width, height), alpha, options.detail)
        linear = photo.derived[key].copy()
    linear = adjust_linear(linear, options.brightness, options.contrast, options.saturation)
    mask = _cell_mask(linear, coverage, options)
    lab = linear_to_lab(linear.astype(np.float64))
    done += 1

    # 3. exact nearest palette colour for every cell
    rep.report("Matching colours", done, steps)
    allowed = usable_colors(palette, options.include_transparent, options.include_special)
    cap = None
    if options.capacity is not None:
        cap = np.asarray(options.capacity, np.float64)
        if options.buy is not None:  # stocked colours, and the ones that may be bought
            allowed = np.union1d(stocked(cap, len(palette)), allowed)
        else:
            allowed = stocked(cap, len(palette))
            if not allowed.size:
                raise InputError(f"the stash has none of the {palette.brand} colours; add some to it, or choose "
                                 "the palette it holds.")
    idx, _ = nearest_colors(lab[mask], palette.lab, allowed=allowed)
    if cap is not None and options.buy is None:
        check_enough(cap, int(mask.sum()), width, height, idx)
    stock_all = allowed
    grid = np.full((height, width), EMPTY, np.int16)
    grid[mask] = idx
    done += 1

    # 4. colour budget: the K colours that minimise total error, then re-map. Without one, a pattern that
    #    would need more colours than a chart has one-glyph symbols gets that many, so the default chart is
    #    easy to read and never leads into an export that must refuse it.
    budget = options.max_colors
    if budget is None and np.unique(idx).size > SINGLE_SYMBOLS:
        budget = SINGLE_SYMBOLS
        steps += 1
    if budget is not None:
        rep.report(f"Choosing the best {budget} colours", done, steps)
        if np.unique(idx).size > budget:
            allowed = choose_colors(lab[mask], palette.lab, budget, allowed=allowed)
            liked = np.bincount(idx, minlength=len(palette)).astype(np.float64)
            if cap is not None and options.buy is None:  # the pick may hold too little: add the fewest that do
                allowed = widen_for_stock(allowed, stock_all, cap, int(mask.sum()), liked)
            elif cap is not None:  # buying: what the stash has and the photo wants is used first, budget or not
                owned = stock_all[(cap[stock_all] > 0) & (liked[stock_all] > 0)]
                allowed = np.union1d(allowed, owned)
            idx, _ = nearest_colors(lab[mask], palette.lab, allowed=allowed)
            grid[mask] = idx
        done += 1
    moved, bought = 0, None
    if cap is not None:
        rep.report("Fitting the colours to your stash", done, steps)
    if cap is not None and options.buy is None:  # exact: the nearest colours moved as little as the stock demands
        grid[mask], moved = _fit(grid[mask], lab[mask], palette, cap, allowed, 0.0)
    elif cap is not None:  # the stash first, buying where the plan allows and it pays
        liked = np.bincount(idx, minlength=len(palette)).astype(np.float64)
        new_idx, bought, allowed = plan_purchases(lab[mask], palette.lab, cap, allowed, liked, options.buy,
                                                 rep.check)
        moved = int((new_idx != idx).sum())
        grid[mask] = new_idx.astype(np.int16)
        cap = cap + bought  # what is bought is stock for the dither's and clean-up's repairs

    # 5. optional dithering over the chosen colours, in linear light (see :mod:`pixlcraft.dither`)
    dithered = options.dither != "none" and options.dither_strength > 0
    if dithered:
        rep.report("Dithering", done, steps)
        grid = dither(options.dither, linear, srgb8_to_linear(palette.rgb), palette.lab, allowed, mask,
                      options.dither_strength, check=rep.check,
                      plain=None if options.detail == "average"
                      else adjust_linear(plain, options.brightness, options.contrast, options.saturation))
        if cap is not None:
            grid[mask], moved = _fit(grid[mask], lab[mask], palette, cap, allowed, REPAIR_COST)
    done += 1

    # 6. confetti clean-up: not on a dithered pattern, whose mixed cells are the point (the clean-up would
    #    erase the dither and leave its error in place)
    removed = 0
    if options.cleanup and not dithered:
        rep.report("Removing confetti", done, steps)
        grid, removed = remove_confetti(grid, lab, palette.lab, options.confetti_tolerance)
        if cap is not None:
            grid[mask], _ = _fit(grid[mask], lab[mask], palette, cap, allowed, REPAIR_COST)
    done += 1
    if options.empty_background:
        from .background import clear_background

        grid, _ = clear_background(grid)
    rep.report("Done", done, steps)

    pattern = Pattern(
        grid=grid,
        palette=palette,
        metadata={
            "title": options.title or readable(Path(photo.path).stem) or "Untitled",
            "source": readable(photo.path),
            "recipe": {
                "maker": "classic",
                "width": width,
                "height": height,
                "crop": None if crop is None else [crop.left, crop.top, crop.right, crop.bottom],
                "photo_size": [photo.width, photo.height],  # what the crop's pixels refer to
                "chosen_height": options.height is not None,  # or it followed the photo's shape
                "max_colors": budget,
                "detail": options.detail,
                "dither": options.dither,
                "dither_strength": options.dither_strength,
                "cleanup": options.cleanup,
                "confetti_tolerance": options.confetti_tolerance,
                "alpha": options.alpha,
                "include_transparent": options.include_transparent,
                "include_special": options.include_special,
                "background": list(options.background),
                "empty_background": options.empty_background,
                "adjust": [options.brightness, options.contrast, options.saturation],
                "palette": palette.name,
            },
            "app_version": __version__,
        },
    )
    stats = pattern_stats(pattern, lab)
    notes: dict[str, tuple[str, str]] = {}
    if cap is not None:
        stats["moved_for_stock"] = float(moved)
        if options.buy is None:  # many colours standing in for others: say up to which size they need not
            cli_note, gui_note, size = faithful_note(idx, cap, width, height)
            if cli_note and moved > 0.05 * idx.size:
                notes["stash_faithful"] = (cli_note, gui_note)
                stats["faithful_width"], stats["faithful_height"] = float(size[0]), float(size[1])
    if bought is not None:
        final = pattern.counts()[:len(palette)]
        owned = np.asarray(options.capacity, np.float64)
        to_buy = np.maximum(final - owned, 0)  # what the finished pattern uses beyond the stash
        stats["bought_cells"] = float(to_buy.sum())
        pattern.metadata["recipe"]["bought"] = {palette[int(i)].code: int(to_buy[i]) for i in np.flatnonzero(to_buy)}
    return ConvertResult(pattern, lab, removed, stats, notes)




def _fit(idx: np.ndarray, lab: np.ndarray, palette: Palette, cap: np.ndarray, allowed: np.ndarray,
         keep_cost: float) -> tuple[np.ndarray, int]:
    out, moved = fit_capacity(idx, lab, palette.lab, cap, allowed, keep_cost)
    return out.astype(np.int16), moved


def convert_file(
    path: str | Path,
    palette: Palette,
    options: ConvertOptions | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ConvertResult:
    """Load an image file safely and convert it (errors are :class:`InputError` with a clear message)."""
    return convert_photo(load_photo(path), palette, options, progress, cancel)


def usable_colors(palette: Palette, include_transparent: bool = False,
                  include_special: bool = False) -> np.ndarray:
    """Indices of the colours a pattern may use: the standard ones (opaque or neon, on sale everywhere), plus
    see-through ones with ``include_transparent``, plus everything with ``include_special``."""
    if include_special:
        return np.arange(len(palette))
    keep = np.array([e.standard or (include_transparent and e.see_through and e.availability == "current"
                                    and e.finish in ("opaque", "transparent", "translucent"))
                     for e in palette.entries], dtype=bool)
    if not keep.any():
        raise InputError(f"every colour of the palette '{palette.name}' is special (see-through, glow, pearl, "
                         "metallic, glitter, or not generally sold); allow them with --include-special.",
                         gui="Every colour of this palette is a special one (clear, glow, pearl, metallic…). "
                             "Tick “Special colours too” in the Colours section to use them.")
    return np.flatnonzero(keep)


def pattern_stats(pattern: Pattern, cell_lab: np.ndarray) -> dict[str, float]:
    """Mean CIEDE2000 to the area-averaged photo, confetti share, colours used."""
    filled = pattern.grid >= 0
    if not filled.any():
        return {"mean_delta_e": 0.0, "confetti_share": 0.0, "colors_used": 0}
    de = ciede2000(cell_lab[filled], pattern.palette.lab[pattern.grid[filled]])
    return {
        "mean_delta_e": float(de.mean()),
        "confetti_share": confetti_share(pattern.grid),
        "colors_used": int(np.unique(pattern.grid[filled]).size),
    }


def _cell_mask(linear: np.ndarray, coverage: np.ndarray | None, options: ConvertOptions) -> np.ndarray:
    """Which cells get a colour; for 'composite', blends partly covered cells over the background in place."""
    h, w = linear.shape[:2]
    if coverage is None:
        return np.ones((h, w), np.bool_)
    if options.alpha == "empty":
        mask = coverage >= options.alpha_threshold
        if not mask.any():
            raise InputError("every cell of this image is transparent; nothing is left to make a pattern from.")
        return mask
    bg = photo_to_linear(np.asarray(options.background, np.float32) / 255.0)
    linear[...] = linear * coverage[..., None] + bg * (1.0 - coverage[..., None])
    return np.ones((h, w), np.bool_)
