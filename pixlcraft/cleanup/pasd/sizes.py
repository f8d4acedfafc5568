"""The sizes PASD works at and the latent tiles it denoises a large photo in (no torch: the time estimate and the
option checks use them too).

**Working size.** The photo (already at the size the caller wants) is enlarged so its short side is at least
``process_size`` = 768 px when smaller, then rounded down to multiples of 8, as PASD's test script does.

**Latent tiles.** The authors' pipeline denoises a latent larger than ``latent_tiled_size``² (their test script:
320, i.e. 2560 px square in area; 256 when the pipeline runs without their arguments) in square tiles of that size
(or of the latent's short side, when shorter), overlapping by ``latent_tiled_overlap`` = 8 latent pixels, the last
tile of each row and column moved back to end at the border. Each tile runs ControlNet and UNet on its own (with
its piece of the condition image), and the noise predictions are averaged with Gaussian weights (variance 0.01 of
the tile size squared, i.e. σ = tile/10) before guidance and the scheduler step, so the seams blend. Only the
Gaussian's centre differs here: the official code puts the vertical centre at ``size/2`` and the horizontal one at
``(size-1)/2``; both are ``(size-1)/2`` here, so a tile's weights are symmetric.
"""

from __future__ import annotations

import math

import numpy as np

PROCESS_SIZE = 768
LATENT_SCALE = 8
"""Pixels per latent pixel (SD 1.5's VAE)."""
LATENT_TILE = 320
"""Latent tile side of the authors' test script (``--latent_tiled_size``; "for 24G" of GPU memory)."""
LATENT_TILE_OVERLAP = 8
"""Latent pixels by which neighbouring tiles overlap (``--latent_tiled_overlap``)."""
TILE_PX = LATENT_TILE * LATENT_SCALE
"""The same tile in photo pixels: 2560."""
TILE_VARIANCE = 0.01


def processing_size(width: int, height: int, process_size: int = PROCESS_SIZE) -> tuple[int, int]:
    """(width, height) PASD works at: short side raised to ``process_size`` if below it, then multiples of 8."""
    if min(width, height) < process_size:
        if width <= height:
            width, height = process_size, int(process_size * height / width)
        else:
            width, height = int(process_size * width / height), process_size
    return max(8, width // 8 * 8), max(8, height // 8 * 8)


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of side ``tile`` covering ``length``: a stride of ``tile - overlap``, the last tile
    ending at the border (the official grid rule)."""
    if tile >= length:
        return [0]
    stride = tile - overlap
    count = 1 + math.ceil((length - tile) / stride)
    starts = [k * stride for k in range(count - 1)]
    return [*starts, length - tile]


def tile_overlap(tile: int, overlap: int = LATENT_TILE_OVERLAP) -> int:
    """The overlap actually used: the official 8, but at most a quarter of a (test-sized) tile."""
    return max(1, min(overlap, tile // 4))


def latent_tiles(
    latent_h: int, latent_w: int, tile: int = LATENT_TILE, overlap: int = LATENT_TILE_OVERLAP
) -> tuple[int, list[tuple[int, int]]] | None:
    """``(side, [(top, left), …])`` of the square latent tiles for a ``latent_h`` × ``latent_w`` latent, or None
    when it is small enough to run whole (area at most ``tile``², the official test)."""
    if latent_h * latent_w <= tile * tile:
        return None
    side = min(tile, latent_h, latent_w)
    step_overlap = tile_overlap(side, overlap)
    rows = tile_starts(latent_h, side, step_overlap)
    cols = tile_starts(latent_w, side, step_overlap)
    return side, [(top, left) for top in rows for left in cols]


def tile_weights(side: int) -> np.ndarray:
    """(side, side) Gaussian blending weights of one tile: σ = side/10 around the centre (see the module doc)."""
    centre = (side - 1) / 2
    x = np.arange(side, dtype=np.float64)
    profile = np.exp(-((x - centre) ** 2) / (side * side) / (2 * TILE_VARIANCE))
    profile /= math.sqrt(2 * math.pi * TILE_VARIANCE)
    return np.outer(profile, profile)


def tiled_pixels(work_w: int, work_h: int, tile_px: int = TILE_PX) -> int:
    """Pixels the networks process for one step at a working size: the whole, or the sum of the tiles."""
    tile = max(1, tile_px // LATENT_SCALE)
    tiles = latent_tiles(work_h // LATENT_SCALE, work_w // LATENT_SCALE, tile)
    if tiles is None:
        return work_w * work_h
    side, positions = tiles
    return len(positions) * (side * LATENT_SCALE) ** 2
