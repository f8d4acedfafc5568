"""Frozen entry point of ``pixlcraft-app`` (the desktop window)."""

import sys

from pixlcraft.gui.app import run

if __name__ == "__main__":
    sys.exit(run())
