"""What the benchmark runs over, and its thresholds."""

from __future__ import annotations

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


