"""The ``pixlcraft`` command line.

Every command turns user problems (missing file, unknown palette, impossible size, unwritable output) into one
line on stderr and exit code 2; Ctrl+C exits 130. A traceback is shown only with ``--debug``, for bug reports.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import Cancelled, PixlcraftError
from .jobs import Progress

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class ProgressBar:
    """Adapts core progress reports to a tqdm bar on stderr that appears only when work lasts over a second."""

    def __init__(self, enabled: bool = True, unit: str = "step") -> None:
        self.enabled = enabled and sys.stderr is not None
        self.unit = unit
        self._bar = None
        self._stage = None
        self._start = time.monotonic()

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if self._bar is None:
            self._bar = tqdm(total=p.total or None, unit=self.unit, delay=1.0, file=sys.stderr,
                             dynamic_ncols=True, leave=False)
        if p.total and self._bar.total != p.total:
            self._bar.total = p.total
        if p.stage != self._stage:
            self._stage = p.stage
            self._bar.set_description_str(p.stage)
        if p.info:
            self._bar.set_postfix({k: v for k, v in p.info.items() if isinstance(v, int | float | str)},
                                  refresh=False)
        self._bar.n = p.done
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


# ----------------------------------------------------------------------------------------------- convert


def _add_convert(sub: argparse._SubParsersAction) -> None:
    from .convert import DITHER_CHOICES

    p = sub.add_parser("convert", help="photo → pattern with the classic (non-AI) converter",
                       description="Convert a photo into a pattern that uses only the palette's real colours.")
    p.add_argument("input", help="photo (JPEG, PNG, TIFF, WebP, GIF, BMP …)")
    p.add_argument("-o", "--output", required=True, help="output file: .pixl (project) or .png (one pixel per cell)")
    _add_palette_args(p)
    p.add_argument("--width", type=int, help="width in cells (stitches, beads, studs)")
    p.add_argument("--height", type=int, help="height in cells; with --width too, the photo's centre is cropped")
    p.add_argument("--crop", metavar="X,Y,W,H", help="use only this rectangle of the photo (pixels)")
    p.add_argument("--max-colors", type=int, metavar="K", help="colour budget: the best K colours for this photo")
    p.add_argument("--dither", choices=DITHER_CHOICES, default="none", help="error diffusion (default: none)")
    p.add_argument("--no-cleanup", action="store_true", help="keep isolated single cells (confetti)")
    p.add_argument("--confetti-tolerance", type=float, metavar="DE",
                   help="largest extra colour error (CIEDE2000) a confetti fix may cost (default 6)")
    p.add_argument("--alpha", choices=("composite", "empty"), default="composite",
                   help="transparent areas: blend over --background, or leave cells empty")
    p.add_argument("--background", default="FFFFFF", metavar="RRGGBB", help="colour under transparent areas")
    p.add_argument("--title", default="", help="pattern title (default: the photo's file name)")
    p.add_argument("--scale", type=int, default=1, metavar="N", help="PNG output: N×N pixels per cell")
    p.add_argument("--stats", action="store_true", help="print cells per colour")
    p.set_defaults(func=_cmd_convert)


def _add_palette_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--palette", "-p", default="dmc",
                   help="palette short name (dmc, perler, perler_mini, hama, hama_mini, artkal_s, artkal_c, "
                        "nabbi, lego) or a palette file (.hex, .gpl, .csv); default dmc")
    p.add_argument("--owned", metavar="FILE|CODES",
                   help="use only the colours you own: a file of codes or a comma-separated list")


def _load_palette(args: argparse.Namespace):
    from .palette import read_owned_codes, resolve_palette

    palette = resolve_palette(args.palette)
    if args.owned:
        palette = palette.restrict(read_owned_codes(args.owned))
    return palette


def _parse_rgb(text: str) -> tuple[int, int, int]:
    from .errors import InputError

    t = text.strip().lstrip("#")
    if len(t) != 6 or any(c not in "0123456789abcdefABCDEF" for c in t):
        raise InputError(f"--background must be a colour like FFFFFF or #F0E6D2 (got '{text}').")
    return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)


def _cmd_convert(args: argparse.Namespace) -> int:
    from .convert import ConvertOptions, convert_file
    from .errors import InputError
    from .pattern import save_pattern
    from .sizing import parse_crop

    if args.scale < 1 or args.scale > 64:
        raise InputError(f"--scale must be between 1 and 64 (got {args.scale}).")
    _check_output(args.output, (".pixl", ".png"))
    palette = _load_palette(args)
    options = ConvertOptions(
        width=args.width,
        height=args.height,
        crop=parse_crop(args.crop) if args.crop else None,
        max_colors=args.max_colors,
        dither=args.dither,
        cleanup=not args.no_cleanup,
        alpha=args.alpha,
        background=_parse_rgb(args.background),
        title=args.title,
    )
    if args.confetti_tolerance is not None:
        options.confetti_tolerance = args.confetti_tolerance
    bar = ProgressBar(unit="stage")
    try:
        result = convert_file(args.input, palette, options, progress=bar)
    finally:
        bar.close()
    save_pattern(result.pattern, args.output, scale=args.scale)
    _print_summary(result.pattern, result.stats, result.confetti_removed, args.output)
    if args.stats:
        _print_counts(result.pattern)
    return 0


def _check_output(path: str, suffixes: Sequence[str]) -> None:
    from .errors import InputError

    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"the output '{path}' must end in {' or '.join(suffixes)}.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write '{path}': the folder '{folder}' does not exist.")


def _print_summary(pattern, stats: dict, removed: int, output: str) -> None:
    m = pattern.palette.material
    w_mm, h_mm = m.size_mm(pattern.width, pattern.height)
    print(f"{output}: {pattern.width}×{pattern.height} cells, {stats['colors_used']} {pattern.palette.brand} "
          f"colours, {w_mm / 10:.1f}×{h_mm / 10:.1f} cm as {m.description.lower()}")
    print(f"mean colour error {stats['mean_delta_e']:.2f} ΔE00, confetti {100 * stats['confetti_share']:.1f}% "
          f"({removed} isolated cells cleaned up)")


def _print_counts(pattern) -> None:
    counts = pattern.counts()
    order = sorted((i for i in range(len(counts)) if counts[i]), key=lambda i: -counts[i])
    print(f"{'code':>10}  {'name':<32} {'hex':<8} {'cells':>7}")
    for i in order:
        e = pattern.palette[i]
        print(f"{e.code:>10}  {e.name[:32]:<32} {e.hex:<8} {int(counts[i]):>7}")


# ----------------------------------------------------------------------------------------------- palettes


def _add_palettes(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("palettes", help="list the built-in palettes or show one")
    psub = p.add_subparsers(dest="palettes_cmd", required=True, parser_class=_Parser)
    lp = psub.add_parser("list", help="list the built-in palettes")
    lp.set_defaults(func=_cmd_palettes_list)
    sp = psub.add_parser("show", help="show every colour of a palette (name or file)")
    sp.add_argument("palette")
    sp.add_argument("--owned", metavar="FILE|CODES", help="show only these codes")
    sp.set_defaults(func=_cmd_palettes_show)


def _cmd_palettes_list(args: argparse.Namespace) -> int:
    from .palette import builtin_names, load_builtin

    print(f"{'name':<12} {'brand':<12} {'colours':>7}  material")
    for name in builtin_names():
        pal = load_builtin(name)
        print(f"{name:<12} {pal.brand:<12} {len(pal):>7}  {pal.material.description}")
    return 0


def _cmd_palettes_show(args: argparse.Namespace) -> int:
    pal = _load_palette(args)
    print(f"{pal.name}: {pal.brand}, {len(pal)} colours, {pal.material.description}")
    lego = any(e.bricklink_id is not None for e in pal)
    header = f"{'code':>10}  {'name':<36} {'hex':<8}"
    if lego:
        header += f" {'BrickLink':>9} {'LDraw':>6}"
    print(header)
    for e in pal:
        line = f"{e.code:>10}  {e.name[:36]:<36} {e.hex:<8}"
        if lego:
            line += f" {e.bricklink_id if e.bricklink_id is not None else '':>9} "
            line += f"{e.ldraw_code if e.ldraw_code is not None else '':>6}"
            if e.transparent:
                line += "  transparent"
        print(line)
    return 0


# ----------------------------------------------------------------------------------------------- entry


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pixlcraft", description="Photo or prompt → cross-stitch, bead or brick pattern.")
    parser.add_argument("--version", action="version", version=f"pixlcraft {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks (for bug reports)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for add in _COMMANDS:
        add(sub)
    return parser


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_convert, _add_palettes]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except Cancelled as exc:
        print(f"pixlcraft: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("pixlcraft: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except PixlcraftError as exc:
        if args.debug:
            raise
        print(f"pixlcraft: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("pixlcraft: error: not enough memory for this job; try a smaller size.", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            raise
        print(f"pixlcraft: internal error ({type(exc).__name__}: {exc}). This is a bug in PixlCraft; "
              "run again with --debug and report what it prints.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
