"""One SD-πXL optimisation step: logits → render → TAESD latents → SDS gradient from SDXL (+ ControlNets).

One step, as in the official code (numbers from the :class:`~.recipes.Recipe`):

1. τ ~ U(τ_min, τ_max); Gumbel-softmax image of the logits mixed through the palette (H×W×3).
2. Bilinear upsampling to the model canvas; the same random greyscale / perspective / flip applied to the
   render and to the ControlNet images.
3. TAESD encodes 2x − 1 (gradients flow through the encoder; its weights are frozen).
4. t ~ U{⌊1000·t_min⌋ … ⌊1000·t_max(step)⌋}; the latents are noised as the DDPM scheduler does.
5. UNet (+ ControlNet residuals at their scales), no gradient, on [negative, positive] prompt embeddings,
   pooled embeddings and time ids → SDS gradient → loss 0.5·Σ(z − sg(z − grad))².
6. + FFT weight × FFT loss of the soft image (+ our fabrication terms); AdamW with warm-up and grad-norm
   clipping; logits re-centred per cell.

Beyond the official step: any aspect ratio (canvas + time ids), a resume state that continues
bit-identically, and every random draw taken from seeded generators (a CPU one for the scalars τ, t and the
augmentation; one on the device for Gumbel and latent noise), so a seed fixes a run on a given device.

No step waits for the GPU: the random scalars come from the CPU generator, the timestep is an index into a
table already on the device, the FFT mask is cached there, and the loss values stay on the device until a
step that reports them (every ``log_every`` steps, with a preview, at the end) reads all of the pending ones
back in one copy. A read-back (``.item()``, ``float()``, a blocking host↔device copy) drains the GPU's queue,
and the CPU then has to refill it while the GPU idles; per step that costs about as much as the small kernels
it waits for.

The loop around the steps (progress, cancel, resume) is :func:`~.optimize.optimize`.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import augment as aug
from . import compiling
from .canvas import time_ids
from .generator import PaletteGenerator, preview_uint8
from .losses import color_budget_loss, confetti_loss, fft_loss, fft_weight_for, sds_grad, sds_loss, top_colors
from .prompts import PromptEmbeddings
from .recipes import Recipe
from .tensors import _clone_to_cpu, _to_control_tensor, bilinear_matrix

STATE_VERSION = 1
_DEVICE_SEED_OFFSET = 0x5EED_0F_D1FF  # keeps the device stream apart from the CPU stream of the same seed


# ---------------------------------------------------------------------------------------------------------
# inputs and outputs


@dataclass
class SDPixlComponents:
    """The frozen models of one run, already on their device and in their dtype.

    ``controlnets`` pair up, in order, with the ``control_images`` given to :func:`~.optimize.optimize` and with the
    recipe's ``controlnet_scales``. ``cross_attention_kwargs`` goes to the UNet (e.g. ``{"scale": 0.8}``
    for a LoRA, as the official code passes its ``lora_scale``).
    """

    unet: Any
    scheduler: Any
    taesd: Any
    embeddings: PromptEmbeddings
    controlnets: Sequence[Any] = ()
    cross_attention_kwargs: dict[str, Any] | None = None


@dataclass
class OptimizeResult:
    """What a run (finished or cancelled) leaves: the pattern and everything needed to repeat or resume it."""

    indices: np.ndarray  # (H, W) int16 palette indices, the palette-exact pattern
    softmax_image: np.ndarray  # (H, W, 3) float32 in [0, 1], expected colour per cell
    logits: np.ndarray  # (H, W, n) float32
    recipe: Recipe
    seed: int
    steps_done: int
    total_steps: int
    canvas: tuple[int, int]  # (W, H) pixels the render was drawn at
    losses: list[dict[str, float]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)  # pass as ``resume_state`` to continue

    @property
    def complete(self) -> bool:
        return self.steps_done >= self.total_steps

    @property
    def colors_used(self) -> int:
        return int(np.unique(self.indices).size)


# ---------------------------------------------------------------------------------------------------------
# the optimiser


class SDPixlOptimizer:
    """Holds one run's state; :meth:`step` advances it by one optimisation step.

    Construction checks every input (``ValueError``, before any model runs) and prepares the run. The
    caller's modules are used in place: the generator moves to the device and is trained; TAESD's weights
    are frozen and its tiling set as the recipe says until :meth:`close`.
    """

    def __init__(
        self,
        components: SDPixlComponents,
        generator: PaletteGenerator,
        recipe: Recipe,
        *,
        control_images: Sequence[Any] | None = None,
        steps: int | None = None,
        seed: int = 0,
        device: torch.device | str | None = None,
    ) -> None:
        self.components = components
        self.generator = generator
        self.recipe = recipe
        self.total_steps = int(steps if steps is not None else recipe.steps)
        self.seed = int(seed)
        self._check_inputs(control_images)
        self._prepare(control_images, device)

    # -- 1. inputs -----------------------------------------------------------------------------------------

    def _check_inputs(self, control_images: Sequence[Any] | None) -> None:
        c, r, g = self.components, self.recipe, self.generator
        if not isinstance(g, PaletteGenerator):
            raise ValueError("generator must be a PaletteGenerator")
        if g.n_colors < 2:
            raise ValueError("the palette needs at least two colours")
        if not isinstance(r, Recipe):
            raise ValueError("recipe must be a Recipe")
        if self.total_steps < 1:
            raise ValueError(f"steps must be at least 1, got {self.total_steps}")
        ucfg = c.unet.config
        if getattr(ucfg, "addition_embed_type", None) != "text_time":
            raise ValueError("the UNet is not an SDXL UNet (it has no text_time embedding)")
        if c.embeddings.embeds.shape[-1] != ucfg.cross_attention_dim:
            raise ValueError(f"prompt embeddings have width {c.embeddings.embeds.shape[-1]} but the UNet expects "
                             f"{ucfg.cross_attention_dim}")
        scfg = c.scheduler.config
        if getattr(scfg, "prediction_type", "epsilon") != "epsilon":
            raise ValueError(f"the scheduler predicts {scfg.prediction_type!r}; score distillation here needs "
                             "an epsilon-prediction model (SDXL base)")
        if not hasattr(c.scheduler, "alphas_cumprod"):
            raise ValueError("the scheduler has no alphas_cumprod (use the base model's DDPMScheduler)")
        n_ctrl = len(c.controlnets)
        n_img = 0 if control_images is None else len(control_images)
        if n_ctrl != n_img:
            raise ValueError(f"{n_ctrl} ControlNet(s) but {n_img} control image(s); give one image per ControlNet")
        if n_ctrl and len(r.controlnet_scales) not in (1, n_ctrl):
            raise ValueError(f"{n_ctrl} ControlNets but {len(r.controlnet_scales)} ControlNet scales in the recipe")
        width, height = r.canvas_size(g.width, g.height)
        align = 8 * 2 ** (len(ucfg.block_out_channels) - 1)
        if width % align or height % align:
            raise ValueError(f"canvas {width}×{height} is not a multiple of {align} pixels, which this UNet "
                             "needs; change canvas_side / canvas_multiple")
        if r.max_colors is not None and r.max_colors > g.n_colors:
            raise ValueError(f"max_colors {r.max_colors} exceeds the palette's {g.n_colors} colours")
        self.canvas = (width, height)

    # -- 2. prepare ----------------------------------------------------------------------------------------

    def _prepare(self, control_images: Sequence[Any] | None, device: torch.device | str | None) -> None:
        c, r = self.components, self.recipe
        self.device = torch.device(device) if device is not None else c.unet.device
        self.unet_dtype = c.unet.dtype
        self.taesd_dtype = c.taesd.dtype
        self.generator.to(self.device)

        width, height = self.canvas
        g = self.generator
        self._up_h = bilinear_matrix(height, g.height).to(self.device)
        self._up_w = bilinear_matrix(width, g.width).to(self.device)
        self.controls = [_to_control_tensor(img, self.canvas).to(self.device) for img in (control_images or [])]
        self.control_scales = (
            list(r.controlnet_scales) * len(c.controlnets) if len(r.controlnet_scales) == 1
            else list(r.controlnet_scales[: len(c.controlnets)])
        )
        self.augment_settings = aug.AugmentSettings(r.grey_p, r.perspective_p, r.perspective_scale, r.hflip_p)

        # conditioning, batch [neg, pos] or the official [neg, pos, uncond] (uncond = zeros, as diffusers
        # gives SDXL for a missing negative prompt; its prediction is discarded, as in the official code)
        embeds = c.embeddings.embeds.to(self.device, self.unet_dtype)
        pooled = c.embeddings.pooled.to(self.device, self.unet_dtype)
        if r.unet_batch == 3:
            embeds = torch.cat([embeds, torch.zeros_like(embeds[:1])])
            pooled = torch.cat([pooled, torch.zeros_like(pooled[:1])])
        self.embeds, self.pooled = embeds, pooled
        self.time_ids = torch.tensor([time_ids(width, height)], dtype=self.unet_dtype, device=self.device)
        self.time_ids = self.time_ids.repeat(r.unet_batch, 1)
        self.alphas_cumprod = c.scheduler.alphas_cumprod.to(self.device, torch.float32)
        self.num_train_timesteps = int(c.scheduler.config.num_train_timesteps)
        # every timestep already on the device: a step indexes it (a view, no host→device copy); diffusers
        # would otherwise build torch.tensor([t], device=...) from a Python number, a blocking copy per step
        self.timesteps = torch.arange(self.num_train_timesteps, device=self.device)
        self.fft_weight = fft_weight_for(r.fft_weight, g.height, g.width, r.fft_reference_cells)

        # frozen encoder; tiling as the recipe says (restored in close())
        self._taesd_flags = ([p.requires_grad for p in c.taesd.parameters()], bool(c.taesd.use_tiling))
        c.taesd.requires_grad_(False)
        c.taesd.use_tiling = bool(r.taesd_tiling)
        self.notes: list[str] = []
        self.compiled = bool(r.compile) and compiling.supported(self.device)
        if r.compile and not self.compiled:
            self.notes.append(compiling.CPU_NOTE)
        cuda = self.device.type == "cuda"
        self.channels_last = cuda and (r.channels_last or self.compiled)
        if self.channels_last:
            compiling.to_channels_last(c.unet, *c.controlnets)
            if self.compiled:
                compiling.to_channels_last(c.taesd)
        self._denoise = compiling.compile_denoiser(self._denoise_eager, self.device) if self.compiled \
            else self._denoise_eager
        self._encoder = compiling.compile_encoder(c.taesd.encoder) if self.compiled and not r.taesd_tiling \
            else None

        self.optimizer = torch.optim.AdamW(
            [g.logits], lr=r.lr, betas=tuple(r.betas), weight_decay=r.weight_decay, eps=r.adam_eps
        )
        self.cpu_rng = torch.Generator().manual_seed(self.seed)
        self.device_rng = torch.Generator(self.device).manual_seed(
            (self.seed + _DEVICE_SEED_OFFSET) % (2**63)
        )
        self.step_index = 0
        self._pending: list[tuple[dict[str, float], list[str], torch.Tensor]] = []
        self.losses = []
        self._palette_u8 = np.round(g.palette.detach().cpu().numpy() * 255.0).clip(0, 255).astype(np.uint8)

    def close(self) -> None:
        """Give TAESD back its own ``requires_grad`` flags and tiling setting; drop compiled code.

        Compiled graphs are guarded on this run's objects, so the next run compiles its own anyway; keeping
        them would hold their CUDA-graph memory pools, and after a few runs in one process (the app) Dynamo's
        recompile limit would quietly send every later run back to eager code.
        """
        flags, tiling = self._taesd_flags
        for p, flag in zip(self.components.taesd.parameters(), flags, strict=True):
            p.requires_grad_(flag)
        self.components.taesd.use_tiling = tiling
        if self.compiled:
            compiling.release()

    # -- 3. one step ---------------------------------------------------------------------------------------

    def render_canvas(self, image: torch.Tensor) -> torch.Tensor:
        """(H, W, 3) cell image → (1, 3, H_canvas, W_canvas), bilinear (align_corners=False)."""
        return torch.einsum("oh,chw,pw->cop", self._up_h, image.permute(2, 0, 1), self._up_w).unsqueeze(0)

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """[0, 1] images → TAESD latents in fp32 (times the scaling factor, 1.0 for TAESD)."""
        taesd = self.components.taesd
        x = (2.0 * images - 1.0).clamp(-1.0, 1.0).to(self.taesd_dtype)
        if taesd.use_tiling:
            latents = self._tiled_encode(x).float()
        elif self._encoder is not None:  # compiled; what taesd.encode() runs when it neither tiles nor slices
            latents = self._encoder(x.contiguous(memory_format=torch.channels_last)).float()
        else:
            latents = taesd.encode(x).latents.float()
        return latents * float(getattr(taesd.config, "scaling_factor", 1.0))

    def _tiled_encode(self, x: torch.Tensor) -> torch.Tensor:
        """diffusers' ``AutoencoderTiny._tiled_encode`` (same tiles, blending and numbers), with its blend masks
        made on the device once per run instead of built on the host and copied over at every call."""
        taesd = self.components.taesd
        sf = taesd.spatial_scale_factor
        tile_size = taesd.tile_sample_min_size
        blend_size = int(tile_size * taesd.tile_overlap_factor)
        traverse_size = tile_size - blend_size
        key = (sf, tile_size, blend_size, x.device)
        if getattr(self, "_blend_key", None) != key:
            ramp = torch.arange(tile_size / sf) / (blend_size / sf - 1)
            masks = torch.stack(torch.meshgrid([ramp] * 2, indexing="ij")).clamp(0, 1).to(x.device)
            self._blend_key, self._blend_masks = key, (masks, torch.ones_like(masks[0]))
        masks, ones = self._blend_masks
        out = torch.zeros(x.shape[0], 4, x.shape[-2] // sf, x.shape[-1] // sf, device=x.device)
        for i in range(0, x.shape[-2], traverse_size):
            for j in range(0, x.shape[-1], traverse_size):
                tile_in = x[..., i : i + tile_size, j : j + tile_size]
                tile_out = out[..., i // sf : (i + tile_size) // sf, j // sf : (j + tile_size) // sf]
                tile = taesd.encoder(tile_in)
                h, w = tile.shape[-2], tile.shape[-1]
                blend_mask = (ones if i == 0 else masks[0]) * (ones if j == 0 else masks[1])
                tile, blend_mask = tile[..., :h, :w], blend_mask[..., :h, :w]
                tile_out.copy_(blend_mask * tile + (1 - blend_mask) * tile_out)
        return out

    @torch.no_grad()
    def predict_noise(self, noisy: torch.Tensor, t: int, controls: list[torch.Tensor]) -> torch.Tensor:
        """UNet noise estimates (fp32) for every branch of the batch, ControlNet residuals added."""
        batch = self.recipe.unet_batch
        model_in = noisy.to(self.unet_dtype).repeat(batch, 1, 1, 1)
        if self.channels_last:
            model_in = model_in.contiguous(memory_format=torch.channels_last)
        conds = [image.to(net.dtype).repeat(batch, 1, 1, 1)
                 for net, image in zip(self.components.controlnets, controls, strict=True)]
        return self._denoise(model_in, self.timesteps[t], conds)

    def _denoise_eager(self, model_in: torch.Tensor, timestep: torch.Tensor, conds: list[torch.Tensor]) -> torch.Tensor:
        """ControlNets + UNet on one prepared batch (what ``--compile`` compiles as one graph)."""
        c = self.components
        added = {"text_embeds": self.pooled, "time_ids": self.time_ids}
        down_res = mid_res = None
        for net, cond, scale in zip(c.controlnets, conds, self.control_scales, strict=True):
            down, mid = net(
                model_in, timestep, encoder_hidden_states=self.embeds, controlnet_cond=cond,
                conditioning_scale=float(scale), guess_mode=False, added_cond_kwargs=added, return_dict=False,
            )
            if down_res is None:
                down_res, mid_res = list(down), mid
            else:
                down_res = [a + b for a, b in zip(down_res, down, strict=True)]
                mid_res = mid_res + mid
        eps = c.unet(
            model_in, timestep, encoder_hidden_states=self.embeds, added_cond_kwargs=added,
            cross_attention_kwargs=c.cross_attention_kwargs,
            down_block_additional_residuals=down_res, mid_block_additional_residual=mid_res, return_dict=False,
        )[0]
        return eps.float()

    def forward(self) -> dict[str, Any]:
        """Draw this step's randomness and compute every loss term (no optimiser update)."""
        r, g = self.recipe, self.generator
        k = self.step_index
        # 3.1 temperature and the Gumbel-softmax render
        tau = r.tau_min + (r.tau_max - r.tau_min) * float(torch.rand(1, generator=self.cpu_rng).item())
        image, _ = g.soft(tau, self.device_rng)
        # 3.2 canvas + shared augmentation
        canvas = self.render_canvas(image)
        augmented, params = aug.augment_same([canvas, *self.controls], self.augment_settings, self.cpu_rng)
        # 3.3 encode with gradients
        latents = self.encode(augmented[0])
        # 3.4 timestep and noise
        t_lo, t_hi = r.t_bounds(k, self.total_steps, self.num_train_timesteps)
        t = int(torch.randint(t_lo, t_hi + 1, (1,), generator=self.cpu_rng).item())
        noise = torch.randn(latents.shape, generator=self.device_rng, device=self.device, dtype=torch.float32)
        alpha_bar = self.alphas_cumprod[t]
        noisy = alpha_bar.sqrt() * latents.detach() + (1.0 - alpha_bar).sqrt() * noise
        # 3.5 UNet (+ ControlNets) and the SDS gradient
        eps = self.predict_noise(noisy, t, augmented[1:])
        grad = sds_grad(eps[0:1], eps[1:2], noise, alpha_bar, r.guidance_scale,
                        grad_scale=r.grad_scale, weighting=r.weighting)
        terms: dict[str, torch.Tensor] = {"sds": sds_loss(latents, grad)}
        # 3.6 smoothness and fabrication terms
        if self.fft_weight:
            terms["fft"] = self.fft_weight * fft_loss(image)
        if r.max_colors is not None and r.color_budget_weight:
            terms["budget"] = r.color_budget_weight * color_budget_loss(g.probs(), r.max_colors)
        if r.confetti_weight:
            terms["confetti"] = r.confetti_weight * confetti_loss(g.probs())
        return {"terms": terms, "latents": latents, "grad": grad, "t": t, "tau": tau, "augment": params}

    def step(self, *, fetch: bool = False) -> dict[str, float]:
        """One full optimisation step; returns this step's record (also appended to :attr:`losses`).

        The record has ``step``, ``t``, ``tau`` and ``lr`` at once; ``loss`` and one value per loss term
        arrive when the values are read back from the device: now if ``fetch`` (with every other pending
        step's, in one copy), else at the next fetching step, :meth:`fetch_losses` or any read of
        :attr:`losses`. The same dict is filled in, so a record kept from an earlier step completes too.
        """
        r, g = self.recipe, self.generator
        lr = r.lr_at(self.step_index)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        out = self.forward()
        loss = sum(out["terms"].values())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if r.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_([g.logits], r.max_grad_norm)
        self.optimizer.step()
        g.recenter_()
        record: dict[str, float] = {"step": float(self.step_index), "t": float(out["t"]), "tau": out["tau"], "lr": lr}
        names = ["loss", *out["terms"]]
        # every term is fp32 (float32 holds a half value exactly too), so tolist() later gives what float(v) would;
        # not float64, which MPS lacks
        values = torch.stack([v.detach().float() for v in (loss, *out["terms"].values())])
        self._losses.append(record)
        self._pending.append((record, names, values))
        self.step_index += 1
        if fetch:
            self.fetch_losses()
        return record

    def fetch_losses(self) -> None:
        """Read every pending step's loss values back from the device, in one copy, into their records."""
        if not self._pending:
            return
        values = torch.cat([v for _, _, v in self._pending]).tolist()
        i = 0
        for record, names, _ in self._pending:
            for name in names:
                record[name] = values[i]
                i += 1
        self._pending.clear()

    @property
    def losses(self) -> list[dict[str, float]]:
        """One record per step done (the resumed run's earlier steps included), every value a float."""
        self.fetch_losses()
        return self._losses

    @losses.setter
    def losses(self, records: list[dict[str, float]]) -> None:
        self._pending.clear()
        self._losses = records

    # -- 4. state and result -------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly where this run is (CPU tensors only)."""
        return {
            "version": STATE_VERSION,
            "step": self.step_index,
            "total_steps": self.total_steps,
            "seed": self.seed,
            "recipe": self.recipe.to_dict(),
            "canvas": list(self.canvas),
            "logits": _clone_to_cpu(self.generator.logits),
            "optimizer": _clone_to_cpu(self.optimizer.state_dict()),
            "cpu_rng": self.cpu_rng.get_state().clone(),
            "device_rng": self.device_rng.get_state().clone(),
            "device_type": self.device.type,
            "losses": copy.deepcopy(self.losses),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`; raises ``ValueError`` if the state belongs to another run or is
        damaged (a field missing or of the wrong kind, in a file whose header looked right)."""
        try:
            self._load_state(state)
        except (KeyError, TypeError, AttributeError, IndexError, RuntimeError) as exc:
            raise ValueError(f"the resume state is damaged ({type(exc).__name__}: {exc}); start again without "
                             "--resume") from None

    def _load_state(self, state: dict[str, Any]) -> None:
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"this resume state has version {state.get('version')}, expected {STATE_VERSION}")
        if state["recipe"] != self.recipe.to_dict():
            raise ValueError("the resume state was made with different recipe settings")
        if state["total_steps"] != self.total_steps:
            raise ValueError(f"the resume state is for a {state['total_steps']}-step run, not {self.total_steps}")
        if tuple(state["canvas"]) != tuple(self.canvas):
            raise ValueError("the resume state was made for a different canvas size")
        if tuple(state["logits"].shape) != tuple(self.generator.logits.shape):
            raise ValueError(f"the resume state holds {tuple(state['logits'].shape)} logits, the generator "
                             f"{tuple(self.generator.logits.shape)}")
        if state["device_type"] != self.device.type:
            raise ValueError(f"the resume state was made on {state['device_type']}, this run is on "
                             f"{self.device.type}; random streams differ between devices")
        with torch.no_grad():
            self.generator.logits.copy_(state["logits"].to(self.device))
        self.optimizer.load_state_dict(copy.deepcopy(state["optimizer"]))
        self.cpu_rng.set_state(state["cpu_rng"].clone())
        self.device_rng.set_state(state["device_rng"].clone())
        self.step_index = int(state["step"])
        self.seed = int(state["seed"])
        self.losses = copy.deepcopy(state["losses"])

    def preview(self) -> np.ndarray:
        """The current argmax pattern as a uint8 (H, W, 3) picture."""
        return preview_uint8(self.generator, self._palette_u8)

    @torch.no_grad()
    def result(self) -> OptimizeResult:
        g, r = self.generator, self.recipe
        allowed = top_colors(g.probs(), r.max_colors) if r.max_colors is not None else None
        indices, _ = g.hard(allowed)
        return OptimizeResult(
            indices=indices.cpu().numpy().astype(np.int16),
            softmax_image=g.softmax_image().float().cpu().numpy(),
            logits=g.logits.detach().float().cpu().numpy().copy(),
            recipe=r,
            seed=self.seed,
            steps_done=self.step_index,
            total_steps=self.total_steps,
            canvas=self.canvas,
            losses=copy.deepcopy(self.losses),
            state=self.state_dict(),
        )
