"""Pattern file formats PixlCraft reads as well as writes, with one place that opens any of them.

The layers: the model (:mod:`pixlcraft.pattern`, which also owns its own ``.pixl`` format) knows no other file
format; this package sits above it and reads and writes other programs' formats (OXS); the export registry
(:mod:`pixlcraft.export`) and the front ends sit above both. So the core model never imports an exporter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from ..pattern import Pattern, load_pixl


def _read_oxs(path: str | Path) -> Pattern:
    from .oxs import read_oxs

    return read_oxs(path)


#: file suffix → reader. One table: the CLI, the window and the tests open patterns through it.
READERS: dict[str, Callable[[str | Path], Pattern]] = {".pixl": load_pixl, ".oxs": _read_oxs}


def load_pattern(path: str | Path) -> Pattern:
    """Open a pattern file by its extension: ``.pixl`` or ``.oxs`` (open cross-stitch XML from other programs)."""
    reader = READERS.get(Path(path).suffix.lower())
    if reader is None:
        raise InputError(f"cannot open '{Path(path).name}' as a pattern; PixlCraft opens .pixl pattern files and "
                         f".oxs cross-stitch charts.")
    return reader(path)
