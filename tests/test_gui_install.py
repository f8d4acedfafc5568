"""The installed-app parts of the window: About box with licences, the AI engine strip, the engine-missing path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import QLabel  # noqa: E402
from test_addon import _wheel  # noqa: E402

from pixlcraft import __version__, addon  # noqa: E402
from pixlcraft.credits import CREDITS, read_resource  # noqa: E402
from pixlcraft.gui import errors, model_manager  # noqa: E402
from pixlcraft.gui.about_dialog import AboutDialog  # noqa: E402
from pixlcraft.gui.app_icon import app_icon  # noqa: E402


def test_every_credited_licence_is_shipped() -> None:
    for credit in CREDITS:
        if credit.resource:
            assert len(read_resource(credit.resource)) > 200, credit


def test_about_box_names_the_version_and_shows_licences(qtbot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    heading = dialog.findChild(QLabel, "aboutHeading")
    assert f"PixlCraft {__version__}" in heading.text() and "from source" in heading.text()
    assert dialog.credits.topLevelItemCount() == len(CREDITS)
    assert "MIT License" in dialog.text.toPlainText()  # the first row's text is shown
    fonts = next(i for i in range(len(CREDITS)) if "DejaVu" in CREDITS[i].name)
    dialog.credits.setCurrentItem(dialog.credits.topLevelItem(fonts))
    assert "Bitstream" in dialog.text.toPlainText()


def test_the_window_icon_is_ours() -> None:
    icon = app_icon()
    sizes = {s.width() for s in icon.availableSizes()}
    assert {16, 32, 48, 256} <= sizes
    image = icon.pixmap(64, 64).toImage()
    assert image.pixelColor(32, 4).red() > 150  # the red tile, not a blank or a generic icon


@pytest.fixture
def no_engine(monkeypatch, tmp_path: Path):
    """As in the installed app before the add-on: no huggingface_hub (nor torch) to import."""
    monkeypatch.setenv("PIXLCRAFT_ADDON_DIR", str(tmp_path / "addons"))
    monkeypatch.setattr(addon, "engine_available", lambda: addon.installed())
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # any import of it now fails
    return tmp_path


def test_models_and_the_ai_panel_read_without_the_engine(no_engine: Path, monkeypatch) -> None:
    from pixlcraft.gui.source_panel import probe_ai
    from pixlcraft.models import model_cache_dir, model_status

    monkeypatch.delenv("HF_HOME", raising=False)
    for var in ("PIXLCRAFT_MODEL_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(no_engine / "xdg"))
    assert model_cache_dir() == no_engine / "xdg" / "huggingface" / "hub"  # the Hub's own default
    assert len(model_status()) >= 6
    info = probe_ai()
    assert info["engine"] is False and info["total"] >= 6


def test_model_manager_installs_the_engine_with_progress(qtbot, no_engine: Path, monkeypatch) -> None:
    wheels = no_engine / "wheels"
    _wheel(wheels, "pixlprobe", "1.0", "VALUE = 1\n")

    def small_install(*, progress=None, cancel=None):  # the real installer and pip, on a small offline wheel
        return addon.install(progress=progress, cancel=cancel, wheels=str(wheels), packages=["pixlprobe"])

    monkeypatch.setattr(model_manager, "install_engine", small_install)
    failures = []
    monkeypatch.setattr(errors, "present", lambda parent, m: failures.append(m.text) or "ok")
    dialog = model_manager.ModelManager()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.engine_info is not None and bool(dialog.rows), timeout=10000)
    assert not failures and dialog.tree.topLevelItemCount() == len(dialog.rows)
    assert dialog.engine_button.isVisible() and "not installed" in dialog.engine_label.text()
    assert not dialog.download_button.isEnabled()  # models need the engine first
    with qtbot.waitSignal(dialog.modelsChanged, timeout=60000):
        dialog.engine_button.click()
        assert dialog.cancel_button.isVisible()
    qtbot.waitUntil(lambda: dialog.engine_info is not None and dialog.engine_info.engine_available, timeout=10000)
    qtbot.waitUntil(lambda: "models installed" in dialog.message.text(), timeout=10000)
    assert dialog.message.text().startswith("The AI engine is installed.")
    assert not dialog.engine_button.isVisible() and "installed" in dialog.engine_label.text()
    dialog.close()
    addon.remove()


def test_ai_without_the_engine_offers_the_model_manager(qtbot, no_engine: Path, monkeypatch, tmp_path: Path):
    from pixlcraft.gui.main_window import MainWindow
    from pixlcraft.settings import Settings

    monkeypatch.setenv("PIXLCRAFT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PIXLCRAFT_AUTOSAVE_DIR", str(tmp_path / "autosave"))
    shown = []
    monkeypatch.setattr(errors, "present", lambda parent, m: shown.append(m) or "yes")
    window = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(window)
    opened = []
    monkeypatch.setattr(window, "open_model_manager", lambda: opened.append(1))
    window._job_failed(addon.AddonMissingError("the AI engine is not installed"))
    assert shown and shown[0].title == "Install the AI engine?" and opened == [1]
    assert "pip" not in shown[0].text and "--" not in shown[0].text  # GUI words, not command-line ones
    window.document.close()


def test_the_ai_panel_counts_only_sd_pixl_models(no_engine: Path) -> None:
    from pixlcraft.gui.source_panel import SDPIXL_ROLES, probe_ai
    from pixlcraft.models import MODELS

    info = probe_ai()
    sdpixl = [m for m in MODELS.values() if m.role in SDPIXL_ROLES]
    assert info["total"] == len(sdpixl) == 6  # PASD's SD 1.5 is not one of them
    assert info["missing_mb"] == sum(m.download_size_mb() for m in sdpixl)
    assert 8500 < info["missing_mb"] < 9500  # "about 9 GB", as the README says
