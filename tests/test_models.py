"""The model store (finding folders and cached Hub snapshots, clear errors offline) and the real loaders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_models import build_tiny_taesd

from pixlcraft import model_loading, models
from pixlcraft.errors import Cancelled, InputError, PixlcraftError
from pixlcraft.jobs import CancelToken, Reporter
from pixlcraft.models import ModelLocation, ModelMissingError

torch = pytest.importorskip("torch")

# diffusers' Euler scheduler trips a numpy 2 deprecation on its own tensors; nothing of ours.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


def _saved_tensors(path: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(path))


def _fake_hub_cache(cache: Path, repo_id: str, source: Path, commit: str = "a" * 40) -> Path:
    """Lay out ``source`` as the Hugging Face cache does: blobs, a snapshot of symlinks, refs/main."""
    storage = cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = storage / "snapshots" / commit
    blobs = storage / "blobs"
    blobs.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(sorted(p for p in source.rglob("*") if p.is_file())):
        blob = blobs / f"blob{i}"
        shutil.copyfile(f, blob)
        link = snapshot / f.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    (storage / "refs").mkdir(exist_ok=True)
    (storage / "refs" / "main").write_text(commit)
    return snapshot


# ----------------------------------------------------------------------------------------------------------------
# Cheap import, registry
# ----------------------------------------------------------------------------------------------------------------


def test_importing_the_store_does_not_import_torch():
    code = (
        "import sys, pixlcraft.models, pixlcraft.model_loading;"
        "import pixlcraft.sdpixl, pixlcraft.sdpixl.conditions, pixlcraft.sdpixl.reference;"
        "heavy = [m for m in ('torch', 'diffusers', 'transformers') if m in sys.modules];"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_registry_has_every_default_with_safetensors_only_patterns():
    for role, name in models.DEFAULTS.items():
        spec = models.MODELS[name]
        assert spec.role == role
        for precision in ("fp16", "fp32"):
            patterns = spec.allow_patterns(precision)
            assert any(p.endswith(".safetensors") for p in patterns)
            assert not any(p.endswith((".bin", ".ckpt", ".pt", ".pth", ".onnx", ".msgpack")) for p in patterns)
    base = models.MODELS["sdxl-base"]
    # fp16 download skips the fp32 duplicates and the base's own VAE (TAESD-XL replaces it).
    assert all(".fp16." in p for p in base.allow_patterns("fp16") if p.endswith(".safetensors"))
    assert not any(p.startswith("vae") for p in base.allow_patterns("fp32"))
    assert base.download_size_mb("fp16") < base.download_size_mb("fp32")


# ----------------------------------------------------------------------------------------------------------------
# Local folders
# ----------------------------------------------------------------------------------------------------------------


def test_folder_resolves_to_itself(tiny_models):
    loc = models.resolve_model(str(tiny_models.base), "base")
    assert loc == ModelLocation(tiny_models.base.resolve(), "base", "folder")
    assert models.check_folder(tiny_models.clip, "clip") == []
    assert models.check_folder(tiny_models.depth, "depth") == []


def test_missing_folder_names_the_path_and_the_flag(tmp_path):
    gone = tmp_path / "no-such-model"
    with pytest.raises(ModelMissingError) as err:
        models.resolve_model(str(gone), "controlnet-depth")
    assert str(gone) in str(err.value)
    assert "--controlnet-depth" in str(err.value)


def test_base_folder_without_model_index_says_so(tiny_models, tmp_path):
    broken = tmp_path / "base"
    shutil.copytree(tiny_models.base, broken)
    (broken / "model_index.json").unlink()
    (broken / "text_encoder_2" / "model.safetensors").unlink()
    with pytest.raises(ModelMissingError) as err:
        model_loading.load_unet(str(broken))
    message = str(err.value)
    assert "model_index.json" in message
    assert "text_encoder_2/model.safetensors" in message
    assert "--base-model" in message


def test_folder_with_pickled_weights_only_is_refused(tiny_models, tmp_path):
    pickled = tmp_path / "taesd-bin"
    pickled.mkdir()
    shutil.copy(tiny_models.taesd / "config.json", pickled / "config.json")
    state = _saved_tensors(tiny_models.taesd / "diffusion_pytorch_model.safetensors")
    torch.save(state, pickled / "diffusion_pytorch_model.bin")
    with pytest.raises(ModelMissingError) as err:
        model_loading.load_taesd(str(pickled))
    message = str(err.value)
    assert "diffusion_pytorch_model.bin" in message and "safetensors" in message
    assert "--vae" in message


def test_folder_of_another_kind_of_model_is_refused(tiny_models, tmp_path):
    # Loading a ControlNet as TAESD would "work" with random layers; the store refuses it up front.
    with pytest.raises(ModelMissingError, match="AutoencoderTiny model .config.json describes a ControlNetModel"):
        model_loading.load_taesd(str(tiny_models.controlnet_canny))
    with pytest.raises(ModelMissingError, match="describes a dpt"):
        models.resolve_model(str(tiny_models.depth), "clip")
    broken = tmp_path / "cn"
    shutil.copytree(tiny_models.controlnet_canny, broken)
    (broken / "config.json").write_text("{ not json")
    with pytest.raises(ModelMissingError, match="not valid JSON"):
        model_loading.load_controlnet(str(broken))


def test_name_for_another_role_is_refused():
    with pytest.raises(InputError, match="--vae"):
        models.resolve_model("taesdxl", "base")


# ----------------------------------------------------------------------------------------------------------------
# Hugging Face ids: cache, offline errors
# ----------------------------------------------------------------------------------------------------------------


def test_offline_default_model_error_names_model_size_and_fix(tmp_path):
    with pytest.raises(ModelMissingError) as err:
        models.resolve_model(None, "base", cache_dir=tmp_path)
    message = str(err.value)
    assert "stabilityai/stable-diffusion-xl-base-1.0" in message
    assert "6.8 GB" in message
    assert "HF_HUB_OFFLINE" in message
    assert "pixlcraft models download sdxl-base" in message
    assert "--base-model DIR" in message


def test_offline_unknown_id_error_names_it(tmp_path):
    with pytest.raises(ModelMissingError) as err:
        models.resolve_model("someone/pixel-clip", "clip", cache_dir=tmp_path)
    message = str(err.value)
    assert "'someone/pixel-clip'" in message
    assert "pixlcraft models download someone/pixel-clip --role clip" in message
    assert "--clip-model DIR" in message


def test_download_switched_off_is_reported(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(ModelMissingError, match="downloading is switched off"):
        models.resolve_model("madebyollin/taesdxl", "vae", cache_dir=tmp_path, download=False)


def test_cached_snapshot_is_found_and_loads(tiny_models, tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, "madebyollin/taesdxl", tiny_models.taesd)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    loc = models.resolve_model("taesdxl", "vae")
    assert (loc.path, loc.source, loc.repo_id) == (snapshot, "cache", "madebyollin/taesdxl")
    vae = model_loading.load_taesd(loc)
    saved = _saved_tensors(tiny_models.taesd / "diffusion_pytorch_model.safetensors")
    for name, tensor in vae.state_dict().items():
        assert torch.equal(tensor, saved[name]), name

    # A user-chosen cache folder wins over the Hub's own, and HF_HOME is honoured when nothing else is set.
    elsewhere = tmp_path / "mine"
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(elsewhere))
    with pytest.raises(ModelMissingError, match=str(elsewhere)):
        models.resolve_model("taesdxl", "vae")
    for var in ("PIXLCRAFT_MODEL_CACHE", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert models.model_cache_dir() == tmp_path / "hub"
    assert models.resolve_model("madebyollin/taesdxl", "vae").path == snapshot


def test_incomplete_cached_snapshot_counts_as_missing(tiny_models, tmp_path):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, "stabilityai/stable-diffusion-xl-base-1.0", tiny_models.base)
    (snapshot / "unet" / "diffusion_pytorch_model.safetensors").unlink()  # an interrupted download
    with pytest.raises(ModelMissingError, match="sdxl-base") as err:
        models.resolve_model("stabilityai/stable-diffusion-xl-base-1.0", "base", cache_dir=cache)
    assert "incomplete, it lacks unet/diffusion_pytorch_model.safetensors" in str(err.value)
    status = {s.spec.name: s for s in models.model_status(cache)}
    assert not status["sdxl-base"].installed
    assert "unet/diffusion_pytorch_model.safetensors" in status["sdxl-base"].missing


def test_model_status_lists_installed_models_with_sizes(tiny_models, tmp_path):
    cache = tmp_path / "hub"
    _fake_hub_cache(cache, "stabilityai/stable-diffusion-xl-base-1.0", tiny_models.base)
    rows = models.model_status(cache)
    assert [r.spec.name for r in rows] == [s.name for s in models.list_models()]
    installed = {r.spec.name: r for r in rows if r.installed}
    assert set(installed) == {"sdxl-base"}
    expected = sum(p.stat().st_size for p in tiny_models.base.rglob("*") if p.is_file())
    assert installed["sdxl-base"].bytes_on_disk == expected


def test_download_progress_hook_reports_bytes_and_honours_cancel():
    events = []
    token = CancelToken()
    bar_class = models.progress_bar_class(Reporter(events.append, token), "TAESD-XL")
    # The keyword arguments huggingface_hub passes to its byte bars.
    bar = bar_class(desc="Reconstructing", total=2_000_000, initial=0, unit="B", unit_scale=True)
    bar.update(500_000)
    bar.update(1_500_000)
    files = bar_class(total=3, desc="Fetching 3 files")  # a file-count bar: not forwarded
    files.update(1)
    assert [(e.stage, e.done, e.total) for e in events] == [
        ("download", 500_000, 2_000_000),
        ("download", 2_000_000, 2_000_000),
    ]
    assert "TAESD-XL" in events[-1].message
    token.cancel()
    with pytest.raises(Cancelled):
        bar.update(1)
    bar.close()
    files.close()


# ----------------------------------------------------------------------------------------------------------------
# Loaders (the real from_pretrained path, use_safetensors=True)
# ----------------------------------------------------------------------------------------------------------------


def test_unet_loads_saved_weights(tiny_models):
    from diffusers import UNet2DConditionModel

    unet = model_loading.load_unet(str(tiny_models.base))
    assert isinstance(unet, UNet2DConditionModel)
    assert unet.config.addition_embed_type == "text_time"
    assert not any(p.requires_grad for p in unet.parameters())
    saved = _saved_tensors(tiny_models.base / "unet" / "diffusion_pytorch_model.safetensors")
    state = unet.state_dict()
    assert set(state) == set(saved)
    assert all(torch.equal(state[k], saved[k]) for k in saved)


def test_fp16_copy_is_chosen_for_half_precision_and_upcast_otherwise(tmp_path):
    folder = tmp_path / "taesd"
    build_tiny_taesd(folder)
    full = _saved_tensors(folder / "diffusion_pytorch_model.safetensors")
    from diffusers import AutoencoderTiny

    torch.manual_seed(123)  # a different model saved as the fp16 copy, so we can tell which file was read
    other = AutoencoderTiny.from_pretrained(folder)
    for p in other.parameters():
        p.data.normal_()
    other.to(torch.float16).save_pretrained(folder, variant="fp16")
    half = _saved_tensors(folder / "diffusion_pytorch_model.fp16.safetensors")

    name = "encoder.layers.0.weight"
    assert torch.equal(model_loading.load_taesd(str(folder)).state_dict()[name], full[name])
    assert torch.equal(model_loading.load_taesd(str(folder), dtype=torch.float16).state_dict()[name], half[name])
    # With only the fp16 copy present, fp32 compute up-casts it.
    (folder / "diffusion_pytorch_model.safetensors").unlink()
    upcast = model_loading.load_taesd(str(folder), dtype=torch.float32).state_dict()[name]
    assert upcast.dtype == torch.float32 and torch.equal(upcast, half[name].float())


def test_scheduler_is_ddpm_with_the_base_noise_schedule(tiny_models):
    from diffusers import DDPMScheduler, EulerDiscreteScheduler

    scheduler = model_loading.load_scheduler(str(tiny_models.base))
    assert isinstance(scheduler, DDPMScheduler)
    assert scheduler.config.num_train_timesteps == 1000
    betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=torch.float32) ** 2
    torch.testing.assert_close(scheduler.betas, betas)
    euler = EulerDiscreteScheduler.from_pretrained(tiny_models.base, subfolder="scheduler")
    torch.testing.assert_close(scheduler.alphas_cumprod, euler.alphas_cumprod)


def test_text_encoding_matches_the_sdxl_pipeline(tiny_models):
    text = model_loading.load_sdxl_text(str(tiny_models.base))
    pipe = model_loading.load_sdxl_pipeline(
        str(tiny_models.base), vae=str(tiny_models.taesd), text_encoder=text.text_encoder,
        text_encoder_2=text.text_encoder_2,
    )
    for negative in ("", "blurry, watermark", None):
        mine = text.encode("a rose flower, branch and leaves visible", negative)
        pos, neg, pooled, neg_pooled = pipe.encode_prompt(
            "a rose flower, branch and leaves visible", negative_prompt=negative, device="cpu",
            do_classifier_free_guidance=True,
        )
        assert mine.embeds.shape == (2, 77, 64) and mine.pooled.shape == (2, 32)
        assert torch.equal(mine.embeds[1:], pos) and torch.equal(mine.pooled[1:], pooled)
        assert torch.equal(mine.embeds[:1], neg) and torch.equal(mine.pooled[:1], neg_pooled)
    assert torch.count_nonzero(text.encode("a rose", None).embeds[0]) == 0
    text.release()
    assert text.text_encoder is None and text.text_encoder_2 is None


def test_controlnets_taesd_and_unet_fit_together(tiny_models):
    unet = model_loading.load_unet(str(tiny_models.base))
    canny = model_loading.load_controlnet(str(tiny_models.controlnet_canny), kind="canny")
    depth = model_loading.load_controlnet(str(tiny_models.controlnet_depth), kind="depth")
    taesd = model_loading.load_taesd(str(tiny_models.taesd))
    assert taesd.config.scaling_factor == 1.0 and taesd.config.latent_channels == 4
    cond_in = [net.controlnet_cond_embedding.conv_in.weight for net in (canny, depth)]
    assert not torch.equal(*cond_in)

    image = torch.rand(1, 3, 64, 48)
    latents = taesd.encode(2 * image - 1).latents
    assert latents.shape == (1, 4, 8, 6)
    embeds = torch.randn(1, 77, 64)
    added = {"text_embeds": torch.randn(1, 32), "time_ids": torch.tensor([[64.0, 48.0, 0, 0, 64.0, 48.0]])}
    t = torch.tensor([500])
    down, mid = canny(latents, t, encoder_hidden_states=embeds, controlnet_cond=image, conditioning_scale=0.15,
                      added_cond_kwargs=added, return_dict=False)
    plain = unet(latents, t, encoder_hidden_states=embeds, added_cond_kwargs=added).sample
    guided = unet(latents, t, encoder_hidden_states=embeds, added_cond_kwargs=added,
                  down_block_additional_residuals=down, mid_block_additional_residual=mid).sample
    assert plain.shape == guided.shape == latents.shape
    assert not torch.allclose(plain, guided)


def test_depth_and_clip_load_with_their_processors(tiny_models):
    from transformers import CLIPModel, DPTForDepthEstimation

    depth, depth_processor = model_loading.load_depth(str(tiny_models.depth))
    assert isinstance(depth, DPTForDepthEstimation)
    assert depth_processor.size == {"height": 32, "width": 32}
    saved = _saved_tensors(tiny_models.depth / "model.safetensors")
    state = depth.state_dict()
    assert all(torch.equal(state[k], saved[k]) for k in saved)

    clip, clip_processor = model_loading.load_clip(str(tiny_models.clip))
    assert isinstance(clip, CLIPModel)
    ids = clip_processor(text=["the rose"], return_tensors="pt").input_ids[0].tolist()
    vocab_size = clip.config.text_config.vocab_size
    assert ids[0] == vocab_size - 2 and ids[-1] == vocab_size - 1  # <|startoftext|> … <|endoftext|>


def _as_default_download(base: Path, target: Path) -> Path:
    """The layout ``pixlcraft models download sdxl-base`` produces: fp16 weights only, no VAE folder."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    shutil.copytree(base, target, ignore=shutil.ignore_patterns("*.safetensors", "vae"))
    for sub, cls in (
        ("unet", UNet2DConditionModel),
        ("text_encoder", CLIPTextModel),
        ("text_encoder_2", CLIPTextModelWithProjection),
    ):
        cls.from_pretrained(base / sub).to(torch.float16).save_pretrained(target / sub, variant="fp16")
    return target


def test_pipeline_samples_at_a_tiny_size_from_an_fp16_only_base(tiny_models, tmp_path):
    from diffusers import AutoencoderTiny, StableDiffusionXLPipeline

    base = _as_default_download(tiny_models.base, tmp_path / "base")
    assert not list(base.glob("*/*[!6].safetensors")) and not (base / "vae").exists()
    assert models.check_folder(base, "base") == []
    pipe = model_loading.load_sdxl_pipeline(str(base), vae=str(tiny_models.taesd))
    assert isinstance(pipe, StableDiffusionXLPipeline) and isinstance(pipe.vae, AutoencoderTiny)
    assert pipe.unet.dtype == torch.float32  # up-cast from the fp16 copy for CPU compute
    saved = _saved_tensors(base / "unet" / "diffusion_pytorch_model.fp16.safetensors")
    name = "conv_in.weight"
    assert torch.equal(pipe.unet.state_dict()[name], saved[name].float())
    out = pipe("a rose", width=32, height=24, num_inference_steps=2, output_type="np",
               generator=torch.Generator().manual_seed(0))
    assert out.images.shape == (1, 24, 32, 3)


# ----------------------------------------------------------------------------------------------------------------
# LoRA
# ----------------------------------------------------------------------------------------------------------------


def test_lora_file_resolution(tiny_models, tmp_path):
    assert model_loading.resolve_lora(str(tiny_models.lora)).name == "pytorch_lora_weights.safetensors"
    two = tmp_path / "two"
    two.mkdir()
    for name in ("style_a.safetensors", "style_b.safetensors"):
        shutil.copy(tiny_models.lora / "pytorch_lora_weights.safetensors", two / name)
    with pytest.raises(InputError, match="style_a.safetensors, style_b.safetensors"):
        model_loading.resolve_lora(str(two))
    assert model_loading.resolve_lora(str(two / "style_b.safetensors")) == (two / "style_b.safetensors").resolve()
    pickled = tmp_path / "style.ckpt"
    pickled.write_bytes(b"not really")
    with pytest.raises(InputError, match="safetensors"):
        model_loading.resolve_lora(str(pickled))


def _peft_installed() -> bool:
    from diffusers.utils import USE_PEFT_BACKEND

    return bool(USE_PEFT_BACKEND)


@pytest.mark.skipif("_peft_installed()", reason="peft is installed; the LoRA itself is tested below")
def test_lora_without_peft_says_what_to_install(tiny_models):
    pipe = model_loading.load_sdxl_pipeline(str(tiny_models.base), vae=str(tiny_models.taesd))
    with pytest.raises(PixlcraftError, match="pip install peft"):
        model_loading.apply_lora(pipe, str(tiny_models.lora), 0.8)


@pytest.mark.skipif("not _peft_installed()", reason="LoRA loading needs the optional 'peft' package")
def test_lora_changes_the_unet_by_its_scale(tiny_models):
    pipe = model_loading.load_sdxl_pipeline(str(tiny_models.base), vae=str(tiny_models.taesd))
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    embeds = torch.randn(1, 77, 64, generator=torch.Generator().manual_seed(2))
    added = {"text_embeds": torch.zeros(1, 32), "time_ids": torch.tensor([[64.0, 64, 0, 0, 64, 64]])}

    def eps():
        with torch.no_grad():
            return pipe.unet(latents, 10, encoder_hidden_states=embeds, added_cond_kwargs=added).sample

    before = eps()
    model_loading.apply_lora(pipe, str(tiny_models.lora), 1.0)
    full = eps()
    pipe.set_adapters(["style"], adapter_weights=[0.0])
    off = eps()
    pipe.set_adapters(["style"], adapter_weights=[0.5])
    half = eps()
    assert not torch.allclose(before, full)
    torch.testing.assert_close(off, before)
    assert 0 < (half - before).abs().mean() < (full - before).abs().mean()


@pytest.mark.skipif("not _peft_installed()", reason="LoRA loading needs the optional 'peft' package")
def test_lora_on_bare_parts_matches_the_pipeline(tiny_models):
    base = str(tiny_models.base)
    unet, text = model_loading.load_unet(base), model_loading.load_sdxl_text(base)
    pipe = model_loading.load_sdxl_pipeline(
        base, vae=str(tiny_models.taesd), lora=str(tiny_models.lora), lora_scale=0.6
    )
    model_loading.apply_lora_to_parts(unet, text, str(tiny_models.lora), 0.6)
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(1))
    embeds = torch.randn(1, 77, 64, generator=torch.Generator().manual_seed(2))
    added = {"text_embeds": torch.zeros(1, 32), "time_ids": torch.tensor([[64.0, 64, 0, 0, 64, 64]])}
    with torch.no_grad():
        bare = unet(latents, 10, encoder_hidden_states=embeds, added_cond_kwargs=added).sample
        piped = pipe.unet(latents, 10, encoder_hidden_states=embeds, added_cond_kwargs=added).sample
        plain = model_loading.load_unet(base)(latents, 10, encoder_hidden_states=embeds, added_cond_kwargs=added).sample
    torch.testing.assert_close(bare, piped)
    assert not torch.allclose(bare, plain)


# ----------------------------------------------------------------------------------------------------------------
# Device and precision
# ----------------------------------------------------------------------------------------------------------------


def test_pick_device_falls_back_to_cpu_and_refuses_absent_devices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert models.pick_device(None) == "cpu"
    assert models.pick_device("auto") == "cpu"
    assert models.pick_device("CPU") == "cpu"
    with pytest.raises(InputError, match="--device cuda"):
        models.pick_device("cuda")
    with pytest.raises(InputError, match="mps"):
        models.pick_device("mps")
    with pytest.raises(InputError, match="Unknown device 'tpu'"):
        models.pick_device("tpu")


def test_pick_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert models.pick_device(None) == "cuda"
    assert models.pick_device("cuda:1") == "cuda:1"
    with pytest.raises(InputError, match="2 CUDA"):
        models.pick_device("cuda:2")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert models.pick_device(None) == "mps"


def test_fp16_download_serves_any_precision_but_fp32_download_wants_full_files(tiny_models, tmp_path):
    cache = tmp_path / "hub"
    snapshot = _fake_hub_cache(cache, "stabilityai/stable-diffusion-xl-base-1.0",
                               _as_default_download(tiny_models.base, tmp_path / "fp16"))
    assert models.resolve_model("sdxl-base", "base", cache_dir=cache).path == snapshot
    with pytest.raises(ModelMissingError, match="only the fp16 weights") as err:
        models.resolve_model("sdxl-base", "base", cache_dir=cache, precision="fp32")
    assert "13.6 GB" in str(err.value)
