"""Benchmark inputs: scikit-image's public-domain astronaut, optionally enlarged to a given size."""

from __future__ import annotations

import cv2
import numpy as np

from pixlcraft.imageio import Photo, photo_from_array


def astronaut(size: int | None = None) -> Photo:
    from skimage import data

    rgb = data.astronaut()
    if size is not None and size != rgb.shape[0]:
        rgb = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_CUBIC)
    return photo_from_array(np.ascontiguousarray(rgb), path="astronaut")
