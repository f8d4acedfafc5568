#!/usr/bin/env bash
# Build PixlCraft for macOS: dist/PixlCraft-<version>-macos-<arch>.dmg holding PixlCraft.app.
# Run on a Mac with Python 3.11 (python.org or Homebrew) for the Mac's own architecture (arm64 on Apple
# silicon). The .app's Info.plist declares .pixl (owned) and .oxs (viewer) documents (packaging/pixlcraft.spec).
# Unsigned: signing and notarising need an Apple Developer ID (set CODESIGN_IDENTITY to sign). Written to
# match build-linux.sh; it has NOT been run (no Mac here): see packaging/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' pixlcraft/__init__.py)
ARCH=$(uname -m)
BUILD=build/macos
VENV=$BUILD/venv
export PIXLCRAFT_VERSION=$VERSION
mkdir -p "$BUILD" dist

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "pyinstaller==6.22.3"
rm -rf "$BUILD/wheel"
"$VENV/bin/python" -m pip wheel -q --no-deps -w "$BUILD/wheel" .
"$VENV/bin/python" -m pip install -q --force-reinstall "$BUILD"/wheel/pixlcraft-"$VERSION"-*.whl
v=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opencv-python-headless"))')
"$VENV/bin/python" -m pip uninstall -q -y opencv-python
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps "opencv-python-headless==$v"

"$VENV/bin/pyinstaller" --noconfirm --distpath "$BUILD/dist" --workpath "$BUILD/work" packaging/pixlcraft.spec
APP="$BUILD/dist/PixlCraft.app"
"$APP/Contents/MacOS/pixlcraft" --version
if [ -n "${CODESIGN_IDENTITY:-}" ]; then
  codesign --deep --force --options runtime --sign "$CODESIGN_IDENTITY" "$APP"
fi

stage=$BUILD/dmg
rm -rf "$stage" && mkdir -p "$stage"
cp -R "$APP" "$stage/"
ln -s /Applications "$stage/Applications"
DMG="dist/PixlCraft-$VERSION-macos-$ARCH.dmg"
rm -f "$DMG"
hdiutil create -volname "PixlCraft $VERSION" -srcfolder "$stage" -ov -format UDZO "$DMG"
echo "$DMG"
