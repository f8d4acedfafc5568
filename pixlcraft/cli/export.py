"""``pixlcraft export``: pattern → files to print, stitch, fuse or order (formats from the export registry).

The format options become flags automatically (``fabric_count`` → ``--fabric-count``). Formats that share an
option name share its flag, so one flag means one thing everywhere; a flag that the chosen format does not have
is refused rather than silently ignored, because a hobbyist who typed ``--strands 3`` expects it to matter.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from .common import ProgressBar, YesNoAction, open_pattern

ORDER = 30


def _shared_options() -> dict[str, tuple[Any, list[str]]]:
    """Every option name → (one declaration of it, the formats that have it); checks that types agree."""
    from ..export import formats

    shared: dict[str, tuple[Any, list[str]]] = {}
    for fmt in formats():
        for opt in fmt.options:
            if opt.name in shared:
                first, keys = shared[opt.name]
                if first.type is not opt.type:
                    raise TypeError(
                        f"export option {opt.name!r} is {first.type.__name__} in {keys[0]} but "
                        f"{opt.type.__name__} in {fmt.key}; formats sharing a flag must agree on its type"
                    )
                keys.append(fmt.key)
            else:
                shared[opt.name] = (opt, [fmt.key])
    return shared


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..export import formats

    keys = [f.key for f in formats()]
    p = sub.add_parser(
        "export",
        help="pattern → chart PDF, OXS, bead plan, brick parts list …",
        description="Write a pattern (.pixl or .oxs) as a file to print, stitch, fuse or order. "
                    "'pixlcraft export --list' shows every format with its options.",
    )
    p.add_argument("pattern", nargs="?", help="pattern file (.pixl, or .oxs from another cross-stitch program)")
    p.add_argument("--format", "-f", dest="export_format", metavar="FORMAT",
                   help=f"output format: {', '.join(keys)}")
    p.add_argument("-o", "--output", help="output file (the format's extension is added when missing)")
    p.add_argument("--list", action="store_true", help="list the formats and their options, then exit")
    group = p.add_argument_group("format options (each applies only to the formats named in its help)")
    for name, (opt, fmt_keys) in _shared_options().items():
        kwargs: dict[str, Any] = {"dest": f"opt_{name}", "default": argparse.SUPPRESS,
                                  "help": f"{opt.help} [{', '.join(fmt_keys)}]".replace("%", "%%")}
        if opt.type is bool:
            kwargs["action"] = YesNoAction
        else:
            kwargs["type"] = opt.type
            kwargs["metavar"] = opt.name.upper() if opt.choices is None else None
            if opt.choices is not None:
                # The union over the formats; the registry checks the chosen format's own list.
                choices: list[Any] = []
                for f in formats():
                    o = f.option(name)
                    choices.extend(x for x in ((o.choices or ()) if o else ()) if x not in choices)
                kwargs["choices"] = choices
        group.add_argument(opt.flag, **kwargs)
    p.set_defaults(func=run)


def list_formats() -> str:
    from ..export import formats

    lines = []
    for fmt in formats():
        lines.append(f"{fmt.key} ({fmt.extension}; {', '.join(fmt.crafts)}): {fmt.description}")
        for opt in fmt.options:
            lines.append(f"    {opt.describe()}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..export import export, get_format
    from ..export.registry import limits_note

    if args.list:
        print(list_formats())
        return 0
    if not args.pattern or not args.export_format or not args.output:
        missing = [what for what, v in (("PATTERN", args.pattern), ("--format", args.export_format),
                                        ("-o OUTPUT", args.output)) if not v]
        raise InputError(f"export needs {', '.join(missing)} (or --list to see the formats).")
    fmt = get_format(args.export_format)
    given = {k[4:]: v for k, v in vars(args).items() if k.startswith("opt_")}
    foreign = [name for name in given if fmt.option(name) is None]
    if foreign:
        flags = ", ".join("--" + n.replace("_", "-") for n in foreign)
        own = ", ".join(o.flag for o in fmt.options) or "none"
        raise InputError(f"{flags} does not apply to the {fmt.key} format (its options: {own}).")
    output = Path(args.output)
    if output.is_dir():  # `-o charts/`: the file goes inside, named after the pattern
        output = output / f"{Path(args.pattern).stem}{fmt.extension}"
    elif args.output.endswith(("/", os.sep)):
        raise InputError(f"the folder {args.output} does not exist.")
    pattern = open_pattern(args.pattern)
    bar = ProgressBar(unit="page")
    try:
        written = export(pattern, fmt.key, output, given, progress=bar)
    finally:
        bar.close()
    for path in written:
        print(path)
    note = limits_note(fmt, pattern, given)
    if note:
        print(f"pixlcraft: note: {note}", file=sys.stderr)
    return 0
