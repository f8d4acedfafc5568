"""Add (or refresh) the ``finish`` and ``availability`` columns of the built-in bead and thread palettes.

The method is recorded here so that it can be re-run when a palette file is updated, and is described with its
sources in ``palettes/SOURCES.md`` ("Finishes and availability"):

* ``finish`` comes from the manufacturer's colour name (the only per-colour finish information the source
  tables carry), by whole-word rules: Transparent/Clear → transparent; Translucent → translucent; Glow →
  glow; Pearl/Pearlescent → pearl; Metallic, or a name that is only Gold/Silver/Bronze/Copper → metallic;
  Glitter → glitter; Neon/Fluorescent → neon; Striped → striped; everything else opaque. Colour names that
  merely contain such a word ("Goldenrod", "Silver Lake Blue", "Marigold") stay opaque.
* ``dmc.csv`` is DMC's plain six-strand floss (Mouliné Spécial, art. 117) only, so every row is opaque by its
  source; names such as "Pearl Gray" (415) or "Copper" (921) are colour names there, not finishes. (DMC's Light
  Effects and Étoile threads have codes of their own, E… and C…, which the table does not include.)
* ``availability`` is ``current`` unless a source says otherwise: :data:`REGION_LIMITED` and
  :data:`DISCONTINUED` below, each with its source.

    python scripts/tag_palettes.py          # rewrites palettes/*.csv in place (idempotent)
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PALETTES = ("dmc", "perler", "perler_mini", "hama", "hama_mini", "artkal_s", "artkal_c", "nabbi")

RULES: tuple[tuple[str, str], ...] = (
    (r"\b(transparent|clear)\b", "transparent"),
    (r"\btranslucent\b", "translucent"),
    (r"\bglow\b", "glow"),
    (r"\bpearl(escent)?\b", "pearl"),
    (r"^(metallic\b.*|gold|silver|bronze|copper)$", "metallic"),
    (r"\bglitter\b", "glitter"),
    (r"\b(neon|fluorescent)\b", "neon"),
    (r"\bstriped?\b", "striped"),
)

#: palette → code → region. Source: maxcleme/beadcolors issue #52 (2025-03-24, a collector in Japan, with
#: Kawada's Japanese Perler catalogue pages 80-15089, 80-15239k, 80-15263k, 80-15268k, 80-15269k) and
#: maxcleme/beadifier issue #111 ("It seems to be japan exclusive"): sold by Kawada in Japan only.
REGION_LIMITED: dict[str, dict[str, str]] = {
    "perler": {"80-15089": "Japan", "80-15239": "Japan", "80-15263": "Japan", "80-15268": "Japan",
               "80-15269": "Japan"},
}
#: palette → codes no longer made. None known in the current tables: DMC's withdrawn codes are aliases of their
#: replacements, not rows (see the dmc.csv section of SOURCES.md).
DISCONTINUED: dict[str, set[str]] = {}


#: Palettes whose source covers one plain product line only: every row is opaque.
SINGLE_FINISH = {"dmc"}


def finish_of(name: str, palette: str = "") -> str:
    if palette in SINGLE_FINISH:
        return "opaque"
    lowered = name.strip().lower()
    for pattern, finish in RULES:
        if re.search(pattern, lowered):
            return finish
    return "opaque"


def availability_of(palette: str, code: str) -> str:
    if code in DISCONTINUED.get(palette, set()):
        return "discontinued"
    region = REGION_LIMITED.get(palette, {}).get(code)
    return f"region-limited:{region}" if region else "current"


def tag(palette: str) -> str:
    path = ROOT / "palettes" / f"{palette}.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["code", "name", "hex", "finish", "availability"])
    for row in rows:
        w.writerow([row["code"], row["name"], row["hex"], finish_of(row["name"], palette),
                    availability_of(palette, row["code"])])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path.name


def main() -> int:
    for palette in PALETTES:
        print(tag(palette))
    return 0


if __name__ == "__main__":
    sys.exit(main())
