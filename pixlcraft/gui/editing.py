"""The window's editing commands: tools, paint and fill, colour replacement and merging, confetti, fewer
colours, background, chart symbols. Every change goes through the :class:`~pixlcraft.gui.document.Document`
as an undoable command; the status bar says what it did.

A mixin of :class:`~pixlcraft.gui.main_window.MainWindow` (it uses the window's document, canvas, legend and
status bar), kept apart so the window itself stays a thin layout of panels and jobs.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from ..errors import InputError
from ..palette import PaletteEntry
from ..pattern import EMPTY
from . import errors


class EditingMixin:

    def set_tool(self, tool: str) -> None:
        self.canvas.tool = tool
        cursor = {"pan": Qt.CursorShape.OpenHandCursor, "select": Qt.CursorShape.ArrowCursor}
        self.canvas.setCursor(cursor.get(tool, Qt.CursorShape.CrossCursor))
        colour = f"{self.paint_color.code} {self.paint_color.name}" if self.paint_color else \
            "no colour yet — pick one in the thread list"
        armed = {  # armed: say so, with the colour a click will use and the keys that change what it does
            "paint": f"Paint tool: a click paints cells in {colour}.",
            "backstitch": f"Backstitch in {colour}: click points one after another; Shift keeps lines straight or "
                          "at 45°; Esc or a right-click ends the line.",
            "part": f"Part stitches in {colour}: a click places a half stitch through the clicked quarter; "
                    "Shift+click a quarter, Ctrl+click a three-quarter stitch.",
            "knot": f"French knots in {colour}: a click places one at the nearest corner, edge middle or centre.",
            "erase_stitch": "Erase stitch: a click removes the backstitch, knot, bead or part stitch under it.",
        }
        if tool in armed:
            self.statusBar().showMessage(f"{armed[tool]} V puts the tool away.")

    def set_paint_index(self, index: int) -> None:
        if self.document.pattern is not None and index != EMPTY:
            self.set_paint_entry(self.document.pattern.palette[index])

    def set_paint_entry(self, entry: PaletteEntry) -> None:
        self.paint_color = entry
        self.canvas.paint_rgb = entry.rgb
        self.statusBar().showMessage(f"Painting with {entry.code} {entry.name}", 4000)

    def _picked(self, index: int) -> None:
        self.set_paint_index(index)
        self.legend.select_index(index)
        self.actions["tool.paint"].setChecked(True)

    def paint_cells(self, cells: list[tuple[int, int]]) -> bool:
        from ..edit import Paint

        if self.paint_color is None:
            return False
        return self.document.push(Paint(cells, self.paint_color))

    def edit_layers(self, edit) -> bool:
        """Push a stitch tool's :class:`~pixlcraft.gui.layer_tools.LayerEdit` in the current colour, undoable."""
        from ..edit import EditLayers

        if edit.colour and self.paint_color is None:
            self.statusBar().showMessage("Pick a thread colour in the list first.", 6000)
            return False
        command = EditLayers(edit.change, self.paint_color if edit.colour else None, edit.label)
        command.merge_key = getattr(edit, "merge_key", None)
        try:
            return self.document.push(command)
        except InputError as exc:
            errors.show_error(self, exc)
            return False

    def fill_at(self, row: int, col: int) -> bool:
        from ..edit import FloodFill

        if self.paint_color is None:
            return False
        return self.document.push(FloodFill(row, col, self.paint_color))

    def replace_color(self, old: int, new: int | PaletteEntry) -> bool:
        from ..edit import ReplaceColor

        return self.document.push(ReplaceColor(old, new))

    def merge_colors(self, sources: list[int], target: int) -> bool:
        from ..edit import MergeColors

        return self.document.push(MergeColors(sources, target))

    def remove_confetti(self) -> bool:
        from ..edit import RemoveConfetti

        command = RemoveConfetti(cell_lab=self.document.cell_lab)
        changed = self.document.push(command)
        if not changed:
            self.statusBar().showMessage("No confetti to remove: every lone cell stands out too much to recolour.",
                                         8000)
        else:
            self.statusBar().showMessage(f"Removed confetti: {command.count} lone cell"
                                         f"{'' if command.count == 1 else 's'} recoloured to a neighbour's colour "
                                         "(Ctrl+Z undoes it).", 10000)
        return changed

    def change_symbol(self, index: int, symbol: str | None = None) -> bool:
        """Give a colour another chart symbol (asked for when not given); a colour that had it swaps."""
        from ..symbols import LIGHT_FIRST, SetSymbol, ensure_symbols

        pattern = self.document.pattern
        if pattern is None:
            return False
        current = ensure_symbols(pattern).get(index)
        if symbol is None:
            owners = {sym: i for i, sym in ensure_symbols(pattern).items()}
            items = [s if s not in owners else f"{s}   (now {pattern.palette[owners[s]].code})" for s in LIGHT_FIRST]
            start = LIGHT_FIRST.index(current) if current in LIGHT_FIRST else 0
            chosen = errors.ask_choice(self, "Chart symbol", f"Symbol for {pattern.palette[index].code} "
                                       f"{pattern.palette[index].name} (lightest symbols first; one in use "
                                       "swaps with it):", items, start)
            if chosen is None:
                return False
            symbol = chosen.split()[0]
        if symbol == current:
            return False
        self.document.push(SetSymbol(index, symbol))  # undoable, like any other edit
        self.statusBar().showMessage(f"{pattern.palette[index].code} is now charted as {symbol}.", 8000)
        return True

    def reduce_colors(self, k: int | None = None) -> bool:
        """Merge the pattern down to ``k`` colours (asked for when not given); undoable, reported."""
        from ..reduce import ReduceColors

        if self.document.pattern is None:
            return False
        used = len(self.document.pattern.used_indices())
        if k is None:
            k = errors.ask_int(self, "Reduce colours", f"The pattern has {used} colours. Keep how many?",
                               max(1, min(used - 1, 24)), 1, max(1, used))
        return k is not None and self._push_merge(ReduceColors(k))

    def merge_rare_colors(self, min_count: int | None = None) -> bool:
        """Fold colours used by fewer than ``min_count`` cells into their nearest common colour."""
        from ..reduce import MergeRareColors

        if self.document.pattern is None:
            return False
        if min_count is None:
            min_count = errors.ask_int(self, "Merge rare colours",
                                       "Merge every colour used by fewer cells than:", 10, 1, 100_000)
        return min_count is not None and self._push_merge(MergeRareColors(min_count))

    def clear_background(self) -> bool:
        from ..background import ClearBackground

        command = ClearBackground()
        try:
            changed = self.document.push(command)
        except InputError as exc:
            errors.show_error(self, exc)
            return False
        self.statusBar().showMessage(f"Cleared the background: {command.count} cells left empty (Ctrl+Z undoes "
                                     "it)." if changed else "No background to clear.", 10000)
        return changed

    def _push_merge(self, command) -> bool:
        before = len(self.document.pattern.used_indices())
        changed = self.document.push(command)
        if changed:
            after = len(self.document.pattern.used_indices())
            detail = command.label.split(": ", 1)[-1]  # "merged N colours (…), adding …"
            self.statusBar().showMessage(f"{before} → {after} colours: {detail} (Ctrl+Z undoes it).", 15000)
            self.source_panel.budget.blockSignals(True)  # the panel describes the pattern as it now is
            self.source_panel.budget.setValue(after)
            self.source_panel.budget.blockSignals(False)
        else:
            self.statusBar().showMessage("Nothing to merge: no colour fits that.", 8000)
        return changed

    def compact_palette(self) -> bool:
        from ..edit import CompactPalette

        return self.document.push(CompactPalette())

    # ------------------------------------------------------------------------------------- suggested stitches

    def suggest_outline(self, in_paint_colour: bool = False) -> bool:
        """Add the suggested backstitch outline as one undoable step, in the darkest thread or the paint colour.

        Without the pattern's photo (a chart opened from an .oxs) only contrasting colour boundaries are
        outlined, and the status bar says so."""
        from ..edit import ensure_color
        from ..outline import outline_pattern
        from ..suggest import ApplySuggestion

        doc = self.document
        if doc.pattern is None:
            return False
        if in_paint_colour and self.paint_color is None:
            self.statusBar().showMessage("Pick a thread colour in the list first.", 6000)
            return False
        paint, photo = self.paint_color if in_paint_colour else None, doc.photo

        def make(pattern):
            if paint is None:
                return outline_pattern(pattern, photo, "auto")
            palette, _ = ensure_color(pattern.palette, paint)
            withpaint = pattern.copy()
            withpaint.palette = palette
            return outline_pattern(withpaint, photo, paint.code)

        before = doc.pattern.layers.backstitches
        command = ApplySuggestion(make, "Suggested outline")
        if not self._push_suggestion(command):
            self.statusBar().showMessage("No outline to add: the suggestion is already in the pattern, or the "
                                         "picture has no edge strong enough.", 10000)
            return False
        lines = doc.pattern.layers.backstitches
        new = lines.select(np.arange(len(lines)) >= len(before))
        thread = doc.pattern.palette[int(new.colour[0])]
        source = "" if photo is not None else " (no photo with this pattern: colour boundaries only)"
        self.statusBar().showMessage(
            f"Suggested outline{source}: {len(new)} backstitch lines, {new.lengths().sum():.0f} cells long, in "
            f"{thread.code} {thread.name}. Edit it with Backstitch (L) and Erase Stitch (E); Ctrl+Z removes it.",
            20000)
        return True

    def smooth_diagonal_edges(self) -> bool:
        """Split cells on slanted colour edges into three-quarter + quarter stitches where the photo says so,
        as one undoable step, and report the half-cell colour error before and after."""
        from ..smooth_edges import smooth_edges, triangle_error
        from ..suggest import ApplySuggestion

        doc = self.document
        if doc.pattern is None:
            return False
        photo = doc.photo
        if photo is None:
            errors.show_error(self, "Smoothing edges compares each cell with the photo the pattern was made from, "
                              "and this pattern has no photo with it. Make the pattern from its photo again (or "
                              "keep photos in pattern files, in Settings) and try again.", "Smooth diagonal edges")
            return False
        try:
            error_before = triangle_error(doc.pattern, photo)
        except InputError as exc:
            errors.show_error(self, exc)
            return False
        command = ApplySuggestion(lambda pattern: smooth_edges(pattern, photo), "Smooth diagonal edges")
        if not self._push_suggestion(command):
            self.statusBar().showMessage("No edge to smooth: no cell fits the photo better split in two.", 10000)
            return False
        error_after = triangle_error(doc.pattern, photo)
        n = command.cell_count
        self.statusBar().showMessage(
            f"Smoothed {n} cell{'' if n == 1 else 's'} on slanted edges into three-quarter + quarter stitches: "
            f"colour error over half cells {error_before:.2f} → {error_after:.2f} ΔE00 (Ctrl+Z undoes it).", 20000)
        return True

    def _push_suggestion(self, command) -> bool:
        """Push ``command`` with a wait cursor (it reads the whole photo: a second on a large one); a pattern
        the suggestion cannot apply to gets a clear message."""
        from PySide6.QtWidgets import QApplication

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return self.document.push(command)
        except InputError as exc:
            failure = exc
        finally:
            QApplication.restoreOverrideCursor()
        errors.show_error(self, failure)
        return False
