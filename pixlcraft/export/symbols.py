"""Chart symbols: one glyph per thread, chosen so that no two can be mistaken for each other in a small cell.

A stitcher tells threads apart only by the symbol, often on a black-and-white print at 2–3 mm per cell, so the
list below is curated by hand from DejaVu Sans (the embedded chart font):

* every symbol is a real character of the font (tracker apps such as Pattern Keeper read the text of the PDF);
* no two symbols are the same shape at another size or weight (● and •, ■ and ▪, △ and Δ, + and ✚, × and ✖),
  nor near-twins at print size (U and ∪, C and ⊂, € and ∈, √ and ✓, ◆ and ◈, ⊕ and ☮, ◐ and ☯, © and ☺,
  diagonal hatchings ▧ ▨, 0/O/○, 1/I, 5/S, 8/B, 2/Z); ``tests/test_stitch_pdf.py`` renders every glyph,
  normalises it to its ink box and checks that no two have the same silhouette with each one's ink lying on the
  other's;
* the order is the order of use: bold, simple shapes first (the most-stitched threads get the symbols that read
  best), intricate pictographs last.
"""

from __future__ import annotations

from functools import cache

from ..errors import InputError

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

MAX_SYMBOLS = len(SYMBOLS)


def symbols_for(n: int) -> list[str]:
    """The first ``n`` symbols; :class:`InputError` when a pattern has more threads than there are symbols."""
    if n > MAX_SYMBOLS:
        raise InputError(
            f"this pattern uses {n} threads, but a chart can show at most {MAX_SYMBOLS} distinct symbols; "
            f"reduce the colours (convert with --max-colors {MAX_SYMBOLS} or fewer)."
        )
    return list(SYMBOLS[:n])


@cache
def missing_from_font(font_file: str = "DejaVuSans.ttf") -> tuple[str, ...]:
    """Symbols that the bundled font has no glyph for (empty when all is well; the tests insist on that)."""
    from reportlab.pdfbase.ttfonts import TTFont

    from .pdfkit import font_path

    face = TTFont("_symbols_check", str(font_path(font_file))).face
    return tuple(ch for ch in SYMBOLS if ord(ch) not in face.charToGlyph)
