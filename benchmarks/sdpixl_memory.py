"""SD-πXL activation memory of the full-size models, measured on the ``meta`` device (no GPU, no weights).

Where the constants of :mod:`pixlcraft.sdpixl.memory` come from. The published configs of the SDXL base
UNet, the canny and depth "mid" ControlNets and TAESD-XL are built on ``meta`` (shapes only, nothing
allocated); :class:`benchmarks.live_bytes.LiveBytes` then records the peak bytes of live tensors, beyond the
weights, of

* the no-grad ControlNets + UNet pass of one step (batch ``--batch``, weights in ``--dtype``), with attention
  counted as a fused kernel that keeps no attention matrix (what flash / memory-efficient SDPA do on a GPU);
* TAESD's encode of the canvas followed by its backward pass (the graph is kept for the SDS gradient);
* the fp32 render, the shared augmentation of render and control images (all three draws on) and its backward.

    python -m benchmarks.sdpixl_memory [--dtype bfloat16] [--batch 2] [--side 1024]

On a GPU the real peak adds allocator rounding and cuDNN/cuBLAS workspaces; ``benchmarks.sdpixl_step``
reports ``torch.cuda.max_memory_allocated`` for comparison.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import torch
import torch.nn.functional as F

from benchmarks import sdxl_configs as published
from benchmarks.live_bytes import LiveBytes
from benchmarks.sdpixl_step import build_model

META = torch.device("meta")


def _flash_like(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
    return torch.empty_like(q)


def denoise_gib(dtype: torch.dtype, batch: int, side: int) -> float:
    unet = build_model("UNet2DConditionModel", published.SDXL_UNET, META, dtype)
    nets = [build_model("ControlNetModel", cfg, META, dtype)
            for cfg in (published.CONTROLNET_CANNY_MID, published.CONTROLNET_DEPTH_MID)]
    width, pooled = published.text_shapes(published.SDXL_UNET)
    emb = torch.zeros(batch, published.SDXL_TEXT["tokens"], width, device=META, dtype=dtype)
    added = {"text_embeds": torch.zeros(batch, pooled, device=META, dtype=dtype),
             "time_ids": torch.zeros(batch, 6, device=META, dtype=dtype)}
    x = torch.zeros(batch, 4, side // 8, side // 8, device=META, dtype=dtype)
    cond = torch.zeros(batch, 3, side, side, device=META, dtype=dtype)
    t = torch.zeros((), dtype=torch.long, device=META)
    weights = [*unet.parameters(), *unet.buffers(), *(p for n in nets for p in n.parameters())]
    real = F.scaled_dot_product_attention
    F.scaled_dot_product_attention = _flash_like
    try:
        with torch.no_grad(), LiveBytes([x, cond, emb, *added.values(), *weights]) as live:
            down = mid = None
            for net in nets:
                d, m = net(x, t, encoder_hidden_states=emb, controlnet_cond=cond, conditioning_scale=0.15,
                           added_cond_kwargs=added, return_dict=False)
                down = list(d) if down is None else [a + b for a, b in zip(down, d, strict=True)]
                mid = m if mid is None else mid + m
            unet(x, t, encoder_hidden_states=emb, added_cond_kwargs=added, down_block_additional_residuals=down,
                 mid_block_additional_residual=mid, return_dict=False)
    finally:
        F.scaled_dot_product_attention = real
    return (live.peak - live.start) / 2**30


def taesd_gib(dtype: torch.dtype, side: int) -> float:
    taesd = build_model("AutoencoderTiny", published.TAESDXL, META, dtype)
    img = torch.zeros(1, 3, side, side, device=META, dtype=dtype, requires_grad=True)
    with LiveBytes([img, *taesd.parameters()]) as live:
        taesd.encoder(img).float().sum().backward()
    return (live.peak - live.start) / 2**30


def render_gib(side: int, cells: int = 64) -> float:
    from pixlcraft.sdpixl import augment as aug
    from pixlcraft.sdpixl.optimize import bilinear_matrix

    image = torch.rand(cells, cells, 3, requires_grad=True)
    controls = [torch.rand(1, 3, side, side) for _ in range(2)]
    up_h, up_w = bilinear_matrix(side, cells), bilinear_matrix(side, cells)
    settings = aug.AugmentSettings(1.0, 1.0, 0.3, 1.0)
    with LiveBytes([image, *controls, up_h, up_w]) as live:
        canvas = torch.einsum("oh,chw,pw->cop", up_h, image.permute(2, 0, 1), up_w).unsqueeze(0)
        out, _ = aug.augment_same([canvas, *controls], settings, torch.Generator().manual_seed(0))
        (2.0 * out[0] - 1.0).clamp(-1.0, 1.0).sum().backward()
    return (live.peak - live.start) / 2**30


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(prog="python -m benchmarks.sdpixl_memory", description=__doc__.split("\n")[0])
    p.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16", "float32"))
    p.add_argument("--batch", type=int, default=2, help="UNet batch (FAST 2, PAPER 3)")
    p.add_argument("--side", type=int, default=1024, help="square canvas side in pixels (multiple of 64)")
    args = p.parse_args(argv)
    dtype = getattr(torch, args.dtype)
    size = torch.finfo(dtype).bits // 8
    unit = args.side**2 / 2**20
    figures = {"dtype": args.dtype, "batch": args.batch, "side": args.side,
               "denoise_gib": round(denoise_gib(dtype, args.batch, args.side), 3),
               "taesd_gib": round(taesd_gib(dtype, args.side), 3),
               "render_gib": round(render_gib(args.side), 3)}
    figures["per_1024sq"] = {
        "denoise_per_sample_byte": round(figures["denoise_gib"] / (unit * args.batch * size), 4),
        "taesd_per_byte": round(figures["taesd_gib"] / (unit * size), 4),
        "render": round(figures["render_gib"] / unit, 4),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
