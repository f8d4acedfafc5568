"""The AI model manager: the AI engine and the models, what is installed, and getting what is missing.

The installed app ships without the AI engine (PyTorch, diffusers: see :mod:`pixlcraft.addon`), so the top of
the dialog says whether it is there and installs it for this computer with a progress bar and Cancel; the
models below can only be downloaded once it is.

Reading the status walks the model cache and importing the Hugging Face client takes a moment, and a download
takes minutes, so both run through the bridge; the dialog stays responsive and a download can be cancelled.
Offline (``HF_HUB_OFFLINE`` or no network) a download fails with the model store's own message, which names
the model and says how to fetch it by hand.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..jobs import CancelToken, ProgressCallback, Reporter
from . import errors
from .bridge import JobRunner

NAME_ROLE = Qt.ItemDataRole.UserRole


def read_status(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> list[Any]:
    """The model store's status rows (runs on a worker)."""
    from ..models import model_status

    return model_status()


def download(name: str, *, progress: ProgressCallback | None = None, cancel: CancelToken | None = None):
    """Fetch one registry model into the cache, reporting bytes (runs on a worker)."""
    from ..models import download_model

    return download_model(name, reporter=Reporter(progress, cancel))


def engine_status(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None):
    from ..addon import status

    return status()


def install_engine(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None):
    """Install the AI engine for this computer (runs on a worker; pip runs as a child process)."""
    from ..addon import install

    return install(progress=progress, cancel=cancel)


def _size_text(n_bytes: int) -> str:
    if n_bytes >= 1e9:
        return f"{n_bytes / 1e9:.1f} GB"
    return f"{max(1, round(n_bytes / 1e6))} MB"


class ModelManager(QDialog):
    modelsChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("AI Models")
        self.resize(760, 380)
        self.rows: list[Any] = []
        self._outcome = ""
        self.status_runner = JobRunner(self)
        self.status_runner.finished.connect(self._show_rows)
        self.status_runner.error.connect(lambda e: errors.show_error(self, e, "Cannot read the models"))
        self.download_runner = JobRunner(self)
        self.download_runner.progress.connect(self._progress)
        self.download_runner.finished.connect(self._downloaded)
        self.download_runner.cancelled.connect(lambda _p: self._ended("Stopped; nothing was changed."))
        self.download_runner.error.connect(self._download_failed)
        self.download_runner.busy_changed.connect(self._busy)

        self.engine_runner = JobRunner(self)
        self.engine_runner.finished.connect(self._show_engine)
        self.engine_info: Any = None
        self.engine_label = QLabel("Checking the AI engine…", self)
        self.engine_label.setWordWrap(True)
        self.engine_label.setObjectName("engineStatus")
        self.engine_button = QPushButton("Install the AI engine", self)
        self.engine_button.setObjectName("primary")
        self.engine_button.clicked.connect(self.start_engine_install)
        self.engine_button.hide()
        engine_row = QHBoxLayout()
        engine_row.addWidget(self.engine_label, 1)
        engine_row.addWidget(self.engine_button)

        intro = QLabel("AI generation (SD-πXL) needs these models. They are downloaded once and kept in the "
                       "Hugging Face cache (or the folder chosen in Settings).", self)
        intro.setWordWrap(True)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Model", "For", "Size", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3):
            self.tree.header().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.bar = QProgressBar(self)
        self.bar.hide()
        self.message = QLabel("Reading the model folder…", self)
        self.message.setWordWrap(True)
        self.download_button = QPushButton("Download", self)
        self.download_button.setObjectName("primary")
        self.download_button.clicked.connect(self._download_selected)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.download_runner.cancel)
        self.cancel_button.hide()
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        close = QPushButton("Close", self)
        close.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.download_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(engine_row)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        if not self.status_runner.busy:
            if not self._outcome:
                self.message.setText("Reading the model folder…")
            self.status_runner.start(read_status)
        if not self.engine_runner.busy:
            self.engine_runner.start(engine_status)

    def _show_engine(self, info) -> None:
        from ..addon import DOWNLOAD_MB

        self.engine_info = info
        if info.engine_available:
            versions = ", ".join(f"{k} {v}" for k, v in sorted(info.versions.items()))
            where = f" ({versions})" if versions else ""
            self.engine_label.setText(f"<b>AI engine:</b> installed{where}.")
            self.engine_button.hide()
        else:
            build = {"cuda": "NVIDIA GPU", "mps": "Apple GPU", "cpu": "CPU"}[info.accelerator]
            mb = DOWNLOAD_MB[info.accelerator]
            size = f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb} MB"
            self.engine_label.setText(
                f"<b>AI engine:</b> not installed. AI generation needs it once: PyTorch for this computer's "
                f"{build} and Stable Diffusion's libraries, about {size} to download.")
            self.engine_button.show()
        self._update_buttons()

    def start_engine_install(self) -> None:
        if self.download_runner.busy:
            return
        self.message.setText("Installing the AI engine…")
        self.download_runner.start(install_engine)

    def _show_rows(self, rows: list[Any]) -> None:
        self.rows = rows
        self.tree.clear()
        for row in rows:
            spec = row.spec
            size = _size_text(row.bytes_on_disk if row.installed else spec.download_size_mb() * 1_000_000)
            status = "Installed" if row.installed else ("Incomplete" if row.path else "Not installed")
            item = QTreeWidgetItem([spec.title, spec.role, size, status])
            item.setData(0, NAME_ROLE, spec.name)
            item.setToolTip(0, str(row.path) if row.path else spec.repo_id)
            self.tree.addTopLevelItem(item)
        have = sum(1 for r in rows if r.installed)
        outcome, self._outcome = self._outcome, ""
        self.message.setText(f"{outcome} {have} of {len(rows)} models installed.".strip())
        self._update_buttons()

    def _selected(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, NAME_ROLE) if items else None

    def _update_buttons(self) -> None:
        name = self._selected()
        row = next((r for r in self.rows if r.spec.name == name), None)
        engine = self.engine_info is not None and self.engine_info.engine_available
        busy = self.download_runner.busy
        self.download_button.setEnabled(engine and row is not None and not row.installed and not busy)
        self.download_button.setToolTip("" if engine else "Install the AI engine first.")
        self.engine_button.setEnabled(not busy)

    def _download_selected(self) -> None:
        name = self._selected()
        if name:
            self.start_download(name)

    def start_download(self, name: str) -> None:
        if self.download_runner.busy:
            return
        self.message.setText(f"Downloading {name}…")
        self.download_runner.start(download, name)

    def _busy(self, busy: bool) -> None:
        self.bar.setVisible(busy)
        self.bar.setRange(0, 0)
        self.cancel_button.setVisible(busy)
        self.refresh_button.setEnabled(not busy)
        self._update_buttons()

    def _progress(self, p) -> None:
        if p.total:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(1000 * p.done / p.total))
        self.message.setText(p.message or p.stage)

    def _downloaded(self, result) -> None:
        from ..addon import AddonStatus

        self._ended("The AI engine is installed." if isinstance(result, AddonStatus) else "Download finished.")
        self.modelsChanged.emit()

    def _download_failed(self, error: BaseException) -> None:
        self._ended("Download failed.")
        errors.show_error(self, error, "Download failed")

    def _ended(self, text: str) -> None:
        self._outcome = text  # kept in front of the fresh count, so the refresh does not wipe it
        self.message.setText(text)
        self.refresh()

    def closeEvent(self, event) -> None:  # noqa: N802
        for runner in (self.download_runner, self.status_runner, self.engine_runner):
            if runner.busy:
                runner.cancel()
                runner.wait(10)
        super().closeEvent(event)
