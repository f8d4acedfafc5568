"""The classic pattern follows the panel: change the size, budget, brand, owned colours or dithering and the
pattern is re-made in the background a moment later.

Until the user edits the pattern by hand (or it came from the AI, which takes minutes), the pattern on screen is
a preview of the panel's choices, so re-making it loses nothing and asks nothing. Changes are debounced (a
spin box dragged from 80 to 120 makes one pattern, not forty); the newest request wins: a preview that is
still running when the choices change again is cancelled and the newest one starts as soon as it has stopped.
A preview that cannot be made (an impossible size, an unknown colour code) says why in the status bar instead
of opening a dialog at every keystroke. Re-making is fast because the photo is decoded once, at the size the
pattern needs, and its linear-light copy and the optimiser's colour table are kept (see ``make_classic``).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer

DEBOUNCE_MS = 250


class LivePreview(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.pending = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self._fire)
        window.source_panel.choicesChanged.connect(self.schedule)

    def active(self) -> bool:
        """Whether the open pattern is only a preview of the panel: a classic one, made from the panel's photo,
        not edited by hand since it was made."""
        w = self.window
        panel, doc = w.source_panel, w.document
        if panel.ai.isChecked() or not panel.photo_path or panel.photo is None:
            return False
        if not doc.is_open or doc.path is not None or doc.photo_path != panel.photo_path:
            return False
        return not (doc.precious or (doc.stack is not None and doc.stack.can_undo))

    def schedule(self) -> None:
        if self.active():
            self.timer.start()

    def _fire(self) -> None:
        if not self.active():
            return
        w = self.window
        if w.jobs.busy:
            self.pending = True
            if w.quiet_job:  # an older preview: stop it, the newest choices win
                w.jobs.cancel()
            return
        w.make(w.source_panel.request(), quiet=True)

    def job_ended(self) -> None:
        """Called by the window when any job ends: start the preview that was waiting for it."""
        if self.pending:
            self.pending = False
            self.timer.start(0)
