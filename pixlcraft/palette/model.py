"""The palette model: brand products (code, name, approximate sRGB, catalogue ids) and the lookups, restrictions
and subsets a pattern needs. Reading and finding palettes lives above this in :mod:`.files` and :mod:`.catalog`,
so the model depends on nothing but the material list.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import PaletteError
from ..material import GENERIC, MATERIALS, Material

MAX_FILE_BYTES = 8 * 1024 * 1024  # far above any real palette; stops someone loading a photo by mistake
MIN_PITCH_MM, MAX_PITCH_MM = 0.1, 100.0
"""Size of one cell of any material: from 60-count silk gauze to giant foam blocks, with room either side."""


# DMC labels white thread "BLANC"; people write "White". Applied to any palette that has a BLANC code.
_WHITE_ALIASES = ("WHITE",)
# DMC's withdrawn 2013 pack 3880–3895 and the codes DMC says replace them (SOURCES.md, "Not included").
_DMC_WITHDRAWN = {
    "3880": "223", "3881": "164", "3882": "839", "3883": "722", "3884": "535", "3885": "312",
    "3886": "3685", "3887": "208", "3888": "3740", "3889": "445", "3890": "3766", "3891": "995",
    "3892": "740", "3893": "543", "3894": "907", "3895": "646",
}
_ID_PREFIX = re.compile(r"(ldraw|ld|bricklink|bl|rebrickable|rb)\s*[:#]?\s*(\d+)", re.IGNORECASE)
_ID_FIELD = {"ldraw": "ldraw_code", "ld": "ldraw_code", "bricklink": "bricklink_id", "bl": "bricklink_id",
             "rebrickable": "rebrickable_id", "rb": "rebrickable_id"}
HEX6 = re.compile(r"#?([0-9A-Fa-f]{6})")
ID_COLUMNS = ("bricklink_id", "ldraw_code", "rebrickable_id")


# ------------------------------------------------------------------------------------------------------------
# The data classes


FINISHES = ("opaque", "transparent", "translucent", "glow", "pearl", "metallic", "glitter", "neon", "striped")
_AVAILABILITY = re.compile(r"current|discontinued|region-limited:\S.*")


@dataclass(frozen=True)
class PaletteEntry:
    """One product: a thread, a bead colour or a brick colour."""

    code: str
    name: str
    rgb: tuple[int, int, int]
    bricklink_id: int | None = None
    ldraw_code: int | None = None
    rebrickable_id: int | None = None
    transparent: bool = False
    finish: str = "opaque"
    """opaque, transparent, translucent, glow, pearl, metallic, glitter, neon or striped (:data:`FINISHES`)."""
    availability: str = "current"
    """current, discontinued, or region-limited:REGION (e.g. ``region-limited:Japan``)."""

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip():
            raise PaletteError(f"A palette colour needs a code, got {self.code!r}.")
        try:
            rgb = tuple(int(operator.index(v)) for v in self.rgb)
        except TypeError:
            raise PaletteError(f"Colour {self.code}: R,G,B must be whole numbers: {self.rgb!r}.") from None
        if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
            raise PaletteError(f"Colour {self.code}: R,G,B must be three numbers 0–255, got {self.rgb!r}.")
        # Plain ints (not numpy scalars) keep entries hashable, comparable and JSON-safe.
        object.__setattr__(self, "rgb", rgb)
        object.__setattr__(self, "name", str(self.name))
        object.__setattr__(self, "transparent", bool(self.transparent))
        finish = str(self.finish).strip().lower() or "opaque"
        if finish not in FINISHES:
            raise PaletteError(f"Colour {self.code}: unknown finish {self.finish!r}; use one of "
                               f"{', '.join(FINISHES)}.")
        object.__setattr__(self, "finish", finish)
        availability = str(self.availability).strip() or "current"
        if not _AVAILABILITY.fullmatch(availability):
            raise PaletteError(f"Colour {self.code}: availability must be current, discontinued or "
                               f"region-limited:REGION, not {self.availability!r}.")
        object.__setattr__(self, "availability", availability)

    @property
    def see_through(self) -> bool:
        return self.transparent or self.finish in ("transparent", "translucent")

    @property
    def standard(self) -> bool:
        """A colour a picture should use by default: on sale everywhere, and an ordinary (opaque or neon)
        finish. Clear, glow, pearl, metallic and glitter beads, and colours sold in one region or no longer
        made, are in only when asked for (or owned)."""
        return not self.see_through and self.finish in ("opaque", "neon") and self.availability == "current"

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


@dataclass(frozen=True, eq=False, repr=False)
class Palette:
    """An ordered, immutable set of colours of one brand; pattern grids store indices into it."""

    name: str
    brand: str
    material: Material
    entries: tuple[PaletteEntry, ...]
    source: str = ""

    def __post_init__(self) -> None:
        entries = tuple(self.entries)
        object.__setattr__(self, "entries", entries)
        if not entries:
            raise PaletteError(f"Palette '{self.name}' has no colours; a palette needs at least one.")
        if not isinstance(self.material, Material):
            raise PaletteError(f"Palette '{self.name}': material must be a Material, got {self.material!r}.")
        seen: dict[str, str] = {}
        for e in entries:
            if not isinstance(e, PaletteEntry):
                raise PaletteError(f"Palette '{self.name}' holds {e!r}, which is not a PaletteEntry.")
            key = e.code.strip().upper()
            if key in seen:
                raise PaletteError(f"Palette '{self.name}' uses the code '{e.code}' twice.")
            seen[key] = e.code

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[PaletteEntry]:
        return iter(self.entries)

    def __getitem__(self, index: int) -> PaletteEntry:
        return self.entries[operator.index(index)]

    def __repr__(self) -> str:
        return f"Palette({self.name!r}, {self.brand!r}, {len(self)} colours, material={self.material.key!r})"

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.entries)

    @cached_property
    def rgb(self) -> np.ndarray:
        """(n, 3) uint8, read-only: shared by every caller, so nobody may edit it in place."""
        arr = np.array([e.rgb for e in self.entries], dtype=np.uint8).reshape(-1, 3)
        arr.setflags(write=False)
        return arr

    @cached_property
    def lab(self) -> np.ndarray:
        """(n, 3) float64 CIELAB, read-only; computed once because every conversion needs it."""
        from ..color import srgb8_to_lab  # lazy: keeps this module importable on its own

        arr = np.array(srgb8_to_lab(self.rgb), dtype=np.float64).reshape(-1, 3)
        arr.setflags(write=False)
        return arr

    # -- looking colours up ----------------------------------------------------------------------------------

    @cached_property
    def _lookup_tables(self) -> dict[str, dict[Any, int]]:
        """Maps from the several ways people write a colour to its index; ambiguous keys are left out."""
        tables: dict[str, dict[Any, int]] = {"exact": {}, "code": {}, "name": {}, "rgb": {},
                                              "bricklink_id": {}, "ldraw_code": {}, "rebrickable_id": {}}
        clashes: dict[str, set[Any]] = {k: set() for k in tables}

        def put(table: str, key: Any, i: int) -> None:
            if key is None or key == "":
                return
            if key in tables[table] and tables[table][key] != i:
                clashes[table].add(key)
            else:
                tables[table][key] = i

        for i, e in enumerate(self.entries):
            put("exact", e.code.strip().upper(), i)
            put("code", _code_key(e.code), i)
            put("name", _name_key(e.name), i)
            put("rgb", e.rgb, i)
            put("bricklink_id", e.bricklink_id, i)
            put("ldraw_code", e.ldraw_code, i)
            put("rebrickable_id", e.rebrickable_id, i)
        for table, keys in clashes.items():
            for key in keys:
                tables[table].pop(key, None)
        return tables

    def find(self, code: str) -> int | None:
        """Like :meth:`index_of` but returns ``None`` for an unknown colour."""
        text = str(code).strip()
        if not text:
            return None
        t = self._lookup_tables
        upper = text.upper()
        for table, key in (("exact", upper), ("code", _code_key(text))):
            if key in t[table]:
                return t[table][key]
        if self.brand == "DMC" and upper in _DMC_WITHDRAWN:
            return self.find(_DMC_WITHDRAWN[upper])
        if upper in _WHITE_ALIASES and "BLANC" in t["exact"]:
            return t["exact"]["BLANC"]
        m = _ID_PREFIX.fullmatch(text)
        if m:
            return t[_ID_FIELD[m.group(1).lower()]].get(int(m.group(2)))
        if _name_key(text) in t["name"]:
            return t["name"][_name_key(text)]
        if text.isdigit() and int(text) in t["ldraw_code"]:
            return t["ldraw_code"][int(text)]
        m = HEX6.fullmatch(text)
        if m:
            return t["rgb"].get(hex_to_rgb(m.group(1)))
        return None

    def index_of(self, code: str) -> int:
        """Index of the colour written as ``code``.

        Accepted, in this order: the code itself (any case, surrounding spaces ignored, leading zeros in
        numbers ignored, so DMC "1" is "01" and Hama "H1" is "H01"); White for BLANC; DMC's withdrawn
        3880–3895 as the codes DMC replaced them with; ``ldraw:N``, ``bl:N`` or ``rb:N`` for catalogue ids;
        the colour's name; a bare number that is no code but an LDraw code; ``#RRGGBB`` of exactly one entry.
        For LEGO the code is the BrickLink id, so "5" is BrickLink Red; LDraw 5 is written ``ldraw:5``.
        """
        i = self.find(code)
        if i is None:
            shown = str(code).strip()
            raise PaletteError(f"There is no colour '{shown}' in {self._describe()}.{self._hint(code)}")
        return i

    def entry(self, code: str) -> PaletteEntry:
        return self.entries[self.index_of(code)]

    def _describe(self) -> str:
        return f"the {self.brand} palette '{self.name}' ({len(self)} colours)"

    def _close(self, code: str) -> list[PaletteEntry]:
        """Up to three entries whose code or name looks like ``code``, for "did you mean" hints."""
        text = str(code).strip().upper()
        found: list[PaletteEntry] = []
        if not text:
            return found
        for pool in ({e.code.upper(): e for e in self.entries}, {e.name.upper(): e for e in self.entries}):
            for m in difflib.get_close_matches(text, list(pool), n=3, cutoff=0.6):
                if pool[m] not in found:
                    found.append(pool[m])
        return found[:3]

    def _suggest(self, code: str) -> str:
        close = self._close(code)
        return " or ".join(e.code if e.name in ("", e.code) else f"{e.code} ({e.name})" for e in close)

    def _hint(self, code: str) -> str:
        suggestion = self._suggest(code)
        return f" Did you mean {suggestion}?" if suggestion else ""

    # -- smaller palettes ------------------------------------------------------------------------------------

    def restrict(self, codes: Iterable[str]) -> Palette:
        """Only the colours the user owns, kept in palette order so charts list them the usual way.

        An item with spaces that is not itself a colour (LEGO names have spaces) counts as several codes when
        each word is one, so "310 BLANC 3865" works as well as "310,BLANC,3865".
        """
        if isinstance(codes, str):
            codes = [codes]
        keep: set[int] = set()
        unknown: list[str] = []
        for raw in codes:
            text = str(raw).strip()
            if not text:
                continue
            i = self.find(text)
            if i is not None:
                keep.add(i)
                continue
            found = [self.find(part) for part in text.split()]
            if len(found) > 1 and None not in found:
                keep.update(j for j in found if j is not None)
            else:
                unknown.append(text)
        if len(unknown) == 1:
            u = unknown[0]
            raise PaletteError(f"There is no colour '{u}' in {self._describe()}.{self._hint(u)}")
        if unknown:
            shown = "; ".join(f"'{u}'" + (f": did you mean {hint}?" if (hint := self._suggest(u)) else "")
                              for u in unknown[:10])
            more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
            raise PaletteError(f"{len(unknown)} of your colours are not in {self._describe()}: {shown}{more}")
        if not keep:
            raise PaletteError(f"No colours were given to keep from {self._describe()}; list at least one.")
        return self.subset(sorted(keep))

    def subset(self, indices: Sequence[int]) -> Palette:
        """A palette of the given entries, in the given order (grids re-indexed by the caller)."""
        idx = [operator.index(i) for i in indices]
        n = len(self)
        bad = [i for i in idx if not -n <= i < n]
        if bad:
            raise IndexError(f"palette index {bad[0]} is out of range for {n} colours")
        idx = [i % n for i in idx]
        if len(set(idx)) != len(idx):
            raise ValueError("subset indices must not repeat")
        if not idx:
            raise PaletteError(f"No colours were chosen from {self._describe()}.")
        return Palette(self.name, self.brand, self.material, tuple(self.entries[i] for i in idx), self.source)

    # -- storage ---------------------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe and self-contained (material included): a saved pattern never needs the original file."""
        m = self.material
        entries = []
        for e in self.entries:
            d: dict[str, Any] = {"code": e.code, "name": e.name, "hex": e.hex}
            for key in ID_COLUMNS:
                if getattr(e, key) is not None:
                    d[key] = getattr(e, key)
            if e.transparent:
                d["transparent"] = True
            if e.finish != "opaque":
                d["finish"] = e.finish
            if e.availability != "current":
                d["availability"] = e.availability
            entries.append(d)
        return {
            "name": self.name,
            "brand": self.brand,
            "source": self.source,
            "material": {"key": m.key, "craft": m.craft, "description": m.description,
                         "pitch_mm": m.pitch_mm},
            "entries": entries,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Palette:
        def damaged(why: str) -> PaletteError:
            return PaletteError(f"The stored palette is damaged: {why}.")

        if not isinstance(d, dict):
            raise damaged("expected an object with 'name', 'brand', 'material' and 'entries'")
        for key in ("name", "brand", "entries"):
            if key not in d:
                raise damaged(f"'{key}' is missing")
        if not isinstance(d["name"], str) or not isinstance(d["brand"], str):
            raise damaged("'name' and 'brand' must be text")
        material = _material_from(d.get("material", GENERIC.key), damaged)
        raw = d["entries"]
        if not isinstance(raw, list) or not raw:
            raise damaged("'entries' must be a non-empty list")
        entries = []
        for n, item in enumerate(raw, 1):
            if not isinstance(item, dict):
                raise damaged(f"colour {n} is not an object")
            m = HEX6.fullmatch(str(item.get("hex", "")))
            if m is None:
                raise damaged(f"colour {n} has no valid 'hex' (expected #RRGGBB), found {item.get('hex')!r}")
            ids = {}
            for key in ID_COLUMNS:
                v = item.get(key)
                if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
                    raise damaged(f"colour {n}: '{key}' must be a whole number, found {v!r}")
                ids[key] = v
            code, name = item.get("code"), item.get("name", "")
            if not isinstance(code, str) or not code.strip() or not isinstance(name, str):
                raise damaged(f"colour {n} needs a text 'code' and 'name'")
            transparent = item.get("transparent", False)
            if not isinstance(transparent, bool):
                raise damaged(f"colour {n}: 'transparent' must be true or false, found {transparent!r}")
            finish, availability = item.get("finish", "opaque"), item.get("availability", "current")
            if not isinstance(finish, str) or not isinstance(availability, str):
                raise damaged(f"colour {n}: 'finish' and 'availability' must be text")
            try:
                entries.append(PaletteEntry(code, name, hex_to_rgb(m.group(1)), **ids, transparent=transparent,
                                            finish=finish, availability=availability))
            except PaletteError as e:
                raise damaged(str(e).rstrip(".")) from None
        try:
            return cls(d["name"], d["brand"], material, tuple(entries), str(d.get("source", "")))
        except PaletteError as e:
            raise damaged(str(e).rstrip(".")) from None


def _material_from(value: Any, damaged: Callable[[str], PaletteError]) -> Material:
    if isinstance(value, str):
        if value in MATERIALS:
            return MATERIALS[value]
        raise damaged(f"unknown material '{value}'")
    if not isinstance(value, dict):
        raise damaged("'material' must be a key or an object")
    try:
        m = Material(str(value["key"]), value["craft"], str(value["description"]), float(value["pitch_mm"]))
    except (KeyError, TypeError, ValueError):
        raise damaged("'material' needs key, craft, description and pitch_mm") from None
    if m.craft not in ("stitch", "bead", "brick", "generic"):
        raise damaged(f"material '{m.key}' has an unknown craft")
    if not MIN_PITCH_MM <= m.pitch_mm <= MAX_PITCH_MM:  # also refuses nan and inf
        raise damaged(f"material '{m.key}' has a cell of {m.pitch_mm:g} mm; cells are {MIN_PITCH_MM:g}–"
                      f"{MAX_PITCH_MM:g} mm")
    known = MATERIALS.get(m.key)
    return known if known == m else m  # the shared constant where it matches, so `is AIDA_14` holds


def _code_key(text: str) -> str:
    """'H 01', 'h-1', 'H1' → 'H1'; digit groups stay apart: '80 19001' is '80-19001', '8019001' isn't."""
    tokens = re.findall(r"[A-Z]+|[0-9]+", text.upper())
    out = ""
    prev = ""
    for tok in tokens:
        if tok.isdigit():
            tok = str(int(tok))
            if prev.isdigit():
                out += "-"
        out += tok
        prev = tok
    return out


def _name_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.upper()).strip()


def hex_to_rgb(six: str) -> tuple[int, int, int]:
    return int(six[0:2], 16), int(six[2:4], 16), int(six[4:6], 16)
