"""Errors that carry a message a hobbyist can act on.

Front ends show ``str(error)`` as-is (the CLI prints it on one line and exits 2, the GUI shows a dialog), so
messages name the file, the value and what to do — never a Python type or a traceback.
"""

from __future__ import annotations


class PixlcraftError(Exception):
    """A problem the user can fix (bad input, missing model, unwritable file).

    ``str(error)`` is the command line's wording (it may name flags such as ``--max-colors``). Where the fix is
    different in the window, ``gui`` says it in the window's words (menus, buttons) and ``action`` names the
    window's command that fixes it (an action id such as ``"edit.reduce"``), which the window can offer.
    """

    def __init__(self, message: str = "", *, gui: str = "", action: str = "") -> None:
        super().__init__(message)
        self.gui = gui
        self.action = action


class InputError(PixlcraftError):
    """An input file or option is unusable."""


class PaletteError(InputError):
    """A palette name, file or colour code is unusable."""


class PatternFileError(InputError):
    """A ``.pixl`` (or other pattern) file is damaged, too new or otherwise unreadable."""


class Cancelled(PixlcraftError):
    """The user cancelled a long job; whatever was finished may be attached as ``partial``."""

    def __init__(self, message: str = "Cancelled.", partial: object | None = None) -> None:
        super().__init__(message)
        self.partial = partial
