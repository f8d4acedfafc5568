"""Progress reports and cancellation shared by every long piece of work.

The core reports progress through a plain callback and checks a :class:`CancelToken`; it never knows who
listens. The CLI turns reports into a progress bar, the GUI bridge into Qt signals on a worker thread. Reports
hold only numbers, text and small numpy previews (never GPU tensors), so they are safe to pass across threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import Cancelled


@dataclass
class Progress:
    """One progress report: ``done`` of ``total`` units of ``stage`` (``total`` 0 means unknown)."""

    stage: str
    done: int = 0
    total: int = 0
    message: str = ""
    preview: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def fraction(self) -> float | None:
        return self.done / self.total if self.total else None


ProgressCallback = Callable[[Progress], None]


class CancelToken:
    """Set from any thread; long loops call :meth:`check` at least once per step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`~pixlcraft.errors.Cancelled` once :meth:`cancel` has been called."""
        if self._event.is_set():
            raise Cancelled()


class Reporter:
    """Bundles an optional callback and an optional token so that core code needs no ``if`` at every step."""

    def __init__(self, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> None:
        self.progress = progress
        self.cancel = cancel

    def report(self, stage: str, done: int = 0, total: int = 0, **kwargs: Any) -> None:
        if self.cancel is not None:
            self.cancel.check()
        if self.progress is not None:
            self.progress(Progress(stage, done, total, **kwargs))

    def check(self) -> None:
        if self.cancel is not None:
            self.cancel.check()
