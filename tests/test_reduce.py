"""Reduce colours and merge rare colours: optimal merges, undo, the CLI and the window."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.color import ciede2000_pairwise
from pixlcraft.edit import UndoStack
from pixlcraft.errors import InputError
from pixlcraft.material import GENERIC
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import EMPTY, Pattern, load_pixl, save_pixl
from pixlcraft.reduce import MergeRareColors, ReduceColors, merge_rare_plan, reduce_plan


def _pattern(seed: int, colours: int = 9, shape=(14, 17)) -> Pattern:
    rng = np.random.default_rng(seed)
    dmc = load_builtin("dmc")
    picks = rng.choice(len(dmc), colours, replace=False)
    palette = Palette("some", "DMC", dmc.material, tuple(dmc[int(i)] for i in picks))
    weights = rng.random(colours) ** 3 + 0.01  # uneven counts, like a real pattern
    grid = rng.choice(colours, shape, p=weights / weights.sum()).astype(np.int16)
    grid[0, :3] = EMPTY
    return Pattern(grid, palette)


def _added(pattern: Pattern, keep) -> float:
    counts = pattern.counts()
    used = np.flatnonzero(counts)
    d = ciede2000_pairwise(pattern.palette.lab[used], pattern.palette.lab[list(keep)]).min(axis=1)
    return float((d * counts[used]).sum())


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_reduce_finds_the_least_added_error(seed: int, k: int) -> None:
    pattern = _pattern(seed)
    used = np.flatnonzero(pattern.counts())
    best = min(_added(pattern, keep) for keep in itertools.combinations(used, k))
    plan = reduce_plan(pattern, k)
    assert len(set(plan.mapping.values())) == k
    assert plan.added_error == pytest.approx(best, rel=1e-9, abs=1e-9)  # the exhaustive optimum


def test_reduce_command_merges_whole_colours_and_undoes_exactly() -> None:
    pattern = _pattern(3, colours=12, shape=(30, 40))
    before = pattern.grid.copy()
    stack = UndoStack(pattern)
    command = ReduceColors(4)
    assert stack.push(command)
    assert len(pattern.used_indices()) == 4
    for old, new in command.plan.merged.items():  # every cell of a merged colour went to the same colour
        assert (pattern.grid[before == old] == new).all()
    assert (pattern.grid[before == EMPTY] == EMPTY).all()
    assert "merged 8 colours" in command.label and "ΔE00" in command.label
    stack.undo()
    assert np.array_equal(pattern.grid, before)
    assert not UndoStack(pattern).push(ReduceColors(50))  # already within the budget: nothing to do
    with pytest.raises(InputError):
        reduce_plan(pattern, 0)


def test_merge_rare_folds_small_colours_into_their_nearest_common_one() -> None:
    palette = Palette("toy", "Toy", GENERIC, (
        PaletteEntry("R", "red", (200, 0, 0)), PaletteEntry("R2", "darker red", (170, 10, 10)),
        PaletteEntry("B", "blue", (0, 0, 200)), PaletteEntry("B2", "light blue", (60, 60, 230)),
    ))
    grid = np.zeros((10, 10), np.int16)
    grid[:, 5:] = 2
    grid[0, 0] = 1  # one dark-red cell among the reds
    grid[9, 9] = 3  # one light-blue cell among the blues
    pattern = Pattern(grid, palette)
    plan = merge_rare_plan(pattern, 2)
    assert plan.merged == {1: 0, 3: 2} and plan.cells_changed == 2
    UndoStack(pattern).push(MergeRareColors(2))
    assert set(np.unique(pattern.grid)) == {0, 2}
    lonely = Pattern(np.array([[0, 1], [2, 3]], np.int16), palette)
    assert len(set(merge_rare_plan(lonely, 5).mapping.values())) == 1  # all rare: the most used one stays


def test_cli_reduce_and_merge_rare(tmp_path: Path, capsys) -> None:
    from pixlcraft.cli import main

    src = tmp_path / "p.pixl"
    save_pixl(_pattern(1, colours=15, shape=(40, 50)), src)
    assert main(["reduce", str(src), "--max-colors", "6", "-o", str(tmp_path / "six.pixl")]) == 0
    assert "15 → 6 colours" in capsys.readouterr().out
    assert len(load_pixl(tmp_path / "six.pixl").used_indices()) == 6
    assert main(["reduce", str(src), "--merge-rare", "40", "-o", str(tmp_path / "r.oxs")]) == 0
    out = capsys.readouterr().out
    assert "merge colours under 40 cells" in out
    assert main(["reduce", str(src), "--max-colors", "0", "-o", str(tmp_path / "x.pixl")]) == 2
    assert "at least 1 colour" in capsys.readouterr().err and not (tmp_path / "x.pixl").exists()


def test_the_window_reduces_and_undoes(qtbot, main_window, monkeypatch) -> None:
    from pixlcraft.gui import errors

    asked = []
    monkeypatch.setattr(errors, "ask_int", lambda *a: asked.append(a[2]) or 5)
    monkeypatch.setattr(errors, "present", lambda parent, m: "discard")
    window = main_window
    window.document.open(_pattern(2, colours=14, shape=(30, 30)), saved=True)
    used = len(window.document.pattern.used_indices())
    window.actions["edit.reduce"].trigger()
    assert f"{used} colours" in asked[0] and len(window.document.pattern.used_indices()) == 5
    assert window.statusBar().currentMessage().startswith(f"{used} → 5 colours: merged")
    window.actions["edit.undo"].trigger()
    assert len(window.document.pattern.used_indices()) == used
    assert window.merge_rare_colors(30)
    assert window.document.pattern.counts()[window.document.pattern.used_indices()].min() >= 30
    window.document.close()
