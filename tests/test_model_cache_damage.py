"""A damaged or unreadable model cache is a clear message, never an internal error (issue 12, item 6)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_models import _fake_hub_cache

from pixlcraft import model_loading, models
from pixlcraft.models import ModelMissingError

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

TAESD = "madebyollin/taesdxl"
BASE = "stabilityai/stable-diffusion-xl-base-1.0"
WEIGHTS = "diffusion_pytorch_model.safetensors"


@pytest.mark.parametrize("damage", ["truncated", "garbage", "huge header", "config of another model"])
def test_damaged_cached_weights_are_a_clear_error_naming_the_folder(tiny_models, tmp_path: Path, damage: str):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, TAESD, tiny_models.taesd)
    blob = (snapshot / WEIGHTS).resolve()
    if damage == "truncated":
        blob.write_bytes(blob.read_bytes()[:100])
    elif damage == "garbage":
        blob.write_bytes(b"\x10" + bytes(7) + b"{}" + b"x" * 100)
    elif damage == "huge header":
        blob.write_bytes((10**15).to_bytes(8, "little") + b"{}")
    else:
        (snapshot / "config.json").resolve().write_text('{"_class_name": "AutoencoderTiny", "block_out_channels": [8]}')
    loc = models.resolve_model(TAESD, "vae", cache_dir=cache)
    with pytest.raises(ModelMissingError, match=str(snapshot)):
        model_loading.load_taesd(loc)


def test_a_damaged_noise_schedule_is_a_clear_error(tiny_models, tmp_path: Path):
    snapshot = _fake_hub_cache(tmp_path / "hub", BASE, tiny_models.base)
    (snapshot / "scheduler" / "scheduler_config.json").resolve().write_text("{ not json")
    with pytest.raises(ModelMissingError, match="noise schedule"):
        model_loading.load_scheduler(models.ModelLocation(snapshot, "base", "cache"))


def test_a_cache_that_cannot_be_read_says_so(tiny_models, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, TAESD, tiny_models.taesd)
    real_iterdir = Path.iterdir

    def refuse(self: Path):  # what a folder without read permission does for anyone but root
        if self == snapshot.parent:
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(Path, "iterdir", refuse)
    with pytest.raises(ModelMissingError, match="cannot be read \\(Permission denied\\)"):
        models.resolve_model(TAESD, "vae", cache_dir=cache, download=False)
    with pytest.raises(ModelMissingError, match="cannot be read"):
        models.model_status(cache)


def test_a_file_in_place_of_the_cache_and_a_ref_leading_out_of_it(tiny_models, tmp_path: Path):
    afile = tmp_path / "cache-file"
    afile.write_text("not a folder")
    with pytest.raises(ModelMissingError, match="is a file, not a folder"):
        models.resolve_model(TAESD, "vae", cache_dir=afile, download=False)
    out = subprocess.run([sys.executable, "-m", "pixlcraft.cli", "models", "list"], capture_output=True, text=True,
                         env={"PIXLCRAFT_MODEL_CACHE": str(afile), "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 2 and "is a file, not a folder" in out.stderr and "Traceback" not in out.stderr

    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, TAESD, tiny_models.taesd)
    decoy = tmp_path / "outside"
    (decoy / "snapshots" / "x").mkdir(parents=True)
    (cache / "models--madebyollin--taesdxl" / "refs" / "main").write_text("../../../outside")
    assert models.cached_snapshots(cache, TAESD, None) == [snapshot]  # the ref is not followed
