"""Source vs installed app: child-process commands, resources, and the numba cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pixlcraft import runtime


def test_ordinary_command_lines_are_left_to_the_caller() -> None:
    assert runtime.run_module_from_argv([]) is None
    assert runtime.run_module_from_argv(["convert", "x.jpg"]) is None


def test_a_module_runs_as_python_dash_m_would(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    code = runtime.run_module_from_argv([runtime.RUN_MODULE_FLAG, "pixlcraft.desktop_entry", str(tmp_path / "app"),
                                         str(tmp_path / "share")])
    assert code == 0
    assert (tmp_path / "share" / "applications" / "pixlcraft.desktop").is_file()
    # a module's own usage error comes back as its exit code, not as an exception
    assert runtime.run_module_from_argv([runtime.RUN_MODULE_FLAG, "pixlcraft.desktop_entry"]) == 2
    assert runtime.run_module_from_argv([runtime.RUN_MODULE_FLAG]) == 2


def test_child_commands_from_source_use_this_python(tmp_path: Path) -> None:
    command = runtime.module_command("pixlcraft.desktop_entry", str(tmp_path / "app"), str(tmp_path / "share"))
    assert command[:3] == [sys.executable, "-m", "pixlcraft.desktop_entry"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    assert (tmp_path / "share" / "mime" / "packages" / "pixlcraft.xml").is_file()


def test_frozen_child_commands_go_through_the_cli_executable(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "pixlcraft-app"))
    command = runtime.module_command("pip", "install", "x")
    assert command == [str(tmp_path / "pixlcraft"), runtime.RUN_MODULE_FLAG, "pip", "install", "x"]


def test_frozen_app_keeps_numba_cache_in_the_user_cache(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(runtime, "_prepared", False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("PIXLCRAFT_CACHE_DIR", str(tmp_path / "cache"))
    runtime.prepare()
    assert os.environ["NUMBA_CACHE_DIR"] == str(tmp_path / "cache" / "numba")


def test_resources_join_one_part_at_a_time() -> None:
    font = runtime.resource("pixlcraft._resources", "fonts", "DejaVuSans.ttf")
    assert font.is_file() and font.read_bytes()[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")
    assert runtime.resource("pixlcraft._palettes", "dmc.csv").read_text(encoding="utf-8").startswith("code,")
