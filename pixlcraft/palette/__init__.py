"""Palettes: the real colours a pattern is allowed to use.

A pattern is only useful if every cell names something a person can buy, so a palette is an ordered list of
brand products (code, name, approximate sRGB and, for LEGO, the catalogue ids that shops and CAD tools use).
Palettes are plain data: the built-in ones are the CSV files in ``palettes/`` (installed as the package
``pixlcraft._palettes``), and users bring their own as ``.hex``, GIMP ``.gpl`` or ``.csv`` files. Every file,
built-in or not, goes through the same readers, so the built-ins double as test data for the user formats.

Errors are :class:`~pixlcraft.errors.PaletteError` with the file, the line and what was expected, because the
person reading them is usually fixing a hand-made text file.

The package is layered: :mod:`.model` (the classes) ← :mod:`.files` (.hex/.gpl/.csv reading and writing) ←
:mod:`.catalog` (built-ins, the user's folder, owned-colour lists); this module gathers the public names.
"""

from .catalog import (
    PALETTE_EXTENSIONS,
    USER_PALETTE_DIR_ENV,
    builtin_catalog,
    builtin_names,
    load_builtin,
    read_owned_codes,
    resolve_palette,
    restrict_palette,
    user_palette_dir,
    user_palettes,
)
from .files import load_palette_file, parse_palette_csv, read_text_file, save_palette_file, text_lines
from .model import FINISHES, HEX6, ID_COLUMNS, MAX_FILE_BYTES, Palette, PaletteEntry, hex_to_rgb

__all__ = [
    "FINISHES",
    "HEX6",
    "ID_COLUMNS",
    "MAX_FILE_BYTES",
    "PALETTE_EXTENSIONS",
    "USER_PALETTE_DIR_ENV",
    "Palette",
    "PaletteEntry",
    "builtin_catalog",
    "builtin_names",
    "hex_to_rgb",
    "load_builtin",
    "load_palette_file",
    "parse_palette_csv",
    "read_owned_codes",
    "read_text_file",
    "resolve_palette",
    "restrict_palette",
    "save_palette_file",
    "text_lines",
    "user_palette_dir",
    "user_palettes",
]
