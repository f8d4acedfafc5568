"""The ``oxs`` export format: the file format itself lives in :mod:`pixlcraft.formats.oxs`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..formats.oxs import oxs_text, read_oxs, save_oxs, skipped_summary  # noqa: F401 - the format's API
from ..jobs import Reporter
from ..pattern import Pattern
from .registry import MAX_TITLE, ExportFormat, ExportOption, write_text

OPTIONS = (
    ExportOption("fabric_count", float, 14.0, "fabric count (stitches per inch) written to the chart", min=6, max=40),
    ExportOption("strands", int, 2, "strands of floss per stitch written for every thread", min=1, max=6),
    ExportOption("title", str, "", "chart title (default: the pattern's title)", max=MAX_TITLE),
)


def write(pattern: Pattern, path: Path, options: dict[str, Any], reporter: Reporter) -> list[Path]:
    reporter.check()
    text = oxs_text(pattern, options["fabric_count"], options["strands"], options["title"])
    reporter.check()
    return [write_text(path, text)]


FORMATS = [
    ExportFormat(
        "oxs",
        ".oxs",
        "open cross-stitch chart (XML) for WinStitch/MacStitch, FlossCross, Embroiderly; PixlCraft opens it again",
        ("stitch", "bead"),  # a bead plan is a chart too, and PixlCraft reads the bead palette back
        OPTIONS,
        write,
    )
]
