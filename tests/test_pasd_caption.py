"""PASD's automatic prompt: a BLIP caption through the model store, into the prompt, the metadata and the PNG.

The captioner is a tiny random BLIP built with transformers' own classes and saved in the layout of
``Salesforce/blip-image-captioning-base``; it is loaded through the same code path as the real one.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from pasd_tiny import build_tiny_blip, build_tiny_pasd

from pixlcraft import models
from pixlcraft.cleanup import cleanup, get_method
from pixlcraft.cleanup.pasd import caption, pipeline
from pixlcraft.imageio import Photo

pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_pasd(tmp_path_factory.mktemp("pasd"))


@pytest.fixture(scope="module")
def blip(tmp_path_factory):
    return build_tiny_blip(tmp_path_factory.mktemp("blip") / "blip-image-captioning-base")


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(tmp_path / "empty-cache"))
    return tmp_path / "empty-cache"


def _photo():
    y, x = np.mgrid[0:30, 0:40].astype(np.float32)
    rgb = np.stack([x / 40, y / 30, 0.5 + 0.4 * np.sin(x / 3) * np.cos(y / 4)], axis=-1)
    return Photo(rgb.astype(np.float32), None, "test.png")


def _options(tiny, **more):
    options = {
        "pasd_model": str(tiny.light),
        "pasd_variant": "light",
        "base_model": str(tiny.base),
        "steps": 2,
        "seed": 3,
        "device": "cpu",
        "pasd_process_size": 64,
        "target_long_side": 48,
    }
    options.update(more)
    return options


def test_caption_cleaning_follows_pasd():
    assert caption.clean_caption("a picture of a blurry dog on noisy grass") == "a clear dog on clean grass"
    assert caption.clean_caption("  A picture of   a cat , ") == "a cat"
    assert caption.clean_caption("two cats") == "two cats"
    assert caption.GENERATION == {"num_beams": 3, "max_length": 30, "min_length": 10, "repetition_penalty": 1.0,
                                  "do_sample": False}


def test_the_model_store_knows_the_caption_model(blip, empty_cache, tmp_path):
    spec = models.MODELS["blip-caption-base"]
    assert (spec.repo_id, spec.role, spec.size_mb) == ("Salesforce/blip-image-captioning-base", "caption", 990)
    assert spec.weights == ("model.safetensors",)  # never the pickled pytorch_model.bin
    assert models.check_folder(blip, "caption") == []
    assert models.DEFAULTS["caption"] == "blip-caption-base"
    # a folder of another kind is refused by its config, not loaded with random layers
    other = tmp_path / "not-blip"
    shutil.copytree(blip, other)
    config = json.loads((other / "config.json").read_text())
    (other / "config.json").write_text(json.dumps({**config, "model_type": "clip"}))
    assert models.check_folder(other, "caption") == ["a blip model (config.json describes a clip)"]
    # not installed: the status row says so; copied into the cache layout: installed
    rows = {r.spec.name: r for r in models.model_status()}
    assert not rows["blip-caption-base"].installed
    assert not caption.caption_installed()
    snapshot = empty_cache / "models--Salesforce--blip-image-captioning-base" / "snapshots" / ("1" * 40)
    shutil.copytree(blip, snapshot)
    (snapshot.parent.parent / "refs").mkdir()
    (snapshot.parent.parent / "refs" / "main").write_text("1" * 40)
    rows = {r.spec.name: r for r in models.model_status()}
    assert rows["blip-caption-base"].installed
    assert caption.caption_installed()
    assert caption.caption_location().path == snapshot.resolve()


def test_missing_caption_model_says_how_to_get_it(empty_cache):
    with pytest.raises(models.ModelMissingError, match="pixlcraft models download blip-caption-base"):
        caption.load_captioner(None, download=False)


def test_tiny_blip_captions_as_lavis_does(blip):
    """Loaded through the store's folder path; the caption is BLIP's beam search continuing "a picture of "."""
    from PIL import Image
    from transformers import BlipForConditionalGeneration, BlipProcessor

    captioner = caption.load_captioner(str(blip))
    rgb = _photo().srgb
    text = captioner(rgb)
    assert text == captioner(rgb)  # beam search: deterministic
    assert text and not text.startswith("a picture of") and "blurry" not in text and "noisy" not in text
    # the same thing written out with transformers directly
    model = BlipForConditionalGeneration.from_pretrained(blip).eval()
    processor = BlipProcessor.from_pretrained(blip)
    inputs = processor(images=Image.fromarray((rgb * 255 + 0.5).astype(np.uint8)), text="a picture of",
                       return_tensors="pt")
    with torch.no_grad():
        tokens = model.generate(**inputs, num_beams=3, max_length=30, min_length=10)
    raw = processor.decode(tokens[0], skip_special_tokens=True)
    assert raw.startswith("a picture of")
    assert text == caption.clean_caption(raw)


def test_the_caption_becomes_the_prompt(tiny, blip, monkeypatch):
    seen = []
    original = pipeline.PASDPipeline.encode_prompt

    def spy(self, prompt, *args, **kwargs):
        seen.append(prompt)
        return original(self, prompt, *args, **kwargs)

    monkeypatch.setattr(pipeline.PASDPipeline, "encode_prompt", spy)
    method = get_method("pasd")
    events = []
    out = cleanup(_photo(), method, _options(tiny, pasd_caption="on", caption_model=str(blip)),
                  progress=events.append)
    assert out.srgb.shape == (36, 48, 3)
    run = method.last_run
    expected = caption.load_captioner(str(blip))(caption_resized())
    assert run.source == "caption" and run.description == expected
    assert run.prompt == f"{expected}, clean, high-resolution, 8k" == seen[-1]
    assert any(e.stage == "caption" and expected in e.message for e in events)
    meta = method.result_metadata()
    assert meta["pasd:prompt"] == run.prompt and meta["pasd:caption"] == expected
    assert meta["pasd:negative-prompt"] == pipeline.NEGATIVE_PROMPT


def caption_resized():
    """The photo as the method captions it: at the result size."""
    from pixlcraft.cleanup.tiling import resize

    return resize(_photo().srgb, (48, 36))


def test_user_words_replace_the_caption(tiny, blip, monkeypatch):
    method = get_method("pasd")
    monkeypatch.setattr(caption, "load_captioner", lambda *a, **k: pytest.fail("no caption with a prompt"))
    cleanup(_photo(), method, _options(tiny, pasd_prompt="a gradient", pasd_caption="on", caption_model=str(blip)))
    assert (method.last_run.source, method.last_run.prompt) == ("user", "a gradient, clean, high-resolution, 8k")


def test_auto_captions_only_when_the_model_is_here(tiny, blip, empty_cache):
    method = get_method("pasd")
    cleanup(_photo(), method, _options(tiny))  # auto, default model, empty cache: no caption, a note
    run = method.last_run
    assert (run.source, run.prompt) == ("none", "clean, high-resolution, 8k")
    assert any("pixlcraft models download blip-caption-base" in n for n in run.notes)
    cleanup(_photo(), method, _options(tiny, caption_model=str(blip)))  # auto, model present: captioned
    assert method.last_run.source == "caption" and not method.last_run.notes
    cleanup(_photo(), method, _options(tiny, pasd_caption="off", caption_model=str(blip)))
    assert method.last_run.source == "none" and not method.last_run.notes


def test_command_line_prints_the_prompt_and_writes_it_into_the_png(tiny, blip, tmp_path, capsys):
    from PIL import Image

    from pixlcraft.cli import main

    Image.fromarray((_photo().srgb * 255).astype(np.uint8)).save(tmp_path / "p.png")
    out = tmp_path / "clean.png"
    code = main(["cleanup", str(tmp_path / "p.png"), "-m", "pasd", "--pasd-model", str(tiny.light),
                 "--pasd-variant", "light", "--base-model", str(tiny.base), "--steps", "2", "--device", "cpu",
                 "--pasd-process-size", "64", "--long-side", "48", "--pasd-caption", "on",
                 "--caption-model", str(blip), "--pasd-start", "faithful", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text = Image.open(out).text
    prompt = text["pasd:prompt"]
    assert prompt.endswith(", clean, high-resolution, 8k") and text["pasd:prompt-source"] == "caption"
    # faithful = what the authors' code does: the last sampling timestep, 500 for 2 steps (50 for 20)
    assert (text["pasd:noise-level"], text["pasd:start"]) == ("500", "faithful")
    assert f"PASD prompt (automatic caption): {prompt}" in captured.out


def test_caption_on_downloads_the_model_with_progress(tiny, blip, empty_cache, monkeypatch):
    """``--pasd-caption on`` fetches the default model through the model store (Hub access simulated here)."""
    import fnmatch

    import huggingface_hub

    asked = []

    def fake_snapshot_download(repo_id, revision=None, cache_dir=None, allow_patterns=(), tqdm_class=None, **kw):
        asked.append((repo_id, sorted(allow_patterns)))
        storage = empty_cache / ("models--" + repo_id.replace("/", "--"))
        snapshot = storage / "snapshots" / ("2" * 40)
        snapshot.mkdir(parents=True, exist_ok=True)
        for file in blip.iterdir():
            if any(fnmatch.fnmatch(file.name, p) for p in allow_patterns):
                shutil.copy(file, snapshot / file.name)
                if tqdm_class is not None:
                    bar = tqdm_class(total=file.stat().st_size, unit="B", desc=file.name)
                    bar.update(file.stat().st_size)
                    bar.close()
        (storage / "refs").mkdir(exist_ok=True)
        (storage / "refs" / "main").write_text("2" * 40)
        return str(snapshot)

    monkeypatch.setattr(models, "hub_offline", lambda: False)
    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    method = get_method("pasd")
    method.release()
    events = []
    cleanup(_photo(), method, _options(tiny, pasd_caption="on"), progress=events.append)
    spec = models.MODELS["blip-caption-base"]
    assert asked == [(spec.repo_id, sorted(spec.allow_patterns()))]
    assert "model.safetensors" in spec.allow_patterns() and not any(".bin" in p for p in spec.allow_patterns())
    assert any(e.stage == "download" and "BLIP base image captioning" in e.message for e in events)
    assert method.last_run.source == "caption"
    assert caption.caption_installed()  # now in the cache: "auto" uses it from here on
