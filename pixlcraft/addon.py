"""The AI add-on: PyTorch, diffusers and transformers, installed per user on first use of the AI path.

Why an add-on and not part of the installer: the right PyTorch differs by machine (a CUDA build of 2-3 GB where
an NVIDIA driver is present, the Metal-enabled build on Apple silicon, a 200 MB CPU build elsewhere), and most
hobbyists use only the classic converter. So the installer carries everything but the AI engine, works fully
offline, and the model manager (or ``pixlcraft addon install``) fetches the engine that fits this computer into
the user's data folder, where the installed app imports it from (:func:`activate`, called at start-up by
:func:`pixlcraft.runtime.prepare`). A source checkout or ``pip install pixlcraft[ai]`` already has the engine and
never needs the add-on.

The packages are the ``ai`` extra of PixlCraft's own metadata (one list, in ``pyproject.toml``), pinned to the
versions PixlCraft was tested with (``ai-constraints.txt`` among the resources) and to the bundle's own copies of
shared libraries such as numpy, so the add-on can never bring an incompatible numpy. pip runs as a child
process of the installed app (``pixlcraft --pixlcraft-run-module pip …``) into a staging folder that replaces the
old add-on only when everything is installed: a cancelled or failed install leaves the previous state.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import Cancelled, PixlcraftError
from .jobs import CancelToken, ProgressCallback, Reporter

#: PyTorch wheels by accelerator, where PyPI's default is not the right build (an index URL, or "" for PyPI).
#: On Linux PyPI serves the CUDA build, on Windows the CPU build; macOS wheels include Metal (MPS).
TORCH_INDEXES = {
    ("linux", "cuda"): "",
    ("linux", "cpu"): "https://download.pytorch.org/whl/cpu",
    ("win32", "cuda"): "https://download.pytorch.org/whl/cu128",
    ("win32", "cpu"): "",
    ("darwin", "mps"): "",
    ("darwin", "cpu"): "",
}
#: Rough download sizes (MB) shown before installing, by accelerator.
DOWNLOAD_MB = {"cuda": 3500, "mps": 400, "cpu": 450}
#: The packages the AI path imports; the add-on counts as present when all of them import.
ENGINE_MODULES = ("torch", "diffusers", "transformers", "safetensors", "huggingface_hub")
#: Bundled distributions whose versions the add-on must keep (pip is told to pin them).
SHARED_DISTRIBUTIONS = ("numpy", "pillow", "tqdm", "platformdirs", "charset-normalizer")
MARKER = "pixlcraft-addon.json"
FALLBACK_REQUIREMENTS = ("torch>=2.4", "diffusers>=0.42", "transformers>=4.56", "safetensors>=0.4",
                         "accelerate>=0.33", "peft>=0.12", "huggingface_hub>=0.24")


class AddonMissingError(PixlcraftError):
    """The AI engine is not installed; the message says how to get it (CLI wording; the GUI offers a button)."""


@dataclass(frozen=True)
class AddonStatus:
    engine_available: bool  # torch, diffusers … import (from the add-on, a venv or a pip install)
    addon_installed: bool  # the per-user add-on folder is complete
    folder: Path
    accelerator: str  # what this computer has: cuda, mps or cpu
    versions: dict[str, str]
    size_bytes: int


def addon_root() -> Path:
    """Where add-ons live (``PIXLCRAFT_ADDON_DIR`` overrides it, e.g. for tests or a shared install)."""
    override = os.environ.get("PIXLCRAFT_ADDON_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir("pixlcraft", appauthor=False)) / "ai-addon"


def addon_folder() -> Path:
    """This Python's add-on folder: wheels are per Python version and platform."""
    tag = f"py{sys.version_info.major}{sys.version_info.minor}-{sys.platform}-{platform.machine().lower()}"
    return addon_root() / tag


def installed() -> bool:
    return (addon_folder() / MARKER).is_file()


def activate() -> bool:
    """Make an installed add-on importable (appended to ``sys.path``: the app's own libraries stay first)."""
    folder = addon_folder()
    if not installed():
        return False
    entry = str(folder)
    if entry not in sys.path:
        sys.path.append(entry)
        importlib.invalidate_caches()
    return True


def engine_available() -> bool:
    """True when every AI package can be imported (checked without importing them: that takes seconds)."""
    activate()
    return all(importlib.util.find_spec(name) is not None for name in ENGINE_MODULES)


def require_engine() -> None:
    """Raise :class:`AddonMissingError` unless the AI engine can be imported."""
    if engine_available():
        return
    raise AddonMissingError(
        f"the AI engine (PyTorch, diffusers, transformers) is not installed. Install it once with "
        f"'pixlcraft addon install' (about {_size_text(DOWNLOAD_MB[detect_accelerator()])} to download), or in "
        f"the app: Pattern ▸ AI Models… ▸ Install the AI engine. The classic converter needs none of it.")


def detect_accelerator() -> str:
    """cuda where an NVIDIA driver is installed, mps on Apple silicon, else cpu (no torch needed to tell)."""
    forced = os.environ.get("PIXLCRAFT_ACCELERATOR")
    if forced in ("cuda", "mps", "cpu"):
        return forced
    if sys.platform == "darwin":
        return "mps" if platform.machine().lower() == "arm64" else "cpu"
    if sys.platform.startswith("linux") and Path("/proc/driver/nvidia/version").exists():
        return "cuda"
    if sys.platform == "win32":
        system32 = Path(os.environ.get("SystemRoot", r"C:\Windows")) / "System32"
        if (system32 / "nvidia-smi.exe").exists() or (system32 / "nvcuda.dll").exists():
            return "cuda"
    return "cuda" if shutil.which("nvidia-smi") else "cpu"


def _platform_key() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def torch_index(accelerator: str, choice: str | None = None) -> str:
    """The index to take PyTorch from: ``choice`` ("pypi", or a URL) or ``PIXLCRAFT_TORCH_INDEX`` if given,
    else the one that serves this platform's build for ``accelerator``."""
    choice = choice or os.environ.get("PIXLCRAFT_TORCH_INDEX")
    if choice:
        return "" if choice == "pypi" else choice
    return TORCH_INDEXES.get((_platform_key(), accelerator), "")


def requirements() -> list[str]:
    """The ``ai`` extra of PixlCraft's metadata, without its markers (the one list of AI packages)."""
    from importlib import metadata

    try:
        listed = metadata.requires("pixlcraft") or []
    except metadata.PackageNotFoundError:
        listed = []
    found = [r.split(";")[0].strip() for r in listed if re.search(r"""extra\s*==\s*["']ai["']""", r)]
    return found or list(FALLBACK_REQUIREMENTS)


def constraints_text() -> str:
    """Pins: the tested AI versions, plus the versions of libraries this app already carries."""
    from importlib import metadata

    from .runtime import resource

    lines = []
    try:
        lines.append(resource("pixlcraft._resources", "ai-constraints.txt").read_text(encoding="utf-8"))
    except (FileNotFoundError, ModuleNotFoundError):
        pass
    for name in SHARED_DISTRIBUTIONS:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return "\n".join(lines) + "\n"


def pip_arguments(
    target: Path, constraints: Path, index: str, wheels: str | None = None, packages: Sequence[str] | None = None
) -> list[str]:
    """pip's arguments for installing ``packages`` (default: the engine) into ``target``: binary wheels only,
    so nothing is compiled on the user's machine; with ``wheels``, from that folder alone (offline)."""
    args = ["install", "--target", str(target), "--only-binary", ":all:", "--no-warn-script-location",
            "--disable-pip-version-check", "--no-input", "--progress-bar", "raw", "--upgrade",
            "-c", str(constraints)]
    if wheels:
        args += ["--no-index", "--find-links", str(wheels)]
    elif index:
        args += ["--index-url", index, "--extra-index-url", "https://pypi.org/simple"]
    return args + list(packages if packages is not None else requirements())


def _size_text(mb: float) -> str:
    return f"{mb / 1000:.1f} GB" if mb >= 1000 else f"{mb:.0f} MB"


def _folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def status() -> AddonStatus:
    folder = addon_folder()
    versions: dict[str, str] = {}
    marker = folder / MARKER
    if marker.is_file():
        try:
            versions = dict(json.loads(marker.read_text(encoding="utf-8")).get("versions", {}))
        except (OSError, ValueError, RecursionError):
            versions = {}
    return AddonStatus(engine_available(), marker.is_file(), folder, detect_accelerator(), versions,
                       _folder_bytes(folder) if marker.is_file() else 0)


class _PipOutput:
    """Turns pip's output into progress reports: what it collects, and bytes of each download."""

    _COLLECT = re.compile(r"^\s*(?:Collecting|Downloading|Using cached)\s+(\S+)")
    _RAW = re.compile(r"^Progress (\d+) of (\d+)")

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.current = ""
        self.tail: list[str] = []

    def feed(self, line: str) -> None:
        line = line.rstrip()
        if not line:
            return
        raw = self._RAW.match(line)
        if raw:
            done, total = int(raw.group(1)), int(raw.group(2))
            self.reporter.report("Installing the AI engine", done, max(total, 1),
                                 message=f"downloading {self.current} ({_size_text(total / 1e6)})")
            return
        self.tail = (self.tail + [line])[-15:]
        found = self._COLLECT.match(line)
        if found:
            self.current = Path(found.group(1)).name.split("-")[0]
            self.reporter.report("Installing the AI engine", 0, 0, message=f"getting {self.current}")
        elif line.startswith("Installing collected packages"):
            self.reporter.report("Installing the AI engine", 0, 0, message="unpacking (this takes a minute)")


def install(
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    accelerator: str | None = None,
    index: str | None = None,
    wheels: str | None = None,
    packages: Sequence[str] | None = None,
) -> AddonStatus:
    """Download and install the AI engine into :func:`addon_folder`, replacing an older one only on success.

    ``index`` picks where PyTorch comes from ("pypi" or a URL; default: by ``accelerator``); ``wheels`` installs
    from a folder of wheel files instead, offline; ``packages`` replaces the engine's list (for tests). Raises
    :class:`PixlcraftError` with pip's last words when it fails, and :class:`Cancelled` (leaving no partial
    folder) when ``cancel`` fires.
    """
    from . import runtime

    reporter = Reporter(progress, cancel)
    reporter.report("Installing the AI engine", 0, 0, message="starting")
    accelerator = accelerator or detect_accelerator()
    folder = addon_folder()
    staging = folder.with_name(folder.name + ".partial")
    constraints = folder.with_name(folder.name + ".constraints.txt")
    try:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        constraints.write_text(constraints_text(), encoding="utf-8")
        arguments = pip_arguments(staging, constraints, torch_index(accelerator, index), wheels, packages)
        _run_pip(runtime.module_command("pip", *arguments), progress, cancel)
        # record what was installed, then swap the new folder in
        versions = _installed_versions(staging)
        if runtime.frozen():
            drop_shadowed(staging)
        (staging / MARKER).write_text(json.dumps({"accelerator": accelerator, "versions": versions,
                                                  "installed": time.strftime("%Y-%m-%d %H:%M")}, indent=1),
                                      encoding="utf-8")
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        constraints.unlink(missing_ok=True)
    importlib.invalidate_caches()
    activate()
    return status()


def _run_pip(command: list[str], progress: ProgressCallback | None, cancel: CancelToken | None) -> None:
    """Run pip, turning its output into progress; stop it at once when ``cancel`` fires."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PIP_NO_INPUT="1")
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace", env=env, bufsize=1)
    except OSError as exc:
        raise PixlcraftError(f"could not start the installer ({exc}).") from exc
    parser = _PipOutput(Reporter(progress))  # the reader thread reports; only this thread cancels
    reader = threading.Thread(target=lambda: [parser.feed(line) for line in process.stdout], daemon=True)
    reader.start()
    try:
        while process.poll() is None:
            if cancel is not None and cancel.cancelled:
                raise Cancelled("the AI engine was not installed (cancelled); nothing changed.")
            time.sleep(0.1)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    reader.join(5)
    if process.returncode != 0:
        tail = "\n".join(parser.tail[-6:])
        raise PixlcraftError(
            f"installing the AI engine failed (pip exit code {process.returncode}); nothing changed. "
            f"Check the internet connection and free disk space, then try again. pip said:\n{tail}")


#: Top-level folders of the add-on that the installed app's own copies shadow (same versions, pinned): never
#: imported from the add-on, so not kept (about 100 MB).
SHADOWED = ("numpy", "numpy.libs", "PIL", "pillow.libs", "tqdm", "platformdirs", "charset_normalizer")


def drop_shadowed(folder: Path) -> None:
    """Remove the add-on's copies of packages the app bundles (their metadata stays, for version checks)."""
    for name in SHADOWED:
        shutil.rmtree(folder / name, ignore_errors=True)


def _installed_versions(folder: Path) -> dict[str, str]:
    versions = {}
    for info in folder.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        if name.lower().replace("_", "-") in ("torch", "diffusers", "transformers", "accelerate", "peft",
                                                "safetensors", "huggingface-hub"):
            versions[name] = version
    return versions


def remove() -> bool:
    """Delete the add-on (the models stay: they live in the model cache). True if there was one."""
    folder = addon_folder()
    if not folder.exists():
        return False
    if str(folder) in sys.path:
        sys.path.remove(str(folder))
    shutil.rmtree(folder)
    return True
