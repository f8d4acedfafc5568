"""Help ▸ Quick Guide and Help ▸ Keyboard Shortcuts.

The shortcut list is built from the actions themselves (:data:`~pixlcraft.gui.actions.ACTIONS`), so it can never
disagree with what the keys really do.
"""

from __future__ import annotations

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from .actions import ActionRegistry

GUIDE = """
<h2>PixlCraft in five steps</h2>
<ol>
<li><b>Start</b> — drop a photo on the left panel (or click it to choose one). For the AI method you can also
just type what the picture should show.</li>
<li><b>Craft and brand</b> — cross-stitch in DMC threads, fuse beads (Perler, Hama, Artkal, Nabbi) or bricks.
Type your thread or bead codes into “Colours I own” (or choose a file of them) to use only what is in
your box.</li>
<li><b>Size and colours</b> — the width in stitches, beads or studs (or in cm/inches), and how many colours at
most. The pattern picks the <i>best</i> colours for your photo, not just the most common ones.</li>
<li><b>Make pattern</b> — Classic is instant; AI (SD-πXL) redraws the picture in your palette and needs the
AI engine and models once (Pattern ▸ AI Models…).</li>
<li><b>Edit and export</b> — the Select tool (V) shows a cell's thread; arm Paint (B), Fill (G) or Pick (I) to
change cells; Ctrl+Z undoes. Edit ▸ Reduce Colours… merges to fewer colours. File ▸ Export… prints a chart,
a bead plan or a brick parts list.</li>
</ol>
<h3>Backstitch, part stitches and knots (cross-stitch)</h3>
<p>Pattern ▸ <b>Suggest Outline</b> adds backstitch along the photo's strong edges in the darkest thread (or,
with <b>Suggest Outline in Paint Colour</b>, in the thread chosen in the list), and <b>Smooth Diagonal
Edges</b> turns cells on a slanted edge into three-quarter and quarter stitches where that
matches the photo better; each is one step that Ctrl+Z takes back. Draw your own with Backstitch (L: click
points, Shift for straight lines), Part Stitch (T: half; Shift quarter, Ctrl three-quarter) and French Knot
(K), in the colour chosen in the thread list — a part stitch on a full cross replaces it, and a quarter or
three-quarter keeps the cross's colour on the rest of the cell; Erase Stitch (E) removes one. The View
menu hides or shows each kind.</p>
<h3>Your stash, and what to buy</h3>
<p>Edit ▸ <b>My Stash…</b> keeps the threads, beads and bricks you own, and how much of each: skeins or metres
of thread, beads, bags or grams of beads, pieces of brick. Add a colour by its code or name, change amounts
with + and −, import a list from a spreadsheet (CSV), or add a LEGO Art set by its number; every change is
saved at once. Tick <b>Only what I have</b> under the colours on the left and the pattern uses only your
stash's colours, never more of one than you have (a stash too small for the size says the largest size it
fills). The <b>Buy list</b> tab beside the colour list shows, for the open pattern, what your stash covers and
what is left to buy, in skeins, bags or pieces; <b>Save Buy List…</b> writes it as a CSV for shopping.</p>
<p>Your work is autosaved while you edit; after a crash PixlCraft offers to recover it.</p>
"""


class GuideDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quick Guide")
        self.resize(620, 460)
        layout = QVBoxLayout(self)
        self.text = QTextBrowser(self)
        self.text.setHtml(GUIDE)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


_NAMED_KEYS = {"Esc", "Return", "Enter", "Tab", "Space", "Backspace", "Del", "Delete", "Ins", "Home", "End",
               "Left", "Right", "Up", "Down", "PgUp", "PgDown"}


def _typable(seq: QKeySequence) -> bool:
    """A shortcut on an ordinary keyboard: platform bindings also list media keys such as "Save" or "Help"."""
    key = seq.toString().rsplit("+", 1)[-1] or "+"
    return len(key) == 1 or key in _NAMED_KEYS or (key[0] == "F" and key[1:].isdigit())


def shortcut_rows(registry: ActionRegistry) -> list[tuple[str, str]]:
    """(command, keys) for every action that has a shortcut, in menu order."""
    rows = []
    for action_id in registry.ids():
        action = registry[action_id]
        keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts() if _typable(k)]
        if keys:
            rows.append((action.text().replace("&", "").rstrip("…"), ", ".join(keys)))
    return rows


class ShortcutsDialog(QDialog):
    def __init__(self, registry: ActionRegistry, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.resize(480, 560)
        layout = QVBoxLayout(self)
        self.table = QTreeWidget(self)
        self.table.setHeaderLabels(["Command", "Keys"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        for command, keys in shortcut_rows(registry):
            self.table.addTopLevelItem(QTreeWidgetItem([command, keys]))
        self.table.resizeColumnToContents(0)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
