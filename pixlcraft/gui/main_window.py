"""The main window: lays out the panels and connects them. It holds no pattern logic of its own.

Left, the source panel (photo or prompt and the choices); in the middle, the photo and the pattern side by
side with the progress strip under them; right, the legend. Commands are the actions of
:mod:`pixlcraft.gui.actions`; edits go to the :class:`~pixlcraft.gui.document.Document`; every long job
(making, opening, saving) runs through one :class:`~pixlcraft.gui.bridge.JobRunner`, so the window never
waits on the core.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from ..autosave import Autosaver
from ..choices import load_choices, save_choices
from ..errors import InputError, PixlcraftError
from ..palette import PaletteEntry
from ..pattern import Pattern
from ..recent import RecentFiles
from ..settings import Settings, load_settings
from . import errors
from .actions import ActionRegistry, DocumentShortcuts
from .app_icon import app_icon
from .bridge import JobRunner
from .buy_panel import StashMixin
from .document import Document
from .editing import EditingMixin
from .legend import Legend
from .live_preview import LivePreview
from .pattern_view import PatternView
from .progress import ProgressPanel
from .source_panel import (
    PATTERN_SUFFIXES,
    PHOTO_FILTER,
    MadePattern,
    MakeRequest,
    SourcePanel,
    check_request,
)
from .view_status import ViewStatusMixin
from .window_dialogs import (  # noqa: F401 - tests import friendly_time from here
    DialogsMixin,
    friendly_time,
    use_model_folder,
)

OPEN_FILTER = f"Photos and patterns (*.pixl *.oxs {PHOTO_FILTER.split('(')[1][:-1]});;Patterns (*.pixl *.oxs);;" \
              f"{PHOTO_FILTER};;All files (*)"
AUTOSAVE_CHECK_MS = 5000


# -------------------------------------------------------------------------------------------- job functions
# The bridge calls fn(*args, progress=, cancel=); these adapt the core calls that take neither.


def load_photo_job(path: str, *, progress=None, cancel=None):
    from ..imageio import load_photo

    return load_photo(path)


def save_pixl_job(pattern: Pattern, path: str, photo=None, *, progress=None, cancel=None) -> Path:
    """Write the .pixl, with a small copy of ``photo`` inside when one is given (Settings: keep the photo)."""
    from ..imageio import encode_photo
    from ..pattern import save_pixl

    save_pixl(pattern, path, photo=encode_photo(photo) if photo is not None else None)
    return Path(path)


def load_pattern_job(path: str, *, progress=None, cancel=None):
    """The pattern, and the photo kept inside it (None when it keeps none or it cannot be decoded)."""
    from ..formats import load_pattern
    from ..imageio import decode_photo
    from ..pattern import load_pixl_photo

    pattern = load_pattern(path)
    photo = None
    if Path(path).suffix.lower() == ".pixl":
        data = load_pixl_photo(path)
        if data:
            try:
                photo = decode_photo(data, Path(path))
            except InputError:
                photo = None  # a damaged photo never stops the pattern from opening
    return pattern, photo


class MainWindow(EditingMixin, DialogsMixin, StashMixin, ViewStatusMixin, QMainWindow):
    def __init__(self, settings: Settings | None = None, *, check_recovery: bool = True) -> None:
        super().__init__()
        warnings: list[str] = []
        if settings is None:
            settings, warnings = load_settings()
        self.settings = settings
        use_model_folder(settings)
        self.setWindowTitle("PixlCraft")
        self.setWindowIcon(app_icon())
        self.resize(1440, 900)
        self.setAcceptDrops(True)

        self.document = Document(self)
        self.jobs = JobRunner(self)
        self.probe = JobRunner(self)
        self.recent = RecentFiles(settings.recent_files_max)
        self.autosaver = Autosaver(settings.autosave_interval_s)
        self.paint_color: PaletteEntry | None = None
        self._after_job: Callable[[Any], None] | None = None
        self._job_title = ""

        # panels
        self.source_panel = SourcePanel(settings, self)
        self.source_panel.restore_choices(load_choices())
        self.view = PatternView(self)
        self.canvas = self.view.canvas
        self.progress = ProgressPanel(self)
        self.legend = Legend(self)
        self.legend.brand_palette = _brand_palette
        centre = QWidget(self)
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.view, 1)
        column.addWidget(self.progress)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.source_panel)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.build_side_panel())  # the legend, and the buy list beside it
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.source_panel.setMinimumWidth(300)
        self.source_panel.setMaximumWidth(380)
        self.side_tabs.setMinimumWidth(290)
        self.splitter.setSizes([320, 800, 320])
        self.setCentralWidget(self.splitter)

        # actions, menus, toolbar
        self.actions = ActionRegistry(self, self._handlers())
        QApplication.instance().installEventFilter(DocumentShortcuts(self, self.actions))
        self.quiet_job = False
        self.live = LivePreview(self)
        self.actions.build_menus(self.menuBar())
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions.build_toolbar(toolbar)
        self.addToolBar(toolbar)
        self.recent_menu = self.actions.submenus["recent"]
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.source_panel.set_recent_menu(self._recent_popup())

        # status bar
        self.hover_label = QLabel(self)
        self.info_label = QLabel(self)
        self.statusBar().addWidget(self.hover_label, 1)
        self.statusBar().addPermanentWidget(self.info_label)
        # a message says something now; the size readout steps aside while it shows, so the message is never cut
        self.statusBar().messageChanged.connect(lambda text: self.info_label.setVisible(not text))

        # wiring
        self.document.replaced.connect(self._pattern_replaced)
        self.document.changed.connect(self._pattern_edited)
        self.document.stateChanged.connect(self._update_state)
        self.jobs.progress.connect(self.progress.update_progress)
        self.jobs.finished.connect(self._job_finished)
        self.jobs.cancelled.connect(self._job_cancelled)
        self.jobs.error.connect(self._job_failed)
        self.jobs.busy_changed.connect(self._busy_changed)
        self.progress.cancelRequested.connect(self.jobs.cancel)
        self.probe.finished.connect(self.source_panel.set_ai_info)
        self.probe.error.connect(lambda _e: self.source_panel.set_ai_info(
            {"installed": 0, "total": 0, "device": "unavailable", "engine": False}))
        self.source_panel.makeRequested.connect(self.make)
        self.source_panel.openRequested.connect(self.open_dialog)
        self.source_panel.fileChosen.connect(self.open_path)
        self.source_panel.aiProbeRequested.connect(self._probe_ai)
        self.canvas.hovered.connect(self._hovered)
        self.canvas.strokeFinished.connect(self.paint_cells)
        self.canvas.fillRequested.connect(self.fill_at)
        self.canvas.colorPicked.connect(self._picked)
        self.canvas.layerEdited.connect(self.edit_layers)
        self.canvas.zoomChanged.connect(lambda _z: self._update_info())
        self.legend.colorSelected.connect(self.set_paint_index)
        self.legend.otherColorChosen.connect(self.set_paint_entry)
        self.legend.replaceRequested.connect(self.replace_color)
        self.legend.mergeRequested.connect(self.merge_colors)
        self.legend.symbolChangeRequested.connect(self.change_symbol)
        self.view.source.cropChanged.connect(self.source_panel.set_crop)  # the live preview follows
        self.connect_stash()

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_CHECK_MS)
        self.autosave_timer.timeout.connect(self._autosave_tick)
        self.autosave_timer.start()

        self._pattern_replaced()
        self._update_state()
        for warning in warnings:
            self.statusBar().showMessage(warning, 15000)
        if check_recovery:
            QTimer.singleShot(0, self._offer_recovery)

    def _handlers(self) -> dict[str, Callable[..., object]]:
        c = self.canvas
        return {
            "file.open": self.open_dialog,
            "file.save": self.save,
            "file.save_as": self.save_as_dialog,
            "export.dialog": self.open_export_dialog,
            "file.close": self.close_pattern,
            "file.quit": self.close,
            "edit.undo": self.document.undo,
            "edit.redo": self.document.redo,
            "edit.remove_confetti": self.remove_confetti,
            "edit.compact": self.compact_palette,
            "stitch.outline": lambda: self.suggest_outline(),
            "stitch.outline_paint": lambda: self.suggest_outline(in_paint_colour=True),
            "stitch.smooth": lambda: self.smooth_diagonal_edges(),
            "edit.reduce": self.reduce_colors,
            "edit.merge_rare": self.merge_rare_colors,
            "edit.clear_background": self.clear_background,
            "edit.settings": self.open_settings,
            "edit.stash": self.open_stash_dialog,
            "tool.select": lambda on: on and self.set_tool("select"),
            "tool.paint": lambda on: on and self.set_tool("paint"),
            "tool.fill": lambda on: on and self.set_tool("fill"),
            "tool.pick": lambda on: on and self.set_tool("pick"),
            "tool.pan": lambda on: on and self.set_tool("pan"),
            "tool.backstitch": lambda on: on and self.set_tool("backstitch"),
            "tool.part": lambda on: on and self.set_tool("part"),
            "tool.knot": lambda on: on and self.set_tool("knot"),
            "tool.erase_stitch": lambda on: on and self.set_tool("erase_stitch"),
            "view.zoom_in": lambda: c.zoom_by(1.25),
            "view.zoom_out": lambda: c.zoom_by(0.8),
            "view.fit": c.fit,
            "view.grid": self._show_grid,
            "view.symbols": self._show_symbols,
            "view.parts": lambda on: self._show_layer("show_parts", on),
            "view.backstitch": lambda on: self._show_layer("show_backstitch", on),
            "view.knots": lambda on: self._show_layer("show_points", on),
            "view.source": self.view.show_source,
            "make.run": lambda: self.make(self.source_panel.request()),
            "job.cancel": self.jobs.cancel,
            "models.manager": self.open_model_manager,
            "help.guide": lambda: self._show_dialog("guide"),
            "help.shortcuts": lambda: self._show_dialog("shortcuts"),
            "help.about": self.about,
        }

    # ------------------------------------------------------------------------------------------- jobs

    def run_job(self, title: str, fn: Callable[..., Any], *args: Any, then: Callable[[Any], None],
                quiet: bool = False) -> bool:
        """Start a job through the bridge; ``then(result)`` runs when it finishes. False if one is running.
        A ``quiet`` job (a live preview) reports failure in the status bar, never in a dialog."""
        if self.jobs.busy:
            self.statusBar().showMessage("Please wait for the current job to finish (or cancel it).", 5000)
            return False
        self._after_job, self._job_title, self.quiet_job = then, title, quiet
        self.progress.start(title)
        self.jobs.start(fn, *args)
        return True

    def _job_finished(self, result: Any) -> None:
        then, self._after_job = self._after_job, None
        self.progress.finish()
        if then is not None:
            then(result)
        self.live.job_ended()

    def _job_cancelled(self, partial: Any) -> None:
        self._after_job = None
        self.progress.finish()
        if self.quiet_job:
            self.live.job_ended()
            return
        self.statusBar().showMessage(f"{self._job_title}: stopped.", 8000)
        pattern = getattr(partial, "pattern", None)  # an interrupted AI run hands back its pattern so far
        if isinstance(pattern, Pattern) and errors.ask_yes_no(
            self, "Keep the unfinished pattern?", "The AI run was stopped. Keep the pattern it had made so far?",
            "Keep it", "Discard",
        ):
            self.document.open(pattern, photo=self.source_panel.photo, photo_path=self.source_panel.photo_path,
                               saved=False)

    def _job_failed(self, error: BaseException) -> None:
        from ..addon import AddonMissingError
        from ..models import ModelMissingError  # cheap: the model store imports torch only when loading

        self._after_job = None
        self.progress.finish()
        if self.stash_failed(error, quiet=self.quiet_job):  # "Only what I have" could not: its ways out
            if self.quiet_job:
                self.live.job_ended()
            return
        if self.quiet_job:  # a live preview: say it in the status bar, never a dialog per keystroke
            self.statusBar().showMessage("Preview not updated: " + errors.describe(error).text, 10000)
            self.live.job_ended()
            return
        if isinstance(error, AddonMissingError):
            if errors.ask_yes_no(self, "Install the AI engine?",
                                 "AI generation needs the AI engine (PyTorch and Stable Diffusion's libraries), "
                                 "a one-time download that PixlCraft installs for you. Open the AI models "
                                 "window to install it now?", "Open AI Models…", "Not now"):
                self.open_model_manager()
            return
        action = getattr(error, "action", "")
        if action and action in self.actions.ids():  # the core names the window's own fix: offer it
            title = "AI models needed" if isinstance(error, ModelMissingError) else "PixlCraft"
            label = self.actions[action].text().replace("&", "")
            if errors.ask_yes_no(self, title, errors.describe(error).text, label, "Not now"):
                self.actions[action].trigger()
            return
        errors.show_error(self, error)

    def _busy_changed(self, busy: bool) -> None:
        self.source_panel.set_busy(busy)
        self._update_state()

    # ------------------------------------------------------------------------------------------- opening

    def maybe_save(self) -> bool:
        """Ask before unsaved work would be lost; False means "stop, the user cancelled"."""
        if not self.document.worth_asking:
            return True
        answer = errors.ask_unsaved(self, self.document.name)
        if answer == "save":
            return self.save(wait=True)
        return answer == "discard"

    def open_dialog(self) -> None:
        folder = str(self.document.path.parent) if self.document.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo or pattern", folder, OPEN_FILTER)
        if path:
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a pattern file, or a photo (converted at once with the panel's choices when Classic)."""
        path = str(path)
        if self.jobs.busy:
            return False
        if not Path(path).is_file():  # check the request before asking about unsaved work, not after
            errors.show_error(self, InputError(f"cannot open {path}: there is no such file (was it moved?)."))
            self.recent.remove(path)
            return False
        if not self.maybe_save():
            return False
        if Path(path).suffix.lower() in PATTERN_SUFFIXES:
            return self.run_job(f"Opening {Path(path).name}", load_pattern_job, path,
                                then=lambda pattern: self._opened_pattern(path, pattern))
        request = self.source_panel.request()
        request.photo_path = path
        if request.method == "classic":
            request = self.source_panel.confirm_cleanup(self, request)  # a long PASD clean-up: ask first
            if request is None:
                return False
            return self.run_job("Making the pattern", request_job(request), request,
                                then=lambda made: self._made(made, path))
        return self.run_job(f"Opening {Path(path).name}", load_photo_job, path,
                            then=lambda photo: self._photo_loaded(path, photo))

    def _opened_pattern(self, path: str, loaded) -> None:
        pattern, photo = loaded
        self.recent.add(path)
        # a photo kept inside the file: shown beside the pattern, and "Make pattern" can start from it again
        self.source_panel.set_photo(path if photo is not None else "", photo)
        if photo is not None:
            self.view.source.set_photo(photo.srgb)
        self.source_panel.show_pattern(pattern)
        self.document.open(pattern, path=path, photo=photo, photo_path=path if photo is not None else "")
        from ..formats.oxs import skipped_summary

        note = skipped_summary(pattern)
        if note:  # never a silent loss
            errors.show_info(self, "Parts of this chart were left out", note)
        self.statusBar().showMessage(f"Opened {Path(path).name}", 5000)

    def _photo_loaded(self, path: str, photo) -> None:
        self.recent.add(path)
        if path != self.source_panel.photo_path:
            self.source_panel.new_photo_chosen()  # a prompt and adjustments describe one photo, not the next
        self.source_panel.set_photo(path, photo)
        self.view.source.set_photo(photo.srgb)
        self.actions["view.source"].setChecked(True)
        self.view.show_source(True)
        self._update_state()

    def make(self, request: MakeRequest, *, quiet: bool = False) -> bool:
        """Make a pattern from the panel's request (classic or AI), replacing the open one after asking.
        ``quiet``: a live preview of the panel's choices (nothing to ask, no dialogs)."""
        if self.jobs.busy:
            return False
        save_choices({**load_choices(), **self.source_panel.choices()})  # the next launch starts here
        try:
            check_request(request)  # a request that cannot run fails now, before any "save changes?" question
        except PixlcraftError as exc:
            if quiet:
                self.statusBar().showMessage("Preview not updated: " + errors.describe(exc).text, 10000)
            else:
                self._job_failed(exc)
            return False
        photo = self.source_panel.photo if request.photo_path == self.source_panel.photo_path else None
        request = self.source_panel.confirm_cleanup(self, request, photo, quiet=quiet)  # a long PASD run: ask
        if request is None:
            return False
        if not quiet and not self.maybe_save():
            return False
        title = "Generating with AI" if request.method == "ai" else \
            ("Updating the preview" if quiet else "Making the pattern")
        return self.run_job(title, request_job(request), request, photo,
                            then=lambda made: self._made(made, request.photo_path), quiet=quiet)

    def _made(self, made: MadePattern, photo_path: str) -> None:
        if photo_path:
            self.recent.add(photo_path)
        if photo_path != self.source_panel.photo_path:
            self.source_panel.new_photo_chosen()  # a prompt and adjustments describe one photo, not the next
        self.source_panel.set_photo(photo_path, made.photo)
        self.document.open(made.pattern, photo=made.photo, photo_path=photo_path, cell_lab=made.cell_lab,
                           saved=False, precious=_maker(made.pattern) == "sd-pixl")
        stats = made.stats
        cleaned = self.source_panel.cleanup_made(made)  # what the clean-up did (Automatic's choice, PASD's prompt)
        if stats:
            removed = made.confetti_removed
            confetti = f" · {removed} confetti cells removed" if removed else ""
            confetti += self.stash_made(made) + (f" · {cleaned}" if cleaned else "")
            self.statusBar().showMessage(
                f"Made the {made.pattern.width}×{made.pattern.height} pattern with {int(stats.get('colors_used', 0))} "
                f"colours · average colour difference ΔE {stats.get('mean_delta_e', 0):.1f}{confetti}", 10000)
        elif cleaned:
            self.statusBar().showMessage(cleaned, 15000)

    def close_pattern(self) -> None:
        if self.maybe_save():
            self.autosaver.discard()
            self.document.close()

    # ------------------------------------------------------------------------------------------- saving

    def save(self, *, wait: bool = False) -> bool:
        if self.document.path is None or self.document.path.suffix.lower() != ".pixl":
            return self.save_as_dialog(wait=wait)
        return self.save_to(self.document.path, wait=wait)

    def save_as_dialog(self, *, wait: bool = False) -> bool:
        if not self.document.is_open:
            return False
        if self.document.path:
            suggested = self.document.path.with_suffix(".pixl")
        else:  # beside the photo it was made from (where the exports go too), else the home folder
            folder = Path(self.document.photo_path).parent if self.document.photo_path else Path.home()
            suggested = (folder if folder.is_dir() else Path.home()) / f"{self.document.name}.pixl"
        path, _ = QFileDialog.getSaveFileName(self, "Save pattern", str(suggested), "PixlCraft pattern (*.pixl)")
        if not path:
            return False
        if not path.lower().endswith(".pixl"):
            path += ".pixl"  # the dialog asked about the name as typed; this one it has not asked about
            if Path(path).exists() and not errors.ask_yes_no(
                    self, "Replace pattern?", f"{Path(path).name} already exists. Replace it?", "Replace", "Cancel"):
                return False
        return self.save_to(path, wait=wait)

    def save_to(self, path: str | Path, *, wait: bool = False) -> bool:
        """Save as .pixl on a worker (a snapshot, so editing may go on). ``wait`` blocks until written —
        used only when the window is about to close or replace the pattern."""
        if self.document.pattern is None:
            return False
        if errors.refuse_photo(self, path, (self.document.photo_path,), "saving"):
            return False
        revision = self.document.revision
        snapshot = self.document.pattern.copy()
        photo = self.document.photo if self.settings.embed_photo else None
        ok = self.run_job(f"Saving {Path(path).name}", save_pixl_job, snapshot, str(path), photo,
                          then=lambda written: self._saved(written, revision))
        if ok and wait:
            self.jobs.wait()
            return not self.document.dirty
        return ok

    def _saved(self, path: Path, revision: int) -> None:
        self.recent.add(path)
        if self.document.mark_saved(path, revision):
            self.autosaver.discard()
        self.statusBar().showMessage(f"Saved {path.name}", 5000)

    def _autosave_tick(self) -> None:
        doc = self.document
        self.autosaver.tick(doc.pattern, revision=doc.revision, clean=not doc.dirty, document=doc.path)

    # ------------------------------------------------------------------------------------------- recent files

    def _fill_recent(self, menu: QMenu | None = None) -> None:
        menu = menu or self.recent_menu
        menu.clear()
        items = self.recent.items()
        for path in items:
            action = menu.addAction(path.name)
            action.setToolTip(str(path))
            action.triggered.connect(lambda _=False, p=path: self.open_path(p))
        if not items:
            menu.addAction("No recent files").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("Clear list", lambda: self.recent.clear())

    def _recent_popup(self) -> QMenu:
        menu = QMenu(self)
        menu.aboutToShow.connect(lambda: self._fill_recent(menu))
        return menu

    # ------------------------------------------------------------------------------------------- views

    def _pattern_replaced(self) -> None:
        doc = self.document
        pattern = doc.pattern
        self.canvas.set_pattern(pattern)
        self.legend.set_pattern(pattern)
        has_photo = doc.photo is not None
        self.view.source.set_photo(doc.photo.srgb if has_photo else None)
        self.view.source.set_crop_fraction(crop_fraction(pattern))
        self.view.show_source(has_photo and self.actions["view.source"].isChecked())
        self.paint_color = None
        self.canvas.paint_rgb = None
        if pattern is not None:
            counts = pattern.counts()
            if counts.any():
                self.set_paint_index(int(counts.argmax()))
                self.legend.select_index(int(counts.argmax()))
        self._update_state()

    def _pattern_edited(self, event) -> None:
        self.canvas.refresh()
        self.legend.set_pattern(self.document.pattern)
        self._update_info()
        self.refresh_hover()

    def _update_state(self) -> None:
        doc = self.document
        stack = doc.stack
        state = {
            "pattern": doc.is_open,
            "idle": not self.jobs.busy,
            "job": self.jobs.busy,
            "undo": bool(stack and stack.can_undo),
            "redo": bool(stack and stack.can_redo),
            "photo": self.view.source.has_photo,
            "stitch": doc.is_open and doc.pattern.palette.material.craft == "stitch",
            "pattern_photo": doc.is_open and doc.photo is not None,
        }
        self.actions.update(state)
        undo, redo = self.actions["edit.undo"], self.actions["edit.redo"]
        undo.setText(f"&Undo {stack.undo_label}" if stack and stack.can_undo else "&Undo")
        redo.setText(f"&Redo {stack.redo_label}" if stack and stack.can_redo else "&Redo")
        self.setWindowTitle(f"{doc.name}[*] — PixlCraft" if doc.is_open else "PixlCraft")
        self.setWindowModified(doc.dirty)
        self._update_info()

    # ------------------------------------------------------------------------------------------- window events

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and not self.jobs.busy:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            if url.isLocalFile():
                event.acceptProposedAction()
                self.open_path(url.toLocalFile())
                return

    def busy_runners(self) -> list[JobRunner]:
        """Every bridge of the window and its panels that has a job running."""
        return [r for r in self.findChildren(JobRunner) if r.busy]

    def stop_jobs(self, timeout_s: float = 30.0) -> None:
        """Cancel every running job and wait for it: a thread must never outlive the window."""
        for runner in self.busy_runners():
            runner.cancel()
        for runner in self.busy_runners():
            runner.wait(timeout_s)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if self.jobs.busy:
            self.jobs.cancel()
            self.jobs.wait(30)
        if not self.maybe_save():
            event.ignore()
            return
        self.stop_jobs()
        self.autosave_timer.stop()
        self.autosaver.discard()
        save_choices({**load_choices(), **self.source_panel.choices()})
        event.accept()


def request_job(request: MakeRequest):
    """The job function for a request: classic (no torch) or AI (imports the pipeline on the worker)."""
    from .source_panel import make_ai, make_classic

    return make_ai if request.method == "ai" else make_classic


def _brand_palette(pattern: Pattern):
    from ..edit import brand_palette

    return brand_palette(pattern)


def crop_fraction(pattern: Pattern | None) -> tuple[float, float, float, float] | None:
    """The part of its photo a pattern was made from, as fractions (from its recipe), or None for all of it."""
    recipe = pattern.metadata.get("recipe", {}) if pattern is not None else {}
    crop, size = (recipe.get("crop"), recipe.get("photo_size")) if isinstance(recipe, dict) else (None, None)
    if not (isinstance(crop, list) and len(crop) == 4 and isinstance(size, list) and len(size) == 2):
        return None
    try:
        w, h = float(size[0]), float(size[1])
        return (crop[0] / w, crop[1] / h, crop[2] / w, crop[3] / h)
    except (TypeError, ZeroDivisionError):
        return None


def _maker(pattern: Pattern) -> str | None:
    """What made a pattern ("classic", "sd-pixl"), as its recipe metadata records it."""
    recipe = pattern.metadata.get("recipe")
    return recipe.get("maker") if isinstance(recipe, dict) else None
