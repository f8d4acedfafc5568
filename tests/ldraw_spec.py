"""A small LDraw reader written from the LDraw file format specification (ldraw.org, "LDraw File Format 1.0.2"),
independent of our writer: it places each part by its type-1 line's position and matrix and draws what a
viewer's top view shows.

Spec facts used: a type-1 line is ``1 <colour> x y z a b c d e f g h i <file>``; the part's points p map to
``(a·px + b·py + c·pz + x, d·px + e·py + f·pz + y, g·px + h·py + i·pz + z)``; the coordinate system is
right-handed with −Y up, so a viewer in front of the model looks along +Z, and a top view (from −Y, the front
at the bottom) shows larger z further up. Studs are 20 LDU apart.
"""

from __future__ import annotations

import numpy as np


def parts(text: str) -> list[tuple[int, np.ndarray, np.ndarray, str]]:
    """(colour, position, 3×3 matrix, file) of every type-1 line."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 15 and f[0] == "1":
            pos = np.array([float(v) for v in f[2:5]])
            matrix = np.array([float(v) for v in f[5:14]]).reshape(3, 3)
            out.append((int(f[1]), pos, matrix, " ".join(f[14:]).lower()))
    return out


def top_view(text: str, part: str) -> np.ndarray:
    """The colour codes of ``part`` seen from above, front at the bottom: image row 0 is the far edge (largest
    z), column 0 the left (smallest x); -1 where there is none. Each part's stud (its origin) marks its cell."""
    placed = [(c, m @ np.zeros(3) + p) for c, p, m, f in parts(text) if f == part.lower()]
    xs = np.array([p[0] for _, p in placed])
    zs = np.array([p[2] for _, p in placed])
    cols = np.rint((xs - xs.min()) / 20).astype(int)
    rows = np.rint((zs.max() - zs) / 20).astype(int)
    image = np.full((rows.max() + 1, cols.max() + 1), -1, int)
    for (code, _), r, c in zip(placed, rows, cols, strict=True):
        image[r, c] = code
    return image
