"""The open pattern as the window sees it: the pattern, its file, its photo, its undo history — and signals.

This is the only place that changes the pattern: every edit is a :mod:`pixlcraft.edit` command pushed on the
:class:`~pixlcraft.edit.UndoStack`, whose events become Qt signals for the views. The window, the legend and
the canvas only ask for edits; none of them writes to the grid.

``pixlcraft.edit`` (and with it OpenCV and numba) is imported when the first pattern arrives rather than at
start-up, so the empty window appears quickly.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from ..imageio import Photo
from ..pattern import Pattern

if TYPE_CHECKING:
    from ..edit import Command, EditEvent, UndoStack


class Document(QObject):
    changed = Signal(object)
    """An :class:`~pixlcraft.edit.EditEvent`: cells (and maybe the palette) changed by do/undo/redo."""
    replaced = Signal()
    """A different pattern (or none) is now open: redraw everything."""
    stateChanged = Signal()
    """Saved/unsaved, undo or redo availability changed (titles, menus)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pattern: Pattern | None = None
        self.path: Path | None = None
        self.photo: Photo | None = None
        self.photo_path = ""
        self.cell_lab: np.ndarray | None = None
        self.stack: UndoStack | None = None
        self.precious = False
        """The pattern took long to make (an AI run): losing it unsaved is worth a question even unedited."""

    # ------------------------------------------------------------------------------------------- state

    @property
    def is_open(self) -> bool:
        return self.pattern is not None

    @property
    def dirty(self) -> bool:
        return self.stack is not None and not self.stack.clean

    @property
    def worth_asking(self) -> bool:
        """Whether closing or replacing the pattern would lose something the user cannot get back in a second:
        their own edits, or an unsaved AI result. A fresh classic conversion is remade in a moment, so it alone
        is no reason to interrupt with "Save changes?"."""
        return self.dirty and (self.precious or (self.stack is not None and self.stack.can_undo))

    @property
    def revision(self) -> int:
        return self.stack.revision if self.stack is not None else 0

    @property
    def name(self) -> str:
        if self.path is not None:
            return self.path.name
        title = self.pattern.metadata.get("title") if self.pattern is not None else None
        return str(title) if title else "Untitled"

    # ------------------------------------------------------------------------------------------- opening

    def open(self, pattern: Pattern, *, path: str | Path | None = None, photo: Photo | None = None,
             photo_path: str = "", cell_lab: np.ndarray | None = None, saved: bool = True,
             precious: bool = False) -> None:
        """Make ``pattern`` the open one. ``saved=False`` for a fresh conversion that exists in no file yet;
        ``precious`` for one that took long to make (see :attr:`worth_asking`)."""
        from ..edit import UndoStack

        self.pattern = pattern
        self.path = Path(path) if path is not None else None
        self.photo, self.photo_path = photo, photo_path
        self.cell_lab = cell_lab if cell_lab is not None and cell_lab.shape[:2] == pattern.grid.shape else None
        self.stack = UndoStack(pattern, on_change=self._on_edit)
        self.precious = precious and not saved
        if not saved:
            self.stack.mark_dirty()
        self.replaced.emit()
        self.stateChanged.emit()

    def close(self) -> None:
        self.pattern = self.path = self.photo = self.cell_lab = self.stack = None
        self.photo_path = ""
        self.replaced.emit()
        self.stateChanged.emit()

    # ------------------------------------------------------------------------------------------- edits

    def push(self, command: Command) -> bool:
        """Apply an edit as one undo step; False when it changed nothing."""
        if self.stack is None:
            return False
        return self.stack.push(command)

    def undo(self) -> None:
        if self.stack is not None:
            self.stack.undo()

    def redo(self) -> None:
        if self.stack is not None:
            self.stack.redo()

    def mark_saved(self, path: str | Path, revision: int) -> bool:
        """Record a save of the state at ``revision``; if edits came in meanwhile, the pattern stays unsaved."""
        self.path = Path(path)
        if self.stack is not None and self.stack.revision == revision:
            self.stack.set_clean()
        self.stateChanged.emit()
        return not self.dirty

    def _on_edit(self, event: EditEvent) -> None:
        if event.action != "clean":
            self.changed.emit(event)
        self.stateChanged.emit()
