#!/bin/sh
# Add this unpacked PixlCraft to your applications menu and make it open .pixl and .oxs files, for you alone
# (no root needed). Run it again after moving the folder; run it with --remove to take the entry away.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
if [ "${1:-}" = "--remove" ]; then
  rm -f "$data/applications/pixlcraft.desktop" "$data/mime/packages/pixlcraft.xml"
  find "$data/icons/hicolor" -name 'pixlcraft.png' -delete 2>/dev/null || true
else
  "$here/pixlcraft" --pixlcraft-run-module pixlcraft.desktop_entry "$here" "$data"
fi
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "done"
