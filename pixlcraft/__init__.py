"""PixlCraft: photo or prompt → a pattern you can stitch, fuse or build.

Importing the package is cheap on purpose: torch, diffusers and Qt are imported only by the modules that
need them, so the command line and the classic converter start fast.
"""

__version__ = "0.2.0"
