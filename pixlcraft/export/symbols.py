"""Chart symbols for the printed charts: the list and assignment live in :mod:`pixlcraft.symbols`; here is what
only the PDF writers need (symbols in order for the board and brick keys, and a check against the font)."""

from __future__ import annotations

from functools import cache

from ..errors import InputError
from ..symbols import ALL_SYMBOLS, MAX_SYMBOLS, SYMBOLS

__all__ = ["ALL_SYMBOLS", "MAX_SYMBOLS", "SYMBOLS", "missing_from_font", "symbols_for"]


def symbols_for(n: int) -> list[str]:
    """The first ``n`` symbols; :class:`InputError` when a pattern has more threads than there are symbols
    (only a custom palette of more than :data:`MAX_SYMBOLS` colours, all used, can get there)."""
    if n > MAX_SYMBOLS:
        raise InputError(
            f"this pattern uses {n} threads, but a chart can show at most {MAX_SYMBOLS} distinct symbols; "
            f"reduce the colours (pixlcraft reduce PATTERN --max-colors {MAX_SYMBOLS}, or convert with "
            f"--max-colors {MAX_SYMBOLS} or fewer).",
            gui=f"This pattern uses {n} colours, but a printed chart can tell at most {MAX_SYMBOLS} apart by "
                f"symbol. Reduce the colours first (Edit ▸ Reduce Colours…).",
            action="edit.reduce",
        )
    return list(ALL_SYMBOLS[:n])


@cache
def missing_from_font(font_file: str = "DejaVuSans.ttf") -> tuple[str, ...]:
    """Symbols that the bundled font has no glyph for (empty when all is well; the tests insist on that)."""
    from reportlab.pdfbase.ttfonts import TTFont

    from .pdfkit import font_path

    face = TTFont("_symbols_check", str(font_path(font_file))).face
    chars = dict.fromkeys("".join(ALL_SYMBOLS))
    return tuple(ch for ch in chars if ord(ch) not in face.charToGlyph)
