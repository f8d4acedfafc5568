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
from pixlcraft.cleanup.pasd import colorfix, pipeline, weights
from pixlcraft.cleanup.pasd.unet import PASDUNet2DConditionModel
from pixlcraft.errors import InputError
from pixlcraft.imageio import Photo
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
