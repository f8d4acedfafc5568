"""The desktop app: PySide6 windows, views and dialogs — the skin over the core, never the maths.

Only this package imports Qt (a test imports every other module with PySide6 blocked). Pattern edits live
in :mod:`pixlcraft.edit`, settings in :mod:`pixlcraft.settings`, autosave in :mod:`pixlcraft.autosave`; long
jobs (convert, generate, export) run on a worker thread through the one bridge, :mod:`pixlcraft.gui.bridge`.
"""
