"""The stash in the app (issue 16): My Stash driven through its widgets, "Only what I have" in the left panel
making patterns within the stash (and saying what to do when it cannot), and the buy list beside the legend.

Every test has a stash folder of its own (conftest); message boxes go through ``errors.present`` and file
prompts through ``buy_panel.ask_file_path``, both replaced here by scripted answers.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QDialogButtonBox  # noqa: E402

from pixlcraft.choices import load_choices  # noqa: E402
from pixlcraft.gui import buy_panel, errors  # noqa: E402
from pixlcraft.gui.art_set_dialog import ArtSetDialog  # noqa: E402
from pixlcraft.gui.stash_dialog import StashDialog  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.pattern import Pattern  # noqa: E402
from pixlcraft.stash import Stash, load_stash, read_stash_csv, save_stash  # noqa: E402
from pixlcraft.stash.buy import buy_csv, buy_list  # noqa: E402
from pixlcraft.stash.lego_art import art_sets  # noqa: E402
from pixlcraft.stash.use import capacity_for, rule_for, stash_for  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "samples" / "astronaut.jpg"


class Dialogs:
    """Stands in for the user at message boxes and file prompts: records each and gives scripted answers."""

    def __init__(self) -> None:
        self.shown: list[errors.Message] = []
        self.answers: list[str] = []
        self.paths: list[str] = []

    def __call__(self, parent, message: errors.Message) -> str:
        self.shown.append(message)
        if self.answers:
            return self.answers.pop(0)
        return "cancel" if "cancel" in message.buttons else message.buttons[0]

    def path(self, parent, title, file_filter, *, save=False, suggested="") -> str:
        return self.paths.pop(0) if self.paths else ""

    def titles(self) -> list[str]:
        return [m.title for m in self.shown]


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    fake = Dialogs()
    monkeypatch.setattr(errors, "present", fake)
    monkeypatch.setattr(buy_panel, "ask_file_path", fake.path)
    return fake


@pytest.fixture
def window(main_window, qtbot, dialogs):
    main_window.resize(1280, 800)
    main_window.show()
    qtbot.waitExposed(main_window)
    yield main_window
    if main_window._stash_dialog is not None:
        main_window._stash_dialog.close()
    if main_window.jobs.busy:
        main_window.jobs.cancel()
        main_window.jobs.wait(10)
    main_window.document.close()


def settle(qtbot, window, timeout_ms: int = 30000) -> None:
    """Until no job runs and no live preview is waiting to start."""
    qtbot.waitUntil(lambda: not window.jobs.busy and not window.live.timer.isActive() and not window.live.pending,
                    timeout=timeout_ms)


def stash_dialog(window) -> StashDialog:
    window.actions["edit.stash"].trigger()
    dialog = window._stash_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def add(dialog: StashDialog, code: str, quantity: float, unit: str = "skein", palette: str = "dmc") -> None:
    dialog.add_palette.setCurrentIndex(dialog.add_palette.findData(palette))
    dialog.add_code.setText(code)
    dialog.add_quantity.setValue(quantity)
    dialog.add_unit.setCurrentIndex(dialog.add_unit.findData(unit))
    dialog.add_button.click()


def select(dialog: StashDialog, code: str) -> None:
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 2).text() == code)
    dialog.table.selectRow(row)
    dialog.table.setFocus()


def quantities(stash: Stash) -> dict[str, float]:
    return {it.code: it.quantity for it in stash.items}


# ------------------------------------------------------------------------------------------------ My Stash


def test_add_step_and_search_in_my_stash_save_at_once(qtbot, window, dialogs):
    dialog = stash_dialog(window)
    assert window.actions["edit.stash"].text() == "My &Stash…"
    assert dialog.family == "thread" and dialog.table.rowCount() == 0
    assert dialog.totals.text() == "No threads yet"

    add(dialog, "310", 3)  # DMC 310 Black, 3 skeins
    assert quantities(load_stash("thread")) == {"310": 3.0}  # saved at once
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 3).text() == "Black"
    assert dialog.table.item(0, 1).text() == "DMC" and dialog.table.item(0, 5).text() == "skeins"
    assert dialog.totals.text() == "1 thread · 3 skeins"
    assert dialog.add_code.text() == ""  # ready for the next colour

    dialog.add_code.setText("White")  # a name works as well as a code; Return adds it (once, and nothing else)
    dialog.add_quantity.setValue(2)
    qtbot.keyClick(dialog.add_code, Qt.Key.Key_Return)
    assert quantities(load_stash("thread")) == {"310": 3.0, "BLANC": 2.0}
    # Return on a suggestion: the completer fills it in just after the add; the field is emptied again, so a
    # following Add cannot add the colour twice
    dialog.add_code.completer().activated[str].emit("BLANC — White")
    dialog.add_code.setText("BLANC — White")  # what the completer writes, after the add that Return made
    qtbot.waitUntil(lambda: dialog.add_code.text() == "", timeout=2000)
    dialog.add_code.completer().activated[str].emit("310 — Black")
    dialog.add_code.setText("310 — Black")  # a suggestion picked now, not just added, stays
    qtbot.wait(50)
    assert dialog.add_code.text() == "310 — Black"
    dialog.add_code.clear()
    add(dialog, "321", 1.5, unit="m")
    assert quantities(load_stash("thread")) == {"310": 3.0, "BLANC": 2.0, "321": 1.5}
    assert dialog.totals.text() == "3 threads · 5 skeins, 1.5 m"
    assert dialog.tabs.tabText(0) == "Threads (3)"

    select(dialog, "310")
    dialog.plus_button.click()
    assert quantities(load_stash("thread"))["310"] == 4.0
    qtbot.keyClick(dialog.table, Qt.Key.Key_Minus)
    qtbot.keyClick(dialog.table, Qt.Key.Key_Minus)
    assert quantities(load_stash("thread"))["310"] == 2.0
    qtbot.keyClick(dialog.table, Qt.Key.Key_Plus)
    assert quantities(load_stash("thread"))["310"] == 3.0
    assert dialog.selected_item().code == "310"  # the row stays selected through the changes

    # − at 1.5 m takes one metre, then the last half: the line leaves the stash
    select(dialog, "321")
    dialog.minus_button.click()
    assert quantities(load_stash("thread"))["321"] == 0.5
    dialog.minus_button.click()
    assert "321" not in quantities(load_stash("thread")) and dialog.table.rowCount() == 2
    dialog.undo_button.click()  # Undo puts it back, saved too
    assert quantities(load_stash("thread"))["321"] == 0.5

    # typing a new amount into the table
    select(dialog, "BLANC")
    row = dialog.table.currentRow()
    dialog.table.item(row, 4).setText("7")
    assert quantities(load_stash("thread"))["BLANC"] == 7.0

    # search by code or name, any case
    dialog.search.setText("BLACK")
    assert dialog.visible_codes() == ["310"]  # by name
    dialog.search.setText("whi")
    assert dialog.visible_codes() == ["BLANC"]
    dialog.search.setText("bla")
    assert dialog.visible_codes() == ["310", "BLANC"]  # Black by name, BLANC by code
    dialog.search.setText("3")
    assert dialog.visible_codes() == ["310", "321"]
    dialog.search.clear()
    assert len(dialog.visible_codes()) == 3

    # an unknown code says so and changes nothing
    before = load_stash("thread")
    add(dialog, "99999", 1)
    assert dialogs.titles()[-1] == "Cannot add that colour" and "99999" in dialogs.shown[-1].text
    assert load_stash("thread") == before


def test_import_a_csv_merges_and_a_bad_row_changes_nothing(qtbot, window, dialogs, tmp_path):
    dialog = stash_dialog(window)
    add(dialog, "310", 1)
    good = tmp_path / "good.csv"
    good.write_text("code,quantity,unit,notes\n310,2,skein,top shelf\n3865,1,,\n815,3,m,\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("code,quantity\n310,2\nnot-a-colour,1\n", encoding="utf-8")

    before = load_stash("thread")
    dialogs.paths = [str(bad)]
    dialog.import_button.click()
    assert dialogs.titles() == ["Could not add the stash list"]
    assert "line 3" in dialogs.shown[-1].text and "not-a-colour" in dialogs.shown[-1].text
    assert load_stash("thread") == before and dialog.table.rowCount() == 1

    dialogs.paths = [str(good)]  # rows without a palette column are in the Add row's brand (DMC)
    dialog.import_button.click()
    assert dialogs.titles()[-1] == "Stash list added"
    assert "Added 3 lines from good.csv" in dialogs.shown[-1].text
    assert quantities(load_stash("thread")) == {"310": 3.0, "815": 3.0, "3865": 1.0}
    assert dialog.table.rowCount() == 3


def test_export_writes_a_csv_that_reads_back_as_the_stash(qtbot, window, dialogs, tmp_path):
    dialog = stash_dialog(window)
    add(dialog, "310", 3)
    add(dialog, "BLANC", 0.5, unit="m")
    target = tmp_path / "backup"
    dialogs.paths = [str(target)]
    dialog.export_button.click()
    written = tmp_path / "backup.csv"
    assert written.is_file() and "Exported 2 lines" in dialog.status.text()
    assert read_stash_csv(written) == load_stash("thread") == dialog.stash


def test_lego_art_set_is_added_to_the_bricks(qtbot, window, dialogs):
    dialog = stash_dialog(window)
    dialog.show_family("brick")
    assert dialog.art_button.isVisible() and not dialog.table.isColumnHidden(6)
    add(dialog, "Black", 10, unit="piece", palette="lego")
    dialog.art_button.click()
    art = next(d for d in dialog.findChildren(ArtSetDialog) if d.isVisible())
    art.set_box.setCurrentIndex(art.set_box.findData("31197"))
    art.copies.setValue(2)
    marilyn = art_sets()["31197"]
    assert f"{2 * marilyn.studs:,} studs" in art.summary.text()
    art.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    bricks = load_stash("brick")
    assert sum(it.quantity for it in bricks.items) == 10 + 2 * marilyn.studs
    assert "31197" in dialog.status.text() and f"{2 * marilyn.studs:,} studs" in dialog.status.text()
    assert dialog.totals.text().endswith(f"{10 + 2 * marilyn.studs:,} pieces")
    assert load_stash("thread") == Stash("thread")  # the other families are untouched


def test_a_stash_file_that_cannot_be_read_is_never_written_over(qtbot, window, dialogs):
    from pixlcraft.stash import default_stash_path

    path = default_stash_path("thread")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("code,quantity\n310,lots\n", encoding="utf-8")
    dialog = stash_dialog(window)
    assert dialog.problem.isVisible() and "could not be read" in dialog.problem.text()
    assert not dialog.add_button.isEnabled() and not dialog.import_button.isEnabled()
    assert path.read_text(encoding="utf-8") == "code,quantity\n310,lots\n"


# ------------------------------------------------------------------------------------------------ Only what I have


def small_stash(codes: dict[str, float], unit: str = "m") -> Stash:
    dmc = load_builtin("dmc")
    stash = Stash("thread")
    for code, quantity in codes.items():
        stash = stash.add(dmc, code, quantity, unit)
    save_stash(stash)
    return stash


def open_sample(qtbot, window, width: int = 30) -> None:
    window.source_panel.width_cells.setValue(width)
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    assert window.document.pattern is not None


def test_only_what_i_have_never_exceeds_the_stash_and_records_it(qtbot, window, dialogs):
    stash = small_stash({"310": 1, "BLANC": 1, "415": 1, "318": 1, "3865": 1, "762": 1, "535": 1, "648": 1})
    open_sample(qtbot, window)
    panel = window.source_panel
    free = window.document.pattern
    dmc = free.palette
    cap = np.asarray(capacity_for(dmc, stash, rule_for(dmc)))
    assert (free.counts()[: len(dmc)] > cap).any()  # without the stash the pattern wants more than there is

    panel.use_stash.setChecked(True)  # the preview follows at once
    settle(qtbot, window)
    assert dialogs.shown == []
    pattern = window.document.pattern
    assert pattern is not free and pattern.width == 30
    counts = pattern.counts()[: len(pattern.palette)]
    capacity = np.asarray(capacity_for(pattern.palette, stash_for(pattern.palette), rule_for(pattern.palette)))
    assert (counts <= capacity).all() and set(np.flatnonzero(counts)) <= set(np.flatnonzero(capacity))
    made = pattern.metadata["recipe"]["stash"]
    assert made["snapshot"] == stash.snapshot() and made["family"] == "thread"
    assert "stay within your stash" in window.statusBar().currentMessage() or \
        "made from your stash" in window.statusBar().currentMessage()

    # the choice is remembered for the next launch, and put back
    window.make(panel.request())
    settle(qtbot, window)
    assert load_choices()["use_stash"] is True
    panel.use_stash.setChecked(False)
    panel.restore_choices(load_choices())
    assert panel.use_stash.isChecked()
    settle(qtbot, window)


def test_a_stash_too_small_offers_the_largest_size_it_fills(qtbot, window, dialogs):
    stash = small_stash({"310": 1, "BLANC": 1})  # two metres: about 456 stitches
    have = int(np.asarray(stash.capacity(load_builtin("dmc"), rule_for(load_builtin("dmc")))).sum())
    panel = window.source_panel
    panel.use_stash.setChecked(True)
    panel.width_cells.setValue(40)
    dialogs.answers = ["yes"]  # "Make it W × H"
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    message = dialogs.shown[0]
    assert message.title == "Not enough in your stash"
    assert f"enough for {have:,} stitches" in message.text and "40 × 40" in message.text
    w = int(np.floor(np.sqrt(have)))
    assert message.extra["yes"] == f"Make it {w} × {w}" and message.extra["no"] == "Buy What’s Missing"
    assert "Untick" in message.extra["discard"]
    assert "Traceback" not in message.text and "--" not in message.text
    pattern = window.document.pattern
    assert pattern is not None and (pattern.width, pattern.height) == (w, w)
    assert panel.width_cells.value() == w
    counts = pattern.counts()[: len(pattern.palette)]
    assert (counts <= stash.capacity(pattern.palette, rule_for(pattern.palette))).all()
    # filled to the last stitch, two threads stand in for each other a lot: the panel says up to which size
    # each stitch keeps its own thread, and its button makes that size
    assert panel.stash_hint.isVisible() and "keeps its own nearest thread up to" in panel.stash_hint.text()
    faithful = panel.stash_fit.text()
    assert faithful.startswith("Make it ") and faithful != f"Make it {w} × {w}"
    panel.stash_fit.click()
    settle(qtbot, window)
    small = window.document.pattern
    assert small.width < w and f"{small.width} × {small.height}" in faithful
    assert not panel.stash_hint.isVisible() and window.statusBar().currentMessage().endswith("made from your stash")

    # too big again: the panel says so, and its button makes the fitting size
    dialogs.answers = ["cancel"]
    panel.width_cells.setValue(60)
    window.make(panel.request())
    settle(qtbot, window)
    assert panel.stash_hint.isVisible() and "60 × 60" in panel.stash_hint.text()
    assert panel.stash_fit.isVisible() and panel.stash_fit.text() == f"Make it {w} × {w}"
    panel.stash_fit.click()
    settle(qtbot, window)
    assert window.document.pattern.width == w and "keeps its own nearest thread" in panel.stash_hint.text()

    # or untick it to make the size asked for and see what to buy
    dialogs.answers = ["discard"]
    panel.width_cells.setValue(50)
    window.make(panel.request())
    settle(qtbot, window)
    assert not panel.use_stash.isChecked() and window.document.pattern.width == 50
    assert window.side_tabs.currentWidget() is window.buy_panel
    assert window.buy_panel.summary.text().startswith("Buy ")


def test_ticking_with_an_empty_stash_points_to_my_stash(qtbot, window, dialogs):
    panel = window.source_panel
    dialogs.answers = ["no"]  # Not now
    panel.use_stash.setChecked(True)
    assert dialogs.titles() == ["Your stash is empty"]
    assert "thread stash is empty" in dialogs.shown[0].text and dialogs.shown[0].extra["yes"] == "Open My Stash…"
    assert not panel.use_stash.isChecked()
    dialogs.answers = ["yes"]
    panel.use_stash.setChecked(True)
    assert panel.use_stash.isChecked() and window._stash_dialog.isVisible()


def test_a_stash_without_the_brands_colours_says_so(qtbot, window, dialogs):
    bead = Stash("bead").add(load_builtin("hama"), "H01", 2, "bag")
    save_stash(bead)
    panel = window.source_panel
    panel.craft_buttons["bead"].click()
    panel.brand.setCurrentIndex(panel.brand.findData("perler"))
    dialogs.answers = ["cancel"]
    panel.use_stash.setChecked(True)  # the bead stash is not empty: no question yet
    assert dialogs.shown == []
    panel.width_cells.setValue(20)
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    assert dialogs.titles() == ["Nothing in your stash for this"]
    text = dialogs.shown[0].text
    assert "none of the Perler colours" in text and "Hama" in text
    assert dialogs.shown[0].extra["yes"] == "Open My Stash…"
    assert panel.stash_hint.isVisible() and not panel.stash_fit.isVisible()


# ------------------------------------------------------------------------------------------------ buy list


def plain_pattern() -> Pattern:
    dmc = load_builtin("dmc")
    grid = np.zeros((30, 40), np.int16)
    grid[:, 20:] = dmc.find("310")
    grid[10:20, :] = dmc.find("321")
    grid[grid == 0] = dmc.find("BLANC")
    return Pattern(grid, dmc, {"title": "flag"})


def test_the_buy_list_shows_what_the_stash_lacks_and_saves_it(qtbot, window, dialogs, tmp_path):
    small_stash({"310": 1, "BLANC": 3}, unit="m")
    window.document.open(plain_pattern(), saved=True)
    window.side_tabs.setCurrentWidget(window.buy_panel)
    panel = window.buy_panel
    qtbot.waitUntil(panel.isVisible)
    lines = buy_list(window.document.pattern, load_stash("thread"))
    assert panel.to_buy() == {ln.code: ln.to_buy() for ln in lines}
    assert panel.tree.topLevelItemCount() == 3
    assert panel.to_buy()["321"] != "—"  # none in the stash
    from pixlcraft.stash.buy import buy_summary

    assert panel.summary.text() == buy_summary(lines)
    assert not panel.note.isVisible()

    # My Stash adds red: the list follows at once
    dialog = stash_dialog(window)
    add(dialog, "321", 5)
    lines = buy_list(window.document.pattern, load_stash("thread"))
    assert panel.to_buy() == {ln.code: ln.to_buy() for ln in lines} and panel.to_buy()["321"] == "—"

    # edits to the pattern too
    window.document.pattern.grid[:, :] = load_builtin("dmc").find("310")  # (direct, then the signal the edit gives)
    window.document.changed.emit(None)
    assert panel.to_buy() == {ln.code: ln.to_buy() for ln in buy_list(window.document.pattern, load_stash("thread"))}

    dialogs.paths = [str(tmp_path / "shopping")]
    panel.save_button.click()
    saved = tmp_path / "shopping.csv"
    assert saved.read_text(encoding="utf-8") == buy_csv(buy_list(window.document.pattern, load_stash("thread")))


def test_the_buy_list_says_when_the_stash_changed_since_the_pattern(qtbot, window, dialogs, tmp_path):
    small_stash({"310": 1, "BLANC": 1, "415": 1, "318": 1, "3865": 1, "762": 1, "535": 1, "648": 1})
    window.source_panel.use_stash.setChecked(True)
    open_sample(qtbot, window, width=24)
    made = window.document.pattern
    assert made.metadata["recipe"]["stash"]
    window.side_tabs.setCurrentWidget(window.buy_panel)
    panel = window.buy_panel
    qtbot.waitUntil(panel.isVisible)
    assert not panel.note.isVisible() and panel.summary.text() == "The stash covers every colour."
    # as a saved pattern it is no longer a preview that follows the stash
    window.document.open(made, path=tmp_path / "made.pixl", saved=True)
    dialog = stash_dialog(window)
    select(dialog, "310")
    dialog.minus_button.click()
    assert panel.note.isVisible() and "changed since" in panel.note.text()


def test_the_quick_guide_explains_the_stash(qtbot, window):
    from pixlcraft.gui.help_dialogs import GUIDE

    for words in ("My Stash", "Only what I have", "Buy list"):
        assert words in GUIDE


def test_the_size_offered_is_one_the_stash_fills_whatever_the_shape():
    """The way out is worked out with the panel's own rounding: a width with the height on auto, both sides
    when both were given, the chosen part's shape for a crop — and that size really is made."""
    from pixlcraft.gui.make_jobs import MakeRequest, StashTooSmall, make_classic
    from pixlcraft.imageio import Photo

    rng = np.random.default_rng(3)
    photo = Photo(rng.random((170, 301, 3), dtype=np.float32), None, "wide.png")
    small_stash({"310": 1, "BLANC": 1, "321": 1})
    for width, height, crop in ((50, None, None), (50, 31, None), (50, None, (0.1, 0.2, 0.7, 0.9))):
        request = MakeRequest(width=width, height=height, crop=crop, use_stash=True, max_colors=None)
        with pytest.raises(StashTooSmall) as caught:
            make_classic(request, photo)
        error = caught.value
        assert error.fits is not None and error.fits[0] * error.fits[1] <= error.have < error.need
        assert error.fixed_height == (height is not None and crop is None)
        fit = MakeRequest(width=error.fits[0], height=error.fits[1] if error.fixed_height else None, crop=crop,
                          use_stash=True, max_colors=None)
        made = make_classic(fit, photo)
        assert (made.pattern.width, made.pattern.height) == error.fits
        assert made.pattern.metadata["recipe"]["stash"]["snapshot"] == load_stash("thread").snapshot()


def test_a_stash_too_small_can_buy_only_what_it_lacks(qtbot, window, dialogs):
    """"Buy What’s Missing": the size asked for; the stash's threads where they fit, within what it holds, and
    at least the shortfall bought (on the buy list)."""
    stash = small_stash({"310": 1, "BLANC": 1})
    dmc = load_builtin("dmc")
    have = int(np.asarray(stash.capacity(dmc, rule_for(dmc))).sum())
    panel = window.source_panel
    panel.use_stash.setChecked(True)
    panel.width_cells.setValue(40)
    dialogs.answers = ["no"]
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    pattern = window.document.pattern
    assert pattern is not None and pattern.width == 40 and panel.use_stash.isChecked()
    bought = pattern.metadata["recipe"]["bought"]
    assert sum(bought.values()) >= pattern.width * pattern.height - have  # at least the shortfall is bought
    counts = pattern.counts()[: len(pattern.palette)]
    owned = stash.capacity(pattern.palette, rule_for(pattern.palette))
    for i in np.flatnonzero(counts):  # what is not bought comes from the stash, never more than it holds
        assert counts[i] - bought.get(pattern.palette[int(i)].code, 0) <= owned[i]
    assert window.side_tabs.currentWidget() is window.buy_panel
    assert window.buy_panel.summary.text().startswith("Buy ")
