"""Finding palettes: the built-in ones shipped as package data, the user's own palette folder, what a
``--palette`` option names, and the "colours I own" lists that cut a palette down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from ..errors import PaletteError
from ..material import AIDA_14, BEAD_MIDI, BEAD_MINI, BRICK_1X1, Material
from .files import load_palette_file, parse_palette_csv, read_text_file, text_lines
from .model import Palette

PALETTE_EXTENSIONS = (".hex", ".gpl", ".csv")
USER_PALETTE_DIR_ENV = "PIXLCRAFT_PALETTE_DIR"

# short name → (brand, material). The order is the order front ends list them in.
_BUILTINS: dict[str, tuple[str, Material]] = {
    "dmc": ("DMC", AIDA_14),
    "perler": ("Perler", BEAD_MIDI),
    "perler_mini": ("Perler Mini", BEAD_MINI),
    "hama": ("Hama", BEAD_MIDI),
    "hama_mini": ("Hama Mini", BEAD_MINI),
    "artkal_s": ("Artkal S", BEAD_MIDI),  # Artkal S is the 5 mm series, C the 2.6 mm one (see SOURCES.md)
    "artkal_c": ("Artkal C", BEAD_MINI),
    "nabbi": ("Nabbi", BEAD_MIDI),
    "lego": ("LEGO", BRICK_1X1),
}


def restrict_palette(palette: Palette, owned: str | Path | Iterable[str]) -> Palette:
    """``palette`` cut down to the colours in ``owned`` (a code list, a comma-separated string or a file)."""
    return palette.restrict(read_owned_codes(owned))


# ------------------------------------------------------------------------------------------------------------
# Built-in palettes


def builtin_names() -> list[str]:
    return list(_BUILTINS)


def builtin_catalog() -> list[tuple[str, str, Material]]:
    """(short name, brand, material) of every built-in palette, without reading any CSV: menus list brands at
    start-up and must not pay for parsing a dozen files."""
    return [(name, brand, material) for name, (brand, material) in _BUILTINS.items()]


def _builtin_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def load_builtin(name: str) -> Palette:
    """A bundled palette by short name ("dmc", "perler_mini"; "Perler Mini" works too); cached, immutable."""
    key = _builtin_key(name)
    if key not in _BUILTINS:
        listing = ", ".join(_BUILTINS)
        raise PaletteError(f"There is no built-in palette '{name}'. Built-in palettes: {listing}.")
    return _load_builtin_cached(key)


@cache
def _load_builtin_cached(key: str) -> Palette:
    brand, material = _BUILTINS[key]
    text, origin = _builtin_text(f"{key}.csv")
    return Palette(key, brand, material, tuple(parse_palette_csv(text, origin)), source=f"builtin:{key}")


def _builtin_text(filename: str) -> tuple[str, str]:
    """Read from the installed package, or from the repository when running from a source checkout."""
    from ..runtime import resource

    path = resource("pixlcraft._palettes", filename)
    try:
        return path.read_text(encoding="utf-8"), f"built-in {filename}"
    except OSError:
        raise PaletteError(f"The built-in palette file {filename} is missing; reinstall PixlCraft.") from None


# ------------------------------------------------------------------------------------------------------------
# User palette files


def user_palette_dir() -> Path:
    """Where users keep their own palettes; ``resolve_palette("mine")`` finds ``mine.gpl`` there.

    ``$PIXLCRAFT_PALETTE_DIR`` overrides the per-user data folder (handy for shared or portable setups).
    """
    env = os.environ.get(USER_PALETTE_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pixlcraft", appauthor=False)) / "palettes"


def user_palettes() -> list[Path]:
    """Palette files in :func:`user_palette_dir`, sorted by name (none if the folder doesn't exist)."""
    folder = user_palette_dir()
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PALETTE_EXTENSIONS]
    return sorted(found, key=lambda p: p.name.lower())


def resolve_palette(name_or_path: str | Path) -> Palette:
    """What a ``--palette`` option means: a built-in name, else a file path, else a user palette."""
    text = str(name_or_path).strip()
    listing = ", ".join(_BUILTINS)
    if not text:
        raise PaletteError(f"No palette was given. Built-in palettes: {listing}; or a .hex/.gpl/.csv file.")
    key = _builtin_key(text.removeprefix("builtin:"))
    if key in _BUILTINS:
        return load_builtin(key)
    path = Path(text).expanduser()
    if path.is_file():
        return load_palette_file(path)
    if path.is_dir():
        raise PaletteError(f"'{text}' is a folder, not a palette file (.hex, .gpl or .csv).")
    if path.exists():
        raise PaletteError(f"'{text}' is not a regular file (a pipe or a device?), not a palette file.")
    folder = user_palette_dir()
    if path.suffix.lower() in PALETTE_EXTENSIONS and ("/" in text or os.sep in text):
        raise PaletteError(f"The palette file {path} does not exist.")
    if "/" not in text and os.sep not in text:
        matches = [p for p in user_palettes() if text.lower() in (p.name.lower(), p.stem.lower())]
        if len(matches) == 1:
            return load_palette_file(matches[0])
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise PaletteError(f"'{text}' matches several files in {folder}: {names}. Give the file name.")
    raise PaletteError(f"'{text}' is neither a built-in palette ({listing}) nor an existing palette file "
                       f"(.hex, .gpl or .csv; your own palettes can also live in {folder}).")


def read_owned_codes(spec: str | Path | Iterable[str]) -> list[str]:
    """The colour codes a user owns, from a file, a comma-separated string or a list.

    Codes are separated by commas, semicolons, tabs or new lines; spaces are resolved by
    :meth:`Palette.restrict` (which knows whether "Dark Bluish Gray" is one colour). ``#`` starts a comment
    unless it begins a ``#RRGGBB`` colour.
    """
    if isinstance(spec, Path) or (isinstance(spec, str) and _names_a_file(spec)):
        return _split_owned(read_text_file(Path(spec).expanduser(), what="colour list"))
    if isinstance(spec, str):
        return _split_owned(spec)
    return [str(c).strip() for c in spec if str(c).strip()]


def _names_a_file(text: str) -> bool:
    if any(c in text for c in ",;\n"):
        return False
    p = Path(text.strip()).expanduser()
    return p.is_file() or "/" in text or os.sep in text or p.suffix.lower() in (".txt", ".csv", ".list")


def _split_owned(text: str) -> list[str]:
    codes = []
    for line in text_lines(text):
        line = re.sub(r"(?:^|(?<=\s))#(?![0-9A-Fa-f]{6}(?![0-9A-Za-z])).*$", "", line)
        codes.extend(c.strip() for c in re.split(r"[,;\t]", line) if c.strip())
    return codes
