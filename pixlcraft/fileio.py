"""Writing files so that a failure never leaves half a file behind.

Every pattern file and export goes through :func:`atomic_write`: the bytes go to a temporary file next to the
target and only a complete, flushed file is renamed over it. A crash, a full disk or a cancelled export
therefore leaves either the old file or the new one, never a truncated mix — and never a stray temp file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
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

    ``os.open`` with mode 0o666 lets the process umask decide the permissions, exactly as for a file written
    directly; ``mkstemp`` would make every saved pattern private (0o600) instead.
    """
    for _ in range(100):
        tmp = folder / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o666)
        except FileExistsError:
            continue
        except OSError as e:
            raise InputError(f"cannot write {path}: {_reason(e)}.") from None
        return fd, tmp
    raise InputError(f"cannot write {path}: could not create a temporary file in {folder}.")


@contextmanager
def atomic_write(
    path: str | os.PathLike[str], mode: str = "wb", *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[Any]]:
    """Yield a file object whose contents replace ``path`` only if the ``with`` block finishes.

    ``mode`` is ``"wb"`` (bytes) or ``"w"`` (text, ``encoding``/``newline`` as for :func:`open`). Problems the
    user can fix (missing or read-only folder, full disk) become :class:`InputError` ("cannot write …");
    any other exception from the block is re-raised unchanged after the temp file is removed.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write supports mode 'wb' or 'w', not {mode!r}")
    target = Path(path)
    folder = _check_target(target)
    refuse_input(target)
    fd, tmp = _create_temp(target, folder)
    try:
        try:
            if mode == "wb":
                f = os.fdopen(fd, "wb")
            else:
                f = os.fdopen(fd, "w", encoding=encoding, newline=newline)
        except BaseException:
            os.close(fd)
            raise
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        try:
            # Keep the permissions of a file being overwritten (e.g. one the user made read-only for others).
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        except OSError:
            pass
        os.replace(tmp, target)
    except OSError as e:
        _remove_quietly(tmp)
        raise InputError(f"cannot write {target}: {_reason(e)}.") from None
    except BaseException:
        _remove_quietly(tmp)
        raise


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
