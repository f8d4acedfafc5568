"""Frozen entry point of ``pixlcraft`` (the command line); also runs modules for child processes."""

import sys

from pixlcraft.runtime import run_module_from_argv

if __name__ == "__main__":
    code = run_module_from_argv(sys.argv[1:])
    if code is None:
        from pixlcraft.cli import main

        code = main()
    sys.exit(code)
