"""``python -m benchmarks.bad_inputs``."""

import sys

from . import main

sys.exit(main())
