"""SD-πXL's optimiser on its own: can PAPER and FAST reach a picture within their step counts? (issue 14, part 1)

No SDXL here: the score-distillation term is replaced by an image-space loss towards a photo's cell colours,
0.5·Σ(render − photo)² over the pixels of the recipe's model canvas (sRGB in [0, 1], the space the generator mixes
in): SDS's loss is a sum over the canvas too, so the stand-in weighs against the FFT and fabrication terms on the
same footing (summed over cells only, the FFT term wins and no recipe reaches the photo). Everything else is the
engine's own: the :class:`~pixlcraft.sdpixl.generator.PaletteGenerator` logits, Gumbel-softmax at τ ~ U(τ_min,
τ_max), the FFT term at the recipe's weight (and rule), AdamW with the recipe's learning rate, warm-up and weight
decay, grad-norm clipping and per-cell re-centring; augmentation is off (it would only move the target). Each run
starts from random logits (the prompt-only start), so the optimiser must carry every cell the whole way, and is
scored as the engine's read-out is: the argmax pattern's mean CIEDE2000 per cell against the photo's cell colours,
next to the classic converter's (the nearest colour per cell by CIEDE2000, no budget) and to the stand-in loss's own
floor (the nearest colour per cell by sRGB distance: what a perfect optimiser of this loss reads out).

    python -m benchmarks.sdpixl_recipes reach [--width 64] [--palette dmc] [--recipes fast,fast-before,paper]
    python -m benchmarks.sdpixl_recipes speckle [--width 64] [--noise 0.05]

"fast-before" is FAST as it was before this issue: PAPER's lr 0.025 and weight decay 0.01 for 2,000 steps.
The run also reports colours used and the share of lone cells (confetti), the fabrication side of part 2.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from pixlcraft.color import ciede2000, linear_to_lab, linear_to_srgb
from pixlcraft.confetti import confetti_share
from pixlcraft.convert import ConvertOptions, cell_colors, resolve_size
from pixlcraft.imageio import load_photo
from pixlcraft.nearest import nearest_colors
from pixlcraft.palette import load_builtin
from pixlcraft.sdpixl.generator import PaletteGenerator
from pixlcraft.sdpixl.losses import color_budget_loss, confetti_loss, fft_loss, fft_weight_for, top_colors
from pixlcraft.sdpixl.recipes import FAST, PAPER, Recipe

ROOT = Path(__file__).resolve().parent.parent
PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg")


def recipes() -> dict[str, Recipe]:
    return {"fast": FAST, "paper": PAPER,
            "fast-before": PAPER.replace(name="fast-before", steps=FAST.steps, warmup_steps=FAST.warmup_steps)}


def photo_cells(name: str, width: int) -> np.ndarray:
    """(H, W, 3) linear-light cell averages of a sample photo, as the classic converter makes them."""
    photo = load_photo(ROOT / "resources" / "samples" / name)
    w, h, crop = resolve_size(photo, ConvertOptions(width=width))
    cells, _ = cell_colors(photo, w, h, crop)
    return np.asarray(cells, np.float64)


def fft_weight(recipe: Recipe, height: int, width: int) -> float:
    """The recipe's FFT weight for this size, by the engine's own rule."""
    return fft_weight_for(recipe.fft_weight, height, width, recipe.fft_reference_cells)


def optimise(recipe: Recipe, target_srgb: np.ndarray, palette_rgb: np.ndarray, seed: int = 0,
             steps: int | None = None, start: str = "random", noise: float = 0.0,
             max_colors: int | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """Run the engine's optimiser with an image loss (plus, with ``noise``, a fresh Gaussian gradient of that
    standard deviation on every cell and channel each step, standing in for the noise of SDS). Returns the
    read-out (argmax, within the ``max_colors`` most used colours when there is a budget), the softmax image
    and the seconds taken."""
    torch.manual_seed(seed)
    rng = torch.Generator().manual_seed(seed)
    h, w = target_srgb.shape[:2]
    if start == "photo":
        gen = PaletteGenerator.from_photo(np.round(target_srgb * 255).astype(np.uint8), h, w, palette_rgb,
                                          canvas=(w * 8, h * 8))
    else:
        gen = PaletteGenerator.random(h, w, palette_rgb, generator=rng)
    if max_colors is not None:
        recipe = recipe.replace(max_colors=max_colors)
    target = torch.as_tensor(target_srgb, dtype=torch.float32)
    canvas_w, canvas_h = recipe.canvas_size(w, h)
    pixels_per_cell = canvas_w * canvas_h / (w * h)  # SDS sums over the canvas; so does this stand-in
    opt = torch.optim.AdamW([gen.logits], lr=recipe.lr, betas=tuple(recipe.betas),
                            weight_decay=recipe.weight_decay, eps=recipe.adam_eps)
    weight = fft_weight(recipe, h, w)
    total = int(steps or recipe.steps)
    started = time.perf_counter()
    for k in range(total):
        for group in opt.param_groups:
            group["lr"] = recipe.lr_at(k)
        tau = recipe.tau_min + (recipe.tau_max - recipe.tau_min) * float(torch.rand(1, generator=rng))
        image, _ = gen.soft(tau, rng)
        loss = 0.5 * pixels_per_cell * ((image - target) ** 2).sum()
        if noise:
            loss = loss + (noise * torch.randn(image.shape, generator=rng) * image).sum()
        if weight:
            loss = loss + weight * fft_loss(image)
        if recipe.max_colors is not None and recipe.color_budget_weight:
            loss = loss + recipe.color_budget_weight * color_budget_loss(gen.probs(), recipe.max_colors)
        if recipe.confetti_weight:
            loss = loss + recipe.confetti_weight * confetti_loss(gen.probs())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if recipe.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_([gen.logits], recipe.max_grad_norm)
        opt.step()
        gen.recenter_()
    with torch.no_grad():
        allowed = top_colors(gen.probs(), recipe.max_colors) if recipe.max_colors is not None else None
        indices, _ = gen.hard(allowed)
        soft = gen.softmax_image().numpy()
    return indices.numpy(), soft, time.perf_counter() - started


def l2_nearest(target_srgb: np.ndarray, palette_srgb: np.ndarray) -> np.ndarray:
    """The stand-in loss's own optimum: each cell's nearest palette colour by squared sRGB distance. The
    classic converter's nearest by CIEDE2000 is lower in ΔE00 than any optimum of an sRGB loss can be, so
    this "floor" is what the optimiser can be asked to reach."""
    return ((target_srgb[:, :, None, :] - palette_srgb[None, None]) ** 2).sum(-1).argmin(-1)


def score(indices: np.ndarray, palette_lab: np.ndarray, target_lab: np.ndarray) -> dict[str, float]:
    return {"delta_e": float(ciede2000(palette_lab[indices], target_lab).mean()),
            "colors": float(np.unique(indices).size),
            "confetti": float(confetti_share(indices.astype(np.int16)))}


def reach(args: argparse.Namespace) -> None:
    """Part 1: from random logits to the photo, each recipe within its own step count."""
    palette = load_builtin(args.palette)
    chosen = {name: recipes()[name] for name in args.recipes.split(",")}
    print(f"reach: {args.palette} ({len(palette)} colours), {args.width} wide, random start, seed {args.seed}")
    heads = " | ".join(f"{n}: ΔE00 / colours / lone / s" for n in chosen)
    print(f"| photo | cells | classic ΔE00 | floor ΔE00 | {heads} |")
    print("| --- | --- | --- | --- | " + " | ".join("---" for _ in chosen) + " |")
    for name in args.photos.split(","):
        linear = photo_cells(name, args.width)
        lab = linear_to_lab(linear)
        classic, _ = nearest_colors(lab, palette.lab)
        floor = l2_nearest(np.clip(linear_to_srgb(linear), 0.0, 1.0), palette.rgb / 255.0)
        row = [name, f"{linear.shape[1]}×{linear.shape[0]}", f"{score(classic, palette.lab, lab)['delta_e']:.2f}",
               f"{score(floor, palette.lab, lab)['delta_e']:.2f}"]
        for recipe in chosen.values():
            idx, _, secs = optimise(recipe, np.clip(linear_to_srgb(linear), 0.0, 1.0), palette.rgb, args.seed)
            s = score(idx, palette.lab, lab)
            row.append(f"{s['delta_e']:.2f} / {s['colors']:.0f} / {100 * s['confetti']:.1f} % / {secs:.0f}")
        print("| " + " | ".join(row) + " |", flush=True)


def speckle(args: argparse.Namespace) -> None:
    """Part 2: a photo start held by the image loss under SDS-like noise, DMC's 489 threads. Before: FAST as
    it was (PAPER's lr and decay, no budget, no confetti term, raw read-out). After: FAST now, with the
    pipeline's default budget, the confetti term and the read-out clean-up."""
    from pixlcraft.sdpixl.pipeline import DEFAULT_BUDGET, readout_without_confetti

    palette = load_builtin(args.palette)
    before = recipes()["fast-before"]
    print(f"speckle: {args.palette} ({len(palette)} colours), {args.width} wide, photo start, noise σ {args.noise}")
    print("| photo | start: colours / lone | before: ΔE00 / colours / lone | after: ΔE00 / colours / lone "
          "(cells cleaned) |")
    print("| --- | --- | --- | --- |")
    for name in args.photos.split(","):
        linear = photo_cells(name, args.width)
        lab = linear_to_lab(linear)
        target = np.clip(linear_to_srgb(linear), 0.0, 1.0)
        start, _, _ = optimise(before, target, palette.rgb, args.seed, steps=1, start="photo")  # lr is 0 at step 0
        s0 = score(start, palette.lab, lab)
        raw, _, _ = optimise(before, target, palette.rgb, args.seed, start="photo", noise=args.noise)
        s1 = score(raw, palette.lab, lab)
        idx, soft, _ = optimise(FAST, target, palette.rgb, args.seed, start="photo", noise=args.noise,
                                max_colors=DEFAULT_BUDGET)
        cleaned, removed = readout_without_confetti(idx, soft, palette)
        s2 = score(cleaned, palette.lab, lab)
        print(f"| {name} | {s0['colors']:.0f} / {100 * s0['confetti']:.1f} % | {s1['delta_e']:.2f} / "
              f"{s1['colors']:.0f} / {100 * s1['confetti']:.1f} % | {s2['delta_e']:.2f} / {s2['colors']:.0f} / "
              f"{100 * s2['confetti']:.1f} % ({removed}) |", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", nargs="?", choices=("reach", "speckle"), default="reach")
    ap.add_argument("--width", type=int, default=64, help="pattern width in cells (48–80 in the issue)")
    ap.add_argument("--palette", default="dmc")
    ap.add_argument("--photos", default=",".join(PHOTOS))
    ap.add_argument("--recipes", default="fast,fast-before,paper")
    ap.add_argument("--noise", type=float, default=0.05, help="speckle: σ of the stand-in SDS noise per cell")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    (reach if args.what == "reach" else speckle)(args)


if __name__ == "__main__":
    main()
