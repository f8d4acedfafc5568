"""Lay out and build the .deb from a PyInstaller bundle (called by packaging/build-linux.sh).

The package installs the bundle under /opt/pixlcraft, two commands on PATH, a menu entry with the icon, and the
MIME types of .pixl and .oxs with PixlCraft as their application (desktop-file-utils, shared-mime-info and
hicolor-icon-theme refresh their caches through dpkg triggers, so no maintainer scripts are needed).

``Depends:`` is computed, not hand-written: every ELF file of the bundle is run through ``ldd``; a library found
outside the bundle is mapped to its Debian package with ``dpkg -S``, and one this build machine lacks (Qt's xcb
plugin needs libraries a build server need not have) through :data:`pixlcraft.syslibs.PACKAGES`. So whatever
the bundle links against, ``apt install ./pixlcraft_….deb`` brings in.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from pixlcraft import desktop_entry
from pixlcraft.syslibs import PACKAGES

WRAPPER = """#!/bin/sh
exec /opt/pixlcraft/{name} "$@"
"""

# Always needed, but not visible to ldd: fonts for Qt to draw text with.
EXTRA_DEPENDS = ["fonts-dejavu-core", "fontconfig"]
# Alternatives for packages renamed on newer releases (Ubuntu 24.04's 64-bit time_t transition).
ALTERNATIVES = {"libglib2.0-0": "libglib2.0-0 | libglib2.0-0t64"}


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def linked_libraries(bundle: Path) -> dict[str, str | None]:
    """soname → where this machine has it (None: not here) for every library outside the bundle that its ELF
    files load."""
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{bundle}")
    found: dict[str, str | None] = {}
    for f in sorted(bundle.rglob("*")):
        if f.is_symlink() or not f.is_file() or not _is_elf(f):
            continue
        out = subprocess.run(["ldd", str(f)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            m = re.match(r"\s*(\S+)\s+=>\s+(not found|(\S+))", line)
            if not m:
                continue
            if m.group(2) == "not found":
                found.setdefault(m.group(1), None)
            elif not Path(m.group(3)).resolve().is_relative_to(bundle.resolve()):
                found[m.group(1)] = m.group(3)
    return found


def debian_packages(libraries: dict[str, str | None]) -> list[str]:
    """The packages providing ``libraries``: the generic names of :data:`PACKAGES` first (``libomp5``, not this
    release's ``libomp5-14``), else what ``dpkg -S`` says owns the file here."""
    packages: set[str] = set()
    unknown = []
    for soname, path in sorted(libraries.items()):
        if soname in PACKAGES:
            packages.add(PACKAGES[soname][0])
            continue
        result = None
        for candidate in (path, str(Path(path).resolve())) if path else ():
            result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
            if result.returncode == 0:  # (merged /usr: the file may be listed under /lib or /usr/lib)
                break
        if result is not None and result.returncode == 0:
            packages.add(result.stdout.split(":")[0].strip())
        else:
            unknown.append(soname)
    if unknown:
        raise SystemExit(f"make_deb: no Debian package known for {', '.join(unknown)}; add it to "
                         "pixlcraft/syslibs.py PACKAGES")
    return sorted(packages)


def build(bundle: Path, version: str, root: Path, out: Path) -> Path:
    tree = root / "build" / "linux" / "deb" / f"pixlcraft_{version}_amd64"
    shutil.rmtree(tree, ignore_errors=True)
    opt = tree / "opt" / "pixlcraft"
    shutil.copytree(bundle, opt, symlinks=True)
    usr = tree / "usr"
    (usr / "bin").mkdir(parents=True)
    for name in ("pixlcraft", "pixlcraft-app"):
        wrapper = usr / "bin" / name
        wrapper.write_text(WRAPPER.format(name=name))
        wrapper.chmod(0o755)
    share = usr / "share"
    desktop_entry.install(share, "pixlcraft-app")
    doc = share / "doc" / "pixlcraft"
    doc.mkdir(parents=True)
    shutil.copy(root / "packaging" / "linux" / "copyright", doc / "copyright")

    depends = [ALTERNATIVES.get(p, p) for p in debian_packages(linked_libraries(bundle))] + EXTRA_DEPENDS
    size_kib = sum(f.stat().st_size for f in tree.rglob("*") if f.is_file() and not f.is_symlink()) // 1024
    control = tree / "DEBIAN" / "control"
    control.parent.mkdir(parents=True)
    control.write_text(
        "Package: pixlcraft\n"
        f"Version: {version}\n"
        "Architecture: amd64\n"
        "Maintainer: PixlCraft developers <developers@pixlcraft.invalid>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {', '.join(depends)}\n"
        "Section: graphics\n"
        "Priority: optional\n"
        "Description: photo or prompt to cross-stitch, fuse-bead and brick patterns\n"
        " PixlCraft turns a photo, or a text prompt, into a pattern in real material colours: cross-stitch\n"
        " charts in DMC threads, fuse-bead plans in Perler, Hama, Artkal or Nabbi beads, and brick mosaics\n"
        " with a parts list. It prints PDF charts and exports OXS, PES/DST, BrickLink XML and LDraw.\n"
        " The optional AI engine (SD-πXL) is installed per user from the app's model manager.\n")
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"pixlcraft_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "-z6", "--build", str(tree), str(deb)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"Depends: {', '.join(depends)}")
    return deb


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", type=Path, required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--root", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    a = p.parse_args()
    print(build(a.bundle.resolve(), a.version, a.root.resolve(), a.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
