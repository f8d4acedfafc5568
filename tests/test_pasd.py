"""PASD port: strict loading of the released layout, pixel-aware wiring, start latent, colour fix, end to end.

Every model here is tiny and random (``tests/pasd_tiny.py``), saved in the key layout of the released
checkpoints, and runs on the CPU.
"""

from __future__ import annotations

import copy
import json
import shutil

import numpy as np
import pytest
import torch
from pasd_tiny import UNET_CONFIG, build_tiny_pasd, up_layers

from pixlcraft.cleanup import cleanup, get_method
from pixlcraft.cleanup.pasd import colorfix, pipeline, schedule, weights
from pixlcraft.cleanup.pasd.unet import PASDUNet2DConditionModel
from pixlcraft.errors import InputError
from pixlcraft.imageio import Photo
from pixlcraft.jobs import Reporter
from pixlcraft.models import ModelMissingError

# diffusers' UniPC builds its sigma table with np.array() of a tensor, which numpy 2 flags; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_tiny_pasd(tmp_path_factory.mktemp("pasd"))


@pytest.fixture(scope="module")
def full_pipe(tiny):
    return pipeline.load_pipeline(str(tiny.full), "full", str(tiny.base))


@pytest.fixture(scope="module")
def nets(tiny):
    """Per variant: PASD's UNet and ControlNet as loaded, and diffusers' stock UNet with the same base weights."""
    from diffusers import UNet2DConditionModel

    out = {}
    for variant in ("full", "light"):
        folder = _folder(tiny, variant)
        state = weights.read_state_dict(weights.weights_file(folder / "unet"))
        extra = (".pixel_attentions.", ".proj_in_plus.", ".norm2_plus.", ".attn2_plus.")
        base = {k: v for k, v in state.items() if not any(e in k for e in extra)}
        stock = UNet2DConditionModel.from_config({k: v for k, v in UNET_CONFIG.items() if not k.startswith("_")})
        stock.load_state_dict(base, strict=True)
        out[variant] = (weights.load_unet(folder, variant), weights.load_controlnet(folder), stock.eval())
    return out


def _folder(tiny, variant):
    return tiny.full if variant == "full" else tiny.light


def _inputs(controlnet, seed=0):
    gen = torch.Generator().manual_seed(seed)
    sample = torch.randn(2, 4, 8, 8, generator=gen)
    text = torch.randn(2, 77, 32, generator=gen)
    cond = torch.rand(2, 3, 64, 64, generator=gen)
    with torch.no_grad():
        down, mid = controlnet(sample, 500, encoder_hidden_states=text, controlnet_cond=cond, return_dict=False)
    return sample, text, list(down), mid


# ------------------------------------------------------------------------------------------------------------
# loading the released layout


@pytest.mark.parametrize("variant", ["full", "light"])
def test_released_layout_loads_strictly(tiny, nets, variant):
    folder = _folder(tiny, variant)
    unet, controlnet, _ = nets[variant]
    for model, part in ((unet, "unet"), (controlnet, "controlnet")):
        saved = weights.read_state_dict(weights.weights_file(folder / part))
        assert set(model.state_dict()) == set(saved)  # every tensor used, none missing
        for key, value in model.state_dict().items():
            assert torch.equal(value, saved[key]), key
    assert unet.pasd_variant == variant
    assert len(controlnet.controlnet_cond_embedding.to_rgbs) == 3
    rgbs = controlnet.controlnet_cond_embedding.rgb_estimates(torch.rand(1, 3, 64, 64))
    assert [tuple(r.shape) for r in rgbs] == [(1, 3, 32, 32), (1, 3, 16, 16), (1, 3, 8, 8)]


def test_wrong_variant_is_refused_with_the_right_flag(tiny):
    with pytest.raises(InputError, match="--pasd-variant light"):
        weights.load_unet(tiny.light, "full")


def test_a_missing_or_extra_tensor_fails_loudly(tiny, tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny.light, folder)
    path = folder / "unet" / "diffusion_pytorch_model.safetensors"
    state = weights.read_state_dict(path)
    state.pop("up_blocks.1.attentions.0.proj_in_plus.bias")
    state["up_blocks.1.attentions.0.surprise.weight"] = torch.zeros(1)
    from safetensors.torch import save_file

    save_file(state, str(path))
    with pytest.raises(ModelMissingError) as err:
        weights.load_unet(folder, "light")
    text = str(err.value)
    assert "1 missing (e.g. up_blocks.1.attentions.0.proj_in_plus.bias)" in text
    assert "1 unexpected (e.g. up_blocks.1.attentions.0.surprise.weight)" in text


def test_rrdb_controlnet_is_refused(tiny, tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(tiny.light, folder)
    config_file = folder / "controlnet" / "config.json"
    config = json.loads(config_file.read_text())
    config["use_rrdb"] = True
    config_file.write_text(json.dumps(config))
    with pytest.raises(InputError, match="RRDB"):
        weights.load_controlnet(folder)


def test_pickled_weights_holding_objects_are_not_unpickled(tmp_path):
    path = tmp_path / "diffusion_pytorch_model.bin"
    torch.save({"w": torch.zeros(2), "trap": ValueError("not a tensor")}, path)
    with pytest.raises(ModelMissingError, match="weights-only loader refused"):
        weights.read_state_dict(path)


# ------------------------------------------------------------------------------------------------------------
# the pixel-aware layers


def test_pixel_attention_shapes_follow_pasd(nets):
    unet, light = nets["full"][0], nets["light"][0]
    for layer in up_layers():
        i, j, width, skip = layer["i"], layer["j"], layer["width"], layer["skip"]
        attention = unet.up_blocks[i].pixel_attentions[j]
        kv_width = skip if layer["kind"] == "CrossAttnUpBlock2D" else width
        assert attention.transformer_blocks[0].attn2.to_k.in_features == kv_width
        hidden = torch.randn(2, width, 4, 4)
        tokens = torch.randn(2, 16, kv_width)
        out = attention(hidden, encoder_hidden_states=tokens, return_dict=False)[0]
        assert out.shape == hidden.shape
        if layer["kind"] == "CrossAttnUpBlock2D":
            block = light.up_blocks[i].attentions[j].transformer_blocks[0]
            assert block.attn2_plus.to_k.in_features == skip
            assert block.attn2_plus.to_q.in_features == width
            assert light.up_blocks[i].attentions[j].proj_in_plus.in_channels == skip
    assert not hasattr(light.up_blocks[0], "pixel_attentions")  # light: nothing in the plain up block


@pytest.mark.parametrize("variant", ["full", "light"])
def test_each_layer_attends_to_the_residual_added_to_its_skip(nets, variant):
    """The K/V of up block i, layer j is the ControlNet residual that the standard UNet adds to that layer's skip."""
    pasd, controlnet, stock = nets[variant]
    pasd = copy.deepcopy(pasd)  # the hooks below stay on the copy
    sample, text, down, mid = _inputs(controlnet)

    skips: dict[tuple[int, int], torch.Tensor] = {}

    def grab_skip(i, j, width):
        def hook(module, args):
            skips[(i, j)] = args[0][:, -width:].clone()

        return hook

    handles = []
    for lay in up_layers():
        resnet = stock.up_blocks[lay["i"]].resnets[lay["j"]]
        handles.append(resnet.register_forward_pre_hook(grab_skip(lay["i"], lay["j"], lay["skip"])))
    with torch.no_grad():
        stock(sample, 500, text, down_block_additional_residuals=down, mid_block_additional_residual=mid)
        with_residual = dict(skips)
        zeros = [torch.zeros_like(d) for d in down]
        stock(sample, 500, text, down_block_additional_residuals=zeros, mid_block_additional_residual=mid)
    for h in handles:
        h.remove()

    seen: dict[tuple[int, int], torch.Tensor] = {}

    def grab_context(i, j):
        def hook(module, args, kwargs):
            if variant == "full":
                tokens = kwargs["encoder_hidden_states"]
                side = int(round(tokens.shape[1] ** 0.5))
                seen[(i, j)] = tokens.transpose(1, 2).reshape(tokens.shape[0], -1, side, side).clone()
            else:
                seen[(i, j)] = args[0].clone()

        return hook

    for lay in up_layers():
        i, j = lay["i"], lay["j"]
        if variant == "full":
            pasd.up_blocks[i].pixel_attentions[j].register_forward_pre_hook(grab_context(i, j), with_kwargs=True)
        elif lay["kind"] == "CrossAttnUpBlock2D":
            pasd.up_blocks[i].attentions[j].proj_in_plus.register_forward_pre_hook(grab_context(i, j), with_kwargs=True)
    with torch.no_grad():
        pasd(sample, 500, text, down_block_additional_residuals=down, mid_block_additional_residual=mid)

    expected_layers = [(lay["i"], lay["j"]) for lay in up_layers() if variant == "full" or lay["kind"] != "UpBlock2D"]
    assert sorted(seen) == sorted(expected_layers)
    for key in expected_layers:
        residual = with_residual[key] - skips[key]  # what the standard UNet added to this skip
        torch.testing.assert_close(seen[key], residual, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("variant", ["full", "light"])
def test_silenced_pixel_attention_leaves_the_stock_unet(nets, variant):
    """With the pixel-aware output projections zeroed, PASD's UNet is diffusers' UNet, residuals and all."""
    pasd, controlnet, stock = nets[variant]
    pasd = copy.deepcopy(pasd)  # zeroed below
    sample, text, down, mid = _inputs(controlnet, seed=1)
    kwargs = dict(down_block_additional_residuals=down, mid_block_additional_residual=mid)
    with torch.no_grad():
        reference = stock(sample, 500, text, **kwargs).sample
        assert not torch.allclose(pasd(sample, 500, text, **kwargs).sample, reference, atol=1e-4)
        for name, param in pasd.named_parameters():
            if (".pixel_attentions." in name and ".proj_out." in name) or ".attn2_plus.to_out." in name:
                param.zero_()
        torch.testing.assert_close(pasd(sample, 500, text, **kwargs).sample, reference, atol=1e-5, rtol=1e-4)


def test_residual_count_is_checked(nets):
    unet = nets["full"][0]
    with pytest.raises(ValueError, match="needs 6 ControlNet residuals, got 5"):
        unet.pixel_residuals([torch.zeros(1)] * 5)
    assert isinstance(unet, PASDUNet2DConditionModel)


# ------------------------------------------------------------------------------------------------------------
# pipeline pieces


def _direct_wavelet_fix(content: np.ndarray, style: np.ndarray) -> np.ndarray:
    """PASD's recipe written out: five dilated binomial blurs, detail of one image + coarse part of the other."""
    import torch.nn.functional as F

    kernel = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
    kernel = kernel[None, None].repeat(3, 1, 1, 1).double()

    def decompose(image):
        high = torch.zeros_like(image)
        for level in range(5):
            radius = 2**level
            low = F.conv2d(F.pad(image, (radius,) * 4, mode="replicate"), kernel, groups=3, dilation=radius)
            high += image - low
            image = low
        return high, image

    def as_tensor(a):
        return torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1)[None]

    detail, _ = decompose(as_tensor(content))
    _, coarse = decompose(as_tensor(style))
    return (detail + coarse).clamp(0, 1)[0].permute(1, 2, 0).numpy()


def test_colour_fix_matches_the_wavelet_recipe():
    rng = np.random.default_rng(5)
    content = rng.random((37, 53, 3), dtype=np.float32)
    style = np.clip(content * 0.6 + 0.3 + 0.05 * rng.standard_normal(content.shape), 0, 1).astype(np.float32)
    got = colorfix.wavelet_color_fix(content, style)
    np.testing.assert_allclose(got, _direct_wavelet_fix(content, style), atol=2e-6)
    # the fix moves the colours: the result's mean follows the style image, not the content
    assert abs(got.mean() - style.mean()) < 0.02 < abs(content.mean() - style.mean())


def test_start_latent_is_the_photo_noised_to_the_first_step_then_to_900(full_pipe):
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    latents = full_pipe.start_latents(image, 20, 900, torch.Generator().manual_seed(7))

    full_pipe.scheduler.set_timesteps(20)
    assert int(full_pipe.scheduler.timesteps[0]) == 999
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        x0 = full_pipe.vae.encode(image * 2 - 1).latent_dist.sample(gen) * full_pipe.vae.config.scaling_factor
    first_noise = torch.randn(x0.shape, generator=gen)
    extra_noise = torch.randn(x0.shape, generator=gen)
    a999, a900 = full_pipe.scheduler.alphas_cumprod[999], full_pipe.scheduler.alphas_cumprod[900]
    at_first = a999.sqrt() * x0 + (1 - a999).sqrt() * first_noise
    expected = a900.sqrt() * at_first + (1 - a900).sqrt() * extra_noise
    torch.testing.assert_close(latents, expected, atol=1e-5, rtol=1e-5)
    # level 0 stops after the first noising
    plain = full_pipe.start_latents(image, 20, 0, torch.Generator().manual_seed(7))
    torch.testing.assert_close(plain, at_first, atol=1e-5, rtol=1e-5)


def test_processing_sizes_and_prompts():
    assert pipeline.processing_size(100, 50) == (1536, 768)  # short side up to 768, aspect kept
    assert pipeline.processing_size(500, 333) == (1152, 768)  # int(768 * 500 / 333) = 1153 → multiple of 8
    assert pipeline.processing_size(1001, 803) == (1000, 800)  # large enough: only rounded down to 8
    assert pipeline.processing_size(40, 30, 64) == (80, 64)
    assert pipeline.full_prompt("") == "clean, high-resolution, 8k"
    assert pipeline.full_prompt(" a dog on grass, ") == "a dog on grass, clean, high-resolution, 8k"
    assert pipeline.NEGATIVE_PROMPT == "blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"
    assert (pipeline.STEPS, pipeline.GUIDANCE_SCALE, pipeline.CONDITIONING_SCALE) == (20, 9.0, 1.0)


# ------------------------------------------------------------------------------------------------------------
# through the clean-up framework


def _photo():
    y, x = np.mgrid[0:30, 0:40].astype(np.float32)
    rgb = np.stack([x / 40, y / 30, 0.5 + 0.4 * np.sin(x / 3) * np.cos(y / 4)], axis=-1)
    return Photo(rgb.astype(np.float32), None, "test.png")


@pytest.mark.parametrize("variant", ["full", "light"])
def test_cleanup_runs_end_to_end(tiny, variant):
    events = []
    options = {
        "pasd_model": str(_folder(tiny, variant)),
        "pasd_variant": variant,
        "base_model": str(tiny.base),
        "steps": 2,
        "seed": 3,
        "device": "cpu",
        "pasd_process_size": 64,
        "target_long_side": 48,
    }
    out = cleanup(_photo(), "pasd", options, progress=events.append)
    assert out.srgb.shape == (36, 48, 3) and out.srgb.dtype == np.float32
    assert np.isfinite(out.srgb).all() and 0 <= out.srgb.min() and out.srgb.max() <= 1
    assert out.srgb.std() > 0.01
    assert [(e.done, e.total) for e in events if e.stage == "denoise"] == [(1, 2), (2, 2)]
    again = cleanup(_photo(), "pasd", options)  # same seed, same result (the loaded pipeline is reused)
    np.testing.assert_array_equal(again.srgb, out.srgb)


def test_command_line_takes_the_pasd_flags(tiny, tmp_path, capsys):
    from PIL import Image

    from pixlcraft.cli import main

    Image.fromarray((_photo().srgb * 255).astype(np.uint8)).save(tmp_path / "p.png")
    out = tmp_path / "clean.png"
    code = main(["cleanup", str(tmp_path / "p.png"), "-m", "pasd", "--pasd-model", str(tiny.light),
                 "--pasd-variant", "light", "--base-model", str(tiny.base), "--steps", "2", "--seed", "1",
                 "--device", "cpu", "--pasd-process-size", "64", "--pasd-noise-level", "500",
                 "--pasd-prompt", "a colour gradient", "--long-side", "48", "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert Image.open(out).size == (48, 36)


def test_method_declares_the_pasd_flags():
    method = get_method("pasd")
    flags = {o.cli_flag for o in method.all_options()}
    assert {"--pasd-model", "--pasd-variant", "--base-model", "--steps", "--seed", "--device"} <= flags
    assert method.available() == (True, "")
    with pytest.raises(InputError, match="--pasd-variant"):
        method.resolve_options({"pasd_variant": "huge"})


def test_missing_weights_name_what_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ModelMissingError) as err:
        cleanup(_photo(), "pasd", {"pasd_variant": "light", "device": "cpu"})
    text = str(err.value)
    for needed in ("yangtao9009/PASD", "pasd_light/checkpoint-120000", "--pasd-model", "HF_HUB_OFFLINE",
                   "Stable Diffusion 1.5", "sd15-base"):
        assert needed in text


def test_incomplete_folder_names_the_missing_part(tiny, tmp_path):
    folder = tmp_path / "half"
    shutil.copytree(tiny.full / "unet", folder / "unet")
    with pytest.raises(ModelMissingError, match="controlnet/config.json"):
        weights.resolve_pasd(str(folder), "full")
    # the release's own layout one level up is found too
    assert weights.resolve_pasd(str(tiny.root / "PASD"), "light") == tiny.light.resolve()


def test_hub_id_is_found_in_the_hugging_face_cache(tiny, tmp_path):
    storage = tmp_path / "hub" / "models--yangtao9009--PASD"
    snapshot = storage / "snapshots" / ("0" * 40)
    shutil.copytree(tiny.light, snapshot / "pasd_light" / "checkpoint-120000")
    (storage / "refs").mkdir()
    (storage / "refs" / "main").write_text("0" * 40)
    found = weights.resolve_pasd(None, "light", cache_dir=tmp_path / "hub")
    assert found == (snapshot / "pasd_light" / "checkpoint-120000").resolve()
    with pytest.raises(ModelMissingError, match="pasd/checkpoint-100000"):  # the other variant is not there
        weights.resolve_pasd(None, "full", cache_dir=tmp_path / "hub")


# ------------------------------------------------------------------------------------------------------------
# start noise level: the paper's 900 and the released code's 50


def test_the_released_code_noises_at_the_last_sampling_step(full_pipe):
    """diffusers' UniPC ``add_noise`` at a level that is not a sampling timestep uses the last one (see schedule)."""
    from diffusers import UniPCMultistepScheduler

    scheduler = UniPCMultistepScheduler.from_config(full_pipe.scheduler.config)
    gen = torch.Generator().manual_seed(2)
    x, noise = torch.randn(1, 4, 8, 8, generator=gen), torch.randn(1, 4, 8, 8, generator=gen)
    alphas = scheduler.alphas_cumprod
    for steps, effective in ((20, 50), (10, 100), (2, 500)):
        scheduler.set_timesteps(steps)
        assert [int(t) for t in scheduler.timesteps] == schedule.sampling_timesteps(steps)
        assert schedule.official_noise_level(steps) == effective
        official = scheduler.add_noise(x, noise, torch.LongTensor([900]))
        torch.testing.assert_close(official, pipeline.noise_to_level(alphas, x, noise, effective))
        assert not torch.allclose(official, pipeline.noise_to_level(alphas, x, noise, 900), atol=1e-3)
    assert schedule.official_noise_level(111) == 900  # 900 happens to be a sampling timestep for 111 steps
    # about 8× more of the photo at 50 than at 900
    assert 8.1 < schedule.photo_share(50) / schedule.photo_share(900) < 8.3


def test_noise_level_50_reproduces_the_official_start_latent(full_pipe):
    """The authors' prepare_latents (diffusers ≥ 0.25): add_noise to the first timestep, then add_noise(…, 900)."""
    image = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(4))
    ours = full_pipe.start_latents(image, 20, 50, torch.Generator().manual_seed(7))

    scheduler = full_pipe.scheduler
    gen = torch.Generator().manual_seed(7)
    with torch.no_grad():
        init = full_pipe.vae.encode(image * 2 - 1).latent_dist.sample(gen) * full_pipe.vae.config.scaling_factor
    scheduler.set_timesteps(20)
    init = scheduler.add_noise(init, torch.randn(init.shape, generator=gen), scheduler.timesteps[:1])
    init = scheduler.add_noise(init, torch.randn(init.shape, generator=gen), torch.LongTensor([900]))
    official = init * scheduler.init_noise_sigma
    torch.testing.assert_close(ours, official, atol=1e-5, rtol=1e-5)
    assert int(scheduler.timesteps[0]) == 999  # and sampling starts at 999 either way


def test_named_starts_and_explicit_levels():
    method = get_method("pasd")
    assert method.noise_level(method.resolve_options({})) == (900, "redrawn")
    assert method.noise_level(method.resolve_options({"pasd_start": "faithful"})) == (50, "faithful")
    assert method.noise_level(method.resolve_options({"pasd_start": "faithful", "steps": 10})) == (100, "faithful")
    assert method.noise_level(method.resolve_options({"pasd_noise_level": 50})) == (50, "faithful")
    assert method.noise_level(method.resolve_options({"pasd_noise_level": 300, "pasd_start": "faithful"})) == \
        (300, "custom")
    with pytest.raises(InputError, match="--pasd-start"):
        method.resolve_options({"pasd_start": "wild"})


# ------------------------------------------------------------------------------------------------------------
# the sampling loop and its latent tiles


def _condition(width=64, height=48, seed=5):
    rng = np.random.default_rng(seed)
    return torch.from_numpy(rng.random((1, 3, height, width), dtype=np.float32))


def test_untiled_sampling_is_diffusers_controlnet_loop(full_pipe):
    """Our loop, untiled, computes what StableDiffusionControlNetPipeline.__call__ computes from the same start."""
    from diffusers import StableDiffusionControlNetPipeline

    condition = _condition()
    latents = full_pipe.start_latents(condition, 3, 900, torch.Generator().manual_seed(1))
    prompt = pipeline.full_prompt("a test")
    ours = full_pipe.sample(condition, latents.clone(), prompt=prompt, steps=3,
                            generator=torch.Generator().manual_seed(2), latent_tile=None)
    theirs = StableDiffusionControlNetPipeline.__call__(
        full_pipe, prompt=prompt, image=condition, height=48, width=64, num_inference_steps=3, guidance_scale=9.0,
        negative_prompt=pipeline.NEGATIVE_PROMPT, generator=torch.Generator().manual_seed(2),
        latents=latents.clone(), controlnet_conditioning_scale=1.0, output_type="np",
    ).images[0]
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_sampling_starts_at_999_whatever_the_noise_level(full_pipe, monkeypatch):
    seen = []
    original = full_pipe.predict_noise

    def spy(sample, timestep, *args):
        seen.append(int(timestep))
        return original(sample, timestep, *args)

    monkeypatch.setattr(full_pipe, "predict_noise", spy)
    image = np.full((48, 64, 3), 0.4, np.float32)
    full_pipe.restore(image, steps=20, process_size=48, noise_level=50)
    assert seen == schedule.sampling_timesteps(20) and seen[0] == 999 and seen[-1] == 50


def test_tile_grid_follows_the_official_rule():
    from pixlcraft.cleanup.pasd import sizes

    assert sizes.tile_starts(100, 40, 8) == [0, 32, 60]  # stride 32, the last tile ends at the border
    assert sizes.tile_starts(64, 32, 8) == [0, 24, 32]
    assert sizes.tile_starts(20, 40, 8) == [0]
    assert sizes.latent_tiles(320, 320) is None  # up to 320² latents (2560 px square) in one piece
    side, tiles = sizes.latent_tiles(321, 400)
    assert side == 320 and tiles == [(0, 0), (0, 80), (1, 0), (1, 80)]
    side, tiles = sizes.latent_tiles(100, 2000)  # a long strip: tiles of its short side
    assert side == 100 and tiles[0] == (0, 0) and tiles[-1] == (0, 1900)
    weights = sizes.tile_weights(16)
    assert weights.shape == (16, 16) and np.allclose(weights, weights.T) and np.allclose(weights, weights[::-1])
    assert weights[8, 8] > 100 * weights[0, 8]  # centre counts, edges hardly
    assert (sizes.TILE_PX, sizes.LATENT_TILE, sizes.LATENT_TILE_OVERLAP) == (2560, 320, 8)


def test_tiles_blend_to_the_whole_for_a_pointwise_model(full_pipe):
    """Tiling changes nothing where a prediction depends on each position alone: the blend is a weighted mean."""
    gen = torch.Generator().manual_seed(3)
    sample = torch.randn(2, 4, 20, 28, generator=gen)
    condition = torch.rand(2, 3, 160, 224, generator=gen)
    embeds = torch.randn(2, 5, 32, generator=gen)
    calls = []

    def pointwise(x, t, e, c, scale):
        calls.append((x.shape[-2:], c.shape[-2:]))
        assert c.shape[-2:] == (x.shape[-2] * 8, x.shape[-1] * 8)  # the condition tile matches the latent tile
        return x * 2 + c[:, :1, ::8, ::8] * scale + e.mean()

    whole = pointwise(sample, 1, embeds, condition, 0.5)
    calls.clear()
    tiled = full_pipe.tiled_noise(sample, 1, embeds, condition, 0.5, latent_tile=12, predict=pointwise)
    assert len(calls) > 4 and all(shape == (12, 12) for shape, _ in calls)
    torch.testing.assert_close(tiled, whole)


def test_tiled_run_has_the_right_size_and_stays_close_to_the_untiled_one(full_pipe):
    """A 32×24 latent in four 20×20 tiles against the whole: the random tiny networks see the whole image through
    attention, so tiles cannot match exactly, but they stay far closer to the whole than another seed is."""
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:192, 0:256].astype(np.float32)
    image = np.stack([x / 256, y / 192, 0.5 + 0.3 * np.sin(x / 5)], axis=-1)
    image = np.clip(image + 0.05 * rng.standard_normal(image.shape), 0, 1).astype(np.float32)
    for color_fix in (True, False):
        common = dict(steps=2, seed=4, process_size=192, noise_level=50, color_fix=color_fix)
        events = []
        tiled = full_pipe.restore(image, latent_tile=20, reporter=Reporter(events.append), **common)
        whole = full_pipe.restore(image, latent_tile=None, **common)
        other_seed = full_pipe.restore(image, latent_tile=None, **{**common, "seed": 5})
        assert tiled.shape == whole.shape == (192, 256, 3)
        assert np.isfinite(tiled).all() and 0 <= tiled.min() and tiled.max() <= 1
        steps = [e.done for e in events if e.stage == "denoise" and "tile" not in e.message]
        tiles = [e.message for e in events if e.stage == "denoise" and "tile" in e.message]
        assert steps == [1, 2] and tiles[0] == "PASD step 1 of 2, tile 1 of 4" and len(tiles) == 8
        gap = np.abs(tiled - whole).mean()
        assert gap < 0.05 and gap < 0.3 * np.abs(other_seed - whole).mean()


def test_tiles_honour_cancel(full_pipe):
    from pixlcraft.errors import Cancelled
    from pixlcraft.jobs import CancelToken

    token = CancelToken()
    token.cancel()
    image = np.full((72, 96, 3), 0.5, np.float32)
    with pytest.raises(Cancelled):
        full_pipe.restore(image, steps=1, process_size=96, latent_tile=8, reporter=Reporter(None, token))


# ------------------------------------------------------------------------------------------------------------
# readiness and time


def test_time_estimate_scales_with_pixels_steps_and_device():
    from pixlcraft.cleanup.pasd import estimate

    assert estimate.step_seconds(768, 512, "cpu", threads=2) == pytest.approx(85.0)
    assert estimate.step_seconds(1536, 512, "cpu", threads=2) == pytest.approx(170.0)
    assert estimate.step_seconds(768, 512, "cpu", threads=8) < 85.0 / 2
    assert estimate.step_seconds(1024, 1024, "cuda") * 20 == pytest.approx(12.5)
    # a 512×384 result is worked at 1024×768: 2× the reference pixels, 20 steps + the VAE + loading
    cpu = estimate.estimate_seconds(512, 384, 20, "cpu", threads=2)
    assert cpu == pytest.approx(170.0 * (20 + estimate.VAE_STEPS) + estimate.LOAD_SECONDS["cpu"])
    assert cpu > 3600  # "20 steps are over an hour"
    assert estimate.estimate_seconds(512, 384, 10, "cpu", threads=2) < cpu * 0.6
    assert estimate.estimate_seconds(512, 384, 20, "cuda:1") < 60
    assert estimate.estimate_seconds(512, 384, 20, "cpu", threads=2, loaded=True) == pytest.approx(
        cpu - estimate.LOAD_SECONDS["cpu"])
    # beyond 2560 px the overlapping tiles are counted
    big = estimate.estimate_seconds(4000, 3000, 20, "cuda", loaded=True)
    plain = estimate.step_seconds(4000, 3000, "cuda") * (20 + estimate.VAE_STEPS)
    assert big > plain
    assert estimate.describe_seconds(44) == "about 40 s" and estimate.describe_seconds(7) == "about 7 s"
    assert estimate.describe_seconds(600) == "about 10 min"
    assert estimate.describe_seconds(4000) == "about 1 h 5 min"


def test_readiness_names_what_is_missing(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(tmp_path / "empty-cache"))
    method = get_method("pasd")
    state = method.readiness()
    assert not state.ready and state.device == "cpu" and state.caption == "missing"
    assert [name for name, _, _ in state.downloads] == ["PASD full weights", "Stable Diffusion 1.5 parts"]
    text = "\n".join(state.lines())
    for needed in ("not ready", "about 6.3 GB", "pasd/checkpoint-100000", "pixlcraft models download sd15-base",
                   "pixlcraft models download blip-caption-base", "on the CPU", "an estimate"):
        assert needed in text
    assert state.seconds > 3000  # the CPU: about an hour at the default size
    given = method.readiness({"pasd_model": str(tiny.light), "pasd_variant": "light", "base_model": str(tiny.base),
                              "pasd_caption": "off"})
    assert given.ready and given.downloads == [] and given.caption == "off"
    assert given.lines()[0] == "ready: weights downloaded"


def test_cleanup_list_says_what_is_missing(tmp_path, monkeypatch, capsys):
    from pixlcraft.cli import main

    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(tmp_path / "empty-cache"))
    assert main(["cleanup", "--list"]) == 0
    out = capsys.readouterr().out
    pasd = out[out.index("pasd "):]
    assert "not ready" in pasd and "PASD full weights" in pasd and "sd15-base" in pasd and "time: about" in pasd
    assert "\n           ready\n" not in pasd


def _slow_cli(tiny, tmp_path, *extra):
    from PIL import Image

    Image.fromarray((_photo().srgb * 255).astype(np.uint8)).save(tmp_path / "p.png")
    return ["cleanup", str(tmp_path / "p.png"), "-m", "pasd", "--pasd-model", str(tiny.light), "--pasd-variant",
            "light", "--base-model", str(tiny.base), "--steps", "1", "--device", "cpu", "--pasd-process-size", "64",
            "--long-side", "48", "--pasd-caption", "off", "-o", str(tmp_path / "clean.png"), *extra]


def test_a_long_run_needs_a_yes(tiny, tmp_path, monkeypatch, capsys):
    import io

    from pixlcraft.cli import main

    method = get_method("pasd")
    monkeypatch.setattr(type(method), "estimate", lambda self, w, h, options=None: 3 * 3600.0)
    # not a terminal, no --yes: refused, nothing written
    assert main(_slow_cli(tiny, tmp_path)) == 2
    err = capsys.readouterr().err
    assert "about 3 h" in err and "--yes" in err and "on the CPU" in err
    assert not (tmp_path / "clean.png").exists()

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert main(_slow_cli(tiny, tmp_path)) != 0
    assert "Start it? [y/N]" in capsys.readouterr().out and not (tmp_path / "clean.png").exists()
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(_slow_cli(tiny, tmp_path)) == 0
    assert (tmp_path / "clean.png").exists()
    (tmp_path / "clean.png").unlink()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(_slow_cli(tiny, tmp_path, "--yes")) == 0
    assert (tmp_path / "clean.png").exists()


def test_a_short_run_is_not_asked_about(tiny, tmp_path):
    from pixlcraft.cli import main

    method = get_method("pasd")
    assert method.estimate(40, 30, {"pasd_process_size": 64, "target_long_side": 48, "steps": 1}) < 600
    assert main(_slow_cli(tiny, tmp_path)) == 0


def test_pending_downloads_or_a_refusal_before_anything_starts(tiny, tmp_path, monkeypatch, capsys):
    from pixlcraft.cli import main

    monkeypatch.setenv("PIXLCRAFT_MODEL_CACHE", str(tmp_path / "empty-cache"))
    method = get_method("pasd")
    # offline (as in every test): a missing model cannot be fetched, so the run is refused with the run's message
    with pytest.raises(ModelMissingError, match="HF_HUB_OFFLINE"):
        method.pending_downloads({})
    # a folder given is checked as it is
    with pytest.raises(ModelMissingError, match="no_such_folder"):
        method.pending_downloads({"pasd_model": str(tmp_path / "no_such_folder")})
    assert method.pending_downloads({"pasd_model": str(tiny.full), "base_model": str(tiny.base)}) == []
    # online: what the run would fetch first (nothing is fetched to find out)
    monkeypatch.setattr(weights, "hub_offline", lambda: False)
    pending = method.pending_downloads({"pasd_variant": "light"})
    assert [(name, mb) for name, mb, _ in pending] == [("PASD light weights", 5000), ("Stable Diffusion 1.5 parts",
                                                                                       410)]
    assert "pasd_light/checkpoint-120000" in pending[0][2]
    monkeypatch.setattr(type(method), "estimate", lambda self, w, h, options=None: 2 * 3600.0)
    from PIL import Image

    Image.fromarray((_photo().srgb * 255).astype(np.uint8)).save(tmp_path / "p.png")
    assert main(["cleanup", str(tmp_path / "p.png"), "-m", "pasd", "--device", "cpu", "-o",
                 str(tmp_path / "x.png")]) == 2
    assert "after downloading about 6.3 GB" in capsys.readouterr().err


def test_cleanup_first_pasd_asks_too(tiny, monkeypatch):
    import argparse

    from pixlcraft.cli.cleanup import add_cleanup_args, apply_cleanup

    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int)
    add_cleanup_args(parser)
    flags = ["--width", "24", "--cleanup-first", "pasd", "--cleanup-pasd-model", str(tiny.light),
             "--cleanup-pasd-variant", "light", "--cleanup-base-model", str(tiny.base), "--cleanup-steps", "1",
             "--cleanup-device", "cpu", "--cleanup-pasd-process-size", "64", "--cleanup-pasd-caption", "off"]
    method = get_method("pasd")
    monkeypatch.setattr(type(method), "estimate", lambda self, w, h, options=None: 1800.0)
    with pytest.raises(InputError, match=r"about 30 min.*--cleanup-yes.*--cleanup-long-side"):
        apply_cleanup(parser.parse_args(flags), _photo())
    result = apply_cleanup(parser.parse_args([*flags, "--cleanup-yes"]), _photo())
    assert result.width == 48 and method.last_run.steps == 1
