"""Check the installed app's outputs from the smoke test, with readers that are not the bundle's own code."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from PIL import Image
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pixlcraft.formats import load_pattern  # noqa: E402 - the source tree's reader, not the bundle's


def main(work: Path) -> int:
    dmc = load_pattern(work / "dmc.pixl")
    assert dmc.grid.shape[1] == 200 and dmc.palette.brand.upper().startswith("DMC"), (dmc.grid.shape,
                                                                                     dmc.palette.brand)
    again = load_pattern(work / "dmc2.pixl")
    assert np.array_equal(dmc.grid, again.grid), "two converts of the same photo differ"
    lego = load_pattern(work / "lego.pixl")
    assert lego.grid.shape[1] == 48

    pdf = PdfReader(str(work / "chart.pdf"))
    text = pdf.pages[0].extract_text()
    assert len(pdf.pages) >= 3 and "DMC" in "".join(p.extract_text() for p in pdf.pages[:3]), text[:200]

    root = ET.parse(work / "parts.xml").getroot()
    items = root.findall("ITEM")
    total = sum(int(i.findtext("MINQTY")) for i in items)
    assert items and total >= 48 * lego.grid.shape[0], (len(items), total)

    rose = load_pattern(work / "rose.pixl")  # made by the installed app with the AI add-on
    assert rose.grid.shape == (8, 12) and rose.palette.brand.lower().startswith("perler"), rose.grid.shape

    small, big = Image.open(work / "small.png"), Image.open(work / "big.png")
    assert big.size == (small.width * 4, small.height * 4), (small.size, big.size)

    shot = np.asarray(Image.open(work / "shot.png").convert("RGB"), dtype=np.float32)
    colours = len(np.unique(shot.reshape(-1, 3)[::7], axis=0))
    assert shot.shape[0] > 400 and shot.std() > 20 and colours > 50, (shot.shape, shot.std(), colours)
    print(f"outputs OK: {dmc.grid.shape[1]}×{dmc.grid.shape[0]} DMC pattern, {len(pdf.pages)}-page chart, "
          f"{len(items)} BrickLink lots ({total} parts), AI pattern {rose.grid.shape[1]}×{rose.grid.shape[0]}, "
          f"clean-up {small.size}→{big.size}, "
          f"screenshot {shot.shape[1]}×{shot.shape[0]} with {colours} colours")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
