"""``pixlcraft convert``: photo → pattern with the classic converter."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..stitch_shapes import MIN_LAYER_SCALE
from .cleanup import add_cleanup_args, apply_cleanup, refuse_stray_cleanup_options
from .common import (
    ProgressBar,
    add_palette_args,
    add_stash_args,
    check_output,
    finite_float,
    load_palette,
    open_pattern,
    parse_rgb,
    print_counts,
    print_summary,
    save_pattern_file,
    stash_options,
)

ORDER = 10
PATTERN_SUFFIXES = (".pixl", ".oxs")
_PHOTO_ONLY = {"width": "--width", "height": "--height", "crop": "--crop", "max_colors": "--max-colors",
               "confetti_tolerance": "--confetti-tolerance", "owned": "--owned",
               "dither_strength": "--dither-strength", "stash": "--stash", "buy_colours": "--buy-colours",
               "buy_units": "--buy-units"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..convert import DITHER_CHOICES
    from ..detail import DETAIL_CHOICES

    p = sub.add_parser("convert", help="photo → pattern with the classic (non-AI) converter",
                       description="Convert a photo into a pattern that uses only the palette's real colours.")
    p.add_argument("input", help="photo (JPEG, PNG, TIFF, WebP, GIF, BMP …), or a pattern (.pixl, .oxs) to save "
                                 "in another format")
    p.add_argument("-o", "--output", required=True,
                   help="output file: .pixl (project), .png (one pixel per cell) or .oxs (open cross-stitch chart)")
    add_palette_args(p)
    add_stash_args(p)
    p.add_argument("--buy-colours", type=int, metavar="N",
                   help="with --stash: the stash first, and up to N colours it lacks may be bought (more of the "
                        "colours it has too) where that is clearly better; 'stash buy' lists them")
    p.add_argument("--buy-units", type=float, metavar="M",
                   help="with --stash: buy at most M skeins, bags or pieces in all")
    p.add_argument("--fewest-purchases", action="store_true",
                   help="with --stash: when the stash is too small, buy only what it lacks, where it hurts least")
    p.add_argument("--width", type=int, help="width in cells (stitches, beads, studs)")
    p.add_argument("--height", type=int, help="height in cells; with --width too, the photo's centre is cropped")
    p.add_argument("--crop", metavar="X,Y,W,H", help="use only this rectangle of the photo (pixels)")
    p.add_argument("--max-colors", type=int, metavar="K", help="colour budget: the best K colours for this photo")
    p.add_argument("--dither", choices=DITHER_CHOICES, default="none",
                   help="mix colours for smoother shading seen from a distance: floyd-steinberg (a fine scatter, "
                        "for stitching) or ordered (a regular 4x4 texture, for beads and bricks); a dithered "
                        "pattern skips the confetti clean-up (default: none)")
    p.add_argument("--detail", choices=DETAIL_CHOICES, default="auto",
                   help="auto: cells crossed by thin lines take the line's colour and flat graphics keep their "
                        "own colours; average: every cell is the average colour of its area (default: auto)")
    p.add_argument("--dither-strength", type=finite_float, metavar="S",
                   help="how much of each cell's colour error is passed on, 0-1 (default 1; lower is calmer)")
    p.add_argument("--no-cleanup", action="store_true", help="keep isolated single cells (confetti)")
    p.add_argument("--confetti-tolerance", type=finite_float, metavar="DE",
                   help="largest extra colour error (CIEDE2000) a confetti fix may cost (default 6)")
    p.add_argument("--alpha", choices=("composite", "empty"), default="composite",
                   help="transparent areas: blend over --background, or leave cells empty")
    p.add_argument("--include-transparent", action="store_true",
                   help="allow see-through colours (LEGO Trans-*, clear beads); left out by default")
    p.add_argument("--background", default="FFFFFF", metavar="RRGGBB", help="colour under transparent areas")
    for name in ("brightness", "contrast", "saturation"):
        p.add_argument(f"--{name}", type=int, default=0, metavar="-100..100",
                       help=f"{name} adjustment before matching colours (default 0: none)")
    p.add_argument("--element", choices=("plate", "round-plate", "tile", "round-tile"),
                   help="LEGO: use only the colours made as this 1×1 element (the one you will order)")
    p.add_argument("--empty-background", action="store_true",
                   help="leave the background unstitched: cells of the border's main colour that touch the border "
                        "stay empty (logos and sprites)")
    p.add_argument("--outline", metavar="auto|CODE",
                   help="cross-stitch: add a backstitch outline along the photo's strong edges and between "
                        "contrasting colours, in the thread CODE (e.g. 310) or auto: the palette's darkest")
    p.add_argument("--smooth-edges", action="store_true",
                   help="cross-stitch: split cells on diagonal colour boundaries into a three-quarter and a "
                        "quarter stitch where that matches the photo better")
    p.add_argument("--title", default="", help="pattern title (default: the photo's file name)")
    p.add_argument("--scale", type=int, default=1, metavar="N", help="PNG output: N×N pixels per cell")
    p.add_argument("--stats", action="store_true", help="print cells per colour")
    add_cleanup_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..convert import ConvertOptions, convert_photo
    from ..errors import InputError
    from ..imageio import load_photo
    from ..sizing import parse_crop, target_cells

    if args.scale < 1 or args.scale > 64:
        raise InputError(f"--scale must be between 1 and 64 (got {args.scale}).")
    check_output(args.output, (".pixl", ".png", ".oxs"))
    refuse_stray_cleanup_options(args)
    if Path(args.input).suffix.lower() in PATTERN_SUFFIXES:
        return _resave(args)
    palette = load_palette(args)
    _check_suggestions(args, palette)
    if args.element:
        from ..export.bricks import element_colours, known_colours

        if palette.material.craft != "brick":
            raise InputError(f"--element chooses LEGO parts; the palette '{palette.name}' is not a brick palette "
                             "(use --palette lego).")
        made, known = element_colours()[args.element], known_colours()
        keep = [i for i, e in enumerate(palette) if e.name not in known or e.name in made]
        if not keep:
            raise InputError(f"none of this palette's colours is made as a {args.element}.")
        palette = palette.subset(keep)
    options = ConvertOptions(
        width=args.width,
        height=args.height,
        crop=parse_crop(args.crop) if args.crop else None,
        max_colors=args.max_colors,
        dither=args.dither,
        detail=args.detail,
        dither_strength=1.0 if args.dither_strength is None else args.dither_strength,
        cleanup=not args.no_cleanup,
        alpha=args.alpha,
        background=parse_rgb(args.background),
        title=args.title,
        include_transparent=args.include_transparent,
        include_special=args.include_special or bool(args.owned),
        empty_background=args.empty_background,
        brightness=args.brightness / 100.0,
        contrast=args.contrast / 100.0,
        saturation=args.saturation / 100.0,
    )
    if args.confetti_tolerance is not None:
        options.confetti_tolerance = args.confetti_tolerance
    stash, rule = stash_options(args, palette)
    if stash is not None:
        from ..stash.use import capacity_for

        options.capacity = capacity_for(palette, stash, rule)
        options.buy = _buy_plan(args, palette, stash, rule)
    elif args.buy_colours is not None or args.buy_units is not None or args.fewest_purchases:
        raise InputError("--buy-colours, --buy-units and --fewest-purchases go with --stash.")
    photo = load_photo(args.input)
    if args.cleanup_first:
        # The pattern size comes from the photo as given: the cleaned copy's pixel size is rounded and could
        # shift the height by a cell.
        crop = options.crop
        w0, h0 = (crop.width, crop.height) if crop else (photo.width, photo.height)
        options.width, options.height = target_cells(w0, h0, args.width, args.height)
        bar = ProgressBar(unit="step")
        try:
            photo = apply_cleanup(args, photo, progress=bar)
        finally:
            bar.close()
        options.crop = None  # apply_cleanup has already cut the crop out of the photo
    bar = ProgressBar(unit="stage")
    try:
        result = convert_photo(photo, palette, options, progress=bar)
    finally:
        bar.close()
    pattern = _suggest(result.pattern, photo, args)
    if args.element:  # the LEGO part it was made for: the buy list counts only that part in the stash
        pattern.metadata.setdefault("recipe", {})["element"] = args.element
    if stash is not None:
        from ..stash.use import record_stash

        record_stash(pattern, stash, rule, args.stash)
    _save(pattern, args)
    print_summary(pattern, result.stats, args.output, result.confetti_removed)
    if "bought_cells" in result.stats:
        from ..stash.buy import buy_list, buy_summary

        print(f"  {buy_summary(buy_list(pattern, stash, rule))} (see: pixlcraft stash buy {args.output})")
    elif stash is not None:
        moved = int(result.stats.get("moved_for_stock", 0))
        print(f"  from the stash: {moved:,} cell{'s' if moved != 1 else ''} took another colour than their nearest"
              " because its stock ran out" if moved else "  from the stash: it holds enough of every colour")
        if "stash_faithful" in result.notes:
            print(f"  {result.notes['stash_faithful'][0]}")
    if not pattern.layers.is_empty:
        print(f"  added {pattern.layers.summary()}")
        if Path(args.output).suffix.lower() == ".png":
            print(f"pixlcraft: note: a .png may not show all of the {pattern.layers.summary()}; save a .pixl or "
                  ".oxs to keep them.", file=sys.stderr)
    if args.stats:
        print_counts(pattern)
    return 0


def _buy_plan(args: argparse.Namespace, palette, stash, rule):
    """The blended mode's plan from --buy-colours / --buy-units / --fewest-purchases (None: stash only)."""
    from ..purchase import DEFAULT_BUY_COST, FEWEST_COST, BuyPlan

    if args.buy_colours is None and args.buy_units is None and not args.fewest_purchases:
        return None
    unit_cells = None
    if args.buy_units is not None:
        family = stash.family
        shop = {"thread": "skein", "bead": "bag"}.get(family, "piece")
        unit_cells = tuple(rule.cells(family, shop, 1.0, palette.name) for _ in range(len(palette)))
    cost = FEWEST_COST if args.fewest_purchases else DEFAULT_BUY_COST
    return BuyPlan(args.buy_colours, args.buy_units, unit_cells, cost)


def _check_suggestions(args: argparse.Namespace, palette) -> None:
    """Refuse --outline / --smooth-edges before any work when the palette cannot take them."""
    from ..errors import InputError

    flags = [f for f, on in (("--outline", args.outline is not None), ("--smooth-edges", args.smooth_edges)) if on]
    if not flags:
        return
    if palette.material.craft != "stitch":
        raise InputError(f"{' and '.join(flags)} {'add' if len(flags) > 1 else 'adds'} cross-stitch work "
                         f"(backstitches, part stitches); the palette '{palette.name}' is "
                         f"{palette.material.description.lower()}. Use a thread palette such as --palette dmc.")
    if args.outline is not None and args.outline.strip().lower() != "auto":
        palette.index_of(args.outline)  # an unknown code: a clear error naming close ones, before converting


def _suggest(pattern, photo, args: argparse.Namespace):
    """The automatic suggestions, run after the conversion as a front end would offer them (outline first:
    it reads the cells' colours, which smoothing turns into part stitches)."""
    if args.outline is not None:
        from ..outline import outline_pattern

        pattern = outline_pattern(pattern, photo, args.outline)
    if args.smooth_edges:
        from ..smooth_edges import smooth_edges

        pattern = smooth_edges(pattern, photo)
    return pattern


def _save(pattern, args: argparse.Namespace) -> None:
    save_pattern_file(pattern, args.output, args.scale)


def _resave(args: argparse.Namespace) -> int:
    """A pattern in, the same pattern out in another format: nothing is re-quantised."""
    from ..errors import InputError

    given = [flag for name, flag in _PHOTO_ONLY.items() if getattr(args, name, None) is not None]
    given += ["--dither"] if args.dither != "none" else []
    given += ["--detail"] if args.detail != "auto" else []
    given += ["--no-cleanup"] if args.no_cleanup else []
    given += ["--empty-background"] if args.empty_background else []
    given += [f"--{n}" for n in ("brightness", "contrast", "saturation") if getattr(args, n)]
    given += ["--cleanup-first"] if args.cleanup_first else []
    given += ["--outline"] if args.outline is not None else []
    given += ["--smooth-edges"] if args.smooth_edges else []
    if given:
        verb = "applies" if len(given) == 1 else "apply"
        raise InputError(f"{', '.join(given)} only {verb} to photos; '{args.input}' is already a pattern.")
    from ..formats.oxs import import_summary

    pattern = open_pattern(args.input)
    if args.title:
        pattern.metadata["title"] = args.title
    _save(pattern, args)
    print(f"{args.output}: {pattern.width}×{pattern.height} cells, {len(pattern.used_indices())} "
          f"{pattern.palette.brand} colours")
    print(f"  {import_summary(pattern)}")
    if Path(args.output).suffix.lower() == ".png" and not pattern.layers.is_empty and args.scale < MIN_LAYER_SCALE:
        print(f"pixlcraft: note: a .png at one pixel a cell shows the full stitches only; the "
              f"{pattern.layers.summary()} are not in {args.output} (use --scale {MIN_LAYER_SCALE} or more to see "
              "them, or save a .pixl or .oxs to keep them).", file=sys.stderr)
    if args.stats:
        print_counts(pattern)
    return 0
