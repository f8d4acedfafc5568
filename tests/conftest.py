"""Shared fixtures: tiny random-weight models saved in the real Hub layouts (see tiny_models.py).

No test may reach the network: Hugging Face access is switched off before any library reads the setting, and
the models every SD-πXL test loads are built once per session into a temporary folder.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt makes the application
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
# Never read or write the user's real add-on and cache folders.
if "PIXLCRAFT_ADDON_DIR" not in os.environ:
    import tempfile

    _scratch = tempfile.mkdtemp(prefix="pixlcraft-tests-")
    os.environ["PIXLCRAFT_ADDON_DIR"] = os.path.join(_scratch, "ai-addon")
    os.environ["PIXLCRAFT_CACHE_DIR"] = os.path.join(_scratch, "cache")

import pytest  # noqa: E402
from tiny_models import TinyModels, build_tiny_models  # noqa: E402


@pytest.fixture(autouse=True)
def _own_stash_folder(tmp_path_factory, monkeypatch):
    """Every test starts with an empty stash of its own: never the user's, never another test's."""
    monkeypatch.setenv("PIXLCRAFT_STASH_DIR", str(tmp_path_factory.mktemp("stash")))


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> TinyModels:
    """Folders of a tiny SDXL base, TAESD-XL, two ControlNets, DPT, CLIP and a LoRA (built once, ~2 s)."""
    return build_tiny_models(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture
def main_window(qtbot, tmp_path, monkeypatch):
    """A fresh main window whose settings and autosave folders live in ``tmp_path``, never the user's."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from pixlcraft.gui.main_window import MainWindow
    from pixlcraft.settings import Settings

    monkeypatch.setenv("PIXLCRAFT_CONFIG_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("PIXLCRAFT_AUTOSAVE_DIR", str(tmp_path / "a"))
    window = MainWindow(Settings(), check_recovery=False)
    qtbot.addWidget(window)
    return window
