#!/usr/bin/env bash
# One command from a fresh clone: set up, then turn the bundled sample photo into a DMC cross-stitch pattern.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
mkdir -p out
pixlcraft convert resources/samples/astronaut.jpg --palette dmc --width 80 --max-colors 24 -o out/astronaut.pixl
pixlcraft convert resources/samples/astronaut.jpg --palette dmc --width 80 --max-colors 24 --scale 8 \
  -o out/astronaut.png --stats
echo "Pattern written to out/astronaut.pixl and a preview to out/astronaut.png"
