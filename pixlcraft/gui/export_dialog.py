"""One export dialog over the export registry: whatever formats exist, each with its own options.

Nothing here knows a format. The list, the option widgets (a check box for yes/no, a list for choices, a
number box with the declared range), the tooltips and the defaults all come from the
:class:`~pixlcraft.export.registry.ExportFormat` declarations, so a new writer module shows up here with no
change. Formats meant for the pattern's craft are listed first; the others follow, still usable.

Exporting runs through the bridge with progress and Cancel; the dialog stays open afterwards so a second
format can follow (a chart and a preview picture, say).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..errors import InputError
from ..fileio import protect_inputs
from ..pattern import Pattern, picture
from ..settings import Settings
from . import errors
from .bridge import JobRunner
from .pattern_view import numpy_to_qimage

KEY_ROLE = Qt.ItemDataRole.UserRole
REASON_ROLE = Qt.ItemDataRole.UserRole + 1
PREVIEW_PX = 240


def _registry():
    """The export registry module, or None when this build has none (the dialog then says so)."""
    try:
        from ..export import registry
    except ImportError:
        return None
    return registry


def format_title(fmt) -> str:
    """A short name for a format from its description: the words before the first ':' or '('."""
    text = fmt.description
    for mark in (":", " ("):
        text = text.split(mark, 1)[0]
    text = text.strip() or fmt.key
    return text[:1].upper() + text[1:]


def settings_defaults(settings: Settings | None, pattern: Pattern) -> dict[str, Any]:
    """Option values that follow the user's settings and the pattern (paper size, fabric count)."""
    values: dict[str, Any] = {}
    if settings is not None:
        values["paper"] = settings.paper_size
    material = pattern.palette.material
    if material.craft == "stitch" and material.pitch_mm > 0:
        values["fabric_count"] = round(25.4 / material.pitch_mm, 2)
    elif settings is not None:
        values["fabric_count"] = settings.fabric_count
    return values


class OptionEditor(QWidget):
    """Widgets for one format's options, built from its ExportOption list."""

    changed = Signal()

    def __init__(self, fmt, initial: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fmt = fmt
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(2)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for opt in fmt.options:
            value = initial.get(opt.name, opt.default)
            try:
                value = opt.check(value, fmt.key)
            except Exception:  # noqa: BLE001 - a setting that does not fit this format: use its default
                value = opt.default
            widget = self._widget(opt, value)
            widget.setToolTip(opt.help)
            for signal in ("toggled", "currentIndexChanged", "valueChanged", "textChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(lambda *_a: self.changed.emit())
                    break
            self.widgets[opt.name] = widget
            form.addRow(opt.name.replace("_", " ").capitalize(), widget)
            hint = QLabel(opt.help[:1].upper() + opt.help[1:], self)
            hint.setObjectName("panelHint")
            hint.setWordWrap(True)
            form.addRow("", hint)
            form.setSpacing(4)
        if not fmt.options:
            form.addRow(QLabel("This format has no options.", self))

    def _widget(self, opt, value: Any) -> QWidget:
        if opt.type is bool:
            box = QCheckBox("Yes", self)
            box.setChecked(bool(value))
            return box
        if opt.choices is not None:
            combo = QComboBox(self)
            for choice in opt.choices:
                combo.addItem(str(choice), choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        if opt.type is int:
            spin = QSpinBox(self)
            spin.setRange(int(opt.min) if opt.min is not None else -1_000_000,
                          int(opt.max) if opt.max is not None else 1_000_000)
            spin.setValue(int(value))
            return spin
        if opt.type is float:
            dspin = QDoubleSpinBox(self)
            dspin.setDecimals(2)
            dspin.setRange(opt.min if opt.min is not None else -1e6, opt.max if opt.max is not None else 1e6)
            dspin.setSingleStep(_step(opt))
            dspin.setValue(float(value))
            return dspin
        line = QLineEdit(self)
        line.setText(str(value))
        line.setPlaceholderText(opt.help)
        return line

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for opt in self.fmt.options:
            w = self.widgets[opt.name]
            if isinstance(w, QCheckBox):
                out[opt.name] = w.isChecked()
            elif isinstance(w, QComboBox):
                out[opt.name] = w.currentData()
            elif isinstance(w, QSpinBox | QDoubleSpinBox):
                out[opt.name] = w.value()
            elif isinstance(w, QLineEdit):
                out[opt.name] = w.text()
        return out

    def set_value(self, name: str, value: Any) -> None:
        w = self.widgets[name]
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(w.findData(value))
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))


def _step(opt) -> float:
    span = (opt.max or 10.0) - (opt.min or 0.0)
    return 10 ** math.floor(math.log10(max(span, 1e-6)) - 1)


def open_url(url, opener) -> bool:
    """``opener(url)`` (QDesktopServices.openUrl; a seam for tests, which must not launch programs)."""
    return bool(opener(url))



def _export_keeping(inputs: tuple[str, ...], export: Callable[..., list[Path]], *args: Any, **kwargs: Any
                    ) -> list[Path]:
    """Run ``export`` on the worker with ``inputs`` protected, so no file of the set (the black-and-white chart
    too) can land on the source photo."""
    with protect_inputs(*inputs):
        return export(*args, **kwargs)

class ExportDialog(QDialog):
    exported = Signal(object)
    """The files just written (a list of paths, the main one first)."""

    def __init__(self, pattern: Pattern, parent: QWidget | None = None, *, settings: Settings | None = None,
                 folder: str | Path | None = None, reduce: Callable[[int], Pattern | None] | None = None,
                 inputs: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.inputs = tuple(p for p in inputs if p)
        """Files the export must never write over (the source photo)."""
        self.setWindowTitle("Export pattern")
        self.resize(900, 600)
        self.pattern = pattern.copy()  # a snapshot: edits in the window while exporting do not mix in
        self.settings = settings
        self.folder = Path(folder) if folder else Path.home()
        self.reduce = reduce
        """Reduces the window's pattern to K colours and returns it (None: cancelled); offered when a format
        can show fewer colours than the pattern has."""
        self.registry = _registry()
        self.runner = JobRunner(self)
        self.runner.progress.connect(self._progress)
        self.runner.finished.connect(self._done)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.error.connect(self._failed)
        self.runner.busy_changed.connect(self._busy)
        self.editor: OptionEditor | None = None
        self.last_written: list[Path] = []
        self._exporting: tuple[Any, dict[str, Any]] | None = None
        self._picture = None
        self._initial = settings_defaults(settings, pattern)
        self._paths: dict[str, str] = {}

        self.list = QListWidget(self)
        self.list.setObjectName("formatList")
        self.list.setMinimumWidth(250)
        self.list.setMaximumWidth(300)
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(self._format_changed)
        self.heading = QLabel(self)
        self.heading.setObjectName("dialogHeading")
        self.description = QLabel(self)
        self.description.setWordWrap(True)
        self.description.setObjectName("panelHint")
        self.options_area = QScrollArea(self)
        self.options_area.setObjectName("optionsArea")
        self.options_area.setWidgetResizable(True)
        self.options_area.setFrameShape(QFrame.Shape.NoFrame)
        self.options_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.preview = QLabel(self)
        self.preview.setFixedSize(QSize(PREVIEW_PX, PREVIEW_PX))
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("exportPreview")
        self.preview_text = QLabel(self)
        self.preview_text.setWordWrap(True)
        self.preview_text.setObjectName("panelHint")
        self.path = QLineEdit(self)
        self.browse = QPushButton("Browse…", self)
        self.browse.clicked.connect(self._browse)
        self.bar = QProgressBar(self)
        self.bar.hide()
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.export_button = QPushButton("Export", self)
        self.export_button.setObjectName("primary")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._export_clicked)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.runner.cancel)
        self.cancel_button.hide()
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.close)
        self.reduce_button = QPushButton("", self)
        self.reduce_button.clicked.connect(self._reduce_clicked)
        self.reduce_button.hide()
        self.open_file_button = QPushButton("Open File", self)
        self.open_file_button.clicked.connect(lambda: self._reveal(self.last_written[0]))
        self.open_folder_button = QPushButton("Show in Folder", self)
        self.open_folder_button.clicked.connect(lambda: self._reveal(self.last_written[0].parent))
        for b in (self.open_file_button, self.open_folder_button):
            b.hide()

        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(self.heading)
        right.addWidget(self.description)
        options_title = QLabel("Options", self)
        options_title.setObjectName("sectionTitle")
        right.addSpacing(6)
        right.addWidget(options_title)
        middle = QHBoxLayout()
        middle.setSpacing(16)
        middle.addWidget(self.options_area, 1)
        side = QVBoxLayout()
        side.addWidget(self.preview)
        side.addWidget(self.preview_text)
        side.addStretch(1)
        middle.addLayout(side)
        right.addLayout(middle, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Save as", self))
        row.addWidget(self.path, 1)
        row.addWidget(self.browse)
        right.addLayout(row)
        right.addWidget(self.bar)
        right.addWidget(self.status)
        right.addWidget(self.reduce_button, 0, Qt.AlignmentFlag.AlignLeft)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_file_button)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.export_button)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.setSpacing(16)
        layout.addWidget(self.list)
        layout.addLayout(right, 1)

        self._fill_list()
        self._update_preview()

    # ------------------------------------------------------------------------------------------- content

    def _fill_list(self) -> None:
        if self.registry is None:
            self.heading.setText("Export is not available")
            self.description.setText("This build of PixlCraft has no exporters. You can still save the pattern "
                                     "(.pixl) from the File menu.")
            self.export_button.setEnabled(False)
            return
        reasons = {f.key: self.registry.unfit_reason(f, self.pattern) for f in self.registry.formats()}
        fits = [f for f in self.registry.formats() if not reasons[f.key]]
        others = [f for f in self.registry.formats() if reasons[f.key]]
        for fmt in fits:
            self._add_item(fmt)
        if others:
            header = QListWidgetItem("Not for this pattern")
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(header)
            for fmt in others:
                self._add_item(fmt, reasons[fmt.key])
        if fits or others:
            self.list.setCurrentRow(0)
        else:
            self.heading.setText("No export formats")
            self.export_button.setEnabled(False)

    def _add_item(self, fmt, unfit: str = "") -> None:
        item = QListWidgetItem(f"{format_title(fmt)}\n{fmt.extension} file · {fmt.key}")
        item.setData(KEY_ROLE, fmt.key)
        item.setToolTip(unfit or fmt.description)
        if unfit:  # greyed, with the reason, instead of failing after the click
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled & ~Qt.ItemFlag.ItemIsSelectable)
            item.setData(REASON_ROLE, unfit)
        self.list.addItem(item)

    def reason_for(self, key: str) -> str:
        """Why a format is greyed out ("" when it can be chosen)."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(KEY_ROLE) == key:
                return item.data(REASON_ROLE) or ""
        raise KeyError(key)

    def _colour_limit(self, fmt) -> int | None:
        """The format's colour limit when this pattern has more colours than it (fixable by reducing)."""
        used = len(self.pattern.used_indices())
        return fmt.max_colors if fmt.max_colors is not None and used > fmt.max_colors else None

    def _reduce_clicked(self) -> None:
        fmt = self.current_format
        limit = self._colour_limit(fmt) if fmt is not None else None
        if limit is None or self.reduce is None:
            return
        reduced = self.reduce(limit)
        if reduced is not None:
            self.pattern = reduced.copy()
            self._picture = None
            self._format_changed(self.list.currentItem(), None)

    def format_keys(self) -> list[str]:
        keys = []
        for row in range(self.list.count()):
            key = self.list.item(row).data(KEY_ROLE)
            if key:
                keys.append(key)
        return keys

    @property
    def current_format(self):
        item = self.list.currentItem()
        key = item.data(KEY_ROLE) if item is not None else None
        return self.registry.get_format(key) if key and self.registry is not None else None

    def select_format(self, key: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(KEY_ROLE) == key:
                self.list.setCurrentRow(row)
                return
        raise KeyError(f"no export format {key!r} in the dialog")

    def _format_changed(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if previous is not None and previous.data(KEY_ROLE):
            self._paths[previous.data(KEY_ROLE)] = self.path.text()
        fmt = self.current_format
        if self.editor is not None:
            self.options_area.takeWidget()
            self.editor.deleteLater()
            self.editor = None
        if fmt is None:
            return
        self.heading.setText(format_title(fmt))
        self.description.setText(fmt.description[:1].upper() + fmt.description[1:] + ".")
        self.editor = OptionEditor(fmt, self._initial)
        self.editor.setObjectName("optionEditor")
        self.editor.changed.connect(self._update_preview)
        self.options_area.setWidget(self.editor)
        self.path.setText(self._paths.get(fmt.key) or str(self._default_path(fmt)))
        self.status.setText("")
        limit = self._colour_limit(fmt)
        self.export_button.setEnabled(limit is None)
        self.reduce_button.setVisible(limit is not None and self.reduce is not None)
        if limit is not None:
            used = len(self.pattern.used_indices())
            self.status.setText(f"This pattern has {used} colours, but a {format_title(fmt).lower()} can show at "
                                f"most {limit}. Reduce the colours to export it (you can undo that).")
            self.reduce_button.setText(f"Reduce to {limit} colours")
        self._update_preview()

    def _default_path(self, fmt) -> Path:
        title = str(self.pattern.metadata.get("title") or "pattern")
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in title).strip() or "pattern"
        return self.folder / f"{safe}{fmt.extension}"

    def _update_preview(self) -> None:
        p = self.pattern
        side = PREVIEW_PX - 8
        if self._picture is None:  # with backstitch and part stitches drawn, as on the chart's cover
            self._picture = numpy_to_qimage(np.ascontiguousarray(picture(p, max_side=2 * side)))
        pix = QPixmap.fromImage(self._picture)
        w, h = pix.width(), pix.height()
        scale = max(1, side // max(w, h))
        if max(w, h) * scale <= side:
            pix = pix.scaled(w * scale, h * scale, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.FastTransformation)
        else:
            pix = pix.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation if w > p.width
                             else Qt.TransformationMode.FastTransformation)
        self.preview.setPixmap(pix)
        m = p.palette.material
        w_mm, h_mm = m.size_mm(p.width, p.height)
        values = self.editor.values() if self.editor is not None else {}
        if values.get("fabric_count"):  # a chart: stitched on the fabric chosen here
            pitch = 25.4 / float(values["fabric_count"])
            w_mm, h_mm = p.width * pitch, p.height * pitch
        elif values.get("cell_mm"):  # machine embroidery: the file's own stitch size
            w_mm, h_mm = p.width * float(values["cell_mm"]), p.height * float(values["cell_mm"])
        colours = len(p.used_indices())
        text = f"{p.width} × {p.height} cells, {colours} colours\n{w_mm / 10:.1f} × {h_mm / 10:.1f} cm finished"
        note = self.limits_note(self.current_format, values)
        self.preview_text.setText(text + (f"\n\n{note}" if note else ""))

    def limits_note(self, fmt, options: dict[str, Any]) -> str:
        """What ``fmt`` cannot keep of this pattern (beads in a stitch file, part stitches in a 1-pixel PNG),
        said before the export and again after it, as the command line does: never dropped silently."""
        if fmt is None or self.registry is None:
            return ""
        try:
            return self.registry.limits_note(fmt, self.pattern, options)
        except InputError:
            return ""  # an option being typed is not valid yet; the export itself will say so

    # ------------------------------------------------------------------------------------------- export

    def _browse(self) -> None:
        fmt = self.current_format
        if fmt is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export as", self.path.text(),
                                              f"{fmt.key} (*{fmt.extension})")
        if path:
            self.path.setText(path)

    def options(self) -> dict[str, Any]:
        return self.editor.values() if self.editor is not None else {}

    def _export_clicked(self) -> None:
        fmt = self.current_format
        if fmt is None:
            return
        self.start_export(fmt.key, self.path.text().strip(), self.options())

    def start_export(self, key: str, path: str | Path, options: dict[str, Any] | None = None) -> None:
        """Write the pattern as ``key`` on a worker thread (what the Export button does)."""
        if self.registry is None or self.runner.busy:
            return
        if not str(path):
            errors.show_error(self, "Choose where to save the file first.", "No file name")
            return
        target = Path(path).expanduser()
        if errors.refuse_photo(self, target, self.inputs, "exporting"):
            return
        if target.exists() and not errors.ask_yes_no(
            self, "Replace file?", f"{target.name} already exists in {target.parent}. Replace it?", "Replace",
            "Keep it",
        ):
            return
        self.status.setText("Exporting…")
        self._exporting = (self.registry.get_format(key), dict(options or {}))
        self.runner.start(_export_keeping, self.inputs, self.registry.export, self.pattern, key, target,
                          options or {})

    def _busy(self, busy: bool) -> None:
        self.bar.setVisible(busy)
        self.bar.setRange(0, 0)
        self.cancel_button.setVisible(busy)
        self.export_button.setEnabled(not busy)
        self.close_button.setEnabled(not busy)
        self.list.setEnabled(not busy)

    def _progress(self, progress) -> None:
        if progress.total and progress.done > 0:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)
        self.status.setText(progress.message or progress.stage)

    def _done(self, written: list[Path]) -> None:
        self.last_written = list(written)
        names = ", ".join(p.name for p in written)
        note = self.limits_note(*self._exporting) if written and self._exporting else ""
        self.status.setText((f"Saved {names} in {written[0].parent}" if written else "Nothing was written.")
                            + (f"\n{note}" if note else ""))
        for b in (self.open_file_button, self.open_folder_button):
            b.setVisible(bool(written))
        if written:
            self.folder = written[0].parent
        self.exported.emit(self.last_written)

    def _reveal(self, path: Path) -> bool:
        """Open a written file in its usual program, or its folder in the file manager."""
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        return open_url(QUrl.fromLocalFile(str(path)), QDesktopServices.openUrl)

    def _cancelled(self, _partial) -> None:
        self.status.setText("Export stopped; no file was written.")

    def _failed(self, error: BaseException) -> None:
        self.status.setText("Export failed.")
        errors.show_error(self, error, "Export failed")

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.runner.busy:
            self.runner.cancel()
            self.runner.wait(10)
        super().closeEvent(event)
