"""Leave a picture's background unstitched: the cells of the background colour that touch the border.

Logos and sprites are the main use of bead and brick mosaics, and their flat background is rarely wanted as
beads (it is the pegboard, or the fabric). The background is taken to be the colour most common along the
pattern's border; every region of that colour connected (side to side) to the border becomes empty. A colour
that also appears inside the picture, cut off from the border, stays.
"""

from __future__ import annotations

import cv2
import numpy as np

from .edit import Command
from .errors import InputError
from .pattern import EMPTY, Pattern


def background_mask(grid: np.ndarray) -> np.ndarray:
    """Cells of the border's most common colour that are connected to the border (4-connected)."""
    g = np.asarray(grid)
    border = np.concatenate([g[0], g[-1], g[1:-1, 0], g[1:-1, -1]])
    filled = border[border != EMPTY]
    if filled.size == 0:
        return np.zeros(g.shape, bool)
    colour = int(np.bincount(filled).argmax())
    same = (g == colour).astype(np.uint8)
    count, labels = cv2.connectedComponents(same, connectivity=4, ltype=cv2.CV_32S)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    edge_labels = edge_labels[edge_labels > 0]
    return np.isin(labels, edge_labels) & (same > 0)


def clear_background(grid: np.ndarray) -> tuple[np.ndarray, int]:
    """``grid`` with its background emptied, and how many cells that emptied."""
    mask = background_mask(grid)
    out = np.array(grid, copy=True)
    out[mask] = EMPTY
    return out, int(mask.sum())


class ClearBackground(Command):
    """Empty the background (see :func:`background_mask`): those cells get no stitch, bead or brick."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.label = "Clear background"

    def _plan(self, pattern: Pattern):
        mask = background_mask(pattern.grid)
        if mask.all():
            raise InputError("the whole pattern is one background colour; there would be nothing left.")
        ys, xs = np.nonzero(mask)
        self.count = int(ys.size)
        self.label = f"Clear background ({self.count} cells)"
        return pattern.palette, ys, xs, EMPTY
