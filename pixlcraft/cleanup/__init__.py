"""Photo → photo clean-up before pattern making: a registry of methods and one entry point.

Phone photos are small, noisy and JPEG-blocky, and a pattern made from them inherits every speck. A clean-up
method takes a :class:`~pixlcraft.imageio.Photo` and returns a cleaner one at the size the pattern maker needs.
Methods are found by name in a fixed list of modules, so the CLI flags, the GUI's choices and the tests all come
from the same declarations, and a method whose module (or whose heavy libraries) is missing simply reports
itself unavailable while the rest of the app goes on.

Contract for a method module (``pixlcraft/cleanup/<name>.py`` or a package ``pixlcraft/cleanup/<name>/``)
------------------------------------------------------------------------------------------------------------
* The module defines ``METHOD``, an instance of a :class:`CleanupMethod` subclass. Importing the module must be
  cheap and must not fail when optional libraries are absent: import torch, diffusers, ncnn … inside
  :meth:`CleanupMethod.available` and :meth:`CleanupMethod.run`, never at module level.
* ``name`` is the id used on the command line (``--method NAME``); ``description`` is one line for menus.
* ``options`` is a tuple of :class:`Option` declarations. Option names are Python identifiers and are the keys of
  the ``options`` dict that ``run`` receives; each becomes a CLI flag (``Option.cli_flag``, by default the name
  with ``_`` → ``-``). Two methods may declare the same flag (``device``, ``seed``, ``steps``) only with the same
  type; the CLI then shows it once. The framework adds :data:`COMMON_OPTIONS` (output size) to every method.
* ``available()`` returns ``(True, "")`` or ``(False, reason)`` where the reason is one sentence a hobbyist can
  act on ("Real-ESRGAN needs the Vulkan loader (libvulkan1): install it with …"). It may import libraries and
  cache the answer; it must never raise.
* ``run(photo, options, reporter)`` receives a *complete, validated* options dict (defaults filled in by
  :meth:`CleanupMethod.resolve_options`, unknown keys already rejected) and a :class:`~pixlcraft.jobs.Reporter`.
  It reports progress through ``reporter.report(stage, done, total)`` at least once per tile/step and thereby
  honours cancel (``report`` and ``check`` raise :class:`~pixlcraft.errors.Cancelled`). It returns a new Photo:
  ``srgb`` float32 (H,W,3) in [0,1], ``alpha`` float32 (H,W) or None (keep the input's alpha, resized — never
  drop it), ``path`` copied from the input. It may return any size; :func:`cleanup` resizes the result to
  :func:`output_size` (area average when shrinking), so a method that already works at that size costs nothing.
  Problems the user can fix (missing weights, bad option values) raise :class:`~pixlcraft.errors.InputError`
  (or another :class:`~pixlcraft.errors.PixlcraftError`) with a one-line message naming what to do.
* Use ``self.output_size(w, h, options)`` to learn the final size when it saves work (e.g. shrink a huge input
  first). Without ``scale``/``target_long_side`` the size is automatic: long side :data:`AUTO_LONG_SIDE`, enlarging
  by at most the method's ``max_auto_scale`` (4 for a 4× super-resolution model, 1 for plain filters).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..imageio import Photo
from ..jobs import CancelToken, ProgressCallback, Reporter

# Modules searched for a ``METHOD``, in menu order; the first available one is the automatic choice, so the
# methods that run offline in seconds come before PASD (a 6 GB download, minutes on a CPU), which is only used
# when asked for by name. A module that is not installed is skipped without a word.
METHOD_MODULES: tuple[str, ...] = (
    "pixlcraft.cleanup.esrgan",
    "pixlcraft.cleanup.classic",
    "pixlcraft.cleanup.pasd",
)

# Without an explicit size the result's long side is this many pixels, enlarging a small photo at most
# AUTO_MAX_SCALE times. The converter averages each cell's area, and two pixels per cell already let it place an
# edge to half a cell; 512 gives that to a 256-cell pattern (46 cm of 14-count aida, nine bead boards across),
# larger than most patterns. A 4× network's cost grows with the square of the size, so a bigger default would
# make every clean-up several times slower (on a 2-core CPU, minutes) for detail no pattern can show; ask for
# more with --long-side or --scale.
AUTO_LONG_SIDE = 512
AUTO_MAX_SCALE = 4.0


@dataclass(frozen=True)
class Option:
    """One tunable of a method, declared once for the CLI, the GUI and validation."""

    name: str
    """Python identifier; the key in the options dict."""
    type: type
    """int, float, str or bool."""
    default: Any
    help: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    flag: str | None = None
    """CLI flag without the dashes; default: ``name`` with ``_`` → ``-``."""
    metavar: str | None = None

    @property
    def cli_flag(self) -> str:
        return "--" + (self.flag or self.name.replace("_", "-"))

    def check(self, value: Any, method: str) -> Any:
        """The value converted to ``type`` and range-checked, or an :class:`InputError` naming the flag."""
        if value is None:
            return None
        what = f"{self.cli_flag} (for {method})"
        try:
            if self.type is bool:
                if isinstance(value, str):
                    low = value.strip().lower()
                    if low not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(value)
                    value = low in ("1", "true", "yes", "on")
                value = bool(value)
            elif self.type is int:
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError(value)
                value = int(value)
            else:
                value = self.type(value)
        except (TypeError, ValueError):
            raise InputError(f"{what} must be a {self.type.__name__}, not '{value}'.") from None
        if self.type is float and not np.isfinite(value):
            raise InputError(f"{what} must be a finite number, not '{value}'.")
        if self.choices is not None and value not in self.choices:
            raise InputError(f"{what} must be one of {', '.join(map(str, self.choices))} (got '{value}').")
        if self.minimum is not None and value < self.minimum:
            raise InputError(f"{what} must be at least {self.minimum:g} (got {value}).")
        if self.maximum is not None and value > self.maximum:
            raise InputError(f"{what} must be at most {self.maximum:g} (got {value}).")
        return value


COMMON_OPTIONS: tuple[Option, ...] = (
    Option("scale", float, None, "result size relative to the input (1 = same size); default: long side "
           f"{AUTO_LONG_SIDE} px, enlarging at most {AUTO_MAX_SCALE:g}× (AI methods) or not at all (classic)",
           minimum=0.05, maximum=8.0),
    Option("target_long_side", int, None, "result's long side in pixels (overrides --scale)",
           minimum=8, maximum=16384, flag="long-side", metavar="PX"),
)


class CleanupMethod:
    """Base class of a clean-up method; subclasses set the class attributes and override ``available``/``run``."""

    name: str = ""
    description: str = ""
    options: tuple[Option, ...] = ()
    max_auto_scale: float = AUTO_MAX_SCALE
    """Largest enlargement the automatic size uses: a filter that adds no detail sets 1 (never enlarge)."""

    def available(self) -> tuple[bool, str]:
        """``(True, "")`` when this method can run here, else ``(False, one-sentence reason)``. Never raises."""
        return True, ""

    def run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        raise NotImplementedError

    # ------------------------------------------------------------------ shared plumbing, not to be overridden

    def output_size(self, width: int, height: int, options: Mapping[str, Any]) -> tuple[int, int]:
        """The size :func:`cleanup` will hand back for an input of ``width`` × ``height`` with these options."""
        return output_size(width, height, options, self.max_auto_scale)

    def all_options(self) -> tuple[Option, ...]:
        return COMMON_OPTIONS + tuple(self.options)

    def resolve_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        """Defaults filled in, values checked, unknown names refused (a typo must not pass silently)."""
        declared = {o.name: o for o in self.all_options()}
        given = dict(options or {})
        unknown = sorted(set(given) - set(declared))
        if unknown:
            known = ", ".join(sorted(declared))
            raise InputError(f"the {self.name} clean-up has no option {', '.join(unknown)} (it has: {known}).")
        resolved: dict[str, Any] = {}
        for name, opt in declared.items():
            value = given.get(name)
            resolved[name] = opt.check(value if value is not None else opt.default, self.name)
        return resolved

    def __repr__(self) -> str:
        return f"<cleanup method {self.name}>"


class _Broken(CleanupMethod):
    """Stands in for a method module that exists but fails to import, so the reason reaches the user."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.description = f"{name} (failed to load)"
        self._reason = reason

    def available(self) -> tuple[bool, str]:
        return False, self._reason

    def run(self, photo: Photo, options: dict[str, Any], reporter: Reporter) -> Photo:
        raise InputError(f"the {self.name} clean-up cannot run: {self._reason}")


_registry: dict[str, CleanupMethod] | None = None


def _load_registry() -> dict[str, CleanupMethod]:
    found: dict[str, CleanupMethod] = {}
    for module_name in METHOD_MODULES:
        short = module_name.rsplit(".", 1)[-1]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name is not None and module_name.startswith(e.name):
                continue  # the method is simply not part of this installation
            found[short] = _Broken(short, f"its module needs '{e.name}', which is not installed.")
            continue
        except Exception as e:  # a broken optional module must not take the others down
            found[short] = _Broken(short, f"its module failed to load ({type(e).__name__}: {e}).")
            continue
        method = getattr(module, "METHOD", None)
        if isinstance(method, CleanupMethod):
            found[method.name] = method
    return found


def methods() -> dict[str, CleanupMethod]:
    """Every installed method by name, in menu order (available or not: ask each one)."""
    global _registry
    if _registry is None:
        _registry = _load_registry()
    return dict(_registry)


def get_method(name: str) -> CleanupMethod:
    """The method called ``name``, or an :class:`InputError` listing the ones there are."""
    all_methods = methods()
    if name not in all_methods:
        raise InputError(f"there is no clean-up method '{name}'; choose one of {', '.join(all_methods)}.")
    return all_methods[name]


def default_method() -> str:
    """The first available method in menu order: the bundled Real-ESRGAN, or the classic filters where it
    cannot run (they always can)."""
    return automatic_choice()[0]


def automatic_choice() -> tuple[str, str]:
    """(the automatic method, "" or one sentence saying which preferred method it replaces and why).

    A user who did not pick a method must still learn that the preferred one could not run here (a 96-pixel
    photo that comes back 96 pixels instead of ×4 is otherwise a mystery)."""
    skipped: list[tuple[str, str]] = []
    chosen = "classic"
    for name, method in methods().items():
        ok, reason = method.available()
        if ok:
            chosen = name
            break
        skipped.append((name, reason))
    if not skipped:
        return chosen, ""
    name, reason = skipped[0]
    return chosen, f"using the {chosen} clean-up because {name} cannot run here: {' '.join(reason.split())}"


def output_size(
    width: int, height: int, options: Mapping[str, Any], max_auto_scale: float = AUTO_MAX_SCALE
) -> tuple[int, int]:
    """The final (width, height): ``target_long_side`` if set, else ``scale``, else the automatic size
    (long side :data:`AUTO_LONG_SIDE`, enlarging by at most ``max_auto_scale``).

    The aspect ratio is kept to the nearest pixel and no side drops below one pixel.
    """
    long_side = max(width, height)
    target = options.get("target_long_side")
    scale = options.get("scale")
    if target:
        factor = target / long_side
    elif scale:
        factor = float(scale)
    else:
        factor = min(max_auto_scale, AUTO_LONG_SIDE / long_side)
    return max(1, round(width * factor)), max(1, round(height * factor))


def resize_photo(photo: Photo, size: tuple[int, int]) -> Photo:
    """``photo`` at ``size`` (w, h): area average when shrinking, so noise averages out instead of aliasing."""
    from .tiling import resize

    if (photo.width, photo.height) == tuple(size):
        return photo
    alpha = None if photo.alpha is None else resize(photo.alpha, size)
    return Photo(resize(photo.srgb, size), alpha, photo.path)


def cleanup(
    photo: Photo,
    method: str | CleanupMethod | None = None,
    options: Mapping[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Photo:
    """Clean ``photo`` with ``method`` (a name or a method; default: the first available) and return the result.

    Raises :class:`InputError` for an unknown or unavailable method or a bad option, and
    :class:`~pixlcraft.errors.Cancelled` when ``cancel`` fires.
    """
    # 1. check inputs before any heavy work
    m = get_method(method or default_method()) if not isinstance(method, CleanupMethod) else method
    resolved = m.resolve_options(options)
    ok, reason = m.available()
    if not ok:
        raise InputError(f"the {m.name} clean-up is not available here: {reason}")
    # 2. run
    reporter = Reporter(progress, cancel)
    reporter.check()
    result = m.run(photo, resolved, reporter)
    # 3. the size the caller asked for, the input's alpha if the method lost it
    size = m.output_size(photo.width, photo.height, resolved)
    if result.alpha is None and photo.alpha is not None:
        result = Photo(result.srgb, resize_photo(photo, (result.width, result.height)).alpha, result.path)
    result = resize_photo(result, size)
    return Photo(_unit(result.srgb), None if result.alpha is None else _unit(result.alpha), photo.path)


def _unit(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(a, 0.0, 1.0), dtype=np.float32)


def describe_methods() -> list[tuple[str, str, str]]:
    """(name, description, "" or the reason it is unavailable) for each method: the GUI's list and ``--help``."""
    rows = []
    for name, m in methods().items():
        ok, reason = m.available()
        rows.append((name, m.description, "" if ok else reason))
    return rows


PIXELS_PER_CELL = 2
"""A photo cleaned for a pattern needs about this many pixels per cell: the converter area-averages each cell,
so more detail than that is paid for and thrown away."""


def long_side_for_pattern(photo: Photo, cells: tuple[int, int], method: CleanupMethod) -> int:
    """Long side in pixels of the cleaned photo for a pattern of ``cells`` (width, height), never enlarging more
    than the method would on its own. Along the tighter axis, since with both sides given the converter crops
    the other."""
    factor = PIXELS_PER_CELL * max(cells[0] / photo.width, cells[1] / photo.height)
    return max(8, round(max(photo.width, photo.height) * min(factor, method.max_auto_scale)))


@dataclass(frozen=True)
class AutoPlan:
    """What ``--cleanup-first auto`` and the app's *Clean up the photo first* do for one photo and pattern size:
    a method and its options, or nothing (``method`` None), with the reason in words."""

    method: str | None
    options: dict[str, Any]
    reason: str


TINY_PHOTO = 128
"""Long side (pixels) up to which a photo is "tiny": the 96-px class of the benchmark."""
SMALL_PHOTO = 240
"""Long side up to which a photo is "small" (the 160-px class); above it no clean-up helped."""


def auto_plan(photo_width: int, photo_height: int, cells: tuple[int, int] | None) -> AutoPlan:
    """The clean-up the benchmark shows helps for this photo and pattern (``benchmarks/cleanup_benefit.py``,
    six photos degraded to 96, 160 and 320 px with JPEG and noise, patterns 64–200 cells wide; figures in
    ``benchmarks/RESULTS.md``), or none where none helped:

    * a tiny photo (long side ≤ 128 px) made into a pattern with at least as many cells as it has pixels:
      Real-ESRGAN x4plus (0.34 ΔE00 closer to the clean photo's pattern on average, about 4 s); into fewer
      cells: the classic filters (0.10 closer; Real-ESRGAN gained nothing there);
    * a small photo (up to 240 px): Real-ESRGAN's compact network (0.14–0.16 closer, under a second);
    * anything larger: nothing — every method was within ±0.05 of none, or worse (up to 0.42 ΔE00 worse
      for small patterns of 320-px photos, where the clean-up's invented texture shows).

    A method that cannot run here falls back to the classic filters, which always can."""
    long_side = max(photo_width, photo_height)
    cells_long = max(cells) if cells else 80
    if long_side > SMALL_PHOTO:
        return AutoPlan(None, {}, f"a {photo_width}×{photo_height} photo has enough pixels: no clean-up method "
                                  "made its patterns better in the benchmark, so it is used as it is")
    if long_side <= TINY_PHOTO and cells_long < long_side:
        plan = AutoPlan("classic", {}, f"a tiny {photo_width}×{photo_height} photo for a smaller pattern: "
                                       "the classic filters (denoising, deblocking)")
    elif long_side <= TINY_PHOTO:
        plan = AutoPlan("esrgan", {"model": "x4plus"}, f"a tiny {photo_width}×{photo_height} photo for a "
                                                        "pattern with more cells than it has pixels: Real-ESRGAN")
    else:
        plan = AutoPlan("esrgan", {"model": "fast"}, f"a small {photo_width}×{photo_height} photo: "
                                                      "Real-ESRGAN's fast network")
    if plan.method != "classic":
        ok, why = get_method(plan.method).available()
        if not ok:
            return AutoPlan("classic", {}, f"{plan.reason}, but it cannot run here ({' '.join(why.split())}); "
                                           "the classic filters instead")
    return plan


__all__: Sequence[str] = (
    "AutoPlan",
    "auto_plan",
    "AUTO_LONG_SIDE",
    "PIXELS_PER_CELL",
    "long_side_for_pattern",
    "COMMON_OPTIONS",
    "CleanupMethod",
    "Option",
    "cleanup",
    "automatic_choice",
    "default_method",
    "describe_methods",
    "get_method",
    "methods",
    "output_size",
    "resize_photo",
)
