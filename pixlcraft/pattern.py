"""The Pattern — a grid of palette indices, with its stitch layers — and its own files (.pixl) and plain
pictures (.png).

A ``.pixl`` file is a ZIP holding ``pattern.json`` (sizes, metadata and the palette entries the pattern
uses), ``grid.npy`` (the int16 grid) and a small ``preview.png`` for file browsers. It carries its palette
inside so it opens on a machine without the original palette file, and it is versioned so an older PixlCraft
refuses a newer file with a clear message instead of misreading it.

Format 2 adds the stitch layers (:mod:`pixlcraft.stitches`): ``pattern.json`` names them under ``"layers"``
(with the position unit, ``units_per_cell``) and each non-empty one is an int32 ``.npy`` table of its own
(``quarters.npy``, ``backstitches.npy``, ``knots.npy``, ``beads.npy``; see :meth:`StitchLayers.tables`). A
pattern without layers is still written as format 1, so PixlCraft versions that know only format 1 open it;
one with layers is format 2, which they refuse instead of silently dropping the backstitches.
"""

from __future__ import annotations

import copy
import datetime as _dt
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import numpy as np
from PIL import Image, PngImagePlugin

from . import __version__
from .errors import InputError, PatternFileError
from .fileio import atomic_write, existing_file
from .palette import Palette
from .sizing import MAX_CELLS
from .stitch_shapes import MIN_LAYER_SCALE, draw_layers
from .stitches import MAX_ITEMS, UNITS_PER_CELL, LayerCounts, StitchLayers

EMPTY = -1
"""Grid value of a cell with nothing in it (a transparent part of the source)."""

FORMAT = "pixlcraft-pattern"
FORMAT_VERSION = 2
PREVIEW_SIDE = 256
"""Long side of ``preview.png`` inside a .pixl, in pixels (larger patterns are area-averaged down)."""
MAX_PNG_SIDE = 16384
"""Largest side of an exported PNG; beyond this many viewers and printers give up."""

_JSON_LIMIT = 32 * 1024 * 1024
_GRID_LIMIT = MAX_CELLS * MAX_CELLS * 8 + 4096
_LAYER_LIMIT = MAX_ITEMS * 7 * 4 + 4096
"""Largest layer table a .pixl may hold: the widest table (backstitches, 7 int32 columns) at MAX_ITEMS rows."""
LAYER_NAMES = {"quarters": "part stitches", "backstitches": "backstitches", "knots": "French knots", "beads": "beads"}
"""The layer tables a format-2 file may hold, with what a message calls them."""
_SUFFIXES = {".pixl": "PixlCraft pattern", ".png": "picture, one pixel per cell"}


@dataclass(eq=False)
class Pattern:
    """An ``H×W`` grid of indices into ``palette`` (``EMPTY`` = no cell) plus what made it.

    ``metadata`` is plain JSON-able data: title, source, recipe (dict), seed, created (ISO time), app_version,
    notes. What one cell is in the real world (thread on Aida, a bead, a plate) is ``palette.material``.
    ``layers`` holds what is not a full cross (part stitches, backstitches, French knots, beads; empty by
    default), in the same palette: see :mod:`pixlcraft.stitches`.
    """

    grid: np.ndarray
    palette: Palette
    metadata: dict[str, Any] = field(default_factory=dict)
    layers: StitchLayers = field(default_factory=StitchLayers)

    def __post_init__(self) -> None:
        if self.metadata is None:
            self.metadata = {}
        self.grid = _checked_grid(self.grid, len(self.palette))
        self.layers = _checked_layers(self.layers, self.grid.shape, len(self.palette))

    @property
    def height(self) -> int:
        return int(self.grid.shape[0])

    @property
    def width(self) -> int:
        return int(self.grid.shape[1])

    @property
    def empty_count(self) -> int:
        return int(np.count_nonzero(self.grid == EMPTY))

    def validate(self) -> None:
        """Re-check after in-place edits: the grid 2-D, 1..MAX_CELLS per side, every index in the palette; the
        layers the grid's size, on the chart and in the palette."""
        self.grid = _checked_grid(self.grid, len(self.palette))
        self.layers = _checked_layers(self.layers, self.grid.shape, len(self.palette))

    def counts(self) -> np.ndarray:
        """Full-cross cells per palette entry, shape ``(len(palette),)`` — the shopping list in cells. The
        layers are counted apart (:meth:`layer_counts`): a backstitch is not a cell, and colour reduction
        weighs colours by the cells they fill."""
        filled = self.grid[self.grid >= 0]
        return np.bincount(filled.ravel(), minlength=len(self.palette)).astype(np.int64)

    def layer_counts(self) -> LayerCounts:
        """Per palette entry: part stitches, quarters, backstitches and their length in cells, knots, beads."""
        return self.layers.counts(len(self.palette))

    def used_indices(self) -> np.ndarray:
        """Palette indices the pattern uses anywhere — in the grid or in any layer — in palette order (a
        colour used only for backstitching is still a thread to buy, keep in the key and keep on compact)."""
        return np.flatnonzero((self.counts() > 0) | self.layers.used(len(self.palette)))

    def rgb_image(self, empty_rgb: tuple[int, int, int] = (255, 255, 255)) -> np.ndarray:
        """``(H,W,3)`` uint8 in the exact palette colours; empty cells get ``empty_rgb``."""
        lut = np.vstack([self.palette.rgb.astype(np.uint8), np.asarray(empty_rgb, np.uint8).reshape(1, 3)])
        # EMPTY is -1, and index -1 is the last row of the table: the empty colour.
        return lut[self.grid]

    def rgba_image(self) -> np.ndarray:
        """``(H,W,4)`` uint8; empty cells are fully transparent."""
        n = len(self.palette)
        lut = np.zeros((n + 1, 4), np.uint8)
        lut[:n, :3] = self.palette.rgb
        lut[:n, 3] = 255
        lut[n] = (255, 255, 255, 0)
        return lut[self.grid]

    def compact(self) -> Pattern:
        """A copy whose palette holds only the used entries (grid or layers, in palette order), grid and layers
        re-indexed.

        A palette cannot be empty, so a pattern with no filled cell at all keeps the first entry.
        """
        used = self.used_indices()
        if used.size == 0:
            used = np.array([0])
        remap = np.full(len(self.palette) + 1, EMPTY, np.int16)
        remap[used] = np.arange(used.size, dtype=np.int16)
        # remap[-1] (the extra last slot) is EMPTY, so empty cells stay empty.
        return Pattern(remap[self.grid], self.palette.subset(used.tolist()), copy.deepcopy(self.metadata),
                       self.layers.remap(remap[:-1]))

    def copy(self) -> Pattern:
        """An independent copy (the layers are read-only values, so the copy shares them)."""
        return Pattern(self.grid.copy(), self.palette, copy.deepcopy(self.metadata), self.layers)


def _checked_grid(grid: object, n_colours: int) -> np.ndarray:
    g = np.asarray(grid)
    if g.ndim != 2:
        raise InputError(f"a pattern grid must be 2-D (rows × columns), not {g.ndim}-D with shape {g.shape}.")
    h, w = g.shape
    if not (1 <= h <= MAX_CELLS and 1 <= w <= MAX_CELLS):
        raise InputError(f"a pattern must be 1–{MAX_CELLS} cells per side, not {w}×{h}.")
    if not np.issubdtype(g.dtype, np.integer):
        raise InputError(f"a pattern grid must hold whole palette indices, not {g.dtype} values.")
    if n_colours > np.iinfo(np.int16).max:
        raise InputError(f"a palette of {n_colours} colours is too large for a pattern.")
    lo, hi = int(g.min()), int(g.max())
    if lo < EMPTY or hi >= n_colours:
        bad = lo if lo < EMPTY else hi
        raise InputError(
            f"the pattern grid refers to colour number {bad}, but its palette has {n_colours} colours "
            f"(0–{n_colours - 1}, or {EMPTY} for an empty cell)."
        )
    return g.astype(np.int16, copy=False)


def _checked_layers(layers: object, shape: tuple[int, int], n_colours: int) -> StitchLayers:
    if layers is None:
        return StitchLayers()
    if not isinstance(layers, StitchLayers):
        raise InputError(f"a pattern's layers must be StitchLayers, not {type(layers).__name__}.")
    return layers.checked(shape, n_colours)


# ------------------------------------------------------------------------------------------------ .pixl


def _plain(value: Any, where: str) -> Any:
    """Metadata as plain JSON values: numpy numbers and arrays, tuples, paths and times are converted; NaN
    becomes null (JSON has no NaN); anything else is refused with the key that holds it."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str | int):
                raise InputError(f"cannot save pattern metadata '{where}': key {k!r} is not text.")
            out[str(k)] = _plain(v, f"{where}.{k}" if where else str(k))
        return out
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    raise InputError(f"cannot save pattern metadata '{where}': a {type(value).__name__} is not plain data.")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).astimezone().isoformat(timespec="seconds")


def _preview_png(pattern: Pattern) -> bytes:
    img = Image.fromarray(pattern.rgba_image() if pattern.empty_count else pattern.rgb_image())
    long_side = max(pattern.width, pattern.height)
    if long_side > PREVIEW_SIDE:
        f = PREVIEW_SIDE / long_side
        size = (max(1, round(pattern.width * f)), max(1, round(pattern.height * f)))
        img = img.resize(size, Image.Resampling.BOX)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


_PHOTO_LIMIT = 20 * 1024 * 1024
PHOTO_MEMBER = "photo"


def save_pixl(pattern: Pattern, path: str | Path, *, photo: bytes | None = None) -> None:
    """Write ``pattern`` as a self-contained ``.pixl`` file, atomically (with its chart symbols, given now to
    any colour that has none, so the printed key of this file never changes). ``photo``: an image file's
    bytes (:func:`pixlcraft.imageio.encode_photo`) kept inside, so the pattern can be made again later."""
    from .symbols import ensure_symbols

    pattern.validate()
    ensure_symbols(pattern)
    small = pattern.compact()
    metadata = _plain(small.metadata, "")
    metadata.setdefault("created", _now())
    metadata.setdefault("app_version", __version__)
    tables = small.layers.tables()
    doc = {
        "format": FORMAT,
        "version": FORMAT_VERSION if tables else 1,  # the oldest format that holds it all, for older readers
        "app_version": __version__,
        "saved": _now(),
        "width": small.width,
        "height": small.height,
        "metadata": metadata,
        "palette": _plain(small.palette.to_dict(), "palette"),
        "grid": "grid.npy",
        "preview": "preview.png",
    }
    if tables:
        doc["layers"] = {"units_per_cell": UNITS_PER_CELL, **{name: f"{name}.npy" for name in tables}}
    if photo:
        doc["photo"] = PHOTO_MEMBER
    text = json.dumps(doc, ensure_ascii=False, indent=1, allow_nan=False)
    grid_buf = io.BytesIO()
    np.save(grid_buf, small.grid.astype("<i2"), allow_pickle=False)
    preview = _preview_png(small)
    with atomic_write(path, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pattern.json", text.encode("utf-8"))
        zf.writestr("grid.npy", grid_buf.getvalue())
        for name, rows in tables.items():
            buf = io.BytesIO()
            np.save(buf, rows.astype("<i4"), allow_pickle=False)
            zf.writestr(f"{name}.npy", buf.getvalue())
        zf.writestr("preview.png", preview, compress_type=zipfile.ZIP_STORED)
        if photo:
            zf.writestr(PHOTO_MEMBER, photo, compress_type=zipfile.ZIP_STORED)


def load_pixl_photo(path: str | Path) -> bytes | None:
    """The photo kept inside a ``.pixl`` file (an image file's bytes), or None when it keeps none."""
    p = existing_file(path, "a pattern file", PatternFileError)
    try:
        with zipfile.ZipFile(p) as zf:
            doc = json.loads(_read_member(zf, "pattern.json", _JSON_LIMIT, p))
            name = doc.get("photo") if isinstance(doc, dict) else None
            if not isinstance(name, str) or name not in zf.namelist():
                return None
            return _read_member(zf, name, _PHOTO_LIMIT, p)
    except (zipfile.BadZipFile, OSError, ValueError, RecursionError):
        return None


def _damaged(path: Path, reason: str) -> PatternFileError:
    return PatternFileError(f"cannot open {path}: {reason}")


MAX_JSON_DEPTH = 64
"""Deepest nesting of lists and objects a pattern.json may have (PixlCraft's own files nest 4 deep)."""


def _depth(value: object) -> int:
    """How deeply lists and dicts nest in ``value``, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_JSON_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _read_member(zf: zipfile.ZipFile, name: str, limit: int, path: Path) -> bytes:
    try:
        info = zf.getinfo(name)
        if info.file_size > limit:
            raise _damaged(path, f"its {name} is implausibly large; the file is damaged.")
        if info.flag_bits & 0x1:
            raise _damaged(path, f"its {name} is encrypted; PixlCraft patterns never are.")
        with zf.open(info) as member:
            data = member.read(limit + 1)
    except PatternFileError:
        raise
    except Exception as e:  # BadZipFile (CRC), zlib.error, EOFError, encrypted or unknown compression
        raise _damaged(path, f"its {name} cannot be read ({e}); the file is damaged.") from None
    if len(data) > limit:
        raise _damaged(path, f"its {name} is implausibly large; the file is damaged.")
    return data


def _read_npy(zf: zipfile.ZipFile, name: str, limit: int, path: Path, called: str) -> Any:
    """One ``.npy`` member, no pickles; a damaged one is a clear "cannot be read" naming what it held."""
    try:
        return np.load(io.BytesIO(_read_member(zf, name, limit, path)), allow_pickle=False)
    except PatternFileError:
        raise
    except Exception as e:  # ValueError, EOFError, OSError from a damaged .npy
        raise _damaged(path, f"its {called} cannot be read ({e}).") from None


def _int_field(doc: dict[str, Any], key: str, path: Path) -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _damaged(path, f"its pattern.json has no valid '{key}'; the file is damaged.")
    return value


def load_pixl(path: str | Path) -> Pattern:
    """Read a ``.pixl`` file; anything unexpected is a :class:`PatternFileError` saying what is wrong."""
    p = existing_file(path, "a pattern file", PatternFileError)
    try:
        zf = zipfile.ZipFile(p)
    except zipfile.BadZipFile:
        raise _damaged(p, "it is not a PixlCraft pattern (not a ZIP archive), or it is damaged.") from None
    except OSError as e:
        raise PatternFileError(f"cannot read {p}: {e.strerror or e}.") from None
    with zf:
        # 1. the description
        if "pattern.json" not in zf.namelist():
            raise _damaged(p, "it has no pattern.json inside; it is not a PixlCraft pattern, or is damaged.")
        try:
            doc = json.loads(_read_member(zf, "pattern.json", _JSON_LIMIT, p).decode("utf-8"))
        except UnicodeDecodeError:
            raise _damaged(p, "its pattern.json is not UTF-8 text; the file is damaged.") from None
        except json.JSONDecodeError as e:
            raise _damaged(p, f"its pattern.json is not valid JSON (line {e.lineno}: {e.msg}).") from None
        except RecursionError:  # thousands of nested brackets: no pattern is built like that
            raise _damaged(p, "its pattern.json is nested far too deeply; the file is damaged.") from None
        if _depth(doc) > MAX_JSON_DEPTH:  # it loads, but would not save again (nor print, nor copy)
            raise _damaged(p, "its pattern.json is nested far too deeply; the file is damaged.")
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise _damaged(p, "it is not a PixlCraft pattern (its pattern.json has another format).")
        version = _int_field(doc, "version", p)
        if version > FORMAT_VERSION:
            raise PatternFileError(
                f"{p} was made by a newer PixlCraft (pattern format {version}; this version reads up to "
                f"{FORMAT_VERSION}); please update PixlCraft to open it."
            )
        if version < 1:
            raise _damaged(p, f"its pattern format version {version} is not valid.")
        width, height = _int_field(doc, "width", p), _int_field(doc, "height", p)
        if not (1 <= width <= MAX_CELLS and 1 <= height <= MAX_CELLS):
            raise _damaged(p, f"its size {width}×{height} is outside 1–{MAX_CELLS} cells per side.")

        # 2. the grid
        grid_name = doc.get("grid", "grid.npy")
        if not isinstance(grid_name, str) or grid_name not in zf.namelist():
            raise _damaged(p, f"the grid ({grid_name}) is missing from inside it.")
        grid = _read_npy(zf, grid_name, _GRID_LIMIT, p, "grid")
        tables = _read_layer_tables(zf, doc, version, p)
    if not isinstance(grid, np.ndarray) or not np.issubdtype(grid.dtype, np.integer):
        raise _damaged(p, "its grid does not hold whole palette indices.")
    if grid.shape != (height, width):
        raise _damaged(p, f"its grid is {grid.shape} but the pattern says {height} rows × {width} columns.")

    # 3. palette and metadata
    try:
        palette = Palette.from_dict(doc.get("palette"))
    except Exception as e:
        reason = str(e).removeprefix("The stored palette is damaged: ").rstrip(".")
        raise _damaged(p, f"the palette inside it is damaged ({reason}).") from None
    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _damaged(p, "its metadata is not a set of named values.")
    try:
        layers = StitchLayers.from_tables(tables, (height, width), len(palette))
    except InputError as e:
        raise _damaged(p, f"its stitch layers are damaged: {e}") from None
    try:
        return Pattern(grid, palette, metadata, layers)
    except InputError as e:
        raise _damaged(p, str(e)) from None


def _read_layer_tables(zf: zipfile.ZipFile, doc: dict[str, Any], version: int, path: Path) -> dict[str, np.ndarray]:
    """The layer tables a format-2 file names (none in a format-1 file), each read within its size limit."""
    spec = doc.get("layers")
    if version < 2 or spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _damaged(path, "its pattern.json names its stitch layers wrongly; the file is damaged.")
    units = spec.get("units_per_cell", UNITS_PER_CELL)
    if units != UNITS_PER_CELL:
        raise _damaged(path, f"its stitch positions are in 1/{units} of a cell; this PixlCraft knows only "
                             f"1/{UNITS_PER_CELL}.")
    tables = {}
    for name, called in LAYER_NAMES.items():
        member = spec.get(name)
        if member is None:
            continue
        if not isinstance(member, str) or member not in zf.namelist():
            raise _damaged(path, f"its {called} ({member}) are missing from inside it.")
        rows = _read_npy(zf, member, _LAYER_LIMIT, path, called)
        if not isinstance(rows, np.ndarray) or not np.issubdtype(rows.dtype, np.integer):
            raise _damaged(path, f"its {called} do not hold whole numbers.")
        tables[name] = rows
    return tables


# ------------------------------------------------------------------------------------------------ .png


def picture(pattern: Pattern, max_side: int = 1600) -> np.ndarray:
    """The finished piece as an image: the cells (RGBA when some are empty) with the stitch layers painted over
    them at enough pixels per cell to hold them (a cover, a preview: an outlined design looks unfinished
    without its outline, and a split cell would look like a hole)."""
    img = pattern.rgba_image() if pattern.empty_count else pattern.rgb_image()
    if pattern.layers.is_empty:
        return img
    scale = max(MIN_LAYER_SCALE, min(24, max_side // max(pattern.width, pattern.height)))
    img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
    return draw_layers(img, pattern.layers, pattern.palette.rgb, scale)


def save_png(pattern: Pattern, path: str | Path, scale: int = 1) -> None:
    """One ``scale``×``scale`` block per cell in the exact palette colours (RGBA when cells are empty), with
    the stitch layers painted on from :data:`~pixlcraft.stitch_shapes.MIN_LAYER_SCALE` pixels per cell up (at
    fewer a cell cannot hold half a stitch, and the picture shows the full crosses only)."""
    if isinstance(scale, bool) or not isinstance(scale, int | np.integer) or scale < 1:
        raise InputError(f"the PNG scale must be a whole number of pixels per cell (1 or more), not {scale}.")
    scale = int(scale)
    pattern.validate()
    if max(pattern.width, pattern.height) * scale > MAX_PNG_SIDE:
        most = max(1, MAX_PNG_SIDE // max(pattern.width, pattern.height))
        raise InputError(
            f"a {pattern.width}×{pattern.height} pattern at {scale} pixels per cell is larger than "
            f"{MAX_PNG_SIDE} pixels; use a scale of at most {most}."
        )
    img = pattern.rgba_image() if pattern.empty_count else pattern.rgb_image()
    if scale > 1:
        img = np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)
    img = draw_layers(img, pattern.layers, pattern.palette.rgb, scale)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"PixlCraft {__version__}")
    title = pattern.metadata.get("title")
    if isinstance(title, str) and title:
        info.add_text("Title", title)
    with atomic_write(path, "wb") as f:
        Image.fromarray(img).save(f, format="PNG", pnginfo=info)


# ------------------------------------------------------------------------------------------------ dispatch


def _supported() -> str:
    return ", ".join(f"{s} ({what})" for s, what in _SUFFIXES.items())


def save_pattern(pattern: Pattern, path: str | Path, scale: int = 1) -> None:
    """Save by file extension: ``.pixl`` (the editable pattern) or ``.png`` (a picture of it)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".pixl":
        save_pixl(pattern, path)
    elif suffix == ".png":
        save_png(pattern, path, scale)
    else:
        raise InputError(f"cannot save a pattern as '{Path(path).name}'; PixlCraft can save {_supported()}.")
