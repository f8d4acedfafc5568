"""The AI add-on installer: what it installs, from where, and that a failed or cancelled install changes nothing.

The real pip runs in a child process exactly as in the installed app, offline, on a small wheel written here.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import json
import sys
import zipfile
from pathlib import Path

import pytest

from pixlcraft import addon
from pixlcraft.errors import Cancelled, PixlcraftError
from pixlcraft.jobs import CancelToken


def _wheel(folder: Path, name: str, version: str, body: str) -> Path:
    """A minimal pure-Python wheel with a correct RECORD."""
    folder.mkdir(parents=True, exist_ok=True)
    dist = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": body,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: pixlcraft-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = "\n".join(record) + "\n"
    out = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(out, "w") as z:
        for path, text in files.items():
            z.writestr(path, text)
    return out


@pytest.fixture
def addon_dir(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("PIXLCRAFT_ADDON_DIR", str(tmp_path / "addons"))
    saved = list(sys.path)
    yield tmp_path / "addons"
    sys.path[:] = saved
    sys.modules.pop("pixlprobe", None)


def test_the_engine_list_is_the_ai_extra_pinned_to_the_tested_versions() -> None:
    wanted = addon.requirements()
    names = {r.split(">")[0].split("=")[0].split("<")[0].strip().lower() for r in wanted}
    assert {"torch", "diffusers", "transformers", "safetensors", "huggingface_hub"} <= names
    pins = addon.constraints_text()
    assert "torch==2.13.0" in pins
    import numpy

    assert f"numpy=={numpy.__version__}" in pins  # the add-on can never replace the app's numpy


def test_pytorch_comes_from_the_index_that_serves_this_accelerator(monkeypatch) -> None:
    monkeypatch.delenv("PIXLCRAFT_TORCH_INDEX", raising=False)
    monkeypatch.setattr(addon, "_platform_key", lambda: "linux")
    assert addon.torch_index("cuda") == ""  # PyPI's Linux wheels are the CUDA build
    assert addon.torch_index("cpu").endswith("/whl/cpu")
    assert addon.torch_index("cpu", "pypi") == ""
    monkeypatch.setattr(addon, "_platform_key", lambda: "win32")
    assert "cu" in addon.torch_index("cuda").rsplit("/", 1)[1]
    monkeypatch.setenv("PIXLCRAFT_ACCELERATOR", "mps")
    assert addon.detect_accelerator() == "mps"
    args = addon.pip_arguments(Path("/t"), Path("/c.txt"), "https://example.invalid/whl/cpu")
    assert args[:3] == ["install", "--target", "/t"] and ":all:" in args and "--index-url" in args
    offline = addon.pip_arguments(Path("/t"), Path("/c.txt"), "", wheels="/w", packages=["x"])
    assert "--no-index" in offline and offline[-1] == "x" and "--index-url" not in offline


def test_install_then_import_then_remove(addon_dir: Path) -> None:
    wheels = addon_dir.parent / "wheels"
    _wheel(wheels, "pixlprobe", "1.0", "VALUE = 42\n")
    reports = []
    status = addon.install(progress=reports.append, wheels=str(wheels), packages=["pixlprobe"], accelerator="cpu")
    assert status.addon_installed and status.size_bytes > 0
    marker = json.loads((addon.addon_folder() / addon.MARKER).read_text())
    assert marker["accelerator"] == "cpu"
    assert reports and reports[0].stage == "Installing the AI engine"
    assert str(addon.addon_folder()) == sys.path[-1]  # after the app's own libraries
    assert importlib.import_module("pixlprobe").VALUE == 42
    assert not list(addon.addon_root().glob("*.partial"))
    assert addon.remove() and not addon.addon_folder().exists() and not addon.remove()


def test_a_failed_install_keeps_the_previous_one(addon_dir: Path) -> None:
    wheels = addon_dir.parent / "wheels"
    _wheel(wheels, "pixlprobe", "1.0", "VALUE = 1\n")
    addon.install(wheels=str(wheels), packages=["pixlprobe"])
    with pytest.raises(PixlcraftError, match="nothing changed") as failure:
        addon.install(wheels=str(wheels), packages=["pixlprobe-not-there"])
    assert "pixlprobe-not-there" in str(failure.value)  # pip's own words are kept
    assert (addon.addon_folder() / "pixlprobe" / "__init__.py").read_text() == "VALUE = 1\n"
    assert not list(addon.addon_root().glob("*.partial"))


def test_cancel_stops_pip_and_leaves_nothing(addon_dir: Path) -> None:
    wheels = addon_dir.parent / "wheels"
    _wheel(wheels, "pixlprobe", "1.0", "VALUE = 1\n")
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        addon.install(cancel=token, wheels=str(wheels), packages=["pixlprobe"])
    assert not addon.installed() and not list(addon.addon_root().glob("*.partial"))


def test_generate_without_the_engine_says_how_to_install_it(monkeypatch, capsys, tmp_path: Path) -> None:
    from pixlcraft.cli import main

    monkeypatch.setattr(addon, "engine_available", lambda: False)
    code = main(["generate", "--prompt", "a rose", "--width", "16", "--height", "16",
                 "-o", str(tmp_path / "r.pixl")])
    err = capsys.readouterr().err
    assert code == 2 and "pixlcraft addon install" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert main(["models", "download", "all"]) == 2
    assert "pixlcraft addon install" in capsys.readouterr().err


def test_addon_status_from_source_reports_the_environment_engine(capsys) -> None:
    from pixlcraft.cli import main

    assert main(["addon", "status"]) == 0
    out = capsys.readouterr().out
    assert "AI engine: available" in out and "from this Python environment" in out


def test_the_installed_app_drops_the_add_ons_copies_of_its_own_libraries(tmp_path: Path) -> None:
    for name in ("numpy", "numpy.libs", "PIL", "torch", "numpy-2.4.6.dist-info"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "x").write_text("x")
    addon.drop_shadowed(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["numpy-2.4.6.dist-info", "torch"]
