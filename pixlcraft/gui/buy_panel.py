"""What to buy for the open pattern, beside the colour list, and the window's side of the stash.

:class:`BuyPanel` lists each colour of the pattern with what the user's stash holds of it and what is left to
buy, in the units shops sell (skeins, bags, pieces) — :func:`pixlcraft.stash.buy.buy_list` does the sums, with
the unit rule the pattern was made with. It follows the pattern (the document's signals, like the legend) and
the stash (the window tells it when My Stash saves), works only while it is shown, and says when the stash has
changed since a pattern made with "Only what I have" was made.

:class:`StashMixin` is the window's part: My Stash, the buy list's tab, and what "Only what I have" says when
the stash cannot make the pattern — each message with its way out (the largest size the stash fills, or
unticking the box to see what to buy).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..errors import PixlcraftError
from ..fileio import atomic_write
from ..pattern import Pattern
from . import errors
from .legend import SWATCH_PX, cell_word, swatch_icon

if TYPE_CHECKING:
    from ..stash import Stash
    from ..stash.buy import BuyLine
    from .make_jobs import MadePattern
    from .stash_dialog import StashDialog

BUY_CSV_FILTER = "CSV files (*.csv);;All files (*)"


def ask_file_path(parent: QWidget | None, title: str, file_filter: str, *, save: bool = False,
                  suggested: str = "") -> str:
    """A file the user chooses to read (or, ``save``, to write); "" when they cancel. The one file prompt of
    the stash and the buy list: tests monkeypatch it."""
    if save:
        path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, suggested, file_filter)
    return path


class BuyPanel(QWidget):
    """The buy list of the open pattern against the user's stash of its family."""

    stashRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pattern: Pattern | None = None
        self.lines: list[BuyLine] = []
        self.photo_path = ""
        self._stale = False
        self._stashes: dict[str, Stash] = {}
        """The stash per family, read once per pattern and again when My Stash saves, not at every edit."""
        self.summary = QLabel("No pattern yet", self)
        self.summary.setWordWrap(True)
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.note.setObjectName("panelHint")
        self.note.setStyleSheet("color: #a0322a;")
        self.note.hide()
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(5)
        self.tree.setHeaderLabels(["", "Code", "Name", "In stash", "To buy"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setIconSize(QSize(SWATCH_PX, SWATCH_PX))
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, SWATCH_PX + 12)
        for column in (1, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.stash_button = QPushButton("My Stash…", self)
        self.stash_button.setToolTip("The threads, beads and bricks you own")
        self.stash_button.clicked.connect(self.stashRequested)
        self.save_button = QPushButton("Save Buy List…", self)
        self.save_button.setToolTip("Save what to buy as a CSV file (for a spreadsheet or a shop's order form)")
        self.save_button.clicked.connect(lambda: self.save_csv())
        buttons = QHBoxLayout()
        buttons.addWidget(self.stash_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.summary)
        layout.addWidget(self.note)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.save_button.setEnabled(False)

    # ------------------------------------------------------------------------------------------- content

    def set_pattern(self, pattern: Pattern | None, photo_path: str = "") -> None:
        self.pattern, self.photo_path = pattern, photo_path
        self.stash_updated()

    def stash_updated(self) -> None:
        """The stash on disk changed (or may have: another pattern is open): read it again."""
        self._stashes.clear()
        self.update_later()

    def update_later(self) -> None:
        """Work the list out now if it is shown, else when it is next shown (a paint stroke with the list
        hidden behind the colour tab costs nothing)."""
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._stale:
            self.refresh()
        super().showEvent(event)

    def refresh(self) -> None:
        """The pattern's needs against the stash as it is on disk now."""
        from ..stash import family_of, load_stash
        from ..stash.buy import buy_list, buy_summary
        from ..stash.use import recorded_rule, stash_changed

        self._stale = False
        self.tree.clear()
        self.lines = []
        self.note.hide()
        self.save_button.setEnabled(False)
        pattern = self.pattern
        if pattern is None:
            self.summary.setText("No pattern yet")
            return
        try:
            family = family_of(pattern.palette)
            if family not in self._stashes:
                self._stashes[family] = load_stash(family)
            stash = self._stashes[family]
            self.lines = buy_list(pattern, stash, recorded_rule(pattern))
        except (PixlcraftError, OSError) as exc:
            self.summary.setText(errors.describe(exc).text)
            return
        palette = pattern.palette
        for ln in self.lines:
            item = QTreeWidgetItem(["", ln.code, ln.name, ln.in_stash(), ln.to_buy()])
            item.setIcon(0, swatch_icon(palette[ln.index].rgb))
            for column in (3, 4):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            unit = "stitches' worth of thread" if family == "thread" else cell_word(pattern)
            item.setToolTip(3, f"Needs {ln.need:,.0f} {unit}; your stash has {min(ln.have, ln.need):,.0f}")
            self.tree.addTopLevelItem(item)
        text = buy_summary(self.lines)
        if not stash.items_for(palette):
            text += (f" Your {family} stash has none of these colours yet: add what you own in My Stash to see "
                     "only what is missing.")
        self.summary.setText(text)
        if stash_changed(pattern, stash):
            self.note.setText("Your stash has changed since this pattern was made from it.")
            self.note.show()
        self.save_button.setEnabled(bool(self.lines))

    def to_buy(self) -> dict[str, str]:
        """Code → the "To buy" column as shown."""
        return {self.tree.topLevelItem(r).text(1): self.tree.topLevelItem(r).text(4)
                for r in range(self.tree.topLevelItemCount())}

    def save_csv(self, path: str | None = None) -> Path | None:
        """Write the buy list as CSV to a file the user chooses; the path written, or None."""
        from ..stash.buy import buy_csv

        if not self.lines or self.pattern is None:
            return None
        title = str(self.pattern.metadata.get("title") or "pattern")
        path = path or ask_file_path(self, "Save the buy list", BUY_CSV_FILTER, save=True,
                                     suggested=str(Path.home() / f"{title} buy list.csv"))
        if not path:
            return None
        if not path.lower().endswith(".csv"):
            path += ".csv"
        if errors.refuse_photo(self, path, (self.photo_path,), "saving the buy list"):
            return None
        try:
            with atomic_write(path, "w", newline="") as f:
                f.write(buy_csv(self.lines))
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "Could not save the buy list")
            return None
        self.summary.setToolTip(f"Saved to {path}")
        return Path(path)


class StashMixin:
    """The main window's stash commands (a mixin of :class:`~pixlcraft.gui.main_window.MainWindow`)."""

    _stash_dialog: StashDialog | None = None

    def build_side_panel(self) -> QTabWidget:
        """The right-hand side: the colour list and, in the next tab, the buy list."""
        self.buy_panel = BuyPanel(self)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setDocumentMode(True)
        self.legend.title.hide()  # the tab says it
        self.side_tabs.addTab(self.legend, "Colours")
        self.side_tabs.addTab(self.buy_panel, "Buy list")
        self.side_tabs.setTabToolTip(1, "What the pattern needs that your stash does not have")
        return self.side_tabs

    def connect_stash(self) -> None:
        doc, panel = self.document, self.source_panel
        doc.replaced.connect(lambda: self.buy_panel.set_pattern(doc.pattern, doc.photo_path))
        doc.changed.connect(lambda _event: self.buy_panel.update_later())
        self.buy_panel.stashRequested.connect(self.open_stash_dialog)
        panel.stashRequested.connect(self.open_stash_dialog)
        panel.use_stash.toggled.connect(self._use_stash_toggled)
        panel.stash_fit.clicked.connect(self.fit_to_stash)

    # ------------------------------------------------------------------------------------------- My Stash

    def open_stash_dialog(self, family: str | None = None) -> StashDialog:
        """Show My Stash (one window, kept between openings and read from disk afresh each time), on the
        family of the open pattern or of the panel's craft."""
        from .stash_dialog import StashDialog

        family = family or self._stash_family()
        if self._stash_dialog is None:
            self._stash_dialog = StashDialog(self, family)
            self._stash_dialog.stashChanged.connect(self._stash_saved)
        else:
            self._stash_dialog.reload(family)
        self._stash_dialog.show()
        self._stash_dialog.raise_()
        self._stash_dialog.activateWindow()
        return self._stash_dialog

    def _stash_family(self) -> str:
        from ..stash import family_of
        from .stash_dialog import CRAFT_FAMILY

        if self.document.pattern is not None:
            try:
                return family_of(self.document.pattern.palette)
            except PixlcraftError:
                pass
        return CRAFT_FAMILY.get(self.source_panel.current_craft(), "thread")

    def _stash_saved(self, family: str) -> None:
        """My Stash saved a change: the buy list follows, and so does a live preview made from that stash."""
        from .stash_dialog import CRAFT_FAMILY

        self.buy_panel.stash_updated()
        panel = self.source_panel
        if panel.use_stash.isChecked() and CRAFT_FAMILY.get(panel.current_craft()) == family:
            self.live.schedule()

    # ------------------------------------------------------------------------------------------- Only what I have

    def _use_stash_toggled(self, on: bool) -> None:
        """Ticking "Only what I have" with nothing in the stash says so at once, and points to My Stash."""
        from ..stash import load_stash
        from .stash_dialog import CRAFT_FAMILY

        panel = self.source_panel
        if not on:
            panel.set_stash_problem("")
            return
        family = CRAFT_FAMILY.get(panel.current_craft(), "thread")
        try:
            empty = not load_stash(family).items
        except (PixlcraftError, OSError) as exc:
            errors.show_error(self, exc, "Your stash cannot be read")
            return
        if not empty:
            return
        things = {"thread": "threads", "bead": "beads", "brick": "bricks"}[family]
        if errors.ask_yes_no(self, "Your stash is empty",
                             f"“Only what I have” makes the pattern from the {things} in My Stash, and your {family} "
                             f"stash is empty. Add the {things} you own first?", "Open My Stash…", "Not now"):
            self.open_stash_dialog(family)
        else:
            panel.use_stash.setChecked(False)

    def stash_failed(self, error: BaseException, quiet: bool) -> bool:
        """Say why the stash could not make the pattern, with the ways out; False for any other error."""
        from .make_jobs import NothingInStash, StashTooSmall

        if not isinstance(error, NothingInStash | StashTooSmall):
            return False
        photo = error.photo
        if photo is not None and error.photo_path and error.photo_path != self.source_panel.photo_path:
            self._photo_loaded(error.photo_path, photo)  # a photo just opened is shown, and the way out uses it
        text = errors.describe(error).text
        fits = error.fits if isinstance(error, StashTooSmall) else None
        self._stash_fit = (fits, error.fixed_height) if fits else None
        self.source_panel.set_stash_problem(text, f"Make it {fits[0]} × {fits[1]}" if fits else "")
        if quiet:
            self.statusBar().showMessage("Preview not updated: " + text, 10000)
            return True
        first = f"Make it {fits[0]} × {fits[1]}" if fits else "Open My Stash…"
        title = "Not enough in your stash" if isinstance(error, StashTooSmall) else "Nothing in your stash for this"
        if isinstance(error, StashTooSmall):  # the size asked for, buying only what the stash lacks
            answer = errors.present(self, errors.Message(
                "question", title, text, buttons=("yes", "no", "discard", "cancel"), default="yes",
                extra={"yes": first, "no": "Buy What’s Missing", "discard": "Untick “Only what I have”",
                       "cancel": "Cancel"}))
        else:
            answer = errors.present(self, errors.Message(
                "question", title, text, buttons=("yes", "no", "cancel"), default="yes",
                extra={"yes": first, "no": "Untick “Only what I have”", "cancel": "Cancel"}))
            answer = "discard" if answer == "no" else answer
        if answer == "yes":
            if fits:
                self.fit_to_stash()
            else:
                self.open_stash_dialog()
        elif answer == "no":
            self.buy_missing_and_make()
        elif answer == "discard":
            self.untick_stash_and_make()
        return True

    def buy_missing_and_make(self) -> bool:
        """Make the size asked for from the stash where its threads fit the photo, buying what it lacks and
        any colour that fits clearly better (the blended mode's default cost), and show the buy list."""
        from dataclasses import replace

        self.source_panel.set_stash_problem("")
        self.live.timer.stop()
        self.side_tabs.setCurrentWidget(self.buy_panel)
        return self.make(replace(self.source_panel.request(), buy_missing=True))

    def fit_to_stash(self) -> bool:
        """Set the size to the largest the stash fills (as the last failure worked out) and make the pattern."""
        chosen = getattr(self, "_stash_fit", None)
        if not chosen:
            return False
        (width, height), fixed_height = chosen
        panel = self.source_panel
        panel.size_unit.setCurrentIndex(panel.size_unit.findData("cells"))
        panel.width_cells.setValue(width)
        if fixed_height:
            panel.height_cells.setValue(height)
        panel.set_stash_problem("")
        self.live.timer.stop()  # this make is the one the new size asks for
        return self.make(panel.request())

    def untick_stash_and_make(self) -> bool:
        """Make the pattern at the size asked for without the stash, and show what to buy for it."""
        panel = self.source_panel
        panel.use_stash.setChecked(False)
        self.live.timer.stop()
        self.side_tabs.setCurrentWidget(self.buy_panel)
        return self.make(panel.request())

    def stash_made(self, made: MadePattern) -> str:
        """After a pattern is made: clear the stash's warning; what to add to the status line about it."""
        recipe = made.pattern.metadata.get("recipe") or {}
        if not (isinstance(recipe, dict) and recipe.get("stash")):
            return ""
        self.source_panel.set_stash_problem("")
        moved = int(made.stats.get("moved_for_stock", 0))
        if made.stash_note:  # many stand-ins: say so beside the box, with the size that needs none
            fits = (int(made.stats.get("faithful_width", 0)), int(made.stats.get("faithful_height", 0)))
            self._stash_fit = (fits, self.source_panel.height_cells.value() > 0) if fits[0] else None
            self.source_panel.set_stash_problem(
                f"{moved:,} {cell_word(made.pattern)} took a thread other than their own because yours ran "
                f"out; {made.stash_note}.", f"Make it {fits[0]} × {fits[1]}" if fits[0] else "")
        return (f" · {moved:,} {cell_word(made.pattern)} changed colour to stay within your stash" if moved
                else " · made from your stash")
