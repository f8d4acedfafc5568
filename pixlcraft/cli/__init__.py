"""The ``pixlcraft`` command line.

Each sub-command is one module in this package with ``add_parser(sub)`` and an ``ORDER`` for the help listing;
they are found by scanning the package, so adding a command touches no shared file. Every command turns user
problems (missing file, unknown palette, impossible size, unwritable output) into one line on stderr and exit
code 2; Ctrl+C exits 130. A traceback is shown only with ``--debug``, for bug reports.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from .. import __version__
from ..errors import Cancelled, PixlcraftError
from .common import EXIT_INTERRUPTED, EXIT_USAGE, Parser


def _command_modules() -> list:
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name in ("common",) or info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "add_parser"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 50), m.__name__))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="pixlcraft", description="Photo or prompt → cross-stitch, bead or brick pattern.")
    parser.add_argument("--version", action="version", version=f"pixlcraft {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks (for bug reports)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for mod in _command_modules():
        mod.add_parser(sub)
    _name_subcommands(parser)
    return parser


def _name_subcommands(parser: argparse.ArgumentParser) -> None:
    """Messages about a missing or unknown subcommand name it by its choices ({list,download,path}), not by
    the internal name it is stored under (models_cmd)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            if action.metavar is None:
                action.metavar = "{" + ",".join(action.choices) + "}"
            for child in action.choices.values():
                _name_subcommands(child)


EXIT_BROKEN_PIPE = 141
"""What a shell reports for a program stopped by SIGPIPE (128 + 13)."""


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush does not complain about the pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


@contextmanager
def _quiet_libraries(debug: bool) -> Iterator[None]:
    """Library warnings (Pillow, torch, transformers, diffusers) are for developers: without ``--debug`` the
    user sees only PixlCraft's own messages. Undone afterwards, for callers that run several commands."""
    import logging
    import os
    import warnings

    if debug:
        yield
        return
    for name in ("TRANSFORMERS_VERBOSITY", "DIFFUSERS_VERBOSITY"):
        os.environ.setdefault(name, "error")
    before = logging.root.manager.disable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(before)


INPUT_ARGUMENTS = ("input", "pattern", "image", "resume", "lora", "owned", "palette")
#: Free-text options: stored in patterns and printed in charts, so they must be real text.
TEXT_ARGUMENTS = ("title", "remarks", "prompt", "negative_prompt", "opt_title", "opt_remarks", "opt_base_color")
"""Arguments that name files a command reads; no command may write over them."""


_ENVIRONMENT_ERRORS = {errno.ENAMETOOLONG, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                       errno.EIO, errno.EMFILE, errno.ENFILE, errno.EISDIR, errno.ENOTDIR, errno.EXDEV, errno.EFBIG,
                       errno.ELOOP, errno.ENOENT}


def main(argv: Sequence[str] | None = None) -> int:
    from ..fileio import protect_inputs
    from ..runtime import prepare

    prepare()
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must not crash a message naming it
        if getattr(stream, "errors", "") == "strict" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    inputs = [v for v in (getattr(args, name, None) for name in INPUT_ARGUMENTS) if isinstance(v, str)]
    for name in TEXT_ARGUMENTS:  # bytes that are not UTF-8 in free text: shown as �, never stored raw
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    try:
        with protect_inputs(*inputs), _quiet_libraries(args.debug):
            return int(args.func(args) or 0)
    except Cancelled as exc:
        print(f"pixlcraft: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("pixlcraft: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `pixlcraft palettes show dmc | head`: the reader has gone; stop quietly as Unix tools do
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except PixlcraftError as exc:
        if args.debug:
            raise
        print(f"pixlcraft: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("pixlcraft: error: not enough memory for this job; try a smaller size.", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        if args.debug or exc.errno not in _ENVIRONMENT_ERRORS:
            raise
        # the computer said no (disk full, read-only, name too long): not a bug, and nothing to report
        where = f" {exc.filename}" if exc.filename else ""
        print(f"pixlcraft: error: cannot read or write{where}: {exc.strerror or exc}.", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            raise
        print(f"pixlcraft: internal error ({type(exc).__name__}: {exc}). This is a bug in PixlCraft; "
              "run again with --debug and report what it prints.", file=sys.stderr)
        return 1
