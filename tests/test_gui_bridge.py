"""The job bridge: results, failures and cancels arrive as Qt signals, and the window stays responsive."""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")
from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal  # noqa: E402

from pixlcraft.convert import ConvertOptions, convert_photo  # noqa: E402
from pixlcraft.errors import Cancelled, InputError  # noqa: E402
from pixlcraft.gui.bridge import JobRunner  # noqa: E402
from pixlcraft.imageio import photo_from_array  # noqa: E402
from pixlcraft.jobs import Reporter  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402


def add(a, b, progress=None, cancel=None):
    Reporter(progress, cancel).report("adding", 1, 1)
    return a + b


def broken(progress=None, cancel=None):
    raise InputError("cannot read robin.jpg: the file is empty.")


def buggy(progress=None, cancel=None):
    return {}["missing key"]


def counting_loop(steps, progress=None, cancel=None):
    """A long job that reports every step and hands back how far it got when cancelled."""
    rep = Reporter(progress, cancel)
    done = 0
    try:
        for done in range(steps):
            rep.report("counting", done, steps)
            time.sleep(0.001)
    except Cancelled as e:
        raise Cancelled(partial=done) from e
    rep.report("counting", steps, steps)
    return steps


def busy_python(seconds, progress=None, cancel=None):
    """Pure-Python CPU work (holds the GIL between the interpreter's switch points)."""
    rep = Reporter(progress, cancel)
    end = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < end:
        n += sum(i * i for i in range(2000))
        rep.report("spinning", 0, 0)
    return n


def test_result_arrives_through_finished(qtbot) -> None:
    runner = JobRunner()
    progress = []
    runner.progress.connect(progress.append)
    states = []
    runner.busy_changed.connect(states.append)
    with qtbot.waitSignal(runner.finished, timeout=5000) as blocker:
        runner.start(add, 2, b=3)
        assert runner.busy
    assert blocker.args == [5]
    assert not runner.busy and states == [True, False]
    assert [p.stage for p in progress] == ["adding"]  # the last report arrives before the result


def test_a_user_error_fails_with_its_own_message(qtbot) -> None:
    runner = JobRunner()
    errors = []
    runner.error.connect(errors.append)
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(broken)
    assert blocker.args == ["cannot read robin.jpg: the file is empty."]
    assert isinstance(errors[0], InputError) and runner.last_error_details == ""


def test_a_bug_fails_with_an_apology_and_details(qtbot) -> None:
    runner = JobRunner()
    with qtbot.waitSignal(runner.failed, timeout=5000) as blocker:
        runner.start(buggy)
    message = blocker.args[0]
    assert message.startswith("Something went wrong (KeyError: 'missing key')")
    assert "Details:" in message and "in buggy" in message
    assert "Traceback" in runner.last_error_details and isinstance(runner.last_error, KeyError)


def test_cancel_stops_a_long_job_promptly_with_its_partial_result(qtbot) -> None:
    runner = JobRunner()
    with qtbot.waitSignal(runner.progress, timeout=5000):
        runner.start(counting_loop, 1_000_000)
    t0 = time.perf_counter()
    with qtbot.waitSignal(runner.cancelled, timeout=5000) as blocker:
        runner.cancel()
    took = time.perf_counter() - t0
    assert isinstance(blocker.args[0], int) and 0 < blocker.args[0] < 1_000_000
    assert took < 2.0, f"cancel took {took:.2f} s"
    assert not runner.busy


def test_wait_ends_the_job_and_delivers_the_outcome(qtbot) -> None:
    runner = JobRunner()
    outcomes = []
    runner.cancelled.connect(outcomes.append)
    runner.start(counting_loop, 1_000_000)
    with pytest.raises(RuntimeError, match="already running"):
        runner.start(add, 1, 2)
    runner.cancel()
    assert runner.wait(5.0)
    assert len(outcomes) == 1 and not runner.busy  # delivered before wait() returned, no event loop needed
    qtbot.wait(50)
    assert len(outcomes) == 1  # and not a second time when the queued signal arrives


def test_progress_is_throttled_but_the_last_report_is_kept(qtbot) -> None:
    runner = JobRunner()
    seen = []
    runner.progress.connect(seen.append)
    t0 = time.perf_counter()
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start(counting_loop, 300)
    elapsed = time.perf_counter() - t0
    assert seen[-1].done == seen[-1].total == 300
    assert len(seen) <= 30 * elapsed + 2, f"{len(seen)} reports in {elapsed:.2f} s"
    assert len(seen) < 300
    assert [p.done for p in seen] == sorted(p.done for p in seen)


def test_a_real_conversion_runs_through_the_bridge(qtbot) -> None:
    rng = np.random.default_rng(0)
    photo = photo_from_array(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8))
    runner = JobRunner()
    stages = []
    runner.progress.connect(lambda p: stages.append(p.stage))
    with qtbot.waitSignal(runner.finished, timeout=30_000) as blocker:
        runner.start(convert_photo, photo, load_builtin("dmc"), ConvertOptions(width=30, max_colors=8))
    result = blocker.args[0]
    assert result.pattern.width == 30 and len(result.pattern.used_indices()) <= 8
    assert stages[-1] == "Done"


def _max_timer_gap_during(qtbot, runner: JobRunner, fn, *args) -> float:
    """Largest gap (ms) between ticks of a 10 ms timer on the GUI thread while ``fn`` runs."""
    clock = QElapsedTimer()
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(clock.elapsed()))
    with qtbot.waitSignal(runner.finished, timeout=30_000):
        runner.start(fn, *args)
        clock.start()
        timer.start()
    timer.stop()
    assert len(ticks) > 5
    gaps = np.diff([0, *ticks])
    return float(gaps.max())


def test_the_event_loop_stays_responsive_during_a_cpu_bound_job(qtbot) -> None:
    runner = JobRunner()
    worst = _max_timer_gap_during(qtbot, runner, busy_python, 0.6)
    print(f"\nworst 10 ms timer gap during a pure-Python job: {worst:.0f} ms")
    assert worst < 100, f"the GUI froze for {worst:.0f} ms"


class _Emitter(QObject):
    sig = Signal(object)


def test_the_qt_binding_keeps_pythons_reference_counts(qtbot) -> None:
    """PySide6 6.12.0 under Python 3.11 dropped a reference to True on every emit and to None on every void
    call or slot return; None's count then reaches zero and the app aborts ("deallocating None") after a few
    thousand calls. The bridge emits a signal per report, so it would be the first to die."""
    emitter, obj, sink = _Emitter(), QObject(), []
    emitter.sig.connect(sink.append)
    ticks = [0]
    timer = QTimer()
    timer.setInterval(0)
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(2000):
        emitter.sig.emit(1)
        obj.setObjectName("x")
    timer.start()
    qtbot.waitUntil(lambda: ticks[0] >= 500, timeout=5000)
    timer.stop()
    del sink[:]
    lost_none = before[0] - sys.getrefcount(None)
    lost_true = before[1] - sys.getrefcount(True)
    assert lost_none < 200 and lost_true < 200, f"Qt calls lost {lost_none} refs to None and {lost_true} to True"
