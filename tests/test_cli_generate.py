"""``pixlcraft generate`` and ``pixlcraft models`` end to end on tiny models: files read back, Ctrl+C, errors."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("torch")
pytest.importorskip("diffusers")

from pixlcraft.cli import common, main  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.pattern import load_pixl  # noqa: E402
from pixlcraft.sdpixl.pipeline import load_state  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

PERLER = {tuple(c) for c in load_builtin("perler").rgb}


def _fake_hub_cache(cache: Path, repo_id: str, source: Path, commit: str = "c" * 40) -> Path:
    """``source`` laid out as a Hugging Face cache snapshot (blobs, symlinks, refs/main)."""
    storage = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = storage / "snapshots" / commit
    (storage / "blobs").mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(sorted(p for p in source.rglob("*") if p.is_file())):
        blob = storage / "blobs" / f"blob{i}"
        shutil.copyfile(f, blob)
        link = snapshot / f.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    (storage / "refs").mkdir(exist_ok=True)
    (storage / "refs" / "main").write_text(commit)
    return snapshot


@pytest.fixture()
def cache(tmp_path, monkeypatch, tiny_models) -> Path:
    """A model cache holding only TAESD-XL (under its real Hub id), so the default --vae comes from the store."""
    folder = tmp_path / "hub"
    _fake_hub_cache(folder, "madebyollin/taesdxl", tiny_models.taesd)
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(folder))
    return folder


@pytest.fixture()
def photo(tmp_path) -> Path:
    y, x = np.mgrid[0:50, 0:50]
    img = np.stack([x * 5, y * 5, (x + y) * 2.5], -1)
    img[10:30, 15:35] = (200, 20, 40)
    path = tmp_path / "photo.png"
    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(path)
    return path


def _args(tiny, out: Path, *extra: str, steps: int = 3) -> list[str]:
    """A tiny prompt-only run: --vae is left out on purpose (found in the ``cache`` fixture by its Hub id)."""
    return [
        "generate", "--prompt", "a red rose", "--palette", "perler", "--width", "12", "--height", "8",
        "--steps", str(steps), "--seed", "5", "--device", "cpu", "--canvas-side", "64",
        "--reference-samples", "2", "--reference-steps", "2", "--no-download",
        "--base-model", str(tiny.base), "--controlnet-canny", str(tiny.controlnet_canny),
        "--controlnet-depth", str(tiny.controlnet_depth), "--depth-model", str(tiny.depth),
        "--clip-model", str(tiny.clip), "-o", str(out), *extra,
    ]


def test_prompt_only_run_writes_a_pixl_with_recipe_seed_and_reference(tiny_models, cache, tmp_path, capsys):
    out = tmp_path / "rose.pixl"
    ref = tmp_path / "reference.png"
    lora = str(tiny_models.lora)
    assert main(_args(tiny_models, out, "--save-reference", str(ref), "--lora", lora, "--lora-scale", "0.5")) == 0
    pattern = load_pixl(out)
    assert pattern.grid.shape == (8, 12)
    assert {tuple(c) for c in pattern.rgb_image().reshape(-1, 3)} <= PERLER
    meta = pattern.metadata
    assert meta["seed"] == 5 and meta["prompt"] == "a red rose" and meta["complete"] is True
    assert meta["recipe"]["name"] == "fast" and meta["recipe"]["steps"] == 3 and meta["recipe"]["init"] == "reference"
    assert meta["recipe"]["models"]["vae"] == "madebyollin/taesdxl"  # the default, found in the cache
    assert len(meta["recipe"]["reference"]["clip_scores"]) == 2
    assert meta["recipe"]["models"]["lora"].endswith("pytorch_lora_weights.safetensors")
    assert meta["recipe"]["lora_scale"] == 0.5
    assert Image.open(ref).size == tuple(meta["recipe"]["canvas"])
    printed = capsys.readouterr().out
    assert "12×8 cells" in printed and "seed 5" in printed


def test_photo_run_with_controlnets_writes_a_palette_exact_png(tiny_models, cache, tmp_path, photo):
    out = tmp_path / "rose.png"
    assert main(_args(tiny_models, out, "--image", str(photo), "--width", "9", "--height", "14",
                      "--max-colors", "4", "--scale", "2")) == 0
    img = np.asarray(Image.open(out).convert("RGB"))
    assert img.shape == (28, 18, 3)
    cells = img[::2, ::2].reshape(-1, 3)
    colours = {tuple(c) for c in cells}
    assert colours <= PERLER and len(colours) <= 4
    np.testing.assert_array_equal(np.repeat(np.repeat(img[::2, ::2], 2, 0), 2, 1), img)


def _interrupt_at(step: int, monkeypatch, how: str) -> None:
    """Make the progress bar hook see Ctrl+C at the given optimisation step."""
    original = common.ProgressBar.__call__

    def hook(self, p):
        if p.stage == "generate" and p.done == step:
            if how == "raise":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl+C, delivered to the CLI's handler
        return original(self, p)

    monkeypatch.setattr(common.ProgressBar, "__call__", hook)


def test_ctrl_c_saves_the_pattern_and_a_state_that_resumes(tiny_models, cache, tmp_path, capsys, monkeypatch):
    out = tmp_path / "rose.pixl"
    _interrupt_at(2, monkeypatch, "raise")
    assert main(_args(tiny_models, out, steps=4)) == 130
    err = capsys.readouterr().err
    state = Path(str(out) + ".state")
    assert out.is_file() and state.is_file()
    assert f"--resume {state}" in err and "Traceback" not in err
    partial = load_pixl(out)
    assert partial.metadata["complete"] is False and partial.metadata["recipe"]["steps_done"] == 2
    assert {tuple(c) for c in partial.rgb_image().reshape(-1, 3)} <= PERLER
    assert load_state(state).steps_done == 2

    monkeypatch.undo()
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(cache))
    assert main(_args(tiny_models, out, "--resume", str(state), steps=4)) == 0
    done = load_pixl(out)
    assert done.metadata["complete"] is True and done.metadata["recipe"]["steps_done"] == 4
    # the same command with another seed is refused: the state belongs to seed 5
    args = _args(tiny_models, out, "--resume", str(state), steps=4)
    args[args.index("--seed") + 1] = "6"
    assert main(args) == 2
    assert "the seed (5 then, 6 now)" in capsys.readouterr().err


def test_real_sigint_stops_after_the_current_step_and_saves(tiny_models, cache, tmp_path, capsys, monkeypatch):
    out = tmp_path / "rose.png"
    _interrupt_at(1, monkeypatch, "signal")
    before = signal.getsignal(signal.SIGINT)
    assert main(_args(tiny_models, out, "--init", "random", steps=4)) == 130
    assert signal.getsignal(signal.SIGINT) is before  # the CLI's handler is gone again
    assert out.is_file()
    assert load_state(Path(str(out) + ".state")).steps_done == 1
    assert "stopped after step 1 of 4" in capsys.readouterr().err


def test_missing_model_exits_2_with_the_stores_message(tiny_models, cache, tmp_path, capsys):
    out = tmp_path / "x.pixl"
    args = _args(tiny_models, out)
    args[args.index("--base-model") + 1] = str(tmp_path / "no-such-sdxl")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "no-such-sdxl" in err and "--base-model" in err and "Traceback" not in err
    args = _args(tiny_models, out, "--controlnet-canny", "someone/not-a-controlnet")
    args.remove("--no-download")  # downloads allowed, but the tests run with HF_HUB_OFFLINE=1
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "someone/not-a-controlnet" in err and "HF_HUB_OFFLINE" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--width", "0"), "width"),
        (("--prompt", ""), "prompt is empty"),
        (("--init", "photo"), "--image"),
        (("--steps", "0"), "steps"),
        (("-o", "out.jpg"), "must end in .pixl or .png"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tiny_models, tmp_path, capsys, change, message):
    args = _args(tiny_models, tmp_path / "x.pixl", "--init", "reference")
    flag, value = change
    args[args.index(flag) + 1] = value
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.strip().count("\n") == 0


def test_compile_and_deterministic_flags_reach_the_request_and_recipe(tiny_models, tmp_path, capsys, monkeypatch):
    from pixlcraft.errors import InputError
    from pixlcraft.sdpixl import pipeline

    requests = []

    def fake_generate(request, progress=None, cancel=None):
        requests.append(request)
        raise InputError("stop here")

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    assert main(_args(tiny_models, tmp_path / "x.pixl", "--compile", "--deterministic")) == 2
    assert main(_args(tiny_models, tmp_path / "x.pixl")) == 2
    flagged, plain = requests
    assert flagged.compile is True and flagged.deterministic is True
    assert plain.compile is False and plain.deterministic is False
    assert pipeline._check_request(flagged).recipe.compile is True
    assert pipeline._check_request(plain).recipe.compile is False
    err = capsys.readouterr().err
    assert err.count("--compile needs a CUDA GPU") == 1  # said once, for the --compile run on the CPU


def test_models_list_path_and_download(tiny_models, cache, capsys):
    assert main(["models", "path"]) == 0
    assert capsys.readouterr().out.strip() == str(cache)

    assert main(["models", "list"]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:] if line.strip()}
    assert "installed" in rows["taesdxl"] and str(cache) in rows["taesdxl"]
    size_on_disk = sum(p.stat().st_size for p in tiny_models.taesd.rglob("*") if p.is_file())
    assert f"{size_on_disk / 1e6:.0f} MB" in rows["taesdxl"]
    assert "not installed" in rows["sdxl-base"] and "~6.8 GB" in rows["sdxl-base"]

    assert main(["models", "download", "taesdxl"]) == 0  # already there: no network needed
    assert "already in the cache" in capsys.readouterr().out
    assert main(["models", "download", "controlnet-canny"]) == 2  # offline in the tests
    err = capsys.readouterr().err
    assert "HF_HUB_OFFLINE" in err and err.strip().count("\n") == 0
    assert main(["models", "download", "someone/unknown"]) == 2
    assert "--role" in capsys.readouterr().err


def test_generate_from_a_stash_uses_only_its_beads_and_never_more(tiny_models, cache, tmp_path, capsys):
    """96 cells from a bead stash of 30 + 30 + 40 + 200: only those four colours, none beyond its count."""
    stash = tmp_path / "beads.csv"
    stash.write_text("code,quantity\nEvergreen,30\nLavender,30\nFlamingo,40\nCharcoal,200\n", encoding="utf-8")
    out = tmp_path / "rose.pixl"
    assert main(_args(tiny_models, out, "--stash", str(stash))) == 0
    pattern = load_pixl(out)
    counts = pattern.counts()
    used = {pattern.palette[i].code: int(counts[i]) for i in np.flatnonzero(counts)}
    limits = {"80-15179": 30, "80-15182": 30, "80-15203": 40, "80-15207": 200}
    assert set(used) <= set(limits) and all(used[c] <= limits[c] for c in used) and sum(used.values()) == 96
    assert pattern.metadata["recipe"]["stash"]["family"] == "bead"
    too_small = tmp_path / "few.csv"
    too_small.write_text("code,quantity\nEvergreen,10\n", encoding="utf-8")
    assert main(_args(tiny_models, tmp_path / "no.pixl", "--stash", str(too_small))) == 2
    assert "has enough for 10 cells, but this 12×8 pattern has 96" in capsys.readouterr().err
