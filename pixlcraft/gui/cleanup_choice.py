"""The panel's "Clean up the photo first": which clean-up, what it needs, and a question before a long one.

A mixin of :class:`~pixlcraft.gui.source_panel.SourcePanel` (the widgets are built in
:mod:`~pixlcraft.gui.panel_sections`): the box says whether to clean the photo, the menu beside it which way
(:data:`CHOICES`; the keys are :data:`~pixlcraft.gui.make_jobs.CLEANUP_CHOICES`'), and the line under it what
the choice means here:

* "Automatic": after a make, what it did for this photo and pattern size, and why
  (:func:`pixlcraft.cleanup.auto_plan`'s reason);
* PASD: what stands between this computer and a run (the AI engine, weights) and how long one takes, read on a
  worker thread (PASD's readiness imports torch), pointing to Pattern ▸ AI Models… for what is missing.

Before a make that will run PASD, :meth:`CleanupChoiceMixin.confirm_cleanup` estimates the run for the size the
clean-up will get and, above :data:`CONFIRM_ABOVE_SECONDS` (the command line's 10 minutes), asks: Start, use
Real-ESRGAN instead, or Cancel. A live preview never starts PASD: it says so in the status bar instead.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..imageio import Photo
from . import errors
from .make_jobs import MakeRequest, cleanup_choice, cleanup_long_side, is_cleaned, pasd_readiness

CONFIRM_ABOVE_SECONDS = 600.0
"""Ask before a clean-up estimated to take longer than this (as ``pixlcraft cleanup`` does)."""

#: (key, label, what it does in one sentence) for each entry of the clean-up menu, in menu order.
CHOICES: tuple[tuple[str, str, str], ...] = (
    ("auto", "Automatic (what helps for this photo's size)",
     "Automatic: what the clean-up benchmark shows helps for this photo and pattern size — Real-ESRGAN for a tiny "
     "photo made into a bigger pattern, its fast network for a small photo, denoising for a tiny photo made into a "
     "smaller pattern, and nothing for a photo over 240 pixels, where no clean-up made better patterns."),
    ("esrgan", "Real-ESRGAN",
     "Real-ESRGAN: a network that enlarges up to 4× and removes noise and JPEG blocks (a few seconds; offline)."),
    ("esrgan-fast", "Real-ESRGAN fast",
     "Real-ESRGAN fast: its compact network, 20–30 times faster on a CPU — a little softer, keeps more JPEG "
     "blocks."),
    ("classic", "Denoise (classic)",
     "Denoise (classic): filters that remove noise and JPEG blocks without inventing detail; never enlarges."),
    ("pasd-faithful", "PASD (AI): faithful to the photo",
     "PASD faithful: Stable Diffusion re-draws lost detail starting close to the photo, keeping about 8× more of "
     "it — what the authors' released code does (needs the AI engine and a 6 GB download; minutes on a GPU, "
     "an hour on a CPU)."),
    ("pasd-redrawn", "PASD (AI): more re-drawn",
     "PASD re-drawn: the paper's setting — Stable Diffusion starts from more noise and invents more new texture "
     "(needs the AI engine and a 6 GB download; minutes on a GPU, an hour on a CPU)."),
)
CHOICE_KEYS = tuple(key for key, _, _ in CHOICES)
DEFAULT_CHOICE = "auto"
MODELS_MENU = "Pattern ▸ AI Models…"


def choices_tooltip() -> str:
    """The menu's tooltip: each choice in a sentence."""
    return "How to clean a small, noisy phone photo before the pattern is made:\n" + "\n".join(
        f"• {text}" for _, _, text in CHOICES)


def is_pasd(key: str | None) -> bool:
    return bool(key) and cleanup_choice(key)[0] == "pasd"


def readiness_text(readiness: Any) -> str:
    """PASD's readiness in the window's words: what is missing (and where to get it) and the time a run takes."""
    if readiness is None:
        return ""
    if isinstance(readiness, BaseException):
        return f"Could not check PASD here: {errors.describe(readiness).text}"
    if not hasattr(readiness, "engine_missing"):  # another object with lines(): as it says it
        try:
            return " ".join(readiness.lines())
        except Exception:  # noqa: BLE001 - a hint must not break the panel
            return ""
    if readiness.engine_missing:
        return (f"PASD needs the AI engine, which is not installed yet: {MODELS_MENU} installs it (a one-time "
                "download). Until then choose Real-ESRGAN or Automatic.")
    out = []
    downloads = list(getattr(readiness, "downloads", []) or [])
    if downloads:
        total = sum(mb for _, mb, _ in downloads)
        names = ", ".join(name for name, _, _ in downloads)
        out.append(f"Not ready: {_size(total)} of weights to download ({names}); the first PASD run gets them "
                   f"while online ({MODELS_MENU}).")
    else:
        out.append("Ready: PASD's weights are on this computer.")
    if getattr(readiness, "caption", "") == "missing":
        out.append(f"No automatic prompt without the caption model (990 MB, in {MODELS_MENU}).")
    seconds = getattr(readiness, "seconds", None)
    if seconds is not None:
        from ..cleanup import AUTO_LONG_SIDE
        from ..cleanup.pasd.estimate import describe_seconds

        device = str(getattr(readiness, "device", "") or "cpu").split(":")[0]
        where = {"cpu": "on the CPU", "mps": "on the Apple GPU", "cuda": "on the GPU"}.get(device, f"on {device}")
        out.append(f"{_first_upper(describe_seconds(seconds))} per {AUTO_LONG_SIDE}-px photo {where} (an estimate).")
    return " ".join(out)


def _size(mb: float) -> str:
    return f"about {mb / 1000:.1f} GB" if mb >= 1000 else f"about {mb:.0f} MB"


def photo_size(path: str) -> tuple[int, int] | None:
    """A photo file's (width, height) as it will be shown (EXIF turns applied), read from its header only."""
    try:
        from PIL import Image

        with Image.open(path) as im:
            w, h = im.size
            turned = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)
    except Exception:  # noqa: BLE001 - the make reports an unreadable photo itself
        return None
    return (h, w) if turned else (w, h)


class CleanupChoiceMixin:
    """The clean-up box's behaviour on the source panel (widgets: ``photo_cleanup``, ``cleanup_method``,
    ``cleanup_hint``, ``cleanup_probe``)."""

    _readiness: Any = None
    _readiness_options: tuple | None = None
    _readiness_again = False
    _cleanup_note = ""

    # ------------------------------------------------------------------------------------------- the choice

    def cleanup_key(self) -> str:
        """The chosen clean-up (a key of :data:`CHOICES`), ticked or not."""
        key = self.cleanup_method.currentData()
        return key if key in CHOICE_KEYS else DEFAULT_CHOICE

    def set_cleanup_key(self, key: str, *, quiet: bool = False) -> bool:
        """Choose ``key`` in the menu (False when there is no such entry); ``quiet``: no preview follows."""
        i = self.cleanup_method.findData(key)
        if i < 0:
            return False
        self.cleanup_method.blockSignals(quiet)
        self.cleanup_method.setCurrentIndex(i)
        self.cleanup_method.blockSignals(False)
        if quiet:
            self._cleanup_choice_changed()
        return True

    def _cleanup_toggled(self, on: bool) -> None:
        self.cleanup_method.setEnabled(on and self.photo_cleanup.isEnabled())
        self._update_cleanup_hint()

    def _cleanup_choice_changed(self, *_args) -> None:
        self._cleanup_note = ""  # it said what the other choice did
        key = self.cleanup_key()
        if is_pasd(key) and self.photo_cleanup.isChecked():
            self.probe_pasd()
        self._update_cleanup_hint()

    def _update_cleanup_hint(self) -> None:
        key = self.cleanup_key()
        text = ""
        if self.photo_cleanup.isChecked() and self.photo_cleanup.isEnabled():
            if is_pasd(key):
                if self._readiness is None:
                    text = "Checking what PASD needs on this computer…"
                    if not self.cleanup_probe.busy:
                        self.probe_pasd()
                else:
                    text = readiness_text(self._readiness)
                if self._cleanup_note:
                    text += "\n" + self._cleanup_note
            else:
                text = self._cleanup_note
        self.cleanup_hint.setText(text)
        self.cleanup_hint.setVisible(bool(text))

    # ------------------------------------------------------------------------------------------- PASD's needs

    def _pasd_options(self) -> dict[str, Any]:
        options = dict(cleanup_choice(self.cleanup_key())[1]) if is_pasd(self.cleanup_key()) else {}
        device = (self.settings.device or "auto").strip().lower()
        if device.split(":")[0] in ("auto", "cpu", "cuda", "mps"):
            options["device"] = device
        return options

    def probe_pasd(self, *, again: bool = False) -> None:
        """Read PASD's readiness on a worker (it imports torch); ``again`` forgets the last answer (the models or
        the settings changed). The hint says "checking" meanwhile."""
        options = self._pasd_options()
        wanted = tuple(sorted((k, str(v)) for k, v in options.items() if k != "pasd_start"))  # same needs either way
        if not again and self._readiness is not None and self._readiness_options == wanted:
            return
        if self.cleanup_probe.busy:
            self._readiness_again = True
            return
        self._readiness, self._readiness_options = None, wanted
        self.cleanup_probe.start(pasd_readiness, options)
        self._update_cleanup_hint()

    def _pasd_ready(self, readiness: Any) -> None:
        self._readiness = readiness
        self._after_probe()

    def _pasd_probe_failed(self, error: BaseException) -> None:
        self._readiness = error
        self._after_probe()

    def _after_probe(self) -> None:
        if self._readiness_again:
            self._readiness_again = False
            if is_pasd(self.cleanup_key()) and self.photo_cleanup.isChecked():
                self.probe_pasd(again=True)
                return
        self._update_cleanup_hint()

    def refresh_cleanup_readiness(self) -> None:
        """The models or the settings may have changed: look again if PASD is chosen, else when it is next."""
        self._readiness_options = None
        if is_pasd(self.cleanup_key()) and self.photo_cleanup.isChecked():
            self.probe_pasd(again=True)

    # ------------------------------------------------------------------------------------------- around a make

    def confirm_cleanup(self, parent, request: MakeRequest, photo: Photo | None = None, *,
                        quiet: bool = False) -> MakeRequest | None:
        """The request to make, or None when it must not start: before a PASD clean-up estimated to take more
        than :data:`CONFIRM_ABOVE_SECONDS` the user chooses Start, Use Real-ESRGAN (the request comes back with
        it, and the menu shows it) or Cancel; a ``quiet`` make (a live preview) never starts PASD.
        ``photo``: the photo the make starts from (None: the request's file, whose size is read here)."""
        if not is_pasd(request.photo_cleanup) or is_cleaned(request, photo):
            return request
        if quiet:
            self._say(parent, "Preview not updated: the PASD clean-up takes minutes; press Make pattern to run it.")
            return None
        if isinstance(self._readiness, BaseException) or getattr(self._readiness, "engine_missing", None):
            return request  # it cannot run: the make says why at once, with the way to the AI engine
        size = (photo.width, photo.height) if photo is not None else photo_size(request.photo_path)
        if size is None:
            return request
        try:
            planned = cleanup_long_side(request, *size)
            if planned is None or planned[0] != "pasd":
                return request
            name, options, long_side = planned
            from ..cleanup import get_method

            method = get_method(name)
            seconds = float(method.estimate(size[0], size[1], {**options, "target_long_side": long_side}))
        except Exception:  # noqa: BLE001 - no estimate: the run itself reports what is wrong
            return request
        if seconds <= CONFIRM_ABOVE_SECONDS:
            return request
        from ..cleanup.pasd.estimate import describe_seconds

        text = f"PASD will take {describe_seconds(seconds)} on this computer (an estimate)."
        downloads = getattr(self._readiness, "downloads", None)
        if downloads:
            text += f" It first downloads {_size(sum(mb for _, mb, _ in downloads))} of weights."
        text += " Start it, or use Real-ESRGAN instead?"
        answer = errors.present(parent, errors.Message(
            "question", "PASD takes a while", text, buttons=("yes", "no", "cancel"), default="cancel",
            extra={"yes": "Start", "no": "Use Real-ESRGAN", "cancel": "Cancel"}))
        if answer == "yes":
            return request
        if answer == "no":
            self.set_cleanup_key("esrgan", quiet=True)  # the menu shows what the pattern is made with
            return dataclasses.replace(request, photo_cleanup="esrgan", photo_cleanup_options={})
        return None

    def cleanup_made(self, made: Any) -> str:
        """A pattern was made: say what the clean-up did under the menu; returns it for the status bar."""
        notes = list(getattr(made, "cleanup_notes", None) or [])
        self._cleanup_note = " · ".join(_first_upper(n) for n in notes)
        self._update_cleanup_hint()
        return self._cleanup_note

    @staticmethod
    def _say(parent, text: str) -> None:
        bar = getattr(parent, "statusBar", None)
        if bar is not None:
            bar().showMessage(text, 10000)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ = [
    "CHOICES",
    "CHOICE_KEYS",
    "CONFIRM_ABOVE_SECONDS",
    "CleanupChoiceMixin",
    "DEFAULT_CHOICE",
    "choices_tooltip",
    "is_pasd",
    "photo_size",
    "readiness_text",
]
