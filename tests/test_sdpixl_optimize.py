"""The SD-πXL loop on tiny random-weight SDXL parts (real diffusers classes, built in memory)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
transformers = pytest.importorskip("transformers")

from pixlcraft.errors import Cancelled  # noqa: E402
from pixlcraft.jobs import CancelToken, Reporter  # noqa: E402
from pixlcraft.sdpixl.generator import PaletteGenerator  # noqa: E402
from pixlcraft.sdpixl.optimize import (  # noqa: E402
    PromptEmbeddings,
    SDPixlComponents,
    SDPixlOptimizer,
    bilinear_matrix,
    encode_prompts,
    optimize,
)
from pixlcraft.sdpixl.recipes import FAST, PAPER, get_recipe  # noqa: E402

TEXT_DIM = 8  # each tiny text encoder; the UNet's cross-attention width is two of them
POOLED_DIM = 8
TIME_DIM = 4
PALETTE = np.array([[0, 0, 0], [255, 255, 255], [220, 40, 40], [40, 170, 60], [40, 70, 210], [240, 210, 40]],
                   dtype=np.uint8)
# small canvases so that a step takes milliseconds; "aspect" keeps the pattern's shape
TINY = PAPER.replace(canvas="aspect", canvas_side=64, canvas_multiple=16, steps=6, warmup_steps=2)


def _unet():
    return diffusers.UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(8, 16),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=2 * TEXT_DIM,
        attention_head_dim=(2, 4), norm_num_groups=4, use_linear_projection=True,
        addition_embed_type="text_time", addition_time_embed_dim=TIME_DIM,
        projection_class_embeddings_input_dim=POOLED_DIM + 6 * TIME_DIM,
    ).eval()


@pytest.fixture(scope="module")
def parts():
    torch.manual_seed(0)
    unet = _unet()
    canny = diffusers.ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(4, 8, 8, 8)).eval()
    depth = diffusers.ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=(4, 8, 8, 8)).eval()
    # make the ControlNets matter (from_unet zero-initialises their output convolutions)
    with torch.no_grad():
        for net in (canny, depth):
            for p in net.parameters():
                if p.abs().sum() == 0:
                    p.normal_(0, 0.05)
    taesd = diffusers.AutoencoderTiny(
        encoder_block_out_channels=(4, 4, 4, 4), decoder_block_out_channels=(4, 4, 4, 4),
        num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1), latent_channels=4,
    ).eval()
    sched = diffusers.DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                                    num_train_timesteps=1000)
    gen = torch.Generator().manual_seed(1)
    emb = PromptEmbeddings(torch.randn(2, 7, 2 * TEXT_DIM, generator=gen), torch.randn(2, POOLED_DIM, generator=gen))
    return {"unet": unet, "controlnets": [canny, depth], "taesd": taesd, "scheduler": sched, "emb": emb}


def _components(parts, controlnets=True):
    return SDPixlComponents(parts["unet"], parts["scheduler"], parts["taesd"], parts["emb"],
                            controlnets=parts["controlnets"] if controlnets else ())


def _controls(h=48, w=80):
    rng = np.random.default_rng(0)
    edges = (rng.random((h, w, 3)) > 0.9).astype(np.uint8) * 255
    depth = np.repeat(np.linspace(0, 255, w, dtype=np.uint8)[None, :, None], h, 0).repeat(3, 2)
    return [edges, depth]


def _generator(h=8, w=12, seed=0):
    return PaletteGenerator.random(h, w, PALETTE, generator=torch.Generator().manual_seed(seed))


class _Calls:
    """Counts UNet calls and keeps what it was called with."""

    def __init__(self, module):
        self.calls = []
        self.outputs = []
        self._h1 = module.register_forward_pre_hook(self._pre, with_kwargs=True)
        self._h2 = module.register_forward_hook(self._post)

    def _pre(self, _mod, args, kwargs):
        self.calls.append((args, kwargs))

    def _post(self, _mod, _args, out):
        self.outputs.append(out[0].detach().clone())

    def close(self):
        self._h1.remove()
        self._h2.remove()


# -- helpers ---------------------------------------------------------------------------------------------


def test_bilinear_matrix_matches_interpolate():
    img = torch.rand(1, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    for out_h, out_w in [(16, 16), (40, 24), (5, 7), (11, 3)]:
        ref = torch.nn.functional.interpolate(img, size=(out_h, out_w), mode="bilinear", align_corners=False)
        ours = torch.einsum("oh,bchw,pw->bcop", bilinear_matrix(out_h, 5), img, bilinear_matrix(out_w, 7))
        torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-6)


def test_recipes():
    assert get_recipe("paper") is PAPER and get_recipe("fast") is FAST
    with pytest.raises(ValueError):
        get_recipe("turbo")
    assert (PAPER.lr, PAPER.betas, PAPER.weight_decay, PAPER.max_grad_norm) == (0.025, (0.9, 0.999), 0.01, 1.0)
    assert (PAPER.steps, PAPER.warmup_steps, PAPER.guidance_scale, PAPER.fft_weight) == (10_001, 250, 40.0, 20.0)
    assert PAPER.controlnet_scales == (0.15, 0.15) and PAPER.unet_batch == 3 and PAPER.precision == "fp32"
    assert PAPER.canvas_size(48, 32) == (1024, 1024)
    assert PAPER.t_bounds(0, 10_001) == (20, 980)
    assert PAPER.t_bounds(2500, 10_001) == (20, int(1000 * (0.98 - 0.18 * 2500 / 5000.5)))
    assert PAPER.t_bounds(5001, 10_001) == (20, 800) == PAPER.t_bounds(10_000, 10_001)
    assert PAPER.lr_at(0) == 0.0 and PAPER.lr_at(125) == pytest.approx(0.0125) and PAPER.lr_at(250) == 0.025
    assert FAST.unet_batch == 2 and FAST.canvas_size(48, 32)[0] > FAST.canvas_size(48, 32)[1]
    assert FAST.t_bounds(FAST.steps // 2, FAST.steps) == (20, 800)
    json.dumps(FAST.to_dict())


def test_encode_prompts_matches_diffusers_sdxl(tmp_path):
    # a byte-level BPE vocabulary with no merges: the 256 byte stand-ins of GPT-2/CLIP, alone and word-final
    printable = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = [b for b in range(256) if b not in printable]
    chars = [chr(b) for b in printable] + [chr(256 + i) for i in range(len(others))]
    vocab = {c: i for i, c in enumerate(chars + [c + "</w>" for c in chars] + ["<|startoftext|>", "<|endoftext|>"])}
    (tmp_path / "vocab.json").write_text(json.dumps(vocab))
    (tmp_path / "merges.txt").write_text("#version: 0.2\n")
    tok1 = transformers.CLIPTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"),
                                      model_max_length=16)
    tok2 = transformers.CLIPTokenizer(str(tmp_path / "vocab.json"), str(tmp_path / "merges.txt"),
                                      model_max_length=16, pad_token="!")
    torch.manual_seed(0)
    cfg = dict(vocab_size=len(vocab), hidden_size=TEXT_DIM, intermediate_size=16, num_hidden_layers=2,
               num_attention_heads=2, max_position_embeddings=16, bos_token_id=vocab["<|startoftext|>"],
               eos_token_id=vocab["<|endoftext|>"], pad_token_id=vocab["<|endoftext|>"])
    enc1 = transformers.CLIPTextModel(transformers.CLIPTextConfig(**cfg)).eval()
    enc2 = transformers.CLIPTextModelWithProjection(
        transformers.CLIPTextConfig(**cfg, projection_dim=POOLED_DIM)).eval()
    pipe = diffusers.StableDiffusionXLPipeline(
        vae=diffusers.AutoencoderTiny(encoder_block_out_channels=(4, 4, 4, 4),
                                      decoder_block_out_channels=(4, 4, 4, 4),
                                      num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1)),
        text_encoder=enc1, text_encoder_2=enc2, tokenizer=tok1, tokenizer_2=tok2, unet=_unet(),
        scheduler=diffusers.DDPMScheduler(),
    )
    for negative in ("blurry", ""):
        ref = pipe.encode_prompt("a red rose", device="cpu", num_images_per_prompt=1,
                                 do_classifier_free_guidance=True, negative_prompt=negative)
        ours = encode_prompts([tok1, tok2], [enc1, enc2], "a red rose", negative)
        torch.testing.assert_close(ours.embeds[1:], ref[0])
        torch.testing.assert_close(ours.embeds[:1], ref[1])
        torch.testing.assert_close(ours.pooled[1:], ref[2])
        torch.testing.assert_close(ours.pooled[:1], ref[3])
    assert ours.embeds.shape == (2, 16, 2 * TEXT_DIM) and ours.pooled.shape == (2, POOLED_DIM)
    assert ours.embeds[0].abs().sum() > 0  # "" is encoded, as the official code does
    # diffusers' zeros for a missing negative prompt
    ref = pipe.encode_prompt("a red rose", device="cpu", num_images_per_prompt=1,
                             do_classifier_free_guidance=True, negative_prompt=None)
    zeros = encode_prompts([tok1, tok2], [enc1, enc2], "a red rose", "", zero_empty_negative=True)
    torch.testing.assert_close(zeros.embeds[:1], ref[1])
    assert zeros.embeds[0].abs().sum() == 0 and zeros.pooled[0].abs().sum() == 0


# -- the loop --------------------------------------------------------------------------------------------


def test_run_non_square_with_controlnets_gives_a_palette_exact_pattern(parts):
    calls = _Calls(parts["unet"])
    events = []
    try:
        result = optimize(_components(parts), _generator(8, 12), TINY, control_images=_controls(), seed=3,
                          reporter=Reporter(events.append), preview_every=2)
    finally:
        calls.close()
    assert result.canvas == (80, 48) and result.complete
    assert result.indices.shape == (8, 12) and result.indices.dtype == np.int16
    assert result.indices.min() >= 0 and result.indices.max() < len(PALETTE)
    assert result.softmax_image.shape == (8, 12, 3) and result.logits.shape == (8, 12, len(PALETTE))
    assert result.recipe is TINY and result.seed == 3 and len(result.losses) == 6
    np.testing.assert_allclose(result.logits.mean(-1), 0.0, atol=1e-5)  # re-centred after every step
    # UNet batch 3 [neg, pos, uncond], latents at canvas/8, time ids of the canvas, ControlNet residuals
    assert len(calls.calls) == 6
    args, kwargs = calls.calls[0]
    assert args[0].shape == (3, 4, 6, 10)
    assert kwargs["added_cond_kwargs"]["time_ids"].tolist() == [[48, 80, 0, 0, 48, 80]] * 3
    assert kwargs["encoder_hidden_states"][2].abs().sum() == 0
    torch.testing.assert_close(kwargs["encoder_hidden_states"][:2], parts["emb"].embeds)
    assert kwargs["down_block_additional_residuals"] is not None
    assert kwargs["mid_block_additional_residual"] is not None
    # progress: every step, previews after the first step, every 2 steps and at the end
    assert [e.done for e in events] == [1, 2, 3, 4, 5, 6]
    assert all(e.stage == "generate" and e.total == 6 for e in events)
    assert [e.done for e in events if e.preview is not None] == [1, 2, 4, 6]
    # the loss is read back from the device only on the reporting steps (previews here), never in between
    assert [e.done for e in events if "loss" in e.info] == [1, 2, 4, 6]
    for e in events:
        assert {"t", "tau", "lr"} <= set(e.info)
        assert ({"loss", "sds", "fft"} <= set(e.info)) == (e.preview is not None)
        assert ("loss" in e.message) == (e.preview is not None)
        assert 20 <= e.info["t"] <= 980
    # ... and every step's record holds its floats in the end
    assert all({"loss", "sds", "fft"} <= set(rec) and isinstance(rec["loss"], float) for rec in result.losses)
    assert [e.info["loss"] for e in events if "loss" in e.info] == [result.losses[i]["loss"] for i in (0, 1, 3, 5)]
    last = events[-1].preview
    assert last.dtype == np.uint8 and last.shape == (8, 12, 3)
    np.testing.assert_array_equal(last, PALETTE[result.indices])


def test_prompt_only_batch_two_and_tall_pattern(parts):
    calls = _Calls(parts["unet"])
    recipe = TINY.replace(unet_batch=2, steps=3)
    try:
        result = optimize(_components(parts, controlnets=False), _generator(12, 5), recipe, seed=0)
    finally:
        calls.close()
    w, h = result.canvas
    assert h > w and result.indices.shape == (12, 5)
    args, kwargs = calls.calls[0]
    assert args[0].shape[0] == 2 and kwargs["down_block_additional_residuals"] is None
    assert kwargs["added_cond_kwargs"]["time_ids"].tolist() == [[h, w, 0, 0, h, w]] * 2


def test_loop_gradient_is_weighted_guided_noise_error(parts):
    """The step's latent gradient is (1 − ᾱ_t)[(ε_pos − ε) + 40(ε_pos − ε_neg)] with batch order [neg, pos]."""
    recipe = TINY.replace(unet_batch=2)
    opt = SDPixlOptimizer(_components(parts), _generator(), recipe, control_images=_controls(), seed=5)
    calls = _Calls(parts["unet"])
    try:
        out = opt.forward()
    finally:
        calls.close()
        opt.close()
    (args, _kwargs), eps = calls.calls[0], calls.outputs[0]
    ab = parts["scheduler"].alphas_cumprod[out["t"]]
    noisy = args[0][0:1]
    noise = (noisy - ab.sqrt() * out["latents"].detach()) / (1 - ab).sqrt()
    expected = (1 - ab) * ((eps[1:2] - noise) + 40.0 * (eps[1:2] - eps[0:1]))
    torch.testing.assert_close(out["grad"], expected, rtol=1e-4, atol=1e-4)
    # and the loss pushes exactly that gradient into the latents
    (g,) = torch.autograd.grad(out["terms"]["sds"], out["latents"])
    torch.testing.assert_close(g, out["grad"])


def test_same_seed_same_result_other_seed_differs(parts):
    runs = [optimize(_components(parts), _generator(), TINY, control_images=_controls(), seed=s)
            for s in (7, 7, 8)]
    np.testing.assert_array_equal(runs[0].logits, runs[1].logits)
    assert runs[0].losses == runs[1].losses
    assert not np.array_equal(runs[0].logits, runs[2].logits)


def test_cancel_stops_within_one_step_and_resume_is_exact(parts):
    full = optimize(_components(parts), _generator(), TINY, control_images=_controls(), seed=11)

    token = CancelToken()

    def cancel_at_three(progress):
        if progress.done == 3:
            token.cancel()

    calls = _Calls(parts["unet"])
    try:
        with pytest.raises(Cancelled) as caught:
            optimize(_components(parts), _generator(), TINY, control_images=_controls(), seed=11,
                     reporter=Reporter(cancel_at_three, token))
    finally:
        calls.close()
    partial = caught.value.partial
    assert len(calls.calls) == 3  # no step started after the cancel
    assert partial.steps_done == 3 and not partial.complete
    assert partial.indices.shape == (8, 12) and len(partial.losses) == 3
    assert partial.state["step"] == 3

    # resume on a fresh generator (as after loading the state from disk) and compare bit for bit
    state = torch.load(_roundtrip(partial.state), weights_only=False)
    resumed = optimize(_components(parts), _generator(seed=99), TINY, control_images=_controls(), seed=0,
                       resume_state=state)
    assert resumed.seed == 11 and resumed.steps_done == 6
    np.testing.assert_array_equal(resumed.logits, full.logits)
    np.testing.assert_array_equal(resumed.indices, full.indices)
    assert resumed.losses == full.losses


def _roundtrip(state):
    import io

    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return buf


def test_resume_refuses_another_run(parts):
    partial = optimize(_components(parts), _generator(), TINY.replace(steps=2), control_images=_controls(), seed=1)
    with pytest.raises(ValueError, match="recipe"):
        optimize(_components(parts), _generator(), TINY.replace(steps=2, fft_weight=0.0),
                 control_images=_controls(), resume_state=partial.state)
    with pytest.raises(ValueError, match="logits"):
        optimize(_components(parts), _generator(8, 12 + 0), TINY.replace(steps=2), control_images=_controls(),
                 resume_state={**partial.state, "logits": torch.zeros(3, 3, len(PALETTE))})


def test_bad_inputs_fail_before_any_model_runs(parts):
    calls = _Calls(parts["unet"])
    try:
        with pytest.raises(ValueError, match="control image"):
            optimize(_components(parts), _generator(), TINY, control_images=_controls()[:1])
        bad = SDPixlComponents(parts["unet"], parts["scheduler"], parts["taesd"],
                               PromptEmbeddings(torch.zeros(2, 7, 5), torch.zeros(2, POOLED_DIM)))
        with pytest.raises(ValueError, match="width"):
            optimize(bad, _generator(), TINY)
        with pytest.raises(ValueError, match="multiple"):
            optimize(_components(parts, False), _generator(), TINY.replace(canvas_multiple=8, canvas_side=60))
        with pytest.raises(ValueError, match="max_colors"):
            optimize(_components(parts, False), _generator(), TINY.replace(max_colors=40))
        with pytest.raises(ValueError, match="preview_every"):
            optimize(_components(parts, False), _generator(), TINY, preview_every=0)
    finally:
        calls.close()
    assert calls.calls == []


def test_colour_budget_limits_the_pattern(parts):
    recipe = TINY.replace(steps=3, max_colors=2, color_budget_weight=1.0, confetti_weight=0.5, unet_batch=2)
    result = optimize(_components(parts, False), _generator(), recipe, seed=2)
    assert result.colors_used <= 2
    assert {"budget", "confetti"} <= set(result.losses[-1])


def test_paper_tiled_taesd_encode_keeps_gradients_and_is_undone(parts):
    """PAPER encodes like the official pipeline (TAESD tiling on); FAST encodes in one piece."""
    taesd = parts["taesd"]
    old_size = taesd.tile_sample_min_size
    taesd.tile_sample_min_size = 32  # tiles smaller than the 80×48 canvas, as 512² tiles are at 1024²
    try:
        x = torch.rand(1, 3, 48, 80, generator=torch.Generator().manual_seed(0))
        latents = {}
        for tiling in (True, False):
            opt = SDPixlOptimizer(_components(parts), _generator(), TINY.replace(taesd_tiling=tiling),
                                  control_images=_controls())
            assert taesd.use_tiling is tiling
            assert not any(p.requires_grad for p in taesd.parameters())
            xr = x.clone().requires_grad_(True)
            z = opt.encode(xr)
            with torch.no_grad():  # our tiled encode (masks made once on the device) is diffusers' to the bit
                ref = taesd.encode((2.0 * x - 1.0).clamp(-1.0, 1.0)).latents
            torch.testing.assert_close(z.detach(), ref, rtol=0, atol=0)
            z.sum().backward()
            assert xr.grad.abs().sum() > 0
            latents[tiling] = z.detach()
            opt.close()
            assert taesd.use_tiling is False
            assert all(p.requires_grad for p in taesd.parameters())
        assert latents[True].shape == latents[False].shape == (1, 4, 6, 10)
        assert not torch.equal(latents[True], latents[False])
    finally:
        taesd.tile_sample_min_size = old_size


# -- speed: no host syncs in a step ------------------------------------------------------------------------


def _device_tensors(opt):
    """Everything a run keeps on its device before a step: weights, logits, Adam state, prepared tensors."""
    c = opt.components
    seeds = [*opt.generator.parameters(), *opt.generator.buffers()]
    for module in (c.unet, c.taesd, *c.controlnets):
        seeds += [*module.parameters(), *module.buffers()]
    for state in opt.optimizer.state.values():
        seeds += [v for k, v in state.items() if isinstance(v, torch.Tensor) and k != "step"]  # step: host by design
    seeds += [v for v in vars(opt).values() if isinstance(v, torch.Tensor)]
    seeds += [*opt.controls, *[p.grad for p in opt.generator.parameters() if p.grad is not None]]
    return seeds


@pytest.mark.parametrize("tiling", [False, True], ids=["fast-encode", "paper-tiled-encode"])
def test_a_step_that_reports_nothing_never_syncs_with_the_device(parts, tiling):
    """No device→host read and no blocking host→device copy in a step that does not report its loss.

    A CPU-only machine cannot see CUDA syncs, so ``tests/sync_watch.py`` decides what lives on the device by
    provenance: the weights, logits, Adam state and the tensors the run prepared on its device, and every
    tensor computed from them (tracked op by op, backward included), plus draws from the device generator.
    A read of any of those (``item``/``float``/``tolist``/``cpu``/``numpy``) is a device→host sync; building
    a tensor from Python data with ``device=``, or sending a host tensor ``.to(a device)``, is a blocking
    host→device copy. Draws from the CPU generator (τ, t, augmentation) are host values: reading them is free.
    The watch is shown to see each kind: the reporting step's one read-back, and planted syncs of both kinds.
    """
    from sync_watch import SyncWatch

    recipe = TINY.replace(unet_batch=2, steps=10, max_colors=3, color_budget_weight=1.0, confetti_weight=0.5,
                          perspective_p=1.0, taesd_tiling=tiling, fft_reference_cells=64)
    opt = SDPixlOptimizer(_components(parts), _generator(), recipe, control_images=_controls(), seed=4)
    try:
        opt.step()  # the first step creates Adam's state and the cached FFT mask: set-up, not per step
        seed = opt.device_rng.initial_seed()
        with SyncWatch(_device_tensors(opt), seed) as watch:
            opt.step()
            opt.step()
        assert watch.syncs == []
        # the watch is not blind: the reporting step reads every pending loss back, in one copy ...
        with SyncWatch(_device_tensors(opt), seed) as watch:
            record = opt.step(fetch=True)
        assert [kind for kind, _ in watch.syncs] == ["tolist"] and "optimizer.py" in watch.syncs[0][1]
        assert {"loss", "sds", "fft", "budget", "confetti"} <= set(record)
        assert [set(r) for r in opt.losses] == [set(record)] * 4  # the earlier steps' records were filled in too
        # ... and it sees what the old step did: a timestep tensor built per step, the FFT mask sent per step,
        # and a float() of the loss
        from pixlcraft.sdpixl.losses import _fft_mask_cpu

        with SyncWatch(_device_tensors(opt), seed) as watch:
            torch.tensor(5, device=opt.device)
            _fft_mask_cpu(8, 12).to(opt.device)
            float(opt.generator.logits.detach().sum())
        assert [kind for kind, _ in watch.syncs] == ["torch.tensor", "to", "item/float/int/bool"]
    finally:
        opt.close()


# -- speed: torch.compile ----------------------------------------------------------------------------------


def test_compile_sends_the_denoiser_and_the_encoder_through_torch_compile(parts, monkeypatch):
    """``compile=True`` on CUDA compiles ControlNets + UNet (one function) and TAESD's encoder; here the same
    wiring runs with a counting Dynamo backend (Inductor on the CPU is refused with a note instead)."""
    from pixlcraft.sdpixl import compiling

    recipe = TINY.replace(unet_batch=2, steps=2, taesd_tiling=False)
    opt = SDPixlOptimizer(_components(parts), _generator(), recipe.replace(compile=True), control_images=_controls())
    assert not opt.compiled and opt.notes == [compiling.CPU_NOTE]  # Inductor on the CPU: ignored, and said so
    opt.close()

    graphs = []

    def counting_backend(gm, example_inputs):
        graph = {"calls": 0, "ops": {str(node.target) for node in gm.graph.nodes}}
        graphs.append(graph)

        def run(*args):
            graph["calls"] += 1
            return gm.forward(*args)

        return run

    eager = optimize(_components(parts), _generator(), recipe, control_images=_controls(), seed=2)
    monkeypatch.setattr(compiling, "BACKEND", counting_backend)
    torch._dynamo.reset()
    try:
        compiled = optimize(_components(parts), _generator(), recipe.replace(compile=True),
                            control_images=_controls(), seed=2)
    finally:
        torch._dynamo.reset()
    # two whole graphs, no graph break: TAESD's encoder (convolutions only) and the denoiser (ControlNets +
    # UNet, with attention), each run once per step, never recompiled
    attention = [any("scaled_dot_product_attention" in op for op in g["ops"]) for g in graphs]
    assert sorted(attention) == [False, True]
    assert all(any("conv2d" in op for op in g["ops"]) for g in graphs)
    assert [g["calls"] for g in graphs] == [2, 2]
    # same numbers as the eager run: the compiled functions really computed the steps
    np.testing.assert_allclose(compiled.logits, eager.logits, rtol=1e-5, atol=1e-6)
    assert [r["t"] for r in compiled.losses] == [r["t"] for r in eager.losses]
    np.testing.assert_allclose([r["loss"] for r in compiled.losses], [r["loss"] for r in eager.losses], rtol=1e-5)
