"""Start PixlCraft's desktop window (``python main.py``); see ``pixlcraft --help`` for the command line."""

from __future__ import annotations

import sys


def run() -> int:
    try:
        from pixlcraft.gui.app import main
    except ImportError as exc:
        if getattr(exc, "name", "") and not str(getattr(exc, "name", "")).startswith("pixlcraft.gui"):
            raise
        print("The PixlCraft desktop window is not part of this build yet; use the command line: "
              "pixlcraft --help", file=sys.stderr)
        return 2
    return main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(run())
