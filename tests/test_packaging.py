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
