"""Machine-embroidery stitch quality: stitches, zero-length stitches, jumps and trims per 1,000 cells.

    python -m benchmarks.embroidery_stitches

The chelsea sample at 80 cells wide, 20 DMC colours, written as DST and PES with and without tie stitches and
read back with pystitch. A zero-length stitch is a needle drop on the spot of the one before (after a stitch
or a jump); PES's own stitch block marks the needle-down after every jump that way, so PES keeps one per jump.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(path: Path) -> dict[str, int]:
    import pystitch

    counts = {"stitches": 0, "zero_length": 0, "jumps": 0, "trims": 0}
    prev = None
    for x, y, c in pystitch.read(str(path)).stitches:
        cmd = c & pystitch.COMMAND_MASK
        if cmd == pystitch.STITCH:
            counts["stitches"] += 1
            counts["zero_length"] += prev == (x, y)
        counts["jumps"] += cmd == pystitch.JUMP
        counts["trims"] += cmd == pystitch.TRIM
        prev = (x, y)
    return counts


def main() -> int:
    from pixlcraft.convert import ConvertOptions, convert_photo
    from pixlcraft.export.registry import export
    from pixlcraft.imageio import load_photo
    from pixlcraft.palette import load_builtin

    pattern = convert_photo(load_photo(ROOT / "resources" / "samples" / "chelsea.jpg"), load_builtin("dmc"),
                            ConvertOptions(width=80, max_colors=20)).pattern
    cells = int((pattern.grid >= 0).sum())
    print(f"{pattern.width}×{pattern.height} cells ({cells} filled), {len(pattern.used_indices())} colours; "
          "figures per 1,000 cells")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("dst", "pes"):
            for ties in (False, True):
                out = export(pattern, fmt, Path(tmp) / f"x.{fmt}", {"ties": ties, "hoop": "200x300"})[0]
                m = measure(out)
                per = {k: round(v * 1000 / cells) for k, v in m.items()}
                print(f"{fmt} {'with ties' if ties else 'no ties  '}: stitches {per['stitches']}, zero-length "
                      f"{per['zero_length']}, jumps {per['jumps']}, trims {per['trims']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
