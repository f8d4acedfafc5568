"""The legend: every colour the pattern uses, as a stitcher's key — swatch and symbol, code, name, count.

It is also where colours are chosen and changed. Clicking a row makes that colour the paint colour; the
context menu replaces a colour everywhere or merges several into one. The legend never edits the pattern: it
asks the window (signals), which turns the request into an undoable command.

Replacement colours come from the brand's whole range (:func:`pixlcraft.edit.brand_palette`), listed closest
first, because "swap this thread for a similar one I have" is the usual reason to replace.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..palette import Palette, PaletteEntry
from ..pattern import Pattern
from ..stitches import LayerCounts
from .pattern_view import chart_symbols, ink_for

SWATCH_PX = 22
INDEX_ROLE = Qt.ItemDataRole.UserRole

CELL_WORDS = {"stitch": "stitches", "bead": "beads", "brick": "plates", "generic": "cells"}


def cell_word(pattern: Pattern | None) -> str:
    """What one cell is called for this pattern's craft (stitches, beads, plates)."""
    if pattern is None:
        return "cells"
    return CELL_WORDS.get(pattern.palette.material.craft, "cells")


def swatch_icon(rgb: tuple[int, int, int], symbol: str = "", size: int = SWATCH_PX) -> QIcon:
    """A rounded colour square with the chart symbol in black or white on it."""
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(QColor(0, 0, 0, 90), 1))
    p.setBrush(QColor(*rgb))
    p.drawRoundedRect(1, 1, size - 2, size - 2, 4, 4)
    if symbol:
        font = QFont()
        font.setPixelSize(int(size * 0.6))
        p.setFont(font)
        p.setPen(ink_for(rgb))
        p.drawText(pix.rect(), Qt.AlignmentFlag.AlignCenter, symbol)
    p.end()
    icon = QIcon(pix)
    icon.addPixmap(pix, QIcon.Mode.Selected)  # a colour swatch must not be tinted by the selection colour
    return icon


class _CountItem(QTreeWidgetItem):
    """Sorts the count column as numbers, not text."""

    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        if column == 3:
            return int(self.data(3, INDEX_ROLE) or 0) < int(other.data(3, INDEX_ROLE) or 0)
        return super().__lt__(other)


class Legend(QWidget):
    colorSelected = Signal(int)
    """A colour of the pattern's palette was chosen to paint with (its index)."""
    otherColorChosen = Signal(object)
    """A colour from the brand's range (a PaletteEntry) was chosen to paint with."""
    replaceRequested = Signal(int, object)
    """Replace every cell of palette index ``old`` with a colour (index or PaletteEntry)."""
    mergeRequested = Signal(object, int)
    symbolChangeRequested = Signal(int)
    """The user wants another chart symbol for this colour (palette index)."""
    """Merge the listed palette indices into the given index."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pattern: Pattern | None = None
        self.brand_palette: Callable[[Pattern], Palette] | None = None
        self.choose_color: Callable[[QWidget, Palette, str, tuple[int, int, int] | None], PaletteEntry | None] = (
            ColorChooser.choose
        )
        """The colour chooser; a hook so tests can answer without a modal dialog."""

        self.title = QLabel("Colours", self)
        self.title.setObjectName("panelTitle")
        self.summary = QLabel("", self)
        self.summary.setObjectName("panelHint")
        self.summary.setWordWrap(True)  # "24 colours · 3,145 stitches + 290 part stitches and 96 backstitches"
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["", "Code", "Name", "Count"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QSize(SWATCH_PX, SWATCH_PX))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, SWATCH_PX + 12)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.itemSelectionChanged.connect(self._selection_changed)

        self.replace_button = QPushButton("Replace…", self)
        self.replace_button.setToolTip("Replace the selected colour everywhere with another colour")
        self.replace_button.clicked.connect(self._replace_selected)
        self.merge_button = QPushButton("Merge", self)
        self.merge_button.setToolTip("Merge the selected colours into the first selected one")
        self.merge_button.clicked.connect(self._merge_selected)
        self.other_button = QPushButton("Other colour…", self)
        self.other_button.setToolTip("Paint with a colour the pattern does not use yet")
        self.other_button.clicked.connect(self._choose_other)

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.replace_button)
        buttons.addWidget(self.merge_button)
        buttons.addStretch(1)
        buttons.addWidget(self.other_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # ------------------------------------------------------------------------------------------- content

    def set_pattern(self, pattern: Pattern | None) -> None:
        """Rebuild the rows (keeps the selected colours selected when they are still used)."""
        keep = set(self.selected_indices())
        self.pattern = pattern
        self.tree.blockSignals(True)
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        if pattern is None:
            self.summary.setText("No pattern yet")
        else:
            counts = pattern.counts()
            symbols = chart_symbols(pattern)
            used = pattern.used_indices()  # a thread used only for backstitch or knots is still one to buy
            layer_counts = pattern.layer_counts()
            total = int(counts.sum())
            word = cell_word(pattern)
            finer = pattern.layers.summary()
            self.summary.setText(
                f"{used.size} colour{'s' if used.size != 1 else ''} · {total:,} {word}"
                + (f" + {finer}" if finer else "") + f" · {pattern.palette.brand}"
            )
            for index in used.tolist():
                entry = pattern.palette[index]
                parts, words = _layer_use(layer_counts, index)
                if counts[index]:
                    count = " ".join(t for t in (f"{int(counts[index]):,}", parts, f"+ {words}" if words else "") if t)
                else:
                    count = " ".join(t for t in (parts, words) if t) or "0"
                item = _CountItem(["", entry.code, entry.name, count])
                item.setIcon(0, swatch_icon(entry.rgb, symbols.get(index, "")))
                item.setData(0, INDEX_ROLE, int(index))
                item.setData(3, INDEX_ROLE, int(counts[index]))
                item.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                item.setToolTip(2, f"{entry.code} {entry.name} ({entry.hex})")
                item.setToolTip(3, _count_tip(int(counts[index]), layer_counts, index, word))
                self.tree.addTopLevelItem(item)
                if index in keep:
                    item.setSelected(True)
        self.tree.setSortingEnabled(True)
        self.tree.blockSignals(False)
        self._update_buttons()

    def selected_indices(self) -> list[int]:
        """Palette indices of the selected rows, in the order they are shown."""
        rows = sorted(self.tree.selectedItems(), key=self.tree.indexOfTopLevelItem)
        return [int(item.data(0, INDEX_ROLE)) for item in rows]

    def select_index(self, index: int) -> None:
        """Select the row of palette index ``index`` (e.g. after the pick tool), scrolling to it."""
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if int(item.data(0, INDEX_ROLE)) == index:
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return

    def row_count(self) -> int:
        return self.tree.topLevelItemCount()

    # ------------------------------------------------------------------------------------------- actions

    def _selection_changed(self) -> None:
        self._update_buttons()
        selected = self.selected_indices()
        if len(selected) == 1:
            self.colorSelected.emit(selected[0])

    def _update_buttons(self) -> None:
        n = len(self.tree.selectedItems())
        self.replace_button.setEnabled(n == 1)
        self.merge_button.setEnabled(n >= 2)
        self.other_button.setEnabled(self.pattern is not None)

    def _palette_for_choice(self) -> Palette | None:
        if self.pattern is None:
            return None
        return self.brand_palette(self.pattern) if self.brand_palette else self.pattern.palette

    def _replace_selected(self) -> None:
        selected = self.selected_indices()
        if len(selected) == 1:
            self.ask_replace(selected[0])

    def ask_replace(self, index: int) -> None:
        palette = self._palette_for_choice()
        if palette is None or self.pattern is None:
            return
        old = self.pattern.palette[index]
        entry = self.choose_color(self, palette, f"Replace {old.code} {old.name} with…", old.rgb)
        if entry is not None and entry.code != old.code:
            self.replaceRequested.emit(index, entry)

    def _merge_selected(self) -> None:
        selected = self.selected_indices()
        if len(selected) >= 2:
            self.mergeRequested.emit(selected[1:], selected[0])

    def _choose_other(self) -> None:
        palette = self._palette_for_choice()
        if palette is None:
            return
        entry = self.choose_color(self, palette, "Paint with…", None)
        if entry is not None:
            self.otherColorChosen.emit(entry)

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None or self.pattern is None:
            return
        if not item.isSelected():  # show which row the menu is for, without choosing it as the paint colour
            self.tree.blockSignals(True)
            self.tree.clearSelection()
            item.setSelected(True)
            self.tree.blockSignals(False)
        index = int(item.data(0, INDEX_ROLE))
        entry = self.pattern.palette[index]
        menu = QMenu(self)
        paint = QAction(f"Paint with {entry.code}", menu)
        paint.triggered.connect(lambda: self.colorSelected.emit(index))
        menu.addAction(paint)
        replace = QAction(f"Replace {entry.code} everywhere with…", menu)
        replace.triggered.connect(lambda: self.ask_replace(index))
        menu.addAction(replace)
        symbol = QAction(f"Change the chart symbol of {entry.code}…", menu)
        symbol.triggered.connect(lambda: self.symbolChangeRequested.emit(index))
        menu.addAction(symbol)
        selected = self.selected_indices()
        if len(selected) >= 2:
            merge = menu.addMenu(f"Merge {len(selected)} colours into")
            for target in selected:
                t = self.pattern.palette[target]
                act = QAction(swatch_icon(t.rgb), f"{t.code} {t.name}", merge)
                others = [s for s in selected if s != target]
                act.triggered.connect(lambda _=False, o=others, t=target: self.mergeRequested.emit(o, t))
                merge.addAction(act)
        menu.exec(self.tree.viewport().mapToGlobal(pos))


class ColorChooser(QDialog):
    """Pick one colour of a brand's range; the closest to a reference colour are listed first."""

    def __init__(self, parent: QWidget | None, palette: Palette, title: str,
                 near: tuple[int, int, int] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(380, 520)
        self.palette_ = palette
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search code or name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.list = QListWidget(self)
        self.list.setIconSize(QSize(SWATCH_PX, SWATCH_PX))
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        for index in _closest_first(palette, near):
            e = palette[index]
            item = QListWidgetItem(swatch_icon(e.rgb), f"{e.code}   {e.name}")
            item.setData(INDEX_ROLE, index)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        hint = "Closest colours first" if near is not None else f"{len(palette)} {palette.brand} colours"
        layout.addWidget(QLabel(hint, self))
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)

    def _filter(self, text: str) -> None:
        needle = text.strip().lower()
        for row in range(self.list.count()):
            item = self.list.item(row)
            item.setHidden(bool(needle) and needle not in item.text().lower())

    def chosen(self) -> PaletteEntry | None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return None
        return self.palette_[int(item.data(INDEX_ROLE))]

    @staticmethod
    def choose(parent: QWidget, palette: Palette, title: str,
               near: tuple[int, int, int] | None = None) -> PaletteEntry | None:
        dialog = ColorChooser(parent, palette, title, near)
        return dialog.chosen() if dialog.exec() == QDialog.DialogCode.Accepted else None


def _closest_first(palette: Palette, near: tuple[int, int, int] | None) -> list[int]:
    """Palette order, or by CIEDE2000 distance to ``near`` (the core's colour science, not ours)."""
    if near is None:
        return list(range(len(palette)))
    from ..color import ciede2000, srgb8_to_lab

    target = np.asarray(srgb8_to_lab(np.asarray([near], np.uint8)), np.float64).reshape(1, 3)
    distance = ciede2000(palette.lab, target)
    return np.argsort(distance, kind="stable").tolist()


def _layer_use(counts: LayerCounts, index: int) -> tuple[str, str]:
    """What a colour does beside its full crosses, short enough for the Count column: "(+3)" for three part
    stitches, and "backstitch", "knots", "beads" (the tooltip says it in full)."""
    parts = f"(+{int(counts.part_stitches[index]):,})" if counts.part_stitches[index] else ""
    words = ", ".join(name for values, name in ((counts.backstitches, "backstitch"), (counts.knots, "knots"),
                                                (counts.beads, "beads")) if values[index])
    return parts, words


def _count_tip(full: int, counts: LayerCounts, index: int, word: str) -> str:
    """The Count column's tooltip: every kind of stitch the colour makes, in full."""
    from ..stitches import describe

    parts = [f"{full:,} full {word}"] if full else []
    finer = describe({"part stitches": int(counts.part_stitches[index]),
                      "backstitches": int(counts.backstitches[index]), "French knots": int(counts.knots[index]),
                      "beads": int(counts.beads[index])})
    if counts.backstitches[index]:
        finer += f" ({float(counts.backstitch_length[index]):.0f} cells of backstitch line)"
    return ", ".join(p for p in (", ".join(parts), finer) if p)
