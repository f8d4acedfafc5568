"""The one bridge between long core jobs and the window: run on a worker thread, report through Qt signals.

Core jobs (``convert_photo``, ``generate``, ``registry.export``, model downloads) take ``progress=`` and
``cancel=`` and know nothing of Qt. :class:`JobRunner` calls such a function on a :class:`QThread` and turns
what happens into signals delivered on the GUI thread:

- ``progress(Progress)`` — at most ~30 a second (a job may report thousands of steps; repainting for each would
  swamp the event loop), always including the newest report and the last one before the job ends;
- ``finished(result)``, ``cancelled(partial)`` (from :class:`~pixlcraft.errors.Cancelled`), or ``failed(text)``
  plus ``error(exception)`` for code that wants to word the dialog itself;
- ``busy_changed(bool)`` when a job starts and ends (enable/disable buttons).

Progress reports do not travel as signals from the worker: the worker only stores the newest report, and a
timer on the GUI thread picks it up. That is what makes the rate limit free and keeps the newest report from
ever being lost when reports come in bursts. The outcome travels as a queued signal.

A job holding the GIL (a numba kernel compiled without ``nogil=True``, a long C call) still freezes the window
for as long as that call runs; the worker thread cannot prevent that, only keep each call short.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

from ..errors import Cancelled, PixlcraftError
from ..jobs import CancelToken, Progress

__all__ = ["JobRunner", "friendly_message"]

PROGRESS_HZ = 30.0

# Threads still running are kept here so that Python never destroys a running QThread (which aborts Qt),
# even if the runner that started one is gone. Entries are removed once the thread has been waited for.
_LIVE: set[QThread] = set()


def friendly_message(error: BaseException) -> tuple[str, str]:
    """``(message, details)`` for a failed job: our own errors as written (no details), running out of memory
    explained, anything else an apology with the technical details (the traceback) for a bug report."""
    if isinstance(error, PixlcraftError):
        return str(error), ""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if isinstance(error, MemoryError):
        return ("PixlCraft ran out of memory for this job. Try a smaller pattern, close other programs, or "
                "switch on low-memory mode in Settings."), details
    if type(error).__name__ == "OutOfMemoryError":  # torch.cuda.OutOfMemoryError, without importing torch
        return ("The graphics card ran out of memory. Try a smaller pattern, switch on low-memory mode in "
                "Settings, or choose the CPU as the device."), details
    summary = f"{type(error).__name__}: {error}".strip().rstrip(":")
    return (f"Something went wrong ({summary}). PixlCraft stopped this job; your pattern is safe. If it happens "
            f"again, please report it with the details below.\n\nDetails:\n{details}"), details


class _JobThread(QThread):
    """Runs one call; stores the outcome and says "done" through a queued signal."""

    done = Signal(object)

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, token: CancelToken,
                 sink: Callable[[Progress], None]) -> None:
        super().__init__()
        self._call = (fn, args, kwargs)
        self.token = token
        self._sink = sink
        self.outcome: tuple[str, Any] | None = None

    def run(self) -> None:  # worker thread
        fn, args, kwargs = self._call
        try:
            value = fn(*args, progress=self._sink, cancel=self.token, **kwargs)
        except Cancelled as e:
            self.outcome = ("cancelled", e.partial)
        except BaseException as e:  # noqa: BLE001 - every failure must reach the window, never kill the thread
            self.outcome = ("failed", e)
        else:
            self.outcome = ("finished", value)
        finally:
            self._call = None  # drop references to big inputs as soon as possible
        self.done.emit(self)


class _Job:
    def __init__(self, thread: _JobThread, token: CancelToken, lock: threading.Lock,
                 pending: list[Progress | None]) -> None:
        self.thread = thread
        self.token = token
        self.lock = lock
        self.pending = pending  # one slot, written by the worker, emptied by the GUI thread
        self.started = time.monotonic()
        self.completed = False


class JobRunner(QObject):
    """Runs one core job at a time off the GUI thread. Create one per kind of job (convert, export, …).

    ``start(fn, *args, **kwargs)`` calls ``fn(*args, progress=cb, cancel=token, **kwargs)`` on a worker
    thread. Exactly one of ``finished``, ``cancelled`` or ``failed`` (with ``error`` just before it) follows,
    after the last ``progress``; ``busy`` is already False when they are emitted, so a handler may start the
    next job at once.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    error = Signal(object)
    cancelled = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, max_rate_hz: float = PROGRESS_HZ) -> None:
        super().__init__(parent)
        self._job: _Job | None = None
        self.last_error: BaseException | None = None
        self.last_error_details = ""
        self.last_progress: Progress | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(max(1, round(1000.0 / max_rate_hz)))
        self._timer.timeout.connect(self._flush)

    # -- state ------------------------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def elapsed(self) -> float:
        """Seconds since the running job started (0 when idle)."""
        return time.monotonic() - self._job.started if self._job is not None else 0.0

    # -- control ----------------------------------------------------------------------------------------------

    def start(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn`` on a worker thread. Raises ``RuntimeError`` if a job is still running."""
        if self._job is not None:
            raise RuntimeError("a job is already running; cancel it or wait for it first")
        if "progress" in kwargs or "cancel" in kwargs:
            raise TypeError("the runner passes progress= and cancel= itself")
        token = CancelToken()
        lock = threading.Lock()
        holder: list[Progress | None] = [None]

        def sink(report: Progress) -> None:  # worker thread: keep only the newest report
            with lock:
                holder[0] = report

        thread = _JobThread(fn, args, kwargs, token, sink)
        job = _Job(thread, token, lock, holder)
        thread.done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._job = job
        self.last_progress = None
        _LIVE.add(thread)
        self._timer.start()
        self.busy_changed.emit(True)
        thread.start()

    def cancel(self) -> None:
        """Ask the running job to stop; it ends at its next check with ``cancelled`` (or finishes first)."""
        if self._job is not None:
            self._job.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has ended (``None``: no limit); True when nothing is running any more.

        The outcome signals are emitted before this returns, so a ``closeEvent`` that cancels and waits sees
        the job completely finished. A job that ignores its cancel token may outlast ``timeout``.
        """
        job = self._job
        if job is None:
            return True
        ok = job.thread.wait() if timeout is None else job.thread.wait(max(0, int(timeout * 1000)))
        if ok:
            self._complete(job)
        return ok

    # -- GUI-thread side --------------------------------------------------------------------------------------

    @Slot()
    def _flush(self) -> None:
        job = self._job
        if job is None:
            return
        with job.lock:
            report, job.pending[0] = job.pending[0], None
        if report is not None:
            self.last_progress = report
            self.progress.emit(report)

    @Slot(object)
    def _on_done(self, thread: _JobThread) -> None:
        job = self._job
        if job is not None and job.thread is thread:
            self._complete(job)

    def _complete(self, job: _Job) -> None:
        if job.completed:
            return
        job.completed = True
        job.thread.wait()
        _LIVE.discard(job.thread)
        self._flush()  # the last report is always delivered, before the outcome
        if self._job is job:
            self._job = None
            self._timer.stop()
        kind, value = job.thread.outcome or ("failed", RuntimeError("the job ended without a result"))
        self.busy_changed.emit(False)
        if kind == "finished":
            self.finished.emit(value)
        elif kind == "cancelled":
            self.cancelled.emit(value)
        else:
            message, details = friendly_message(value)
            self.last_error, self.last_error_details = value, details
            self.error.emit(value)
            self.failed.emit(message)
