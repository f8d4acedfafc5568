"""The freedesktop menu entry and MIME types that make .pixl and .oxs files open in PixlCraft on Linux.

One definition serves both Linux installs: the .deb lays these files out system-wide
(``packaging/linux/make_deb.py``), and the portable .tar.gz writes them into the user's data folder
(``install-desktop-entry.sh`` runs ``python -m pixlcraft.desktop_entry BUNDLE DATA_DIR``).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .runtime import resource

MIME_TYPES = ("application/x-pixlcraft", "application/x-oxs")

MIME_XML = """<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="application/x-pixlcraft">
    <comment>PixlCraft pattern</comment>
    <sub-class-of type="application/zip"/>
    <glob pattern="*.pixl"/>
    <icon name="pixlcraft"/>
  </mime-type>
  <mime-type type="application/x-oxs">
    <comment>Open Cross Stitch chart</comment>
    <sub-class-of type="application/xml"/>
    <glob pattern="*.oxs"/>
  </mime-type>
</mime-info>
"""

_DESKTOP = """[Desktop Entry]
Type=Application
Name=PixlCraft
GenericName=Pattern maker
Comment=Turn a photo or a prompt into a cross-stitch, fuse-bead or brick-mosaic pattern
Exec={exec} %f
Icon=pixlcraft
Terminal=false
Categories=Graphics;2DGraphics;RasterGraphics;
Keywords=cross stitch;embroidery;perler;hama;beads;lego;mosaic;pattern;
MimeType={mime};image/jpeg;image/png;image/webp;
StartupWMClass=pixlcraft-app
"""


def desktop_file(exec_path: str) -> str:
    """The .desktop entry that runs ``exec_path`` (quoted when it holds spaces, as the spec requires)."""
    quoted = f'"{exec_path}"' if any(c in exec_path for c in ' \t"') else exec_path
    return _DESKTOP.format(exec=quoted, mime=";".join(MIME_TYPES))


def icon_files() -> dict[str, Path]:
    """Icon size ("16x16" … "512x512", "scalable") → the bundled file."""
    folder = Path(str(resource("pixlcraft._resources", "icons")))
    found = {f"{p.stem.split('-')[1]}x{p.stem.split('-')[1]}": p for p in folder.glob("pixlcraft-*.png")}
    found["scalable"] = folder / "pixlcraft.svg"
    return found


def install(share: Path, exec_path: str) -> list[Path]:
    """Write the entry, the MIME types and the icons under ``share`` (``/usr/share`` or ``~/.local/share``)."""
    written = []
    targets = {
        share / "applications" / "pixlcraft.desktop": desktop_file(exec_path),
        share / "mime" / "packages" / "pixlcraft.xml": MIME_XML,
    }
    for path, text in targets.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    for size, source in icon_files().items():
        target = share / "icons" / "hicolor" / size / "apps" / f"pixlcraft{source.suffix}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m pixlcraft.desktop_entry BUNDLE_FOLDER DATA_DIR", file=sys.stderr)
        return 2
    bundle, share = Path(argv[0]).resolve(), Path(argv[1])
    for path in install(share, str(bundle / "pixlcraft-app")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
