"""The window's dialogs: export, settings, AI models, help, About, and the crash-recovery question.

A mixin of :class:`~pixlcraft.gui.main_window.MainWindow`, kept apart so the window itself stays a thin layout
of panels and jobs.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt

from ..autosave import find_recoverable
from ..choices import load_choices, save_choices
from ..settings import Settings
from . import errors
from .make_jobs import probe_ai

MODEL_CACHE_ENV = "PIXLCRAFT_MODEL_CACHE"
_MODEL_CACHE_AT_START = os.environ.get(MODEL_CACHE_ENV)


def use_model_folder(settings: Settings) -> None:
    """Point the model store at the folder chosen in Settings (the store reads the variable at each call);
    with none chosen, whatever the environment said at start-up applies again."""
    folder = settings.model_folder or settings.hf_cache_folder
    if folder:
        os.environ[MODEL_CACHE_ENV] = folder
    elif _MODEL_CACHE_AT_START is not None:
        os.environ[MODEL_CACHE_ENV] = _MODEL_CACHE_AT_START
    else:
        os.environ.pop(MODEL_CACHE_ENV, None)


def friendly_time(iso: str, now=None) -> str:
    """"today at 14:05", "yesterday at 09:30" or "3 December 2026 at 18:12" for an ISO timestamp (as is when
    it does not parse)."""
    import datetime as dt

    try:
        when = dt.datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return str(iso)
    now = now or dt.datetime.now(when.tzinfo)
    clock = when.strftime("%H:%M")
    days = (now.date() - when.date()).days
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"yesterday at {clock}"
    return f"{when.day} {when.strftime('%B %Y')} at {clock}"


class DialogsMixin:

    def export_folder(self) -> Path | None:
        """Where an export starts: the last export's folder, else the pattern's or the photo's folder."""
        last = load_choices().get("export_folder")
        for folder in (last, self.document.path.parent if self.document.path else None,
                       Path(self.document.photo_path).parent if self.document.photo_path else None):
            if folder and Path(folder).is_dir():
                return Path(folder).resolve()
        return None

    def _exported(self, files: list[Path]) -> None:
        if files:
            self.statusBar().showMessage(f"Exported {files[0].name}", 8000)
            save_choices({**load_choices(), "export_folder": str(files[0].parent)})


    def open_export_dialog(self):
        from .export_dialog import ExportDialog

        if self.document.pattern is None:
            return None
        dialog = ExportDialog(self.document.pattern, self, settings=self.settings, folder=self.export_folder(),
                              reduce=lambda k: self.document.pattern if self.reduce_colors(k) else None,
                              inputs=(self.document.photo_path,))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(self._exported)
        dialog.open()
        return dialog

    def open_settings(self):
        from .settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.settingsChanged.connect(self.apply_settings)
        dialog.open()
        return dialog

    def apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        use_model_folder(settings)
        if self.source_panel.ai.isChecked():
            self.source_panel.set_ai_info(None)  # the model folder may have changed: look again
        self.recent.max_items = settings.recent_files_max
        self.autosaver.interval_s = float(settings.autosave_interval_s)
        self.source_panel.settings_changed(settings)  # never the panel's choices for the current pattern

    def open_model_manager(self):
        from .model_manager import ModelManager

        dialog = ModelManager(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.modelsChanged.connect(self._probe_ai)
        dialog.open()
        return dialog

    def _probe_ai(self) -> None:
        if not self.probe.busy:
            self.probe.start(probe_ai)

    def _show_dialog(self, which: str):
        from .help_dialogs import GuideDialog, ShortcutsDialog

        dialog = GuideDialog(self) if which == "guide" else ShortcutsDialog(self.actions, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def about(self):
        from .about_dialog import AboutDialog

        dialog = AboutDialog(self)
        dialog.open()
        return dialog

    def _offer_recovery(self) -> None:
        found = find_recoverable()
        if not found:
            return
        newest = found[0]
        if errors.ask_yes_no(self, "Recover your work?",
                             f"PixlCraft was closed without saving “{newest.title}” (autosaved "
                             f"{friendly_time(newest.saved)}). "
                             "Open the autosaved copy?", "Recover", "Not now"):
            try:
                pattern = newest.load()
            except Exception as e:  # noqa: BLE001
                errors.show_error(self, e)
                return
            newest.discard()
            self.source_panel.show_pattern(pattern)
            self.document.open(pattern, path=None, saved=False)
            self.document.path = newest.document
