"""Suggested backstitch outline: dark lines along a pattern's strong edges (``--outline auto|CODE``).

Backstitch is what makes a small cross-stitch read — a face's jaw, a cat's ear against a dark ground — and
stitchers add it by hand along the edges they see. Here it is proposed from two sources, both snapped to the
chart's **grid points** (cell corners: where a needle goes in; half points would need the fabric pierced mid
hole on 14-count Aida, so they are not used):

1. **edges of the photo**, found at the photo's own resolution (a cell's average hides where inside it the
   edge runs): Canny on the photo's lightness L*, after a blur of a quarter cell so texture finer than a
   stitch does not count. The threshold is **adaptive**: the gradient magnitude at the ``edge_percentile``-th
   percentile of the photo (default 90: the strongest tenth of the photo's gradients), never below a floor of
   a step of ``MIN_STEP_L`` L*, so a flat graphic outlines its real edges and a busy photo only its strongest.
   Each edge pixel votes for the nearest grid segment of its own direction (across, down, or one of the two
   cell diagonals, from the gradient's angle); a segment is stitched when edge pixels cover at least half its
   length;
2. **contrasting regions of the pattern**: a cell side between two stitched colours more than
   ``contrast`` CIEDE2000 apart — this catches boundaries of equal lightness (red on green) that the lightness
   edges miss — unless a photo edge passes within one cell of one of its ends: that is the same edge seen twice
   (a dark line in the photo becomes a row of dark cells, whose two sides would otherwise be outlined beside
   the line itself, and a slanted edge would get a staircase beside its diagonal).

The unit segments are then merged into straight runs (collinear and touching, diagonals included), and runs
shorter than ``min_run`` cells (3) are dropped: a stub of one or two cells is work for the stitcher and reads as
noise (on a cat's fur at 70 cells, the 2-cell stubs were half the runs, and a person driving the app saw them
as noise; their removal keeps 62 % of the length in 48 % of the runs).

The thread: a palette code, or ``auto`` — the darkest usable colour of the palette (near ties go to the more
neutral one, so DMC gives 310 black rather than a dark navy). Since every pattern colour comes from the same
palette, the outline is then at least as dark as anything it borders, which is what lets it read as a line.
"""

from __future__ import annotations

import cv2
import numpy as np

from .color import ciede2000
from .errors import InputError
from .imageio import Photo
from .pattern import Pattern
from .stitches import BACKSTITCH, Lines
from .suggest import chart_photo, require_stitch

DEFAULT_EDGE_PERCENTILE = 90.0
DEFAULT_CONTRAST = 35.0
"""ΔE00 between neighbouring pattern colours that counts as a contrasting boundary (black/white is 100; two
neighbouring skin shades 5–10): only boundaries a stitcher would outline."""
MIN_STEP_L = 8.0
"""The smallest lightness step (L*) that counts as an edge, whatever the percentile says."""
MIN_RUN = 3
_NEAR_TIE_L = 3.0

# unit-segment directions (dx, dy) from the start corner: across, down, "\" and "/" cell diagonals
_DIRS = ((1, 0), (0, 1), (1, 1), (1, -1))


def outline_colour(pattern: Pattern, choice: str = "auto") -> int:
    """The palette index of the outline thread: ``choice`` as a palette code, or for ``auto`` the darkest
    usable colour (see the module docstring); an unknown code is a :class:`PaletteError` naming close ones."""
    if choice.strip().lower() != "auto":
        return pattern.palette.index_of(choice)
    from .convert import usable_colors

    recipe = pattern.metadata.get("recipe") or {}
    allowed = usable_colors(pattern.palette, bool(recipe.get("include_transparent")),
                            bool(recipe.get("include_special")))
    lab = pattern.palette.lab[allowed]
    dark = lab[:, 0] <= lab[:, 0].min() + _NEAR_TIE_L
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    pick = np.flatnonzero(dark)[np.argmin(chroma[dark] + lab[dark, 0])]
    return int(allowed[pick])


def photo_edge_segments(linear: np.ndarray, width: int, height: int,
                        edge_percentile: float = DEFAULT_EDGE_PERCENTILE) -> list[np.ndarray]:
    """Boolean maps of the unit grid segments the photo's edges run along: across ``(H+1, W)``, down
    ``(H, W+1)``, ``\\`` diagonals ``(H, W)`` and ``/`` diagonals ``(H, W)`` (indexed by the cell they cross)."""
    ph, pw = linear.shape[:2]
    ppc_x, ppc_y = pw / width, ph / height
    ppc = (ppc_x + ppc_y) / 2
    y_lum = linear[..., 0] * 0.2126 + linear[..., 1] * 0.7152 + linear[..., 2] * 0.0722
    lightness = np.where(y_lum > 216 / 24389, 116 * np.cbrt(y_lum) - 16, y_lum * 24389 / 27)
    img = np.clip(lightness * 2.55, 0, 255).astype(np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), max(0.8, ppc / 4))
    dx = cv2.Sobel(img, cv2.CV_16S, 1, 0)
    dy = cv2.Sobel(img, cv2.CV_16S, 0, 1)
    mag = np.hypot(dx.astype(np.float32), dy.astype(np.float32))
    high = max(float(np.percentile(mag, edge_percentile)), 4 * MIN_STEP_L * 2.55)  # Sobel: 4× a step's height
    edges = cv2.Canny(dx, dy, 0.4 * high, high, L2gradient=True)
    py, px = np.nonzero(edges)
    u, v = (px + 0.5) / ppc_x, (py + 0.5) / ppc_y
    # the edge runs across the gradient: bin the gradient's angle (0–180°) into the four segment directions
    ang = np.degrees(np.arctan2(dy[py, px], dx[py, px])) % 180.0
    bin_ = np.rint(ang / 45.0).astype(np.int64) % 4  # 0: gradient →, edge down; 1: ↘, edge "/"; 2: ↓; 3: ↙
    maps = [np.zeros((height + 1, width)), np.zeros((height, width + 1)), np.zeros((height, width)),
            np.zeros((height, width))]

    def vote(target: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> None:
        ok = (rows >= 0) & (rows < target.shape[0]) & (cols >= 0) & (cols < target.shape[1])
        np.add.at(target, (rows[ok], cols[ok]), 1.0)

    s = bin_ == 2  # edge across
    vote(maps[0], np.rint(v[s]).astype(np.int64), np.floor(u[s]).astype(np.int64))
    s = bin_ == 0  # edge down
    vote(maps[1], np.floor(v[s]).astype(np.int64), np.rint(u[s]).astype(np.int64))
    s = bin_ == 3  # edge "\": lines y - x = k
    k = np.rint(v[s] - u[s])
    c = np.floor((u[s] + v[s] - k) / 2)
    vote(maps[2], (c + k).astype(np.int64), c.astype(np.int64))
    s = bin_ == 1  # edge "/": lines y + x = k
    k = np.rint(u[s] + v[s])
    c = np.floor((u[s] - v[s] + k) / 2)
    vote(maps[3], (k - c - 1).astype(np.int64), c.astype(np.int64))
    need = (0.5 * ppc_x, 0.5 * ppc_y, 0.5 * np.hypot(ppc_x, ppc_y), 0.5 * np.hypot(ppc_x, ppc_y))
    return [(m >= n) & _strongest_across(m, axis) for m, n, axis in zip(maps, need, (0, 1, None, None), strict=True)]


def _strongest_across(votes: np.ndarray, axis: int | None) -> np.ndarray:
    """Where a segment has at least the votes of its parallel neighbours one cell away (``axis``: 0 for
    segments across, whose neighbours are above and below; 1 for segments down; None keeps all). Both sides
    of a dark line one cell wide — an eye's rim, a whisker — are edges, but a stitcher outlines it once."""
    if axis is None:
        return np.ones(votes.shape, bool)
    v = np.moveaxis(votes, axis, 0)
    before = np.concatenate([np.full((1, *v.shape[1:]), -1.0), v[:-1]])
    after = np.concatenate([v[1:], np.full((1, *v.shape[1:]), -1.0)])
    keep = (v > before) & (v >= after)  # a tie keeps the first of the two
    return np.moveaxis(keep, 0, axis)


def contrast_segments(pattern: Pattern, contrast: float = DEFAULT_CONTRAST) -> tuple[np.ndarray, np.ndarray]:
    """Cell sides between two stitched colours more than ``contrast`` ΔE00 apart: across ``(H+1, W)`` and down
    ``(H, W+1)`` maps like :func:`photo_edge_segments`'."""
    g, lab = pattern.grid.astype(np.int64), pattern.palette.lab
    across = np.zeros((pattern.height + 1, pattern.width), bool)
    down = np.zeros((pattern.height, pattern.width + 1), bool)
    for a, b, out in ((g[:-1, :], g[1:, :], across[1:-1, :]), (g[:, :-1], g[:, 1:], down[:, 1:-1])):
        both = (a >= 0) & (b >= 0) & (a != b)
        de = np.zeros(a.shape)
        de[both] = ciede2000(lab[a[both]], lab[b[both]])
        out[...] = de > contrast
    return across, down


def _touched(maps: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """``(H+1, W+1)``: which grid points a segment of ``maps`` starts or ends at."""
    t = np.zeros((height + 1, width + 1), bool)
    r, c = np.nonzero(maps[0])
    t[r, c] = t[r, c + 1] = True
    r, c = np.nonzero(maps[1])
    t[r, c] = t[r + 1, c] = True
    r, c = np.nonzero(maps[2])
    t[r, c] = t[r + 1, c + 1] = True
    r, c = np.nonzero(maps[3])
    t[r + 1, c] = t[r, c + 1] = True
    return t


def merge_runs(maps: list[np.ndarray], min_run: int = MIN_RUN) -> np.ndarray:
    """Unit segments → straight runs ``(N, 4)`` int64 ``x1, y1, x2, y2`` in cells (grid points): touching
    collinear segments joined, runs of fewer than ``min_run`` unit steps dropped."""
    out = []
    for m, (dx, dy) in zip(maps, _DIRS, strict=True):
        r, c = np.nonzero(m)
        if not r.size:
            continue
        x0, y0 = c, r + (1 if dy < 0 else 0)  # start corner of each unit segment
        key = {(1, 0): y0, (0, 1): x0, (1, 1): y0 - x0, (1, -1): y0 + x0}[(dx, dy)]
        pos = y0 if (dx, dy) == (0, 1) else x0
        order = np.lexsort((pos, key))
        key, pos, x0, y0 = key[order], pos[order], x0[order], y0[order]
        start = np.ones(key.size, bool)
        start[1:] = (np.diff(key) != 0) | (np.diff(pos) != 1)
        first = np.flatnonzero(start)
        steps = np.diff(np.append(first, key.size))
        keep = steps >= min_run
        first, steps = first[keep], steps[keep]
        out.append(np.column_stack([x0[first], y0[first], x0[first] + dx * steps, y0[first] + dy * steps]))
    return np.concatenate(out).astype(np.int64) if out else np.zeros((0, 4), np.int64)


def outline_lines(pattern: Pattern, photo: Photo | None, colour: str = "auto", *,
                  edge_percentile: float = DEFAULT_EDGE_PERCENTILE, contrast: float = DEFAULT_CONTRAST,
                  min_run: int = MIN_RUN) -> Lines:
    """The suggested outline of ``pattern`` (made from ``photo``) as backstitches in one thread.

    Without a photo (a chart opened from another program's file) only the contrasting boundaries of the
    pattern itself are outlined: less than with the photo, but still what a stitcher would outline."""
    require_stitch(pattern, "--outline")
    if not 0.0 < edge_percentile < 100.0:
        raise InputError(f"the edge percentile must be between 0 and 100 (got {edge_percentile}).")
    index = outline_colour(pattern, colour)
    h, w = pattern.height, pattern.width
    photo_maps = [np.zeros((h + 1, w), bool), np.zeros((h, w + 1), bool), np.zeros((h, w), bool),
                  np.zeros((h, w), bool)] if photo is None else \
        photo_edge_segments(chart_photo(pattern, photo), w, h, edge_percentile)
    across, down = contrast_segments(pattern, contrast)
    seen = cv2.dilate(_touched(photo_maps, pattern.height, pattern.width).astype(np.uint8), np.ones((3, 3))) > 0
    across &= ~(seen[:, :-1] | seen[:, 1:])
    down &= ~(seen[:-1, :] | seen[1:, :])
    maps = [photo_maps[0] | across, photo_maps[1] | down, photo_maps[2], photo_maps[3]]
    return Lines.from_cells(merge_runs(maps, min_run), index, 0, BACKSTITCH)


def outline_pattern(pattern: Pattern, photo: Photo | None, colour: str = "auto", **kwargs: float) -> Pattern:
    """A copy of ``pattern`` with the suggested outline added to its backstitches (any it had are kept, and a
    suggested stitch the pattern already has is not added twice, so asking again changes nothing)."""
    lines = outline_lines(pattern, photo, colour, **kwargs)
    have = pattern.layers.backstitches
    if len(have) and len(lines):  # a run mostly on stitches the chart has (asked again, or after a reopen)
        known = _unit_segments(have.cells())
        lines = lines.select(np.array([np.mean([u in known for u in _unit_segments(run[None])]) < 0.5
                                       for run in lines.cells()], bool))
    out = pattern.copy()
    out.layers = pattern.layers.replace(backstitches=pattern.layers.backstitches.concat(lines))
    out.validate()
    return out


def _unit_segments(runs: np.ndarray) -> set[tuple[int, int, int, int]]:
    """The one-cell pieces (between neighbouring grid points, either way round) of straight runs that go
    across, down or diagonally; other lines (drawn by hand between half points) give no pieces."""
    out: set[tuple[int, int, int, int]] = set()
    for x1, y1, x2, y2 in np.asarray(runs, np.float64).reshape(-1, 4):
        dx, dy = x2 - x1, y2 - y1
        steps = max(abs(dx), abs(dy))
        if steps == 0 or not float(steps).is_integer() or (dx and dy and abs(dx) != abs(dy)):
            continue
        if not all(float(v).is_integer() for v in (x1, y1)):
            continue
        sx, sy = int(np.sign(dx)), int(np.sign(dy))
        for k in range(int(steps)):
            a = (int(x1) + k * sx, int(y1) + k * sy)
            b = (a[0] + sx, a[1] + sy)
            out.add((*min(a, b), *max(a, b)))
    return out
