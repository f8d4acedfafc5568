"""Palette files: reading and writing the ``.hex``, GIMP ``.gpl`` and ``.csv`` formats.

Kept apart from :mod:`pixlcraft.palette` (the nouns and the built-ins) because it is the part that meets
hand-made text files: every problem is reported with the file, the line and what was expected. The built-in
CSVs go through the same CSV reader, so they double as test data for the user format.
"""

from __future__ import annotations

import csv
import io
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import InputError, PaletteError
from ..fileio import atomic_write, readable
from ..material import GENERIC, MATERIALS, Material
from .model import HEX6, ID_COLUMNS, MAX_FILE_BYTES, Palette, PaletteEntry, hex_to_rgb


def load_palette_file(
    path: str | Path,
    *,
    name: str | None = None,
    material: Material | str | None = None,
    brand: str | None = None,
) -> Palette:
    """Read a user palette; the extension picks the reader (``.hex``, ``.gpl``, ``.csv``).

    Codes: a ``.csv`` file's ``code`` column (or in LEGO-style files ``bricklink_id``); otherwise the colour's
    position, "1", "2", … in file order, which is short enough for a chart legend and easy to type in an
    owned-colours list. Names: the file's names where it has them, else the colour as ``#RRGGBB``.
    """
    p = Path(path).expanduser()
    ext = p.suffix.lower()
    parser = _PARSERS.get(ext)
    if parser is None:
        what = f"the extension '{p.suffix}'" if p.suffix else "no extension"
        raise PaletteError(f"Palette file {p} has {what}; PixlCraft reads .hex (one RRGGBB per line), "
                           ".gpl (GIMP palette) and .csv files.")
    text = read_text_file(p)
    entries = parser(text, str(p))
    if isinstance(material, str):
        if material not in MATERIALS:
            raise PaletteError(f"Unknown material '{material}'; choose one of: {', '.join(MATERIALS)}.")
        material = MATERIALS[material]
    return Palette(name or readable(p.stem), brand or "Custom", material or GENERIC, tuple(entries),
                   source=readable(p))


def save_palette_file(palette: Palette, path: str | Path) -> Path:
    """Write ``palette`` as .hex, .gpl or .csv (by extension), atomically.

    Only .csv keeps everything (codes, names, catalogue ids); .gpl keeps colours and names, .hex only colours,
    and both number the colours 1, 2, … when read back.
    """
    p = Path(path).expanduser()
    ext = p.suffix.lower()
    if ext == ".hex":
        text = "".join(e.hex[1:] + "\n" for e in palette)
    elif ext == ".gpl":
        rows = ["{:3d} {:3d} {:3d}\t{}\n".format(*e.rgb, _one_line(e.name)) for e in palette]
        text = f"GIMP Palette\nName: {_one_line(palette.name)}\nColumns: 0\n#\n" + "".join(rows)
    elif ext == ".csv":
        text = _csv_text(palette)
    else:
        raise PaletteError(f"Cannot write {p}: use a .hex, .gpl or .csv file name.")
    try:
        with atomic_write(p, "w", newline="\n") as f:
            f.write(text)
    except InputError as e:
        raise PaletteError(str(e)) from None
    return p


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n]+", " ", text)


def _csv_text(palette: Palette) -> str:
    ids = [k for k in ID_COLUMNS if any(getattr(e, k) is not None for e in palette)]
    with_trans = bool(ids) or any(e.transparent for e in palette)
    with_kind = any(e.finish != "opaque" or e.availability != "current" for e in palette)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name", "hex", *ids, *(["transparent"] if with_trans else []),
                *(["finish", "availability"] if with_kind else [])])
    for e in palette:
        row = [e.code, e.name, e.hex, *("" if getattr(e, k) is None else getattr(e, k) for k in ids)]
        w.writerow(row + (["true" if e.transparent else "false"] if with_trans else [])
                   + ([e.finish, e.availability] if with_kind else []))
    return buf.getvalue()


# ------------------------------------------------------------------------------------------------------------
# Readers: text → entries, every problem reported with file and line


def _err(origin: str, line: int | None, message: str) -> PaletteError:
    where = f"{origin}, line {line}" if line else origin
    return PaletteError(f"Palette file {where}: {message}")


def text_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (str.splitlines also splits on rarer characters such as U+0085)."""
    lines = re.split(r"\r\n|\r|\n", text)
    return lines[:-1] if lines and lines[-1] == "" else lines


def _show(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


def read_text_file(path: Path, what: str = "palette file") -> str:
    try:
        info = path.stat()
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode) or stat.S_ISSOCK(info.st_mode):
            raise PaletteError(f"{path} is not a regular file (a pipe or a device?); expected a {what}.")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise PaletteError(f"The {what} {path} is {size // 1024} KiB; that is too large to be a {what}.")
        data = path.read_bytes().rstrip(b"\x1a")  # DOS end-of-file mark in very old files
    except FileNotFoundError:
        raise PaletteError(f"The {what} {path} does not exist.") from None
    except IsADirectoryError:
        raise PaletteError(f"{path} is a folder; expected a {what}.") from None
    except OSError as e:
        raise PaletteError(f"Cannot read the {what} {path}: {e.strerror}.") from None
    if re.search(rb"[\x00-\x08\x0e-\x1f]", data):
        raise PaletteError(f"The {what} {path} is not a text file (it contains binary data); "
                           "expected plain text such as a .hex, .gpl or .csv palette.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older tools (and Excel on Windows) write Windows-1252/Latin-1; colour names are all that can differ.
        return data.decode("latin-1")


def _parse_hex(text: str, origin: str) -> list[PaletteEntry]:
    entries = []
    lines = text_lines(text)
    for lineno, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s:
            continue
        m = HEX6.fullmatch(s)
        if m is None:
            raise _err(origin, lineno, f"expected one colour as RRGGBB or #RRGGBB (six hex digits 0-9/A-F, "
                                       f"e.g. #FF8800), found {_show(s)}.")
        six = m.group(1).upper()
        entries.append(PaletteEntry(str(len(entries) + 1), "#" + six, hex_to_rgb(six)))
    if not entries:
        what = f"no colours found in its {len(lines)} lines" if lines else "the file is empty"
        raise _err(origin, None, f"{what}; expected one RRGGBB per line.")
    return entries


def _parse_gpl(text: str, origin: str) -> list[PaletteEntry]:
    lines = text_lines(text)
    start = next((i for i, s in enumerate(lines) if s.strip()), None)
    if start is None or lines[start].strip() != "GIMP Palette":
        lineno = 1 if start is None else start + 1
        found = _show(lines[start]) if start is not None else "an empty file"
        raise _err(origin, lineno, f"expected the first line to be 'GIMP Palette', found {found}.")
    channels = ("red", "green", "blue")
    entries = []
    for lineno, raw in enumerate(lines[start + 1 :], start + 2):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        head, sep, value = s.partition(":")
        if sep and head.strip().lower() in ("name", "columns", "channels"):
            field = head.strip().lower()
            if field == "columns" and not value.strip().isdigit():
                raise _err(origin, lineno, f"expected a whole number after 'Columns:', found {_show(s)}.")
            if field == "channels":
                kind = value.strip().upper()
                if kind not in ("RGB", "RGBA"):
                    raise _err(origin, lineno, f"expected 'Channels: RGB' or 'RGBA', found {_show(s)}.")
                channels = ("red", "green", "blue", "alpha")[: len(kind)]
            continue
        parts = s.split(None, len(channels))
        values = []
        for what, tok in zip(channels, parts, strict=False):
            if not re.fullmatch(r"\d{1,3}", tok) or int(tok) > 255:
                raise _err(origin, lineno, f"expected {len(channels)} whole numbers 0–255 "
                                           f"({' '.join(channels)}) then an optional name; the {what} value "
                                           f"is {_show(tok)}.")
            values.append(int(tok))
        if len(values) < len(channels):
            raise _err(origin, lineno, f"expected {len(channels)} numbers 0–255 ({' '.join(channels)}) "
                                       f"then an optional name, found {_show(s)}.")
        rgb = (values[0], values[1], values[2])
        name = parts[len(channels)].strip() if len(parts) > len(channels) else ""
        if not name or name.lower() == "untitled":
            name = "#{:02X}{:02X}{:02X}".format(*rgb)
        entries.append(PaletteEntry(str(len(entries) + 1), name, rgb))
    if not entries:
        raise _err(origin, None, f"no colours found in its {len(lines)} lines; expected rows like "
                                 "'255 136 0<TAB>Orange' after the 'GIMP Palette' line.")
    return entries


# header spellings we understand → our column names (lower case, spaces and dashes read as "_")
_CSV_COLUMNS = {
    "code": ("code", "number", "ref", "floss", "floss#", "colour_code", "color_code"),
    "name": ("name", "description", "colour_name", "color_name"),
    "hex": ("hex", "hex_code", "rgb_hex", "html", "colour", "color"),
    "r": ("r", "red"),
    "g": ("g", "green"),
    "b": ("b", "blue"),
    "bricklink_id": ("bricklink_id", "bricklink", "bl_id"),
    "ldraw_code": ("ldraw_code", "ldraw", "ldraw_id"),
    "rebrickable_id": ("rebrickable_id", "rebrickable", "rb_id"),
    "transparent": ("transparent", "is_trans", "trans"),
    "finish": ("finish", "type"),
    "availability": ("availability", "available", "status"),
}
_CSV_SYNONYM = {alias: col for col, aliases in _CSV_COLUMNS.items() for alias in aliases}
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f", ""}


def parse_palette_csv(text: str, origin: str) -> list[PaletteEntry]:
    first = next((s for s in text_lines(text) if s.strip()), "")
    delimiter = "," if "," in first else ";" if ";" in first else "\t" if "\t" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    columns: dict[str, int] | None = None
    width = 0
    entries: list[PaletteEntry] = []
    seen: dict[str, dict[Any, int]] = {"code": {}, "ldraw_code": {}, "rebrickable_id": {}}
    try:
        for row in reader:
            lineno = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if columns is None:
                columns = _csv_header(row, origin, lineno)
                width = len(row)
                continue
            if len(row) < width or any(cell.strip() for cell in row[width:]):
                raise _err(origin, lineno, f"expected {width} values separated by '{delimiter}' (one per "
                                           f"column of the header), found {len(row)}.")
            entries.append(_csv_entry(row, columns, origin, lineno, len(entries) + 1, seen))
    except csv.Error as e:
        raise _err(origin, reader.line_num, f"the CSV is malformed ({e}); check the quotes.") from None
    if columns is None:
        raise _err(origin, None, "the file is empty; expected a header line such as 'code,name,hex' and then "
                                 "one colour per line.")
    if not entries:
        raise _err(origin, None, "no colours found below the header (the file ends at line "
                                 f"{reader.line_num}); expected one colour per line.")
    return entries


def _csv_header(row: list[str], origin: str, lineno: int) -> dict[str, int]:
    columns: dict[str, int] = {}
    for i, cell in enumerate(row):
        col = _CSV_SYNONYM.get(re.sub(r"[\s\-]+", "_", cell.strip().lower()))
        if col is None:
            continue  # extra columns (counts, symbols, notes) are allowed and ignored
        if col in columns:
            raise _err(origin, lineno, f"the header names the column '{col}' twice ({_show(cell)}).")
        columns[col] = i
    found = _show(",".join(row))
    if row[0].strip().isdigit() or any(re.fullmatch(r"#[0-9A-Fa-f]{6}", c.strip()) for c in row):
        raise _err(origin, lineno, f"expected a header line naming the columns (e.g. 'code,name,hex'), "
                                   f"found colour data {found}.")
    if "hex" not in columns and not {"r", "g", "b"} <= set(columns):
        if {"r", "g", "b"} & set(columns):
            missing = ", ".join(c for c in "rgb" if c not in columns)
            msg = f"the header has some of r,g,b but not {missing}; expected a 'hex' column or all of r,g,b."
        else:
            msg = f"expected a header with a 'hex' column or r,g,b columns ('code,name,hex'), found {found}."
        raise _err(origin, lineno, msg)
    return columns


def _csv_entry(
    row: list[str],
    columns: dict[str, int],
    origin: str,
    lineno: int,
    position: int,
    seen: dict[str, dict[Any, int]],
) -> PaletteEntry:
    def cell(col: str) -> str:
        return row[columns[col]].strip() if col in columns else ""

    rgb_hex = None
    if "hex" in columns:
        m = HEX6.fullmatch(cell("hex"))
        if m is None:
            found = _show(cell("hex"))
            raise _err(origin, lineno, f"expected a colour like #FF8800 in the 'hex' column, found {found}.")
        rgb_hex = hex_to_rgb(m.group(1))
    rgb_cols = None
    if {"r", "g", "b"} <= set(columns):
        vals = []
        for col, what in (("r", "red"), ("g", "green"), ("b", "blue")):
            v = cell(col)
            if not re.fullmatch(r"\d{1,3}", v) or int(v) > 255:
                raise _err(origin, lineno, f"expected a whole number 0–255 for {what} (column '{col}'), "
                                           f"found {_show(v)}.")
            vals.append(int(v))
        rgb_cols = (vals[0], vals[1], vals[2])
    if rgb_hex is not None and rgb_cols is not None and rgb_hex != rgb_cols:
        both = f"the 'hex' value {cell('hex')} and r,g,b {','.join(map(str, rgb_cols))}"
        raise _err(origin, lineno, f"{both} disagree; correct one of them or delete one of the columns.")
    rgb = rgb_hex if rgb_hex is not None else rgb_cols
    assert rgb is not None

    ids: dict[str, int | None] = {}
    for col in ("bricklink_id", "ldraw_code", "rebrickable_id"):
        v = cell(col)
        if not v:
            ids[col] = None
        elif v.isdigit() and len(v) <= 9:  # catalogue ids are small numbers; 30 digits is a damaged file
            ids[col] = int(v)
        elif v.isdigit():
            raise _err(origin, lineno, f"the '{col}' value {_show(v)} is far too long for a colour id.")
        else:
            raise _err(origin, lineno, f"expected a whole number (or nothing) in the '{col}' column, "
                                       f"found {_show(v)}.")

    if "code" in columns:
        code = cell("code")
        if not code:
            raise _err(origin, lineno, "expected a colour code in the 'code' column, found an empty cell.")
    elif "bricklink_id" in columns:
        if ids["bricklink_id"] is None:
            raise _err(origin, lineno, "expected a BrickLink colour id in the 'bricklink_id' column (it is "
                                       "the colour's code in this file), found an empty cell.")
        code = str(ids["bricklink_id"])
    else:
        code = str(position)

    unique = [("code", code.upper())] + [(k, ids[k]) for k in ("ldraw_code", "rebrickable_id")]
    for col, key in unique:
        if key is None:
            continue
        if key in seen[col]:
            shown = code if col == "code" else key
            raise _err(origin, lineno, f"the {col.replace('_', ' ')} '{shown}' is used twice (first on line "
                                       f"{seen[col][key]}); each colour needs its own.")
        seen[col][key] = lineno

    trans = cell("transparent").lower()
    if trans not in _TRUE and trans not in _FALSE:
        raise _err(origin, lineno, f"expected true or false under 'transparent', found {_show(trans)}.")
    name = cell("name") or "#{:02X}{:02X}{:02X}".format(*rgb)
    try:
        return PaletteEntry(code, name, rgb, **ids, transparent=trans in _TRUE, finish=cell("finish"),
                            availability=cell("availability"))
    except PaletteError as e:
        raise _err(origin, lineno, str(e).split(": ", 1)[-1].rstrip(".") + ".") from None


_PARSERS: dict[str, Callable[[str, str], list[PaletteEntry]]] = {
    ".hex": _parse_hex,
    ".gpl": _parse_gpl,
    ".csv": parse_palette_csv,
}
