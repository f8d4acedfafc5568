#!/usr/bin/env bash
# One command from a fresh clone: set up with the test tools, lint, run every test.
# pytest exits non-zero when a test fails and (code 5) when no test ran, so both fail this script.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
. .venv/bin/activate
ruff check .
export QT_QPA_PLATFORM=offscreen
python -m pytest -q "$@"
