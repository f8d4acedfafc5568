"""What one pattern cell becomes in the real world.

A material knows its physical pitch (so a size in cells becomes centimetres, and a printed bead sheet can be
true to scale) and which craft it belongs to (so front ends offer the exporters that make sense).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Craft = Literal["stitch", "bead", "brick", "generic"]


@dataclass(frozen=True)
class Material:
    key: str
    craft: Craft
    description: str
    pitch_mm: float
    """Centre-to-centre distance of two cells in millimetres."""

    def size_mm(self, width_cells: int, height_cells: int) -> tuple[float, float]:
        return width_cells * self.pitch_mm, height_cells * self.pitch_mm


AIDA_14 = Material("aida14", "stitch", "Cross stitch on 14-count Aida", 25.4 / 14)
BEAD_MIDI = Material("bead5", "bead", "5 mm fuse bead (midi)", 5.0)
BEAD_MINI = Material("bead2.6", "bead", "2.6 mm fuse bead (mini)", 2.6)
BRICK_1X1 = Material("brick1x1", "brick", "1×1 plate or tile (one stud)", 8.0)
GENERIC = Material("generic", "generic", "Pixel", 1.0)

MATERIALS: dict[str, Material] = {m.key: m for m in (AIDA_14, BEAD_MIDI, BEAD_MINI, BRICK_1X1, GENERIC)}


def aida(count: float) -> Material:
    """Cross stitch on Aida of ``count`` stitches per inch (11, 14, 16, 18 are usual)."""
    if not 4 <= count <= 40:
        raise ValueError(f"fabric count {count} is outside 4–40 stitches per inch")
    return Material(f"aida{count:g}", "stitch", f"Cross stitch on {count:g}-count Aida", 25.4 / count)
