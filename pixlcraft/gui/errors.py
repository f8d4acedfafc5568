"""Messages and questions a hobbyist understands, all through one door the tests can replace.

The core already words its errors for people (:class:`~pixlcraft.errors.PixlcraftError`); this module only
decides how they look: the message as-is, a short title, and — for a genuine bug — the technical details
folded away under "Show Details" so that a bug report can include them without scaring anyone.

Every dialog goes through :func:`present`. A modal dialog would block an automated test forever, so tests
replace ``present`` (``monkeypatch.setattr(errors, "present", fake)``) and read what would have been shown.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from ..errors import Cancelled, InputError, PixlcraftError


@dataclass
class Message:
    """What a dialog says: kind is ``error``, ``warning``, ``info`` or ``question``."""

    kind: str
    title: str
    text: str
    details: str = ""
    buttons: tuple[str, ...] = ("ok",)
    default: str = "ok"
    extra: dict[str, str] = field(default_factory=dict)


_ICONS = {
    "error": QMessageBox.Icon.Critical,
    "warning": QMessageBox.Icon.Warning,
    "info": QMessageBox.Icon.Information,
    "question": QMessageBox.Icon.Question,
}
_BUTTONS = {
    "ok": QMessageBox.StandardButton.Ok,
    "cancel": QMessageBox.StandardButton.Cancel,
    "save": QMessageBox.StandardButton.Save,
    "discard": QMessageBox.StandardButton.Discard,
    "yes": QMessageBox.StandardButton.Yes,
    "no": QMessageBox.StandardButton.No,
}


def present(parent: QWidget | None, message: Message) -> str:
    """Show ``message`` and return the name of the button pressed (``"ok"``, ``"save"``, …).

    The one function that opens a modal box; tests monkeypatch it.
    """
    box = QMessageBox(parent)
    box.setIcon(_ICONS.get(message.kind, QMessageBox.Icon.NoIcon))
    box.setWindowTitle(message.title)
    box.setText(message.text)
    if message.details:
        box.setDetailedText(message.details)
    by_button = {}
    for name in message.buttons:
        button = box.addButton(_BUTTONS[name])
        if name in message.extra:
            button.setText(message.extra[name])
        by_button[name] = button
    box.setDefaultButton(by_button[message.default])
    box.exec()
    clicked = box.clickedButton()
    for name, button in by_button.items():
        if button is clicked:
            return name
    return "cancel" if "cancel" in message.buttons else message.buttons[-1]


def describe(error: BaseException) -> Message:
    """Turn any exception into words: our own errors as written, common system failures explained, and
    anything else as an apology with the traceback in the details."""
    if isinstance(error, Cancelled):
        return Message("info", "Stopped", "The job was stopped. Nothing was changed.")
    if isinstance(error, InputError):  # the window's own wording when the core gives one (no CLI flags)
        return Message("warning", "PixlCraft cannot use this", _sentence(error.gui or str(error)))
    if isinstance(error, PixlcraftError):
        return Message("warning", "PixlCraft", _sentence(error.gui or str(error)))
    if isinstance(error, MemoryError):
        return Message(
            "error",
            "Not enough memory",
            "Your computer ran out of memory for this job. Try a smaller pattern size, close other programs, "
            "or use the Classic method instead of AI.",
        )
    if isinstance(error, PermissionError):
        where = f" {error.filename}" if error.filename else ""
        return Message(
            "warning",
            "Not allowed to use the file",
            f"PixlCraft is not allowed to read or write{where}. Choose another folder (for example your "
            "Documents folder) or check that the file is not open in another program.",
        )
    if isinstance(error, FileNotFoundError):
        where = f" {error.filename}" if error.filename else " the file"
        return Message("warning", "File not found", f"Cannot find{where}. It may have been moved or deleted.")
    if isinstance(error, OSError):
        what = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename else ""
        return Message("warning", "The computer refused", f"The file could not be used{where}: {what}.")
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return Message(
        "error",
        "Something went wrong",
        "PixlCraft ran into a problem it did not expect, and stopped this job. Your pattern is safe. "
        "If it happens again, please report it with the details below.",
        details=details,
    )


def _sentence(text: str) -> str:
    text = text.strip()
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def show_error(parent: QWidget | None, error: BaseException | str, title: str | None = None) -> None:
    """Tell the user a job failed (a Cancelled job is not a failure and shows nothing)."""
    if isinstance(error, Cancelled):
        return
    message = describe(error) if isinstance(error, BaseException) else Message("warning", "PixlCraft", error)
    if title:
        message.title = title
    present(parent, message)


def show_info(parent: QWidget | None, title: str, text: str) -> None:
    present(parent, Message("info", title, text))


def ask_unsaved(parent: QWidget | None, name: str) -> str:
    """``"save"``, ``"discard"`` or ``"cancel"`` for a pattern with changes that are not saved yet."""
    return present(
        parent,
        Message(
            "question",
            "Unsaved changes",
            f"“{name}” has changes that are not saved. Save them first?",
            buttons=("save", "discard", "cancel"),
            default="save",
            extra={"discard": "Do&n't Save"},
        ),
    )


def ask_yes_no(parent: QWidget | None, title: str, text: str, yes: str = "Yes", no: str = "No") -> bool:
    answer = present(parent, Message("question", title, text, buttons=("yes", "no"), default="yes",
                                     extra={"yes": yes, "no": no}))
    return answer == "yes"


def ask_int(parent: QWidget | None, title: str, label: str, value: int, minimum: int, maximum: int) -> int | None:
    """A number from the user, or None when they cancel (the one number prompt; tests monkeypatch it)."""
    from PySide6.QtWidgets import QInputDialog

    number, ok = QInputDialog.getInt(parent, title, label, value, minimum, maximum)
    return int(number) if ok else None


def ask_choice(parent: QWidget | None, title: str, label: str, items: list[str], current: int = 0) -> str | None:
    """One of ``items`` from the user, or None when they cancel (tests monkeypatch it)."""
    from PySide6.QtWidgets import QInputDialog

    item, ok = QInputDialog.getItem(parent, title, label, items, current, False)
    return str(item) if ok else None


def refuse_photo(parent: QWidget | None, target: str | Path, photos: tuple[str, ...], doing: str) -> bool:
    """True (after telling the user) when ``target`` is one of ``photos``, the files a pattern was made from:
    ``doing`` ("saving", "exporting") over one would replace the user's photo."""
    from ..fileio import same_file

    if not any(p and same_file(target, p) for p in photos):
        return False
    show_error(parent, f"{Path(target).name} is the photo this pattern was made from; {doing} over it would "
               "replace the photo. Choose another file name.", "That is your photo")
    return True
