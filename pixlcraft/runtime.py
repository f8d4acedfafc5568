"""Where the program runs: a source checkout, a pip install, or the frozen (installed) app.

The installed app is a PyInstaller bundle: there is no ``python`` to run ``-m`` modules with, the package's
folder is read-only (``/opt/pixlcraft``, ``Program Files``, a signed ``.app``), and the AI engine lives in a
per-user add-on folder (:mod:`pixlcraft.addon`). Everything that differs between those cases is decided here,
once, so the rest of the code asks :func:`module_command` for a child process and never looks at
``sys.frozen`` itself.

:func:`prepare` runs first thing in both entry points (the CLI and the window):

* numba's on-disk cache normally sits beside the source files (``__pycache__``); in the bundle that folder is
  read-only, so the compiled kernels go to the user's cache folder, where the second run finds them;
* the AI add-on's folder, when installed, joins the end of ``sys.path`` (the bundle's own copies of numpy and
  Pillow stay first, so the add-on never replaces a library the classic path was tested with).
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Sequence
from pathlib import Path

#: The hidden first argument with which the frozen CLI runs a module as ``python -m`` would.
RUN_MODULE_FLAG = "--pixlcraft-run-module"

_prepared = False
# The package data folders and where they sit in the repository (pyproject.toml maps one to the other).
_SOURCE_FOLDERS = {"pixlcraft._resources": "resources", "pixlcraft._palettes": "palettes"}


def frozen() -> bool:
    """True inside the installed (PyInstaller) app."""
    return bool(getattr(sys, "frozen", False))


def bundle_dir() -> Path | None:
    """The folder of the installed app's executables (None when running from source)."""
    return Path(sys.executable).resolve().parent if frozen() else None


def resource(package: str, *parts: str):
    """A data file of ``package`` (``pixlcraft._resources``, ``pixlcraft._palettes``) as a Traversable, from
    the installed package or, when running from a source checkout, from the repository's folder.

    Joined one part at a time: in the installed app these data folders are namespace packages, whose
    ``MultiplexedPath.joinpath`` takes a single name on Python 3.11."""
    from importlib.resources import files

    try:
        node = files(package)
    except ModuleNotFoundError:  # a source checkout or an editable install: the folders at the top
        node = Path(__file__).resolve().parent.parent / _SOURCE_FOLDERS[package]
    for part in parts:
        node = node.joinpath(part)
    return node


def user_cache_dir() -> Path:
    """PixlCraft's own cache folder (``PIXLCRAFT_CACHE_DIR`` overrides it)."""
    override = os.environ.get("PIXLCRAFT_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir as _cache

    return Path(_cache("pixlcraft", appauthor=False))


def numba_cache_dir() -> Path:
    return user_cache_dir() / "numba"


def prepare() -> None:
    """Set up the process for this kind of install; cheap, idempotent, imports nothing heavy."""
    global _prepared
    if _prepared:
        return
    _prepared = True
    if frozen() and not os.environ.get("NUMBA_CACHE_DIR"):
        # numba reads this when it is first imported, which is later (with the first pattern)
        os.environ["NUMBA_CACHE_DIR"] = str(numba_cache_dir())
    from . import addon

    addon.activate()


def cli_executable() -> Path:
    """The frozen ``pixlcraft`` command beside the running executable (the window's bundle has both)."""
    folder = bundle_dir()
    if folder is None:
        raise RuntimeError("cli_executable() is only meaningful in the installed app")
    name = "pixlcraft.exe" if sys.platform == "win32" else "pixlcraft"
    return folder / name


def module_command(module: str, *args: str) -> list[str]:
    """The command line that runs ``python -m module args…`` in this install, frozen or not."""
    if frozen():
        return [str(cli_executable()), RUN_MODULE_FLAG, module, *args]
    return [sys.executable, "-m", module, *args]


def run_module_from_argv(argv: Sequence[str]) -> int | None:
    """In a frozen entry point: run ``argv = [RUN_MODULE_FLAG, module, args…]`` like ``python -m``.

    Returns the exit code, or None when ``argv`` is an ordinary command line for the caller to handle.
    """
    if not argv or argv[0] != RUN_MODULE_FLAG:
        return None
    if len(argv) < 2:
        print(f"{RUN_MODULE_FLAG} needs a module name", file=sys.stderr)
        return 2
    module = argv[1]
    sys.argv = [module, *argv[2:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    return 0
