"""The panel's "Clean up the photo first" with its menu of clean-ups (issue 17): the choice reaches the clean-up
with its options, Automatic says what it did, the choice is remembered, PASD's readiness is read on a worker
and shown under the menu, and a PASD run estimated over 10 minutes never starts without a question.

No real PASD (nor torch) runs here: its ``readiness``, ``estimate`` and ``available`` are replaced by fixed
answers and ``pixlcraft.cleanup.cleanup`` by a recorder; one test runs the real classic filters end to end.
Message boxes go through ``errors.present``, replaced by scripted answers.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pixlcraft.cleanup as cleanup_pkg  # noqa: E402
from pixlcraft.choices import choices_path, load_choices  # noqa: E402
from pixlcraft.cleanup import long_side_for_pattern, output_size, resize_photo  # noqa: E402
from pixlcraft.cleanup.pasd import METHOD as PASD  # noqa: E402
from pixlcraft.cleanup.pasd import PasdRun, Readiness  # noqa: E402
from pixlcraft.gui import errors, make_jobs  # noqa: E402
from pixlcraft.gui.cleanup_choice import CHOICE_KEYS, CHOICES  # noqa: E402
from pixlcraft.gui.make_jobs import MakeRequest, make_classic  # noqa: E402
from pixlcraft.imageio import load_photo  # noqa: E402
from pixlcraft.sizing import target_cells  # noqa: E402

SAMPLE = Path(__file__).resolve().parent.parent / "resources" / "samples" / "astronaut.jpg"
WIDTH = 40
PROMPT = "an astronaut in a white suit, clean, high-resolution, 8k, best quality"
NO_ENGINE = Readiness(["torch", "diffusers"], [], "off", "", None)
NO_WEIGHTS = Readiness([], [("PASD full weights", 5200, "hf download …"), ("Stable Diffusion 1.5 parts", 410, "…")],
                       "missing", "cpu", 2700.0)


class Dialogs:
    """Stands in for the user at message boxes: records each and gives scripted answers (else Cancel)."""

    def __init__(self) -> None:
        self.shown: list[errors.Message] = []
        self.answers: list[str] = []

    def __call__(self, parent, message: errors.Message) -> str:
        self.shown.append(message)
        if self.answers:
            return self.answers.pop(0)
        return "cancel" if "cancel" in message.buttons else message.buttons[-1]


class Cleanups:
    """Records each call of ``pixlcraft.cleanup.cleanup`` (method name, options) and returns the photo at the
    size asked (a PASD "run" leaves a ``last_run`` as the real one does)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def __call__(self, photo, method, options=None, progress=None, cancel=None):
        self.calls.append((method.name, dict(options or {})))
        if method.name == "pasd":
            method.last_run = PasdRun(PROMPT, "", "an astronaut in a white suit", "caption", 50, "faithful", 20, 0,
                                      "full", "cpu", (768, 768), 0)
        return resize_photo(photo, output_size(photo.width, photo.height, options or {}))

    def methods(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def dialogs(monkeypatch) -> Dialogs:
    fake = Dialogs()
    monkeypatch.setattr(errors, "present", fake)
    return fake


@pytest.fixture
def pasd(monkeypatch):
    """PASD as if installed: available, a fixed readiness (recording the thread that asked), no torch."""
    threads: list[threading.Thread] = []
    state = {"readiness": NO_WEIGHTS}

    def readiness(options=None):
        threads.append(threading.current_thread())
        return state["readiness"]

    monkeypatch.setattr(PASD, "readiness", readiness)
    monkeypatch.setattr(PASD, "available", lambda: (True, ""))
    monkeypatch.setattr(PASD, "estimate", lambda w, h, options=None: 60.0)
    monkeypatch.setattr(PASD, "last_run", None)
    state["threads"] = threads
    return state


@pytest.fixture
def recorded(monkeypatch) -> Cleanups:
    fake = Cleanups()
    monkeypatch.setattr(cleanup_pkg, "cleanup", fake)
    monkeypatch.setattr(make_jobs, "_CLEANED", OrderedDict())
    monkeypatch.setattr(make_jobs, "_CLEAN_NOTES", {})
    return fake


@pytest.fixture
def window(main_window, qtbot, dialogs):
    main_window.resize(1280, 800)
    main_window.show()
    qtbot.waitExposed(main_window)
    main_window.source_panel.width_cells.setValue(WIDTH)
    yield main_window
    main_window.stop_jobs()
    main_window.document.close()


def settle(qtbot, window, timeout_ms: int = 60000) -> None:
    """Until no job runs and no live preview is waiting to start."""
    qtbot.waitUntil(lambda: not window.jobs.busy and not window.live.timer.isActive() and not window.live.pending,
                    timeout=timeout_ms)


def choose(panel, key: str) -> None:
    panel.photo_cleanup.setChecked(True)
    panel.cleanup_method.setCurrentIndex(panel.cleanup_method.findData(key))


def open_sample(qtbot, window) -> None:
    """The sample photo opened (a classic pattern made from it as it is, the clean-up box unticked)."""
    window.source_panel.photo_cleanup.setChecked(False)
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    assert window.document.pattern is not None


# ------------------------------------------------------------------------------------------------ the menu


def test_the_menu_offers_each_clean_up_with_a_sentence_and_follows_the_box(window):
    panel = window.source_panel
    combo = panel.cleanup_method
    assert [combo.itemText(i) for i in range(combo.count())] == [
        "Automatic (what helps for this photo's size)", "Real-ESRGAN", "Real-ESRGAN fast", "Denoise (classic)",
        "PASD (AI): faithful to the photo", "PASD (AI): more re-drawn"]
    assert panel.cleanup_key() == "auto" and not combo.isEnabled()  # Automatic by default, off with the box
    tip = combo.toolTip()
    for _, _, sentence in CHOICES:
        assert sentence in tip
    assert "8×" in tip and "released code" in tip and "paper" in tip
    panel.photo_cleanup.setChecked(True)
    assert combo.isEnabled() and panel.request().photo_cleanup == "auto"
    panel.photo_cleanup.setChecked(False)
    assert not combo.isEnabled() and panel.request().photo_cleanup is None


@pytest.mark.parametrize("key, method, options", [
    ("esrgan", "esrgan", {"model": "x4plus"}),
    ("esrgan-fast", "esrgan", {"model": "fast"}),
    ("classic", "classic", {}),
    ("pasd-faithful", "pasd", {"pasd_start": "faithful"}),
    ("pasd-redrawn", "pasd", {"pasd_start": "redrawn"}),
])
def test_the_choice_reaches_the_clean_up_with_its_options(window, qtbot, pasd, recorded, key, method, options):
    panel = window.source_panel
    choose(panel, key)
    request = panel.request()
    request.photo_path = str(SAMPLE)
    assert request.photo_cleanup == key
    made = make_classic(request)
    assert made.pattern.width == WIDTH
    assert recorded.methods() == [method]
    got = recorded.calls[0][1]
    assert {k: got[k] for k in options} == options
    photo = load_photo(SAMPLE, (WIDTH, None))
    cells = tuple(target_cells(photo.width, photo.height, WIDTH, None))
    assert got["target_long_side"] == long_side_for_pattern(photo, cells, cleanup_pkg.get_method(method))
    if method == "pasd":
        assert got["device"] == "auto"  # the settings' device: PASD runs on PyTorch
        assert made.cleanup_notes == [f"PASD's prompt: “{PROMPT}”"]
    # the cache knows the options: the other PASD start (or Real-ESRGAN model) is another clean-up
    other = {"pasd-faithful": "pasd-redrawn", "pasd-redrawn": "pasd-faithful", "esrgan": "esrgan-fast",
             "esrgan-fast": "esrgan"}.get(key)
    make_classic(request)
    assert len(recorded.calls) == 1  # remembered
    if other:
        request.photo_cleanup = other
        make_classic(request)
        assert len(recorded.calls) == 2 and recorded.calls[1][1] != got


def test_extra_options_reach_the_clean_up_and_the_cache_key(pasd, recorded):
    request = MakeRequest(photo_path=str(SAMPLE), width=WIDTH, max_colors=8, photo_cleanup="pasd-redrawn",
                          photo_cleanup_options={"pasd_prompt": "an astronaut"})
    make_classic(request)
    request.photo_cleanup_options = {"pasd_prompt": "a man in a suit"}
    make_classic(request)
    assert [c[1]["pasd_prompt"] for c in recorded.calls] == ["an astronaut", "a man in a suit"]
    assert all(c[1]["pasd_start"] == "redrawn" for c in recorded.calls)


def test_the_real_classic_filters_run_end_to_end(qtbot, window, dialogs, monkeypatch):
    monkeypatch.setattr(make_jobs, "_CLEANED", OrderedDict())
    monkeypatch.setattr(make_jobs, "_CLEAN_NOTES", {})
    panel = window.source_panel
    choose(panel, "classic")
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    assert not dialogs.shown, [m.text for m in dialogs.shown]
    pattern = window.document.pattern
    assert pattern is not None and pattern.width == WIDTH
    assert (panel.photo.width, panel.photo.height) == (512, 512)  # the photo as opened stays
    copies = [(key, p) for key, p in make_jobs._CLEANED.items() if key[0] == str(SAMPLE) and key[4] == "classic"]
    assert len(copies) == 1 and max(copies[0][1].width, copies[0][1].height) == 2 * WIDTH  # 2 px per cell
    assert not panel.cleanup_hint.isVisible()  # nothing to say about a method chosen by name


# ------------------------------------------------------------------------------------------------ Automatic


def test_automatic_leaves_a_large_photo_as_it_is_and_says_so(qtbot, window, dialogs, recorded):
    panel = window.source_panel
    choose(panel, "auto")
    assert window.open_path(SAMPLE)
    settle(qtbot, window)
    assert recorded.calls == []  # 512 px: no clean-up made better patterns in the benchmark
    assert panel.cleanup_hint.isVisible()
    hint = panel.cleanup_hint.text()
    assert hint.startswith("Automatic clean-up: a 512×512 photo") and "used as it is" in hint
    assert "used as it is" in window.statusBar().currentMessage()
    assert not dialogs.shown


def test_automatic_names_the_method_for_a_tiny_photo(qtbot, window, recorded, tmp_path):
    from PIL import Image

    small = tmp_path / "tiny.png"
    Image.open(SAMPLE).convert("RGB").resize((96, 72)).save(small)
    panel = window.source_panel
    choose(panel, "auto")
    panel.width_cells.setValue(120)  # more cells than the photo has pixels
    assert window.open_path(small)
    settle(qtbot, window)
    plan = cleanup_pkg.auto_plan(96, 72, (120, 90))
    assert recorded.methods() == [plan.method]
    assert panel.cleanup_hint.text() == f"Automatic clean-up: {plan.reason}"
    assert "96×72" in window.statusBar().currentMessage()


# ------------------------------------------------------------------------------------------------ remembered


def test_the_choice_is_remembered_for_the_next_window(qtbot, window, main_window):
    from pixlcraft.gui.main_window import MainWindow
    from pixlcraft.settings import Settings

    choose(window.source_panel, "esrgan-fast")
    window.close()
    assert load_choices()["photo_cleanup_method"] == "esrgan-fast" and load_choices()["photo_cleanup"] is True
    again = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(again)
    assert again.source_panel.photo_cleanup.isChecked()
    assert again.source_panel.cleanup_key() == "esrgan-fast" and again.source_panel.cleanup_method.isEnabled()
    assert again.source_panel.request().photo_cleanup == "esrgan-fast"


def test_a_choices_file_from_before_the_menu_means_automatic(qtbot, main_window):
    from pixlcraft.gui.main_window import MainWindow
    from pixlcraft.settings import Settings

    choices_path().parent.mkdir(parents=True, exist_ok=True)
    choices_path().write_text(json.dumps({"format": "pixlcraft-choices", "choices": {"photo_cleanup": True}}))
    old = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(old)
    assert old.source_panel.photo_cleanup.isChecked() and old.source_panel.request().photo_cleanup == "auto"
    choices_path().write_text(json.dumps({"format": "pixlcraft-choices",
                                          "choices": {"photo_cleanup": True, "photo_cleanup_method": "no-such"}}))
    odd = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(odd)
    assert odd.source_panel.cleanup_key() == "auto"
    assert set(CHOICE_KEYS) == set(make_jobs.CLEANUP_CHOICES)


# ------------------------------------------------------------------------------------------------ PASD


def test_pasd_readiness_is_read_on_a_worker_and_shown_under_the_menu(qtbot, window, pasd):
    panel = window.source_panel
    pasd["readiness"] = NO_ENGINE
    choose(panel, "pasd-faithful")
    qtbot.waitUntil(lambda: "AI engine" in panel.cleanup_hint.text(), timeout=10000)
    hint = panel.cleanup_hint.text()
    assert "not installed" in hint and "Pattern ▸ AI Models…" in hint and panel.cleanup_hint.isVisible()
    assert pasd["threads"] and all(t is not threading.main_thread() for t in pasd["threads"])
    # the models changed (AI Models… looked again): the weights are what is missing now, and the time shows
    pasd["readiness"] = NO_WEIGHTS
    panel.set_ai_info({"installed": 0, "total": 6, "device": "cpu", "engine": True})
    qtbot.waitUntil(lambda: "Not ready" in panel.cleanup_hint.text(), timeout=10000)
    hint = panel.cleanup_hint.text()
    assert "PASD full weights" in hint and "about 5.6 GB" in hint and "Pattern ▸ AI Models…" in hint
    assert "About 45 min per 512-px photo on the CPU (an estimate)" in hint and "caption model" in hint
    # another choice: the PASD hint goes
    panel.cleanup_method.setCurrentIndex(panel.cleanup_method.findData("esrgan"))
    assert not panel.cleanup_hint.isVisible()


def test_pasd_without_the_engine_points_to_ai_models(qtbot, window, dialogs, pasd, recorded, monkeypatch):
    monkeypatch.setattr(PASD, "available", lambda: (False, "PASD needs the AI engine (torch missing)"))
    pasd["readiness"] = NO_ENGINE
    open_sample(qtbot, window)
    panel = window.source_panel
    choose(panel, "pasd-redrawn")
    qtbot.waitUntil(lambda: "AI engine" in panel.cleanup_hint.text(), timeout=10000)
    settle(qtbot, window)
    dialogs.answers = ["no"]  # "Not now"
    window.make(panel.request())
    settle(qtbot, window)
    assert recorded.calls == []
    assert len(dialogs.shown) == 1  # no question about time for a run that cannot start
    message = dialogs.shown[0]
    assert "AI engine" in message.text and "Pattern ▸ AI Models…" in message.text
    assert message.extra["yes"] == "AI Models…"


def test_a_long_pasd_run_never_starts_without_the_question(qtbot, window, dialogs, pasd, recorded, monkeypatch):
    asked: list[tuple[int, int, dict]] = []

    def estimate(w, h, options=None):
        asked.append((w, h, dict(options or {})))
        return 3000.0  # 50 minutes

    open_sample(qtbot, window)
    panel = window.source_panel
    monkeypatch.setattr(PASD, "estimate", estimate)
    choose(panel, "pasd-faithful")
    settle(qtbot, window)  # the live preview of the new choice: it never starts PASD (nor asks)
    assert recorded.calls == [] and not dialogs.shown
    assert "PASD" in window.statusBar().currentMessage()

    assert not window.make(panel.request())  # Cancel
    assert not window.jobs.busy and recorded.calls == []
    question = dialogs.shown[-1]
    assert question.text == ("PASD will take about 50 min on this computer (an estimate). It first downloads "
                             "about 5.6 GB of weights. Start it, or use Real-ESRGAN instead?")
    assert [question.extra[b] for b in question.buttons] == ["Start", "Use Real-ESRGAN", "Cancel"]
    # estimated for the photo size the clean-up gets: 2 pixels per cell
    w, h, options = asked[-1]
    photo = panel.photo
    assert (w, h) == (photo.width, photo.height)
    assert options["target_long_side"] == long_side_for_pattern(photo, (WIDTH, WIDTH), PASD) == 2 * WIDTH
    assert options["pasd_start"] == "faithful"

    # opening a photo makes a pattern at once: the same question first
    n = len(dialogs.shown)
    assert not window.open_path(SAMPLE)
    assert len(dialogs.shown) == n + 1 and recorded.calls == []

    # Start: PASD runs, and its prompt is shown
    dialogs.answers = ["yes"]
    assert window.make(panel.request())
    settle(qtbot, window)
    assert recorded.methods() == ["pasd"] and recorded.calls[0][1]["pasd_start"] == "faithful"
    assert f"PASD's prompt: “{PROMPT}”" in window.statusBar().currentMessage()
    assert PROMPT in panel.cleanup_hint.text()


def test_use_real_esrgan_instead_makes_the_pattern_with_it(qtbot, window, dialogs, pasd, recorded, monkeypatch):
    open_sample(qtbot, window)
    panel = window.source_panel
    monkeypatch.setattr(PASD, "estimate", lambda w, h, options=None: 4000.0)
    choose(panel, "pasd-redrawn")
    settle(qtbot, window)
    dialogs.answers = ["no"]  # Use Real-ESRGAN
    assert window.make(panel.request())
    settle(qtbot, window)
    assert [m.title for m in dialogs.shown] == ["PASD takes a while"]
    assert recorded.methods() == ["esrgan"] and recorded.calls[0][1]["model"] == "x4plus"
    assert "pasd_start" not in recorded.calls[0][1]
    assert panel.cleanup_key() == "esrgan"  # the menu shows what the pattern was made with
    assert window.document.pattern.width == WIDTH


def test_a_short_pasd_run_starts_without_asking(qtbot, window, dialogs, pasd, recorded):
    open_sample(qtbot, window)
    panel = window.source_panel
    choose(panel, "pasd-redrawn")  # estimate: 60 s
    settle(qtbot, window)
    assert window.make(panel.request())
    settle(qtbot, window)
    assert not dialogs.shown and recorded.methods() == ["pasd"]
    # the cleaned copy is remembered: a preview of another colour budget re-uses it without a word
    panel.budget.setValue(panel.budget.value() - 4)
    qtbot.waitUntil(lambda: window.live.timer.isActive() or window.jobs.busy, timeout=5000)
    settle(qtbot, window)
    assert recorded.methods() == ["pasd"] and not dialogs.shown
    assert len(window.document.pattern.used_indices()) <= panel.budget.value()
