"""ControlNet conditions computed once from the source photo: Canny edges and a depth map.

Both follow the official SD-πXL preprocessing so that the ControlNets see what they were trained on:
edges come from ``cv2.Canny`` (thresholds 100/200) on the RGB photo after a Pillow Gaussian blur of radius 1,
which removes the single-pixel noise that would otherwise fill the edge map at the 1024-pixel canvas; depth comes
from DPT (MiDaS), resized bicubically to the canvas and min–max normalised per image, then handed over as an
8-bit grey image. Both are computed at the model canvas size (the photo already resized to it) and turned into
3-channel float tensors in [0, 1], the range diffusers' control-image processor produces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from PIL import Image, ImageFilter

from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["canny_edges", "control_image_from_edges", "depth_control_image", "estimate_depth"]


def _check_rgb(rgb: np.ndarray, what: str = "image") -> np.ndarray:
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise InputError(f"The {what} must be an RGB picture (H×W×3); got an array of shape {rgb.shape}.")
    if rgb.dtype != np.uint8:
        raise InputError(f"The {what} must hold 8-bit colour values (uint8); got {rgb.dtype}.")
    return rgb


def canny_edges(rgb_uint8: np.ndarray, blur_radius: float = 1, low: int = 100, high: int = 200) -> np.ndarray:
    """Edge map (H×W uint8, 0 or 255) of an RGB photo: Pillow Gaussian blur, then OpenCV Canny on all channels.

    ``blur_radius=0`` skips the blur. OpenCV's Canny takes, at each pixel, the colour channel with the strongest
    gradient, so colour edges between regions of equal brightness are kept.
    """
    rgb = _check_rgb(rgb_uint8, "photo")
    if low < 0 or high < 0 or low > high:
        raise InputError(f"Canny thresholds must satisfy 0 ≤ low ≤ high; got low={low}, high={high}.")
    if blur_radius > 0:
        rgb = np.asarray(Image.fromarray(rgb).filter(ImageFilter.GaussianBlur(radius=blur_radius)))
    return cv2.Canny(np.ascontiguousarray(rgb), low, high)


def _resize_plane(plane: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or tuple(plane.shape[:2]) == tuple(size):
        return plane
    h, w = size
    shrinking = h * w < plane.shape[0] * plane.shape[1]
    return cv2.resize(plane, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _to_control_tensor(plane01: np.ndarray, device: Any, dtype: Any) -> torch.Tensor:
    import torch

    t = torch.from_numpy(np.ascontiguousarray(plane01, dtype=np.float32))
    t = t[None, None].expand(1, 3, *plane01.shape).contiguous()
    return t.to(device=device or "cpu", dtype=dtype or torch.float32)


def control_image_from_edges(
    edges: np.ndarray,
    size: tuple[int, int] | None = None,
    *,
    device: Any = None,
    dtype: Any = None,
) -> torch.Tensor:
    """A (1, 3, H, W) float tensor in [0, 1] from an edge map, resized to ``size`` = (height, width) if given."""
    edges = np.asarray(edges)
    if edges.ndim != 2:
        raise InputError(f"An edge map must be a single-channel H×W image; got shape {edges.shape}.")
    plane = _resize_plane(edges.astype(np.float32) / 255.0, size)
    return _to_control_tensor(np.clip(plane, 0.0, 1.0), device, dtype)


def estimate_depth(
    rgb: np.ndarray,
    model: Any,
    processor: Any,
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Relative depth (H×W float32, 0 = farthest, 1 = nearest) of an RGB photo with a DPT model.

    ``size`` = (height, width) of the output, the photo's own size when omitted. The prediction is resized
    bicubically first and normalised afterwards, so the result spans exactly [0, 1] (a flat prediction gives 0).
    """
    import torch
    import torch.nn.functional as F

    rgb = _check_rgb(rgb, "photo")
    height, width = size if size is not None else rgb.shape[:2]
    pixel_values = processor(images=Image.fromarray(rgb), return_tensors="pt").pixel_values
    pixel_values = pixel_values.to(device=model.device, dtype=model.dtype)
    with torch.no_grad():
        predicted = model(pixel_values=pixel_values).predicted_depth  # (1, h, w), larger = nearer
        depth = F.interpolate(predicted[:, None].float(), size=(height, width), mode="bicubic", align_corners=False)
    depth = depth[0, 0].cpu().numpy()
    lo, hi = float(depth.min()), float(depth.max())
    if not np.isfinite(lo) or not np.isfinite(hi) or hi - lo <= 0:
        return np.zeros((height, width), np.float32)
    return ((depth - lo) / (hi - lo)).astype(np.float32)


def depth_control_image(
    depth01: np.ndarray,
    size: tuple[int, int] | None = None,
    *,
    device: Any = None,
    dtype: Any = None,
) -> torch.Tensor:
    """A (1, 3, H, W) float tensor in [0, 1] from a depth map, quantised to 8 bits like an image file.

    The depth ControlNet was trained on 8-bit depth images and the official code passes the map through an
    8-bit image as well, so the quantisation keeps the condition identical to the paper's.
    """
    depth01 = np.asarray(depth01, dtype=np.float32)
    if depth01.ndim != 2:
        raise InputError(f"A depth map must be a single-channel H×W array; got shape {depth01.shape}.")
    plane = _resize_plane(np.clip(depth01, 0.0, 1.0), size)
    plane = np.round(np.clip(plane, 0.0, 1.0) * 255.0) / 255.0
    return _to_control_tensor(plane, device, dtype)
