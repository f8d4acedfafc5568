"""Issue 10's smaller first-hour fixes, each checked in the real window offscreen."""

from __future__ import annotations

import datetime as dt
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_gui_workflow import SAMPLE, dialogs, wait_idle, window  # noqa: E402, F401 - fixtures

from pixlcraft.gui.main_window import friendly_time  # noqa: E402
from pixlcraft.gui.source_panel import on_checkerboard  # noqa: E402
from pixlcraft.imageio import Photo  # noqa: E402


def test_recovery_times_read_like_a_person_would_say_them() -> None:
    now = dt.datetime(2026, 12, 5, 16, 0, tzinfo=dt.UTC)
    assert friendly_time("2026-12-05T14:05:09+00:00", now) == "today at 14:05"
    assert friendly_time("2026-12-04T09:30:00+00:00", now) == "yesterday at 09:30"
    assert friendly_time("2026-11-03T18:12:00+00:00", now) == "3 November 2026 at 18:12"
    assert friendly_time("not a time", now) == "not a time"


def test_the_recovery_question_shows_no_raw_timestamp(qtbot, window, dialogs, monkeypatch):  # noqa: F811
    from pixlcraft.gui import window_dialogs

    class Found:
        title, saved = "rose", dt.datetime.now().astimezone().isoformat(timespec="seconds")

    monkeypatch.setattr(window_dialogs, "find_recoverable", lambda: [Found()])
    dialogs.answers = ["no"]
    window._offer_recovery()
    text = dialogs.shown[-1].text
    assert "today at" in text and "T" not in text.split("autosaved")[1].split(")")[0]


def test_a_transparent_photo_thumbnail_shows_a_checkerboard_not_black() -> None:
    srgb = np.zeros((64, 64, 3), np.float32)
    srgb[..., 0] = 1.0
    alpha = np.zeros((64, 64), np.float32)
    alpha[16:48, 16:48] = 1.0
    shown = on_checkerboard(Photo(srgb, alpha, "logo.png"))
    assert np.allclose(shown[32, 32], (1.0, 0.0, 0.0))  # the opaque part as it is
    corner = shown[:8, :8].reshape(-1, 3)
    assert corner.min() > 0.75 and len(np.unique(shown[:, :4, 0])) == 2  # light squares, two tones


def test_confetti_has_one_name_and_reports_its_count(qtbot, window, dialogs):  # noqa: F811
    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    assert window.source_panel.cleanup.text() == "Remove confetti"
    assert window.actions["edit.remove_confetti"].text().replace("&", "") == "Remove Confetti"
    status = window.statusBar().currentMessage()
    assert "confetti cells removed" in status  # the conversion says how many it removed
    # speckle the pattern, then remove confetti from the menu: the status bar gives the count
    grid = window.document.pattern.grid
    other = int(grid[0, 0])
    rows, cols = np.nonzero(grid != other)
    window.paint_color = window.document.pattern.palette[other]
    cells = [(int(r), int(c)) for r, c in zip(rows[::97][:5], cols[::97][:5], strict=True)]
    window.paint_cells(cells)
    window.actions["edit.remove_confetti"].trigger()
    message = window.statusBar().currentMessage()
    assert message.startswith("Removed confetti:") and "recoloured" in message
    count = int(message.split(":")[1].split()[0])
    assert count >= 1
    window.document.stack.set_clean()


def test_the_prompt_belongs_to_its_photo(qtbot, window, dialogs, tmp_path):  # noqa: F811
    from PIL import Image

    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    window.source_panel.prompt.setPlainText("an astronaut in a white suit")
    other = tmp_path / "other.png"
    Image.fromarray(np.full((40, 60, 3), 120, np.uint8)).save(other)
    window.open_path(other)
    wait_idle(qtbot, window)
    assert window.source_panel.prompt.toPlainText() == ""


def test_settings_ok_keeps_the_panel_and_palettes_come_from_a_list(qtbot, window, dialogs):  # noqa: F811
    from pixlcraft.settings import FIELDS, Settings, SettingsError, load_settings, save_settings, settings_path

    panel = window.source_panel
    panel.restore_choices({"palette": "lego", "width": 48})
    assert panel.current_craft() == "brick" and panel.current_palette_name() == "lego"
    window.apply_settings(Settings(default_palette="dmc", units="in"))  # what the dialog's OK does
    assert panel.current_craft() == "brick" and panel.current_palette_name() == "lego"
    assert panel.width_cells.value() == 48 and panel._unit() == "in"  # hints follow the settings
    field = next(f for f in FIELDS if f.name == "default_palette")
    assert field.kind == "choice" and "perler" in field.choices and "lego" in field.choices
    settings_path().parent.mkdir(parents=True, exist_ok=True)
    settings_path().write_text('{"format": "pixlcraft-settings", "version": 1, "default_palette": "Perler"}')
    loaded, warnings = load_settings()
    assert loaded.default_palette == "perler" and not warnings  # a brand's name, whatever its case
    with pytest.raises(SettingsError):
        save_settings(Settings(default_palette="perlr"))
    settings_path().write_text('{"default_palette": "my-threads.gpl"}')  # was free text: now refused, kindly
    loaded, warnings = load_settings()
    assert loaded.default_palette == "dmc" and "default_palette" in warnings[0]


def test_choices_are_remembered_between_launches(qtbot, window, dialogs):  # noqa: F811
    from pixlcraft.gui.main_window import MainWindow
    from pixlcraft.settings import Settings

    panel = window.source_panel
    panel.restore_choices({"palette": "perler"})
    panel.width_cells.setValue(58)
    panel.height_cells.setValue(58)
    panel.budget.setValue(12)
    panel.dither.setChecked(True)
    panel.owned.setText("P01,P02")
    window.close()  # closing remembers them
    again = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(again)
    p = again.source_panel
    assert (p.current_palette_name(), p.width_cells.value(), p.height_cells.value(), p.budget.value()) == \
        ("perler", 58, 58, 12)
    assert p.dither.isChecked() and p.owned.text() == "P01,P02" and p.current_craft() == "bead"
    again.close()


def test_opening_a_pattern_shows_its_own_size_and_colours(qtbot, window, dialogs, tmp_path):  # noqa: F811
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin
    from pixlcraft.pattern import save_pixl

    made = convert_photo(load_photo(SAMPLE), load_builtin("hama"), ConvertOptions(width=64, height=40, max_colors=9))
    save_pixl(made.pattern, tmp_path / "h.pixl")
    window.open_path(tmp_path / "h.pixl")
    wait_idle(qtbot, window)
    p = window.source_panel
    assert (p.width_cells.value(), p.height_cells.value()) == (64, 40)
    assert p.budget.value() == len(made.pattern.used_indices()) and p.use_budget.isChecked()
    assert p.current_palette_name() == "hama" and p.current_craft() == "bead"
    # a height that followed the photo's shape is not kept: the next photo would be squashed to it
    made = convert_photo(load_photo(SAMPLE), load_builtin("hama"), ConvertOptions(width=50))
    save_pixl(made.pattern, tmp_path / "w.pixl")
    window.open_path(tmp_path / "w.pixl")
    wait_idle(qtbot, window)
    assert (p.width_cells.value(), p.height_cells.value()) == (50, 0) and p.height_cells.text() == "auto"


def test_help_has_a_guide_and_the_real_shortcut_list(qtbot, window, dialogs):  # noqa: F811
    from pixlcraft.gui.help_dialogs import shortcut_rows

    guide = window._show_dialog("guide")
    assert "five steps" in guide.text.toPlainText()
    shortcuts = window._show_dialog("shortcuts")
    rows = dict(shortcut_rows(window.actions))
    assert shortcuts.table.topLevelItemCount() == len(rows) >= 15
    assert rows["Export"] == "Ctrl+E" and rows["Select"] == "V" and "Ctrl+Shift+S" in rows["Save As"]
    assert rows["Save"] == "Ctrl+S" and "Shift+Save" not in rows["Save As"]  # no media-key names
    guide.close()
    shortcuts.close()


def test_export_starts_in_the_last_folder_and_offers_to_open_the_result(qtbot, window, dialogs, tmp_path,  # noqa: F811
                                                                        monkeypatch):
    from pixlcraft.gui import export_dialog

    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    assert window.export_folder() == SAMPLE.parent  # no export yet: the photo's folder, not the home folder
    dialog = window.open_export_dialog()
    target = tmp_path / "out" / "chart.png"
    target.parent.mkdir()
    dialog.start_export("png", target, {})
    qtbot.waitUntil(lambda: not dialog.runner.busy, timeout=30000)
    assert target.is_file() and dialog.open_file_button.isVisible() and dialog.open_folder_button.isVisible()
    opened = []
    monkeypatch.setattr(export_dialog, "open_url", lambda url, opener: opened.append(url.toLocalFile()) or True)
    dialog.open_folder_button.click()
    assert opened == [str(target.parent)]
    dialog.close()
    assert window.export_folder() == target.parent  # the next export starts where this one went
    window.document.stack.set_clean()


def test_progress_never_sits_frozen_at_zero(qtbot, window, dialogs):  # noqa: F811
    from pixlcraft.jobs import Progress

    panel = window.progress
    panel.start("Making the pattern")
    panel.update_progress(Progress("Reading the photo", 0, 4))
    assert panel.bar.maximum() == 0  # a moving busy bar while nothing is measurable
    panel.update_progress(Progress("Choosing colours", 2, 4))
    assert (panel.bar.maximum(), panel.bar.value()) == (4, 2)
    panel.finish()


def test_the_user_can_change_a_symbol_and_it_sticks(qtbot, window, dialogs, monkeypatch, tmp_path):  # noqa: F811
    from pixlcraft.gui import errors
    from pixlcraft.pattern import load_pixl
    from pixlcraft.symbols import ensure_symbols

    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    pattern = window.document.pattern
    symbols = ensure_symbols(pattern)
    index, other = sorted(symbols)[0], sorted(symbols)[1]
    offered = []
    monkeypatch.setattr(errors, "ask_choice",
                        lambda parent, title, label, items, current: offered.extend(items) or items[-1])
    assert window.change_symbol(index)
    assert ensure_symbols(pattern)[index] == "■" and window.canvas.symbols[index] == "■"
    assert len(offered) == 151 and window.document.worth_asking  # the choice is not lost silently
    window.actions["edit.undo"].trigger()  # undoable like any edit
    assert window.canvas.symbols[index] != "■"
    window.actions["edit.redo"].trigger()
    assert window.canvas.symbols[index] == "■"
    before = window.canvas.symbols[other]
    window.paint_cells([(0, 0), (0, 1)])  # an edit moves no symbol
    assert window.canvas.symbols[other] == before
    window.save_to(tmp_path / "s.pixl")
    wait_idle(qtbot, window)
    saved = load_pixl(tmp_path / "s.pixl")
    assert ensure_symbols(saved)[saved.palette.find(pattern.palette[index].code)] == "■"


def _dmc_pattern(width: int, max_colors: int | None):
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin

    return convert_photo(load_photo(SAMPLE), load_builtin("dmc"), ConvertOptions(width=width,
                                                                               max_colors=max_colors)).pattern


def test_export_offers_only_what_fits_the_pattern(qtbot, window, dialogs):  # noqa: F811
    window.document.open(_dmc_pattern(80, 24), saved=True)
    dialog = window.open_export_dialog()
    for key in ("bead-pdf", "bricklink-xml", "ldraw"):
        assert dialog.reason_for(key), key  # greyed, with the reason
    assert "fuse-bead" in dialog.reason_for("bead-pdf") and "cross-stitch" in dialog.reason_for("bead-pdf")
    assert dialog.reason_for("stitch-pdf") == "" and dialog.reason_for("pes") == ""
    dialog.select_format("pes")
    assert "20.0 × " in dialog.preview_text.text()  # 80 cells at the file's 2.5 mm, not the fabric's 1.8 mm
    dialog.select_format("stitch-pdf")
    assert "14.5 × " in dialog.preview_text.text()  # 80 stitches on 14-count, not the printed chart's size
    dialog.editor.widgets["fabric_count"].setValue(7.0)
    assert "29.0 × " in dialog.preview_text.text()  # follows the option
    dialog.close()


def _rainbow_pattern(colours: int):
    """Every colour of a custom palette larger than the chart symbols once: the only way past them."""
    import numpy as np

    from pixlcraft.material import AIDA_14
    from pixlcraft.palette import Palette, PaletteEntry
    from pixlcraft.pattern import Pattern

    entries = tuple(PaletteEntry(f"C{i}", f"Colour {i}", (i % 10 * 25, i // 10 % 10 * 25, i // 100 * 30))
                    for i in range(colours))  # all different
    return Pattern(np.arange(colours, dtype=np.int16).reshape(20, colours // 20), Palette("huge", "Mine", AIDA_14,
                                                                                         entries))


def test_a_chart_with_too_many_colours_offers_to_reduce_them(qtbot, window, dialogs, monkeypatch):  # noqa: F811
    from pixlcraft.gui import errors
    from pixlcraft.symbols import MAX_SYMBOLS

    window.document.open(_dmc_pattern(200, 400), saved=True)  # past the one-glyph symbols: pairs, no refusal
    assert len(window.document.pattern.used_indices()) > 151
    dialog = window.open_export_dialog()
    dialog.select_format("stitch-pdf")
    assert dialog.export_button.isEnabled() and not dialog.reduce_button.isVisible()
    dialog.close()

    window.document.open(_rainbow_pattern(760), saved=True)
    used = len(window.document.pattern.used_indices())
    assert used > MAX_SYMBOLS
    dialog = window.open_export_dialog()
    dialog.select_format("stitch-pdf")
    assert not dialog.export_button.isEnabled() and dialog.reduce_button.isVisible()
    assert f"{used} colours" in dialog.status.text() and "--" not in dialog.status.text()
    dialog.reduce_button.click()
    assert len(window.document.pattern.used_indices()) == MAX_SYMBOLS == len(dialog.pattern.used_indices())
    assert dialog.export_button.isEnabled() and not dialog.reduce_button.isVisible()
    dialog.close()
    window.actions["edit.undo"].trigger()  # the reduction is an ordinary edit
    assert len(window.document.pattern.used_indices()) == used
    # the same problem reported by the core speaks the window's language and offers the fix
    from pixlcraft.export.symbols import symbols_for

    try:
        symbols_for(used)
    except Exception as exc:  # noqa: BLE001
        error = exc
    monkeypatch.setattr(errors, "ask_int", lambda *a: 151)
    dialogs.answers = ["yes"]
    window._job_failed(error)
    shown = dialogs.shown[-1]
    assert "Edit ▸ Reduce Colours" in shown.text and "--max-colors" not in shown.text
    assert len(window.document.pattern.used_indices()) == 151
    window.document.stack.set_clean()


def test_sizes_can_be_given_in_inches_on_the_panel(qtbot, window, dialogs):  # noqa: F811
    panel = window.source_panel
    assert [panel.size_unit.itemData(i) for i in range(panel.size_unit.count())] == ["cells", "cm", "in"]
    panel.size_unit.setCurrentIndex(panel.size_unit.findData("cm"))
    panel.width_phys.setValue(25.4)
    cm_cells = panel.cell_size()[0]
    panel.size_unit.setCurrentIndex(panel.size_unit.findData("in"))
    assert panel.width_phys.value() == pytest.approx(10.0, abs=0.05)  # the same width, in inches
    assert panel.cell_size()[0] == cm_cells == 140  # 10 in of 14-count Aida
    assert " in" in panel.size_hint.text()


def test_a_saved_pattern_keeps_its_photo_and_can_be_made_again(qtbot, window, dialogs, tmp_path):  # noqa: F811
    import zipfile

    from pixlcraft.pattern import load_pixl, load_pixl_photo
    from pixlcraft.settings import Settings

    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    window.save_to(tmp_path / "kept.pixl")
    wait_idle(qtbot, window)
    data = load_pixl_photo(tmp_path / "kept.pixl")
    assert data and data[:3] == b"\xff\xd8\xff" and len(data) < 400_000  # a small JPEG inside
    assert load_pixl(tmp_path / "kept.pixl").width == window.document.pattern.width  # the pattern as before
    window.close_pattern()
    window.open_path(tmp_path / "kept.pixl")
    wait_idle(qtbot, window)
    panel = window.source_panel
    assert panel.photo is not None and panel.photo.width == 512 and window.view.source.has_photo
    panel.width_cells.setValue(24)
    assert window.make(panel.request())  # made again from the photo inside the file
    wait_idle(qtbot, window)
    assert window.document.pattern.width == 24 and window.document.pattern.metadata["title"] == "kept"
    window.document.stack.set_clean()
    window.apply_settings(Settings(embed_photo=False))
    window.save_to(tmp_path / "bare.pixl")
    wait_idle(qtbot, window)
    assert load_pixl_photo(tmp_path / "bare.pixl") is None
    assert "photo" not in zipfile.ZipFile(tmp_path / "bare.pixl").namelist()


def test_opening_a_chart_says_what_could_not_be_kept(qtbot, window, dialogs, tmp_path):  # noqa: F811
    path = tmp_path / "other.oxs"
    path.write_text(
        "<chart><properties chartwidth='4' chartheight='3'/><palette>"
        "<palette_item index='0' number='cloth' name='cloth' color='FFFFFF'/>"
        "<palette_item index='1' number='DMC 310' name='Black' color='000000'/></palette>"
        "<fullstitches><stitch x='0' y='0' palindex='1'/></fullstitches>"
        "<backstitches><backstitch x1='0' y1='0' x2='1' y2='1' palindex='1'/>"
        "<backstitch x1='1' y1='1' x2='9' y2='2' palindex='1'/></backstitches>"
        "<ornaments_inc_knots_and_beads><object x1='1' y1='1' palindex='1' objecttype='quarter'/>"
        "<object x1='2' y1='1' palindex='1' objecttype='quarter'/></ornaments_inc_knots_and_beads></chart>")
    window.open_path(path)
    wait_idle(qtbot, window)
    assert window.document.pattern.width == 4
    assert len(window.document.pattern.layers.backstitches) == 1  # kept; the one off the chart is not
    assert any("2 petite stitches" in m.text and "1 backstitch outside the chart" in m.text
               and "left out" in m.title for m in dialogs.shown)


def test_save_as_asks_before_replacing_the_name_it_completed(qtbot, window, dialogs, tmp_path, monkeypatch):  # noqa: F811
    """Typed "photo.jpg" in Save As: the file dialog asked about photo.jpg, but photo.jpg.pixl is written, so
    replacing an existing photo.jpg.pixl needs its own question."""
    from PySide6.QtWidgets import QFileDialog

    window.document.open(_dmc_pattern(30, 8), saved=True)
    existing = tmp_path / "photo.jpg.pixl"
    existing.write_bytes(b"earlier work")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "photo.jpg"), ""))
    dialogs.answers = ["no"]
    assert window.save_as_dialog(wait=True) is False
    assert existing.read_bytes() == b"earlier work" and "already exists" in dialogs.shown[-1].text
    dialogs.answers = ["yes"]
    assert window.save_as_dialog(wait=True) is True
    assert existing.read_bytes()[:2] == b"PK"  # now the pattern (a zip)


def test_keep_fine_lines_box_reaches_the_converter_and_is_remembered(qtbot, window, dialogs):  # noqa: F811
    import dataclasses

    from pixlcraft.choices import load_choices, save_choices
    from pixlcraft.gui.make_jobs import make_classic

    panel = window.source_panel
    assert panel.detail.isChecked() and panel.request().detail is True
    panel.detail.setChecked(False)
    request = panel.request()
    assert request.detail is False
    made = make_classic(dataclasses.replace(request, photo_path=str(SAMPLE), width=30))
    assert made.pattern.metadata["recipe"]["detail"] == "average"
    save_choices(panel.choices())  # what the window does on closing
    assert load_choices().get("detail") is False
    panel.restore_choices({"detail": True})
    assert panel.detail.isChecked()


def test_the_confetti_box_is_off_limits_while_dithering(qtbot, window, dialogs):  # noqa: F811
    panel = window.source_panel
    assert panel.cleanup.isEnabled()
    panel.dither.setChecked(True)
    assert not panel.cleanup.isEnabled() and panel.cleanup.isChecked()  # kept for when dithering goes off
    panel.dither.setChecked(False)
    assert panel.cleanup.isEnabled()


def test_an_ai_result_is_worth_asking_about_before_it_is_thrown_away(qtbot, window):  # noqa: F811
    """An SD-πXL pattern took minutes to hours: closing it unsaved asks, where a classic one (remade in a second)
    does not. What made a pattern is in its recipe metadata."""
    from pixlcraft.gui.make_jobs import MadePattern
    from pixlcraft.palette import load_builtin
    from pixlcraft.pattern import Pattern

    palette = load_builtin("dmc")
    for maker, asks in (("sd-pixl", True), ("classic", False)):
        pattern = Pattern(np.zeros((4, 4), np.int16), palette, {"title": "t", "recipe": {"maker": maker}})
        window._made(MadePattern(pattern, None), "")
        assert window.document.worth_asking is asks


def test_save_as_starts_beside_the_photo_the_pattern_was_made_from(qtbot, window, dialogs, tmp_path,  # noqa: F811
                                                                   monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    photo = tmp_path / "holiday" / "beach.jpg"
    photo.parent.mkdir()
    photo.write_bytes(SAMPLE.read_bytes())
    window.open_path(photo)
    wait_idle(qtbot, window)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda _w, _t, start, _f: asked.append(start) or ("", ""))
    assert window.save_as_dialog() is False
    from pathlib import Path

    assert Path(asked[0]).parent == photo.parent and asked[0].endswith(".pixl")


def test_a_status_message_is_never_cut_off_by_the_size_readout(qtbot, window, dialogs):  # noqa: F811
    window.open_path(SAMPLE)
    wait_idle(qtbot, window)
    window.statusBar().clearMessage()
    assert window.info_label.isVisible() and "stitches" in window.info_label.text()
    window.statusBar().showMessage("A long message " * 12, 5000)
    assert not window.info_label.isVisible()
    window.statusBar().clearMessage()
    assert window.info_label.isVisible()
