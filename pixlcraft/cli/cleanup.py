"""``pixlcraft cleanup``: photo → cleaner photo, and the ``--cleanup-first`` option other commands share.

Every method's options become flags here from their declarations in :mod:`pixlcraft.cleanup`, so a new method
(or a new option) needs no CLI code. Values arrive as text and are converted and range-checked by the method's
own :class:`~pixlcraft.cleanup.Option`, so a bad value reads the same whether it came from the CLI or the GUI.

Methods may offer three optional hooks, used here when present (PASD has them):

* ``readiness(options)`` → an object with ``lines()``: ``--list`` prints those instead of "ready";
* ``estimate(width, height, options)`` → seconds: a run estimated over :data:`CONFIRM_ABOVE_SECONDS` is only
  started after a yes (a y/N question on a terminal, ``--yes`` otherwise);
* ``result_metadata()`` → ``{key: text}`` about the last run (PASD: the prompt it used), printed after the run
  and written into a PNG output's text chunks.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..errors import InputError
from .common import ProgressBar, check_output

ORDER = 5  # before convert: it is the first step of the pipeline
CONFIRM_ABOVE_SECONDS = 600.0
"""Ask before starting a clean-up estimated to take longer than this (10 minutes)."""

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
    p.add_argument("--list", action="store_true",
                   help="list the methods, whether they can run here, what is missing and how long PASD takes")
    p.add_argument("--yes", "-y", action="store_true",
                   help="start even when the clean-up is estimated to take over 10 minutes (PASD without a GPU) "
                        "without asking")
    _add_option_flags(p.add_argument_group("method options (the methods each applies to in brackets)"), "")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..cleanup import cleanup, describe_methods, get_method
    from ..imageio import load_photo

    if args.list:
        for name, description, reason in describe_methods():
            print(f"{name:<10} {description}")
            lines = ["unavailable: " + reason] if reason else _readiness_lines(get_method(name), args)
            for line in lines:
                print(f"{'':<10} {line}")
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
    confirm_long_run(method, photo, options, args.yes)
    bar = ProgressBar(unit="step")
    start = time.perf_counter()
    try:
        result = cleanup(photo, method, options, progress=bar)
    finally:
        bar.close()
    meta = _result_metadata(method)
    save_photo(result, args.output, text=meta)
    print(f"{args.output}: {result.width}×{result.height} pixels from {photo.width}×{photo.height}, "
          f"{method.name} clean-up in {time.perf_counter() - start:.1f} s")
    _print_run_notes(method, meta)
    return 0


def _readiness_lines(method, args: argparse.Namespace) -> list[str]:
    """The method's own account of what it lacks here (and how long it takes) with the options given for it
    (``--list --pasd-variant light``), or just "ready"."""
    readiness = getattr(method, "readiness", None)
    if readiness is None:
        return ["ready"]
    own = {o.name for o in method.all_options()}
    given = {opt.name: getattr(args, _dest(opt.name)) for opt, _ in _declared_flags().values()
             if opt.name in own and getattr(args, _dest(opt.name), None) is not None}
    try:
        return list(readiness(given).lines()) or ["ready"]
    except Exception:  # noqa: BLE001 - a listing must not fail on one method's report
        return ["ready"]


def _result_metadata(method) -> dict[str, str]:
    hook = getattr(method, "result_metadata", None)
    return dict(hook()) if hook is not None else {}


def _print_run_notes(method, meta: dict[str, str], to_stderr: bool = False) -> None:
    """What the method was told and anything it skipped: PASD's prompt and where it came from (on stdout, or on
    stderr as a note when the clean-up is a step of another command)."""
    import sys

    run = getattr(method, "last_run", None)
    for note in getattr(run, "notes", None) or []:
        print(f"pixlcraft: note: {note}", file=sys.stderr)
    prompt = meta.get("pasd:prompt")
    if prompt is not None:
        source = {"caption": "automatic caption", "user": "--pasd-prompt", "none": "no description"}.get(
            meta.get("pasd:prompt-source", ""), "")
        line = (f"PASD prompt ({source}): {prompt}; start noise level {meta.get('pasd:noise-level')} "
                f"({meta.get('pasd:start')})")
        print(f"pixlcraft: note: {line}" if to_stderr else line, file=sys.stderr if to_stderr else sys.stdout)


def confirm_long_run(method, photo, options: dict[str, Any], yes: bool, prefix: str = "") -> None:
    """Ask before a clean-up estimated to take longer than :data:`CONFIRM_ABOVE_SECONDS`.

    On a terminal: a y/N question (no → :class:`~pixlcraft.errors.Cancelled`, nothing started). Elsewhere
    (scripts, pipes) without ``--yes`` (``--cleanup-yes`` with ``prefix`` "cleanup-"): an :class:`InputError`
    saying how long it would take and how to make it shorter. Methods without an ``estimate`` hook are never
    asked about. First, a method with a ``pending_downloads`` hook refuses at once when a model is missing and
    cannot be downloaded (no question about time for a run that cannot start), and the question mentions what
    it would download.
    """
    import sys

    from ..errors import Cancelled

    estimate = getattr(method, "estimate", None)
    if estimate is None or yes:
        return
    check = getattr(method, "pending_downloads", None)
    pending = check(options) if check is not None else []
    seconds = estimate(photo.width, photo.height, options)
    if seconds <= CONFIRM_ABOVE_SECONDS:
        return
    try:
        from ..cleanup.pasd.estimate import describe_seconds
    except ImportError:  # pragma: no cover - another method with an estimate, PASD not installed
        def describe_seconds(value: float) -> str:
            return f"about {max(1, round(value / 60))} min"

    resolved = method.resolve_options(options)
    device_for = getattr(method, "device_for", None)
    where = device_for(resolved) if device_for is not None else ""
    device = {"": "", "cpu": " on the CPU"}.get(where, f" on {where}")
    what = f"the {method.name} clean-up of this photo would take {describe_seconds(seconds)}{device} (an estimate)"
    if pending:
        total = sum(mb for _, mb, _ in pending) / 1000
        what += f", after downloading about {total:.1f} GB ({', '.join(name for name, _, _ in pending)})"
    flag = f"--{prefix}"
    tips = [f"a smaller {flag}long-side"]
    if where == "cpu":
        tips.insert(0, "a GPU")
    if "steps" in resolved:
        tips.append(f"fewer {flag}steps")
    if resolved.get("pasd_variant") == "full":
        tips.append(f"{flag}pasd-variant light")
    shorter = (", ".join(tips[:-1]) + " or " + tips[-1] if len(tips) > 1 else tips[0]) + " would make it shorter"
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        print(f"pixlcraft: {what}; {shorter}.", file=sys.stderr)
        try:
            answer = input("Start it? [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() in ("y", "yes"):
            return
        raise Cancelled("Not started.")
    raise InputError(f"{what}. Start it anyway with {flag}yes, or: {shorter}.")


def _automatic() -> str:
    """The automatic method; when it is not the preferred one, one line on stderr says which and why."""
    import sys

    from ..cleanup import automatic_choice

    name, note = automatic_choice()
    if note:
        print(f"pixlcraft: note: {note}", file=sys.stderr)
    return name


def save_photo(photo, path: str, text: dict[str, str] | None = None) -> None:
    """Write ``photo`` as 8-bit RGB(A) in the format its suffix names, atomically.

    ``text`` goes into a PNG's text chunks (tEXt, or iTXt for text beyond Latin-1); other formats ignore it.
    """
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
    extra: dict[str, Any] = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "PNG" and text:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for key, value in text.items():
            info.add_text(key, value)
        extra["pnginfo"] = info
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
    group.add_argument("--cleanup-yes", action="store_true",
                       help="start the clean-up even when it is estimated to take over 10 minutes, without asking")
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
    crop_text = getattr(args, "crop", None)
    if crop_text:
        crop = parse_crop(crop_text)
        crop.check_inside(photo.width, photo.height)
        alpha = None if photo.alpha is None else photo.alpha[crop.top:crop.bottom, crop.left:crop.right]
        photo = Photo(photo.srgb[crop.top:crop.bottom, crop.left:crop.right], alpha, photo.path)
    planned: dict[str, Any] = {}
    if choice == "auto":  # what the benchmark shows helps for this photo and pattern size, or nothing
        from ..cleanup import auto_plan

        cells = target_cells(photo.width, photo.height, getattr(args, "width", None), getattr(args, "height", None))
        plan = auto_plan(photo.width, photo.height, cells)
        print(f"pixlcraft: note: --cleanup-first auto: {plan.reason}.", file=sys.stderr)
        if plan.method is None:
            return photo  # (the crop, when there is one: the caller does not crop again)
        choice, planned = plan.method, dict(plan.options)
    method = get_method(choice)
    options = {**planned, **_given_options(args, method, "cleanup-")}
    if "target_long_side" not in options:
        if target_long_side is None:
            cells = target_cells(photo.width, photo.height, getattr(args, "width", None),
                                 getattr(args, "height", None))
            target_long_side = long_side_for_pattern(photo, cells, method)
        options["target_long_side"] = max(8, int(target_long_side))
    confirm_long_run(method, photo, options, bool(getattr(args, "cleanup_yes", False)), "cleanup-")
    result = cleanup(photo, method, options, progress=progress, cancel=cancel)
    _print_run_notes(method, _result_metadata(method), to_stderr=True)
    return result
