"""Add a LEGO Art set to the brick stash: which set (with its stud count) and how many boxes of it."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget


class ArtSetDialog(QDialog):
    """Which LEGO Art set, and how many boxes of it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from ..stash.lego_art import art_sets

        super().__init__(parent)
        self.setWindowTitle("Add a LEGO Art set")
        self.sets = art_sets()
        self.set_box = QComboBox(self)
        for number, art in sorted(self.sets.items()):
            self.set_box.addItem(f"{number}  {art.name}  ({art.studs:,} studs)", number)
        self.copies = QSpinBox(self)
        self.copies.setRange(1, 99)
        self.copies.setPrefix("× ")
        self.summary = QLabel("", self)
        self.summary.setObjectName("panelHint")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add to my bricks")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Set", self))
        layout.addWidget(self.set_box)
        row = QHBoxLayout()
        row.addWidget(QLabel("How many", self))
        row.addWidget(self.copies, 1)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.set_box.currentIndexChanged.connect(self._update)
        self.copies.valueChanged.connect(self._update)
        self._update()

    def chosen(self) -> tuple[str, int]:
        return str(self.set_box.currentData()), self.copies.value()

    def _update(self) -> None:
        number, copies = self.chosen()
        art = self.sets[number]
        self.summary.setText(f"Adds {copies * art.studs:,} studs in {len({c for c, _e, _q in art.parts})} colours "
                             "(colours PixlCraft's LEGO palette lacks, such as Pearl Gold, are left out).")
