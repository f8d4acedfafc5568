"""Stitches beside the full crosses: part stitches, backstitches, French knots and beads.

A :class:`~pixlcraft.pattern.Pattern` is first of all its grid of full crosses. Charts from other programs (and
later PixlCraft's own outlines) also carry finer work, and losing it on import is losing the design, so it is
kept here in :class:`StitchLayers`, beside the grid and in the same palette:

* **part stitches** — per cell four quarters (:data:`TOP_LEFT`, :data:`TOP_RIGHT`, :data:`BOTTOM_LEFT`,
  :data:`BOTTOM_RIGHT`), each a palette index or :data:`NO_STITCH`; an ``(H, W, 4)`` int16 array, or ``None``
  when no cell has one. A half stitch is two opposite quarters (``/`` = bottom-left + top-right, ``\\`` =
  top-left + bottom-right), a three-quarter stitch a half plus one more quarter, and a cell may hold two
  colours (a three-quarter stitch and a quarter stitch meeting on the diagonal);
* **backstitches** (:class:`Lines`) — straight segments between two points, with a strand count and a kind
  (:data:`BACKSTITCH`, or a long :data:`STRAIGHT_STITCH`);
* **French knots** and **beads** (:class:`Points`) — one point each.

Positions are whole numbers of 1/:data:`UNITS_PER_CELL` of a cell, from the chart's top-left corner, x to the
right and y down: the corner between rows and columns ``(c, r)`` is ``(c·U, r·U)`` and the centre of cell
``(c, r)`` is ``((c + ½)·U, (r + ½)·U)``. Integers make positions exact (compared, stored and written again
without drift), and 240 per cell holds what real charts use: half cells, but also Ursa's own sample chart's
beads at sixteenths and backstitch ends at fifths (halves, thirds, quarters, fifths, eighths, tenths, twelfths
and sixteenths are all exact). Drawing and stitch-file code asks for cell units as floats (:meth:`Lines.cells`,
:meth:`Points.cells`) and never needs to know the unit.

Everything here is a value: the arrays are read-only and every change (:meth:`StitchLayers.remap`,
:meth:`StitchLayers.replace`) gives a new object, so copies of a pattern and an undo history share layers
safely. Nothing here imports an exporter or the GUI.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar, Self

import numpy as np

from .errors import InputError
from .sizing import MAX_CELLS

UNITS_PER_CELL = 240
"""Positions are whole numbers of this fraction of a cell (see the module docstring for why 240)."""
HALF_CELL = UNITS_PER_CELL // 2

TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT = 0, 1, 2, 3
QUARTER_NAMES = ("top-left", "top-right", "bottom-left", "bottom-right")
NO_STITCH = -1
"""A quarter with no part stitch in it."""
FORWARD = (BOTTOM_LEFT, TOP_RIGHT)
"""The quarters of a ``/`` half stitch."""
BACKWARD = (TOP_LEFT, BOTTOM_RIGHT)
"""The quarters of a ``\\`` half stitch."""

BACKSTITCH, STRAIGHT_STITCH = 0, 1
LINE_KINDS = ("backstitch", "straight stitch")
MAX_STRANDS = 12
"""Most strands a stitch may name (floss has 6; a doubled thread 12); 0 means "the thread's usual"."""
MAX_ITEMS = 2 * MAX_CELLS * MAX_CELLS
"""Most backstitches (or knots, or beads) one pattern may hold: two per cell of the largest chart, far beyond any
real one (Ursa's sample has 1,105 on 5,037 cells); it bounds what a damaged file can make us allocate."""


def to_units(cells: float | np.ndarray) -> np.ndarray:
    """Cell units (floats) → whole position units, rounded to the nearest 1/UNITS_PER_CELL."""
    return np.rint(np.asarray(cells, np.float64) * UNITS_PER_CELL).astype(np.int64)


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


def _column(values: object, dtype: type, n: int | None, what: str, width: int | None = None) -> np.ndarray:
    """One column as a read-only array of ``dtype``: ``(n,)``, or ``(n, width)``; ``n`` None takes any length."""
    a = np.asarray(values)
    if a.size == 0:
        a = a.reshape((0,) if width is None else (0, width))
    if (a.ndim != (1 if width is None else 2) or (width is not None and a.shape[1] != width)
            or (n is not None and a.shape[0] != n)):
        want = ("N" if n is None else n,) + (() if width is None else (width,))
        raise InputError(f"{what} has shape {a.shape}; expected {want}.")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise InputError(f"{what} must be whole numbers, not {a.dtype} values.")
    if a.dtype == dtype and not a.flags.writeable:
        return a  # already one of ours: values are immutable, so share it
    info = np.iinfo(dtype)
    if a.size and (int(a.min()) < info.min or int(a.max()) > info.max):
        raise InputError(f"{what} holds a value outside {info.min}–{info.max}.")
    return _frozen(a.astype(dtype, copy=True))


class _Table:
    """Rows of equal-length columns; subclasses name the columns in ``COLUMNS`` (name, dtype, width or None)."""

    COLUMNS: ClassVar[tuple[tuple[str, type, int | None], ...]]
    WHAT: ClassVar[str]

    def _setup(self) -> None:
        xy_name, xy_type, xy_width = self.COLUMNS[0]
        xy = _column(getattr(self, xy_name), xy_type, None, f"the {self.WHAT} positions", xy_width)
        object.__setattr__(self, xy_name, xy)
        n = xy.shape[0]
        for name, dtype, width in self.COLUMNS[1:]:
            raw = getattr(self, name)
            if np.ndim(raw) == 0:  # one value for every row
                raw = np.full(n, raw if raw is not None else 0)
            object.__setattr__(self, name, _column(raw, dtype, n, f"the {self.WHAT} {name}", width))

    def __len__(self) -> int:
        return int(getattr(self, self.COLUMNS[0][0]).shape[0])

    def _columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name, _, _ in self.COLUMNS}

    def select(self, keep: np.ndarray) -> Self:
        """The rows where ``keep`` (a boolean mask or index array) says so, as a new table."""
        return type(self)(**{k: v[keep] for k, v in self._columns().items()})

    def concat(self, other: Self) -> Self:
        """This table's rows followed by ``other``'s."""
        return type(self)(**{k: np.concatenate([v, getattr(other, k)]) for k, v in self._columns().items()})

    def equals(self, other: object) -> bool:
        return type(other) is type(self) and all(
            np.array_equal(v, getattr(other, k)) for k, v in self._columns().items())

    def count_per_colour(self, n_colours: int) -> np.ndarray:
        """How many rows use each palette entry, shape ``(n_colours,)``."""
        return np.bincount(self.colour.astype(np.int64), minlength=n_colours)[:n_colours]

    def table(self) -> np.ndarray:
        """All columns side by side as one ``(N, k)`` int32 array (how a .pixl file stores them)."""
        parts = [v.reshape(len(self), -1).astype(np.int32) for v in self._columns().values()]
        return np.concatenate(parts, axis=1)

    @classmethod
    def from_table(cls, rows: np.ndarray) -> Self:
        """The inverse of :meth:`table`; a wrong shape or out-of-range value is an :class:`InputError`."""
        widths = [w or 1 for _, _, w in cls.COLUMNS]
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != sum(widths):
            raise InputError(f"the {cls.WHAT} table has shape {rows.shape}; expected (N, {sum(widths)}).")
        cuts = np.cumsum([0, *widths])
        return cls(**{name: rows[:, a:b] if w else rows[:, a]
                      for (name, _, w), a, b in zip(cls.COLUMNS, cuts[:-1], cuts[1:], strict=True)})

    def _check(self, width: int, height: int, n_colours: int, what: str) -> None:
        """Every position on the chart (edges included), every colour in the palette, strands in range."""
        if len(self) > MAX_ITEMS:
            raise InputError(f"a pattern may hold at most {MAX_ITEMS:,} {what}s, not {len(self):,}.")
        if not len(self):
            return
        xy = getattr(self, self.COLUMNS[0][0]).reshape(len(self), -1, 2)
        xs, ys = xy[..., 0], xy[..., 1]
        off = (xs < 0) | (xs > width * UNITS_PER_CELL) | (ys < 0) | (ys > height * UNITS_PER_CELL)
        if off.any():
            i = int(np.flatnonzero(off.any(axis=1))[0])
            where = ", ".join(f"({x / UNITS_PER_CELL:g}, {y / UNITS_PER_CELL:g})" for x, y in xy[i])
            raise InputError(f"{what} {i + 1} at {where} lies outside the {width}×{height} chart.")
        bad = (self.colour < 0) | (self.colour >= n_colours)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"{what} {i + 1} refers to colour number {int(self.colour[i])}, but the palette "
                             f"has {n_colours} colours (0–{n_colours - 1}).")
        if int(self.strands.max()) > MAX_STRANDS:
            raise InputError(f"a {what} names {int(self.strands.max())} strands; at most {MAX_STRANDS}.")


@dataclass(frozen=True, eq=False)
class Lines(_Table):
    """Backstitches: ``xy`` ``(N, 4)`` int32 ``x1, y1, x2, y2`` in position units, ``colour`` ``(N,)`` int16
    palette indices, ``strands`` ``(N,)`` uint8 (0 = the thread's usual), ``kind`` ``(N,)`` uint8
    (:data:`BACKSTITCH` or :data:`STRAIGHT_STITCH`). Scalars are spread over every row."""

    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.int32))
    colour: np.ndarray | int = 0
    strands: np.ndarray | int = 0
    kind: np.ndarray | int = BACKSTITCH

    COLUMNS: ClassVar = (("xy", np.int32, 4), ("colour", np.int16, None), ("strands", np.uint8, None),
                         ("kind", np.uint8, None))
    WHAT: ClassVar = "backstitch"

    def __post_init__(self) -> None:
        self._setup()

    @classmethod
    def from_cells(cls, segments: object, colour: object, strands: object = 0, kind: object = BACKSTITCH) -> Lines:
        """Segments given in cell units (floats, ``(N, 4)``: x1, y1, x2, y2), rounded to position units."""
        return cls(to_units(np.asarray(segments, np.float64).reshape(-1, 4)), colour, strands, kind)

    def cells(self) -> np.ndarray:
        """``(N, 4)`` float64 ``x1, y1, x2, y2`` in cells: what a chart or a stitch file draws."""
        return self.xy / UNITS_PER_CELL

    def lengths(self) -> np.ndarray:
        """Each stitch's length in cells."""
        d = self.cells()
        return np.hypot(d[:, 2] - d[:, 0], d[:, 3] - d[:, 1])

    def length_per_colour(self, n_colours: int) -> np.ndarray:
        """Total length in cells per palette entry, shape ``(n_colours,)``: the backstitch thread to buy."""
        return np.bincount(self.colour.astype(np.int64), self.lengths(), minlength=n_colours)[:n_colours]

    def _check(self, width: int, height: int, n_colours: int, what: str = "backstitch") -> None:
        super()._check(width, height, n_colours, what)
        if not len(self):
            return
        flat = (self.xy[:, 0] == self.xy[:, 2]) & (self.xy[:, 1] == self.xy[:, 3])
        if flat.any():
            i = int(np.flatnonzero(flat)[0])
            raise InputError(f"backstitch {i + 1} starts and ends at the same point.")
        if int(self.kind.max()) >= len(LINE_KINDS):
            raise InputError(f"a backstitch has kind {int(self.kind.max())}; known kinds are 0–{len(LINE_KINDS) - 1}.")


@dataclass(frozen=True, eq=False)
class Points(_Table):
    """French knots or beads: ``xy`` ``(N, 2)`` int32 in position units (a cell centre, corner or edge),
    ``colour`` ``(N,)`` int16, ``strands`` ``(N,)`` uint8 (0 = the thread's usual; beads leave it 0)."""

    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int32))
    colour: np.ndarray | int = 0
    strands: np.ndarray | int = 0

    COLUMNS: ClassVar = (("xy", np.int32, 2), ("colour", np.int16, None), ("strands", np.uint8, None))
    WHAT: ClassVar = "knot or bead"

    def __post_init__(self) -> None:
        self._setup()

    @classmethod
    def from_cells(cls, points: object, colour: object, strands: object = 0) -> Points:
        """Points given in cell units (floats, ``(N, 2)``), rounded to position units."""
        return cls(to_units(np.asarray(points, np.float64).reshape(-1, 2)), colour, strands)

    def cells(self) -> np.ndarray:
        """``(N, 2)`` float64 ``x, y`` in cells."""
        return self.xy / UNITS_PER_CELL


@dataclass(frozen=True, eq=False)
class PartStitches:
    """Part stitches one per (cell, colour): row ``ys``, column ``xs``, ``colour`` and ``mask`` (bit ``q`` set
    for each quarter ``q`` of that colour). :func:`part_kind` names a mask."""

    ys: np.ndarray
    xs: np.ndarray
    colour: np.ndarray
    mask: np.ndarray

    def __len__(self) -> int:
        return int(self.ys.size)


_HALVES = {(1 << FORWARD[0]) | (1 << FORWARD[1]), (1 << BACKWARD[0]) | (1 << BACKWARD[1])}


def part_kind(mask: int) -> str:
    """What the quarters in ``mask`` make: "quarter", "half", "three-quarter", "two quarters" (side by side) or
    "cross" (all four: two halves crossing)."""
    n = bin(int(mask) & 15).count("1")
    if n == 2:
        return "half" if int(mask) in _HALVES else "two quarters"
    return {0: "none", 1: "quarter", 3: "three-quarter", 4: "cross"}[n]


@dataclass(frozen=True, eq=False)
class LayerCounts:
    """Per palette entry (arrays of the palette's length): what the key and the shopping list need."""

    part_stitches: np.ndarray
    """(cell, colour) part stitches."""
    quarters: np.ndarray
    """Quarter cells covered: ``quarters / 4`` is the thread of as many full crosses, roughly."""
    backstitches: np.ndarray
    backstitch_length: np.ndarray
    """Backstitch length in cells (float)."""
    knots: np.ndarray
    beads: np.ndarray


@dataclass(frozen=True, eq=False)
class StitchLayers:
    """Everything of a pattern that is not a full cross (see the module docstring). The default is empty."""

    quarters: np.ndarray | None = None
    backstitches: Lines = field(default_factory=Lines)
    knots: Points = field(default_factory=Points)
    beads: Points = field(default_factory=Points)

    def __post_init__(self) -> None:
        q = self.quarters
        if q is not None:
            q = np.asarray(q)
            if q.ndim != 3 or q.shape[2] != 4:
                raise InputError(f"part stitches must be an (H, W, 4) array of quarters, not shape {q.shape}.")
            if q.size and not np.issubdtype(q.dtype, np.integer):
                raise InputError(f"part stitches must hold whole palette indices, not {q.dtype} values.")
            if q.size and (int(q.min()) < NO_STITCH or int(q.max()) > np.iinfo(np.int16).max):
                raise InputError("part stitches refer to a colour number below -1 or beyond any palette.")
            if not (q.dtype == np.int16 and not q.flags.writeable):
                q = _frozen(q.astype(np.int16, copy=True))
            q = q if (q >= 0).any() else None
        object.__setattr__(self, "quarters", q)
        for name, kind in (("backstitches", Lines), ("knots", Points), ("beads", Points)):
            if not isinstance(getattr(self, name), kind):
                raise InputError(f"the {name} of a pattern must be {kind.__name__}, not {type(getattr(self, name))}.")

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        return self.quarters is None and not (len(self.backstitches) or len(self.knots) or len(self.beads))

    def replace(self, **changes: object) -> StitchLayers:
        """A copy with some layers replaced (``quarters=``, ``backstitches=``, ``knots=``, ``beads=``)."""
        return dataclasses.replace(self, **changes)

    def quarter_grid(self, height: int, width: int) -> np.ndarray:
        """The part stitches as a writable ``(height, width, 4)`` int16 array (all :data:`NO_STITCH` if none),
        to edit and give back with ``replace(quarters=…)``."""
        if self.quarters is None:
            return np.full((height, width, 4), NO_STITCH, np.int16)
        return self.quarters.copy()

    def equals(self, other: object) -> bool:
        if not isinstance(other, StitchLayers):
            return False
        same_q = (self.quarters is None and other.quarters is None) or (
            self.quarters is not None and other.quarters is not None
            and np.array_equal(self.quarters, other.quarters))
        return same_q and all(getattr(self, n).equals(getattr(other, n)) for n in ("backstitches", "knots", "beads"))

    def checked(self, shape: tuple[int, int], n_colours: int) -> StitchLayers:
        """``self`` when it fits a ``shape`` (rows, columns) grid and a palette of ``n_colours``; otherwise an
        :class:`InputError` saying which stitch is wrong."""
        height, width = shape
        if self.quarters is not None:
            if self.quarters.shape != (height, width, 4):
                raise InputError(f"the part stitches cover {self.quarters.shape[1]}×{self.quarters.shape[0]} "
                                 f"cells, but the pattern is {width}×{height}.")
            hi = int(self.quarters.max())
            if hi >= n_colours:
                raise InputError(f"a part stitch refers to colour number {hi}, but the palette has {n_colours} "
                                 f"colours (0–{n_colours - 1}, or {NO_STITCH} for none).")
        self.backstitches._check(width, height, n_colours)
        self.knots._check(width, height, n_colours, "French knot")
        self.beads._check(width, height, n_colours, "bead")
        return self

    # -- colours -------------------------------------------------------------------------------------------

    def remap(self, lut: np.ndarray) -> StitchLayers:
        """Every colour ``c`` becomes ``lut[c]`` (a merge, a replace, a compacted palette); a stitch whose colour
        becomes ``-1`` is removed. ``lut`` must cover every colour the layers use."""
        lut = np.asarray(lut, np.int64)
        if self.is_empty:
            return self
        q = self.quarters
        if q is not None:
            q = np.where(q >= 0, lut[np.clip(q, 0, None)], NO_STITCH)

        def table(t: _Table) -> _Table:
            if not len(t):
                return t
            new = lut[t.colour.astype(np.int64)]
            if np.array_equal(new, t.colour):
                return t
            cols = t._columns()
            cols["colour"] = new
            keep = new >= 0
            return type(t)(**{k: v[keep] for k, v in cols.items()})

        return StitchLayers(q, table(self.backstitches), table(self.knots), table(self.beads))

    def used(self, n_colours: int) -> np.ndarray:
        """Boolean ``(n_colours,)``: which palette entries any layer uses."""
        used = np.zeros(n_colours, bool)
        if self.quarters is not None:
            used[np.unique(self.quarters[self.quarters >= 0])] = True
        for t in (self.backstitches, self.knots, self.beads):
            used[np.unique(t.colour)] = True
        return used

    def part_stitches(self) -> PartStitches:
        """The part stitches one per (cell, colour), in row-major cell order: what a chart draws and a key
        counts."""
        empty = np.zeros(0, np.int64)
        if self.quarters is None:
            return PartStitches(empty, empty, empty, empty.astype(np.uint8))
        ys, xs = np.nonzero((self.quarters >= 0).any(axis=2))
        q = self.quarters[ys, xs].astype(np.int64)  # (M, 4)
        out = []
        for k in range(4):
            first = q[:, k] >= 0
            for j in range(k):
                first &= q[:, j] != q[:, k]
            same = q[first] == q[first, k:k + 1]
            mask = (same * (1 << np.arange(4))).sum(axis=1)
            out.append((np.flatnonzero(first), q[first, k], mask))
        rows = np.concatenate([o[0] for o in out])
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        return PartStitches(ys[rows].astype(np.int64), xs[rows].astype(np.int64),
                            np.concatenate([o[1] for o in out])[order],
                            np.concatenate([o[2] for o in out])[order].astype(np.uint8))

    def counts(self, n_colours: int) -> LayerCounts:
        """Per-colour counts of every layer (see :class:`LayerCounts`)."""
        def per(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
            return np.bincount(values.astype(np.int64), weights, minlength=n_colours)[:n_colours]

        if self.quarters is None:
            quarters = parts = np.zeros(n_colours, np.int64)
        else:
            quarters = per(self.quarters[self.quarters >= 0])
            parts = per(self.part_stitches().colour)
        return LayerCounts(parts, quarters, self.backstitches.count_per_colour(n_colours),
                           self.backstitches.length_per_colour(n_colours),
                           self.knots.count_per_colour(n_colours), self.beads.count_per_colour(n_colours))

    def item_counts(self) -> dict[str, int]:
        """How many of each: ``{"part stitches": …, "backstitches": …, "French knots": …, "beads": …}``."""
        return {"part stitches": len(self.part_stitches()), "backstitches": len(self.backstitches),
                "French knots": len(self.knots), "beads": len(self.beads)}

    def summary(self) -> str:
        """"" or a phrase such as "55 part stitches, 1,105 backstitches, 10 French knots and 8 beads"."""
        return describe(self.item_counts())

    # -- files ---------------------------------------------------------------------------------------------

    def tables(self) -> dict[str, np.ndarray]:
        """The non-empty layers as int32 tables, the form a .pixl keeps them in: ``quarters`` rows are
        ``y, x, top-left, top-right, bottom-left, bottom-right`` for the cells that have any; ``backstitches``
        ``x1, y1, x2, y2, colour, strands, kind``; ``knots`` and ``beads`` ``x, y, colour, strands``."""
        out: dict[str, np.ndarray] = {}
        if self.quarters is not None:
            ys, xs = np.nonzero((self.quarters >= 0).any(axis=2))
            out["quarters"] = np.column_stack([ys, xs, self.quarters[ys, xs]]).astype(np.int32)
        for name in ("backstitches", "knots", "beads"):
            if len(getattr(self, name)):
                out[name] = getattr(self, name).table()
        return out

    @classmethod
    def from_tables(cls, tables: dict[str, np.ndarray], shape: tuple[int, int], n_colours: int) -> StitchLayers:
        """The inverse of :meth:`tables`, checked against the grid's ``shape`` and the palette size; anything
        wrong is an :class:`InputError` saying what."""
        height, width = shape
        quarters = None
        rows = tables.get("quarters")
        if rows is not None:
            rows = np.asarray(rows)
            if rows.ndim != 2 or rows.shape[1] != 6 or not np.issubdtype(rows.dtype, np.integer):
                raise InputError(f"the part stitch table has shape {rows.shape}; expected (N, 6) whole numbers.")
            if rows.shape[0] > height * width:
                raise InputError("the part stitch table lists more cells than the pattern has.")
            ys, xs = rows[:, 0].astype(np.int64), rows[:, 1].astype(np.int64)
            if rows.size and (ys.min() < 0 or ys.max() >= height or xs.min() < 0 or xs.max() >= width):
                raise InputError(f"a part stitch lies outside the {width}×{height} pattern.")
            if np.unique(ys * width + xs).size != ys.size:
                raise InputError("the part stitch table lists a cell twice.")
            if rows.size and (rows[:, 2:].min() < NO_STITCH or rows[:, 2:].max() >= n_colours):
                raise InputError(f"a part stitch refers to a colour outside the palette of {n_colours} colours.")
            quarters = np.full((height, width, 4), NO_STITCH, np.int16)
            quarters[ys, xs] = rows[:, 2:]
        lines = Lines.from_table(tables["backstitches"]) if "backstitches" in tables else Lines()
        knots = Points.from_table(tables["knots"]) if "knots" in tables else Points()
        beads = Points.from_table(tables["beads"]) if "beads" in tables else Points()
        return cls(quarters, lines, knots, beads).checked(shape, n_colours)


def rotate_clockwise(layers: StitchLayers, height: int) -> StitchLayers:
    """``layers`` of a chart ``height`` rows tall, turned a quarter clockwise with its grid
    (``np.rot90(grid, -1)``): the point ``(x, y)`` goes to ``(height·U − y, x)`` and each cell's quarters turn
    with it (top-left becomes top-right, and so on round). Exporters that turn a design to fit (embroidery
    hoops) use this so the finer work turns with the crosses instead of being left behind."""
    if layers.is_empty:
        return layers
    top = height * UNITS_PER_CELL
    quarters = None
    if layers.quarters is not None:
        turned = np.rot90(layers.quarters, -1, axes=(0, 1))
        quarters = np.ascontiguousarray(turned[..., [BOTTOM_LEFT, TOP_LEFT, BOTTOM_RIGHT, TOP_RIGHT]])

    def points(xy: np.ndarray) -> np.ndarray:
        pts = xy.reshape(len(xy), xy.shape[1] // 2, 2)
        return np.stack([top - pts[..., 1], pts[..., 0]], axis=-1).reshape(xy.shape)

    b, k, d = layers.backstitches, layers.knots, layers.beads
    return StitchLayers(quarters, Lines(points(b.xy), b.colour, b.strands, b.kind),
                        Points(points(k.xy), k.colour, k.strands), Points(points(d.xy), d.colour, d.strands))


_SINGULAR = {"stitches": "stitch", "backstitches": "backstitch", "knots": "knot", "beads": "bead", "boxes": "box",
             "ornaments": "ornament"}


def _one(name: str) -> str:
    """"part stitches of missing threads" → "part stitch of missing threads": the first plural noun only."""
    words = name.split(" ")
    for i, w in enumerate(words):
        if w in _SINGULAR:
            return " ".join([*words[:i], _SINGULAR[w], *words[i + 1:]])
    return name


def describe(counts: dict[str, int]) -> str:
    """``{"backstitches": 1105, "beads": 1}`` → "1,105 backstitches and 1 bead" (zero counts left out)."""
    parts = [f"{n:,} {_one(name) if n == 1 else name}" for name, n in counts.items() if n]
    if not parts:
        return ""
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
