"""My Stash: the threads, beads and bricks the user owns, and how much of each (issue 16).

One tab per family (a DMC box and a tub of Perler beads are different things), a table of what is in it, and
the ways things get in: one colour at a time (the Add row, any code or name the brand knows), a CSV from a
spreadsheet or another program, or a LEGO Art set by its number. Quantities change with + and − (the keys
too) or by typing a new amount into the table.

Every change is saved at once (:func:`~pixlcraft.stash.save_stash` writes atomically), so closing the dialog or
a crash never loses an entry, and Undo takes back this session's changes one by one. A stash file that cannot
be read is reported and left alone: nothing is written over it until the user fixes or moves it, since an
empty stash saved over a damaged one would lose everything in it.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabBar,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..errors import PixlcraftError
from ..palette import Palette, PaletteEntry, builtin_catalog
from ..stash import FAMILIES, Stash, StashItem, load_stash, read_stash_csv, save_stash, write_stash_csv
from ..stash.files import palette_named
from ..stash.units import UNITS, plural
from . import buy_panel, errors
from .art_set_dialog import ArtSetDialog
from .legend import SWATCH_PX, swatch_icon

FAMILY_TABS = (("thread", "Threads"), ("bead", "Beads"), ("brick", "Bricks"))
CRAFT_FAMILY = {"stitch": "thread", "bead": "bead", "brick": "brick"}
_NOUN = {"thread": ("thread", "threads"), "bead": ("bead colour", "bead colours"),
         "brick": ("brick colour", "brick colours")}
ELEMENT_LABELS = {"": "any 1×1", "plate": "plate", "tile": "tile", "round_tile": "round tile",
                  "round_plate": "round plate"}
UNIT_LABELS = {"skein": "skeins", "m": "metres", "bead": "beads", "bag": "bags", "g": "grams", "piece": "pieces"}
CSV_FILTER = "Stash lists (*.csv);;All files (*)"
COLUMNS = ("", "Brand", "Code", "Name", "Quantity", "Unit", "Element")
QTY_COLUMN, ELEMENT_COLUMN = 4, 6
_SEP = " — "
"""Between code and name in the code box's suggestions ("310 — Black"): only the code is read back."""


def family_palettes(family: str) -> list[tuple[str, str]]:
    """(name, brand) of the built-in palettes whose colours go into ``family``'s stash, from the catalogue (no
    palette file is parsed to list them)."""
    return [(name, brand) for name, brand, m in builtin_catalog() if CRAFT_FAMILY.get(m.craft) == family]


def stash_totals(stash: Stash) -> str:
    """"23 threads · 41 skeins, 5 m" — how many colours, and how much in each unit."""
    one, many = _NOUN[stash.family]
    if not stash.items:
        return f"No {many} yet"
    colours = len({(it.palette, it.code) for it in stash.items})
    amounts: dict[str, float] = {}
    for it in stash.items:
        amounts[it.unit] = amounts.get(it.unit, 0.0) + it.quantity
    return f"{colours:,} {one if colours == 1 else many} · " + ", ".join(plural(q, u) for u, q in amounts.items())


class StashTable(QTableWidget):
    """The stash's rows; + and − (and = and _, the same keys unshifted) step the selected row, Delete removes
    it. A cell being edited keeps its own keys: these reach the table only when no editor is open."""

    stepRequested = Signal(int)
    removeRequested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.stepRequested.emit(1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.stepRequested.emit(-1)
        elif key == Qt.Key.Key_Delete:
            self.removeRequested.emit()
        else:
            super().keyPressEvent(event)


class StashDialog(QDialog):
    """Edit the user's stash; :attr:`stashChanged` (the family) after each change, once it is saved."""

    stashChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None, family: str = "thread") -> None:
        super().__init__(parent)
        self.setWindowTitle("My Stash")
        self.resize(880, 600)
        self.stashes: dict[str, Stash] = {}
        self.problems: dict[str, str] = {}
        """Families whose stash file could not be read: the message, and no editing until it is fixed."""
        self.history: dict[str, list[Stash]] = {f: [] for f in FAMILIES}
        self.family = family if family in FAMILIES else "thread"
        self._palettes: dict[str, Palette | None] = {}

        self.tabs = QTabBar(self)
        for _family, label in FAMILY_TABS:
            self.tabs.addTab(label)
        self.tabs.setExpanding(False)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search code or name")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.totals = QLabel("", self)
        self.totals.setObjectName("panelTitle")
        self.problem = QLabel("", self)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #a0322a;")
        self.table = self._make_table()
        self.status = QLabel("", self)
        self.status.setObjectName("panelHint")
        self.status.setWordWrap(True)

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.tabs)
        top.addStretch(1)
        top.addWidget(self.totals)
        layout.addLayout(top)
        layout.addWidget(self.search)
        layout.addWidget(self.problem)
        layout.addWidget(self.table, 1)
        layout.addLayout(self._make_row_buttons())
        layout.addWidget(self._make_add_row())
        layout.addWidget(self.status)
        layout.addLayout(self._make_file_buttons())
        QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self, self.undo)
        for button in self.findChildren(QPushButton):  # Return in the code box adds, and only adds: without this
            button.setAutoDefault(False)  # the dialog would also press its default button (Remove) after it

        self.tabs.currentChanged.connect(self._tab_changed)
        self.reload(self.family)

    # ------------------------------------------------------------------------------------------- building

    def _make_table(self) -> StashTable:
        table = StashTable(0, len(COLUMNS), self)
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                              | QAbstractItemView.EditTrigger.EditKeyPressed)
        table.setAlternatingRowColors(True)
        table.setIconSize(QSize(SWATCH_PX, SWATCH_PX))
        header = table.horizontalHeader()
        for column in range(len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, SWATCH_PX + 12)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        table.stepRequested.connect(self.step_selected)
        table.removeRequested.connect(self.remove_selected)
        table.itemChanged.connect(self._quantity_edited)
        table.itemSelectionChanged.connect(self._update_buttons)
        return table

    def _make_row_buttons(self) -> QHBoxLayout:
        self.plus_button = QToolButton(self)
        self.plus_button.setText("+")
        self.plus_button.setToolTip("One more of the selected colour (key +)")
        self.plus_button.clicked.connect(lambda: self.step_selected(1))
        self.minus_button = QToolButton(self)
        self.minus_button.setText("−")
        self.minus_button.setToolTip("One less of the selected colour; at none it leaves the stash (key −)")
        self.minus_button.clicked.connect(lambda: self.step_selected(-1))
        for b in (self.plus_button, self.minus_button):
            b.setMinimumWidth(32)
        self.remove_button = QPushButton("Remove", self)
        self.remove_button.setToolTip("Take the selected line out of the stash (Delete)")
        self.remove_button.clicked.connect(self.remove_selected)
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setToolTip("Take back the last change to this stash (Ctrl+Z)")
        self.undo_button.clicked.connect(self.undo)
        hint = QLabel("Double-click a quantity to type a new one", self)
        hint.setObjectName("panelHint")
        row = QHBoxLayout()
        for w in (self.plus_button, self.minus_button, self.remove_button, self.undo_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(hint)
        return row

    def _make_add_row(self) -> QFrame:
        frame = QFrame(self)
        frame.setObjectName("section")
        row = QHBoxLayout(frame)
        row.setContentsMargins(8, 6, 8, 6)
        row.addWidget(QLabel("Add", frame))
        self.add_palette = QComboBox(frame)
        self.add_palette.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.add_palette.currentIndexChanged.connect(self._add_palette_changed)
        self.add_code = QLineEdit(frame)
        self.add_code.setMinimumWidth(180)
        self.add_code.returnPressed.connect(self.add_from_fields)
        self._codes = QStringListModel(self)
        completer = QCompleter(self._codes, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.add_code.setCompleter(completer)
        # Return on a suggestion adds the line, and the completer fills the suggestion in just after: take it out
        # again, or the next Add would add the same colour twice
        completer.activated[str].connect(self._completed)
        self._last_added = ("", 0.0)
        self.add_quantity = QDoubleSpinBox(frame)
        self.add_quantity.setDecimals(1)
        self.add_quantity.setRange(0.1, 1_000_000)
        self.add_quantity.setValue(1)
        self.add_unit = QComboBox(frame)
        self.add_element = QComboBox(frame)
        for key, label in ELEMENT_LABELS.items():
            self.add_element.addItem(label, key)
        self.add_element.setToolTip("Which 1×1 element (a mosaic can use any of them)")
        self.add_button = QPushButton("Add", frame)
        self.add_button.clicked.connect(self.add_from_fields)
        for w in (self.add_palette, self.add_code, self.add_quantity, self.add_unit, self.add_element):
            row.addWidget(w, 1 if w is self.add_code else 0)
        row.addWidget(self.add_button)
        return frame

    def _make_file_buttons(self) -> QHBoxLayout:
        self.import_button = QPushButton("Import CSV…", self)
        self.import_button.setToolTip("Add a list from a spreadsheet or another program (columns code and quantity; "
                                      "rows without a palette column are in the brand chosen in the Add row)")
        self.import_button.clicked.connect(lambda: self.import_csv())
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setToolTip("Save this stash as a CSV file (a backup, or for a spreadsheet)")
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.art_button = QPushButton("Add LEGO Art set…", self)
        self.art_button.setToolTip("Add the studs of a LEGO Art set you own, by its number")
        self.art_button.clicked.connect(self.open_art_sets)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        row = QHBoxLayout()
        for w in (self.import_button, self.export_button, self.art_button):
            row.addWidget(w)
        row.addStretch(1)
        row.addWidget(close)
        return row

    # ------------------------------------------------------------------------------------------- state

    @property
    def stash(self) -> Stash:
        """The stash of the family shown."""
        return self.stashes[self.family]

    def reload(self, family: str | None = None) -> None:
        """Read every family's stash from disk again (the dialog is kept between openings, and the command line
        may have changed a stash meanwhile) and show ``family``."""
        self.problems.clear()
        self.history = {f: [] for f in FAMILIES}
        for f in FAMILIES:
            try:
                self.stashes[f] = load_stash(f)
            except (PixlcraftError, OSError) as exc:
                self.stashes[f] = Stash(f)
                self.problems[f] = (f"Your {f} stash could not be read: {errors.describe(exc).text} Nothing is "
                                    "written over it: fix the file or move it away, then open My Stash again.")
        self.show_family(family or self.family)

    def show_family(self, family: str) -> None:
        index = [f for f, _ in FAMILY_TABS].index(family)
        if self.tabs.currentIndex() != index:
            self.tabs.setCurrentIndex(index)  # _tab_changed fills the rest
        else:
            self._tab_changed(index)

    def _tab_changed(self, index: int) -> None:
        self.family = FAMILY_TABS[index][0]
        self.add_palette.blockSignals(True)
        self.add_palette.clear()
        for name, brand in family_palettes(self.family):
            self.add_palette.addItem(brand, name)
        self.add_palette.blockSignals(False)
        self._add_palette_changed()
        self.add_unit.clear()
        for unit in UNITS[self.family]:
            self.add_unit.addItem(UNIT_LABELS.get(unit, unit), unit)
        brick = self.family == "brick"
        self.add_element.setVisible(brick)
        self.art_button.setVisible(brick)
        self.table.setColumnHidden(ELEMENT_COLUMN, not brick)
        self.problem.setText(self.problems.get(self.family, ""))
        self.problem.setVisible(self.family in self.problems)
        self.status.setText("")
        self.refill()

    def _add_palette_changed(self) -> None:
        name = self.add_palette.currentData()
        palette = self._palette(name) if name else None
        self._codes.setStringList([f"{e.code}{_SEP}{e.name}" for e in palette] if palette else [])
        if palette is not None:
            self.add_code.setPlaceholderText(f"Code or name, e.g. {palette[0].code} or {palette[0].name}")

    def _palette(self, name: str) -> Palette | None:
        if name not in self._palettes:
            try:
                self._palettes[name] = palette_named(name)
            except PixlcraftError:
                self._palettes[name] = None  # a palette file that has gone: its lines still show, by code
        return self._palettes[name]

    def _entry(self, item: StashItem) -> tuple[str, PaletteEntry | None]:
        palette = self._palette(item.palette)
        if palette is None:
            return item.palette, None
        i = palette.find(item.code)
        return palette.brand, (palette[i] if i is not None else None)

    def refill(self, keep: tuple[str, str, str, str] | None = None) -> None:
        """Show the stash's lines (selecting the line ``keep``, a :attr:`StashItem.key`, if it is still there)."""
        stash = self.stash
        table = self.table
        table.blockSignals(True)
        table.clearContents()
        table.setRowCount(len(stash.items))
        for row, it in enumerate(stash.items):
            brand, entry = self._entry(it)
            swatch = QTableWidgetItem()
            if entry is not None:
                swatch.setIcon(swatch_icon(entry.rgb))
                swatch.setToolTip(entry.hex)
            cells = [swatch, QTableWidgetItem(brand), QTableWidgetItem(it.code),
                     QTableWidgetItem(entry.name if entry else "(not in the palette)"),
                     QTableWidgetItem(f"{it.quantity:g}"), QTableWidgetItem(UNIT_LABELS.get(it.unit, it.unit)),
                     QTableWidgetItem(ELEMENT_LABELS.get(it.element, it.element))]
            for column, cell in enumerate(cells):
                flags = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
                if column == QTY_COLUMN and self.family not in self.problems:
                    flags |= Qt.ItemFlag.ItemIsEditable
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                cell.setFlags(flags)
                table.setItem(row, column, cell)
        table.blockSignals(False)
        self._filter(self.search.text())
        if keep is not None:
            for row, it in enumerate(stash.items):
                if it.key == keep and not table.isRowHidden(row):
                    table.selectRow(row)
                    table.scrollToItem(table.item(row, 0))
                    break
        self.totals.setText(stash_totals(stash))
        for index, (f, label) in enumerate(FAMILY_TABS):
            n = len({(it.palette, it.code) for it in self.stashes[f].items})
            self.tabs.setTabText(index, f"{label} ({n})" if n else label)
        self._update_buttons()

    def _filter(self, text: str) -> None:
        """Show the lines whose code or name contains ``text`` (any case)."""
        needle = text.strip().lower()
        for row in range(self.table.rowCount()):
            code, name = self.table.item(row, 2), self.table.item(row, 3)
            found = not needle or any(needle in (c.text().lower() if c else "") for c in (code, name))
            self.table.setRowHidden(row, not found)
        self._update_buttons()

    def visible_codes(self) -> list[str]:
        """The codes of the lines the search leaves shown, top to bottom."""
        return [self.table.item(r, 2).text() for r in range(self.table.rowCount()) if not self.table.isRowHidden(r)]

    def selected_item(self) -> StashItem | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or self.table.isRowHidden(rows[0].row()) or rows[0].row() >= len(self.stash.items):
            return None
        return self.stash.items[rows[0].row()]

    def _update_buttons(self) -> None:
        editable = self.family not in self.problems
        chosen = editable and self.selected_item() is not None
        for b in (self.plus_button, self.minus_button, self.remove_button):
            b.setEnabled(chosen)
        self.undo_button.setEnabled(editable and bool(self.history[self.family]))
        for w in (self.add_button, self.add_code, self.import_button, self.art_button):
            w.setEnabled(editable)
        self.export_button.setEnabled(editable and bool(self.stash.items))

    # ------------------------------------------------------------------------------------------- changes

    def commit(self, new: Stash, message: str, keep: tuple[str, str, str, str] | None = None,
               record: bool = True) -> bool:
        """Save ``new`` as the user's stash of its family and show it (``record``: Undo can take it back);
        False (after saying why) when it could not be saved, and then nothing changed."""
        family = new.family
        if family in self.problems:
            errors.show_error(self, self.problems[family], "Your stash file needs fixing first")
            return False
        try:
            save_stash(new)
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "Could not save your stash")
            return False
        if record:
            self.history[family].append(self.stashes[family])
        self.stashes[family] = new
        if family != self.family:
            self.show_family(family)
        self.refill(keep)
        self.status.setText(message)
        self.stashChanged.emit(family)
        return True

    def step_selected(self, delta: int) -> bool:
        """One unit more (``delta`` 1) or less (-1) of the selected line; at none the line leaves the stash."""
        item = self.selected_item()
        if item is None:
            self.status.setText("Choose a line first.")
            return False
        return self.set_line(item, max(0.0, item.quantity + delta))

    def remove_selected(self) -> bool:
        item = self.selected_item()
        return item is not None and self.set_line(item, 0)

    def set_line(self, item: StashItem, quantity: float | str) -> bool:
        """Give one line a new amount (typed text or a number; 0 takes it out of the stash), saved at once."""
        try:
            q = float(str(quantity).strip().replace(",", ".") or "0")
        except ValueError:
            q = -1.0
        if not (math.isfinite(q) and q >= 0):
            errors.show_error(self, f"“{quantity}” is not an amount: type a number of 0 or more, such as 3 or 2.5.")
            self.refill(item.key)
            return False
        items = self.stash.items
        if q > 1e-9:
            new = Stash(self.family, tuple(replace(it, quantity=q) if it == item else it for it in items))
            message, keep = f"{item.code}: {replace(item, quantity=q).describe()}.", item.key
        else:
            i = items.index(item)
            after = items[i + 1] if i + 1 < len(items) else (items[i - 1] if i > 0 else None)
            new = Stash(self.family, items[:i] + items[i + 1:])
            message, keep = f"{item.code} is no longer in the stash (Undo puts it back).", after.key if after else None
        if not self.commit(new, message, keep):
            self.refill(item.key)
            return False
        return True

    def _quantity_edited(self, cell: QTableWidgetItem) -> None:
        if cell.column() == QTY_COLUMN and cell.row() < len(self.stash.items):
            self.set_line(self.stash.items[cell.row()], cell.text())

    def add_from_fields(self) -> bool:
        """Add the Add row's colour and amount to the stash shown."""
        text = self.add_code.text().split(_SEP)[0].strip()
        if not text:
            errors.show_error(self, "Type the colour's code or name first (for example 310 or Black).",
                              "Nothing to add")
            return False
        palette = self._palette(self.add_palette.currentData() or "")
        if palette is None:
            return False
        quantity, unit = self.add_quantity.value(), self.add_unit.currentData()
        element = self.add_element.currentData() if self.family == "brick" else ""
        try:
            new = self.stash.add(palette, text, quantity, unit, element)
            entry = palette[palette.index_of(text)]
        except PixlcraftError as exc:
            errors.show_error(self, exc, "Cannot add that colour")
            return False
        if not self.commit(new, f"Added {plural(quantity, unit)} of {palette.brand} {entry.code} {entry.name}.",
                           (palette.name, entry.code, unit, element)):
            return False
        self.add_code.clear()
        self.add_code.setFocus()
        self._last_added = (entry.code, time.monotonic())
        return True

    def _completed(self, suggestion: str) -> None:
        """The completer filled in ``suggestion``: if that colour was added by the same Return, empty the field."""
        code, when = self._last_added
        if suggestion.split(_SEP)[0].strip().upper() == code.upper() and time.monotonic() - when < 1.0:
            QTimer.singleShot(0, self.add_code.clear)  # after the completer has written the suggestion in

    def undo(self) -> bool:
        """Take back the last change to the stash shown (it is saved again at once)."""
        history = self.history[self.family]
        if not history or not self.commit(history[-1], "Undone.", record=False):
            return False
        history.pop()
        return True

    # ------------------------------------------------------------------------------------------- files

    def import_csv(self, path: str | None = None) -> bool:
        """Merge a stash CSV into the stash shown, after reading all of it: a bad row changes nothing."""
        if self.family in self.problems:
            return False
        path = path or buy_panel.ask_file_path(self, "Add a stash list", CSV_FILTER)
        if not path:
            return False
        palette = self._palette(self.add_palette.currentData() or "")
        try:
            imported = read_stash_csv(path, family=self.family, palette=palette)
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "Could not add the stash list")
            return False
        name = Path(path).name
        if not imported.items:
            errors.show_info(self, "Nothing to add", f"{name} lists no {_NOUN[self.family][1]}.")
            return False
        new = self.stash.merged(imported)
        n = len(imported.items)
        if not self.commit(new, f"Added {n:,} line{'s' if n != 1 else ''} from {name}."):
            return False
        errors.show_info(self, "Stash list added",
                         f"Added {n:,} line{'s' if n != 1 else ''} from {name} to your {self.family} stash. "
                         f"It now holds {stash_totals(new)}.")
        return True

    def export_csv(self, path: str | None = None) -> bool:
        if not self.stash.items:
            return False
        suggested = str(Path.home() / f"my {self.family}s.csv")
        path = path or buy_panel.ask_file_path(self, "Export the stash", CSV_FILTER, save=True, suggested=suggested)
        if not path:
            return False
        if not path.lower().endswith(".csv"):
            path += ".csv"
        try:
            written = write_stash_csv(self.stash, path)
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "Could not export the stash")
            return False
        self.status.setText(f"Exported {len(self.stash.items):,} lines to {written.name}.")
        return True

    # ------------------------------------------------------------------------------------------- LEGO Art

    def open_art_sets(self) -> ArtSetDialog | None:
        """Ask which LEGO Art set (and how many boxes) to add; adds it when the user says OK."""
        try:
            dialog = ArtSetDialog(self)
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "The LEGO Art sets cannot be read")
            return None
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.add_art_set(*dialog.chosen()))
        dialog.open()
        return dialog

    def add_art_set(self, number: str, copies: int) -> bool:
        from ..stash.lego_art import art_sets, set_stash

        try:
            extra = set_stash(number, copies)
        except PixlcraftError as exc:
            errors.show_error(self, exc, "Cannot add that set")
            return False
        art = art_sets()[number]
        boxes = f"{copies} × " if copies > 1 else ""
        return self.commit(self.stashes["brick"].merged(extra),
                           f"Added {boxes}{art.number} {art.name}: {copies * art.studs:,} studs.")
