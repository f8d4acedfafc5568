"""``pixlcraft addon status|install|remove``: the AI engine (PyTorch, diffusers) of the installed app.

A source checkout or ``pip install pixlcraft[ai]`` already has the engine; the installed app fetches it once
per user with ``install`` (what the model manager's button runs too).
"""

from __future__ import annotations

import argparse

from .common import Parser, ProgressBar

ORDER = 79


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("addon", help="install or remove the AI engine (PyTorch, diffusers) used by 'generate'")
    asub = p.add_subparsers(dest="addon_cmd", required=True, parser_class=Parser)
    sp = asub.add_parser("status", help="whether the AI engine is installed, where, and which build")
    sp.set_defaults(func=run_status)
    ip = asub.add_parser("install", help="download and install the AI engine for this computer (once, online)")
    ip.add_argument("--accelerator", choices=("auto", "cuda", "mps", "cpu"), default="auto",
                    help="which PyTorch build: auto (default) picks CUDA where an NVIDIA driver is installed, "
                         "Metal on Apple silicon, else the CPU build")
    ip.add_argument("--torch-index", metavar="URL|pypi",
                    help="where to take PyTorch from instead of the automatic choice ('pypi', or an index URL)")
    ip.add_argument("--wheels", metavar="DIR",
                    help="install from this folder of wheel files alone, offline (e.g. made with pip download)")
    ip.set_defaults(func=run_install)
    rp = asub.add_parser("remove", help="delete the AI engine (the downloaded models stay)")
    rp.set_defaults(func=run_remove)


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.0f} MB"


def run_status(args: argparse.Namespace) -> int:
    from .. import addon

    s = addon.status()
    print(f"AI engine: {'available' if s.engine_available else 'not installed'}")
    print(f"this computer: {s.accelerator} (the build 'install' picks)")
    print(f"add-on folder: {s.folder}{'' if s.addon_installed else ' (empty)'}")
    if s.addon_installed:
        versions = ", ".join(f"{k} {v}" for k, v in sorted(s.versions.items()))
        print(f"installed: {versions} ({_size(s.size_bytes)})")
    elif s.engine_available:
        print("(the engine comes from this Python environment, not from the add-on)")
    return 0


def run_install(args: argparse.Namespace) -> int:
    from .. import addon

    accelerator = None if args.accelerator == "auto" else args.accelerator
    bar = ProgressBar(unit="B")
    try:
        # Ctrl+C interrupts the wait; install() then stops pip and removes the half-installed folder
        s = addon.install(progress=bar, accelerator=accelerator, index=args.torch_index, wheels=args.wheels)
    finally:
        bar.close()
    versions = ", ".join(f"{k} {v}" for k, v in sorted(s.versions.items()))
    print(f"AI engine installed in {s.folder}: {versions} ({_size(s.size_bytes)}).")
    print("Next: pixlcraft models download all (about 9 GB), then pixlcraft generate …")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    from .. import addon

    if addon.remove():
        print(f"Removed the AI engine from {addon.addon_folder()}.")
    else:
        print("The AI engine add-on is not installed; nothing to remove.")
    return 0
