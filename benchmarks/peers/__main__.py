"""``python -m benchmarks.peers``."""

from . import main

main()
