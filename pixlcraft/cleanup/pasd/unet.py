"""PASD's UNet: Stable Diffusion 1.5's UNet with pixel-aware cross-attention in its decoder.

A ControlNet alone only *adds* its residuals to the UNet's skip connections, which is enough for layout but
loses the photo's fine texture. PASD (Yang et al., ECCV 2024) lets every layer of the UNet's decoder also
*attend* to the ControlNet residual that arrives with its skip connection: the layer's features are the queries,
the residual's pixels (one token per position, after the zero convolution and the conditioning scale) are the
keys and values. The residuals are still added to the skips as usual.

Two released variants differ in where that attention sits:

* **full** (``pasd/checkpoint-100000``): after each resnet of every up block — after its text attention in the
  cross-attention blocks — a whole extra ``Transformer2DModel`` (self-attention, cross-attention to the
  residual, feed-forward), stored as ``up_blocks.{i}.pixel_attentions.{j}``. Its cross-attention width is the
  skip's channel count in cross-attention blocks, and the block's output width in the plain ``UpBlock2D`` (the
  two agree for SD 1.5, whose last two stages both have 1280 channels).
* **light** (``pasd_light/checkpoint-120000``): only in the cross-attention up blocks, inside each existing text
  ``Transformer2DModel``: a 1×1 projection of the residual (``proj_in_plus``) and, in each transformer block,
  one more layer norm and cross-attention (``norm2_plus``, ``attn2_plus``) right after the text cross-attention.

The base network is diffusers' own ``UNet2DConditionModel`` and its forward runs unchanged: before it runs,
:meth:`PASDUNet2DConditionModel.forward` hands each pixel-aware layer the residual of its skip, in the order in
which the standard UNet pops skips (last residual first, up block by up block). The full variant's attentions
run from forward hooks on the layer they follow, so diffusers' up-block code (FreeU, gradient checkpointing,
attention processors) stays in charge of everything else; the light variant's step sits in the middle of a
transformer block, so its blocks are :class:`PixelAwareTransformerBlock`, which inserts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from diffusers import UNet2DConditionModel
from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.attention_processor import Attention
from diffusers.models.transformers.transformer_2d import Transformer2DModel
from torch import nn

VARIANTS = ("full", "light")


def _per_block(value: Any, count: int) -> list[Any]:
    """A config value given once or per block, as a list of ``count`` (in down-block order)."""
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value] * count


def _tokens(feature_map: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, H·W, C): one token per pixel, row by row."""
    return feature_map.flatten(2).transpose(1, 2)


class PixelAwareTransformerBlock(BasicTransformerBlock):
    """A transformer block with PASD-light's extra cross-attention to the ControlNet residual.

    Order of the residual sub-layers: self-attention, text cross-attention, **pixel cross-attention**
    (``norm2_plus`` → ``attn2_plus``, keys/values = the projected residual), feed-forward. Without a pixel
    context the block behaves exactly as diffusers' own.
    """

    def __init__(self, *args: Any, pixel_dim: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.norm_type != "layer_norm" or self.pos_embed is not None:
            raise ValueError("PASD-light's pixel attention is defined for plain layer-norm transformer blocks")
        self.norm2_plus = nn.LayerNorm(self.dim, elementwise_affine=self.norm_elementwise_affine, eps=self.norm3.eps)
        self.attn2_plus = Attention(
            query_dim=self.dim,
            cross_attention_dim=pixel_dim,
            heads=self.num_attention_heads,
            dim_head=self.attention_head_dim,
            dropout=self.dropout,
            bias=self.attention_bias,
            upcast_attention=self.attn1.upcast_attention,
        )
        self.pixel_context: torch.Tensor | None = None

    def forward(
        self,
        hidden_states: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        encoder_hidden_states: torch.Tensor | None = None,
        encoder_attention_mask: torch.Tensor | None = None,
        timestep: torch.LongTensor | None = None,
        cross_attention_kwargs: dict[str, Any] | None = None,
        class_labels: torch.LongTensor | None = None,
        added_cond_kwargs: dict[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        if self.pixel_context is None:
            return super().forward(
                hidden_states,
                attention_mask=attention_mask,
                encoder_hidden_states=encoder_hidden_states,
                encoder_attention_mask=encoder_attention_mask,
                timestep=timestep,
                cross_attention_kwargs=cross_attention_kwargs,
                class_labels=class_labels,
                added_cond_kwargs=added_cond_kwargs,
            )
        extra = dict(cross_attention_kwargs or {})
        extra.pop("gligen", None)
        h = hidden_states
        self_context = encoder_hidden_states if self.only_cross_attention else None
        h = h + self.attn1(self.norm1(h), encoder_hidden_states=self_context, attention_mask=attention_mask, **extra)
        if self.attn2 is not None:
            mask = encoder_attention_mask
            h = h + self.attn2(self.norm2(h), encoder_hidden_states=encoder_hidden_states, attention_mask=mask, **extra)
        h = h + self.attn2_plus(self.norm2_plus(h), encoder_hidden_states=self.pixel_context)
        return h + self.ff(self.norm3(h))


class _PixelAttentionHook:
    """Forward hook that passes a layer's output through its pixel-aware attention (PASD full).

    It is registered on the module the attention follows — the text attention of a cross-attention up block, the
    resnet of a plain one — and reads the residual tokens from ``attention.pixel_context``.
    """

    def __init__(self, attention: Transformer2DModel) -> None:
        self.attention = attention

    def _refine(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.attention(hidden, encoder_hidden_states=self.attention.pixel_context, return_dict=False)[0]

    def __call__(self, module: nn.Module, args: Any, output: Any) -> Any:
        if self.attention.pixel_context is None:
            return None  # output unchanged
        if isinstance(output, tuple):
            return (self._refine(output[0]), *output[1:])
        if hasattr(output, "sample"):
            output.sample = self._refine(output.sample)
            return output
        return self._refine(output)


class PASDUNet2DConditionModel(UNet2DConditionModel):
    """SD 1.5's UNet plus PASD's pixel-aware layers; build it with :meth:`from_pasd_config`.

    Call it like the diffusers UNet, with the ControlNet's ``down_block_additional_residuals`` and
    ``mid_block_additional_residual`` as keywords; the pixel-aware layers need them (without them the network
    is plain SD 1.5).
    """

    pasd_variant: str | None = None

    @classmethod
    def from_pasd_config(cls, config: Mapping[str, Any], variant: str) -> PASDUNet2DConditionModel:
        """The architecture of a PASD ``unet/config.json`` for ``variant`` ("full" or "light"), fresh weights."""
        if variant not in VARIANTS:
            raise ValueError(f"unknown PASD variant {variant!r}; expected one of {', '.join(VARIANTS)}")
        model = cls.from_config(dict(config))
        model.add_pixel_awareness(variant)
        return model

    # ----------------------------------------------------------------------------------------------- building

    def skip_channels(self) -> list[list[int]]:
        """Channels of the skip (and so of the ControlNet residual) each up-block layer receives, ``[i][j]``.

        As in diffusers' UNet: the last layer of up block ``i`` takes the skip from the stage below, with the
        channels of block ``i + 1`` (in reversed order); the other layers take skips of the block's own width.
        """
        widths = list(reversed(self.config.block_out_channels))
        out = []
        for i, block in enumerate(self.up_blocks):
            own, below = widths[i], widths[min(i + 1, len(widths) - 1)]
            layers = len(block.resnets)
            out.append([below if j == layers - 1 else own for j in range(layers)])
        return out

    def add_pixel_awareness(self, variant: str) -> None:
        """Add the pixel-aware layers of ``variant`` to a freshly built UNet (once)."""
        if self.pasd_variant is not None:
            raise RuntimeError("the pixel-aware layers are already there")
        config = self.config
        count = len(config.block_out_channels)
        heads = list(reversed(_per_block(config.num_attention_heads or config.attention_head_dim, count)))
        depth = list(reversed(_per_block(config.transformer_layers_per_block, count)))
        only_cross = list(reversed(_per_block(config.only_cross_attention, count)))
        widths = list(reversed(config.block_out_channels))
        for i, (block, skips) in enumerate(zip(self.up_blocks, self.skip_channels(), strict=True)):
            cross = bool(getattr(block, "has_cross_attention", False))
            if variant == "full":
                attentions = nn.ModuleList(
                    Transformer2DModel(
                        heads[i],
                        widths[i] // heads[i],
                        in_channels=widths[i],
                        num_layers=depth[i],
                        cross_attention_dim=skip if cross else widths[i],
                        norm_num_groups=config.norm_num_groups,
                        use_linear_projection=config.use_linear_projection,
                        only_cross_attention=only_cross[i],
                        upcast_attention=config.upcast_attention,
                    )
                    for skip in skips
                )
                block.pixel_attentions = attentions
                followed = block.attentions if cross else block.resnets
                for layer, attention in zip(followed, attentions, strict=True):
                    attention.pixel_context = None
                    layer.register_forward_hook(_PixelAttentionHook(attention))
            elif cross:
                for attention, skip in zip(block.attentions, skips, strict=True):
                    _make_light(attention, skip, config.use_linear_projection)
        self.pasd_variant = variant

    # ----------------------------------------------------------------------------------------------- running

    def pixel_residuals(self, residuals: Sequence[torch.Tensor]) -> list[list[torch.Tensor]]:
        """The ControlNet residual each up-block layer attends to, ``[i][j]``.

        The standard UNet hands up block ``i`` the last ``len(resnets)`` skips left and each of its layers pops
        the last one; the residual added to a skip is the one at the same position, so it is the one a layer
        attends to.
        """
        needed = sum(len(block.resnets) for block in self.up_blocks)
        if len(residuals) != needed:
            raise ValueError(f"PASD's UNet needs {needed} ControlNet residuals, got {len(residuals)}")
        remaining = list(residuals)
        out = []
        for block in self.up_blocks:
            n = len(block.resnets)
            mine, remaining = remaining[-n:], remaining[:-n]
            out.append(mine[::-1])
        return out

    def _set_pixel_context(self, residuals: Sequence[torch.Tensor] | None) -> None:
        per_layer = self.pixel_residuals(residuals) if residuals is not None else None
        for i, block in enumerate(self.up_blocks):
            if self.pasd_variant == "full":
                for j, attention in enumerate(block.pixel_attentions):
                    attention.pixel_context = None if per_layer is None else _tokens(per_layer[i][j])
            elif self.pasd_variant == "light" and getattr(block, "has_cross_attention", False):
                for j, attention in enumerate(block.attentions):
                    context = None if per_layer is None else _project_residual(attention, per_layer[i][j])
                    for transformer_block in attention.transformer_blocks:
                        transformer_block.pixel_context = context

    def forward(
        self,
        sample: torch.Tensor,
        timestep: torch.Tensor | float | int,
        encoder_hidden_states: torch.Tensor,
        *args: Any,
        down_block_additional_residuals: tuple[torch.Tensor, ...] | None = None,
        mid_block_additional_residual: torch.Tensor | None = None,
        **kwargs: Any,
    ):
        """diffusers' UNet forward, with each pixel-aware layer given its residual for the duration of the call."""
        use_pixels = self.pasd_variant is not None and down_block_additional_residuals is not None
        if use_pixels:
            self._set_pixel_context(down_block_additional_residuals)
        try:
            return super().forward(
                sample,
                timestep,
                encoder_hidden_states,
                *args,
                down_block_additional_residuals=down_block_additional_residuals,
                mid_block_additional_residual=mid_block_additional_residual,
                **kwargs,
            )
        finally:
            if use_pixels:
                self._set_pixel_context(None)  # do not keep activations alive between calls


def _make_light(attention: Transformer2DModel, pixel_dim: int, linear: bool) -> None:
    """Give a text ``Transformer2DModel`` PASD-light's residual projection and pixel-aware blocks."""
    cfg = attention.config
    attention.proj_in_plus = nn.Linear(pixel_dim, pixel_dim) if linear else nn.Conv2d(pixel_dim, pixel_dim, 1)
    attention.transformer_blocks = nn.ModuleList(
        PixelAwareTransformerBlock(
            cfg.num_attention_heads * cfg.attention_head_dim,
            cfg.num_attention_heads,
            cfg.attention_head_dim,
            dropout=cfg.dropout,
            cross_attention_dim=cfg.cross_attention_dim,
            activation_fn=cfg.activation_fn,
            num_embeds_ada_norm=cfg.num_embeds_ada_norm,
            attention_bias=cfg.attention_bias,
            only_cross_attention=cfg.only_cross_attention,
            double_self_attention=cfg.double_self_attention,
            upcast_attention=cfg.upcast_attention,
            norm_type=cfg.norm_type,
            norm_elementwise_affine=cfg.norm_elementwise_affine,
            norm_eps=cfg.norm_eps,
            attention_type=cfg.attention_type,
            pixel_dim=pixel_dim,
        )
        for _ in range(cfg.num_layers)
    )


def _project_residual(attention: Transformer2DModel, residual: torch.Tensor) -> torch.Tensor:
    """PASD-light's keys/values: the residual through ``proj_in_plus`` (1×1 conv, or linear on tokens)."""
    if isinstance(attention.proj_in_plus, nn.Linear):
        return attention.proj_in_plus(_tokens(residual))
    return _tokens(attention.proj_in_plus(residual))
