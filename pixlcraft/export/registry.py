"""One list of every export format, built from the writer modules themselves.

The CLI's ``--list`` and flags, the GUI's export dialog and the round-trip tests all read this list, so a new
format is one new module and one name in :data:`WRITER_MODULES` — nothing else to keep in sync.

Contract for a writer module (``pixlcraft/export/<name>.py``)
-------------------------------------------------------------
* It declares ``FORMATS: list[ExportFormat]`` at module level (one module may declare several formats, e.g.
  ``bricks`` declares ``bricklink-xml``, ``ldraw``, ``parts-csv`` and ``brick-pdf``).
* Each format's ``write`` is called as ``write(pattern, path, options, reporter) -> list[Path]``:

  - ``pattern`` is a validated :class:`~pixlcraft.pattern.Pattern`. A writer never re-quantises and never
    changes it (copy before editing); it only reads ``grid``, ``palette``, ``palette.material`` and
    ``metadata``.
  - ``path`` is the :class:`~pathlib.Path` the user asked for, already checked: its folder exists and its
    suffix is the format's ``extension`` (added when the user gave none).
  - ``options`` is a plain ``dict`` holding **every** option the format declares, already validated and
    converted (``int`` for int options, ``float`` for float options, even when given as ``14``), defaults
    filled in. A writer never sees an unknown key or a bad value.
  - ``reporter`` is a :class:`~pixlcraft.jobs.Reporter` (never ``None``): call ``reporter.report(stage, done,
    total)`` in long loops (it also honours cancel by raising :class:`~pixlcraft.errors.Cancelled`), or
    ``reporter.check()``.
  - It writes every file through :func:`pixlcraft.fileio.atomic_write` (or :func:`write_bytes` /
    :func:`write_text` here), so a failure or a cancel never leaves half a file. Build the content first when
    you can; a writer of several files builds them all, then hands them to :func:`write_files`, which renames
    them into place only once every one is complete.
  - It returns the paths it wrote, the main one first. Extra files are named with :func:`sibling`.
  - Third-party libraries (reportlab, pyembroidery …) are imported inside ``write``, not at module level,
    so ``formats()`` stays cheap; a missing library is an :class:`~pixlcraft.errors.InputError` that says
    what to install.
  - User-fixable problems (a palette without BrickLink ids, a pattern too large for the format …) raise
    :class:`~pixlcraft.errors.InputError` with a message a hobbyist understands.

* ``ExportOption.name`` is snake_case (``fabric_count``); the CLI flag is ``--fabric-count``. An option with the
  same name in two formats must have the same ``type`` (the CLI shares one flag); defaults, ranges and choices
  may differ. Types are ``str``, ``int``, ``float`` and ``bool``; ``str`` options usually give ``choices``.
* ``crafts`` lists the crafts (``Material.craft``: ``stitch``, ``bead``, ``brick``, ``generic``) the format is
  meant for; front ends list those first. It is advice, not a lock: a writer that truly cannot handle a
  pattern raises ``InputError`` itself.
"""

from __future__ import annotations

import difflib
import importlib
import math
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..fileio import atomic_write, write_set
from ..jobs import CancelToken, ProgressCallback, Reporter

if TYPE_CHECKING:
    from ..pattern import Pattern

__all__ = [
    "CRAFTS",
    "OPTION_TYPES",
    "WRITER_MODULES",
    "ExportFormat",
    "ExportOption",
    "export",
    "formats",
    "formats_for",
    "get_format",
    "limits_note",
    "resolve_options",
    "sibling",
    "write_bytes",
    "write_files",
    "write_text",
]

WRITER_MODULES: tuple[str, ...] = ("stitch_pdf", "oxs", "embroidery", "beads", "bricks", "png", "buy_list")
"""Modules of ``pixlcraft.export`` that declare ``FORMATS``, in the order formats are listed. A name whose
module does not exist (yet) is skipped, so a format can be listed before its module lands."""

CRAFTS = ("stitch", "bead", "brick", "generic")
OPTION_TYPES: tuple[type, ...] = (str, int, float, bool)
MAX_TITLE = 200
"""Longest title or note a format takes: more never fits a cover line or a shop's field."""

Writer = Callable[["Pattern", Path, dict[str, Any], Reporter], list[Path]]


@dataclass(frozen=True)
class ExportOption:
    """One setting of a format: the single schema that the CLI flags, the GUI widgets and validation read."""

    name: str
    type: type
    default: Any
    help: str
    choices: Sequence[Any] | None = None
    min: float | None = None
    max: float | None = None
    """The largest value; for text, the most characters."""

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"export option name {self.name!r} must be a snake_case identifier")
        if self.type not in OPTION_TYPES:
            raise ValueError(f"export option {self.name!r}: type must be one of str, int, float, bool")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        # The default must itself be valid, or every export without the option would fail.
        object.__setattr__(self, "default", self.check(self.default, "(default)"))

    @property
    def flag(self) -> str:
        """The command-line flag: ``fabric_count`` → ``--fabric-count``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any, fmt_key: str) -> Any:
        """``value`` converted to this option's type, or :class:`InputError` naming the option and format."""

        def bad(why: str) -> InputError:
            return InputError(f"export format '{fmt_key}': option {self.name} ({self.flag}) {why}.")

        t = self.type
        if t is bool:
            if not isinstance(value, bool):
                raise bad(f"must be true or false, not {value!r}")
        elif t is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise bad(f"must be a whole number, not {value!r}")
            value = int(value)
        elif t is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad(f"must be a number, not {value!r}")
            value = float(value)
            if not math.isfinite(value):
                raise bad(f"must be a finite number, not {value!r}")
        else:
            if not isinstance(value, str):
                raise bad(f"must be text, not {value!r}")
            if self.max is not None and len(value) > self.max:  # for text, max is the length
                raise bad(f"is {len(value):,} characters long; at most {self.max:g} fit")
        if self.choices is not None and value not in self.choices:
            raise bad(f"must be one of {', '.join(map(str, self.choices))}, not {value!r}")
        if t is str:
            return value
        if self.min is not None and value < self.min:
            raise bad(f"must be at least {self.min:g}, not {value!r}")
        if self.max is not None and value > self.max:
            raise bad(f"must be at most {self.max:g}, not {value!r}")
        return value

    def describe(self) -> str:
        """One line for ``--list`` and tooltips: type, allowed values, default, help."""
        if self.choices is not None:
            allowed = "|".join(map(str, self.choices))
        elif self.type is bool:
            allowed = "[yes|no]"
        else:
            lo = "" if self.min is None else f"{self.min:g}"
            hi = "" if self.max is None else f"{self.max:g}"
            allowed = self.type.__name__ + (f" {lo}–{hi}" if lo or hi else "")
        default = self.default if not isinstance(self.default, bool) else ("yes" if self.default else "no")
        also = f" (or --no-{self.flag[2:]})" if self.type is bool else ""
        return f"{self.flag} {allowed}{also} (default {default}): {self.help}"


@dataclass(frozen=True)
class ExportFormat:
    """One output format: its key (``stitch-pdf``), file extension (``.pdf``), options and writer."""

    key: str
    extension: str
    description: str
    crafts: Sequence[str]
    options: Sequence[ExportOption]
    write: Writer = field(repr=False, compare=False)
    check: Callable[[Pattern], str] | None = field(default=None, repr=False, compare=False)
    """Optional: "" when a pattern of the right craft can be written, else why not, in the window's words."""
    max_colors: int | None = None
    """The most colours the format can show (a chart's symbols); more is fixable by reducing the colours."""
    limits: Callable[[Pattern, dict[str, Any]], str] | None = field(default=None, repr=False, compare=False)
    """Optional: "" or one sentence on what of this pattern the file will not hold as charted (beads in a
    stitch file, say), with these options; the front ends show it after writing (see :func:`limits_note`)."""

    def __post_init__(self) -> None:
        if not self.extension.startswith("."):
            object.__setattr__(self, "extension", "." + self.extension)
        object.__setattr__(self, "extension", self.extension.lower())
        object.__setattr__(self, "crafts", tuple(self.crafts))
        object.__setattr__(self, "options", tuple(self.options))
        unknown = [c for c in self.crafts if c not in CRAFTS]
        if unknown:
            raise ValueError(f"export format {self.key!r}: unknown craft(s) {unknown}")
        names = [o.name for o in self.options]
        if len(set(names)) != len(names):
            raise ValueError(f"export format {self.key!r} declares an option twice")

    def option(self, name: str) -> ExportOption | None:
        for o in self.options:
            if o.name == name:
                return o
        return None

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options}


@cache
def _load() -> tuple[ExportFormat, ...]:
    found: list[ExportFormat] = []
    seen: dict[str, str] = {}
    for name in WRITER_MODULES:
        full = f"{__package__}.{name}"
        try:
            module = importlib.import_module(full)
        except ModuleNotFoundError as e:
            if e.name == full:  # the module itself is not there (yet): skip it, nothing else
                continue
            raise
        for fmt in getattr(module, "FORMATS", ()):
            if not isinstance(fmt, ExportFormat):
                raise TypeError(f"{full}.FORMATS holds {fmt!r}, which is not an ExportFormat")
            if fmt.key in seen:
                raise ValueError(f"export format {fmt.key!r} is declared by both {seen[fmt.key]} and {full}")
            seen[fmt.key] = full
            found.append(fmt)
    return tuple(found)


def formats() -> list[ExportFormat]:
    """Every available format, in :data:`WRITER_MODULES` order."""
    return list(_load())


def unfit_reason(fmt: ExportFormat, pattern: Pattern) -> str:
    """"" when ``fmt`` fits ``pattern``, else one sentence saying why (for the export dialog's greyed rows)."""
    craft = pattern.palette.material.craft
    if not _craft_fits(fmt, pattern):
        words = {"stitch": "cross-stitch", "bead": "fuse-bead", "brick": "brick", "generic": "any"}
        wanted = " or ".join(words.get(c, c) for c in fmt.crafts)
        return f"For {wanted} patterns; this one is a {words.get(craft, craft)} pattern."
    return fmt.check(pattern) if fmt.check is not None else ""


def limits_note(fmt: ExportFormat, pattern: Pattern, options: Mapping[str, Any] | None = None) -> str:
    """"" or what ``fmt`` cannot keep of ``pattern`` as charted: written anyway, but never silently."""
    if fmt.limits is None:
        return ""
    return fmt.limits(pattern, resolve_options(fmt, options))


def _craft_fits(fmt: ExportFormat, pattern: Pattern) -> bool:
    """A format for the pattern's craft, a format for any craft ("generic"), or a pattern from the user's own
    palette file (its craft unknown: the format's own check decides)."""
    craft = pattern.palette.material.craft
    return craft in fmt.crafts or "generic" in fmt.crafts or craft == "generic"


def formats_for(craft: str) -> list[ExportFormat]:
    """The formats meant for ``craft`` (``stitch``, ``bead``, ``brick``, ``generic``)."""
    return [f for f in _load() if craft in f.crafts]


def get_format(key: str) -> ExportFormat:
    """The format called ``key`` (any case), or :class:`InputError` listing the known ones."""
    wanted = str(key).strip().lower()
    for f in _load():
        if f.key == wanted:
            return f
    keys = [f.key for f in _load()]
    close = difflib.get_close_matches(wanted, keys, n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise InputError(f"there is no export format '{key}'.{hint} Formats: {', '.join(keys)}.")


def resolve_options(fmt: ExportFormat, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every option of ``fmt``: given values checked and converted, the rest at their defaults."""
    given = dict(options or {})
    unknown = [k for k in given if fmt.option(k) is None]
    if unknown:
        names = ", ".join(o.name for o in fmt.options) or "none"
        raise InputError(
            f"export format '{fmt.key}' has no option {', '.join(map(str, unknown))} (its options: {names})."
        )
    return {o.name: o.check(given[o.name], fmt.key) if o.name in given else o.default for o in fmt.options}


def _target(fmt: ExportFormat, path: str | os.PathLike[str]) -> Path:
    p = Path(path)
    if p.name in ("", ".", "..") or str(path).endswith(("/", os.sep)) or p.is_dir():
        raise InputError(f"'{path}' is a folder; give a file name ending in {fmt.extension}.")
    if not p.suffix:
        p = p.with_name(p.name + fmt.extension)
    elif p.suffix.lower() != fmt.extension:
        raise InputError(f"a {fmt.key} export must be saved as a {fmt.extension} file, not '{p.name}'.")
    folder = p.parent
    if not folder.is_dir():
        raise InputError(f"cannot write {p}: the folder {folder} does not exist.")
    if p.is_dir():
        raise InputError(f"cannot write {p}: it is a folder.")
    return p


def export(
    pattern: Pattern,
    key: str,
    path: str | os.PathLike[str],
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> list[Path]:
    """Write ``pattern`` as format ``key`` to ``path``; returns the files written, the main one first.

    Options are checked before any work starts: an unknown name, a wrong type or a value out of range is an
    :class:`InputError` naming the option and the format.
    """
    # 1. check inputs
    fmt = get_format(key)
    opts = resolve_options(fmt, options)
    target = _target(fmt, path)
    pattern.validate()
    if not _craft_fits(fmt, pattern):  # as the window greys it out
        again = {"brick": "lego", "bead": "perler (or hama, artkal_s …)", "stitch": "dmc"}[fmt.crafts[0]]
        raise InputError(f"{fmt.key}: {unfit_reason(fmt, pattern)} Make the pattern with --palette {again}.",
                         gui=unfit_reason(fmt, pattern))
    reporter = Reporter(progress, cancel)
    reporter.check()
    # 2. write
    written = fmt.write(pattern, target, opts, reporter)
    return [Path(p) for p in written]


# ------------------------------------------------------------------------------------------------ for writers


def sibling(path: Path, tag: str, extension: str | None = None) -> Path:
    """``chart.pdf`` + ``bw`` → ``chart-bw.pdf``: the name of an extra file next to the main one."""
    return path.with_name(f"{path.stem}-{tag}{extension or path.suffix}")


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_write(path, "wb") as f:
        f.write(data)
    return path


def write_text(path: Path, text: str) -> Path:
    """UTF-8 text with ``\\n`` line ends on every system (the files are shared between machines)."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path


def write_files(files: Iterable[tuple[Path, bytes]]) -> list[Path]:
    """Write several files that belong together, all from this export or all as before
    (:func:`~pixlcraft.fileio.write_set`)."""
    return write_set(list(files))
