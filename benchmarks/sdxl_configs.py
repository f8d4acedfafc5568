"""Published architecture configs of the models SD-πXL runs, so the benchmark can build them without a download.

Every dict below holds the constructor arguments of the diffusers class named in ``CLASSES``; building one with
random weights gives the exact layer shapes (hence FLOPs and memory) of the real checkpoint. Where each value
comes from, and how sure it is:

* ``SDXL_UNET`` — ``stabilityai/stable-diffusion-xl-base-1.0`` ``unet/config.json``. The Hub repository itself is
  not in the stored material; the file is reproduced verbatim (same keys and values) in several public code
  repositories that write it out for offline use. It builds 2,567,463,684 parameters, which matches the
  published weights: ``unet/diffusion_pytorch_model.fp16.safetensors`` is 5.14 GB (2 bytes a parameter) and the
  fp32 file 10.3 GB.
* ``SDXL_SCHEDULER`` — the same repository's ``scheduler/scheduler_config.json`` (an EulerDiscreteScheduler; the
  optimiser reads its noise schedule as a DDPMScheduler, as ``pixlcraft.model_loading.load_scheduler`` does), from the
  same reproductions.
* ``SDXL_TEXT`` — shapes of the text conditioning: the two encoders' ``config.json`` (``hidden_size`` 768 and
  1280, ``max_position_embeddings`` 77, ``projection_dim`` 1280 for the pooled embedding of the second), again
  from the reproductions; 768 + 1280 = the UNet's ``cross_attention_dim`` 2048, and 1280 + 6 × 256 = its
  ``projection_class_embeddings_input_dim`` 2816.
* ``TAESDXL`` — ``madebyollin/taesdxl`` ``config.json`` was NOT found verbatim. TAESD-XL has the same
  architecture as TAESD (only the weights differ); the values here are ``madebyollin/taesd``'s published
  ``config.json`` (quoted in public code), which are also diffusers' documented ``AutoencoderTiny`` defaults.
  Check: the build has 1,222,532 encoder + 1,222,531 decoder parameters, matching the repository's
  ``taesdxl_encoder.safetensors`` and ``taesdxl_decoder.safetensors`` of 4.9 MB each (fp32, 4 bytes a parameter).
* ``CONTROLNET_MID`` (canny and depth: one architecture, two weight sets) — the ``config.json`` of
  ``diffusers/controlnet-canny-sdxl-1.0-mid`` / ``-depth-sdxl-1.0-mid`` was NOT found verbatim. It is
  reconstructed from three facts: (1) the full SDXL ControlNet config (``diffusers/controlnet-canny-sdxl-1.0``,
  published, i.e. ``ControlNetModel.from_unet`` of the SDXL UNet); (2) the "mid" recipe of the diffusers
  training script that made these checkpoints (``examples/research_projects/controlnet/
  train_controlnet_webdataset.py``, ``--transformer_layers_per_block``; public re-creations of "mid" use
  ``0,0,1``); (3) diffusers' own single-file loader (``loaders/single_file_utils.py``) recognises the mid
  checkpoint by the key ``down_blocks.1.attentions.0.norm.weight`` being present while
  ``down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight`` is absent — so down block 1 keeps its
  attention wrapper (norm, proj_in, proj_out) with zero transformer layers, and block 2 has one. That gives
  272,586,000 parameters, matching both published weight files (545 MB fp16, 1.09 GB fp32); the variant
  without the block-1 wrapper would have 270,942,480 (542 MB / 1.08 GB) and does not match.

``PUBLISHED_PARAMS`` records the published sizes these checks use, with their source.
"""

from __future__ import annotations

from typing import Any

# stabilityai/stable-diffusion-xl-base-1.0, unet/config.json
SDXL_UNET: dict[str, Any] = {
    "act_fn": "silu",
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256,
    "attention_head_dim": [5, 10, 20],
    "block_out_channels": [320, 640, 1280],
    "center_input_sample": False,
    "class_embed_type": None,
    "class_embeddings_concat": False,
    "conv_in_kernel": 3,
    "conv_out_kernel": 3,
    "cross_attention_dim": 2048,
    "cross_attention_norm": None,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "downsample_padding": 1,
    "dual_cross_attention": False,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_only_cross_attention": None,
    "mid_block_scale_factor": 1,
    "mid_block_type": "UNetMidBlock2DCrossAttn",
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "out_channels": 4,
    "projection_class_embeddings_input_dim": 2816,
    "resnet_out_scale_factor": 1.0,
    "resnet_skip_time_act": False,
    "resnet_time_scale_shift": "default",
    "sample_size": 128,
    "time_cond_proj_dim": None,
    "time_embedding_act_fn": None,
    "time_embedding_dim": None,
    "time_embedding_type": "positional",
    "timestep_post_act": None,
    "transformer_layers_per_block": [1, 2, 10],
    "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
    "upcast_attention": None,
    "use_linear_projection": True,
}

# stabilityai/stable-diffusion-xl-base-1.0, scheduler/scheduler_config.json (EulerDiscreteScheduler)
SDXL_SCHEDULER: dict[str, Any] = {
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "beta_start": 0.00085,
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "epsilon",
    "sample_max_value": 1.0,
    "set_alpha_to_one": False,
    "skip_prk_steps": True,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "use_karras_sigmas": False,
}

# text_encoder/config.json (CLIPTextModel) and text_encoder_2/config.json (CLIPTextModelWithProjection)
SDXL_TEXT: dict[str, int] = {
    "tokens": 77,  # max_position_embeddings of both encoders
    "hidden_1": 768,  # text_encoder hidden_size
    "hidden_2": 1280,  # text_encoder_2 hidden_size
    "pooled": 1280,  # text_encoder_2 projection_dim
}

# madebyollin/taesdxl: same architecture as madebyollin/taesd's config.json = AutoencoderTiny defaults
TAESDXL: dict[str, Any] = {
    "act_fn": "relu",
    "decoder_block_out_channels": [64, 64, 64, 64],
    "encoder_block_out_channels": [64, 64, 64, 64],
    "force_upcast": False,
    "in_channels": 3,
    "latent_channels": 4,
    "latent_magnitude": 3,
    "latent_shift": 0.5,
    "num_decoder_blocks": [3, 3, 3, 1],
    "num_encoder_blocks": [1, 3, 3, 3],
    "out_channels": 3,
    "scaling_factor": 1.0,
    "shift_factor": 0.0,
    "upsample_fn": "nearest",
    "upsampling_scaling_factor": 2,
}

# diffusers/controlnet-canny-sdxl-1.0's published config (= ControlNetModel.from_unet(SDXL UNet)) ...
_CONTROLNET_FULL: dict[str, Any] = {
    "act_fn": "silu",
    "addition_embed_type": "text_time",
    "addition_embed_type_num_heads": 64,
    "addition_time_embed_dim": 256,
    "attention_head_dim": [5, 10, 20],
    "block_out_channels": [320, 640, 1280],
    "class_embed_type": None,
    "conditioning_channels": 3,
    "conditioning_embedding_out_channels": [16, 32, 96, 256],
    "controlnet_conditioning_channel_order": "rgb",
    "cross_attention_dim": 2048,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
    "downsample_padding": 1,
    "encoder_hid_dim": None,
    "encoder_hid_dim_type": None,
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "global_pool_conditions": False,
    "in_channels": 4,
    "layers_per_block": 2,
    "mid_block_scale_factor": 1,
    "norm_eps": 1e-05,
    "norm_num_groups": 32,
    "num_attention_heads": None,
    "num_class_embeds": None,
    "only_cross_attention": False,
    "projection_class_embeddings_input_dim": 2816,
    "resnet_time_scale_shift": "default",
    "transformer_layers_per_block": [1, 2, 10],
    "upcast_attention": None,
    "use_linear_projection": True,
}
# ... thinned to the "mid" size (reconstructed, see the module docstring): down block 1 keeps an attention
# wrapper with no transformer layer, down block 2 and the mid block have one layer each.
CONTROLNET_MID: dict[str, Any] = {**_CONTROLNET_FULL, "transformer_layers_per_block": [0, 0, 1]}
CONTROLNET_CANNY_MID = CONTROLNET_MID  # diffusers/controlnet-canny-sdxl-1.0-mid
CONTROLNET_DEPTH_MID = CONTROLNET_MID  # diffusers/controlnet-depth-sdxl-1.0-mid (same sizes: 545 MB / 1.09 GB)

CLASSES: dict[str, str] = {
    "unet": "UNet2DConditionModel",
    "taesd": "AutoencoderTiny",
    "controlnet_canny": "ControlNetModel",
    "controlnet_depth": "ControlNetModel",
}

CONFIGS: dict[str, dict[str, Any]] = {
    "unet": SDXL_UNET,
    "taesd": TAESDXL,
    "controlnet_canny": CONTROLNET_CANNY_MID,
    "controlnet_depth": CONTROLNET_DEPTH_MID,
}

# Published parameter counts: (count, where it comes from). Weight-file sizes are those the Hub shows (decimal
# units), divided by the bytes per parameter of the file's precision.
PUBLISHED_PARAMS: dict[str, tuple[int, str]] = {
    "unet": (2_567_000_000, "SDXL base UNet, 2.567B; unet/diffusion_pytorch_model.fp16.safetensors 5.14 GB / 2"),
    "taesd": (2_450_000, "madebyollin/taesdxl taesdxl_encoder + taesdxl_decoder .safetensors, 4.9 MB each, fp32 / 4"),
    "controlnet_canny": (272_500_000, "diffusers/controlnet-canny-sdxl-1.0-mid fp16 safetensors 545 MB / 2"),
    "controlnet_depth": (272_500_000, "diffusers/controlnet-depth-sdxl-1.0-mid fp16 safetensors 545 MB / 2"),
}


def text_shapes(unet_config: dict[str, Any]) -> tuple[int, int]:
    """(embedding width, pooled width) a UNet config expects: SDXL's 2048 and 1280.

    The pooled width is what the ``text_time`` projection takes besides the six time ids.
    """
    width = int(unet_config["cross_attention_dim"])
    pooled = int(unet_config["projection_class_embeddings_input_dim"]) - 6 * int(unet_config["addition_time_embed_dim"])
    return width, pooled
