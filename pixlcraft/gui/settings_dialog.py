"""The settings dialog, built from the settings schema (:data:`pixlcraft.settings.FIELDS`).

Labels, help texts, choices and ranges all come from the schema, so a new setting appears here by being
declared there. Values are checked by :class:`~pixlcraft.settings.Settings` itself when OK is pressed; a bad
value keeps the dialog open with the reason.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..palette import builtin_catalog
from ..settings import FIELDS, SettingField, Settings, SettingsError, save_settings
from . import errors

_CHOICE_WORDS = {
    "a4": "A4", "letter": "US Letter", "mm": "Millimetres and centimetres", "in": "Inches",
    "stitch": "Cross-stitch", "bead": "Fuse beads", "brick": "Bricks",
}
_DEVICES = ("auto", "cpu", "cuda", "mps")


class _FolderEdit(QWidget):
    def __init__(self, value: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit(value, self)
        self.line.setPlaceholderText(placeholder)
        self.line.setClearButtonEnabled(True)
        button = QPushButton("Choose…", self)
        button.clicked.connect(self._choose)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.line, 1)
        layout.addWidget(button)

    def _choose(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder", self.line.text())
        if folder:
            self.line.setText(folder)

    def value(self) -> str:
        return self.line.text().strip()


class SettingsDialog(QDialog):
    settingsChanged = Signal(object)
    """The new :class:`Settings`, after they were saved."""

    def __init__(self, settings: Settings, parent: QWidget | None = None, *, save_path=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        self.settings = settings
        self.save_path = save_path
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout()
        for f in FIELDS:
            widget = self._widget(f, getattr(settings, f.name))
            widget.setToolTip(f.help)
            self.widgets[f.name] = widget
            form.addRow(f.label if f.kind != "bool" else "", widget)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setObjectName("errorText")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    def _widget(self, f: SettingField, value: Any) -> QWidget:
        if f.kind == "folder":
            return _FolderEdit(value, "Default", self)
        if f.kind == "bool":
            box = QCheckBox(f.label, self)
            box.setChecked(bool(value))
            return box
        if f.kind == "choice":
            combo = QComboBox(self)
            words = dict(_CHOICE_WORDS)
            if f.name == "default_palette":
                words.update({name: f"{brand} ({material.description.lower()})"
                              for name, brand, material in builtin_catalog()})
            for choice in f.choices:
                combo.addItem(words.get(choice, choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        if f.kind == "int":
            spin = QSpinBox(self)
            spin.setRange(int(f.minimum if f.minimum is not None else 0), int(f.maximum or 1_000_000))
            spin.setValue(int(value))
            return spin
        if f.kind == "float":
            dspin = QDoubleSpinBox(self)
            dspin.setDecimals(1)
            dspin.setRange(float(f.minimum or 0.0), float(f.maximum or 1e6))
            dspin.setValue(float(value))
            return dspin
        if f.name == "device":
            combo = QComboBox(self)
            combo.setEditable(True)
            combo.addItems(list(_DEVICES))
            combo.setCurrentText(str(value))
            return combo
        return QLineEdit(str(value), self)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in FIELDS:
            w = self.widgets[f.name]
            if isinstance(w, _FolderEdit):
                out[f.name] = w.value()
            elif isinstance(w, QCheckBox):
                out[f.name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[f.name] = w.currentData() if not w.isEditable() else w.currentText().strip()
            elif isinstance(w, QSpinBox | QDoubleSpinBox):
                out[f.name] = w.value()
            elif isinstance(w, QLineEdit):
                out[f.name] = w.text()
        return out

    def set_value(self, name: str, value: Any) -> None:
        w = self.widgets[name]
        if isinstance(w, _FolderEdit):
            w.line.setText(str(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            if w.isEditable():
                w.setCurrentText(str(value))
            else:
                w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))

    def restore_defaults(self) -> None:
        defaults = Settings()
        for f in FIELDS:
            self.set_value(f.name, getattr(defaults, f.name))

    def accept(self) -> None:
        try:
            new = Settings().replace(**self.values())
        except SettingsError as e:
            self.message.setText(str(e)[:1].upper() + str(e)[1:])
            return
        try:
            save_settings(new, self.save_path)
        except Exception as e:  # noqa: BLE001 - a read-only config folder: keep the settings for this session
            errors.show_error(self, e, "Settings not saved")
        self.settings = new
        self.settingsChanged.emit(new)
        super().accept()
