"""Run an image model tile by tile with invisible seams and bounded memory, and resize without aliasing.

A super-resolution network's memory grows with the area it sees at once, so a phone photo is cut into tiles.
Each tile is fed with ``pad`` pixels of context on every side that has a neighbour; across the middle of the
overlap the two outputs are cross-faded with linear weights that sum to exactly one, so no weight map is kept
and a seam cannot show a step, and the outer half of the context, where a network's output is least reliable,
is never used. Tiles are assembled one row at a time: as soon as a band of output rows can no longer
change it is shrunk to the final width and set aside, so the full 4× result never exists at once when the
caller wants it smaller — memory stays about one tile row at 4× plus the result.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ..jobs import Reporter


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` (H,W) or (H,W,C) float at ``size`` = (width, height).

    Shrinking averages areas (noise and JPEG blocks average out instead of aliasing into speckles); enlarging
    is bicubic, clipped to the input's range so it cannot ring past black or white. Each axis gets the right
    filter when one shrinks and the other grows.
    """
    w, h = int(size[0]), int(size[1])
    src_h, src_w = image.shape[:2]
    if (src_w, src_h) == (w, h):
        return image.copy()
    a = np.ascontiguousarray(image, dtype=np.float32)
    lo, hi = float(a.min()), float(a.max())
    if (w <= src_w) == (h <= src_h):
        a = _resize_once(a, w, h)
    else:
        a = _resize_once(a, w, src_h)
        a = _resize_once(a, w, h)
    return np.clip(a, lo, hi) if (w > src_w or h > src_h) else a


def _resize_once(a: np.ndarray, w: int, h: int) -> np.ndarray:
    if (a.shape[1], a.shape[0]) == (w, h):
        return a
    shrink = w <= a.shape[1] and h <= a.shape[0]
    out = cv2.resize(a, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)
    return out.reshape(h, w, *a.shape[2:])  # cv2 drops a trailing channel axis of size 1


@dataclass(frozen=True)
class Span:
    """One tile along one axis: it owns ``[core0, core1)`` and reads ``[in0, in1)`` (the core plus context)."""

    core0: int
    core1: int
    in0: int
    in1: int
    pad: int
    """The context width used along this axis (the same for every span of a layout)."""


def spans(length: int, tile: int, pad: int) -> list[Span]:
    """Equal cores of at most ``tile`` pixels covering ``length``, each widened by ``pad`` where it has a neighbour.

    ``pad`` is limited to half the smallest core so that at most two tiles ever overlap (the cross-fade weights
    of :func:`weights` then sum to one).
    """
    if length <= 0 or tile <= 0:
        raise ValueError("length and tile must be positive")
    n = max(1, math.ceil(length / tile))
    edges = [round(i * length / n) for i in range(n + 1)]
    smallest = min(b - a for a, b in zip(edges, edges[1:], strict=False))
    pad = max(0, min(pad, smallest // 2)) if n > 1 else 0
    return [Span(a, b, max(0, a - pad), min(length, b + pad), pad) for a, b in zip(edges, edges[1:], strict=False)]


def weights(span: Span, scale: int) -> np.ndarray:
    """Cross-fade weights for the ``scale``× output of ``span``: 1 in the core, a linear ramp across each overlap.

    At a boundary ``b`` shared by two tiles the ramp runs over ``b ± pad/2``: the left tile's weight at position
    ``u`` is ``(b + pad/2 - u) / pad`` and the right tile's ``(u - b + pad/2) / pad``, so they sum to one and the
    blend needs no normalising. The outer half of each tile's context gets weight zero: a network's output is
    worst right at the edge of what it saw, and there it is not used at all.
    """
    u = (np.arange((span.in1 - span.in0) * scale, dtype=np.float64) + 0.5) / scale + span.in0
    w = np.ones_like(u)
    half = span.pad / 2
    if half > 0:
        if span.core0 > 0:
            w *= np.clip((u - (span.core0 - half)) / (2 * half), 0.0, 1.0)
        if span.in1 > span.core1:
            w *= np.clip(((span.core1 + half) - u) / (2 * half), 0.0, 1.0)
    return w.astype(np.float32)


def run_tiled(
    image: np.ndarray,
    model: Callable[[np.ndarray], np.ndarray],
    scale: int,
    out_size: tuple[int, int] | None = None,
    tile: int = 192,
    pad: int = 16,
    reporter: Reporter | None = None,
    stage: str = "Cleaning up",
    parallel: int = 1,
) -> np.ndarray:
    """Apply ``model`` (an (h,w,C) array → its ``scale``× (h·s,w·s,C) output) to ``image`` tile by tile.

    Returns float32 (H·s, W·s, C), or the result resized to ``out_size`` = (width, height) with :func:`resize`.
    Progress is reported before each tile starts (so a cancel lands between tiles) and once at the end. With
    ``parallel`` > 1, that many tiles are in flight at once on threads (``model`` must then be thread-safe);
    results are still blended in order, so the output is the same.
    """
    h, w = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    rows, cols = spans(h, tile, pad), spans(w, tile, pad)
    full_w, full_h = w * scale, h * scale
    final_w, final_h = out_size if out_size is not None else (full_w, full_h)
    # shrink each finished band to the final width at once when that is smaller; the height comes at the end
    band_w = final_w if final_w < full_w else full_w
    order = [(row, col) for row in rows for col in cols]
    col_weights = {col: weights(col, scale) for col in cols}
    finished: list[np.ndarray] = []
    acc = np.zeros((0, full_w, channels), np.float32)  # output rows [acc_top, acc_top + len(acc))
    acc_top = 0
    outputs = _outputs(image, order, model, parallel, reporter, stage)
    for i, ((row, col), out) in enumerate(zip(order, outputs, strict=True)):
        need = row.in1 * scale - acc_top
        if need > acc.shape[0]:
            acc = np.concatenate([acc, np.zeros((need - acc.shape[0], full_w, channels), np.float32)])
        out = np.asarray(out, dtype=np.float32).reshape(
            (row.in1 - row.in0) * scale, (col.in1 - col.in0) * scale, channels)
        y0 = row.in0 * scale - acc_top
        blend = (weights(row, scale)[:, None] * col_weights[col])[..., None]
        acc[y0:y0 + out.shape[0], col.in0 * scale:col.in1 * scale] += out * blend
        if col is cols[-1]:
            # the tile row is complete: rows above the next tile row's context can no longer change
            r = i // len(cols)
            settled = (rows[r + 1].in0 * scale if r + 1 < len(rows) else full_h) - acc_top
            band, acc, acc_top = acc[:settled], acc[settled:], acc_top + settled
            finished.append(band if band_w == full_w else resize(band, (band_w, band.shape[0])))
    if reporter is not None:
        reporter.report(stage, len(order), len(order))
    result = np.concatenate(finished)
    if (result.shape[1], result.shape[0]) != (final_w, final_h):
        result = resize(result, (final_w, final_h))
    return result if image.ndim == 3 else result[..., 0]


def _outputs(image, order, model, parallel: int, reporter: Reporter | None, stage: str) -> Iterator[np.ndarray]:
    """The model's output for each tile of ``order``, in order, with up to ``parallel`` tiles in flight."""
    total = len(order)

    def piece(i: int) -> np.ndarray:
        row, col = order[i]
        return image[row.in0:row.in1, col.in0:col.in1]

    if parallel <= 1 or total == 1:
        for i in range(total):
            if reporter is not None:
                reporter.report(stage, i, total)
            yield model(piece(i))
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="pixlcraft-tile")
    try:
        in_flight: deque = deque()
        done = 0
        for i in range(total):
            if len(in_flight) == parallel:
                yield in_flight.popleft().result()
                done += 1
            if reporter is not None:
                reporter.report(stage, done, total)
            in_flight.append(pool.submit(model, piece(i)))
        while in_flight:
            yield in_flight.popleft().result()
    except BaseException:
        # Ctrl+C or a failed tile: do not wait here for the tiles in flight; the caller stops their workers
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
