"""SDXL's text conditioning for SD-πXL: the [negative, positive] prompt embeddings every UNet call gets.

Built the way diffusers' SDXL pipelines build them (two tokenizers and encoders, penultimate hidden states
side by side, the second encoder's pooled projection), so the optimisation conditions SDXL exactly as its
own sampler does; the text encoders can then be dropped before the loop starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class PromptEmbeddings:
    """SDXL text conditioning for [negative, positive]: ``embeds`` (2, L, D) and ``pooled`` (2, P)."""

    embeds: torch.Tensor
    pooled: torch.Tensor

    def __post_init__(self) -> None:
        if self.embeds.ndim != 3 or self.embeds.shape[0] != 2:
            raise ValueError(f"prompt embeds must have shape (2, L, D) [negative, positive], "
                             f"got {tuple(self.embeds.shape)}")
        if self.pooled.ndim != 2 or self.pooled.shape[0] != 2:
            raise ValueError(f"pooled embeds must have shape (2, P) [negative, positive], "
                             f"got {tuple(self.pooled.shape)}")


@torch.no_grad()
def encode_prompts(
    tokenizers: Sequence[Any],
    text_encoders: Sequence[Any],
    prompt: str,
    negative: str = "",
    *,
    zero_empty_negative: bool = False,
) -> PromptEmbeddings:
    """SDXL-style text conditioning, the way diffusers' SDXL pipelines build it.

    Each prompt goes through every (tokenizer, encoder) pair, padded to the tokenizer's length; the
    penultimate hidden states of the encoders are concatenated along the feature axis, and the pooled
    embedding is the projected output of the encoder that has one (SDXL's second, ``CLIPTextModelWithProjection``).

    ``zero_empty_negative``: diffusers replaces the negative conditioning by zeros when *no* negative prompt
    is given (``force_zeros_for_empty_prompt``). The official SD-πXL code passes its configured
    ``negative_prompt: ""`` explicitly, so diffusers encodes the empty string instead; that is the default
    here. Set it to reproduce diffusers' behaviour for an empty negative prompt.
    """
    if not tokenizers or len(tokenizers) != len(text_encoders):
        raise ValueError("need one tokenizer per text encoder (SDXL has two of each)")

    def encode(text: str) -> tuple[torch.Tensor, torch.Tensor | None]:
        hidden: list[torch.Tensor] = []
        pooled = None
        for tokenizer, encoder in zip(tokenizers, text_encoders, strict=True):
            ids = tokenizer(
                [text], padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                return_tensors="pt",
            ).input_ids.to(encoder.device)
            out = encoder(ids, output_hidden_states=True)
            if out[0].ndim == 2:
                pooled = out[0]
            hidden.append(out.hidden_states[-2])
        return torch.cat(hidden, dim=-1), pooled

    pos, pos_pooled = encode(prompt)
    if pos_pooled is None:
        raise ValueError("none of the text encoders gives a pooled (projected) embedding; SDXL needs one")
    if zero_empty_negative and not negative:
        neg, neg_pooled = torch.zeros_like(pos), torch.zeros_like(pos_pooled)
    else:
        neg, neg_pooled = encode(negative)
        assert neg_pooled is not None
    return PromptEmbeddings(torch.cat([neg, pos]), torch.cat([neg_pooled, pos_pooled]))
