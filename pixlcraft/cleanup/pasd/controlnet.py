"""PASD's ControlNet: diffusers' ``ControlNetModel`` whose image encoder also learnt to remove degradations.

PASD conditions Stable Diffusion 1.5 on the low-quality photo itself (RGB in [0, 1] at the output size) through a
ControlNet. Its small image encoder (four stages of 16, 32, 96 and 256 channels, then a zero convolution to the
UNet's 320) is diffusers' ``ControlNetConditioningEmbedding`` unchanged, except that during training each
down-sampling stage also had a 3×3 convolution to RGB (``to_rgbs``) whose output was pulled towards the clean
image at that scale: the "degradation removal" loss that teaches the encoder to see through noise and JPEG
blocks. At inference the RGB heads change nothing, but they are in the released checkpoints, so they are built
here (and can be run with :meth:`DegradationRemovalEmbedding.rgb_estimates`) to let every saved tensor load.

Everything else — the copy of the UNet's encoder, the zero convolutions, the scaling of the residuals — is
diffusers' ControlNet forward as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from diffusers import ControlNetModel
from diffusers.models.controlnets.controlnet import ControlNetConditioningEmbedding
from torch import nn
from torch.nn import functional as F

from ...errors import InputError

# Keys of PASD's controlnet/config.json that diffusers' ControlNetModel does not take.
_PASD_ONLY_KEYS = ("return_rgbs", "use_rrdb")


class DegradationRemovalEmbedding(ControlNetConditioningEmbedding):
    """The conditioning encoder plus PASD's per-stage RGB heads (``to_rgbs``), which only training used."""

    def __init__(
        self,
        conditioning_embedding_channels: int,
        conditioning_channels: int = 3,
        block_out_channels: tuple[int, ...] = (16, 32, 96, 256),
    ) -> None:
        super().__init__(conditioning_embedding_channels, conditioning_channels, tuple(block_out_channels))
        # One head after each stride-2 convolution, reading that stage's output channels.
        self.to_rgbs = nn.ModuleList(
            nn.Conv2d(channels, 3, kernel_size=3, padding=1) for channels in block_out_channels[1:]
        )

    def rgb_estimates(self, conditioning: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's clean-image estimates at 1/2, 1/4, 1/8 of the input size (in [-1, 1] when trained)."""
        features = F.silu(self.conv_in(conditioning))
        estimates = []
        for index, block in enumerate(self.blocks):
            features = F.silu(block(features))
            if index % 2 == 1:  # after the stride-2 convolution of a stage
                estimates.append(self.to_rgbs[index // 2](features))
        return estimates


class PASDControlNetModel(ControlNetModel):
    """A diffusers ControlNet built from a PASD ``controlnet/config.json`` (see :meth:`from_pasd_config`)."""

    @classmethod
    def from_pasd_config(cls, config: Mapping[str, Any]) -> PASDControlNetModel:
        """Build the architecture a PASD config describes, with fresh weights (on the current default device).

        ``return_rgbs`` (default true, as in PASD) adds the RGB heads; ``use_rrdb`` marks the "RRDB" variants
        (``pasd_rrdb``, ``pasd_light_rrdb``), whose encoder needs BasicSR's RRDB blocks and is not supported.
        """
        config = dict(config)
        return_rgbs = bool(config.pop("return_rgbs", True))
        if config.pop("use_rrdb", False):
            raise InputError(
                "This PASD ControlNet is an RRDB variant (pasd_rrdb or pasd_light_rrdb), which PixlCraft does not "
                "support; use the released pasd/checkpoint-100000 or pasd_light/checkpoint-120000 folder."
            )
        for key in _PASD_ONLY_KEYS:
            config.pop(key, None)
        model = cls.from_config(config)
        if return_rgbs:
            old = model.controlnet_cond_embedding
            model.controlnet_cond_embedding = DegradationRemovalEmbedding(
                conditioning_embedding_channels=old.conv_out.out_channels,
                conditioning_channels=old.conv_in.in_channels,
                block_out_channels=tuple(model.config.conditioning_embedding_out_channels),
            )
        return model
