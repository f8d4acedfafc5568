"""Tiny random-weight models in the exact on-disk layouts of the real ones.

No machine running the tests can reach Hugging Face, yet the model store must be tested through the same
``from_pretrained`` calls that load the real SDXL, TAESD-XL, ControlNet, DPT and CLIP weights. So each builder
here instantiates the *real* diffusers/transformers class with a miniature configuration, seeds its random
weights, and writes it with ``save_pretrained`` (safetensors) into the folder layout the Hub repository uses.
Shapes are kept consistent with SDXL's wiring (two text encoders whose hidden sizes add up to the UNet's
cross-attention width, pooled projection + six time ids feeding the ``text_time`` embedding, an 8x VAE) so that
everything downstream—pipelines, ControlNets, LoRA—runs unchanged, just small.

This is a builder module, not a test file; ``tests/conftest.py`` turns it into session fixtures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

# Sizes chosen so that the whole set builds and saves in a second or two on a laptop CPU.
TEXT_HIDDEN_1 = 32  # CLIPTextModel (SDXL's "text_encoder", ViT-L in the real model: 768)
TEXT_HIDDEN_2 = 32  # CLIPTextModelWithProjection ("text_encoder_2", bigG in the real model: 1280)
TEXT_PROJECTION_2 = 32  # pooled embedding size fed to the UNet's add_embedding (real: 1280)
ADDITION_TIME_EMBED_DIM = 8  # per time id (real: 256); SDXL passes six time ids
MAX_TOKENS = 77  # CLIP context length, kept real so prompt handling is exercised unchanged
UNET_SAMPLE_SIZE = 8  # latent size; the pipeline's default image size is sample_size * 8
SEED = 0

# A handful of BPE merges so that common prompt words become multi-byte tokens (the rest stay bytes).
_MERGES = [
    ("t", "h"),
    ("th", "e</w>"),
    ("a", "n"),
    ("an", "d</w>"),
    ("r", "o"),
    ("ro", "s"),
    ("o", "f</w>"),
    ("r", "e</w>"),
    ("i", "n"),
]


@dataclass(frozen=True)
class TinyModels:
    """Folders of the tiny models, each laid out like its Hub repository."""

    root: Path
    base: Path  # SDXL base: model_index.json, unet/, text_encoder(_2)/, tokenizer(_2)/, scheduler/, vae/
    taesd: Path  # madebyollin/taesdxl: AutoencoderTiny
    controlnet_canny: Path  # diffusers/controlnet-canny-sdxl-1.0-mid
    controlnet_depth: Path  # diffusers/controlnet-depth-sdxl-1.0-mid
    depth: Path  # Intel/dpt-hybrid-midas: DPTForDepthEstimation + DPTImageProcessor
    clip: Path  # openai/clip-vit-base-patch32: CLIPModel + CLIPProcessor
    lora: Path  # a kohya/diffusers-style LoRA file for the tiny UNet (pytorch_lora_weights.safetensors)


def _byte_alphabet() -> list[str]:
    """The 256 printable stand-ins that byte-level BPE uses for the 256 byte values (GPT-2/CLIP scheme).

    Printable Latin-1 bytes stand for themselves; the others are shifted above U+0100 in byte order.
    """
    keep = set(range(ord("!"), ord("~") + 1)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    shifted = 0
    chars = []
    for b in range(256):
        if b in keep:
            chars.append(chr(b))
        else:
            chars.append(chr(256 + shifted))
            shifted += 1
    return chars


def write_tiny_clip_tokenizer(folder: Path, *, pad_token: str = "<|endoftext|>") -> int:
    """Write vocab.json, merges.txt and configs of a CLIP BPE tokenizer; return the vocabulary size.

    Mirrors the real CLIP vocabulary's order: bytes, bytes + ``</w>``, merge results, then the two special tokens
    last (so that, as in the real model, ``<|endoftext|>`` has the largest id).
    """
    folder.mkdir(parents=True, exist_ok=True)
    alphabet = _byte_alphabet()
    tokens = list(alphabet) + [c + "</w>" for c in alphabet] + ["".join(pair) for pair in _MERGES]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    merges = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in _MERGES)
    (folder / "merges.txt").write_text(merges, encoding="utf-8")
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": MAX_TOKENS,
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "pad_token": pad_token,
        "do_lower_case": True,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    special = {k: config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token")}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")
    return len(vocab)


def _text_config_kwargs(vocab_size: int, hidden: int) -> dict:
    return dict(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=MAX_TOKENS,
        hidden_act="gelu",
        bos_token_id=vocab_size - 2,
        eos_token_id=vocab_size - 1,
        pad_token_id=vocab_size - 1,
    )


def tiny_unet():
    """An SDXL-shaped UNet: text_time add-embedding, linear projections, two resolutions."""
    import torch
    from diffusers import UNet2DConditionModel

    torch.manual_seed(SEED)
    return UNet2DConditionModel(
        sample_size=UNET_SAMPLE_SIZE,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64),
        layers_per_block=1,
        attention_head_dim=(2, 4),
        transformer_layers_per_block=1,
        use_linear_projection=True,
        cross_attention_dim=TEXT_HIDDEN_1 + TEXT_HIDDEN_2,
        addition_embed_type="text_time",
        addition_time_embed_dim=ADDITION_TIME_EMBED_DIM,
        projection_class_embeddings_input_dim=6 * ADDITION_TIME_EMBED_DIM + TEXT_PROJECTION_2,
        norm_num_groups=8,
    )


def build_tiny_base(folder: Path):
    """Save a tiny SDXL base in the Hub layout; return the UNet (ControlNets and the LoRA are derived from it)."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline
    from transformers import (
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTextModelWithProjection,
        CLIPTokenizer,
    )

    tok_dir = folder.parent / (folder.name + "-tokenizer-src")
    vocab_size = write_tiny_clip_tokenizer(tok_dir)
    tokenizer = CLIPTokenizer.from_pretrained(tok_dir)

    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(CLIPTextConfig(**_text_config_kwargs(vocab_size, TEXT_HIDDEN_1)))
    torch.manual_seed(SEED + 1)
    text_encoder_2 = CLIPTextModelWithProjection(
        CLIPTextConfig(**_text_config_kwargs(vocab_size, TEXT_HIDDEN_2), projection_dim=TEXT_PROJECTION_2)
    )
    unet = tiny_unet()
    torch.manual_seed(SEED)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=4,
        sample_size=UNET_SAMPLE_SIZE * 8,
        scaling_factor=0.13025,
    )
    # Like the real repository: an EulerDiscreteScheduler config with SDXL's noise schedule, which the optimiser
    # reads back as a DDPMScheduler (same betas) and the reference sampler uses as is.
    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
        prediction_type="epsilon",
        interpolation_type="linear",
        use_karras_sigmas=False,
    )
    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer,
        unet=unet,
        scheduler=scheduler,
        force_zeros_for_empty_prompt=True,
    )
    pipe.save_pretrained(folder, safe_serialization=True)
    # Overwrite the tokenizer folders with the files the real repository has (vocab.json + merges.txt, no
    # tokenizer.json), so that loading exercises the same conversion path as the real download.
    for name, pad in (("tokenizer", "<|endoftext|>"), ("tokenizer_2", "!")):
        target = folder / name
        for f in target.iterdir():
            f.unlink()
        write_tiny_clip_tokenizer(target, pad_token=pad)
    for f in tok_dir.iterdir():
        f.unlink()
    tok_dir.rmdir()
    return unet


def build_tiny_taesd(folder: Path) -> None:
    """TAESD-XL's shape: 4 latent channels, scaling 1.0, 8x down-sampling (four blocks), tiny widths."""
    import torch
    from diffusers import AutoencoderTiny

    torch.manual_seed(SEED)
    AutoencoderTiny(
        in_channels=3,
        out_channels=3,
        encoder_block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        num_encoder_blocks=(1, 1, 1, 1),
        num_decoder_blocks=(1, 1, 1, 1),
        latent_channels=4,
        scaling_factor=1.0,
    ).save_pretrained(folder, safe_serialization=True)
    # diffusers records a derived ``block_out_channels`` when saving; the published config has no such key.
    config_file = folder / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config.pop("block_out_channels", None)
    config_file.write_text(json.dumps(config, indent=2), encoding="utf-8")


def build_tiny_controlnet(folder: Path, unet, seed: int) -> None:
    """``ControlNetModel.from_unet`` copies the UNet's encoder; perturb it so the two nets differ."""
    import torch
    from diffusers import ControlNetModel

    controlnet = ControlNetModel.from_unet(unet)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        # Real ControlNets have non-zero output convolutions; zero ones (the from_unet default) would make the
        # residuals vanish and hide wiring mistakes downstream.
        for p in controlnet.parameters():
            p.add_(0.02 * torch.randn(p.shape, generator=gen))
    controlnet.save_pretrained(folder, safe_serialization=True)


def build_tiny_depth(folder: Path) -> None:
    """A plain-ViT DPT with a 32x32 input (the real one is a ViT-hybrid at 384x384)."""
    import torch
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    config = DPTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=37,
        backbone_out_indices=(0, 1, 2, 3),
        neck_hidden_sizes=(8, 16, 16, 32),
        fusion_hidden_size=16,
        reassemble_factors=(4, 2, 1, 0.5),
        is_hybrid=False,
    )
    torch.manual_seed(SEED)
    DPTForDepthEstimation(config).save_pretrained(folder, safe_serialization=True)
    DPTImageProcessor(
        do_resize=True,
        size={"height": 32, "width": 32},
        keep_aspect_ratio=False,
        do_normalize=True,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    ).save_pretrained(folder)


def build_tiny_clip(folder: Path) -> None:
    import torch
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPTokenizer

    vocab_size = write_tiny_clip_tokenizer(folder)
    tokenizer = CLIPTokenizer.from_pretrained(folder)
    config = CLIPConfig(
        text_config=_text_config_kwargs(vocab_size, 32),
        vision_config=dict(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=32,
            patch_size=8,
            hidden_act="gelu",
        ),
        projection_dim=16,
    )
    torch.manual_seed(SEED)
    CLIPModel(config).save_pretrained(folder, safe_serialization=True)
    # The real repository keeps the image processor in preprocessor_config.json next to the tokenizer files
    # (no processor_config.json), so save the two parts the same way.
    CLIPImageProcessor(
        size={"shortest_edge": 32},
        crop_size={"height": 32, "width": 32},
        do_center_crop=True,
    ).save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def build_tiny_lora(folder: Path, unet, rank: int = 4) -> None:
    """A LoRA on the UNet's attention projections, saved in diffusers' ``pytorch_lora_weights`` format.

    Written directly as a safetensors state dict (``unet.<module>.lora_A/B.weight``), exactly what
    ``save_lora_weights`` produces, so that building it needs no ``peft``; loading it does.
    """
    import torch
    from safetensors.torch import save_file

    gen = torch.Generator().manual_seed(SEED + 7)
    tensors = {}
    for name, module in unet.named_modules():
        if name.endswith(("attn1.to_q", "attn1.to_k", "attn1.to_v", "attn2.to_q", "attn2.to_k", "attn2.to_v")):
            out_f, in_f = module.weight.shape
            tensors[f"unet.{name}.lora_A.weight"] = 0.2 * torch.randn(rank, in_f, generator=gen)
            tensors[f"unet.{name}.lora_B.weight"] = 0.2 * torch.randn(out_f, rank, generator=gen)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / "pytorch_lora_weights.safetensors"))


def build_tiny_models(root: Path) -> TinyModels:
    """Build the whole tiny set under ``root`` (which must be empty or absent)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    models = TinyModels(
        root=root,
        base=root / "sdxl-base",
        taesd=root / "taesdxl",
        controlnet_canny=root / "controlnet-canny",
        controlnet_depth=root / "controlnet-depth",
        depth=root / "dpt",
        clip=root / "clip",
        lora=root / "lora",
    )
    unet = build_tiny_base(models.base)
    build_tiny_taesd(models.taesd)
    build_tiny_controlnet(models.controlnet_canny, unet, seed=11)
    build_tiny_controlnet(models.controlnet_depth, unet, seed=12)
    build_tiny_depth(models.depth)
    build_tiny_clip(models.clip)
    build_tiny_lora(models.lora, unet)
    return models


if __name__ == "__main__":  # pragma: no cover - manual timing aid
    import sys
    import tempfile
    import time

    t0 = time.perf_counter()
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    built = build_tiny_models(out)
    print(f"built {built} in {time.perf_counter() - t0:.2f}s")
