"""OXS, the open cross-stitch XML format: reading and writing (the export registry's ``oxs`` format and
``load_pattern`` both use this module).

OXS (by Ursa Software, read and written by WinStitch/MacStitch, FlossCross and Embroiderly) is how a PixlCraft
pattern moves to and from other cross-stitch programs. What PixlCraft writes and reads:

* root ``<chart>``; ``<format>`` with the usual comment attributes;
* ``<properties oxsversion="1.0" software software_version chartheight chartwidth charttitle author copyright
  instructions stitchesperinch stitchesperinch_y palettecount>`` — ``palettecount`` excludes the cloth;
* ``<palette>``: ``<palette_item index="0" number="cloth" name="cloth" color="FFFFFF">`` is the fabric, then one
  item per thread with ``index`` (1…), ``number`` (brand and code, "DMC 310"), ``name``, ``color`` (RRGGBB, no
  ``#``) and ``strands`` (plus ``brand``, PixlCraft's own attribute, which other programs ignore);
* ``<fullstitches>`` of ``<stitch x y palindex>``: ``x`` the column and ``y`` the row, both from 0 at the top
  left, ``palindex`` the palette item; a cell without a stitch is bare fabric (an empty cell);
* ``<partstitches>``, ``<backstitches>`` and ``<ornaments_inc_knots_and_beads>``: the pattern's stitch layers
  (part stitches, backstitches, French knots, beads), read and written by :mod:`.oxs_layers`, which says what
  each attribute means.

On import, what a PixlCraft pattern cannot hold (petite and special stitches, curved stitches, comment boxes,
stitches off the chart or in threads the palette lacks) is counted in ``metadata["oxs_skipped"]``, and
:func:`import_summary` / :func:`skipped_summary` say what was read and what was left out, so nothing goes
silently. Threads whose brand is a built-in palette's (``DMC 310``) become that palette's entries, so the
pattern is the same as one made in PixlCraft; anything else keeps the file's code, name and colour.
"""

from __future__ import annotations

import dataclasses
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from .. import __version__
from ..errors import InputError, PatternFileError
from ..fileio import atomic_write, existing_file, readable
from ..material import aida
from ..palette import Palette, PaletteEntry, builtin_catalog, load_builtin
from ..pattern import EMPTY, Pattern
from ..sizing import MAX_CELLS
from ..stitches import describe
from .oxs_layers import layer_xml, read_layers

OXS_VERSION = "1.0"
MAX_FILE_BYTES = 256 * 1024 * 1024
_HEX = re.compile(r"#?([0-9A-Fa-f]{6})")
_FORMAT_COMMENTS = (
    "Open cross-stitch (OXS) chart written by PixlCraft",
    "palette: the colours used; palettecount excludes the cloth colour, which is item 0",
    "fullstitches: whole crosses; x is the column and y the row, from 0 at the top left",
    "partstitches: direction 1 and 2 split the cell along \\ and / (palindex1 bottom-left or top-left, palindex2 "
    "the other side), 3 is a / half stitch and 4 a \\ one",
    "backstitches and ornaments: positions in cells from the top left corner; 0.5 is half a cell",
    "Colours are hex RGB; element and attribute names are lowercase",
)

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
"""Characters XML 1.0 cannot hold at all, not even escaped (a title pasted with a control character in it)."""


def xml_chars(text: str) -> str:
    """``text`` with the characters XML cannot hold dropped, so that every chart we write opens again."""
    return _NOT_XML.sub("", text)


def oxs_text(pattern: Pattern, fabric_count: float = 14.0, strands: int = 2, title: str = "") -> str:
    """The OXS document for ``pattern`` (only the threads it uses are listed, in palette order)."""
    from ..symbols import ensure_symbols

    symbols_by_code = {pattern.palette[i].code: sym for i, sym in ensure_symbols(pattern).items()}
    small = pattern.compact()
    # A blank pattern still lists its one palette entry, so that the file opens again as a pattern.
    used = np.arange(len(small.palette))
    cloth = str(small.metadata.get("cloth") or "FFFFFF")
    cloth = cloth.lstrip("#").upper() if _HEX.fullmatch(cloth) else "FFFFFF"
    title = title or str(small.metadata.get("title") or "")
    spi = f"{fabric_count:g}"
    brand = small.palette.brand.strip()

    def attrs(**kw: Any) -> str:
        return " ".join(f"{k}={quoteattr(xml_chars(str(v)))}" for k, v in kw.items())

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<chart>"]
    lines.append("<format " + attrs(**{f"comments{n:02d}": c for n, c in enumerate(_FORMAT_COMMENTS, 1)}) + "/>")
    lines.append("<properties " + attrs(
        oxsversion=OXS_VERSION, software="PixlCraft", software_version=__version__,
        chartheight=small.height, chartwidth=small.width, charttitle=title,
        author=str(small.metadata.get("author") or ""), copyright=str(small.metadata.get("copyright") or ""),
        instructions="", stitchesperinch=spi, stitchesperinch_y=spi, palettecount=len(used),
    ) + "/>")
    lines.append("<palette>")
    lines.append("<palette_item " + attrs(index=0, number="cloth", name="cloth", color=cloth, strands=strands)
                 + "/>")
    # Palette positions are renumbered 1… over the used threads only.
    palindex = np.zeros(len(small.palette) + 1, np.int64)
    for n, i in enumerate(used.tolist(), 1):
        e = small.palette[i]
        palindex[i] = n
        number = f"{brand} {e.code}" if brand else e.code
        extra = {"symbol": symbols_by_code[e.code]} if e.code in symbols_by_code else {}
        lines.append("<palette_item " + attrs(index=n, number=number, name=e.name, color=e.hex[1:],
                                              strands=strands, brand=brand, **extra) + "/>")
    lines.append("</palette>")
    lines.append("<fullstitches>")
    ys, xs = np.nonzero(small.grid != EMPTY)
    pal = palindex[small.grid[ys, xs]]
    lines.extend(f'<stitch x="{x}" y="{y}" palindex="{p}"/>'
                 for x, y, p in zip(xs.tolist(), ys.tolist(), pal.tolist(), strict=True))
    lines.append("</fullstitches>")
    lines.extend(layer_xml(small.layers, palindex))
    lines.append("</chart>")
    return "\n".join(lines) + "\n"


def save_oxs(pattern: Pattern, path: str | Path, fabric_count: float = 14.0, strands: int = 2) -> None:
    """Write ``pattern`` as an OXS file, atomically (what ``pixlcraft convert … -o x.oxs`` uses)."""
    with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(oxs_text(pattern, fabric_count, strands))


# ------------------------------------------------------------------------------------------------ import


def _bad(path: Path, why: str) -> PatternFileError:
    return PatternFileError(f"cannot open {path}: {why}")


def _int_attr(el: ET.Element, name: str, path: Path, where: str) -> int:
    raw = el.get(name)
    if raw is None:
        raise _bad(path, f"{where} has no '{name}'.")
    try:
        v = float(raw.strip())
    except ValueError:
        raise _bad(path, f"{where} has '{name}=\"{raw}\"', which is not a number.") from None
    if not math.isfinite(v) or v != int(v):
        raise _bad(path, f"{where} has '{name}=\"{raw}\"', which is not a whole number.")
    return int(v)


def _split_number(number: str, brand: str | None = None) -> tuple[str, str]:
    """``"DMC    310"`` → ``("DMC", "310")``; a bare ``"310"`` has no brand. PixlCraft also writes the brand as
    an attribute of its own, which makes codes with spaces in them ("Anchor A 1") come back whole."""
    if brand and number.startswith(brand) and number[len(brand):].strip():
        return brand, number[len(brand):].strip()
    parts = number.split()
    if len(parts) >= 2:
        return " ".join(parts[:-1]), parts[-1]
    return "", number.strip()


def _builtin_for(brand: str) -> Palette | None:
    wanted = brand.strip().lower()
    if not wanted:
        return None
    for name, brand_name, _ in builtin_catalog():
        if brand_name.lower() == wanted:
            return load_builtin(name)
    return None


def read_oxs(path: str | Path) -> Pattern:
    """Open an OXS file as a :class:`Pattern`; anything unusable is a :class:`PatternFileError` saying what."""
    p = existing_file(path, "a pattern file", PatternFileError)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _bad(p, f"it is {size // (1024 * 1024)} MB, far larger than any cross-stitch chart.")
        data = p.read_bytes()
    except OSError as e:
        raise PatternFileError(f"cannot read {p}: {e.strerror or e}.") from None

    # 1. the XML. A document type declaration is refused by the parser itself, in any encoding: a chart never
    # needs one, and entities are how XML files are made to explode in memory or read other files.
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _bad(p, "it contains a document type declaration, which OXS charts never have.") from None
    except ET.ParseError as e:
        line, col = e.position
        raise _bad(p, f"it is not valid XML (line {line}, column {col + 1}); the file is damaged or not an "
                      f"OXS chart.") from None
    except (LookupError, ValueError) as e:  # an encoding Python does not know, or bytes it cannot decode
        raise _bad(p, f"its text cannot be read ({e}).") from None
    if root.tag != "chart":
        raise _bad(p, f"it is not an OXS chart (its root element is <{root.tag}>, not <chart>).")

    # 2. size and title
    props = root.find("properties")
    if props is None:  # the spec's defaults: the size is where the stitches are
        props = ET.Element("properties")
        spots = [(el.get("x"), el.get("y")) for el in root.iter("stitch")]
        try:
            props.set("chartwidth", str(max(int(float(x)) for x, _ in spots) + 1))
            props.set("chartheight", str(max(int(float(y)) for _, y in spots) + 1))
        except (TypeError, ValueError, OverflowError):
            raise _bad(p, "it has no <properties> and no stitches, so the chart size is unknown.") from None
    width = _int_attr(props, "chartwidth", p, "<properties>")
    height = _int_attr(props, "chartheight", p, "<properties>")
    if not (1 <= width <= MAX_CELLS and 1 <= height <= MAX_CELLS):
        raise _bad(p, f"its size {width}×{height} is outside 1–{MAX_CELLS} stitches per side.")
    title = (props.get("charttitle") or "").strip() or readable(p.stem)
    try:
        spi = float(props.get("stitchesperinch") or 14)
        material = aida(spi if 6 <= spi <= 40 else 14)
    except ValueError:
        material = aida(14)

    # 3. the threads
    pal_el = root.find("palette")
    items = [] if pal_el is None else [el for el in pal_el.iter("palette_item")]
    # Cross Stitch Pro Platinum names the thread range on the palette (filename="DMC.rng") and not on each thread
    range_brand = Path((pal_el.get("filename") or "") if pal_el is not None else "").stem.strip()
    threads: dict[int, tuple[str, str, str, tuple[int, int, int]]] = {}  # palindex → brand, code, name, rgb
    bs_strands: dict[int, int] = {}  # palindex → strands a backstitch of it uses, where the file says
    cloth = None
    for n, el in enumerate(items):
        index = _int_attr(el, "index", p, f"palette item {n + 1}") if el.get("index") is not None else n
        if index == 0:  # the cloth: kept as the pattern's fabric colour
            m = _HEX.fullmatch((el.get("color") or "").strip())
            cloth = m.group(1).upper() if m else None
            continue
        where = f"palette item {index}"
        m = _HEX.fullmatch((el.get("color") or "").strip())
        if m is None:
            raise _bad(p, f"{where} has no valid colour (expected RRGGBB, found {el.get('color')!r}).")
        h = m.group(1)
        rgb = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        brand, code = _split_number(el.get("number") or "", el.get("brand"))
        brand = brand or range_brand
        name = (el.get("name") or "").strip()
        code = code or name or str(index)
        if index in threads:
            raise _bad(p, f"palette item {index} appears twice.")
        threads[index] = (brand, code, name, rgb)
        strands = (el.get("bsstrands") or "").strip()
        if strands.isdigit():
            bs_strands[index] = int(strands)
    if not threads:
        raise _bad(p, "its palette lists no threads (the chart is empty).")

    # 4. the stitches, as positions in the thread list: a palette index from the file never sizes an array
    position = {pi: k for k, pi in enumerate(sorted(threads))}
    grid = np.full((height, width), EMPTY, np.int64)
    fulls = root.find("fullstitches")
    skipped: dict[str, int] = {}
    for el in [] if fulls is None else fulls.iter("stitch"):
        x = _int_attr(el, "x", p, "a stitch")
        y = _int_attr(el, "y", p, "a stitch")
        pi = _int_attr(el, "palindex", p, f"the stitch at x={x}, y={y}")
        if not (0 <= x < width and 0 <= y < height):  # as lenient as the spec: leave it out, and say so
            skipped["stitches outside the chart"] = skipped.get("stitches outside the chart", 0) + 1
            continue
        if pi == 0:
            grid[y, x] = EMPTY  # "stitched" in the cloth colour: bare fabric
            continue
        if pi not in threads:
            skipped["stitches of missing threads"] = skipped.get("stitches of missing threads", 0) + 1
            continue
        grid[y, x] = position[pi]

    # 5. palette: built-in entries where the brand is a built-in palette's, the file's own otherwise
    palette, remap = _palette_for(threads, title, material)
    lut = np.array([remap[pi] for pi in sorted(threads)], np.int64)
    grid = np.where(grid == EMPTY, EMPTY, lut[np.clip(grid, 0, None)])

    # 6. part stitches, backstitches, knots and beads, in the same palette
    try:
        layers = read_layers(root, width, height, remap.get, bs_strands, skipped)
    except InputError as e:
        raise _bad(p, str(e)) from None
    metadata: dict[str, Any] = {"title": title, "source": readable(p.name),
                                "oxs_software": (props.get("software") or "").strip()}
    if cloth is not None:
        metadata["cloth"] = cloth
    if skipped:
        metadata["oxs_skipped"] = skipped
    try:
        return Pattern(grid.astype(np.int16), palette, metadata, layers)
    except InputError as e:
        raise _bad(p, str(e)) from None


def _palette_for(threads: dict[int, tuple[str, str, str, tuple[int, int, int]]], title: str, material) \
        -> tuple[Palette, dict[int, int]]:
    """The pattern's palette and palindex → palette index. The same code listed twice becomes one entry."""
    entries: list[PaletteEntry] = []
    builtin_idx: list[int | None] = []
    by_code: dict[str, int] = {}
    remap: dict[int, int] = {}
    brands = {b for b, *_ in threads.values() if b}
    for pi in sorted(threads):
        brand, code, name, rgb = threads[pi]
        base = _builtin_for(brand)
        found = base.find(code) if base is not None else None
        if found is not None:
            e = base[found]
            key = f"{base.brand}:{e.code}".upper()
        else:
            e = PaletteEntry(code, name, rgb)
            key = f"{brand}:{code}".upper()
        if key not in by_code:
            by_code[key] = len(entries)
            entries.append(e)
            builtin_idx.append(found if len(brands) == 1 else None)
        remap[pi] = by_code[key]
    brand = brands.pop() if len(brands) == 1 else "OXS"
    base = _builtin_for(brand)
    codes = [e.code.upper() for e in entries]
    if base is not None and None not in builtin_idx and len(set(codes)) == len(codes):
        pal = base.subset([i for i in builtin_idx if i is not None])
        if pal.material.craft == "stitch" and pal.material != material:
            pal = dataclasses.replace(pal, material=material)
        return pal, remap
    # Codes must be unique within one palette; two brands' threads can share a code, so prefix on clash.
    seen: set[str] = set()
    fixed = []
    for e in entries:
        code = e.code
        if code.upper() in seen:
            code = f"{code}#{len(fixed) + 1}"
        seen.add(code.upper())
        fixed.append(e if code == e.code else dataclasses.replace(e, code=code))
    return Palette(f"{title} (OXS)", brand, material, tuple(fixed), source="oxs"), remap


_SKIPPED_WORDS = {"partstitches": "part stitches", "backstitches": "backstitches",
                  "ornaments_inc_knots_and_beads": "French knots and beads"}
"""The section names older PixlCraft versions counted (whole sections, left out), still found in their .pixl."""


def import_summary(pattern: Pattern) -> str:
    """What an opened chart holds, layer by layer: "1,000 full stitches, 55 part stitches, 1,105 backstitches,
    10 French knots and 8 beads"."""
    full = int(np.count_nonzero(pattern.grid != EMPTY))
    return describe({"full stitches": full, **pattern.layers.item_counts()}) or "no stitches"


def skipped_summary(pattern: Pattern) -> str:
    """"" or one sentence saying what of an imported chart could not be kept (never lost silently)."""
    skipped = pattern.metadata.get("oxs_skipped") or {}
    if not isinstance(skipped, dict) or not skipped:
        return ""
    try:
        listed = describe({_SKIPPED_WORDS.get(k, str(k)): int(n) for k, n in skipped.items()})
    except (TypeError, ValueError):  # hand-edited metadata: say something rather than fail to open
        listed = ", ".join(f"{n} {k}" for k, n in skipped.items())
    if not listed:
        return ""
    return f"{pattern.metadata.get('source') or 'This chart'}: {listed} could not be kept; the chart was opened " \
           "without them."
