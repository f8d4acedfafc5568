"""Settings (one schema, strict setters, forgiving loader) and the recent-files list."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from pixlcraft.recent import RecentFiles
from pixlcraft.settings import FIELDS, Settings, SettingsError, config_dir, load_settings, save_settings, settings_path


@pytest.fixture(autouse=True)
def _config_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PIXLCRAFT_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "config"


def test_schema_and_dataclass_agree() -> None:
    assert [f.name for f in dataclasses.fields(Settings)] == [f.name for f in FIELDS]
    defaults = Settings()
    for f in FIELDS:
        assert getattr(defaults, f.name) == f.default
        if f.kind == "choice":
            assert f.default in f.choices
        assert f.label


def test_config_dir_follows_the_environment(_config_here: Path) -> None:
    assert config_dir() == _config_here
    assert settings_path() == _config_here / "settings.json"


def test_save_and_load_round_trip(_config_here: Path) -> None:
    s = Settings().replace(paper_size="letter", units="in", fabric_count=18, device="CUDA:0", low_memory=True,
                           recent_files_max=3, model_folder=" /models ")
    path = save_settings(s)
    assert path == _config_here / "settings.json"
    doc = json.loads(path.read_text())
    assert doc["paper_size"] == "letter" and doc["device"] == "cuda:0" and doc["model_folder"] == "/models"
    loaded, warnings = load_settings()
    assert warnings == []
    assert loaded == s and loaded.fabric_count == 18.0 and isinstance(loaded.fabric_count, float)


def test_missing_file_gives_defaults_silently() -> None:
    assert load_settings() == (Settings(), [])


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"paper": "a4"}, "no setting 'paper'"),
        ({"paper_size": "a3"}, "one of a4, letter"),
        ({"fabric_count": "14"}, "a number"),
        ({"fabric_count": 100}, "between 4 and 40"),
        ({"recent_files_max": 2.5}, "a whole number"),
        ({"recent_files_max": True}, "a whole number"),
        ({"low_memory": 1}, "true or false"),
        ({"device": "gpu"}, "auto, cpu, cuda"),
        ({"model_folder": 3}, "text"),
    ],
)
def test_setting_a_bad_value_is_refused_with_a_clear_message(changes: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words):
        Settings().replace(**changes)
    with pytest.raises(SettingsError):
        Settings.from_dict(changes)


def test_a_damaged_file_gives_defaults_and_a_warning(_config_here: Path) -> None:
    _config_here.mkdir()
    settings_path().write_text('{"paper_size": "letter",\n  "units": }')
    s, warnings = load_settings()
    assert s == Settings()
    assert len(warnings) == 1 and "damaged (line 2" in warnings[0] and str(settings_path()) in warnings[0]
    settings_path().write_bytes(b"\xff\xfe\x00garbage")
    assert load_settings()[0] == Settings() and "not text" in load_settings()[1][0]
    settings_path().write_text("[1, 2]")
    assert load_settings()[0] == Settings() and len(load_settings()[1]) == 1


def test_unknown_keys_and_bad_values_are_skipped_one_by_one(_config_here: Path) -> None:
    _config_here.mkdir()
    settings_path().write_text(json.dumps({"paper_size": "letter", "colour": "red", "fabric_count": "lots",
                                           "units": "in"}))
    s, warnings = load_settings()
    assert s == Settings(paper_size="letter", units="in")  # the good values survive
    assert len(warnings) == 2
    assert any("unknown setting 'colour'" in w for w in warnings)
    assert any("'fabric_count' must be a number" in w and "default (14.0)" in w for w in warnings)


def test_recent_files_newest_first_without_duplicates_or_missing_files(tmp_path: Path) -> None:
    files = []
    for i in range(5):
        f = tmp_path / f"p{i}.pixl"
        f.write_text("x")
        files.append(f.resolve())
    recent = RecentFiles(max_items=3)
    for f in files[:4]:
        recent.add(f)
    assert recent.items() == [files[3], files[2], files[1]]
    recent.add(files[2])  # re-opening moves it to the top, no duplicate
    assert recent.items() == [files[2], files[3], files[1]]
    files[3].unlink()
    assert recent.items() == [files[2], files[1]]
    # A second list object reads the same file (two windows share it).
    assert RecentFiles(max_items=10).items() == [files[2], files[1]]
    recent.remove(files[2])
    assert recent.items() == [files[1]]
    recent.clear()
    assert recent.items() == []


def test_a_damaged_recent_list_is_empty(_config_here: Path) -> None:
    _config_here.mkdir()
    (_config_here / "recent.json").write_text("{not json")
    assert RecentFiles().items() == []
    (_config_here / "recent.json").write_text('{"files": [3, null, "/nowhere/at/all.pixl"]}')
    assert RecentFiles().items() == []
