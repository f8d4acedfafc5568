"""``pixlcraft stash show|add|remove|import|export|buy``: the threads, beads and bricks you own.

The stash lives in the user data folder (one file per family: threads, beads, bricks) and is what
``convert --stash default`` / ``generate --stash default`` make patterns from. Every change is saved at once.
"""

from __future__ import annotations

import argparse
import sys

from .common import Parser

ORDER = 60
FAMILY_WORDS = {"thread": "thread", "threads": "thread", "bead": "bead", "beads": "bead", "brick": "brick",
                "bricks": "brick"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stash", help="the threads, beads and bricks you own: show, add, remove, import, export, "
                                     "and what to buy for a pattern")
    ssub = p.add_subparsers(dest="stash_cmd", required=True, parser_class=Parser)

    sp = ssub.add_parser("show", help="list what is in the stash")
    sp.add_argument("family", nargs="?", default="all", help="threads, beads, bricks or all (default)")
    sp.set_defaults(func=run_show)

    for name, helptext in (("add", "add to the stash"), ("remove", "take out of the stash")):
        ap = ssub.add_parser(name, help=helptext)
        ap.add_argument("code", help="the colour: its code (310), name (Black) or, for bricks, BrickLink id")
        ap.add_argument("quantity", nargs="?" if name == "remove" else None, type=float,
                        help="how much (skeins, beads, pieces …; see --unit)"
                             + ("; leave out to remove the colour altogether" if name == "remove" else ""))
        ap.add_argument("--palette", "-p", default="dmc", help="the brand's palette (dmc, perler, hama, lego …)")
        ap.add_argument("--unit", default="", help="threads: skein (default) or m; beads: bead (default), bag "
                                                  "or g; bricks: piece")
        ap.add_argument("--element", default="", help="bricks: plate, tile, round_tile or round_plate")
        ap.set_defaults(func=run_add if name == "add" else run_remove)

    ip = ssub.add_parser("import", help="add a stash CSV, or LEGO Art sets by number, to the stash")
    ip.add_argument("source", nargs="?", help="a CSV with at least code and quantity columns")
    ip.add_argument("--palette", "-p", help="the palette of rows that name none (default dmc)")
    ip.add_argument("--lego-art", metavar="SET", help="a LEGO Art set number (31197 …): add its bricks")
    ip.add_argument("--copies", type=int, default=1, help="how many boxes of the set (default 1)")
    ip.add_argument("--list-sets", action="store_true", help="list the LEGO Art sets PixlCraft knows")
    ip.add_argument("--replace", action="store_true", help="replace that family's stash instead of adding")
    ip.set_defaults(func=run_import)

    ep = ssub.add_parser("export", help="write a family's stash as CSV")
    ep.add_argument("family", help="threads, beads or bricks")
    ep.add_argument("-o", "--output", required=True, help="the .csv to write")
    ep.set_defaults(func=run_export)

    bp = ssub.add_parser("buy", help="what to buy to make a pattern: its needs minus the stash")
    bp.add_argument("pattern", help="a pattern (.pixl or .oxs)")
    bp.add_argument("--stash", default="default", metavar="FILE|default", help="the stash to compare with")
    bp.add_argument("--strands", type=int, help="threads: strands per stitch (default 2, or as the pattern "
                                                "records)")
    bp.add_argument("--element", choices=("plate", "round-plate", "tile", "round-tile"), default="",
                    help="bricks: the element you will build with (stash lines of other elements do not count)")
    bp.add_argument("--csv", metavar="FILE", help="also write the list as CSV")
    bp.set_defaults(func=run_buy)


def _family(text: str) -> str:
    from ..errors import InputError

    family = FAMILY_WORDS.get(text.strip().lower())
    if family is None:
        raise InputError(f"'{text}' is not a stash; use threads, beads or bricks.")
    return family


def _print_stash(stash) -> None:
    from ..stash.files import palette_named

    if not stash.items:
        print(f"{stash.family}s: none yet (add with: pixlcraft stash add CODE QUANTITY --palette …)")
        return
    print(f"{stash.family}s: {len(stash.items)} line{'s' if len(stash.items) != 1 else ''}")
    names: dict[str, object] = {}
    for it in stash.items:
        pal = names.setdefault(it.palette, palette_named(it.palette))
        i = pal.find(it.code)
        name = pal[i].name if i is not None else "?"
        print(f"  {it.palette:<12} {it.code:>8}  {name[:30]:<30} {it.describe()}")


def run_show(args: argparse.Namespace) -> int:
    from ..stash import FAMILIES, load_stash

    families = FAMILIES if args.family.strip().lower() == "all" else (_family(args.family),)
    for family in families:
        _print_stash(load_stash(family))
    return 0


def _change(args: argparse.Namespace, add: bool) -> int:
    from ..palette import resolve_palette
    from ..stash import load_stash, save_stash
    from ..stash.model import family_of

    palette = resolve_palette(args.palette)
    stash = load_stash(family_of(palette))
    if add:
        stash = stash.add(palette, args.code, args.quantity, args.unit, args.element)
    else:
        stash = stash.remove(palette, args.code, args.quantity, args.unit, args.element)
    path = save_stash(stash)
    entry = palette[palette.index_of(args.code)]
    left = [it.describe() for i, it in stash.items_for(palette) if palette[i].code == entry.code]
    print(f"{entry.code} {entry.name}: {', '.join(left) or 'none'} in the stash ({path})")
    return 0


def run_add(args: argparse.Namespace) -> int:
    return _change(args, True)


def run_remove(args: argparse.Namespace) -> int:
    return _change(args, False)


def run_import(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..palette import resolve_palette
    from ..stash import Stash, load_stash, read_stash_csv, save_stash
    from ..stash.lego_art import art_sets, find_set, set_stash

    if args.list_sets:
        for s in art_sets().values():
            print(f"{s.number}  {s.name:<40} {s.studs:>6,} elements in {len(s.parts)} colours")
        return 0
    if bool(args.source) == bool(args.lego_art):
        raise InputError("stash import needs a CSV file or --lego-art SET (one of them).")
    if args.lego_art:
        art = find_set(args.lego_art)
        new = set_stash(args.lego_art, args.copies)
        what = f"{args.copies} × LEGO Art {art.number} {art.name}"
    else:
        palette = resolve_palette(args.palette) if args.palette else None
        new = read_stash_csv(args.source, palette=palette or resolve_palette("dmc"))
        what = args.source
    stash = Stash(new.family) if args.replace else load_stash(new.family)
    path = save_stash(stash.merged(new))
    total = sum(it.quantity for it in new.items)
    print(f"Added {what}: {len(new.items)} line{'s' if len(new.items) != 1 else ''}, {total:,g} in all, to the "
          f"{new.family} stash ({path})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..stash import load_stash, write_stash_csv
    from .common import check_output

    check_output(args.output, (".csv",))
    stash = load_stash(_family(args.family))
    write_stash_csv(stash, args.output)
    print(f"{args.output}: {len(stash.items)} {stash.family} line{'s' if len(stash.items) != 1 else ''}")
    return 0


def run_buy(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from ..fileio import atomic_write
    from ..stash.buy import buy_csv, buy_list, buy_summary
    from ..stash.use import recorded_rule, stash_changed, stash_for
    from .common import check_output, open_pattern

    if args.csv:
        check_output(args.csv, (".csv",))
    pattern = open_pattern(args.pattern)
    stash = stash_for(pattern.palette, args.stash)
    rule = recorded_rule(pattern)
    if args.strands:
        rule = replace(rule, strands=args.strands)
    lines = buy_list(pattern, stash, rule, args.element)
    if stash_changed(pattern, stash):
        print("note: the stash has changed since this pattern was made from it.", file=sys.stderr)
    print(f"{'code':>10}  {'name':<30} {'in stash':>16} {'to buy':>12}")
    for ln in lines:
        print(f"{ln.code:>10}  {ln.name[:30]:<30} {ln.in_stash():>16} {ln.to_buy():>12}")
    print(buy_summary(lines))
    if args.csv:
        with atomic_write(args.csv, "w", newline="") as f:
            f.write(buy_csv(lines))
        print(f"{args.csv}: the list as CSV")
    return 0
