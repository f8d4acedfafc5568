"""The end-to-end SD-πXL job on tiny random-weight models: photo, prompt-only, cancel/resume, checks, errors."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from pixlcraft import model_loading, models  # noqa: E402
from pixlcraft.convert import ConvertOptions, convert_photo  # noqa: E402
from pixlcraft.errors import Cancelled, InputError, PixlcraftError  # noqa: E402
from pixlcraft.imageio import photo_from_array  # noqa: E402
from pixlcraft.jobs import CancelToken  # noqa: E402
from pixlcraft.models import ModelMissingError  # noqa: E402
from pixlcraft.palette import load_builtin  # noqa: E402
from pixlcraft.sdpixl.conditions import canny_edges  # noqa: E402
from pixlcraft.sdpixl.generator import photo_logits  # noqa: E402
from pixlcraft.sdpixl.pipeline import GenerateRequest, generate, load_state, save_state  # noqa: E402

# diffusers' Euler scheduler trips a numpy 2 deprecation on its own tensors; nothing of ours.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

PROMPT = "a rose flower, branch and leaves visible"
PALETTE = load_builtin("nabbi")  # 30 colours: small logits, real palette


def _photo() -> np.ndarray:
    """90×40 pixels (wider than the 3:2 patterns below, so it must be cropped): gradient, dark box, light disc."""
    y, x = np.mgrid[0:40, 0:90]
    img = np.stack([x * 2.8, y * 5.0, (x + y) * 1.7], -1)
    img[8:30, 20:40] = (20, 30, 90)
    img[(y - 20) ** 2 + (x - 62) ** 2 < 100] = (250, 240, 200)
    return img.clip(0, 255).astype(np.uint8)


def _request(tiny, **changes) -> GenerateRequest:
    base = dict(
        prompt=PROMPT, width=12, height=8, palette=PALETTE, steps=3, seed=3, device="cpu", canvas_side=64,
        reference_samples=2, reference_steps=2, download=False,
        base_model=str(tiny.base), vae=str(tiny.taesd), controlnet_canny=str(tiny.controlnet_canny),
        controlnet_depth=str(tiny.controlnet_depth), depth_model=str(tiny.depth), clip_model=str(tiny.clip),
    )
    base.update(changes)
    return GenerateRequest(**base)


def _palette_exact(pattern) -> None:
    rgb = pattern.rgb_image().reshape(-1, 3)
    allowed = {tuple(c) for c in PALETTE.rgb}
    assert {tuple(c) for c in rgb} <= allowed
    assert pattern.grid.min() >= 0 and pattern.grid.max() < len(PALETTE)


class _Counter:
    """Wraps a class's forward (or a module function) and records each call's keyword arguments."""

    def __init__(self, monkeypatch, owner, name):
        self.calls = []
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            self.calls.append(kwargs)
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)


@pytest.fixture(scope="module")
def reference_run(tiny_models):
    """One uninterrupted prompt-only run (reference init, 4 steps); several tests compare against it.

    Also counts how often the UNet and the text encoders were loaded (the reference sampler must share them).
    """
    stages = []
    with pytest.MonkeyPatch.context() as mp:
        loads = {
            "unet": _Counter(mp, model_loading, "load_unet"),
            "text": _Counter(mp, model_loading, "load_sdxl_text"),
        }
        result = generate(_request(tiny_models, steps=4), progress=lambda p: stages.append(p))
    return result, stages, {name: len(c.calls) for name, c in loads.items()}


# -- full runs ---------------------------------------------------------------------------------------------------


def test_photo_run_crops_uses_both_controlnets_and_depth(tiny_models, monkeypatch):
    from diffusers import ControlNetModel
    from PIL import Image
    from transformers import DPTForDepthEstimation

    controlnet = _Counter(monkeypatch, ControlNetModel, "forward")
    depth = _Counter(monkeypatch, DPTForDepthEstimation, "forward")
    result = generate(_request(tiny_models, image=_photo()))

    assert result.complete and result.steps_done == 3
    assert result.pattern.grid.shape == (8, 12)
    _palette_exact(result.pattern)
    canvas = result.optimize.canvas
    assert canvas == (80, 48)  # the fast recipe keeps the 3:2 shape
    # two ControlNets per step at the recipe's scale 0.15, one depth estimate for the whole run
    assert len(controlnet.calls) == 2 * 3 and len(depth.calls) == 1
    assert {c["conditioning_scale"] for c in controlnet.calls} == {0.15}
    assert all(tuple(c["controlnet_cond"].shape[-2:]) == (48, 80) for c in controlnet.calls)

    # the photo's centre, cropped to 3:2 (60×40 of 90×40), resized to the canvas: start and Canny map follow it
    crop = np.ascontiguousarray(_photo()[:, 15:75])
    at_canvas = np.asarray(Image.fromarray(crop).resize(canvas, Image.Resampling.BILINEAR))
    np.testing.assert_array_equal(result.control_images["canny"], canny_edges(at_canvas))
    assert result.control_images["canny"].any()
    expected_start = photo_logits(crop, 8, 12, PALETTE.rgb.copy(), canvas=canvas).argmax(-1).numpy()
    np.testing.assert_array_equal(result.init_indices, expected_start)
    d = result.control_images["depth"]
    assert d.shape == (48, 80) and d.min() == 0 and d.max() == 255
    assert result.reference is None and result.clip_scores == []
    assert {"check", "load", "encode", "conditions", "optimize", "total"} <= set(result.timings)
    assert result.timings["total"] >= result.timings["optimize"] > 0

    meta = result.pattern.metadata
    assert meta["seed"] == 3 and meta["prompt"] == PROMPT and meta["complete"] is True
    assert meta["recipe"]["name"] == "fast" and meta["recipe"]["init"] == "photo"
    assert meta["recipe"]["steps"] == 3 and meta["recipe"]["steps_done"] == 3


def test_prompt_only_samples_references_ranks_by_clip_and_loads_the_unet_once(tiny_models, reference_run):
    result, stages, loads = reference_run
    assert loads == {"unet": 1, "text": 1}  # the reference sampler used the loaded ones
    assert result.complete and result.pattern.grid.shape == (8, 12)
    _palette_exact(result.pattern)
    assert len(result.reference_images) == len(result.clip_scores) == 2
    assert result.reference_index == int(np.argmax(result.clip_scores))
    assert result.reference is result.reference_images[result.reference_index]
    assert result.reference.shape == (48, 80, 3) and result.reference.dtype == np.uint8
    # the best picture stands in for the photo: the start is the paper's photo formula on it
    expected_start = photo_logits(result.reference, 8, 12, PALETTE.rgb.copy(), canvas=(80, 48)).argmax(-1)
    np.testing.assert_array_equal(result.init_indices, expected_start.numpy())
    assert set(result.control_images) == {"canny", "depth"}
    # stages in order: loading → reference → (loading the ControlNets) → generate
    order = [p.stage for p in stages]
    assert order[0] == "loading" and order[-1] == "generate"
    assert order.index("reference") < order.index("generate")
    assert sum(1 for p in stages if p.stage == "reference" and p.preview is not None) == 2
    last = stages[-1]
    assert (last.done, last.total) == (4, 4) and {"loss", "seconds_left"} <= set(last.info)
    assert result.pattern.metadata["recipe"]["reference"]["clip_scores"] == result.clip_scores


def test_random_start_is_deterministic_non_square_and_keeps_the_colour_budget(tiny_models):
    req = dict(init="random", width=7, height=13, max_colors=3, steps=3)
    first = generate(_request(tiny_models, **req))
    again = generate(_request(tiny_models, **req))
    other = generate(_request(tiny_models, **req, seed=4))
    assert first.pattern.grid.shape == (13, 7)
    assert first.optimize.canvas[1] > first.optimize.canvas[0]  # a tall canvas for a tall pattern
    _palette_exact(first.pattern)
    assert len(first.pattern.used_indices()) <= 3
    np.testing.assert_array_equal(first.pattern.grid, again.pattern.grid)
    np.testing.assert_array_equal(first.optimize.logits, again.optimize.logits)
    assert not np.array_equal(first.optimize.logits, other.optimize.logits)
    assert first.control_images == {} and first.reference is None


def test_deterministic_and_compile_reach_the_optimiser(tiny_models, monkeypatch):
    from pixlcraft.sdpixl import optimize as optimize_module

    seen = {}
    real = optimize_module.optimize

    def spy(*args, **kwargs):
        seen.update(kwargs, recipe=args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(optimize_module, "optimize", spy)
    result = generate(_request(tiny_models, init="random", steps=1, deterministic=True, compile=True))
    assert seen["deterministic"] is True and seen["recipe"].compile is True
    assert result.pattern.metadata["recipe"]["compile"] is True  # a resume must ask for it again
    generate(_request(tiny_models, init="random", steps=1))
    assert seen["deterministic"] is False and seen["recipe"].compile is False  # both off by default


def test_the_apps_compile_setting_reaches_the_request(monkeypatch):
    from pixlcraft.gui.make_jobs import MakeRequest, make_ai
    from pixlcraft.sdpixl import pipeline
    from pixlcraft.settings import FIELDS, Settings

    field = next(f for f in FIELDS if f.name == "compile_models")
    assert field.kind == "bool" and field.default is False and "CUDA" in field.label
    assert Settings().replace(compile_models=True).compile_models is True
    seen = []

    def fake_generate(request, progress=None, cancel=None):
        seen.append(request)
        raise InputError("stopped by the test")

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    for wanted in (True, False):
        with pytest.raises(InputError, match="stopped"):
            make_ai(MakeRequest(method="ai", prompt="a rose", palette="nabbi", compile=wanted))
    assert [r.compile for r in seen] == [True, False]


def test_paper_recipe_budget_applies_at_read_out_on_a_square_canvas(tiny_models):
    result = generate(_request(tiny_models, init="random", recipe="paper", max_colors=2, steps=2))
    assert result.optimize.canvas == (64, 64)  # the official square canvas
    assert len(result.pattern.used_indices()) <= 2
    assert result.pattern.metadata["recipe"]["name"] == "paper"
    assert result.pattern.metadata["recipe"]["max_colors"] == 2


def test_big_palettes_get_a_budget_unless_asked_for_every_colour(tiny_models):
    """DMC's 489 threads get 24 colours by default (issue 14: big palettes drift into near-duplicates);
    --max-colors 0 asks for every colour, and a small palette (Nabbi, 30) stays free."""
    dmc = load_builtin("dmc")
    default = generate(_request(tiny_models, init="random", palette=dmc, steps=1, width=16, height=12))
    assert default.pattern.metadata["recipe"]["max_colors"] == 24
    assert np.unique(default.optimize.indices).size <= 24
    free = generate(_request(tiny_models, init="random", palette=dmc, steps=1, width=16, height=12, max_colors=0))
    assert free.pattern.metadata["recipe"]["max_colors"] is None
    assert np.unique(free.optimize.indices).size > 24  # random logits over 489 colours use far more than 24
    small = generate(_request(tiny_models, init="random", steps=1))
    assert small.pattern.metadata["recipe"]["max_colors"] is None


def test_the_read_out_loses_its_confetti_and_says_how_much(tiny_models):
    from pixlcraft.confetti import confetti_share

    req = dict(init="random", steps=1, width=16, height=12)
    cleaned = generate(_request(tiny_models, **req))
    raw = generate(_request(tiny_models, **req, cleanup=False))
    np.testing.assert_array_equal(raw.pattern.grid, raw.optimize.indices)  # untouched when asked
    np.testing.assert_array_equal(cleaned.optimize.indices, raw.optimize.indices)  # the same run
    changed = int((cleaned.pattern.grid != raw.pattern.grid).sum())
    assert changed > 0 and cleaned.pattern.metadata["recipe"]["confetti_removed"] == changed
    assert raw.pattern.metadata["recipe"]["confetti_removed"] == 0
    assert confetti_share(cleaned.pattern.grid) < confetti_share(raw.pattern.grid)
    assert set(cleaned.pattern.used_indices()) <= set(raw.pattern.used_indices())  # neighbours' colours only


def test_classic_start_is_the_converters_pattern(tiny_models):
    photo = _photo()
    threads = torch.get_num_threads()
    result = generate(_request(tiny_models, image=photo, init="classic", max_colors=6, steps=1))
    # numba's parallel kernels reset the OpenMP thread count torch uses; the job must put it back, or seeded
    # runs after it would sum in another order
    assert torch.get_num_threads() == threads
    classic = convert_photo(photo_from_array(photo), PALETTE, ConvertOptions(width=12, height=8, max_colors=6))
    torch.set_num_threads(threads)  # the same for the direct call here, for the tests after this one
    np.testing.assert_array_equal(result.init_indices, classic.pattern.grid)
    assert result.pattern.metadata["recipe"]["init"] == "classic"
    assert len(result.pattern.used_indices()) <= 6


# -- cancel and resume -------------------------------------------------------------------------------------------


def test_cancel_keeps_the_pattern_and_resume_finishes_like_an_uninterrupted_run(tiny_models, reference_run, tmp_path,
                                                                              monkeypatch):
    uninterrupted, _, _ = reference_run
    token = CancelToken()

    def cancel_at_two(p):
        if p.stage == "generate" and p.done == 2:
            token.cancel()

    with pytest.raises(Cancelled) as err:
        generate(_request(tiny_models, steps=4), progress=cancel_at_two, cancel=token)
    partial = err.value.partial
    assert partial is not None and not partial.complete
    assert (partial.steps_done, partial.total_steps) == (2, 4)
    assert partial.pattern.grid.shape == (8, 12) and partial.pattern.metadata["complete"] is False
    _palette_exact(partial.pattern)

    path = save_state(tmp_path / "run.state", partial)
    state = load_state(path)
    assert state.steps_done == 2 and state.total_steps == 4
    np.testing.assert_array_equal(state.reference, uninterrupted.reference)

    # the resumed run neither samples references again nor loads CLIP
    def no_clip(*args, **kwargs):
        raise AssertionError("CLIP must not be loaded when resuming")

    monkeypatch.setattr(model_loading, "load_clip", no_clip)
    stages = []
    resumed = generate(_request(tiny_models, steps=4, resume=path), progress=lambda p: stages.append(p.stage))
    assert "reference" not in stages
    assert resumed.complete and resumed.steps_done == 4
    np.testing.assert_array_equal(resumed.pattern.grid, uninterrupted.pattern.grid)
    np.testing.assert_array_equal(resumed.optimize.logits, uninterrupted.optimize.logits)
    assert [r["loss"] for r in resumed.optimize.losses] == [r["loss"] for r in uninterrupted.optimize.losses]


def test_a_state_from_another_request_is_refused_before_loading(tiny_models, reference_run, tmp_path, monkeypatch):
    result, _, _ = reference_run
    path = save_state(tmp_path / "done.state", result)

    def no_load(*args, **kwargs):
        raise AssertionError("no model may load for a refused state")

    monkeypatch.setattr(models, "resolve_model", no_load)
    with pytest.raises(InputError, match=r"the prompt \('a rose flower.*' then, 'a tulip' now\)"):
        generate(_request(tiny_models, steps=4, prompt="a tulip", resume=path))
    with pytest.raises(InputError, match="the seed") as err:
        generate(_request(tiny_models, steps=4, seed=9, resume=path))
    assert "the prompt" not in str(err.value)
    with pytest.raises(InputError, match="the recipe settings"):
        generate(_request(tiny_models, steps=5, resume=path))
    state = load_state(path)
    state.optimizer["device_type"] = "cuda"
    with pytest.raises(InputError, match="--device cuda"):
        generate(_request(tiny_models, steps=4, resume=state))
    garbage = tmp_path / "garbage.state"
    garbage.write_bytes(b"not a state at all")
    with pytest.raises(InputError, match="cannot be read"):
        load_state(garbage)
    with pytest.raises(InputError, match="does not exist"):
        load_state(tmp_path / "absent.state")
    # tampered: a valid header over damaged contents
    import torch

    payload = torch.load(path, map_location="cpu", weights_only=True)
    for damage in (lambda d: d.pop("fingerprint"), lambda d: d.__setitem__("optimizer", 7),
                   lambda d: d.__setitem__("reference", "not a tensor")):
        tampered = dict(payload)
        damage(tampered)
        torch.save(tampered, tmp_path / "tampered.state")
        with pytest.raises(InputError, match="is damaged"):
            load_state(tmp_path / "tampered.state")
    monkeypatch.undo()  # models may load now: the optimiser's own part is checked once they have
    state = load_state(path)
    del state.optimizer["logits"]  # the optimiser's own part damaged
    with pytest.raises(PixlcraftError, match="resume state is damaged"):
        generate(_request(tiny_models, steps=4, resume=state))


# -- checks and errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (dict(width=0), "width"),
        (dict(height=1001), "height"),
        (dict(prompt="   "), "prompt is empty"),
        (dict(init="photo"), "--image"),
        (dict(init="random", image=np.zeros((8, 8, 3), np.uint8)), "--init random is for a prompt alone"),
        (dict(init="sketch"), "Unknown start"),
        (dict(steps=0), "steps"),
        (dict(max_colors=-1), "colour budget"),
        (dict(palette=PALETTE.subset([0])), "at least two"),
        (dict(recipe="turbo"), "Unknown recipe"),
        (dict(image="/nonexistent/photo.jpg"), "does not exist"),
        (dict(canvas_side=80), "multiple of 32"),
        (dict(recipe="paper", width=70, height=8), "more cells than"),
        (dict(reference_samples=0), "reference pictures"),
        (dict(seed=-1), "seed"),
    ],
)
def test_bad_requests_are_refused_before_any_model_loads(tiny_models, monkeypatch, changes, message):
    def no_load(*args, **kwargs):
        raise AssertionError("a bad request must be refused before models are looked up")

    monkeypatch.setattr(models, "resolve_model", no_load)
    with pytest.raises(InputError, match=message):
        generate(_request(tiny_models, **changes))


def test_missing_models_are_named_with_their_flag(tiny_models, tmp_path):
    with pytest.raises(ModelMissingError, match="--base-model") as err:
        generate(_request(tiny_models, base_model=str(tmp_path / "no-such-folder")))
    assert "no-such-folder" in str(err.value)
    with pytest.raises(ModelMissingError, match="someone/not-a-model") as err:
        generate(_request(tiny_models, vae="someone/not-a-model", controlnet_depth=str(tmp_path / "gone")))
    # every missing model is named at once, not one per attempt
    assert "--controlnet-depth" in str(err.value)
