"""Exporters: a :class:`~pixlcraft.pattern.Pattern` → files a person can print, stitch, fuse or order.

Each output family is one small writer module declaring its formats; :mod:`.registry` gathers them. Use
:func:`export` (by format key) from front ends; see :mod:`pixlcraft.export.registry` for the writer contract.
"""

from __future__ import annotations

from .registry import ExportFormat, ExportOption, export, formats, formats_for, get_format, resolve_options

__all__ = ["ExportFormat", "ExportOption", "export", "formats", "formats_for", "get_format", "resolve_options"]
