"""The recent-files list of the File menu: newest first, no duplicates, files that have gone are dropped.

Stored as a small JSON file next to the settings (see :func:`pixlcraft.settings.config_dir`), written
atomically after every change so two windows or a crash never leave it half written. A damaged list is
treated as empty — it is a convenience, never a reason to fail.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import InputError
from .fileio import atomic_write
from .settings import config_dir

__all__ = ["RECENT_FILE", "RecentFiles"]

RECENT_FILE = "recent.json"
_MAX_BYTES = 1024 * 1024


def _normal(path: str | os.PathLike[str]) -> Path:
    p = Path(path).expanduser()
    try:
        return p.resolve()
    except OSError:
        return p.absolute()


class RecentFiles:
    """Up to ``max_items`` recently opened or saved files (pass ``Settings.recent_files_max``).

    ``store`` is the JSON file (default ``<config dir>/recent.json``). Every call reads the file afresh, so
    two windows share one list.
    """

    def __init__(self, max_items: int = 10, store: str | os.PathLike[str] | None = None) -> None:
        if max_items < 0:
            raise ValueError("max_items must not be negative")
        self.max_items = int(max_items)
        self.store = Path(store) if store is not None else config_dir() / RECENT_FILE

    def _read(self) -> list[Path]:
        try:
            if self.store.stat().st_size > _MAX_BYTES:
                return []
            doc = json.loads(self.store.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            return []
        items = doc.get("files") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            return []
        return [Path(p) for p in items if isinstance(p, str) and p]

    def _write(self, paths: list[Path]) -> None:
        try:
            self.store.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.store, "w") as f:
                json.dump({"files": [str(p) for p in paths]}, f, indent=1, ensure_ascii=False)
        except (InputError, OSError):
            pass  # an unwritable config folder must not break opening or saving a pattern

    def items(self) -> list[Path]:
        """Existing files, newest first, at most ``max_items``."""
        seen: set[Path] = set()
        out: list[Path] = []
        for p in self._read():
            if p in seen or not p.is_file():
                continue
            seen.add(p)
            out.append(p)
        return out[: self.max_items]

    def add(self, path: str | os.PathLike[str]) -> list[Path]:
        """Put ``path`` at the top (moving it if already listed); returns the new list."""
        p = _normal(path)
        paths = [p] + [q for q in self.items() if q != p]
        paths = paths[: self.max_items]
        self._write(paths)
        return [q for q in paths if q.is_file()]

    def remove(self, path: str | os.PathLike[str]) -> list[Path]:
        """Drop ``path`` (e.g. after it failed to open); returns the new list."""
        p = _normal(path)
        paths = [q for q in self.items() if q != p]
        self._write(paths)
        return paths

    def clear(self) -> None:
        self._write([])
