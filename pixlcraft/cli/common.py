"""Pieces every ``pixlcraft`` sub-command shares: the parser class, the progress bar, palette flags, checks."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..fileio import refuse_input
from ..jobs import Progress

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other user error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


class ProgressBar:
    """Adapts core progress reports to a tqdm bar on stderr that appears only when work lasts over a second."""

    def __init__(self, enabled: bool = True, unit: str = "step") -> None:
        self.enabled = enabled and sys.stderr is not None
        self.unit = unit
        self._bar = None
        self._stage: str | None = None

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
            self._bar.set_description_str(p.stage, refresh=False)
        if p.info:
            self._bar.set_postfix({k: v for k, v in p.info.items() if isinstance(v, int | float | str)},
                                  refresh=False)
        elif p.message:
            self._bar.set_postfix_str(p.message, refresh=False)
        # update() (not refresh()) so tqdm's delay holds: nothing is drawn for work shorter than a second
        self._bar.update(p.done - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def finite_float(text: str) -> float:
    """An argparse type: a number, refusing nan and inf (``--confetti-tolerance nan`` would quietly switch the
    clean-up off, as every comparison with nan is false)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"'{text}' is not a finite number")
    return value


def add_palette_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--palette", "-p", default="dmc",
                   help="palette short name (dmc, perler, perler_mini, hama, hama_mini, artkal_s, artkal_c, "
                        "nabbi, lego) or a palette file (.hex, .gpl, .csv); default dmc")
    p.add_argument("--owned", metavar="FILE|CODES",
                   help="use only the colours you own: a file of codes or a comma-separated list")
    p.add_argument("--include-special", action="store_true",
                   help="allow every colour of the palette: also clear, glow, pearl, metallic and glitter ones, "
                        "and colours sold in one region only (left out by default; --owned colours are always "
                        "allowed)")


def add_stash_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stash", metavar="FILE|default",
                   help="make the pattern from what you own: 'default' is your stash (pixlcraft stash …), or a "
                        "stash CSV (code, quantity columns); no colour is used more than the stash holds")
    p.add_argument("--strands", type=int, default=2, metavar="N",
                   help="threads: strands per cross stitch, for how far a skein goes with --stash (default 2)")


def stash_options(args: argparse.Namespace, palette):
    """``(stash, rule)`` for ``--stash``, or ``(None, None)`` without it."""
    source = getattr(args, "stash", None)
    if source is None:
        return None, None
    from ..stash.use import rule_for, stash_for

    if not source.strip():
        raise InputError("--stash is empty; give 'default' (your stash) or a stash CSV file.")
    if not 1 <= args.strands <= 6:
        raise InputError(f"--strands must be 1 to 6, the strands in a skein (got {args.strands}).")
    return stash_for(palette, source), rule_for(palette, args.strands)


def load_palette(args: argparse.Namespace):
    """The palette named by ``--palette``, restricted by ``--owned`` when given."""
    from ..palette import read_owned_codes, resolve_palette

    palette = resolve_palette(args.palette)
    owned = getattr(args, "owned", None)
    if owned is not None and not owned.strip():
        raise InputError("--owned is empty; give the codes you own (such as 310,BLANC,321) or a file of them.")
    if owned:
        palette = palette.restrict(read_owned_codes(args.owned))
    return palette


def check_output(path: str, suffixes: Sequence[str]) -> None:
    """Refuse an output path before any long work is done, not after."""
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"the output '{path}' must end in {' or '.join(suffixes)}.")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write '{path}': the folder '{folder}' does not exist.")
    if len(os.fsencode(out.name)) > 255:
        raise InputError(f"cannot write '{path}': the file name is longer than the 255 bytes a name may have.")
    refuse_input(out)
    try:  # a folder we may not write in (read-only disk, /proc) is found now, not after an hour of work
        probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".pixlcraft-probe-", delete=True)
    except OSError as exc:
        raise InputError(f"cannot write '{path}': {exc.strerror or exc} in the folder '{folder}'.") from None
    probe.close()


def open_pattern(path: str):
    """A pattern file (.pixl, .oxs), saying on stderr what of an imported chart could not be kept."""
    from ..formats import load_pattern
    from ..formats.oxs import skipped_summary

    pattern = load_pattern(path)
    note = skipped_summary(pattern)
    if note:
        print(f"pixlcraft: note: {note}", file=sys.stderr)
    return pattern


def save_pattern_file(pattern, output: str, scale: int = 1) -> None:
    """Write ``pattern`` as ``.pixl``, ``.png`` (``scale`` pixels a cell) or ``.oxs``, by the output's suffix."""
    from ..pattern import save_pattern

    if Path(output).suffix.lower() == ".oxs":
        from ..formats.oxs import save_oxs

        save_oxs(pattern, output)
    else:
        save_pattern(pattern, output, scale=scale)


def parse_rgb(text: str, flag: str = "--background") -> tuple[int, int, int]:
    t = text.strip().lstrip("#")
    if len(t) != 6 or any(c not in "0123456789abcdefABCDEF" for c in t):
        raise InputError(f"{flag} must be a colour like FFFFFF or #F0E6D2 (got '{text}').")
    return int(t[0:2], 16), int(t[2:4], 16), int(t[4:6], 16)


def print_summary(pattern, stats: dict, output: str, removed: int | None = None) -> None:
    """Size, colours and finished physical size: what a maker wants to know first."""
    m = pattern.palette.material
    w_mm, h_mm = m.size_mm(pattern.width, pattern.height)
    print(f"{output}: {pattern.width}×{pattern.height} cells, {stats['colors_used']} {pattern.palette.brand} "
          f"colours, {w_mm / 10:.1f}×{h_mm / 10:.1f} cm as {m.description.lower()}")
    line = f"mean colour error {stats['mean_delta_e']:.2f} ΔE00, " if "mean_delta_e" in stats else ""
    line += f"confetti {100 * stats['confetti_share']:.1f}%"
    dithered = (pattern.metadata.get("recipe") or {}).get("dither", "none") not in ("none", None)
    if dithered:
        line += " (dithered: mixed cells kept, no confetti clean-up)"
    elif removed is not None:
        line += f" ({removed} isolated cells cleaned up)"
    print(line)


def print_counts(pattern) -> None:
    counts = pattern.counts()
    order = sorted((i for i in range(len(counts)) if counts[i]), key=lambda i: -counts[i])
    print(f"{'code':>10}  {'name':<32} {'hex':<8} {'cells':>7}")
    for i in order:
        e = pattern.palette[i]
        print(f"{e.code:>10}  {e.name[:32]:<32} {e.hex:<8} {int(counts[i]):>7}")


_YES = {"yes", "y", "true", "on", "1"}
_NO = {"no", "n", "false", "off", "0"}


class YesNoAction(argparse.Action):
    """A switch that reads every way people write it: ``--flag``, ``--flag yes|no`` and ``--no-flag``."""

    def __init__(self, option_strings, dest, **kwargs):
        names = list(option_strings)
        for name in option_strings:
            if name.startswith("--") and not name.startswith("--no-"):
                names.append("--no-" + name[2:])
        kwargs.setdefault("metavar", "yes|no")
        super().__init__(names, dest, nargs="?", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        if option_string and option_string.startswith("--no-"):
            if values is not None:
                parser.error(f"{option_string} takes no value")
            setattr(namespace, self.dest, False)
            return
        if values is None:
            setattr(namespace, self.dest, True)
            return
        word = str(values).strip().lower()
        if word not in _YES | _NO:
            parser.error(f"{option_string} takes yes or no, not {values!r}")
        setattr(namespace, self.dest, word in _YES)
