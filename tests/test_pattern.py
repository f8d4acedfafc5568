"""The Pattern, its .pixl and .png files, and the atomic writer every file goes through."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pixlcraft.errors import InputError, PatternFileError
from pixlcraft.fileio import atomic_write
from pixlcraft.formats import load_pattern
from pixlcraft.material import BEAD_MIDI
from pixlcraft.palette import Palette, PaletteEntry, load_builtin
from pixlcraft.pattern import (
    EMPTY,
    FORMAT_VERSION,
    PREVIEW_SIDE,
    Pattern,
    load_pixl,
    save_pattern,
    save_pixl,
    save_png,
)
from pixlcraft.sizing import MAX_CELLS

RNG = np.random.default_rng(11)


def small_palette() -> Palette:
    entries = [
        PaletteEntry("A1", "Red", (220, 20, 30)),
        PaletteEntry("A2", "Green", (10, 200, 40)),
        PaletteEntry("A3", "Blue", (0, 40, 230)),
        PaletteEntry("A4", "Clear", (240, 240, 250), transparent=True),
        PaletteEntry("A5", "Black", (5, 5, 5)),
    ]
    return Palette("test beads", "TestBrand", BEAD_MIDI, entries, source="unit test")


def random_grid(h: int, w: int, n: int, empty_share: float = 0.2) -> np.ndarray:
    grid = RNG.integers(0, n, (h, w)).astype(np.int16)
    grid[RNG.random((h, w)) < empty_share] = EMPTY
    return grid


def cell_codes(pattern: Pattern) -> list[list[str | None]]:
    """What each cell is, independent of palette order: the product code, or None for empty."""
    return [[None if i == EMPTY else pattern.palette[int(i)].code for i in row] for row in pattern.grid]


# ------------------------------------------------------------------------------------------------ the Pattern


def test_counts_and_used_match_brute_force() -> None:
    pal = small_palette()
    grid = random_grid(9, 13, 4)
    pattern = Pattern(grid, pal, {"title": "t"})
    assert (pattern.height, pattern.width) == (9, 13)
    expected = [sum(int(v == i) for v in grid.ravel()) for i in range(len(pal))]
    assert pattern.counts().tolist() == expected
    assert pattern.used_indices().tolist() == [i for i, c in enumerate(expected) if c]
    assert pattern.empty_count == int(sum(v == EMPTY for v in grid.ravel()))
    assert pattern.counts().sum() + pattern.empty_count == grid.size


def test_images_use_exact_palette_colours() -> None:
    pal = small_palette()
    grid = random_grid(4, 6, len(pal))
    grid[0, 0] = EMPTY
    pattern = Pattern(grid, pal)
    rgb = pattern.rgb_image(empty_rgb=(1, 2, 3))
    rgba = pattern.rgba_image()
    assert rgb.dtype == np.uint8 and rgb.shape == (4, 6, 3) and rgba.shape == (4, 6, 4)
    for y in range(4):
        for x in range(6):
            i = int(grid[y, x])
            if i == EMPTY:
                assert tuple(rgb[y, x]) == (1, 2, 3) and rgba[y, x, 3] == 0
            else:
                assert tuple(rgb[y, x]) == pal[i].rgb
                assert tuple(rgba[y, x]) == (*pal[i].rgb, 255)
    assert tuple(pattern.rgb_image()[0, 0]) == (255, 255, 255)


def test_grid_is_int16_and_other_integer_types_are_accepted() -> None:
    pattern = Pattern(np.array([[0, 1], [-1, 4]], dtype=np.int64), small_palette())
    assert pattern.grid.dtype == np.int16
    assert pattern.grid.tolist() == [[0, 1], [-1, 4]]


@pytest.mark.parametrize(
    "grid",
    [
        np.zeros((2, 2, 2), np.int16),
        np.zeros((0, 3), np.int16),
        np.zeros((1, MAX_CELLS + 1), np.int16),
        np.array([[0, 5]]),  # palette has 5 entries: 0..4
        np.array([[0, -2]]),
        np.array([[0.0, 1.0]]),
        np.array([[0, 70000]]),  # would wrap to a valid-looking int16 if cast before checking
    ],
)
def test_bad_grids_refused(grid: np.ndarray) -> None:
    with pytest.raises(InputError):
        Pattern(grid, small_palette())


def test_validate_catches_in_place_edits() -> None:
    pattern = Pattern(np.zeros((3, 3), np.int16), small_palette())
    pattern.validate()
    pattern.grid[1, 1] = 9
    with pytest.raises(InputError, match="colour number 9"):
        pattern.validate()


def test_compact_keeps_cells_and_palette_order() -> None:
    pal = small_palette()
    grid = np.array([[4, 2, EMPTY], [2, 4, 4]])
    pattern = Pattern(grid, pal, {"title": "x", "recipe": {"k": [1]}})
    small = pattern.compact()
    assert [e.code for e in small.palette] == ["A3", "A5"]  # palette order, not order of appearance
    assert small.grid.tolist() == [[1, 0, EMPTY], [0, 1, 1]]
    assert cell_codes(small) == cell_codes(pattern)
    np.testing.assert_array_equal(small.rgba_image(), pattern.rgba_image())
    assert small.palette.material == pal.material
    small.metadata["recipe"]["k"].append(2)
    assert pattern.metadata["recipe"]["k"] == [1]  # a real copy


def test_compact_of_all_empty_pattern() -> None:
    pattern = Pattern(np.full((2, 3), EMPTY), small_palette())
    small = pattern.compact()
    assert len(small.palette) == 1 and (small.grid == EMPTY).all()


# ------------------------------------------------------------------------------------------------ .pixl


def lego_pattern() -> tuple[Pattern, Palette]:
    lego = load_builtin("lego")
    n = len(lego)
    trans = [i for i, e in enumerate(lego) if e.transparent]
    grid = random_grid(7, 11, n, empty_share=0.15)
    grid[0, :2] = trans[:2] if len(trans) >= 2 else 0
    metadata = {
        "title": "Wave 🌊 über alles",
        "source": "photos/wave.jpg",
        "recipe": {"maker": "classic", "width": 11, "max_colors": np.int64(12), "crop": (1, 2, 3, 4)},
        "seed": np.int32(42),
        "notes": "line one\nline two",
        "score": np.float32(0.5),
    }
    return Pattern(grid, lego, metadata), lego


def test_pixl_round_trip(tmp_path: Path) -> None:
    pattern, lego = lego_pattern()
    path = tmp_path / "wave.pixl"
    save_pixl(pattern, path)
    loaded = load_pixl(path)

    assert (loaded.height, loaded.width) == (pattern.height, pattern.width)
    assert cell_codes(loaded) == cell_codes(pattern)
    np.testing.assert_array_equal(loaded.grid == EMPTY, pattern.grid == EMPTY)
    np.testing.assert_array_equal(loaded.rgba_image(), pattern.rgba_image())
    # the palette inside is exactly the used entries, every field kept (LEGO ids, transparency)
    used = [lego[int(i)] for i in pattern.used_indices()]
    assert list(loaded.palette.entries) == used
    assert any(e.transparent for e in loaded.palette)
    assert all(e.bricklink_id is not None and e.ldraw_code is not None for e in loaded.palette)
    assert (loaded.palette.name, loaded.palette.brand) == (lego.name, lego.brand)
    assert loaded.palette.material == lego.material
    # metadata: numbers as plain numbers, tuples as lists; created/app_version filled in
    meta = loaded.metadata
    assert meta["title"] == "Wave 🌊 über alles" and meta["notes"] == "line one\nline two"
    assert meta["recipe"] == {"maker": "classic", "width": 11, "max_colors": 12, "crop": [1, 2, 3, 4]}
    assert meta["seed"] == 42 and isinstance(meta["seed"], int) and meta["score"] == 0.5
    assert "created" in meta and "app_version" in meta
    assert "created" not in pattern.metadata  # saving does not edit the pattern in memory
    # a second save/load changes nothing
    save_pixl(loaded, tmp_path / "again.pixl")
    again = load_pixl(tmp_path / "again.pixl")
    assert cell_codes(again) == cell_codes(loaded) and again.metadata == loaded.metadata
    assert list(again.palette.entries) == list(loaded.palette.entries)


def test_pixl_contents(tmp_path: Path) -> None:
    pal = small_palette()
    grid = random_grid(30, 300, 3)  # wider than the preview
    path = tmp_path / "p.pixl"
    save_pattern(Pattern(grid, pal, {"title": "wide"}), path)
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"pattern.json", "grid.npy", "preview.png"}
        assert zf.getinfo("grid.npy").compress_type == zipfile.ZIP_DEFLATED
        doc = json.loads(zf.read("pattern.json"))
        stored = np.load(io.BytesIO(zf.read("grid.npy")), allow_pickle=False)
        preview = Image.open(io.BytesIO(zf.read("preview.png")))
        preview.load()
    # no stitch layers: written as format 1, which every PixlCraft opens (layers make it FORMAT_VERSION)
    assert doc["format"] == "pixlcraft-pattern" and doc["version"] == 1 < FORMAT_VERSION
    assert (doc["width"], doc["height"]) == (300, 30) and doc["grid"] == "grid.npy"
    assert [e["code"] for e in doc["palette"]["entries"]] == ["A1", "A2", "A3"]
    assert stored.dtype == np.int16 and stored.shape == (30, 300)
    np.testing.assert_array_equal(stored, grid)  # the first three entries are used, so indices are unchanged
    assert max(preview.size) == PREVIEW_SIDE and preview.mode == "RGBA"


def test_pixl_opens_without_the_original_palette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pattern = Pattern(np.array([[0, 3], [3, EMPTY]]), small_palette())
    save_pixl(pattern, tmp_path / "own.pixl")
    import pixlcraft.palette as palette_module

    def no_files(*args: object, **kwargs: object) -> None:
        raise AssertionError("loading a .pixl must not read palette files")

    monkeypatch.setattr(palette_module, "load_builtin", no_files)
    monkeypatch.setattr(palette_module, "resolve_palette", no_files)
    loaded = load_pattern(tmp_path / "own.pixl")
    assert [e.code for e in loaded.palette] == ["A1", "A4"]
    assert loaded.palette[1].transparent


def write_pixl(path: Path, doc: object, grid: np.ndarray | None, *, raw_json: bytes | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if raw_json is not None or doc is not None:
            zf.writestr("pattern.json", raw_json if raw_json is not None else json.dumps(doc))
        if grid is not None:
            buf = io.BytesIO()
            np.save(buf, grid, allow_pickle=False)
            zf.writestr("grid.npy", buf.getvalue())
    return path


def good_doc(h: int = 2, w: int = 3) -> dict:
    return {
        "format": "pixlcraft-pattern",
        "version": 1,
        "width": w,
        "height": h,
        "metadata": {"title": "x"},
        "palette": small_palette().to_dict(),
        "grid": "grid.npy",
    }


def test_hand_written_pixl_loads(tmp_path: Path) -> None:
    path = write_pixl(tmp_path / "ok.pixl", good_doc(), np.array([[0, 1, 2], [EMPTY, 4, 4]], np.int16))
    pattern = load_pixl(path)
    assert pattern.grid.tolist() == [[0, 1, 2], [EMPTY, 4, 4]] and pattern.metadata == {"title": "x"}


def refusal(path: Path, *words: str) -> None:
    with pytest.raises(PatternFileError) as info:
        load_pixl(path)
    message = str(info.value)
    assert str(path) in message
    for w in words:
        assert w in message


def test_load_refusals(tmp_path: Path) -> None:
    grid = np.array([[0, 1, 2], [EMPTY, 4, 4]], np.int16)

    refusal(tmp_path / "missing.pixl", "does not exist")
    (tmp_path / "text.pixl").write_text("hello")
    refusal(tmp_path / "text.pixl", "not a ZIP")
    refusal(write_pixl(tmp_path / "nojson.pixl", None, grid), "no pattern.json")
    refusal(write_pixl(tmp_path / "nogrid.pixl", good_doc(), None), "grid", "missing")
    refusal(write_pixl(tmp_path / "badjson.pixl", None, grid, raw_json=b'{"format": '), "not valid JSON")
    other = write_pixl(tmp_path / "other.pixl", {**good_doc(), "format": "zip-of-cats"}, grid)
    refusal(other, "not a PixlCraft")

    newer = write_pixl(tmp_path / "newer.pixl", {**good_doc(), "version": FORMAT_VERSION + 1}, grid)
    refusal(newer, "newer PixlCraft", "please update")
    refusal(write_pixl(tmp_path / "v0.pixl", {**good_doc(), "version": 0}, grid), "version")
    refusal(write_pixl(tmp_path / "vtext.pixl", {**good_doc(), "version": "1"}, grid), "version")

    refusal(write_pixl(tmp_path / "shape.pixl", good_doc(3, 2), grid), "grid is (2, 3)")
    refusal(write_pixl(tmp_path / "huge.pixl", good_doc(1, MAX_CELLS + 1), grid), "outside")
    refusal(write_pixl(tmp_path / "range.pixl", good_doc(), np.array([[0, 1, 2], [3, 4, 5]], np.int16)), "5")
    refusal(write_pixl(tmp_path / "float.pixl", good_doc(), grid.astype(np.float32)), "whole palette indices")
    refusal(write_pixl(tmp_path / "3d.pixl", good_doc(), grid[None]), "grid is")

    bad_palette = {**good_doc(), "palette": {"name": "p", "brand": "b", "entries": []}}
    refusal(write_pixl(tmp_path / "pal.pixl", bad_palette, grid), "palette")
    refusal(write_pixl(tmp_path / "meta.pixl", {**good_doc(), "metadata": [1, 2]}, grid), "metadata")
    deep = b'{"format": "pixlcraft-pattern", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    refusal(write_pixl(tmp_path / "deep.pixl", None, grid, raw_json=deep), "nested far too deeply")
    for pitch in (float("inf"), 1e300, 0.0, -3.0):
        material = {"key": "odd", "craft": "bead", "description": "odd", "pitch_mm": pitch}
        odd = {**good_doc(), "palette": {**small_palette().to_dict(), "material": material}}
        refusal(write_pixl(tmp_path / "pitch.pixl", odd, grid), "palette", "cells are 0.1–100 mm")

    (tmp_path / "grid-npy-text.pixl").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "grid-npy-text.pixl", "w") as zf:
        zf.writestr("pattern.json", json.dumps(good_doc()))
        zf.writestr("grid.npy", b"this is not numpy")
    refusal(tmp_path / "grid-npy-text.pixl", "grid cannot be read")


def test_load_refuses_corrupted_member(tmp_path: Path) -> None:
    pattern = Pattern(random_grid(20, 20, 5), small_palette())
    path = tmp_path / "p.pixl"
    save_pixl(pattern, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("grid.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 5 : start + 25] = bytes(20)  # damage the compressed grid
    path.write_bytes(bytes(data))
    refusal(path, "damaged")


def test_failed_save_keeps_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "keep.pixl"
    good = Pattern(np.array([[0, 1]]), small_palette(), {"title": "good"})
    save_pixl(good, path)
    before = path.read_bytes()
    bad = Pattern(np.array([[2, 2]]), small_palette(), {"title": "bad", "thing": object()})
    with pytest.raises(InputError, match="thing"):
        save_pixl(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.pixl"]
    assert load_pixl(path).metadata["title"] == "good"


def test_disk_full_mid_save_keeps_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "keep.pixl"
    save_pixl(Pattern(np.array([[0, 1]]), small_palette(), {"title": "good"}), path)
    before = path.read_bytes()
    real_writestr = zipfile.ZipFile.writestr
    calls = []

    def fill_disk(self: zipfile.ZipFile, name: object, data: object, *args: object, **kwargs: object) -> None:
        calls.append(name)
        if len(calls) == 2:  # pattern.json is written, then the disk fills up
            raise OSError(28, "No space left on device")
        real_writestr(self, name, data, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fill_disk)
    with pytest.raises(InputError, match="cannot write .*No space left"):
        save_pixl(Pattern(np.array([[2, 2]]), small_palette(), {"title": "new"}), path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.pixl"]


def test_save_into_missing_folder(tmp_path: Path) -> None:
    pattern = Pattern(np.array([[0]]), small_palette())
    with pytest.raises(InputError, match="cannot write"):
        save_pixl(pattern, tmp_path / "no" / "such" / "p.pixl")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere")
def test_save_into_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(InputError, match="cannot write"):
            save_png(Pattern(np.array([[0]]), small_palette()), folder / "p.png")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


# ------------------------------------------------------------------------------------------------ .png


def test_png_has_exact_colours_and_no_alpha_without_empty_cells(tmp_path: Path) -> None:
    pal = small_palette()
    grid = random_grid(5, 8, len(pal), empty_share=0.0)
    save_png(Pattern(grid, pal, {"title": "Tëst"}), tmp_path / "p.png")
    with Image.open(tmp_path / "p.png") as im:
        im.load()
        assert im.mode == "RGB" and im.size == (8, 5)
        assert im.info.get("Title") == "Tëst" and "PixlCraft" in im.info.get("Software", "")
        px = np.asarray(im)
    for y in range(5):
        for x in range(8):
            assert tuple(px[y, x]) == pal[int(grid[y, x])].rgb


def test_png_empty_cells_are_transparent(tmp_path: Path) -> None:
    pal = small_palette()
    grid = random_grid(5, 8, len(pal), empty_share=0.3)
    grid[0, 0] = EMPTY
    save_pattern(Pattern(grid, pal), tmp_path / "p.PNG")
    with Image.open(tmp_path / "p.PNG") as im:
        assert im.mode == "RGBA"
        px = np.asarray(im)
    for y in range(5):
        for x in range(8):
            i = int(grid[y, x])
            assert px[y, x, 3] == (0 if i == EMPTY else 255)
            if i != EMPTY:
                assert tuple(px[y, x, :3]) == pal[i].rgb


@pytest.mark.parametrize("scale", [2, 5])
def test_png_scale_gives_blocks(tmp_path: Path, scale: int) -> None:
    pal = small_palette()
    grid = random_grid(4, 6, len(pal))
    save_png(Pattern(grid, pal), tmp_path / "big.png", scale=scale)
    with Image.open(tmp_path / "big.png") as im:
        assert im.size == (6 * scale, 4 * scale)
        px = np.asarray(im.convert("RGBA"))
    expected = Pattern(grid, pal).rgba_image()
    for y in range(4):
        for x in range(6):
            block = px[y * scale : (y + 1) * scale, x * scale : (x + 1) * scale]
            assert (block == expected[y, x]).all()


def test_png_scale_refusals(tmp_path: Path) -> None:
    pattern = Pattern(np.zeros((MAX_CELLS, 10), np.int16), small_palette())
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="scale"):
            save_png(pattern, tmp_path / "x.png", scale=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="at most 16"):
        save_png(pattern, tmp_path / "x.png", scale=17)
    assert not (tmp_path / "x.png").exists()


def test_save_and_load_by_extension(tmp_path: Path) -> None:
    pattern = Pattern(np.array([[0, 1]]), small_palette())
    save_pattern(pattern, tmp_path / "Upper.PIXL")
    assert cell_codes(load_pattern(tmp_path / "Upper.PIXL")) == [["A1", "A2"]]
    with pytest.raises(InputError) as info:
        save_pattern(pattern, tmp_path / "p.jpg")
    assert ".pixl" in str(info.value) and ".png" in str(info.value) and "p.jpg" in str(info.value)
    save_png(pattern, tmp_path / "p.png")
    with pytest.raises(InputError, match=".pixl"):
        load_pattern(tmp_path / "p.png")


# ----------------------------------------------------------------------------------------------- atomic_write


def test_atomic_write_replaces_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(path, "w") as f:
            f.write("new but incomplete")
            raise RuntimeError("exporter bug")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with atomic_write(path, "w", newline="\n") as f:
        f.write("née\n")
    assert path.read_bytes() == "née\n".encode()
    with atomic_write(tmp_path / "b.bin") as f:
        f.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.bin", "f.txt"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_atomic_write_permissions(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    os.umask(mask)
    with atomic_write(tmp_path / "new.bin") as f:
        f.write(b"x")
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o666 & ~mask
    (tmp_path / "new.bin").chmod(0o640)
    with atomic_write(tmp_path / "new.bin") as f:
        f.write(b"y")
    assert (tmp_path / "new.bin").stat().st_mode & 0o777 == 0o640


def test_atomic_write_refusals(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot write"):
        with atomic_write(tmp_path / "missing" / "f.bin") as f:
            f.write(b"x")
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        with atomic_write(tmp_path / "file" / "f.bin") as f:
            f.write(b"x")
    (tmp_path / "dir.png").mkdir()
    with pytest.raises(InputError, match="folder"):
        with atomic_write(tmp_path / "dir.png") as f:
            f.write(b"x")
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "a.bin", "ab"):
            pass
