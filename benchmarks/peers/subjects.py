"""The benchmark photos: what can be had here without a download, and the synthetic ones."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from pixlcraft.imageio import Photo, photo_from_array

# --- photos -----------------------------------------------------------------------------------------------


@dataclass
class Subject:
    name: str
    kind: str
    source: str
    photo: Photo
    line_art: bool = False


def _over_white(rgba: np.ndarray) -> np.ndarray:
    """An RGBA uint8 image composited onto white (as an image editor's "flatten" does, in sRGB)."""
    a = rgba[..., 3:4].astype(np.float64) / 255.0
    return np.rint(rgba[..., :3] * a + 255.0 * (1.0 - a)).astype(np.uint8)


def synthetic_sky(width: int = 960, height: int = 640) -> np.ndarray:
    """A sunset: deep blue at the top through pale blue to orange at the horizon, a soft sun glow, faint grain."""
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    stops = np.array([[20, 45, 110], [70, 130, 200], [175, 205, 230], [250, 190, 120], [240, 120, 60]], float)
    pos = np.linspace(0.0, 1.0, len(stops))
    col = np.stack([np.interp(t[:, 0, 0], pos, stops[:, c]) for c in range(3)], axis=-1)[:, None, :]
    img = np.repeat(col, width, axis=1)
    yy, xx = np.mgrid[0:height, 0:width]
    glow = np.exp(-(((xx - 0.7 * width) / (0.18 * width)) ** 2 + ((yy - 0.9 * height) / (0.15 * height)) ** 2))
    img = img + glow[..., None] * (np.array([255, 235, 180]) - img) * 0.8
    img += np.random.default_rng(7).normal(0.0, 0.8, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def synthetic_line_art(width: int = 960, height: int = 720, scale: int = 4) -> np.ndarray:
    """White with black lines 2–3 px wide, anti-aliased: drawn at ``scale``× and area-reduced."""
    big = np.full((height * scale, width * scale), 255, np.uint8)
    s = scale

    def pt(x: float, y: float) -> tuple[int, int]:
        return int(round(x * s)), int(round(y * s))

    thin, thick = 2 * s, 3 * s
    # a house
    cv2.polylines(big, [np.array([pt(80, 420), pt(80, 250), pt(200, 150), pt(320, 250), pt(320, 420)])], True,
                  0, thick)
    cv2.rectangle(big, pt(170, 330), pt(230, 420), 0, thin)
    cv2.rectangle(big, pt(110, 280), pt(160, 320), 0, thin)
    # a sun with rays, a spiral, a wave, a star, a grid of diagonals
    cv2.circle(big, pt(520, 140), 60 * s, 0, thick)
    for a in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        cv2.line(big, pt(520 + 75 * np.cos(a), 140 + 75 * np.sin(a)), pt(520 + 110 * np.cos(a),
                 140 + 110 * np.sin(a)), 0, thin)
    th = np.linspace(0, 6 * np.pi, 600)
    spiral = np.stack([780 + 5.5 * th * np.cos(th), 170 + 5.5 * th * np.sin(th)], axis=1)
    cv2.polylines(big, [np.rint(spiral * s).astype(np.int32)], False, 0, thin)
    x = np.linspace(40, 920, 500)
    for k, y0 in enumerate((520, 580, 640)):
        wave = np.stack([x, y0 + 22 * np.sin(x / (40 + 15 * k))], axis=1)
        cv2.polylines(big, [np.rint(wave * s).astype(np.int32)], False, 0, thin if k != 1 else thick)
    star = [pt(620 + 90 * np.cos(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4),
               380 + 90 * np.sin(a - np.pi / 2) * (1 if i % 2 == 0 else 0.4))
            for i, a in enumerate(np.linspace(0, 2 * np.pi, 10, endpoint=False))]
    cv2.polylines(big, [np.array(star)], True, 0, thin)
    for i in range(6):
        cv2.line(big, pt(760 + 25 * i, 300), pt(860 + 25 * i, 460), 0, thin)
    cv2.ellipse(big, pt(420, 330), (70 * s, 35 * s), 20, 0, 360, 0, thin)
    grey = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
    return np.repeat(grey[..., None], 3, axis=2)


def load_subjects(names: Iterable[str] | None = None) -> list[Subject]:
    """The benchmark photos that can be had here (a missing source is skipped with a message)."""
    from skimage import data

    def portrait() -> np.ndarray:
        import matplotlib.cbook as cbook

        return np.asarray(Image.open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).convert("RGB"))

    makers: dict[str, tuple[str, str, Callable[[], np.ndarray], bool]] = {
        "portrait": ("portrait", "Grace Hopper, US Navy photo (public domain), matplotlib sample data", portrait,
                     False),
        "portrait_grey": ("portrait, grey", "scikit-image camera()", data.camera, False),
        "sky": ("sky gradient", "synthetic sunset gradient", synthetic_sky, False),
        "sky_photo": ("sky photo", "scikit-image rocket()", data.rocket, False),
        "line_art": ("line art", "synthetic, 2–3 px anti-aliased black lines on white", synthetic_line_art, True),
        "logo": ("logo", "scikit-image logo() over white", lambda: _over_white(data.logo()), False),
        "busy": ("busy scene", "scikit-image stereo_motorcycle() left view", lambda: data.stereo_motorcycle()[0],
                 False),
        "pet": ("pet", "scikit-image cat(), cropped to the head", lambda: data.cat()[0:300, 90:390], False),
    }
    wanted = list(makers) if names is None else list(names)
    out: list[Subject] = []
    for name in wanted:
        if name not in makers:
            raise SystemExit(f"unknown photo '{name}'; choose from: {', '.join(makers)}")
        kind, source, make, line_art = makers[name]
        try:
            rgb = np.ascontiguousarray(make())
        except Exception as exc:  # a package or its data missing: say so, carry on with the rest
            print(f"[skip photo] {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        out.append(Subject(name, kind, source, photo_from_array(rgb, path=name), line_art))
    return out


