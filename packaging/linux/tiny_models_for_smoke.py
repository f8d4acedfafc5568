"""Write the test suite's tiny random-weight models to a folder and print the ``generate`` flags that use them.

The smoke test then runs the *installed* app's ``generate`` on them, after installing the AI add-on: the whole
AI path of the frozen app (add-on import, model loading through the real diffusers/transformers classes, the
optimiser), with models small enough for a CPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from tiny_models import build_tiny_models  # noqa: E402


def main(out: Path) -> int:
    tiny = build_tiny_models(out)
    flags = ["--base-model", tiny.base, "--vae", tiny.taesd, "--controlnet-canny", tiny.controlnet_canny,
             "--controlnet-depth", tiny.controlnet_depth, "--depth-model", tiny.depth, "--clip-model", tiny.clip]
    print(" ".join(str(f) for f in flags))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
