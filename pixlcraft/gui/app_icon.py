"""PixlCraft's own icon (rendered from resources/icons/pixlcraft.svg by scripts/make_icons.py)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from ..runtime import resource

SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def icon_path(size: int) -> str:
    return str(resource("pixlcraft._resources", "icons", f"pixlcraft-{size}.png"))


def app_icon() -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addFile(icon_path(size))
    return icon
