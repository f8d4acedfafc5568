"""Start the desktop app: ``python main.py [FILE]`` or ``python main.py --screenshot OUT.png [--open FILE]``.

``--screenshot`` is for the README and for checks: it opens the window (offscreen works), loads the file —
a photo is converted with the panel's default choices — waits for that job, saves a picture of the whole
window and exits with 0 (1 if the file could not be opened).

Start-up is kept light on purpose (the window should paint within about a second): nothing here imports
torch, and the core's heavier parts (OpenCV, numba) load with the first pattern.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

STYLE = """
QMainWindow, QDialog { background: #f4f1ec; }
QToolBar#mainToolbar { background: #fbfaf8; border: none; border-bottom: 1px solid #ddd5ca; spacing: 3px;
    padding: 4px 8px; }
QToolBar#mainToolbar QToolButton { padding: 4px 7px; border-radius: 5px; color: #3b3530; }
QToolBar#mainToolbar QToolButton:hover { background: #efe9e1; }
QToolBar#mainToolbar QToolButton:checked { background: #e3d8ca; }
QToolBar#mainToolbar QToolButton:disabled { color: #b5aca2; background: transparent; }
QWidget#sourcePanel, QWidget#sourceBody, QScrollArea { background: #f4f1ec; }
QFrame#section { background: #ffffff; border: 1px solid #e2dbd1; border-radius: 8px; }
QLabel#sectionTitle { font-weight: 600; color: #2f2a25; font-size: 10.5pt; }
QLabel#panelTitle { font-weight: 600; color: #2f2a25; font-size: 11pt; }
QLabel#panelHint { color: #7a7067; }
QLabel#dialogHeading { font-weight: 600; font-size: 13pt; color: #2f2a25; }
QLabel#errorText { color: #b03a2e; }
QFrame#photoDrop { background: #faf8f5; border: 2px dashed #cfc6ba; border-radius: 8px; color: #7a7067; }
QFrame#photoDrop:hover { border-color: #c0392b; }
QToolButton#segment { padding: 5px 4px; border: 1px solid #d6cdc1; background: #faf8f5; color: #3b3530; }
QToolButton#segment:checked { background: #c0392b; border-color: #a93226; color: white; }
QPushButton { padding: 5px 12px; border-radius: 5px; border: 1px solid #cfc6ba; background: #ffffff; }
QPushButton:hover { background: #f6f1ea; }
QPushButton:disabled { color: #b5aca2; }
QPushButton#primary { background: #c0392b; border: 1px solid #a93226; color: white; font-weight: 600; }
QPushButton#primary:hover { background: #cf4536; }
QPushButton#primary:disabled { background: #d9a39c; border-color: #d9a39c; }
QFrame#progressPanel { background: #fffdf9; border: none; border-top: 1px solid #ddd5ca; }
QLabel#progressTitle { font-weight: 600; }
QLabel#progressTime { color: #7a7067; }
QLabel#progressPreview { background: #efe9e1; border-radius: 4px; }
QLabel#exportPreview { background: #efe9e1; border: 1px solid #ddd5ca; border-radius: 6px; }
QProgressBar { border: 1px solid #d6cdc1; border-radius: 4px; background: #f1ede7; height: 12px;
    text-align: center; }
QProgressBar::chunk { background: #c0392b; border-radius: 3px; }
QTreeWidget, QListWidget { background: #ffffff; border: 1px solid #e2dbd1; border-radius: 6px;
    alternate-background-color: #faf8f5; }
QTreeWidget::item { padding: 2px 0; }
QScrollArea#optionsArea, QWidget#optionEditor { background: #f4f1ec; }
QListWidget#formatList::item { padding: 6px 8px; border-bottom: 1px solid #f0ebe4; }
QTreeWidget::item:selected, QListWidget::item:selected { background: #f2d7d3; color: #2f2a25; }
QHeaderView::section { background: #f7f4ef; border: none; border-bottom: 1px solid #e2dbd1; padding: 4px;
    color: #5b534b; }
QStatusBar { background: #fbfaf8; border-top: 1px solid #ddd5ca; color: #4a433c; }
QSplitter::handle { background: #e2dbd1; }
QSplitter::handle:horizontal { width: 1px; }
"""


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pixlcraft-gui", description="PixlCraft desktop window.")
    parser.add_argument("file", nargs="?", help="a photo or a pattern (.pixl, .oxs) to open")
    parser.add_argument("--open", dest="open_file", metavar="FILE", help="a photo or pattern to open")
    parser.add_argument("--screenshot", metavar="OUT.png", help="save a picture of the window and exit")
    parser.add_argument("--size", default="1440x900", metavar="WxH", help="window size for --screenshot")
    parser.add_argument("--check-system", action="store_true",
                        help="say whether the system libraries the window and Real-ESRGAN need are installed")
    return parser.parse_args(list(argv))


def create_application(argv: Sequence[str] = ()):
    """The QApplication with PixlCraft's look (reused if one exists, e.g. under pytest-qt)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "pixlcraft", *argv])
    app.setApplicationName("PixlCraft")
    app.setOrganizationName("PixlCraft")
    app.setStyle("Fusion")
    app.setStyleSheet(STYLE)
    return app


def _install_excepthook() -> None:
    """A bug in a slot shows a dialog with the details instead of silently killing the app."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        from . import errors

        previous(kind, value, tb)
        if issubclass(kind, KeyboardInterrupt):
            return
        try:
            errors.show_error(None, value.with_traceback(tb))
        except Exception:  # noqa: BLE001 - never fail while reporting a failure
            pass

    sys.excepthook = hook


def _wait_for_jobs(app, window, timeout_s: float = 120.0) -> None:
    """Let every job of the window (the file being opened, the brand list…) finish, keeping the loop alive."""
    deadline = time.monotonic() + timeout_s
    while (window.busy_runners() or not window.source_panel.brands_loaded) and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    app.processEvents()


def take_screenshot(window, path: str | Path) -> Path:
    """Render the whole window (menus and toolbar included) into a PNG."""
    out = Path(path)
    if out.parent and not out.parent.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(out)):
        raise OSError(f"could not write the screenshot {out}")
    return out


def run() -> int:
    """The installed ``pixlcraft-app`` entry point (``main.py`` calls it too)."""
    return main()


def qt_folder() -> Path | None:
    """The Qt folder (lib/, plugins/) of the installed PySide6, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def _check_system_libraries() -> str:
    """"" when Qt can load its platform plugin here, else a message naming the packages to install."""
    from .. import syslibs

    missing = syslibs.missing_for_window(qt_folder())
    return syslibs.window_message(missing) if missing else ""


def _exit_after_first_paint(window) -> None:
    """PIXLCRAFT_STARTUP_PROBE: print when the window first paints, then quit (the start-up benchmark of
    the installed app, which cannot be patched from outside)."""
    from PySide6.QtCore import QEvent, QObject

    class Probe(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                loaded = {n: n in sys.modules for n in ("torch", "numba", "cv2", "diffusers", "pixlcraft.convert")}
                print(json.dumps({"painted": time.time(), "cpu": time.process_time(), "loaded": loaded}),
                      flush=True)
                os._exit(0)
            return False

    window._startup_probe = Probe(window)
    window.installEventFilter(window._startup_probe)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from .. import runtime

    runtime.prepare()
    if args.check_system:
        from .. import syslibs

        text, ok = syslibs.report(qt_folder())
        print(text)
        return 0 if ok else 1
    if args.screenshot and not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("DISPLAY") \
            and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    problem = _check_system_libraries()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    app = create_application()
    from . import errors
    from .main_window import MainWindow

    window = MainWindow(check_recovery=not args.screenshot)
    to_open = args.open_file or args.file
    if args.screenshot:
        try:
            w, h = (int(v) for v in args.size.lower().split("x"))
        except ValueError:
            print(f"--size must look like 1440x900, not {args.size!r}", file=sys.stderr)
            return 2
        window.resize(w, h)
        failures: list[str] = []
        errors.present = lambda _parent, message: failures.append(message.text) or "cancel"
        window.show()
        app.processEvents()
        if to_open and not Path(to_open).is_file():
            print(f"cannot open {to_open}: no such file", file=sys.stderr)
            window.stop_jobs()
            return 1
        if to_open:
            window.open_path(to_open)
        _wait_for_jobs(app, window)
        take_screenshot(window, args.screenshot)
        window.stop_jobs()
        window.autosaver.discard()
        window.hide()
        for text in failures:
            print(text, file=sys.stderr)
        return 1 if failures else 0

    _install_excepthook()
    if os.environ.get("PIXLCRAFT_STARTUP_PROBE"):
        _exit_after_first_paint(window)
    window.show()
    if to_open:
        window.open_path(to_open)
    return int(app.exec())
