"""``pixlcraft palettes list|show``."""

from __future__ import annotations

import argparse

from .common import Parser, load_palette

ORDER = 90


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("palettes", help="list the built-in palettes or show one")
    psub = p.add_subparsers(dest="palettes_cmd", required=True, parser_class=Parser)
    lp = psub.add_parser("list", help="list the built-in palettes")
    lp.set_defaults(func=run_list)
    sp = psub.add_parser("show", help="show every colour of a palette (name or file)")
    sp.add_argument("palette")
    sp.add_argument("--owned", metavar="FILE|CODES", help="show only these codes")
    sp.set_defaults(func=run_show)


def run_list(args: argparse.Namespace) -> int:
    from ..palette import builtin_names, load_builtin

    print(f"{'name':<12} {'brand':<12} {'colours':>7}  material")
    for name in builtin_names():
        pal = load_builtin(name)
        print(f"{name:<12} {pal.brand:<12} {len(pal):>7}  {pal.material.description}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    pal = load_palette(args)
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
        if e.finish != "opaque":
            line += f"  {e.finish}"
        if e.availability != "current":
            line += f"  {e.availability.replace(':', ': ')}"
        if not e.standard:
            line += "  (special: only with --include-special or --owned)"
        print(line)
    return 0
