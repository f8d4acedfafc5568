"""Qt lives in pixlcraft.gui only: the core, the CLI and the exporters must work where PySide6 is not installed.

import-linter would state this as a contract; without it, a subprocess imports every other module with PySide6
made unimportable, and a scan of the sources catches an import hidden inside a function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QT_NAMES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")

_PROBE = r"""
import importlib, importlib.abc, json, pkgutil, sys, traceback

class NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {names!r}:
            raise ImportError(f"Qt is blocked outside pixlcraft.gui (tried to import {{name}})")
        return None

sys.meta_path.insert(0, NoQt())
import pixlcraft

failures, imported = {{}}, []
def skip(name):
    return name.startswith("pixlcraft.gui") or name.endswith(".__main__")
for info in pkgutil.walk_packages(pixlcraft.__path__, "pixlcraft.", onerror=lambda n: None):
    if skip(info.name):
        continue
    try:
        importlib.import_module(info.name)
        imported.append(info.name)
    except BaseException:
        failures[info.name] = traceback.format_exc(limit=3)
qt = sorted(m for m in sys.modules if m.split(".")[0] in {names!r})
print(json.dumps({{"imported": imported, "failures": failures, "qt": qt}}))
""".format(names=set(QT_NAMES))


def test_every_module_outside_gui_imports_without_qt() -> None:
    proc = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["failures"], "\n".join(f"{k}:\n{v}" for k, v in result["failures"].items())
    assert result["qt"] == []
    expected = {"pixlcraft.edit", "pixlcraft.settings", "pixlcraft.autosave", "pixlcraft.recent",
                "pixlcraft.convert", "pixlcraft.pattern", "pixlcraft.cli"}
    assert expected <= set(result["imported"])


def test_no_source_outside_gui_mentions_qt() -> None:
    offenders = []
    for path in sorted((ROOT / "pixlcraft").rglob("*.py")):
        rel = path.relative_to(ROOT / "pixlcraft")
        if rel.parts[0] == "gui":
            continue
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if any(name in line for name in QT_NAMES):
                offenders.append(f"pixlcraft/{rel.as_posix()}:{n}: {line.strip()}")
    assert not offenders, "Qt belongs in pixlcraft/gui only:\n" + "\n".join(offenders)


def test_the_gui_package_really_uses_qt() -> None:
    """The scan above would pass vacuously if the GUI moved elsewhere; make sure the bridge is where it says."""
    assert "PySide6" in (ROOT / "pixlcraft" / "gui" / "bridge.py").read_text(encoding="utf-8")
