"""Writing files so that a failure never leaves half a file behind.

Every pattern file and export goes through :func:`atomic_write`: the bytes go to a temporary file next to the
target and only a complete, flushed file is renamed over it. A crash, a full disk or a cancelled export
therefore leaves either the old file or the new one, never a truncated mix. A process killed outright can
leave its temp file, or a set of files half renamed (:func:`write_set`); the next write into that folder
tidies both (:func:`sweep_stale`). While a command runs, the files it reads cannot be written over
(:func:`protect_inputs`).
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from .errors import InputError

_BINARY = getattr(os, "O_BINARY", 0)  # Windows needs it for untranslated bytes; 0 elsewhere
_INPUTS: ContextVar[tuple[Path, ...]] = ContextVar("pixlcraft_inputs", default=())


def readable(text: str | os.PathLike[str]) -> str:
    """A file name or path as text that can be written anywhere (JSON, XML, PDF, the screen).

    A name that is not UTF-8 on disk (``caf\\xe9.jpg`` from an old Latin-1 system) reaches Python with lone
    surrogates, which no UTF-8 writer accepts; such bytes are read as Latin-1 instead, which is what they
    almost always are."""
    s = os.fspath(text)
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        try:
            raw = s.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:  # a surrogate that did not come from a file name
            return s.encode("utf-8", "replace").decode("utf-8")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when both names reach one file on disk: the same path, a symlink or a hard link to it."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError):
        return False


@contextmanager
def protect_inputs(*paths: str | os.PathLike[str] | None) -> Iterator[None]:
    """While the block runs, :func:`atomic_write` refuses to replace any of ``paths`` (the files a command reads):
    ``convert photo.png -o photo.png`` must not turn the photo into a 40-pixel picture."""
    found = tuple(Path(p) for p in paths if p and Path(p).is_file())
    token = _INPUTS.set(_INPUTS.get() + found)
    try:
        yield
    finally:
        _INPUTS.reset(token)


def refuse_input(target: str | os.PathLike[str]) -> None:
    """:class:`InputError` if ``target`` is one of the files protected by :func:`protect_inputs`."""
    for source in _INPUTS.get():
        if same_file(target, source):
            how = "" if Path(target).absolute() == source.absolute() else f" ({target} leads to {source})"
            raise InputError(f"will not write {target}: it is the input file{how}, and writing it would replace "
                             "what is being read. Choose another output name.")


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _check_target(path: Path) -> Path:
    if path.name in ("", ".", ".."):
        raise InputError(f"cannot write {path}: that is a folder, not a file name.")
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a folder.")
    folder = path.parent
    if not folder.exists():
        raise InputError(f"cannot write {path}: the folder {folder} does not exist.")
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: {folder} is not a folder.")
    return folder


def _create_temp(path: Path, folder: Path) -> tuple[int, Path]:
    """A new, exclusive temp file in the target's folder (same file system, so the rename is atomic).

    The name carries our process id, so a later run can tell a temp file left by a killed process from one
    being written right now (:func:`sweep_stale`). ``os.open`` with mode 0o666 lets the process umask decide the
    permissions, exactly as for a file written directly; ``mkstemp`` would make every saved pattern private.
    """
    for _ in range(100):
        tmp = folder / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(f"cannot write {path}: {_reason(e)}.") from None
        return fd, tmp
    raise InputError(f"cannot write {path}: could not create a temporary file in {folder}.")


@contextmanager
def _staged(target: Path, mode: str, encoding: str, newline: str | None) -> Iterator[tuple[IO[Any], Path]]:
    """A complete, flushed temp file for ``target`` (the caller renames it); removed if the block fails."""
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write supports mode 'wb' or 'w', not {mode!r}")
    folder = _check_target(target)
    refuse_input(target)
    fd, tmp = _create_temp(target, folder)
    try:
        try:
            f = os.fdopen(fd, "wb") if mode == "wb" else os.fdopen(fd, "w", encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            raise
        with f:
            yield f, tmp
            f.flush()
            os.fsync(f.fileno())
        try:
            # Keep the permissions of a file being overwritten (e.g. one the user made read-only for others).
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        except OSError:
            pass
    except OSError as e:
        _remove_quietly(tmp)
        raise InputError(f"cannot write {target}: {_reason(e)}.") from None
    except BaseException:
        _remove_quietly(tmp)
        raise


@contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Yield a file object whose contents replace ``path`` only if the ``with`` block finishes.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text, ``encoding``/``newline`` as for :func:`open`). Problems the
    user can fix (missing or read-only folder, full disk) become :class:`InputError` ("cannot write …");
    any other exception from the block is re-raised unchanged after the temp file is removed.
    """
    target = Path(path)
    sweep_stale(target.parent)
    with _staged(target, mode, encoding, newline) as (f, tmp):
        yield f
    try:
        os.replace(tmp, target)
    except OSError as e:
        _remove_quietly(tmp)
        raise InputError(f"cannot write {target}: {_reason(e)}.") from None


def write_set(files: Sequence[tuple[str | os.PathLike[str], bytes]]) -> list[Path]:
    """Write files that belong together (a chart in colour and in black and white) so that they are all from
    this call or all as before.

    Every file goes to its temp file first; only when all are complete is a small journal written naming each
    temp and its target, then the temps are renamed and the journal removed. A process killed during the
    renames leaves the journal behind, and the next write into that folder (:func:`sweep_stale`) finishes the
    renames, so the set never stays mixed."""
    targets = [Path(p) for p, _ in files]
    folder = targets[0].parent
    if any(t.parent != folder for t in targets):
        raise ValueError("write_set writes files side by side in one folder (its journal names them there)")
    sweep_stale(folder)
    staged: list[Path] = []
    try:
        with ExitStack() as stack:
            for target, (_, data) in zip(targets, files, strict=True):
                f, tmp = stack.enter_context(_staged(target, "wb", "utf-8", None))
                f.write(data)
                staged.append(tmp)
    except BaseException:  # one failed: the others, complete or not, go too
        for tmp in staged:
            _remove_quietly(tmp)
        raise
    # every temp file is now complete and flushed
    journal = folder / f".{targets[0].name}.{os.getpid()}-{secrets.token_hex(4)}.set"
    try:
        with open(journal, "w", encoding="utf-8") as j:
            json.dump([[t.name, target.name] for t, target in zip(staged, targets, strict=True)], j)
            j.flush()
            os.fsync(j.fileno())
        for tmp, target in zip(staged, targets, strict=True):
            os.replace(tmp, target)
    except OSError as e:
        for tmp in staged:
            _remove_quietly(tmp)
        _remove_quietly(journal)
        raise InputError(f"cannot write {targets[0]}: {_reason(e)}.") from None
    _remove_quietly(journal)
    return targets


_OURS = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.(?P<kind>tmp|set)$")
STALE_AFTER_S = 24 * 3600
"""Where a process cannot be asked whether it still runs (Windows), a temp file this old is left over."""


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # unknown: the age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process, alive
        return True
    return True


def sweep_stale(folder: str | os.PathLike[str]) -> int:
    """Finish or remove what killed writers left in ``folder``: journals are rolled forward (their complete
    temps renamed into place), then stray temp files are deleted. Returns how many files were tidied."""
    import time

    tidied = 0
    try:
        found = [(e, m) for e in os.scandir(folder) if e.name.startswith(".") and (m := _OURS.match(e.name))]
    except OSError:
        return 0
    now = time.time()

    def stale(entry: os.DirEntry, pid: int) -> bool:
        try:
            old = now - entry.stat().st_mtime > STALE_AFTER_S
        except OSError:
            return False
        return old or not _alive(pid)

    for entry, m in sorted(found, key=lambda em: em[1]["kind"] != "set"):  # journals first
        if not stale(entry, int(m["pid"])):
            continue
        if m["kind"] == "set":
            try:
                with open(entry.path, encoding="utf-8") as j:
                    pairs = json.load(j)
                for tmp_name, target_name in pairs:
                    tmp = Path(folder) / str(tmp_name)
                    if tmp.is_file() and "/" not in str(target_name) and os.sep not in str(target_name):
                        os.replace(tmp, Path(folder) / str(target_name))
                        tidied += 1
            except (OSError, ValueError, TypeError):
                pass
        _remove_quietly(Path(entry.path))
        tidied += 1
    return tidied


def _remove_quietly(tmp: Path) -> None:
    try:
        os.unlink(tmp)
    except OSError:
        pass


def existing_file(path: str | os.PathLike[str], what: str = "file", error: type[InputError] = InputError) -> Path:
    """``path`` as a Path once it is known to name a file, else ``error`` with the message a user needs."""
    p = Path(path)
    if not p.exists():
        raise error(f"{p} does not exist. Check the file name and folder.")
    if p.is_dir():
        raise error(f"{p} is a folder, not {what}.")
    if not p.is_file():  # a FIFO, socket or device would hang the read or never end
        raise error(f"{p} is not a regular file (a pipe or a device?), so it cannot be {what}.")
    return p
