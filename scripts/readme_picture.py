"""Regenerate the README picture: the sample photo beside the pattern the quick start makes from it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from pixlcraft.convert import ConvertOptions, convert_file
from pixlcraft.palette import load_builtin

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    src = ROOT / "resources" / "samples" / "astronaut.jpg"
    result = convert_file(src, load_builtin("dmc"), ConvertOptions(width=80, max_colors=24))
    cell = 5
    pattern = np.kron(result.pattern.rgb_image(), np.ones((cell, cell, 1), np.uint8))
    # light grid lines every cell and darker every 10, as on a chart
    pattern[::cell, :] = (pattern[::cell, :] * 0.85).astype(np.uint8)
    pattern[:, ::cell] = (pattern[:, ::cell] * 0.85).astype(np.uint8)
    pattern[:: cell * 10, :] = 60
    pattern[:, :: cell * 10] = 60
    h = pattern.shape[0]
    photo = Image.open(src).convert("RGB").resize((h * 512 // 512, h), Image.LANCZOS)
    gap = 16
    canvas = Image.new("RGB", (photo.width + gap + pattern.shape[1], h), (255, 255, 255))
    canvas.paste(photo, (0, 0))
    canvas.paste(Image.fromarray(pattern), (photo.width + gap, 0))
    out = ROOT / "resources" / "readme" / "astronaut_pattern.png"
    canvas.save(out, optimize=True)
    print(out, canvas.size)


if __name__ == "__main__":
    main()
