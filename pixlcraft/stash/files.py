"""Stash CSV files, and the user's own stash in their data folder.

A stash CSV has a header row with at least ``code`` and ``quantity``; ``unit``, ``element`` (bricks),
``palette`` and ``name`` are optional, and other columns are ignored (a spreadsheet's notes survive). Without a
``palette`` column every row is in the palette the caller names (``--palette``), so a list exported from
another program only needs its two columns. The file written back has every column, one row per item.

The user's stash is ``<data folder>/stash/<family>s.csv`` (``$PIXLCRAFT_STASH_DIR`` overrides the folder),
written atomically: a crash while saving leaves the old stash, never half of one.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..errors import InputError, PaletteError
from ..fileio import atomic_write
from ..palette import Palette, load_builtin, resolve_palette
from ..palette.files import read_text_file
from .model import FAMILIES, Stash, family_of

STASH_DIR_ENV = "PIXLCRAFT_STASH_DIR"
COLUMNS = ("palette", "code", "name", "quantity", "unit", "element")
MAX_ROWS = 100_000


def stash_dir() -> Path:
    env = os.environ.get(STASH_DIR_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("pixlcraft", appauthor=False)) / "stash"


def default_stash_path(family: str) -> Path:
    if family not in FAMILIES:
        raise InputError(f"'{family}' is not a stash; stashes are {', '.join(FAMILIES)}.")
    return stash_dir() / f"{family}s.csv"


def load_stash(family: str) -> Stash:
    """The user's stash of ``family`` (empty when they have none yet)."""
    path = default_stash_path(family)
    if not path.is_file():
        return Stash(family)
    return read_stash_csv(path, family=family)


def save_stash(stash: Stash) -> Path:
    path = default_stash_path(stash.family)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_stash_csv(stash, path)
    return path


def write_stash_csv(stash: Stash, path: str | os.PathLike[str]) -> Path:
    with atomic_write(path, "w", newline="") as f:
        f.write(stash_csv_text(stash))
    return Path(path)


def stash_csv_text(stash: Stash) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    palettes: dict[str, Palette] = {}
    for it in stash.items:
        palette = palettes.setdefault(it.palette, palette_named(it.palette))
        i = palette.find(it.code)
        name = palette[i].name if i is not None else ""
        w.writerow([it.palette, it.code, name, f"{it.quantity:g}", it.unit, it.element])
    return buf.getvalue()


def read_stash_csv(path: str | os.PathLike[str], family: str | None = None, palette: Palette | None = None) -> Stash:
    """A stash from a CSV file; rows without a palette are in ``palette``. Any bad row is an error naming its
    line (a stash that silently lost a row would make patterns the user cannot finish)."""
    path = Path(path).expanduser()
    text = read_text_file(path, what="stash CSV")
    return parse_stash_csv(text, str(path), family, palette)


def parse_stash_csv(text: str, where: str, family: str | None = None, palette: Palette | None = None) -> Stash:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputError(f"{where} is empty; a stash CSV needs a header row with 'code' and 'quantity'.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("code", "quantity") if c not in header]
    if missing:
        raise InputError(f"{where} has no {' or '.join(repr(m) for m in missing)} column; a stash CSV needs a "
                         f"header row with at least 'code' and 'quantity' (found: {', '.join(header) or 'nothing'}).")
    if len(rows) - 1 > MAX_ROWS:
        raise InputError(f"{where} has {len(rows) - 1:,} rows; a stash has at most {MAX_ROWS:,}.")
    col = {name: header.index(name) for name in COLUMNS if name in header}
    if family is None:
        if palette is None and "palette" not in col:
            raise InputError(f"{where} does not say which palette its codes are in; add a 'palette' column or "
                             "choose the palette (--palette).")
    stash: Stash | None = Stash(family) if family else (Stash(family_of(palette)) if palette else None)
    palettes: dict[str, Palette] = {}

    def cell(row: list[str], name: str) -> str:
        return row[col[name]].strip() if name in col and col[name] < len(row) else ""

    for n, row in enumerate(rows[1:], start=2):
        name = cell(row, "palette")
        try:
            pal = palettes.setdefault(name, palette_named(name)) if name else palette
            if pal is None:
                raise InputError("no palette is named for this row")
            if stash is None:
                stash = Stash(family_of(pal))
            stash = stash.add(pal, cell(row, "code"), cell(row, "quantity") or "missing", cell(row, "unit"),
                              cell(row, "element"))
        except PaletteError as exc:
            raise PaletteError(f"{where}, line {n}: {exc}") from None
        except InputError as exc:
            raise InputError(f"{where}, line {n}: {exc}") from None
    return stash if stash is not None else Stash(family or "thread")


def palette_named(name: str) -> Palette:
    try:
        return load_builtin(name)
    except PaletteError:
        return resolve_palette(name)
