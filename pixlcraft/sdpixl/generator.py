"""The thing SD-πXL optimises: one categorical distribution over palette colours per pattern cell.

The pattern is never a free RGB image. Each cell holds logits over the ``n`` palette colours; during training
the image is a Gumbel-softmax sample of those logits mixed through the palette (so every colour the diffusion
model sees is a blend of real thread/bead colours), and the final pattern is the argmax, which is palette-exact
by construction. This is the paper's "pixel art generator"; the maths follows the official code (MIT),
re-written here.

Initialisations (all give logits centred per cell, which the optimiser keeps centred after every step):

* :func:`photo_logits` — the official ``palette-bilinear`` start: the photo resized to the model canvas,
  bilinearly downsampled to the cell grid, logits = −L1(RGB distance to each palette colour)·√n, centred, and
  every cell rescaled to the *mean* per-cell norm (one common norm for all cells).
* :func:`random_logits` — the official start without a photo: N(0, 1) logits, centred, every cell scaled to
  norm √n.
* :func:`indices_logits` — ours: start from the classic converter's result (see its docstring).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# ---------------------------------------------------------------------------------------------------------
# helpers shared by the initialisations


def palette_to_float(palette: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Palette as an (n, 3) float32 tensor in [0, 1]; integer input is read as 0–255 sRGB."""
    pal = torch.as_tensor(np.asarray(palette) if not isinstance(palette, torch.Tensor) else palette)
    if pal.ndim != 2 or pal.shape[1] != 3 or pal.shape[0] < 1:
        raise ValueError(f"palette must have shape (n, 3), got {tuple(pal.shape)}")
    if not pal.is_floating_point():
        pal = pal.to(torch.float32) / 255.0
    return pal.to(torch.float32)


def center_and_rescale(logits: torch.Tensor, norm: float | torch.Tensor | None = None) -> torch.Tensor:
    """Subtract each cell's mean over colours, then give every cell the same L2 norm.

    ``norm`` None uses the mean per-cell norm after centring, as the official photo start does. The softmax
    is unchanged by the centring; the common norm sets how sure every cell starts out.
    """
    centred = logits - logits.mean(dim=-1, keepdim=True)
    cell_norm = centred.norm(dim=-1, keepdim=True)
    target = cell_norm.mean() if norm is None else torch.as_tensor(norm, dtype=centred.dtype)
    return centred / cell_norm.clamp_min(1e-12) * target


def l1_logits(image: torch.Tensor, palette: torch.Tensor) -> torch.Tensor:
    """−L1 RGB distance of every pixel of an (H, W, 3) [0, 1] image to every palette colour, times √n."""
    n = palette.shape[0]
    dist = (image[:, :, None, :] - palette[None, None, :, :]).abs().sum(dim=-1)
    return -dist * math.sqrt(n)


def resize_to_canvas(photo: np.ndarray, canvas: tuple[int, int]) -> torch.Tensor:
    """A uint8 (h, w, 3) photo as a (1, 3, H, W) float tensor in [0, 1] at the ``(W, H)`` canvas.

    The official code resizes the PIL image with torchvision, i.e. PIL's antialiased bilinear filter; so do
    we. The caller crops the photo to the pattern's aspect ratio first (the official code squashes instead).
    """
    from PIL import Image

    arr = np.asarray(photo)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.dtype != np.uint8:
        raise ValueError(f"photo must be a uint8 (h, w, 3) array, got {arr.dtype} {arr.shape}")
    img = Image.fromarray(arr, "RGB")
    if img.size != tuple(canvas):
        img = img.resize(tuple(canvas), Image.Resampling.BILINEAR)
    out = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0)
    return out.permute(2, 0, 1).unsqueeze(0).contiguous()


def photo_logits(
    photo: np.ndarray | torch.Tensor,
    height: int,
    width: int,
    palette: np.ndarray | torch.Tensor,
    *,
    canvas: tuple[int, int] = (1024, 1024),
    downsample: str = "bilinear",
) -> torch.Tensor:
    """The official photo start (``palette-bilinear`` with the L1 distance), as (height, width, n) logits.

    ``photo`` is a uint8 (h, w, 3) array (resized to ``canvas`` first) or a (1, 3, H, W) [0, 1] tensor that
    already is at canvas size. The official downsampling is ``interpolate(mode="bilinear")`` without
    antialiasing, which from 1024 to 64 reads only the 2×2 pixels at the middle of each 16×16 block;
    ``downsample="area"`` averages the whole block instead (not the paper's choice, offered for noisy photos).
    """
    if isinstance(photo, torch.Tensor):
        img = photo.to(torch.float32)
        if img.ndim != 4 or img.shape[:2] != (1, 3):
            raise ValueError(f"photo tensor must have shape (1, 3, H, W), got {tuple(img.shape)}")
    else:
        img = resize_to_canvas(photo, canvas)
    if downsample == "bilinear":
        small = F.interpolate(img, size=(height, width), mode="bilinear", align_corners=False)
    elif downsample == "area":
        small = F.interpolate(img, size=(height, width), mode="area")
    else:
        raise ValueError(f"downsample must be 'bilinear' or 'area', got {downsample!r}")
    pal = palette_to_float(palette)
    logits = l1_logits(small[0].permute(1, 2, 0), pal)
    return center_and_rescale(logits)


def random_logits(
    height: int, width: int, n: int, *, generator: torch.Generator | None = None, std: float = 1.0
) -> torch.Tensor:
    """The official start without a photo: randn, centred, every cell scaled to norm ``std``·√n."""
    raw = torch.randn(height, width, n, generator=generator)
    return center_and_rescale(raw, std * math.sqrt(n))


def indices_logits(
    indices: np.ndarray | torch.Tensor, palette: np.ndarray | torch.Tensor, *, margin: float = 1.0
) -> torch.Tensor:
    """Start from a finished palette-index grid (the classic converter's pattern).

    The choice: the official photo formula applied to the pattern's own, palette-exact colours
    (−L1·√n to every palette colour), plus ``margin`` on the cell's own colour, then centred. So

    * the argmax is exactly the given pattern, even where the palette holds near-duplicate colours (the
      margin breaks those ties; a bare one-hot would also do that, but would spread the remaining
      probability evenly over hundreds of unrelated threads and make the first renders grey noise);
    * the Gumbel samples stray to *similar* colours first, as they do from the paper's photo start, so the
      optimiser can recolour a cell gradually;
    * the logit scale matches the photo start's (both ~√n times an RGB distance), so the same learning rate
      moves them equally fast. No per-cell rescaling, so the margin stays exactly ``margin``.
    """
    pal = palette_to_float(palette)
    idx = torch.as_tensor(np.asarray(indices) if not isinstance(indices, torch.Tensor) else indices)
    idx = idx.to(torch.long)
    if idx.ndim != 2:
        raise ValueError(f"indices must be a 2-D grid, got shape {tuple(idx.shape)}")
    n = pal.shape[0]
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(f"indices must lie in 0..{n - 1} for a palette of {n} colours")
    logits = l1_logits(pal[idx], pal)
    logits = logits + margin * F.one_hot(idx, n).to(logits.dtype)
    return logits - logits.mean(dim=-1, keepdim=True)


# ---------------------------------------------------------------------------------------------------------


class PaletteGenerator(nn.Module):
    """Per-cell logits over a fixed palette; renders soft (training) or hard (palette-exact) images.

    Images are (H, W, 3) float in [0, 1]; indices are (H, W) long. The palette is a buffer, never trained.
    """

    def __init__(self, logits: torch.Tensor, palette: np.ndarray | torch.Tensor) -> None:
        super().__init__()
        pal = palette_to_float(palette)
        if logits.ndim != 3 or logits.shape[-1] != pal.shape[0]:
            raise ValueError(
                f"logits must have shape (H, W, {pal.shape[0]}) for this palette, got {tuple(logits.shape)}"
            )
        self.logits = nn.Parameter(logits.detach().to(torch.float32).clone())
        self.register_buffer("palette", pal)

    # -- construction --------------------------------------------------------------------------------------

    @classmethod
    def from_photo(
        cls,
        photo: np.ndarray | torch.Tensor,
        height: int,
        width: int,
        palette: np.ndarray | torch.Tensor,
        *,
        canvas: tuple[int, int] = (1024, 1024),
        downsample: str = "bilinear",
    ) -> PaletteGenerator:
        return cls(photo_logits(photo, height, width, palette, canvas=canvas, downsample=downsample), palette)

    @classmethod
    def random(
        cls, height: int, width: int, palette: np.ndarray | torch.Tensor, *, generator: torch.Generator | None = None
    ) -> PaletteGenerator:
        n = palette_to_float(palette).shape[0]
        return cls(random_logits(height, width, n, generator=generator), palette)

    @classmethod
    def init_from_indices(
        cls, indices: np.ndarray | torch.Tensor, palette: np.ndarray | torch.Tensor, *, margin: float = 1.0
    ) -> PaletteGenerator:
        return cls(indices_logits(indices, palette, margin=margin), palette)

    # -- shape ---------------------------------------------------------------------------------------------

    @property
    def height(self) -> int:
        return int(self.logits.shape[0])

    @property
    def width(self) -> int:
        return int(self.logits.shape[1])

    @property
    def n_colors(self) -> int:
        return int(self.logits.shape[2])

    # -- rendering -----------------------------------------------------------------------------------------

    def mix(self, probs: torch.Tensor) -> torch.Tensor:
        """Blend the palette with per-cell weights: (H, W, n) → (H, W, 3)."""
        return torch.einsum("hwn,nc->hwc", probs, self.palette.to(probs.dtype))

    def probs(self) -> torch.Tensor:
        """Plain softmax of the logits (what the argmax and the fabrication terms look at)."""
        return torch.softmax(self.logits, dim=-1)

    def soft(self, tau: float, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One Gumbel-softmax sample at temperature ``tau``: (image, probs), differentiable in the logits.

        Gumbel noise is −log E with E ~ Exp(1), drawn from ``generator`` so that a seed fixes the run (the
        official code uses torch's global generator through ``gumbel_softmax``; the distribution is the same).
        """
        if tau <= 0:
            raise ValueError(f"Gumbel-softmax temperature must be positive, got {tau}")
        expo = torch.empty_like(self.logits).exponential_(generator=generator)
        gumbels = -expo.clamp_min(torch.finfo(expo.dtype).tiny).log()
        probs = torch.softmax((self.logits + gumbels) / tau, dim=-1)
        return self.mix(probs), probs

    def softmax_image(self) -> torch.Tensor:
        """The expected colour of every cell (no noise): the paper's 'softmax' output."""
        return self.mix(self.probs())

    @torch.no_grad()
    def hard(self, allowed: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Argmax colour per cell: (indices, image); the image rows are exactly palette rows.

        ``allowed`` (colour indices) restricts the argmax to those colours — how a colour budget is
        guaranteed at read-out even where the training term has not fully won yet.
        """
        logits = self.logits
        if allowed is not None:
            allowed = torch.as_tensor(allowed, dtype=torch.long, device=logits.device)
            if allowed.numel() == 0:
                raise ValueError("at least one colour must be allowed")
            mask = torch.full((self.n_colors,), float("-inf"), device=logits.device)
            mask[allowed] = 0.0
            logits = logits + mask
        indices = logits.argmax(dim=-1)
        return indices, self.palette[indices]

    @torch.no_grad()
    def recenter_(self) -> None:
        """Subtract each cell's mean logit; the official code does this after every optimiser step.

        Softmax ignores a per-cell constant, so this changes no image; it keeps weight decay (which shrinks
        logits towards 0) acting on the differences between colours only and the logits from drifting.
        """
        self.logits.sub_(self.logits.mean(dim=-1, keepdim=True))


def preview_uint8(generator: PaletteGenerator, palette_u8: np.ndarray | None = None) -> np.ndarray:
    """The argmax pattern as a small (H, W, 3) uint8 picture, safe to hand to another thread."""
    indices, image = generator.hard()
    if palette_u8 is not None:
        return np.asarray(palette_u8, dtype=np.uint8)[indices.cpu().numpy()]
    return np.round(image.detach().cpu().numpy() * 255.0).clip(0, 255).astype(np.uint8)
