"""Pattern edits (paint, fill, replace, merge, confetti clean-up) as undoable commands.

Every edit a person makes in the app is a :class:`Command` pushed on an :class:`UndoStack`. A command records
only what it changed — the cells it touched with their old and new values, and the palette before and after
when a colour had to be added — so a long history of a big pattern costs little memory, and undo is exact by
construction: it writes the recorded old values back. Colour edits (merge, replace, reduce, compact) act on the
stitch layers too — a merged colour is merged in the backstitches, part stitches, knots and beads as well —
and record the layers before and after (read-only values, shared, never copied for nothing).

Colours are named either by an index into the pattern's own palette or by a :class:`PaletteEntry`. A pattern
may carry its brand's full palette (straight from a conversion) or only the colours it uses (a loaded
``.pixl``), so painting with "DMC 310" must work either way: an entry already in the palette (same code) is
used as it is, any other one is appended to the palette, and undo puts the old palette back.

Nothing here knows about Qt; the GUI listens through :meth:`UndoStack.add_listener`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from .confetti import DEFAULT_TOLERANCE, remove_confetti
from .errors import InputError, PaletteError
from .palette import Palette, PaletteEntry, builtin_names, load_builtin
from .pattern import EMPTY, Pattern
from .stitches import StitchLayers

__all__ = [
    "AddColor",
    "ColorRef",
    "Command",
    "CompactPalette",
    "DEFAULT_UNDO_LIMIT",
    "EditEvent",
    "EditLayers",
    "FloodFill",
    "MergeColors",
    "Paint",
    "RemoveConfetti",
    "ReplaceColor",
    "UndoStack",
    "brand_palette",
    "ensure_color",
    "flood_region",
]

ColorRef = int | PaletteEntry
"""A colour to paint with: an index into the pattern's palette (or ``EMPTY`` to erase), or a palette entry."""

DEFAULT_UNDO_LIMIT = 200


# ------------------------------------------------------------------------------------------------ colours


def ensure_color(palette: Palette, color: ColorRef) -> tuple[Palette, int]:
    """The palette that holds ``color`` and its index there.

    An index (or ``EMPTY``) must already be valid and gives back ``palette`` itself. An entry whose code is in
    the palette gives that index (codes are unique in a palette, so the code decides); any other entry is
    appended, giving a new palette one longer — the caller decides whether to keep it.
    """
    if isinstance(color, PaletteEntry):
        i = palette.find(color.code)
        if i is not None and palette[i].code.strip().upper() == color.code.strip().upper():
            return palette, i
        if len(palette) >= np.iinfo(np.int16).max:
            raise PaletteError(f"the pattern already uses {len(palette)} colours; no more can be added.")
        grown = Palette(palette.name, palette.brand, palette.material, (*palette.entries, color), palette.source)
        return grown, len(palette)
    if isinstance(color, bool) or not isinstance(color, int | np.integer):
        raise TypeError(f"a colour is a palette index or a PaletteEntry, not {type(color).__name__}")
    index = int(color)
    if not EMPTY <= index < len(palette):
        raise InputError(f"colour number {index} is not in the pattern's palette of {len(palette)} colours.")
    return palette, index


def brand_palette(pattern: Pattern) -> Palette:
    """The palette a colour picker should offer for ``pattern``: the brand's full built-in palette when the
    pattern's palette is (a subset of) a built-in one, otherwise the pattern's own palette.

    A saved pattern carries only the colours it uses; to paint with any other DMC thread the picker needs the
    whole DMC list, and picking from it goes through :func:`ensure_color`.
    """
    own = pattern.palette
    key = own.source.removeprefix("builtin:") if own.source.startswith("builtin:") else own.name
    if key in builtin_names():
        full = load_builtin(key)
        if full.brand == own.brand:
            return full
    return own


def flood_region(grid: np.ndarray, y: int, x: int, connectivity: int = 4) -> np.ndarray:
    """Boolean mask of the cells connected to ``(y, x)`` that hold the same value (empty cells included).

    ``connectivity`` 4 joins cells sharing a side (what a stitcher calls an area); 8 also joins corners.
    """
    if connectivity not in (4, 8):
        raise ValueError(f"connectivity must be 4 or 8, not {connectivity}")
    g = np.asarray(grid)
    h, w = g.shape
    if not (0 <= y < h and 0 <= x < w):
        raise InputError(f"cell ({y}, {x}) is outside the {w}×{h} pattern.")
    same = (g == g[y, x]).astype(np.uint8)
    _, labels = cv2.connectedComponents(same, connectivity=connectivity, ltype=cv2.CV_32S)
    return labels == labels[y, x]


# ------------------------------------------------------------------------------------------------ commands


@dataclass
class _Diff:
    """The cells a command changed, with their values before and after (int16 arrays of equal length)."""

    ys: np.ndarray
    xs: np.ndarray
    old: np.ndarray
    new: np.ndarray

    @staticmethod
    def empty() -> _Diff:
        z = np.zeros(0, np.intp)
        return _Diff(z, z, np.zeros(0, np.int16), np.zeros(0, np.int16))

    def __len__(self) -> int:
        return int(self.ys.size)


class Command:
    """One undoable edit. Subclasses say what to change in :meth:`_plan`; the base class records and replays.

    ``do`` is called once by :meth:`UndoStack.push`; it works out the change against the pattern as it is
    then and remembers it, so ``undo``/``redo`` replay exactly that change. A command therefore belongs to
    one pattern and one place in its history — the stack guarantees that.
    """

    label = "Edit"
    merge_key: object | None = None
    """Commands with the same non-None key pushed one after another become one undo step (a brush stroke)."""

    def __init__(self) -> None:
        self._diff: _Diff | None = None
        self._palette_before: Palette | None = None
        self._palette_after: Palette | None = None
        self._layers_before: StitchLayers | None = None
        self._layers_after: StitchLayers | None = None

    # -- what subclasses provide ---------------------------------------------------------------------------

    def _plan(self, pattern: Pattern) -> tuple[Palette, np.ndarray, np.ndarray, np.ndarray | int]:
        """``(palette, ys, xs, new_values)``: the palette after the edit and the cells to set."""
        raise NotImplementedError

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers | None:
        """The stitch layers after the edit (called right after :meth:`_plan`, with its palette), or ``None``
        for edits that leave them alone: painting cells does not touch the backstitches."""
        return None

    # -- the machinery --------------------------------------------------------------------------------------

    def do(self, pattern: Pattern) -> bool:
        """Apply the edit; ``False`` when it changes nothing (the stack then forgets it)."""
        if self._diff is None:
            before = pattern.palette
            palette, ys, xs, new = self._plan(pattern)
            ys = np.asarray(ys, np.intp).ravel()
            xs = np.asarray(xs, np.intp).ravel()
            new_values = np.broadcast_to(np.asarray(new, np.int16), ys.shape)
            lin = ys * pattern.width + xs
            if np.unique(lin).size != lin.size:  # a cell listed twice: record it once, with its last value
                _, last_rev = np.unique(lin[::-1], return_index=True)
                pick = lin.size - 1 - last_rev
                ys, xs, new_values = ys[pick], xs[pick], new_values[pick]
            old_values = pattern.grid[ys, xs]
            keep = old_values != new_values
            self._diff = _Diff(ys[keep], xs[keep], old_values[keep].copy(), new_values[keep].copy())
            layers = self._plan_layers(pattern, palette)
            self._layers_before = self._layers_after = pattern.layers
            if layers is not None and not layers.equals(pattern.layers):
                self._layers_after = layers
            if len(self._diff) == 0 and not self.layers_changed and not self._keeps_palette_alone():
                palette = before
            self._palette_before, self._palette_after = before, palette
        self.redo(pattern)
        return self.changed

    def _keeps_palette_alone(self) -> bool:
        """True for commands whose point is the palette change itself (adding a colour)."""
        return False

    def undo(self, pattern: Pattern) -> None:
        d = self._require_done()
        pattern.grid[d.ys, d.xs] = d.old
        pattern.palette = self._palette_before
        if self.layers_changed:
            pattern.layers = self._layers_before

    def redo(self, pattern: Pattern) -> None:
        d = self._require_done()
        pattern.palette = self._palette_after
        pattern.grid[d.ys, d.xs] = d.new
        if self.layers_changed:
            pattern.layers = self._layers_after

    def _require_done(self) -> _Diff:
        if self._diff is None:
            raise RuntimeError(f"{type(self).__name__} has not been applied yet; push it on an UndoStack")
        return self._diff

    @property
    def changed(self) -> bool:
        return self._diff is not None and (len(self._diff) > 0 or self._palette_after is not self._palette_before
                                           or self.layers_changed)

    @property
    def layers_changed(self) -> bool:
        """True when the edit changed the stitch layers (a view then repaints everything, not just ``cells``)."""
        return self._layers_after is not self._layers_before

    @property
    def palette_changed(self) -> bool:
        return self._diff is not None and self._palette_after is not self._palette_before

    @property
    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ys, xs)`` of the cells this command changed (empty before it is applied)."""
        d = self._diff or _Diff.empty()
        return d.ys, d.xs

    @property
    def cell_count(self) -> int:
        return 0 if self._diff is None else len(self._diff)

    def absorb(self, later: Command) -> None:
        """Fold an already applied ``later`` command into this one, so one undo reverts both."""
        a, b = self._require_done(), later._require_done()
        ys = np.concatenate([a.ys, b.ys])
        xs = np.concatenate([a.xs, b.xs])
        old = np.concatenate([a.old, b.old])
        new = np.concatenate([a.new, b.new])
        # A cell touched twice keeps its first old value and its last new value.
        key = ys.astype(np.int64) * (1 << 31) + xs
        _, first = np.unique(key, return_index=True)
        _, last_rev = np.unique(key[::-1], return_index=True)
        last = key.size - 1 - last_rev
        keep = old[first] != new[last]
        self._diff = _Diff(ys[first][keep], xs[first][keep], old[first][keep], new[last][keep])
        self._palette_after = later._palette_after
        if later.layers_changed:
            self._layers_after = later._layers_after
        self._absorbed(later)

    def _absorbed(self, later: Command) -> None:
        """Hook to update the label after :meth:`absorb`."""


def _cells_arrays(cells: Iterable[tuple[int, int]] | np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, ...]:
    arr = np.asarray(list(cells) if not isinstance(cells, np.ndarray) else cells, dtype=np.intp).reshape(-1, 2)
    h, w = shape
    bad = (arr[:, 0] < 0) | (arr[:, 0] >= h) | (arr[:, 1] < 0) | (arr[:, 1] >= w)
    if bad.any():
        y, x = arr[bad][0]
        raise InputError(f"cell ({y}, {x}) is outside the {w}×{h} pattern.")
    return arr[:, 0], arr[:, 1]


def _name(palette: Palette, index: int) -> str:
    return "empty" if index == EMPTY else palette[index].code


class Paint(Command):
    """Set some cells to one colour. A whole brush stroke is one command, so one undo undoes the stroke.

    Pass the same ``stroke`` token (any hashable, e.g. a counter per mouse press) to each piece of a stroke
    pushed while dragging: the stack merges consecutive pieces into one undo step. ``EMPTY`` erases.
    """

    def __init__(self, cells: Iterable[tuple[int, int]] | np.ndarray, color: ColorRef, stroke: object = None):
        super().__init__()
        self._cells = cells
        self.color = color
        self.merge_key = None if stroke is None else ("paint", stroke)
        self.label = "Paint"

    def _plan(self, pattern: Pattern):
        palette, index = ensure_color(pattern.palette, self.color)
        ys, xs = _cells_arrays(self._cells, pattern.grid.shape)
        self.label = "Erase" if index == EMPTY else f"Paint {_name(palette, index)}"
        return palette, ys, xs, index


class FloodFill(Command):
    """Re-colour the area around ``(y, x)`` that has that cell's colour (4- or 8-connected)."""

    def __init__(self, y: int, x: int, color: ColorRef, connectivity: int = 4):
        super().__init__()
        if connectivity not in (4, 8):
            raise ValueError(f"connectivity must be 4 or 8, not {connectivity}")
        self.y, self.x, self.color, self.connectivity = int(y), int(x), color, connectivity
        self.label = "Fill"

    def _plan(self, pattern: Pattern):
        palette, index = ensure_color(pattern.palette, self.color)
        ys, xs = np.nonzero(flood_region(pattern.grid, self.y, self.x, self.connectivity))
        self.label = f"Fill with {_name(palette, index)}"
        return palette, ys, xs, index


class MergeColors(Command):
    """Every cell of any of ``sources`` (palette indices) becomes ``target``: fewer thread colours to buy."""

    def __init__(self, sources: Iterable[int], target: ColorRef):
        super().__init__()
        self.sources = [int(s) for s in sources]
        self.target = target
        self.label = "Merge colours"

    def _plan(self, pattern: Pattern):
        n = len(pattern.palette)
        for s in self.sources:
            if not EMPTY <= s < n:
                raise InputError(f"colour number {s} is not in the pattern's palette of {n} colours.")
        palette, index = ensure_color(pattern.palette, self.target)
        ys, xs = np.nonzero(np.isin(pattern.grid, np.asarray(self.sources, np.int16)))
        self._describe(palette, index)
        self._index = index
        return palette, ys, xs, index

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers:
        """The same merge in every layer; merged into ``EMPTY`` (erase), those stitches go."""
        lut = np.arange(len(pattern.palette))
        lut[[s for s in self.sources if s != EMPTY]] = self._index
        return pattern.layers.remap(lut)

    def _describe(self, palette: Palette, index: int) -> None:
        self.label = f"Merge {len(self.sources)} colours into {_name(palette, index)}"


class ReplaceColor(MergeColors):
    """Every cell of colour ``old`` (a palette index) becomes ``new``, everywhere in the pattern."""

    def __init__(self, old: int, new: ColorRef):
        super().__init__([old], new)
        self.label = "Replace colour"

    def _describe(self, palette: Palette, index: int) -> None:
        self.label = f"Replace {_name(palette, self.sources[0])} with {_name(palette, index)}"


class RemoveConfetti(Command):
    """Re-colour isolated single cells to a neighbour's colour when that costs ≤ ``tolerance`` CIEDE2000.

    ``cell_lab`` (H,W,3) are the cells' true colours when known (a fresh conversion has them). For a loaded
    pattern they are not, so each cell's current palette colour stands in for its true colour: a lone cell
    then only goes when a neighbour's colour is within ``tolerance`` of its own.
    """

    def __init__(self, tolerance: float = DEFAULT_TOLERANCE, cell_lab: np.ndarray | None = None, max_passes: int = 4):
        super().__init__()
        if not tolerance >= 0:
            raise InputError(f"the confetti tolerance must not be negative (got {tolerance}).")
        self.tolerance, self.cell_lab, self.max_passes = float(tolerance), cell_lab, int(max_passes)
        self.label = "Remove confetti"
        self.count = 0
        """How many cells the command recoloured (known once it has run)."""

    def _plan(self, pattern: Pattern):
        grid = pattern.grid
        if self.cell_lab is None:
            labs = np.asarray(pattern.palette.lab)[grid]  # EMPTY picks the last row; empty cells are skipped
        else:
            labs = np.asarray(self.cell_lab, np.float64)
            if labs.shape != (*grid.shape, 3):
                raise ValueError(f"cell_lab has shape {labs.shape}, expected {(*grid.shape, 3)}")
        cleaned, _ = remove_confetti(grid, labs, pattern.palette.lab, self.tolerance, self.max_passes)
        ys, xs = np.nonzero(cleaned != grid)
        self.count = int(ys.size)
        self.label = f"Remove confetti ({ys.size} cells)"
        return pattern.palette, ys, xs, cleaned[ys, xs]


class AddColor(Command):
    """Add a colour to the pattern's palette without painting with it (e.g. to have it in the legend).

    After :meth:`do`, :attr:`index` is the colour's index (also when it was already there: then nothing
    changes and the stack drops the command).
    """

    def __init__(self, entry: PaletteEntry):
        super().__init__()
        self.entry = entry
        self.index: int | None = None
        self.label = f"Add colour {entry.code}"

    def _plan(self, pattern: Pattern):
        palette, self.index = ensure_color(pattern.palette, self.entry)
        none = np.zeros(0, np.intp)
        return palette, none, none, 0

    def _keeps_palette_alone(self) -> bool:
        return True


class CompactPalette(Command):
    """Drop palette colours no cell uses (the legend and shopping list then list only real threads)."""

    label = "Remove unused colours"

    def _plan(self, pattern: Pattern):
        small = pattern.compact()
        self._layers = small.layers
        if len(small.palette) == len(pattern.palette):
            none = np.zeros(0, np.intp)
            return pattern.palette, none, none, 0
        ys, xs = np.nonzero(small.grid != pattern.grid)
        return small.palette, ys, xs, small.grid[ys, xs]

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers:
        return self._layers

    def _keeps_palette_alone(self) -> bool:
        return True


class EditLayers(Command):
    """A change to the stitch layers only (a backstitch drawn, a part stitch or knot placed, one erased).

    ``change(layers, index)`` gives the new layers from the pattern's and the palette index of ``color``
    (``None`` for an eraser, which is then given ``EMPTY``). The layers are immutable values, so the command
    keeps the before and after values themselves: undo is exact, and a colour the palette lacked is added
    with the stitch and removed again by undo, as painting does.
    """

    def __init__(self, change: Callable[[StitchLayers, int], StitchLayers], color: ColorRef | None = None,
                 label: str = "Edit stitches"):
        super().__init__()
        self.change, self.color, self.label = change, color, label

    def _plan(self, pattern: Pattern):
        palette, index = (pattern.palette, EMPTY) if self.color is None else \
            ensure_color(pattern.palette, self.color)
        if self.color is not None and index == EMPTY:
            raise InputError("a stitch needs a thread colour, not \"empty\".")
        layers = self.change(pattern.layers, index).checked(pattern.grid.shape, len(palette))
        layers, ys, xs = _parts_replace_crosses(pattern, layers)
        self._layers = layers
        return palette, ys, xs, EMPTY

    def _plan_layers(self, pattern: Pattern, palette: Palette) -> StitchLayers:
        return self._layers


def _parts_replace_crosses(pattern: Pattern, layers: StitchLayers) -> tuple[StitchLayers, np.ndarray, np.ndarray]:
    """A part stitch placed on a full cross replaces the cross (a stitcher cannot work both in one cell):
    the cell's cross is taken out, and for a quarter or three-quarter stitch the rest of the cell keeps the
    cross's colour as the matching three-quarter or quarter, so the cell stays covered — the same split that
    Smooth Diagonal Edges makes. A half stitch leaves the other half of the cell unstitched."""
    none = np.zeros(0, np.intp)
    if layers.quarters is None:
        return layers, none, none
    old = pattern.layers.quarter_grid(*pattern.grid.shape)
    new = layers.quarters
    placed = (new != old) & (new >= 0)
    ys, xs = np.nonzero(placed.any(axis=2) & (pattern.grid >= 0))
    if not ys.size:
        return layers, none, none
    quarters = np.array(new, copy=True)
    for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
        if placed[y, x].sum() in (1, 3):
            free = quarters[y, x] < 0
            quarters[y, x, free] = pattern.grid[y, x]
    return layers.replace(quarters=quarters), ys, xs


# ------------------------------------------------------------------------------------------------ the stack


@dataclass(frozen=True)
class EditEvent:
    """What just happened to the pattern, so a view can repaint only what changed.

    ``action`` is ``"do"``, ``"undo"``, ``"redo"``, ``"clean"`` (saved / clean state changed) or ``"reset"``
    (a new pattern or a cleared history: repaint everything). ``cells`` is ``(ys, xs)`` of changed cells, or
    ``None`` for "everything may have changed".
    """

    action: str
    command: Command | None
    cells: tuple[np.ndarray, np.ndarray] | None
    palette_changed: bool
    clean: bool


Listener = Callable[[EditEvent], None]


class UndoStack:
    """The edit history of one pattern: push applies a command, undo/redo walk the history.

    ``clean`` is True while the pattern equals what was last saved (:meth:`set_clean`), so the window can show
    "unsaved changes" and ask before closing. ``revision`` grows on every change (autosave uses it to see
    whether anything happened since its last write). Only the newest ``limit`` steps are kept.
    """

    def __init__(self, pattern: Pattern, limit: int = DEFAULT_UNDO_LIMIT, on_change: Listener | None = None):
        if limit < 1:
            raise ValueError("the undo limit must be at least 1")
        self._pattern = pattern
        self.limit = int(limit)
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._clean_at: int | None = 0
        self.revision = 0
        self._listeners: list[Listener] = []
        if on_change is not None:
            self._listeners.append(on_change)

    # -- state ------------------------------------------------------------------------------------------------

    @property
    def pattern(self) -> Pattern:
        return self._pattern

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_label(self) -> str:
        """Label of the step :meth:`undo` would revert ("" when none), for "Undo Paint 310" menu text."""
        return self._done[-1].label if self._done else ""

    @property
    def redo_label(self) -> str:
        return self._undone[-1].label if self._undone else ""

    @property
    def undo_count(self) -> int:
        return len(self._done)

    @property
    def redo_count(self) -> int:
        return len(self._undone)

    @property
    def clean(self) -> bool:
        return self._clean_at == len(self._done)

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean_at = len(self._done)
        self._emit("clean", None, None, False)

    def mark_dirty(self) -> None:
        """Mark the pattern as unsaved although no command changed it (e.g. an imported, never-saved photo)."""
        self._clean_at = None
        self._emit("clean", None, None, False)

    # -- listeners ------------------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, action: str, command: Command | None, cells, palette_changed: bool) -> None:
        if action != "clean":
            self.revision += 1
        if command is not None and getattr(command, "layers_changed", False):  # SetSymbol is duck-typed
            cells = None  # the layers changed too: everything may need repainting
        event = EditEvent(action, command, cells, palette_changed, self.clean)
        for listener in list(self._listeners):
            listener(event)

    # -- history --------------------------------------------------------------------------------------------

    def push(self, command: Command) -> bool:
        """Apply ``command`` and record it; ``False`` (and nothing recorded) when it changed nothing.

        A command whose ``merge_key`` equals the newest step's joins that step (one undo for a whole stroke).
        """
        if not command.do(self._pattern):
            return False
        top = self._done[-1] if self._done else None
        if (top is not None and not self._undone and command.merge_key is not None
                and command.merge_key == top.merge_key):
            top.absorb(command)
            if self._clean_at == len(self._done):
                self._clean_at = None  # the saved state was the step just extended; it is gone now
            self._emit("do", top, command.cells, command.palette_changed)
            return True
        if self._clean_at is not None and self._clean_at > len(self._done):
            self._clean_at = None  # the saved state was in the redo branch we are discarding
        self._undone.clear()
        self._done.append(command)
        if len(self._done) > self.limit:
            drop = len(self._done) - self.limit
            del self._done[:drop]
            if self._clean_at is not None:
                self._clean_at = self._clean_at - drop if self._clean_at >= drop else None
        self._emit("do", command, command.cells, command.palette_changed)
        return True

    def undo(self) -> Command | None:
        """Revert the newest step; returns it, or ``None`` when there is nothing to undo."""
        if not self._done:
            return None
        command = self._done.pop()
        command.undo(self._pattern)
        self._undone.append(command)
        self._emit("undo", command, command.cells, command.palette_changed)
        return command

    def redo(self) -> Command | None:
        if not self._undone:
            return None
        command = self._undone.pop()
        command.redo(self._pattern)
        self._done.append(command)
        self._emit("redo", command, command.cells, command.palette_changed)
        return command

    def clear(self) -> None:
        """Forget the history (the pattern stays as it is); the current state counts as clean."""
        self._done.clear()
        self._undone.clear()
        self._clean_at = 0
        self._emit("reset", None, None, True)

    def reset(self, pattern: Pattern) -> None:
        """Start over with another pattern (a file was opened or a conversion finished)."""
        self._pattern = pattern
        self.clear()
