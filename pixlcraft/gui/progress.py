"""The strip that shows a running job: what it is doing, how far it is, how long is left, and a Cancel button.

It only displays what the core reports (:class:`~pixlcraft.jobs.Progress`); the time left is the simple
"elapsed × remaining fraction" estimate, shown only once there is enough progress for it to mean anything, so
it does not jump wildly in the first second. Previews (small numpy images the optimiser sends) are drawn
crisp, like the pattern itself.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from ..jobs import Progress
from .pattern_view import numpy_to_qimage

PREVIEW_PX = 72


def format_duration(seconds: float) -> str:
    """``"8 s"``, ``"2 min 5 s"``, ``"1 h 04 min"`` — short, and never "0 s" for work that is not done."""
    s = max(1, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, s = divmod(s, 60)
        return f"{m} min {s} s" if m < 10 and s else f"{m} min"
    h, rest = divmod(s, 3600)
    return f"{h} h {rest // 60:02d} min"


class ProgressPanel(QFrame):
    cancelRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview = QLabel(self)
        self.preview.setFixedSize(PREVIEW_PX, PREVIEW_PX)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("progressPreview")
        self.title = QLabel(self)
        self.title.setObjectName("progressTitle")
        self.stage = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setTextVisible(True)
        self.time_left = QLabel(self)
        self.time_left.setObjectName("progressTime")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.clicked.connect(self._cancel)

        text = QVBoxLayout()
        text.setSpacing(3)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.time_left)
        text.addLayout(top)
        text.addWidget(self.bar)
        text.addWidget(self.stage)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.preview)
        layout.addLayout(text, 1)
        layout.addWidget(self.cancel_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self._started = self._last_at = 0.0
        self.last: Progress | None = None
        self._clock = QTimer(self)  # the time left keeps counting down between the core's reports
        self._clock.setInterval(1000)
        self._clock.timeout.connect(self._tick)
        self.hide()

    def start(self, title: str) -> None:
        self._started = self._last_at = time.monotonic()
        self.last = None
        self.title.setText(title)
        self.stage.setText("Starting…")
        self.time_left.setText("")
        self.bar.setRange(0, 0)  # busy until the first report says how much there is
        self.preview.clear()
        self.preview.hide()
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel")
        self._clock.start()
        self.show()

    def update_progress(self, progress: Progress) -> None:
        self.last = progress
        self._last_at = time.monotonic()
        self.stage.setText(progress.message or progress.stage)
        if progress.total and progress.done > 0:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(min(progress.done, progress.total))
        else:  # nothing measurable yet: a moving "busy" bar, never a bar frozen at 0 %
            self.bar.setRange(0, 0)
        self.time_left.setText(self._time_text())
        if progress.preview is not None:
            image = numpy_to_qimage(progress.preview[..., :3] if progress.preview.ndim == 3 else progress.preview)
            pix = QPixmap.fromImage(image).scaled(PREVIEW_PX, PREVIEW_PX, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.FastTransformation)
            self.preview.setPixmap(pix)
            self.preview.show()

    def _tick(self) -> None:
        if self.cancel_button.isEnabled():
            self.time_left.setText(self._time_text())

    def _time_text(self) -> str:
        """From the job's own estimate when it gives one (``info["seconds_left"]``), else from the fraction done
        at the last report, counted down since."""
        now = time.monotonic()
        elapsed = now - self._started
        p = self.last
        if p is None or p.fraction is None or p.fraction <= 0.0:
            return format_duration(elapsed) + " so far" if elapsed >= 2 else ""
        if p.fraction >= 1.0:
            return "Finishing…"
        since = now - self._last_at
        left = p.info.get("seconds_left") if isinstance(p.info.get("seconds_left"), int | float) else None
        if left is None:
            at_report = self._last_at - self._started
            if at_report < 1.0 or p.fraction < 0.03:
                return "Estimating time…"
            left = at_report * (1.0 - p.fraction) / p.fraction
        left -= since
        return "Almost done…" if left < 1.0 else "About " + format_duration(left) + " left"

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.cancel_button.setText("Stopping…")
        self.stage.setText("Stopping…")
        self.cancelRequested.emit()

    def finish(self) -> None:
        self._clock.stop()
        self.hide()
        self.last = None
