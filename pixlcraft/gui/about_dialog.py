"""Help ▸ About: the name, the version, where it runs from, and the licences of everything bundled.

The list comes from :mod:`pixlcraft.credits`; each licence text opens from the installed resources, so the
box works offline and shows exactly what this build ships.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from .. import __version__
from ..credits import CREDITS, read_resource
from . import app_icon


def _where() -> str:
    from .. import addon, runtime

    kind = "installed app" if runtime.frozen() else "from source"
    engine = "installed" if addon.engine_available() else "not installed (Pattern ▸ AI Models…)"
    return f"{kind} · Python {sys.version.split()[0]} · AI engine {engine}"


class AboutDialog(QDialog):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About PixlCraft")
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        logo = QLabel()
        logo.setPixmap(QPixmap(app_icon.icon_path(128)).scaled(
            96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        top.addWidget(logo)
        heading = QLabel(
            f"<h2 style='margin:0'>PixlCraft {__version__}</h2>"
            "<p>Turn a photo or a prompt into a cross-stitch, fuse-bead or brick-mosaic pattern in real thread, "
            f"bead and brick colours.</p><p style='color:#7a7067'>{_where()}</p>")
        heading.setWordWrap(True)
        heading.setObjectName("aboutHeading")
        top.addWidget(heading, 1)
        layout.addLayout(top)

        layout.addWidget(QLabel("Bundled data, fonts and libraries, and their licences (select one to read it):"))
        self.credits = QTreeWidget()
        self.credits.setHeaderLabels(["Component", "Used for", "Licence"])
        self.credits.setRootIsDecorated(False)
        self.credits.setAlternatingRowColors(True)
        for credit in CREDITS:
            item = QTreeWidgetItem([credit.name, credit.what, credit.licence])
            item.setData(0, Qt.ItemDataRole.UserRole, credit.resource)
            self.credits.addTopLevelItem(item)
        header = self.credits.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.credits.currentItemChanged.connect(self._show_text)
        layout.addWidget(self.credits, 1)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setPlaceholderText("The licence text appears here.")
        layout.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.credits.setCurrentItem(self.credits.topLevelItem(0))

    def _show_text(self, item, _previous=None) -> None:
        resource = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else ""
        try:
            self.text.setPlainText(read_resource(resource))
        except (OSError, ImportError) as exc:
            self.text.setPlainText(f"The licence text is missing from this build ({exc}).")
