"""Autosave writes dirty work on schedule, removes it when saved, and finds what crashed sessions left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.autosave import Autosaver, autosave_dir, find_recoverable
from pixlcraft.edit import Paint, UndoStack
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern, load_pixl


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIXLCRAFT_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    return tmp_path / "autosave"


def _pattern() -> Pattern:
    dmc = load_builtin("dmc")
    grid = np.array([[0, 1, 2], [2, 1, 0]], np.int16)
    return Pattern(grid, dmc.subset([dmc.index_of("310"), dmc.index_of("321"), dmc.index_of("BLANC")]),
                   {"title": "Robin"})


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-S", "-c", "pass"])
    proc.wait()
    return proc.pid


def test_writes_only_when_dirty_changed_and_due(folder: Path) -> None:
    assert autosave_dir() == folder
    clock = FakeClock()
    p = _pattern()
    stack = UndoStack(p)
    saver = Autosaver(interval_s=60, clock=clock)
    state = {"revision": stack.revision, "clean": stack.clean}
    assert not saver.tick(p, **state)  # clean: nothing to keep
    stack.push(Paint([(0, 0)], 2))
    clock.now += 30
    assert not saver.tick(p, revision=stack.revision, clean=stack.clean)  # dirty, but not due yet
    clock.now += 31
    assert saver.tick(p, revision=stack.revision, clean=stack.clean, document="/home/me/robin.pixl")
    assert saver.has_file
    np.testing.assert_array_equal(load_pixl(saver.pattern_path).grid, p.grid)
    clock.now += 120
    assert not saver.tick(p, revision=stack.revision, clean=stack.clean)  # nothing new since the last write
    stack.push(Paint([(1, 1)], 0))
    assert saver.tick(p, revision=stack.revision, clean=stack.clean)
    np.testing.assert_array_equal(load_pixl(saver.pattern_path).grid, p.grid)
    stack.set_clean()  # the user saved: the autosave is no longer needed
    assert not saver.tick(p, revision=stack.revision, clean=stack.clean)
    assert not saver.pattern_path.exists() and not saver.info_path.exists()


def test_interval_zero_never_writes(folder: Path) -> None:
    clock = FakeClock()
    saver = Autosaver(interval_s=0, clock=clock)
    clock.now += 10_000
    assert not saver.tick(_pattern(), revision=5, clean=False)
    assert not folder.exists() or not any(folder.iterdir())


def test_running_sessions_are_not_offered_for_recovery(folder: Path) -> None:
    saver = Autosaver(interval_s=1)
    saver.save_now(_pattern(), revision=1)
    assert find_recoverable() == []  # our own live session
    live = find_recoverable(include_running=True)
    assert [r.pattern_path for r in live] == [saver.pattern_path]
    saver.discard()
    assert find_recoverable(include_running=True) == []


def test_a_crashed_session_is_recovered(folder: Path) -> None:
    saver = Autosaver(interval_s=1)
    p = _pattern()
    saver.save_now(p, revision=3, document=folder.parent / "robin.pixl")
    # Pretend the session that wrote it has died: rename the files to a process id that no longer runs.
    pid = _dead_pid()
    stem = f"autosave-{pid}-00c0ffee"
    os.replace(saver.pattern_path, folder / f"{stem}.pixl")
    os.replace(saver.info_path, folder / f"{stem}.json")
    found = find_recoverable()
    assert len(found) == 1
    rec = found[0]
    assert rec.pid == pid and rec.title == "Robin" and rec.document == (folder.parent / "robin.pixl").absolute()
    assert rec.saved
    restored = rec.load()
    np.testing.assert_array_equal(restored.grid, p.grid)
    assert [e.code for e in restored.palette] == [e.code for e in p.palette]
    rec.discard()
    assert find_recoverable() == [] and not any(folder.iterdir())


def test_a_damaged_description_still_recovers_the_pattern(folder: Path) -> None:
    saver = Autosaver(interval_s=1)
    saver.save_now(_pattern(), revision=1)
    stem = f"autosave-{_dead_pid()}-0badf00d"
    os.replace(saver.pattern_path, folder / f"{stem}.pixl")
    (folder / f"{stem}.json").write_text("{half a json")
    (folder / "autosave-notanumber.pixl").write_text("ignored: not one of ours")
    (rec,) = find_recoverable()
    assert rec.title == "Untitled" and rec.document is None and rec.saved
    assert rec.load().width == 3
