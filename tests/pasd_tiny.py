"""Tiny random PASD checkpoints in exactly the layout of the released ones, and a tiny SD 1.5 base.

The released folders (``pasd/checkpoint-100000``, ``pasd_light/checkpoint-120000`` of ``yangtao9009/PASD``)
were written by the authors' training script with ``save_pretrained``: ``unet/`` and ``controlnet/``, each a
diffusers ``config.json`` plus ``diffusion_pytorch_model.bin``. The state dicts here are put together **without
PixlCraft's PASD code**, from stock diffusers modules and the rules of PASD's own model code, so that loading them
strictly checks our architecture against PASD's rather than against itself:

* UNet: the keys of a stock ``UNet2DConditionModel``, plus

  - full: ``up_blocks.{i}.pixel_attentions.{j}.*`` — a stock ``Transformer2DModel`` per up-block layer with
    ``num_attention_heads`` heads of ``out_channels // heads`` channels, ``in_channels = out_channels``, the
    block's transformer depth, ``norm_num_groups`` of the UNet and ``cross_attention_dim`` = the channels of the
    layer's skip in cross-attention blocks, ``out_channels`` in ``UpBlock2D`` (PASD's choices);
  - light: in the cross-attention up blocks only, ``up_blocks.{i}.attentions.{j}.proj_in_plus`` (1×1 conv,
    skip → skip channels) and, in every transformer block ``k``, ``norm2_plus`` (LayerNorm of the block width) and
    ``attn2_plus`` (to_q without bias, to_k/to_v from the skip width without bias, to_out.0 with bias).

* ControlNet: the keys of a stock ``ControlNetModel`` plus ``controlnet_cond_embedding.to_rgbs.{k}``, a 3×3
  conv from the k-th stride-2 stage's channels to RGB; its config carries PASD's ``return_rgbs``/``use_rrdb``.

The two ``config.json`` files hold every key PASD's classes register, so loading them also checks that current
diffusers accepts PASD's configs as written.

The tiny UNet keeps SD 1.5's wiring (cross-attention down blocks, a plain bottom block, ``UpBlock2D`` first,
equal widths for the two deepest stages, 1×1-conv projections) at minute widths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tiny_models import _text_config_kwargs, write_tiny_clip_tokenizer

TEXT_HIDDEN = 32
SEED = 0

# Every key PASD's UNet class registers (its __init__ arguments), as its save_pretrained writes them; the values
# are SD 1.5's except for the widths and the text size.
UNET_CONFIG = {
    "_class_name": "UNet2DConditionModel",
    "_diffusers_version": "0.21.4",
    "act_fn": "silu",
    "addition_embed_type": None,
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": None,
    "attention_head_dim": 2,  # SD 1.5 style: this is really the number of heads
    "attention_type": "default",
    "block_out_channels": [32, 64, 64],
    "center_input_sample": False,
    "class_embed_type": None,
    "class_embeddings_concat": False,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "cross_attention_dim": TEXT_HIDDEN,
    "cross_attention_norm": None,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "dual_cross_attention": False,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 1,
    "mid_block_only_cross_attention": None,
    "mid_block_scale_factor": 1,
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "norm_eps": 1e-05,
    "norm_num_groups": 8,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": None,
    "resnet_out_scale_factor": 1.0,
    "resnet_skip_time_act": False,
    "resnet_time_scale_shift": "default",
    "sample_size": 8,
    "time_cond_proj_dim": None,
    "time_embedding_act_fn": None,
    "time_embedding_dim": None,
    "time_embedding_type": "positional",
    "timestep_post_act": None,
    "transformer_layers_per_block": 1,
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "upcast_attention": False,
    "use_linear_projection": False,
}

# Every key PASD's ControlNet class registers, with the values its from_unet gives for the UNet above.
CONTROLNET_CONFIG = {
    "_class_name": "ControlNetModel",
    "_diffusers_version": "0.21.4",
    "act_fn": "silu",
    "addition_embed_type": None,
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": None,
    "attention_head_dim": 2,
    "block_out_channels": [32, 64, 64],
    "class_embed_type": None,
    "conditioning_channels": 3,
    "conditioning_embedding_out_channels": [4, 8, 8, 16],
    "controlnet_conditioning_channel_order": "rgb",
    "cross_attention_dim": TEXT_HIDDEN,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "downsample_padding": 1,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "global_pool_conditions": False,
    "in_channels": 4,
    "layers_per_block": 1,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 8,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "projection_class_embeddings_input_dim": None,
    "resnet_time_scale_shift": "default",
    "return_rgbs": True,
    "transformer_layers_per_block": 1,
    "upcast_attention": False,
    "use_linear_projection": False,
    "use_rrdb": False,
}

SD15_SCHEDULER = {
    "_class_name": "PNDMScheduler",
    "_diffusers_version": "0.6.0",
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "trained_betas": None,
    "clip_sample": False,
}

@dataclass(frozen=True)
class TinyPasd:
    root: Path
    full: Path  # .../pasd/checkpoint-100000 with unet/ and controlnet/ (.bin, like the release)
    light: Path  # .../pasd_light/checkpoint-120000 (safetensors, to cover that path too)
    base: Path  # tiny SD 1.5: vae/, text_encoder/, tokenizer/, scheduler/, model_index.json


def _stock_unet():
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(SEED)
    return UNet2DConditionModel.from_config({k: v for k, v in UNET_CONFIG.items() if not k.startswith("_")})


def up_layers(config: dict = UNET_CONFIG) -> list[dict]:
    """One record per up-block layer ``(i, j)``: widths and attention settings, by diffusers' wiring rules."""
    widths = list(reversed(config["block_out_channels"]))
    heads = config["num_attention_heads"] or config["attention_head_dim"]
    layers = config["layers_per_block"] + 1
    out = []
    for i, kind in enumerate(config["up_block_types"]):
        own, below = widths[i], widths[min(i + 1, len(widths) - 1)]
        for j in range(layers):
            skip = below if j == layers - 1 else own
            out.append({"i": i, "j": j, "kind": kind, "width": own, "skip": skip, "heads": heads})
    return out


def pixel_attention_state(config: dict = UNET_CONFIG) -> dict:
    """PASD-full's extra tensors, from stock ``Transformer2DModel`` instances built with PASD's arguments."""
    import torch
    from diffusers.models.transformers.transformer_2d import Transformer2DModel

    state = {}
    for n, layer in enumerate(up_layers(config)):
        torch.manual_seed(SEED + 100 + n)
        cross = layer["skip"] if layer["kind"] == "CrossAttnUpBlock2D" else layer["width"]
        module = Transformer2DModel(
            layer["heads"],
            layer["width"] // layer["heads"],
            in_channels=layer["width"],
            num_layers=1,
            cross_attention_dim=cross,
            norm_num_groups=config["norm_num_groups"],
            use_linear_projection=config["use_linear_projection"],
        )
        for key, value in module.state_dict().items():
            state[f"up_blocks.{layer['i']}.pixel_attentions.{layer['j']}.{key}"] = value
    return state


def light_state(config: dict = UNET_CONFIG) -> dict:
    """PASD-light's extra tensors, written out by shape (cross-attention up blocks only)."""
    import torch

    gen = torch.Generator().manual_seed(SEED + 200)

    def rand(*shape):
        return torch.randn(*shape, generator=gen) * 0.2

    state = {}
    for layer in up_layers(config):
        if layer["kind"] != "CrossAttnUpBlock2D":
            continue
        prefix = f"up_blocks.{layer['i']}.attentions.{layer['j']}"
        dim, skip = layer["width"], layer["skip"]
        state[f"{prefix}.proj_in_plus.weight"] = rand(skip, skip, 1, 1)
        state[f"{prefix}.proj_in_plus.bias"] = rand(skip)
        block = f"{prefix}.transformer_blocks.0"
        state[f"{block}.norm2_plus.weight"] = 1 + rand(dim)
        state[f"{block}.norm2_plus.bias"] = rand(dim)
        state[f"{block}.attn2_plus.to_q.weight"] = rand(dim, dim)
        state[f"{block}.attn2_plus.to_k.weight"] = rand(dim, skip)
        state[f"{block}.attn2_plus.to_v.weight"] = rand(dim, skip)
        state[f"{block}.attn2_plus.to_out.0.weight"] = rand(dim, dim)
        state[f"{block}.attn2_plus.to_out.0.bias"] = rand(dim)
    return state


def _randomise(state: dict, seed: int) -> dict:
    """Give zero-initialised layers (ControlNet zero convs, conv_out) values, so every path carries signal."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    return {k: v + 0.05 * torch.randn(v.shape, generator=gen) for k, v in state.items()}


def controlnet_state(unet) -> dict:
    """A stock ControlNet copied from ``unet`` (as PASD's training starts), randomised, plus the RGB heads."""
    import torch
    from diffusers import ControlNetModel

    channels = CONTROLNET_CONFIG["conditioning_embedding_out_channels"]
    net = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=tuple(channels))
    state = _randomise(net.state_dict(), SEED + 2)
    gen = torch.Generator().manual_seed(SEED + 3)
    for k, width in enumerate(channels[1:]):
        state[f"controlnet_cond_embedding.to_rgbs.{k}.weight"] = torch.randn(3, width, 3, 3, generator=gen) * 0.1
        state[f"controlnet_cond_embedding.to_rgbs.{k}.bias"] = torch.zeros(3)
    return state


def unet_state(variant: str) -> dict:
    unet = _stock_unet()
    state = _randomise(unet.state_dict(), SEED + 4)
    state.update(pixel_attention_state() if variant == "full" else light_state())
    return state


def _write_part(folder: Path, config: dict, state: dict, fmt: str) -> None:
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    state = {k: v.contiguous() for k, v in state.items()}
    if fmt == "bin":
        torch.save(state, folder / "diffusion_pytorch_model.bin")
    else:
        save_file(state, str(folder / "diffusion_pytorch_model.safetensors"))


def build_pasd_checkpoint(folder: Path, variant: str, fmt: str = "bin") -> Path:
    """Write ``folder/unet`` and ``folder/controlnet`` for ``variant`` ("full"/"light"); return ``folder``."""
    _write_part(folder / "unet", UNET_CONFIG, unet_state(variant), fmt)
    _write_part(folder / "controlnet", CONTROLNET_CONFIG, controlnet_state(_stock_unet()), fmt)
    return folder


def build_tiny_sd15(folder: Path) -> Path:
    """A tiny SD 1.5 in the Hub layout: VAE (8× down), CLIP text encoder, tokenizer, PNDM scheduler config."""
    import torch
    from diffusers import AutoencoderKL
    from transformers import CLIPTextConfig, CLIPTextModel

    folder.mkdir(parents=True, exist_ok=True)
    vocab = write_tiny_clip_tokenizer(folder / "tokenizer")
    torch.manual_seed(SEED)
    CLIPTextModel(CLIPTextConfig(**_text_config_kwargs(vocab, TEXT_HIDDEN))).save_pretrained(folder / "text_encoder")
    torch.manual_seed(SEED)
    AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=64,
    ).save_pretrained(folder / "vae")
    # SD 1.5's scheduler_config.json as published (a PNDM config; PASD builds UniPC from it).
    (folder / "scheduler").mkdir()
    (folder / "scheduler" / "scheduler_config.json").write_text(json.dumps(SD15_SCHEDULER, indent=2), encoding="utf-8")
    index = {"_class_name": "StableDiffusionPipeline", "vae": ["diffusers", "AutoencoderKL"],
             "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
             "scheduler": ["diffusers", "PNDMScheduler"], "unet": ["diffusers", "UNet2DConditionModel"]}
    (folder / "model_index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return folder


def build_tiny_pasd(root: Path) -> TinyPasd:
    full = build_pasd_checkpoint(root / "PASD" / "pasd" / "checkpoint-100000", "full", "bin")
    light = build_pasd_checkpoint(root / "PASD" / "pasd_light" / "checkpoint-120000", "light", "safetensors")
    base = build_tiny_sd15(root / "sd15")
    return TinyPasd(root, full, light, base)


# The words of the tiny BLIP's vocabulary after BERT's five special tokens; "[DEC]" (BLIP's decoder start, the
# id after BERT's vocabulary in the real model) comes last, as in the real tokenizer.
BLIP_WORDS = ("a", "picture", "of", "dog", "cat", "on", "the", "grass", "blurry", "noisy", "photo", "with", "red",
              "sitting", "in", "field")


def build_tiny_blip(folder: Path) -> Path:
    """A tiny random BLIP captioner in the layout of ``Salesforce/blip-image-captioning-base``: config.json,
    model.safetensors, preprocessor_config.json and a BERT WordPiece tokenizer (vocab.txt, tokenizer.json)."""
    import torch
    from transformers import BertTokenizer, BlipConfig, BlipForConditionalGeneration, BlipImageProcessor

    folder.mkdir(parents=True, exist_ok=True)
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *BLIP_WORDS, "[DEC]"]
    (folder / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), bos_token="[DEC]")
    config = BlipConfig(
        text_config=dict(vocab_size=len(tokens), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=2, encoder_hidden_size=32, max_position_embeddings=64,
                         bos_token_id=len(tokens) - 1, pad_token_id=0, sep_token_id=3, eos_token_id=3),
        vision_config=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16,
    )
    torch.manual_seed(SEED)
    BlipForConditionalGeneration(config).save_pretrained(folder, safe_serialization=True)
    BlipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
