"""``pixlcraft cleanup``: photo → cleaner photo, and the ``--cleanup-first`` option other commands share.

Every method's options become flags here from their declarations in :mod:`pixlcraft.cleanup`, so a new method
(or a new option) needs no CLI code. Values arrive as text and are converted and range-checked by the method's
own :class:`~pixlcraft.cleanup.Option`, so a bad value reads the same whether it came from the CLI or the GUI.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..errors import InputError
from .common import ProgressBar, check_output

ORDER = 5  # before convert: it is the first step of the pipeline

OUTPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff")


def _declared_flags() -> dict[str, tuple[Any, list[str]]]:
    """Every option flag of every method: flag → (the first declaration, the methods that use it)."""
    from ..cleanup import COMMON_OPTIONS, methods

    flags: dict[str, tuple[Any, list[str]]] = {o.cli_flag: (o, []) for o in COMMON_OPTIONS}
    for name, method in methods().items():
        for opt in method.options:
            flags.setdefault(opt.cli_flag, (opt, []))[1].append(name)
    return flags


def _dest(option_name: str) -> str:
    return f"cleanup_opt_{option_name}"


def _add_option_flags(group, prefix: str, skip: tuple[str, ...] = ()) -> None:
    for flag, (opt, users) in _declared_flags().items():
        if opt.name in skip:
            continue
        name = "--" + prefix + flag[2:]
        where = f" [{', '.join(users)}]" if users else ""
        choices = f" ({', '.join(map(str, opt.choices))})" if opt.choices else ""
        if opt.type is bool:
            group.add_argument(name, dest=_dest(opt.name), action=argparse.BooleanOptionalAction, default=None,
                               help=opt.help + where)
        else:
            group.add_argument(name, dest=_dest(opt.name), default=None, metavar=opt.metavar or opt.name.upper(),
                               help=opt.help + choices + where)


def _given_options(args: argparse.Namespace, method, prefix: str) -> dict[str, Any]:
    """The options typed for ``method``; a flag that belongs only to other methods is refused, not ignored."""
    own = {o.name for o in method.all_options()}
    given: dict[str, Any] = {}
    for flag, (opt, users) in _declared_flags().items():
        value = getattr(args, _dest(opt.name), None)
        if value is None:
            continue
        if opt.name not in own:
            raise InputError(f"--{prefix}{flag[2:]} is an option of the {' and '.join(users)} clean-up, "
                             f"not of {method.name}.")
        given[opt.name] = value
    return given


def _method_help() -> str:
    from ..cleanup import methods

    return ", ".join(methods()) or "none installed"


# ----------------------------------------------------------------------------------------- the command


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "cleanup",
        help="photo → cleaner photo (noise, blur, JPEG blocks) to make patterns from",
        description="Clean a photo before pattern making. The default, Real-ESRGAN, comes with PixlCraft and "
        "works offline on the CPU; 'classic' needs no model at all. Without --scale or --long-side the result's "
        "long side is 512 pixels (enough for a 256-cell pattern), enlarging a small photo at most 4×.",
    )
    p.add_argument("input", nargs="?", help="photo (JPEG, PNG, TIFF, WebP, GIF, BMP …)")
    p.add_argument("-o", "--output", help=f"output image ({', '.join(OUTPUT_SUFFIXES)})")
    p.add_argument("--method", "-m", metavar="NAME",
                   help=f"clean-up method: {_method_help()}, or auto (default: the first available)")
    p.add_argument("--list", action="store_true", help="list the methods and whether they can run here")
    _add_option_flags(p.add_argument_group("method options (the methods each applies to in brackets)"), "")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cleanup import cleanup, describe_methods, get_method
    from ..imageio import load_photo

    if args.list:
        for name, description, reason in describe_methods():
            print(f"{name:<10} {description}")
            print(f"{'':<10} {'ready' if not reason else 'unavailable: ' + reason}")
        return 0
    if not args.input or not args.output:
        raise InputError("give a photo and an output file: pixlcraft cleanup PHOTO -o CLEAN.png")
    check_output(args.output, OUTPUT_SUFFIXES)
    method = get_method(_automatic() if args.method in (None, "auto") else args.method)
    options = _given_options(args, method, "")
    method.resolve_options(options)  # a typo fails now, not after loading the photo
    photo = load_photo(args.input)
    if photo.alpha is not None and args.output.lower().endswith((".jpg", ".jpeg")):
        raise InputError(f"{args.input} has transparent areas and JPEG cannot keep them; save as .png instead.")
    bar = ProgressBar(unit="step")
    start = time.perf_counter()
    try:
        result = cleanup(photo, method, options, progress=bar)
    finally:
        bar.close()
    save_photo(result, args.output)
    print(f"{args.output}: {result.width}×{result.height} pixels from {photo.width}×{photo.height}, "
          f"{method.name} clean-up in {time.perf_counter() - start:.1f} s")
    return 0


def _automatic() -> str:
    """The automatic method; when it is not the preferred one, one line on stderr says which and why."""
    import sys

    from ..cleanup import automatic_choice

    name, note = automatic_choice()
    if note:
        print(f"pixlcraft: note: {note}", file=sys.stderr)
    return name


def save_photo(photo, path: str) -> None:
    """Write ``photo`` as 8-bit RGB(A) in the format its suffix names, atomically."""
    import io

    import numpy as np
    from PIL import Image

    from ..fileio import atomic_write

    rgb = np.clip(photo.srgb * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if photo.alpha is not None:
        alpha = np.clip(photo.alpha * 255.0 + 0.5, 0, 255).astype(np.uint8)
        image = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    else:
        image = Image.fromarray(rgb, "RGB")
    suffix = path.lower().rsplit(".", 1)[-1]
    fmt = {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF", "tiff": "TIFF", "webp": "WEBP"}.get(suffix, "PNG")
    extra = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    buffer = io.BytesIO()
    image.save(buffer, fmt, **extra)
    with atomic_write(path, "wb") as f:
        f.write(buffer.getvalue())


# ----------------------------------------------------------------------------------------- for other commands


def add_cleanup_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--cleanup-first METHOD`` and the methods' options as ``--cleanup-<flag>`` to ``parser``.

    The prefix keeps them apart from the command's own flags (``generate`` has its own ``--steps``, ``--seed``
    and ``--device``; ``convert`` its own ``--scale``). The result size follows from the pattern's size, so
    ``--scale`` is not offered; ``--cleanup-long-side`` overrides it.
    """
    group = parser.add_argument_group("clean up the photo first (see 'pixlcraft cleanup --help')")
    group.add_argument("--cleanup-first", metavar="METHOD", default=None,
                       help=f"clean the photo before making the pattern: {_method_help()}, or auto (the first "
                            "available: Real-ESRGAN, else classic)")
    _add_option_flags(group, "cleanup-", skip=("scale",))


def refuse_stray_cleanup_options(args: argparse.Namespace) -> None:
    """A ``--cleanup-…`` option without ``--cleanup-first`` would be quietly ignored: refuse it instead."""
    if getattr(args, "cleanup_first", None):
        return
    for flag, (opt, _) in _declared_flags().items():
        if getattr(args, _dest(opt.name), None) is not None:
            raise InputError(f"--cleanup-{flag[2:]} sets up the photo clean-up, which runs only with "
                             "--cleanup-first METHOD (or auto).")


def apply_cleanup(
    args: argparse.Namespace,
    photo,
    progress=None,
    cancel=None,
    target_long_side: int | None = None,
):
    """``photo`` cleaned as ``--cleanup-first`` asks, or unchanged when it was not given.

    The size: ``--cleanup-long-side`` if given, else ``target_long_side`` if the caller passes one (``generate``:
    its model canvas), else :data:`pixlcraft.cleanup.PIXELS_PER_CELL` pixels per pattern cell from
    ``args.width``/``args.height`` (the convert default of 80 cells on the long side when neither is given),
    never enlarging more than the method would on its own (4× for Real-ESRGAN, not at all for classic).

    When ``args.crop`` is set the photo is cropped *before* cleaning (less work, and the size is computed for
    the crop); the returned photo is that crop, so **the caller must not crop it again** (pass ``crop=None``).
    """
    from ..cleanup import cleanup, get_method, long_side_for_pattern
    from ..imageio import Photo
    from ..sizing import parse_crop, target_cells

    choice = getattr(args, "cleanup_first", None)
    if not choice:
        return photo
    method = get_method(_automatic() if choice == "auto" else choice)
    options = _given_options(args, method, "cleanup-")
    crop_text = getattr(args, "crop", None)
    if crop_text:
        crop = parse_crop(crop_text)
        crop.check_inside(photo.width, photo.height)
        alpha = None if photo.alpha is None else photo.alpha[crop.top:crop.bottom, crop.left:crop.right]
        photo = Photo(photo.srgb[crop.top:crop.bottom, crop.left:crop.right], alpha, photo.path)
    if "target_long_side" not in options:
        if target_long_side is None:
            cells = target_cells(photo.width, photo.height, getattr(args, "width", None),
                                 getattr(args, "height", None))
            target_long_side = long_side_for_pattern(photo, cells, method)
        options["target_long_side"] = max(8, int(target_long_side))
    return cleanup(photo, method, options, progress=progress, cancel=cancel)
