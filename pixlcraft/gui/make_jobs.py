"""The window's pattern-making jobs: glue between the panel's :class:`MakeRequest` and the core.

They run on the worker thread (through :mod:`pixlcraft.gui.bridge`) and touch no widget, so they hold no Qt:
they load the photo (decoded once, at the size the pattern needs) and the palette, clean the photo when asked
(keeping the original, with the cleaned copy cached), and call the core (``convert_photo`` or SD-πXL's
``generate``). The AI pipeline, and with it torch, is imported only inside :func:`make_ai` and
:func:`probe_ai`, so the window opens without them.

"Only what I have" (``MakeRequest.use_stash``) hands the classic converter the user's stash as capacities and
records it in the pattern; when the stash cannot make the pattern the job fails with :class:`NothingInStash`
or :class:`StashTooSmall`, which carry what the window needs to offer a way out (the largest size that fits).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..capacity import StockTooSmall, largest_fitting_size
from ..errors import InputError
from ..imageio import Photo, enough_pixels, load_photo
from ..jobs import CancelToken, ProgressCallback
from ..material import aida
from ..palette import Palette, builtin_catalog, read_owned_codes, resolve_palette, user_palettes
from ..pattern import Pattern
from ..purchase import BuyPlan
from ..sizing import Crop, target_cells

if TYPE_CHECKING:
    from ..stash import Stash, UnitRule

DEFAULT_WIDTH = 80
DEFAULT_BUDGET = 24
MIN_WIDTH = 4
"""The narrowest pattern the panel's width box offers."""

# A rough speed per optimisation step of the fast recipe on each kind of device, for the time estimate
# shown before an AI run (the run itself reports the real time left).
_SECONDS_PER_STEP = {"cuda": 0.25, "mps": 1.5, "cpu": 20.0}
_AI_STEPS = 2000


@dataclass
class MakeRequest:
    """Everything the panel asks for; the job functions turn it into core calls."""

    method: str = "classic"  # "classic" or "ai"
    photo_path: str = ""
    prompt: str = ""
    palette: str = "dmc"  # a built-in name or a palette file
    owned: str = ""  # codes or a file of codes; "" = every colour of the palette
    use_stash: bool = False  # "Only what I have": the user's stash decides the colours and how much of each
    buy_missing: bool = False  # with use_stash: buy what the stash lacks, and colours it has only where they fit
    fabric_count: float | None = None  # cross-stitch only; None keeps the palette's material
    width: int | None = DEFAULT_WIDTH
    height: int | None = None
    max_colors: int | None = DEFAULT_BUDGET
    dither: bool = False
    detail: bool = True  # thin lines and flat graphics kept (ConvertOptions.detail "auto"), else plain averages
    cleanup: bool = True
    photo_cleanup: str | None = None
    """The clean-up before the pattern is made: a key of :data:`CLEANUP_CHOICES` ("auto", "esrgan", "esrgan-fast",
    "classic", "pasd-faithful", "pasd-redrawn") or any clean-up method's name (with its defaults); None = use the
    photo as it is. "auto" is what the clean-up benchmark shows helps for this photo and pattern size."""
    photo_cleanup_options: dict[str, Any] = dataclasses.field(default_factory=dict)
    """More options for the chosen clean-up method (e.g. ``pasd_prompt``), over the choice's own."""
    alpha_empty: bool = False  # see-through parts of the photo get no cell (else blended over white)
    empty_background: bool = False  # the background (border colour touching the border) stays unstitched
    include_special: bool = False  # clear, glow, pearl, metallic… and region-only colours too
    crop: tuple[float, float, float, float] | None = None  # the part of the photo to use, as fractions
    brightness: float = 0.0  # photo adjustments in [-1, 1] (0 = none)
    contrast: float = 0.0
    saturation: float = 0.0
    device: str = "auto"
    low_memory: bool = False
    compile: bool = False  # torch.compile the models (CUDA only; the setting "compile_models")
    steps: int | None = None
    seed: int = 0
    ai_extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    """More :class:`~pixlcraft.sdpixl.pipeline.GenerateRequest` fields for the AI method (model folders, canvas
    size…), for power users and tests; empty uses the model store's defaults."""


@dataclass(frozen=True)
class Brand:
    """One entry of the brand list: a built-in palette (``craft`` known) or a palette file of the user's."""

    key: str
    label: str
    craft: str  # "stitch", "bead", "brick", or "any" for a user's palette file
    pitch_mm: float = 0.0


def read_brands(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> list[Brand]:
    """Every built-in palette with its craft, and the user's palette files (the built-ins come from a table, not
    from their CSVs, so this is cheap; user palettes need a directory listing)."""
    brands = []
    for name, brand, m in builtin_catalog():
        label = f"{brand} ({m.pitch_mm:g} mm)" if m.craft == "bead" else brand
        brands.append(Brand(name, label, m.craft, m.pitch_mm))
    brands += [Brand(str(path), f"{path.stem} (my palette)", "any") for path in user_palettes()]
    return brands


@dataclass
class MadePattern:
    """What a make job hands back to the window."""

    pattern: Pattern
    photo: Photo | None
    cell_lab: np.ndarray | None = None
    stats: dict[str, float] = dataclasses.field(default_factory=dict)
    confetti_removed: int = 0
    cleanup_notes: list[str] = dataclasses.field(default_factory=list)
    """What the photo clean-up did, in words: what "Automatic" chose and why, the prompt PASD used."""
    stash_note: str = ""
    """With "Only what I have", when colours had to stand in for each other: up to which size they need not."""


def request_palette(request: MakeRequest) -> Palette:
    """The palette a request names, cut to the colours owned, on the chosen fabric."""
    palette = resolve_palette(request.palette)
    if request.owned.strip():
        palette = palette.restrict(read_owned_codes(request.owned.strip()))
    if request.fabric_count and palette.material.craft == "stitch":
        palette = dataclasses.replace(palette, material=aida(request.fabric_count))
    return palette


def dither_for(palette) -> str:
    """The dithering the Dither box means for this craft: fine error diffusion for stitching, the regular
    ordered texture for beads and bricks, where a repeating pattern reads better than noise."""
    return "ordered" if palette.material.craft in ("bead", "brick") else "floyd-steinberg"


def make_classic(request: MakeRequest, photo: Photo | None = None, *, progress: ProgressCallback | None = None,
                 cancel: CancelToken | None = None) -> MadePattern:
    """Load the photo (unless given) and convert it with the classic converter. Runs on a worker thread."""
    from ..convert import ConvertOptions, convert_photo

    if photo is None and not request.photo_path:
        raise InputError("the Classic method needs a photo. Open a photo, or choose AI to start from a prompt.")
    need = _cells_needed(request)
    if photo is None or (request.photo_path and not enough_pixels(photo, need)):
        # decoded once, at the size this pattern needs (a phone JPEG: a quarter of its pixels or fewer)
        photo = load_photo(request.photo_path, need)
    if cancel is not None:
        cancel.check()
    palette = request_palette(request)
    try:
        stock = stash_use(palette) if request.use_stash else None  # before any slow work: an empty stash says so
    except NothingInStash as exc:
        exc.photo_path, exc.photo = request.photo_path, photo
        raise
    width, height = request.width, request.height
    original = photo
    notes: list[str] = []
    if request.photo_cleanup:
        # size from the photo as opened: the cleaned copy's rounded pixel size could shift the height by a cell
        width, height = target_cells(photo.width, photo.height, width, height)
        photo = cached_clean(request.photo_path, photo, request.photo_cleanup, (width, height), progress, cancel,
                             options=request_cleanup_options(request), notes=notes)
    crop = crop_from_fraction(request.crop, photo) if request.crop is not None else None
    if crop is not None:
        height = None  # the part chosen decides the shape
    options = ConvertOptions(
        width=width,
        height=height,
        crop=crop,
        max_colors=request.max_colors,
        dither=dither_for(palette) if request.dither else "none",
        detail="auto" if request.detail else "average",
        cleanup=request.cleanup,
        title=Path(request.photo_path).stem if request.photo_path else "",
        alpha="empty" if request.alpha_empty else "composite",
        empty_background=request.empty_background,
        brightness=request.brightness,
        contrast=request.contrast,
        saturation=request.saturation,
        include_special=request.include_special or bool(request.owned.strip()),  # owned colours: all of them
        capacity=stock.capacity if stock is not None else None,
        buy=BuyPlan() if stock is not None and request.buy_missing else None,
    )
    try:
        result = convert_photo(photo, palette, options, progress=progress, cancel=cancel)
    except StockTooSmall as exc:
        if stock is None:
            raise
        error = too_small(exc, request, original, palette)
        error.photo_path, error.photo = request.photo_path, original
        raise error from None
    if stock is not None:
        from ..stash.use import record_stash

        record_stash(result.pattern, stock.stash, stock.rule)
    return MadePattern(result.pattern, original, result.cell_lab, result.stats, result.confetti_removed, notes,
                       result.notes.get("stash_faithful", ("", ""))[1])


def _cells_needed(request: MakeRequest) -> tuple[int | None, int | None]:
    """The cells the photo must have pixels for: the photo's whole width needs this many cells' worth of pixels
    when only a part of it is used."""
    if request.crop is not None and request.width:
        return (math.ceil(int(request.width) / max(request.crop[2] - request.crop[0], 1e-3)), None)
    return (request.width, request.height)


# ------------------------------------------------------------------------------------------------ the stash

STASH_WORDS = {"thread": "threads", "bead": "beads", "brick": "bricks"}
_CELLS = {"stitch": "stitches", "bead": "beads", "brick": "studs"}


@dataclass(frozen=True)
class StashUse:
    """What "Only what I have" hands the converter: the user's stash, the rule that turns its skeins or bags
    into cells for this palette, and the cells of each palette colour it covers."""

    stash: Stash
    rule: UnitRule
    capacity: tuple[float, ...]


class NothingInStash(InputError):
    """"Only what I have" is ticked, but the stash holds none of the palette's colours (or is empty)."""

    def __init__(self, family: str, brand: str, held: list[str]) -> None:
        self.family, self.brand, self.held = family, brand, held
        self.photo_path, self.photo = "", None  # the photo it was for (the window shows it all the same)
        things = STASH_WORDS[family]
        if not held:
            text = (f"your {family} stash is empty, so “Only what I have” has nothing to make the pattern from. Add "
                    f"the {things} you own in Edit ▸ My Stash…, or untick “Only what I have”.")
        else:
            text = (f"your {family} stash has none of the {brand} colours (it holds {', '.join(held)}). Add the "
                    f"{brand} colours you own in Edit ▸ My Stash…, choose the brand your stash holds, or untick "
                    "“Only what I have”.")
        super().__init__(text, gui=text, action="edit.stash")


class StashTooSmall(StockTooSmall):
    """The stash holds fewer cells in all than the pattern has; ``fits`` is the largest size of the same shape
    the panel can ask for that it fills (None if none), ``fixed_height`` whether the panel gave a height."""

    def __init__(self, have: int, need: int, size: tuple[int, int], fits: tuple[int, int] | None,
                 fixed_height: bool, cells: str = "cells", faithful: str = "") -> None:
        self.size, self.fits, self.fixed_height = size, fits, fixed_height
        self.photo_path, self.photo = "", None
        fit = (f"The largest pattern of this shape it can fill is {fits[0]} × {fits[1]}" if fits else
               "It cannot fill a pattern of any size")
        if fits and faithful:
            fit += f", though there threads stand in for each other ({faithful})"
        text = (f"your stash has enough for {have:,} {cells}, but this {size[0]} × {size[1]} pattern needs "
                f"{need:,}. {fit}; or untick “Only what I have” to make this size and see what to buy.")
        super().__init__(have, need, text)
        self.gui = text


def stash_use(palette: Palette) -> StashUse:
    """The user's stash of the palette's family as the converter's capacities; :class:`NothingInStash` when
    none of it is in this palette's colours (a clear message before any slow work, not a failed conversion)."""
    from ..palette import load_builtin
    from ..stash.use import capacity_for, rule_for, stash_for

    rule = rule_for(palette)
    stash = stash_for(palette)
    capacity = capacity_for(palette, stash, rule)
    if not any(c > 0 for c in capacity):
        held = []
        for name in dict.fromkeys(it.palette for it in stash.items):
            try:
                held.append(load_builtin(name).brand)
            except InputError:
                held.append(name)
        raise NothingInStash(stash.family, palette.brand, held)
    return StashUse(stash, rule, capacity)


def too_small(exc: StockTooSmall, request: MakeRequest, photo: Photo, palette: Palette) -> StashTooSmall:
    """The converter's "not enough stock" with the size the panel can switch to: the same shape, checked
    with the panel's own rounding (with the height left on auto, a width whose height rounds up could still be
    one row too many)."""
    if request.crop is not None:
        crop = crop_from_fraction(request.crop, photo)
        src_w, src_h, height = crop.width, crop.height, None  # the part chosen decides the shape
    else:
        src_w, src_h, height = photo.width, photo.height, request.height
    size = tuple(target_cells(src_w, src_h, request.width, height))
    w, h = largest_fitting_size(size[0], size[1], exc.have)
    fits: tuple[int, int] | None = None
    if height is not None:
        fits = (w, h) if w >= MIN_WIDTH else None
    else:
        while w >= MIN_WIDTH:
            fw, fh = target_cells(src_w, src_h, w, None)
            if fw * fh <= exc.have:
                fits = (fw, fh)
                break
            w -= 1
    cells = _CELLS.get(palette.material.craft, "cells")
    return StashTooSmall(exc.have, exc.need, (int(size[0]), int(size[1])), fits, height is not None, cells,
                         getattr(exc, "faithful", ""))


def crop_from_fraction(fraction: tuple[float, float, float, float], photo: Photo) -> Crop:
    """The crop in this photo's pixels (fractions keep a crop right whatever size the photo is decoded at)."""
    l, t, r, b = (min(max(float(v), 0.0), 1.0) for v in fraction)
    w, h = photo.width, photo.height
    left, top = int(round(l * w)), int(round(t * h))
    return Crop(left, top, max(left + 1, int(round(r * w))), max(top + 1, int(round(b * h))))


#: The panel's clean-up choices: key → (method name, or "auto" for what the benchmark shows helps; its options).
CLEANUP_CHOICES: dict[str, tuple[str, dict[str, Any]]] = {
    "auto": ("auto", {}),
    "esrgan": ("esrgan", {"model": "x4plus"}),
    "esrgan-fast": ("esrgan", {"model": "fast"}),
    "classic": ("classic", {}),
    "pasd-faithful": ("pasd", {"pasd_start": "faithful"}),
    "pasd-redrawn": ("pasd", {"pasd_start": "redrawn"}),
}
_TORCH_DEVICES = ("auto", "cpu", "cuda", "mps")


def cleanup_choice(key: str, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """(method name or "auto", options) for a clean-up choice: a key of :data:`CLEANUP_CHOICES`, or a method's
    own name with its defaults; ``options`` (when given) go over the choice's."""
    method, own = CLEANUP_CHOICES.get(key, (key, {}))
    return method, {**own, **(options or {})}


def request_cleanup_options(request: MakeRequest) -> dict[str, Any]:
    """The options of the request's clean-up: its choice's, the request's own, and for PASD (which runs on
    PyTorch, as SD-πXL does) the device of the settings."""
    method, options = cleanup_choice(request.photo_cleanup or "", request.photo_cleanup_options)
    device = (request.device or "auto").strip().lower()
    if method == "pasd" and "device" not in options and device.split(":")[0] in _TORCH_DEVICES:
        options["device"] = device
    return options


def cleanup_long_side(request: MakeRequest, width: int, height: int) -> tuple[str, dict[str, Any], int] | None:
    """(method name, options, long side of the cleaned photo) for the request's clean-up of a ``width`` ×
    ``height`` photo — what a make will run — or None when nothing will run (no clean-up, or "Automatic" leaving
    the photo as it is). Raises :class:`InputError` for an impossible size or an unknown method."""
    from types import SimpleNamespace

    from ..cleanup import auto_plan, default_method, get_method, long_side_for_pattern

    if not request.photo_cleanup:
        return None
    method, options = cleanup_choice(request.photo_cleanup, request_cleanup_options(request))
    if request.method == "ai":
        return (default_method() if method == "auto" else method), options, 1024
    cells = target_cells(width, height, request.width, request.height)
    if method == "auto":
        plan = auto_plan(width, height, cells)
        if plan.method is None:
            return None
        method, options = plan.method, dict(plan.options)
    chosen = get_method(method)
    return chosen.name, options, long_side_for_pattern(SimpleNamespace(width=width, height=height), cells, chosen)


_CLEANED: OrderedDict[tuple, Photo] = OrderedDict()
_CLEAN_NOTES: dict[tuple, list[str]] = {}
_CLEANED_LOCK = threading.Lock()
CLEANED_KEEP = 4


def _clean_key(path: str, photo: Photo, method: str, cells: tuple[int, int] | None,
               options: dict[str, Any] | None) -> tuple:
    try:
        stamp = Path(path).stat().st_mtime_ns if path else id(photo)
    except OSError:
        stamp = id(photo)
    frozen = tuple(sorted((str(k), repr(v)) for k, v in (options or {}).items()))
    return (path, stamp, photo.width, photo.height, method, cells, frozen)


def cached_clean(path: str, photo: Photo, method: str, cells: tuple[int, int] | None,
                 progress: ProgressCallback | None, cancel: CancelToken | None, *,
                 options: dict[str, Any] | None = None, notes: list[str] | None = None) -> Photo:
    """``clean_photo`` remembered per photo, method, options and size: the photo the user opened is never replaced
    by its cleaned copy (unticking "Clean up" goes back to the original), and ticking it again costs nothing.
    ``notes`` receives what the clean-up did in words (also when the cleaned copy was remembered)."""
    key = _clean_key(path, photo, method, cells, options)
    with _CLEANED_LOCK:
        if key in _CLEANED:
            _CLEANED.move_to_end(key)
            if notes is not None:
                notes += _CLEAN_NOTES.get(key, [])
            return _CLEANED[key]
    said: list[str] = []
    cleaned = clean_photo(photo, method, cells, progress, cancel, options=options, notes=said)
    if notes is not None:
        notes += said
    with _CLEANED_LOCK:
        _CLEANED[key] = cleaned
        _CLEAN_NOTES[key] = said
        while len(_CLEANED) > CLEANED_KEEP:
            old, _ = _CLEANED.popitem(last=False)
            _CLEAN_NOTES.pop(old, None)
    return cleaned


def is_cleaned(request: MakeRequest, photo: Photo | None) -> bool:
    """Whether a make of ``request`` from ``photo`` finds its cleaned copy remembered (nothing to run again)."""
    if photo is None or not request.photo_cleanup or request.method != "classic":
        return False
    if request.photo_path and not enough_pixels(photo, _cells_needed(request)):
        return False  # the make decodes the photo again, at another size
    try:
        cells = tuple(target_cells(photo.width, photo.height, request.width, request.height))
    except InputError:
        return False
    key = _clean_key(request.photo_path, photo, request.photo_cleanup, cells, request_cleanup_options(request))
    with _CLEANED_LOCK:
        return key in _CLEANED


def clean_photo(photo: Photo, method: str, cells: tuple[int, int] | None, progress: ProgressCallback | None,
                cancel: CancelToken | None, *, options: dict[str, Any] | None = None,
                notes: list[str] | None = None) -> Photo:
    """The photo cleaned by ``method`` (a key of :data:`CLEANUP_CHOICES` or a method's name; ``options`` replace
    the choice's own when given) at the size a pattern of ``cells`` needs, or at the SD-πXL canvas size
    (1024 px) when ``cells`` is None. "auto" for a pattern is what the clean-up benchmark shows helps for this
    photo and pattern size (:func:`pixlcraft.cleanup.auto_plan`) — nothing at all for a photo with pixels
    enough; for the AI canvas it is the first available method. ``notes`` receives what was done, in words."""
    from ..cleanup import auto_plan, cleanup, default_method, get_method, long_side_for_pattern

    said = notes if notes is not None else []
    method, options = cleanup_choice(method) if options is None else (cleanup_choice(method)[0], dict(options))
    if method == "auto" and cells is not None:
        plan = auto_plan(photo.width, photo.height, cells)
        said.append(f"Automatic clean-up: {plan.reason}")
        if plan.method is None:
            return photo
        method, options = plan.method, dict(plan.options)
    elif method == "auto":
        options = {}  # the first available method, with its defaults
    chosen = get_method(default_method() if method == "auto" else method)
    if chosen.name == "pasd":
        _check_pasd(chosen)
    long_side = 1024 if cells is None else long_side_for_pattern(photo, cells, chosen)
    cleaned = cleanup(photo, chosen, {**options, "target_long_side": long_side}, progress=progress, cancel=cancel)
    run = getattr(chosen, "last_run", None) if chosen.name == "pasd" else None
    if run is not None:
        said.append(f"PASD's prompt: “{run.prompt}”")
        if getattr(run, "source", "") == "none" and not str(options.get("pasd_prompt", "")).strip():
            said.append("no automatic prompt: the caption model (BLIP, 990 MB) is not on this computer — "
                        "Pattern ▸ AI Models… downloads it")
    return cleaned


def _check_pasd(method) -> None:
    """PASD without the AI engine: the window's way to get it, not the command line's."""
    ok, reason = method.available()
    if not ok:
        text = ("the PASD clean-up needs the AI engine, which is not installed yet: Pattern ▸ AI Models… installs it "
                "(a one-time download). Or choose another clean-up, such as Real-ESRGAN.")
        raise InputError(f"the pasd clean-up is not available here: {reason}", gui=text, action="models.manager")


def pasd_readiness(options: dict[str, Any] | None = None, *, progress: ProgressCallback | None = None,
                   cancel: CancelToken | None = None) -> Any:
    """PASD's own account of what it lacks here and how long it takes (may import torch: run it on a worker)."""
    from ..cleanup import get_method

    return get_method("pasd").readiness(options)


def cleanup_available() -> bool:
    """Whether this build has photo clean-up (checked without importing it)."""
    try:
        return importlib.util.find_spec("pixlcraft.cleanup") is not None
    except (ImportError, ValueError):
        return False


def ai_available() -> bool:
    """Whether this build has the SD-πXL pipeline (checked without importing it or torch)."""
    try:
        return importlib.util.find_spec("pixlcraft.sdpixl.pipeline") is not None
    except (ImportError, ValueError):
        return False


def on_checkerboard(photo: Photo) -> np.ndarray:
    """The photo's colours with see-through parts over a light checkerboard, as image editors show them (a
    thumbnail of a logo must not turn its transparent background black)."""
    if photo.alpha is None:
        return photo.srgb
    h, w = photo.alpha.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    square = max(4, max(h, w) // 32)
    board = np.where(((yy // square + xx // square) % 2)[..., None] == 0, 0.94, 0.80).astype(np.float32)
    alpha = photo.alpha.reshape(h, w, 1).astype(np.float32)
    return photo.srgb * alpha + board * (1.0 - alpha)


#: The model roles SD-πXL uses (the model store also holds PASD's, for photo clean-up).
SDPIXL_ROLES = ("base", "vae", "controlnet-canny", "controlnet-depth", "depth", "clip")


def check_request(request: MakeRequest) -> None:
    """The checks that cost nothing: a request failing them is refused at once, before the window asks about
    unsaved work or starts a job."""
    if request.photo_path and not Path(request.photo_path).is_file():
        raise InputError(f"the photo {request.photo_path} is no longer there (was it moved or renamed?); open it "
                         "again.")
    if request.method == "ai":
        if not request.prompt.strip():
            raise InputError("the AI method needs a few words saying what the pattern should show (type them in "
                             "the box under the photo), e.g. “a red rose”.")
        from ..addon import require_engine

        require_engine()


def make_ai(request: MakeRequest, photo: Photo | None = None, *, progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> MadePattern:
    """Run SD-πXL for the request (imports torch now, on the worker thread)."""
    check_request(request)
    from ..sdpixl.pipeline import ALL_COLORS, GenerateRequest, generate

    if request.photo_path and (photo is None or not enough_pixels(photo, None)):
        photo = load_photo(request.photo_path)  # the AI canvas wants the whole photo
    palette = request_palette(request)
    stock = stash_use(palette) if request.use_stash else None
    if stock is not None:  # SD-πXL has no stock limits: it paints in the stash's colours, the stock is kept after
        from ..stash.use import stocked_palette

        palette = stocked_palette(palette, stock.stash, stock.rule)
    width, height = request.width, request.height
    original = photo
    notes: list[str] = []
    if photo is not None:
        width, height = target_cells(photo.width, photo.height, width, height)
        if request.photo_cleanup:
            photo = cached_clean(request.photo_path, photo, request.photo_cleanup, None, progress, cancel,
                                 options=request_cleanup_options(request), notes=notes)
    else:
        width = width or 64
        height = height or width
    generated = generate(
        GenerateRequest(
            prompt=request.prompt.strip(),
            width=int(width),
            height=int(height),
            image=photo,
            palette=palette,
            max_colors=ALL_COLORS if request.max_colors is None else request.max_colors,
            cleanup=request.cleanup,
            include_special=request.include_special or bool(request.owned.strip()) or request.use_stash,
            steps=request.steps,
            seed=request.seed,
            device=request.device,
            low_memory=request.low_memory,
            compile=request.compile,
            title=Path(request.photo_path).stem if request.photo_path else request.prompt.strip()[:60],
            **request.ai_extra,
        ),
        progress=progress,
        cancel=cancel,
    )
    pattern = generated.pattern
    if stock is not None:  # the stock, enforced after the run: the fewest cells take another stocked colour
        from ..stash.use import fit_to_stash, record_stash

        pattern, _ = fit_to_stash(pattern, stock.stash, stock.rule)
        record_stash(pattern, stock.stash, stock.rule)
    return MadePattern(pattern, original, cleanup_notes=notes)


def probe_ai(*, progress: ProgressCallback | None = None, cancel: CancelToken | None = None) -> dict[str, Any]:
    """Which models are installed and which device would run (imports torch: run it on a worker)."""
    from ..addon import detect_accelerator, engine_available
    from ..models import model_status, pick_device

    rows = [r for r in model_status() if r.spec.role in SDPIXL_ROLES]  # not PASD's SD 1.5
    installed = sum(1 for r in rows if r.installed)
    missing_mb = sum(r.spec.download_size_mb() for r in rows if not r.installed)
    engine = engine_available()
    try:
        device = pick_device("auto") if engine else detect_accelerator()
    except Exception:  # noqa: BLE001 - a broken torch install must not break the panel
        device = "unavailable"
    return {"installed": installed, "total": len(rows), "device": device, "engine": engine,
            "missing_mb": missing_mb}


def ai_estimate_text(device: str, steps: int = _AI_STEPS) -> str:
    per_step = _SECONDS_PER_STEP.get(device.split(":")[0], _SECONDS_PER_STEP["cpu"])
    minutes = per_step * steps / 60
    if minutes >= 120:
        return f"roughly {minutes / 60:.0f} hours on this computer"
    return f"roughly {max(1, round(minutes))} min"
