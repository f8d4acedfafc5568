"""The window's view toggles and its status-bar readouts: what the cell under the cursor holds, and the
pattern's size, material and zoom.

A mixin of :class:`~pixlcraft.gui.main_window.MainWindow` (it uses the window's document, canvas, settings and
labels), kept apart so the window stays a layout of panels and jobs.
"""

from __future__ import annotations

from ..pattern import EMPTY
from .legend import cell_word


class ViewStatusMixin:

    def _show_grid(self, on: bool) -> None:
        self.canvas.show_grid = on
        self.canvas.update()

    def _show_layer(self, attribute: str, on: bool) -> None:
        """Show or hide one stitch layer on the canvas (``show_parts``, ``show_backstitch``, ``show_points``)."""
        setattr(self.canvas, attribute, on)
        self.canvas.update()

    def _show_symbols(self, on: bool) -> None:
        self.canvas.show_symbols = on
        if on and self.canvas.cell_px < 12:
            self.canvas.set_cell_px(16)
        self.canvas.update()

    def _hovered(self, row: int, col: int) -> None:
        self._hover_cell = (row, col)
        pattern = self.document.pattern
        if pattern is None or row < 0 or row >= pattern.height or col >= pattern.width:
            self.hover_label.setText("")
            return
        index = int(pattern.grid[row, col])
        where = f"Row {row + 1}, column {col + 1}"
        parts = self._hovered_parts(pattern, row, col)
        if index == EMPTY:
            self.hover_label.setText(f"{where} · {parts or 'empty'}")
            return
        e = pattern.palette[index]
        symbol = self.canvas.symbols.get(index, "")
        self.hover_label.setText(f"{where} · {pattern.palette.brand} {e.code} {e.name} · {e.hex} · symbol {symbol}"
                                 + (f" · {parts}" if parts else ""))

    @staticmethod
    def _hovered_parts(pattern, row: int, col: int) -> str:
        """The part stitches in a cell in words: "three-quarter 310 Black, quarter 321 Red"."""
        from ..stitches import part_kind

        quarters = pattern.layers.quarters
        if quarters is None or not (quarters[row, col] >= 0).any():
            return ""
        cell = quarters[row, col]
        words = []
        for colour in dict.fromkeys(int(c) for c in cell if c >= 0):
            mask = sum(1 << q for q in range(4) if cell[q] == colour)
            e = pattern.palette[colour]
            words.append(f"{part_kind(mask)} {e.code} {e.name}")
        return ", ".join(words)

    def _update_info(self) -> None:
        p = self.document.pattern
        if p is None:
            self.info_label.setText("")
            return
        w_mm, h_mm = p.palette.material.size_mm(p.width, p.height)
        inch = self.settings.units == "in"
        size = f"{w_mm / 25.4:.1f} × {h_mm / 25.4:.1f} in" if inch else f"{w_mm / 10:.1f} × {h_mm / 10:.1f} cm"
        zoom = f"{self.canvas.cell_px:.0f} px per cell" if self.canvas.cell_px >= 1 else "zoomed out"
        self.info_label.setText(f"{p.width} × {p.height} {cell_word(p)} · {size} · "
                                f"{p.palette.material.description} · {zoom}")

    def refresh_hover(self) -> None:
        """Say again what the cell under the cursor holds (after an edit or an undo changed it)."""
        row, col = getattr(self, "_hover_cell", (-1, -1))
        self._hovered(row, col)
