#!/usr/bin/env bash
# Install the built .deb as a user would (apt pulls in its Depends), run the installed programs from outside
# the source tree with a bare environment (nothing of a virtualenv on PATH), check every output with an
# independent reader, then purge the package.
#   packaging/linux/smoke-test.sh [dist/pixlcraft_<version>_amd64.deb] [CHECKER_PYTHON]
# CHECKER_PYTHON (default: .venv/bin/python) only reads the outputs (pypdf, Pillow, PixlCraft's .pixl reader
# from the source tree); it never runs the app. Needs root (apt-get).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DEB=$(readlink -f "${1:-$(ls dist/pixlcraft_*_amd64.deb | tail -n 1)}")
CHECK_PY=${2:-.venv/bin/python}
case "$CHECK_PY" in /*) ;; *) CHECK_PY=$ROOT/$CHECK_PY ;; esac  # (no readlink -f: it would leave the venv)
WORK=$(mktemp -d /tmp/pixlcraft-smoke.XXXXXX)
say() { printf '[smoke %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
# The app runs with a bare environment: system PATH only, a fresh home (so a fresh numba cache and settings).
run() { (cd "$WORK" && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
          QT_QPA_PLATFORM=offscreen "$@"); }

export DEBIAN_FRONTEND=noninteractive
say "installing $DEB"
apt-get install -y -qq "$DEB" >/dev/null
trap 'apt-get purge -y -qq pixlcraft >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/home"
[ "$(run sh -c 'command -v pixlcraft')" = /usr/bin/pixlcraft ] || { echo "pixlcraft is not on PATH"; exit 1; }
[ "$(run sh -c 'command -v pixlcraft-app')" = /usr/bin/pixlcraft-app ] || { echo "no pixlcraft-app"; exit 1; }
SAMPLES=/opt/pixlcraft/_internal/pixlcraft/_resources/samples

say "convert (first run after install: numba compiles)"
t0=$(date +%s%N)
run pixlcraft convert "$SAMPLES/astronaut.jpg" --palette dmc --width 200 -o dmc.pixl
t1=$(date +%s%N)
run pixlcraft convert "$SAMPLES/astronaut.jpg" --palette dmc --width 200 -o dmc2.pixl
t2=$(date +%s%N)
echo "first convert $(( (t1 - t0) / 1000000 )) ms, second $(( (t2 - t1) / 1000000 )) ms"
run pixlcraft convert "$SAMPLES/coffee.jpg" --palette lego --width 48 -o lego.pixl
run pixlcraft convert "$SAMPLES/chelsea.jpg" --palette dmc --width 80 --max-colors 30 -o chart.pixl

say "export"
run pixlcraft export chart.pixl --format stitch-pdf -o chart.pdf
run pixlcraft export lego.pixl --format bricklink-xml -o parts.xml

say "clean-up with Real-ESRGAN"
"$CHECK_PY" -c "from PIL import Image; Image.open('$SAMPLES/chelsea.jpg').convert('RGB').crop((150, 40, 246, 136)).save('$WORK/small.png')"
run pixlcraft cleanup small.png --method esrgan --scale 4 -o big.png

say "window screenshot"
run pixlcraft-app --screenshot shot.png --open dmc.pixl

say "AI add-on: installed offline from a wheel folder, then a generation with tiny random-weight models"
"$CHECK_PY" -m pip download -q -d "$WORK/wheels" --only-binary :all: -c resources/ai-constraints.txt \
  $("$CHECK_PY" -c 'from pixlcraft.addon import requirements; print(" ".join(requirements()))') \
  2>"$WORK/pip-download.log" || { cat "$WORK/pip-download.log"; exit 1; }
run pixlcraft addon install --wheels "$WORK/wheels"
FLAGS=$("$CHECK_PY" packaging/linux/tiny_models_for_smoke.py "$WORK/tiny" 2>/dev/null | tail -n 1)
# shellcheck disable=SC2086
run env HF_HUB_OFFLINE=1 pixlcraft generate --prompt "a red rose" --palette perler --width 12 --height 8 \
  --steps 3 --seed 5 --device cpu --canvas-side 64 --reference-samples 2 --reference-steps 2 --no-download \
  $FLAGS -o rose.pixl

say "checking the outputs"
"$CHECK_PY" "$ROOT/packaging/linux/check_outputs.py" "$WORK"

say "desktop integration"
test -f /usr/share/applications/pixlcraft.desktop
test -f /usr/share/mime/packages/pixlcraft.xml
test -f /usr/share/icons/hicolor/256x256/apps/pixlcraft.png
if command -v desktop-file-validate >/dev/null; then desktop-file-validate /usr/share/applications/pixlcraft.desktop; fi
if [ -f /usr/share/mime/globs2 ]; then grep -q 'application/x-pixlcraft:\*\.pixl' /usr/share/mime/globs2; fi

say "purge"
apt-get purge -y -qq pixlcraft >/dev/null
trap 'rm -rf "$WORK"' EXIT
if [ -e /opt/pixlcraft ] || [ -e /usr/bin/pixlcraft ]; then echo "purge left files behind"; exit 1; fi
say "smoke test passed"
