"""The export registry and ``pixlcraft export``: one list of formats, strict options, atomic files."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

from pixlcraft.cli import main
from pixlcraft.errors import InputError
from pixlcraft.export import ExportFormat, ExportOption, export, formats, get_format, registry, resolve_options
from pixlcraft.fileio import atomic_write
from pixlcraft.palette import load_builtin
from pixlcraft.pattern import Pattern, save_pixl


@pytest.fixture()
def pattern() -> Pattern:
    dmc = load_builtin("dmc")
    grid = np.array([[0, 1, 2, -1], [2, 2, 1, 0], [5, 5, 5, 5]], np.int16)
    return Pattern(grid, dmc, {"title": "Tiny"})


@pytest.fixture()
def fake_module(monkeypatch):
    """A writer module that exists only for the test, listed after the real ones."""

    def install(formats_list: list[ExportFormat], name: str = "_test_writer") -> None:
        mod = types.ModuleType(f"pixlcraft.export.{name}")
        mod.FORMATS = formats_list
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        monkeypatch.setattr(registry, "WRITER_MODULES", (*registry.WRITER_MODULES, name))
        registry._load.cache_clear()

    yield install
    registry._load.cache_clear()


def test_formats_are_listed_with_unique_keys_and_valid_specs() -> None:
    fmts = formats()
    keys = [f.key for f in fmts]
    assert len(keys) == len(set(keys))
    assert {"stitch-pdf", "oxs"} <= set(keys)
    for f in fmts:
        assert f.extension.startswith(".") and f.extension == f.extension.lower()
        assert f.crafts and f.description and callable(f.write)
        assert resolve_options(f, None) == f.defaults()


def test_options_shared_between_formats_agree_in_type() -> None:
    seen: dict[str, tuple[type, str]] = {}
    for f in formats():
        for o in f.options:
            if o.name in seen:
                assert o.type is seen[o.name][0], f"{o.name}: {f.key} vs {seen[o.name][1]}"
            seen[o.name] = (o.type, f.key)


def test_missing_writer_module_is_skipped(monkeypatch) -> None:
    monkeypatch.setattr(registry, "WRITER_MODULES", ("stitch_pdf", "no_such_writer_yet", "oxs"))
    registry._load.cache_clear()
    try:
        assert [f.key for f in formats()] == ["stitch-pdf", "oxs"]
    finally:
        registry._load.cache_clear()


def test_duplicate_keys_are_refused(fake_module) -> None:
    fake_module([ExportFormat("oxs", ".oxs", "again", ("stitch",), (), lambda *a: [])])
    with pytest.raises(ValueError, match="oxs"):
        formats()


@pytest.mark.parametrize(
    "options, needle",
    [
        ({"colour": "red"}, "no option colour"),
        ({"strands": "2"}, "whole number"),
        ({"strands": True}, "whole number"),
        ({"strands": 2.5}, "whole number"),
        ({"strands": 0}, "at least 1"),
        ({"fabric_count": 99}, "at most 40"),
        ({"fabric_count": float("nan")}, "finite"),
        ({"paper": "a3"}, "a4, letter"),
        ({"title": 5}, "text"),
    ],
)
def test_bad_options_name_the_option_and_format(options: dict, needle: str, pattern: Pattern,
                                                tmp_path: Path) -> None:
    with pytest.raises(InputError) as err:
        export(pattern, "stitch-pdf", tmp_path / "x.pdf", options)
    assert needle in str(err.value) and "stitch-pdf" in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_options_are_converted_and_filled() -> None:
    opts = resolve_options(get_format("stitch-pdf"), {"fabric_count": 16, "strands": 3.0})
    assert opts["fabric_count"] == 16.0 and isinstance(opts["fabric_count"], float)
    assert opts["strands"] == 3 and isinstance(opts["strands"], int)
    assert opts["paper"] == "a4"


def test_option_spec_checks_its_own_default() -> None:
    with pytest.raises(InputError):
        ExportOption("count", int, 0, "x", min=1)
    with pytest.raises(ValueError):
        ExportOption("Bad-Name", int, 1, "x")


def test_unknown_format_suggests_the_closest(pattern: Pattern, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Did you mean stitch-pdf"):
        export(pattern, "stich-pdf", tmp_path / "x.pdf")


def test_extension_is_added_or_checked(pattern: Pattern, tmp_path: Path) -> None:
    assert export(pattern, "oxs", tmp_path / "plain") == [tmp_path / "plain.oxs"]
    with pytest.raises(InputError, match=r"\.oxs"):
        export(pattern, "oxs", tmp_path / "plain.pdf")
    with pytest.raises(InputError, match="does not exist"):
        export(pattern, "oxs", tmp_path / "no" / "such.oxs")


def test_failed_writer_leaves_neither_half_file_nor_temp(fake_module, pattern: Pattern, tmp_path: Path) -> None:
    def write(p, path, options, reporter):
        with atomic_write(path, "wb") as f:
            f.write(b"half a file")
            raise RuntimeError("disk on fire")

    fake_module([ExportFormat("broken", ".bin", "fails", ("generic",), (), write)])
    target = tmp_path / "x.bin"
    with pytest.raises(RuntimeError):
        export(pattern, "broken", target)
    assert list(tmp_path.iterdir()) == []


def test_writer_gets_every_option_and_a_reporter(fake_module, pattern: Pattern, tmp_path: Path) -> None:
    got = {}

    def write(p, path, options, reporter):
        got.update(options)
        reporter.report("writing", 1, 1)
        return [registry.write_bytes(path, b"ok")]

    opts = (ExportOption("size", float, 1.5, "a size", min=0), ExportOption("flag", bool, False, "a switch"))
    fake_module([ExportFormat("probe", ".bin", "records", ("generic",), opts, write)])
    seen = []
    assert export(pattern, "probe", tmp_path / "p", {"size": 2}, progress=seen.append) == [tmp_path / "p.bin"]
    assert got == {"size": 2.0, "flag": False} and [s.stage for s in seen] == ["writing"]


# ------------------------------------------------------------------------------------------------ CLI


def test_cli_list_shows_every_format_and_option(capsys) -> None:
    assert main(["export", "--list"]) == 0
    out = capsys.readouterr().out
    for f in formats():
        assert f.key in out
        for o in f.options:
            assert o.flag in out


def test_cli_exports_pixl_and_oxs(pattern: Pattern, tmp_path: Path, capsys) -> None:
    pixl = tmp_path / "t.pixl"
    save_pixl(pattern, pixl)
    assert main(["export", str(pixl), "--format", "oxs", "-o", str(tmp_path / "t"), "--strands", "3"]) == 0
    assert (tmp_path / "t.oxs").is_file()
    assert 'strands="3"' in (tmp_path / "t.oxs").read_text()
    assert main(["export", str(tmp_path / "t.oxs"), "--format", "stitch-pdf", "-o", str(tmp_path / "t.pdf"),
                 "--chart", "bw", "--paper", "letter", "--fabric-count", "18"]) == 0
    assert (tmp_path / "t.pdf").read_bytes().startswith(b"%PDF")
    assert str(tmp_path / "t.pdf") in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--format", "oxs", "-o", "OUT.oxs", "--paper", "a4"], "--paper does not apply to the oxs format"),
        (["--format", "stitch-pdf", "-o", "OUT.pdf", "--strands", "9"], "strands"),
        (["--format", "nope", "-o", "OUT.pdf"], "no export format 'nope'"),
        (["-o", "OUT.pdf"], "--format"),
    ],
)
def test_cli_refuses_bad_requests(argv: list[str], needle: str, pattern: Pattern, tmp_path: Path,
                                  capsys) -> None:
    pixl = tmp_path / "t.pixl"
    save_pixl(pattern, pixl)
    argv = [a.replace("OUT", str(tmp_path / "out")) for a in argv]
    assert main(["export", str(pixl), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.pixl"]


def test_write_files_is_all_or_nothing(tmp_path: Path) -> None:
    first = tmp_path / "a.pdf"
    first.write_bytes(b"old")
    (tmp_path / "a-bw.pdf").mkdir()  # the second target cannot be written
    with pytest.raises(InputError):
        registry.write_files([(first, b"new"), (tmp_path / "a-bw.pdf", b"new too")])
    assert first.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-bw.pdf", "a.pdf"]
    assert registry.write_files([(first, b"new")]) == [first] and first.read_bytes() == b"new"
