"""The wheel must carry every sub-package and the data the program reads at run time."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_subpackage_is_listed() -> None:
    listed = set(_config()["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "pixlcraft").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject [tool.setuptools] packages: {sorted(found - listed)}"


def test_data_folders_are_mapped_and_their_files_match_the_patterns() -> None:
    cfg = _config()
    for package, folder in cfg["package-dir"].items():
        assert package in cfg["packages"]
        patterns = cfg["package-data"][package]
        files = [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        assert files, folder
        for f in files:
            rel = f.relative_to(ROOT / folder)
            assert any(rel.match(pat) for pat in patterns), f"{folder}/{rel} would be left out of the wheel"


def test_the_version_is_written_once() -> None:
    import importlib.metadata

    import pixlcraft

    assert importlib.metadata.version("pixlcraft") == pixlcraft.__version__
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"] and "version" not in project


def test_the_installers_leave_the_ai_engine_to_the_add_on() -> None:
    import re

    from pixlcraft.addon import requirements

    names = {re.split(r"[<>=!~ ]", r)[0].lower() for r in requirements()}
    spec = (ROOT / "packaging" / "pixlcraft.spec").read_text()
    excluded = set(re.findall(r'"([a-z_]+)"', spec.split("AI_PACKAGES = [")[1].split("]")[0]))
    assert names <= excluded | {"safetensors"} and "torch" in excluded
    pins = (ROOT / "resources" / "ai-constraints.txt").read_text()
    pinned = {line.split("==")[0].lower() for line in pins.splitlines() if "==" in line}
    assert names <= pinned, names - pinned


def test_desktop_entry_and_mime_types(tmp_path) -> None:
    import shutil
    import subprocess
    import xml.etree.ElementTree as ET

    from pixlcraft import desktop_entry

    written = desktop_entry.install(tmp_path, "/opt/Pixl Craft/pixlcraft-app")
    desktop = tmp_path / "applications" / "pixlcraft.desktop"
    text = desktop.read_text()
    assert 'Exec="/opt/Pixl Craft/pixlcraft-app" %f' in text and "application/x-pixlcraft" in text
    if shutil.which("desktop-file-validate"):
        result = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), result.stdout
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    root = ET.parse(tmp_path / "mime" / "packages" / "pixlcraft.xml").getroot()
    types = root.findall("m:mime-type", ns)
    globs = {t.get("type"): [g.get("pattern") for g in t.findall("m:glob", ns)] for t in types}
    assert globs == {"application/x-pixlcraft": ["*.pixl"], "application/x-oxs": ["*.oxs"]}
    assert (tmp_path / "icons" / "hicolor" / "256x256" / "apps" / "pixlcraft.png") in written
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "pixlcraft.svg").is_file()


def test_the_core_model_never_imports_a_file_format_or_an_exporter() -> None:
    import re

    for module in ("pattern.py", "palette/model.py", "palette/files.py", "palette/catalog.py", "material.py",
                   "edit.py", "symbols.py", "convert.py"):
        text = (ROOT / "pixlcraft" / module).read_text(encoding="utf-8")
        assert not re.search(r"from \.+(export|formats)\b|import pixlcraft\.(export|formats)", text), module
    # the palette package is layered model ← files ← catalog, each using only public names of the one below
    layers = {"model": (), "files": ("model",), "catalog": ("model", "files")}
    for name, below in layers.items():
        text = (ROOT / "pixlcraft" / "palette" / f"{name}.py").read_text(encoding="utf-8")
        imported = set(re.findall(r"^\s*from \.(\w+) import", text, re.M))
        assert imported <= set(below), (name, imported)
        assert not re.search(r"^\s*from \.\w+ import[^\n]*\b_[a-z]", text, re.M), name
