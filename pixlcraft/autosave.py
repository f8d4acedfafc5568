"""Autosave: unsaved work is written to the user data folder now and then, so a crash loses little.

Each open document gets its own :class:`Autosaver` and file pair in the autosave folder: ``autosave-<pid>-
<token>.pixl`` (the pattern, through :func:`~pixlcraft.pattern.save_pixl`, so atomic) and a ``.json`` beside it
with what the pattern file cannot say: which document it belongs to, its title, when it was written. The undo
history is not kept — recovery gives back the pattern as it was, which is what matters after a crash.

The GUI calls :meth:`Autosaver.tick` from a timer every few seconds; it writes only when the pattern changed
since the last write and the interval has passed, and deletes the files once the pattern is saved (clean).
At start-up :func:`find_recoverable` lists the files left by sessions that are no longer running.

``$PIXLCRAFT_AUTOSAVE_DIR`` replaces the per-user folder (tests, portable installs).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .fileio import atomic_write, readable, sweep_stale
from .pattern import Pattern, load_pixl, save_pixl

__all__ = ["AUTOSAVE_DIR_ENV", "Autosaver", "Recovery", "autosave_dir", "find_recoverable"]

AUTOSAVE_DIR_ENV = "PIXLCRAFT_AUTOSAVE_DIR"
FORMAT = "pixlcraft-autosave"
FORMAT_VERSION = 1
_NAME = re.compile(r"autosave-(\d+)-([0-9a-f]+)\.pixl")
_MAX_INFO_BYTES = 256 * 1024


def autosave_dir() -> Path:
    """``$PIXLCRAFT_AUTOSAVE_DIR`` or ``<user data folder>/autosave``."""
    env = os.environ.get(AUTOSAVE_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pixlcraft", appauthor=False)) / "autosave"


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="seconds")


def _process_alive(pid: int) -> bool:
    """Whether a process with this id runs now (so its autosave is live work, not something to recover).

    A recycled process id can make a dead session look alive; its files are then offered once that process
    ends — never lost, only later.
    """
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists (POSIX)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


@dataclass(frozen=True)
class Recovery:
    """Work left behind by a session that ended without saving (usually a crash)."""

    pattern_path: Path
    info_path: Path
    document: Path | None
    """The file the user was editing, or ``None`` for a pattern never saved."""
    title: str
    saved: str
    """When the autosave was written (ISO 8601 local time; "" if unknown)."""
    pid: int

    def load(self) -> Pattern:
        """The autosaved pattern (:class:`~pixlcraft.errors.PatternFileError` if the file is damaged).

        After loading, call :meth:`discard`: the new session autosaves the work under its own name.
        """
        return load_pixl(self.pattern_path)

    def discard(self) -> None:
        for p in (self.pattern_path, self.info_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass


def _read_info(path: Path) -> dict:
    try:
        if path.stat().st_size > _MAX_INFO_BYTES:
            return {}
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else {}


def find_recoverable(folder: str | os.PathLike[str] | None = None, include_running: bool = False) -> list[Recovery]:
    """Autosaves of sessions that are not running any more, newest first.

    A pattern file whose description is missing or damaged is still listed (title from the file name, time
    from the file) — the pattern is what matters. ``include_running`` also lists live sessions' files.
    """
    root = Path(folder) if folder is not None else autosave_dir()
    if not root.is_dir():
        return []
    found: list[tuple[float, Recovery]] = []
    for pattern_path in root.glob("autosave-*.pixl"):
        m = _NAME.fullmatch(pattern_path.name)
        if m is None or not pattern_path.is_file():
            continue
        pid = int(m.group(1))
        if not include_running and _process_alive(pid):
            continue
        info_path = pattern_path.with_suffix(".json")
        info = _read_info(info_path)
        document = info.get("document")
        title = info.get("title")
        saved = info.get("saved")
        try:
            mtime = pattern_path.stat().st_mtime
        except OSError:
            continue
        if not isinstance(saved, str):
            saved = _dt.datetime.fromtimestamp(mtime).astimezone().isoformat(timespec="seconds")
        rec = Recovery(
            pattern_path=pattern_path,
            info_path=info_path,
            document=Path(document) if isinstance(document, str) and document else None,
            title=title if isinstance(title, str) and title else "Untitled",
            saved=saved,
            pid=pid,
        )
        found.append((mtime, rec))
    found.sort(key=lambda t: t[0], reverse=True)
    return [rec for _, rec in found]


class Autosaver:
    """Keeps one document's unsaved work safe. ``interval_s`` ≤ 0 switches writing off (clean-up still runs).

    ``clock`` (seconds, monotonic) can be replaced in tests.
    """

    def __init__(
        self,
        interval_s: float = 120.0,
        folder: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval_s = float(interval_s)
        self.folder = Path(folder) if folder is not None else autosave_dir()
        if self.folder.is_dir():
            sweep_stale(self.folder)  # temp files of a session that was killed mid-write
        self._clock = clock
        stem = f"autosave-{os.getpid()}-{secrets.token_hex(4)}"
        self.pattern_path = self.folder / f"{stem}.pixl"
        self.info_path = self.folder / f"{stem}.json"
        self._saved_revision: int | None = None
        self._last_write = clock()

    @property
    def has_file(self) -> bool:
        return self.pattern_path.exists()

    def due(self, revision: int) -> bool:
        """Whether :meth:`tick` would write now for a dirty pattern at ``revision``."""
        return (self.interval_s > 0 and revision != self._saved_revision
                and self._clock() - self._last_write >= self.interval_s)

    def tick(self, pattern: Pattern | None, *, revision: int, clean: bool,
             document: str | os.PathLike[str] | None = None) -> bool:
        """Call every few seconds. Writes when the pattern is dirty, changed since the last write and the
        interval has passed; removes the files when the pattern is clean (saved). True when it wrote.

        ``revision`` is any number that changes whenever the pattern does (``UndoStack.revision``).
        Failing to write (full disk) is not an error here: autosave must never interrupt the user.
        """
        if pattern is None or clean:
            self.discard()
            self._saved_revision = revision
            return False
        if not self.due(revision):
            return False
        try:
            self.save_now(pattern, revision=revision, document=document)
        except (InputError, OSError):
            self._last_write = self._clock()  # try again after another interval, not on every tick
            return False
        return True

    def save_now(self, pattern: Pattern, *, revision: int | None = None,
                 document: str | os.PathLike[str] | None = None) -> Path:
        """Write the autosave files at once (raises :class:`~pixlcraft.errors.InputError` if it cannot)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"cannot create the autosave folder {self.folder}: {e.strerror or e}.") from None
        save_pixl(pattern, self.pattern_path)
        title = pattern.metadata.get("title")
        info = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "pid": os.getpid(),
            "document": str(Path(document).absolute()) if document else None,
            "title": title if isinstance(title, str) and title else (readable(Path(document).stem) if document else ""),
            "saved": _now(),
            "revision": revision,
        }
        with atomic_write(self.info_path, "w") as f:
            json.dump(info, f, indent=1, ensure_ascii=False)
        self._saved_revision = revision
        self._last_write = self._clock()
        return self.pattern_path

    def discard(self) -> None:
        """Remove this document's autosave files (after a save, or on a clean close)."""
        for p in (self.pattern_path, self.info_path):
            try:
                p.unlink()
            except FileNotFoundError:
                pass
            except OSError:
                pass  # a locked file goes at the next start-up's clean-up instead
