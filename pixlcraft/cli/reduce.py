"""``pixlcraft reduce``: fewer colours in a finished pattern (merge down to K, or fold rare colours)."""

from __future__ import annotations

import argparse

from .common import check_output, open_pattern, print_counts, save_pattern_file

ORDER = 25  # after convert


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "reduce",
        help="merge a pattern's colours: down to K, or fold rarely used ones into their neighbours",
        description="Fewer colours to buy for a finished pattern (.pixl or .oxs), edits kept: --max-colors K "
        "keeps the K colours that add the least CIEDE2000 colour error and merges the rest into them; "
        "--merge-rare N folds every colour used by fewer than N cells into its nearest common colour.",
    )
    p.add_argument("input", help="pattern file (.pixl, .oxs)")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--max-colors", type=int, metavar="K", help="merge down to K colours")
    how.add_argument("--merge-rare", type=int, metavar="N", help="fold colours used by fewer than N cells")
    p.add_argument("-o", "--output", required=True, help="the result (.pixl, .png, .oxs)")
    p.add_argument("--scale", type=int, default=1, help="pixels per cell for a .png (default 1)")
    p.add_argument("--stats", action="store_true", help="list the colours and cell counts of the result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..edit import UndoStack
    from ..reduce import MergeRareColors, ReduceColors

    check_output(args.output, (".pixl", ".png", ".oxs"))
    pattern = open_pattern(args.input)
    before = len(pattern.used_indices())
    command = ReduceColors(args.max_colors) if args.max_colors is not None else MergeRareColors(args.merge_rare)
    UndoStack(pattern).push(command)
    save_pattern_file(pattern, args.output, args.scale)
    after = len(pattern.used_indices())
    if command.plan is not None and command.plan.merged:
        print(f"{args.output}: {before} → {after} colours; {command.label[0].lower()}{command.label[1:]}")
    else:
        print(f"{args.output}: {after} colours; nothing to merge")
    if args.stats:
        print_counts(pattern)
    return 0
