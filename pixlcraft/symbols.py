"""Chart symbols: one glyph per thread (two for the colours past the first 151), and which colour has which.

A stitcher tells threads apart only by the symbol, often on a black-and-white print at 2–3 mm per cell, so the
list is curated by hand from DejaVu Sans (the embedded chart font):

* every symbol is a real character of the font (tracker apps such as Pattern Keeper read the text of the PDF);
* no two symbols are the same shape at another size or weight (● and •, ■ and ▪, △ and Δ, + and ✚, × and ✖),
  nor near-twins at print size (U and ∪, C and ⊂, € and ∈, √ and ✓, ◆ and ◈, ⊕ and ☮, ◐ and ☯, © and ☺,
  diagonal hatchings ▧ ▨, 0/O/○, 1/I, 5/S, 8/B, 2/Z); ``tests/test_stitch_pdf.py`` renders every glyph,
  normalises it to its ink box and checks that no two have the same silhouette with each one's ink lying on the
  other's.

A colour keeps its symbol for the life of its pattern: the assignment is stored in the pattern
(``metadata["symbols"]``, colour code → symbol, so it survives palette compaction and is saved in the .pixl),
every export and the window use it, and a flood fill that changes which colour is most used moves no symbol.
Colours that have none yet get the unused symbol with the least ink, most-used colour first
(:data:`LIGHT_FIRST`), so a black-and-white print of a big background is not a field of black squares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .pattern import Pattern

METADATA_KEY = "symbols"

SYMBOLS: tuple[str, ...] = tuple(
    # filled/outline pairs of simple shapes
    "■□▲△▼▽●○◆◇★☆♥♡♠♣✚✖"
    # halves and corners of circles and squares
    "◐◑◒◓◀▶◢◣◤◥▣◉◎⊕⊗⊙⊞⊠"
    # capitals that cannot be confused with any other symbol here
    "ABCDEFGHKLMNPRSTUVYZ"
    "◧◨◩◪◭◮"
    "ΩΣΦΨΠΓθλπ"
    "#%&@$?!=÷±§¶¥£€¢†"
    "♤♧✦✧✪✱✿❀❖❄✶☀☂☺♪♫⚑⚐✓✗⌂⌘"
    "←↑→↓↔↕↖↗↘↙"
    "∞≈≠⊃∫∂347¤"
    "▤▥▦◸◹◺◿⬡⬠"
    "☢☣✈✉✂⚓⚡♀♂☎☁☘"
)
"""Every chart symbol, in the order they are handed out."""

SINGLE_SYMBOLS = len(SYMBOLS)
"""How many colours get a one-glyph symbol: the default colour budget, so default charts need no pairs."""

_PAIR_FIRST = "ABCDEFGHKLMNPRSTUVYZ"
_PAIR_SECOND = "123456789" + _PAIR_FIRST
PAIRS: tuple[str, ...] = tuple(a + b for a in _PAIR_FIRST for b in _PAIR_SECOND)
"""Two-glyph symbols (A1 … ZZ) for the colours past the single glyphs, as large-palette charting programs do:
capitals that no other symbol resembles, followed by a digit (no 0, which reads as O) or another of them. Each
is written as two characters of the chart font, so tracker apps read it as text."""

ALL_SYMBOLS: tuple[str, ...] = SYMBOLS + PAIRS
MAX_SYMBOLS = len(ALL_SYMBOLS)
"""The most colours a chart can tell apart (731: more than the largest built-in palette, DMC's 489)."""

LIGHT_FIRST: str = (
    "♤♡!✓☆♧✧⚡÷⚐♪?→←↓↑↙↖↘↗∫=†LΓ≈◇∞7⊃✂YT▽△F⌂∂✦✶↔λ¤↕○¢±⬡◹◿◸◺♫⬠π☀✈C3≠Σ☣£V4⚓⊙¥P§✗S$E€□ZUAK☂♀HΠG◎R★θ❄♂#&✉D¶%"
    "Ψ⊗⊕ΩB◭◮NΦ☁❖⚑♠☢☺❀M⊞☘✚✿⊠✖♣⌘@✱✪◐◓◒◑◆◀▼◢◥◣◤▲▶▥▤◉♥◧◪◩◨▦▣●☎■"
)
"""The symbols by how much ink they print (DejaVu Sans, measured by ``tests/test_symbols.py``), least first."""


_KNOWN = frozenset(ALL_SYMBOLS)


def stored(pattern: Pattern) -> dict[str, str]:
    """The pattern's assignment, colour code → symbol (only well-formed entries)."""
    raw = pattern.metadata.get(METADATA_KEY)
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str) and v in _KNOWN}


def ensure_symbols(pattern: Pattern) -> dict[int, str]:
    """Palette index → symbol for every colour the pattern uses, keeping every symbol already given and giving
    new colours the lightest unused symbols, most-used first, then the two-glyph ones. Records the result in the
    pattern. Colours beyond the :data:`MAX_SYMBOLS` available get none (a chart cannot show them; the exporters
    say so)."""
    codes = [e.code for e in pattern.palette]
    # colours used only in the finer layers (a backstitch outline, a knot) need a symbol and a key line too;
    # part stitches weigh as the crosses their quarters make up, lines and knots come after every fill colour
    counts = pattern.counts()
    weight = counts + pattern.layer_counts().quarters / 4
    in_use = (counts > 0) | pattern.layers.used(len(pattern.palette))
    used = [int(i) for i in np.argsort(-weight, kind="stable") if in_use[i]]
    have = stored(pattern)
    # keep each existing symbol once (a damaged file could list one symbol twice)
    taken: set[str] = set()
    kept: dict[str, str] = {}
    for code, sym in have.items():
        if sym not in taken:
            kept[code] = sym
            taken.add(sym)
    free = iter(s for s in (*LIGHT_FIRST, *PAIRS) if s not in taken)
    result: dict[int, str] = {}
    for index in used:
        code = codes[index]
        if code not in kept:
            sym = next(free, None)
            if sym is None:
                continue
            kept[code] = sym
        result[index] = kept[code]
    pattern.metadata[METADATA_KEY] = kept
    return result


def set_symbol(pattern: Pattern, index: int, symbol: str) -> dict[int, str]:
    """Give colour ``index`` the chosen ``symbol``; a colour that had it takes the old one (a swap)."""
    if symbol not in _KNOWN:
        from .errors import InputError

        raise InputError(f"'{symbol}' is not one of the chart symbols.")
    ensure_symbols(pattern)
    kept = stored(pattern)
    code = pattern.palette[index].code
    previous = kept.get(code)
    for other, sym in list(kept.items()):
        if sym == symbol and other != code:
            if previous is None:
                del kept[other]
            else:
                kept[other] = previous
    kept[code] = symbol
    pattern.metadata[METADATA_KEY] = kept
    return ensure_symbols(pattern)


class SetSymbol:
    """An undoable symbol change (an edit of the pattern's symbol table, not of its cells): push it on the
    pattern's :class:`~pixlcraft.edit.UndoStack` like any other command."""

    merge_key = None
    palette_changed = True  # listeners redraw the key and the symbols
    cells = (np.zeros(0, np.intp), np.zeros(0, np.intp))  # (ys, xs): no cell changes

    def __init__(self, index: int, symbol: str) -> None:
        self.index, self.symbol = int(index), symbol
        self.label = f"Chart symbol {symbol}"
        self._before: dict[str, str] | None = None
        self._after: dict[str, str] | None = None

    def do(self, pattern: Pattern) -> bool:
        ensure_symbols(pattern)
        self._before = dict(stored(pattern))
        set_symbol(pattern, self.index, self.symbol)
        self._after = dict(stored(pattern))
        return self._after != self._before

    def undo(self, pattern: Pattern) -> None:
        pattern.metadata[METADATA_KEY] = dict(self._before or {})

    def redo(self, pattern: Pattern) -> None:
        pattern.metadata[METADATA_KEY] = dict(self._after or {})

    @property
    def changed(self) -> bool:
        return self._after is not None and self._after != self._before
