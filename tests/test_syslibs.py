"""The system-library check that replaces Qt's abort with the packages to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pixlcraft import syslibs


def test_known_libraries_name_their_debian_and_fedora_packages() -> None:
    hint = syslibs.install_hint(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-icccm.so.4"])
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1" in hint
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms" in hint
    odd = syslibs.install_hint(["libnothing.so.9"])
    assert "libnothing.so.9" in odd and "apt" not in odd
    message = syslibs.window_message(["libxcb-icccm.so.4"])
    assert "libxcb-icccm.so.4" in message and "libxcb-icccm4" in message and "pixlcraft" in message


@pytest.mark.skipif(not (shutil.which("cc") and shutil.which("ldd")), reason="needs a C compiler and ldd")
def test_unresolved_finds_a_library_the_loader_cannot(tmp_path: Path) -> None:
    # a real ELF file that needs a library which is then removed: what ldd reports for Qt's xcb plugin
    (tmp_path / "dep.c").write_text("int dep(void) { return 1; }\n")
    (tmp_path / "user.c").write_text("int dep(void); int user(void) { return dep(); }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", tmp_path / "libpixldep.so.7", tmp_path / "dep.c",
                    "-Wl,-soname,libpixldep.so.7"], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", tmp_path / "libuser.so", tmp_path / "user.c",
                    "-L", tmp_path, "-l:libpixldep.so.7"], check=True)
    (tmp_path / "libpixldep.so.7").unlink()
    assert syslibs.unresolved([tmp_path / "libuser.so", tmp_path / "libuser.so"]) == ["libpixldep.so.7"]
    assert syslibs.unresolved([tmp_path / "no-such-file.so"]) == []


def test_this_machine_can_open_the_offscreen_window() -> None:
    from pixlcraft.gui.app import qt_folder

    # the test suite runs the window offscreen; its libraries are installed by .ci/run
    assert (qt_folder() / "plugins" / "platforms" / "libqoffscreen.so").is_file()
    assert syslibs.missing_for_window(qt_folder(), "offscreen") == []


def test_platform_follows_the_session(monkeypatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert syslibs.platform_plugin() == "offscreen"
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert syslibs.platform_plugin() == "wayland"
    monkeypatch.setenv("DISPLAY", ":0")
    assert syslibs.platform_plugin() == "xcb"


def test_the_window_says_what_to_install_instead_of_aborting(monkeypatch, capsys) -> None:
    from pixlcraft.gui import app

    created = []
    monkeypatch.setattr(syslibs, "missing_for_window", lambda qt, plugin=None: ["libxcb-icccm.so.4"])
    monkeypatch.setattr(app, "create_application", lambda *a: created.append(1))
    assert app.main([]) == 2
    err = capsys.readouterr().err
    assert "sudo apt install libxcb-icccm4" in err and "Fedora" in err
    assert not created  # Qt was never started


def test_check_system_reports_both_checks(capsys) -> None:
    from pixlcraft.gui import app

    code = app.main(["--check-system"])
    out = capsys.readouterr().out
    assert code in (0, 1) and ("everything" in out if code == 0 else "needs" in out)
