"""Render resources/icons/pixlcraft.svg to the PNG sizes, the Windows .ico and the macOS .icns.

The SVG is the source; run this after changing it (``python scripts/make_icons.py``) and commit the results:
the installers and the window use the rendered files, so building needs no SVG renderer.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int):
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(ICONS / "pixlcraft.svg"))
    image = QImage(size, size, QImage.Format.Format_RGBA8888)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = bytes(image.constBits())
    return Image.frombuffer("RGBA", (size, size), data, "raw", "RGBA", image.bytesPerLine(), 1).copy()


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 - fonts and painting need one
    images = {size: render(size) for size in SIZES}
    for size, image in images.items():
        image.save(ICONS / f"pixlcraft-{size}.png", optimize=True)
    images[256].save(ICONS / "pixlcraft.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    images[512].save(ICONS / "pixlcraft.icns")
    print(f"wrote {len(images)} PNGs, pixlcraft.ico and pixlcraft.icns to {ICONS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
