"""Prompt-only reference sampling with the tiny SDXL pipeline, ranked by the tiny CLIP."""

from __future__ import annotations

import numpy as np
import pytest

from pixlcraft.errors import Cancelled, InputError
from pixlcraft.jobs import CancelToken, Reporter
from pixlcraft.sdpixl.reference import clip_scores, sample_reference

torch = pytest.importorskip("torch")

# diffusers' Euler scheduler trips a numpy 2 deprecation on its own tensors; nothing of ours.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")

PROMPT = "a rose flower, branch and leaves visible"
SIZE = dict(width=32, height=32)


@pytest.fixture(scope="module")
def tiny_sampler(tiny_models):
    from pixlcraft.model_loading import load_clip, load_sdxl_pipeline

    pipe = load_sdxl_pipeline(str(tiny_models.base), vae=str(tiny_models.taesd))
    clip, processor = load_clip(str(tiny_models.clip))
    return pipe, clip, processor


def _sample(tiny_sampler, reporter=None, seed=7, samples=2, steps=2):
    pipe, clip, processor = tiny_sampler
    return sample_reference(
        PROMPT, "", pipe, clip, processor, samples=samples, steps=steps, guidance=7.5, seed=seed,
        reporter=reporter, **SIZE,
    )


def test_samples_are_ranked_by_clip_and_the_best_is_returned(tiny_sampler):
    pipe, clip, processor = tiny_sampler
    result = _sample(tiny_sampler, samples=3)
    assert len(result.images) == len(result.scores) == 3
    assert result.seeds == [7, 8, 9]
    for image in result.images:
        assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert result.best_index == int(np.argmax(result.scores))
    assert result.best is result.images[result.best_index]

    # Scores recomputed independently: cosine of the projected CLIP features of each picture and the prompt.
    from PIL import Image

    inputs = processor(text=[PROMPT], images=[Image.fromarray(im) for im in result.images], return_tensors="pt",
                       padding=True)
    with torch.no_grad():
        text = clip.text_projection(clip.text_model(input_ids=inputs["input_ids"]).pooler_output)[0]
        images = clip.visual_projection(clip.vision_model(pixel_values=inputs["pixel_values"]).pooler_output)
    expected = torch.nn.functional.cosine_similarity(images, text[None], dim=-1)
    np.testing.assert_allclose(result.scores, expected.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(clip_scores(result.images, PROMPT, clip, processor), result.scores, atol=1e-6)


def test_same_seed_same_pictures_other_seed_other_pictures(tiny_sampler):
    a = _sample(tiny_sampler, seed=3)
    b = _sample(tiny_sampler, seed=3)
    c = _sample(tiny_sampler, seed=4)
    for x, y in zip(a.images, b.images, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.scores == b.scores
    # Sample i uses seed + i, so seed 4's first picture is seed 3's second one.
    np.testing.assert_array_equal(c.images[0], a.images[1])
    assert not np.array_equal(c.images[1], a.images[0])


def test_progress_counts_denoising_steps_and_shows_each_picture(tiny_sampler):
    events = []
    result = _sample(tiny_sampler, Reporter(events.append), samples=2, steps=3)
    assert {e.stage for e in events} == {"reference"}
    assert all(e.total == 6 for e in events)
    dones = [e.done for e in events]
    assert dones == sorted(dones) and dones[-1] == 6
    finished = [e for e in events if e.preview is not None]
    assert [e.info["sample"] for e in finished] == [0, 1]
    for e, image, score in zip(finished, result.images, result.scores, strict=True):
        np.testing.assert_array_equal(e.preview, image)
        assert e.info["score"] == score


def test_cancel_between_samples_returns_the_finished_ones(tiny_sampler):
    token = CancelToken()

    def on_progress(p):
        if p.preview is not None:  # the first picture is done
            token.cancel()

    with pytest.raises(Cancelled) as err:
        _sample(tiny_sampler, Reporter(on_progress, token), samples=3)
    partial = err.value.partial
    assert partial is not None and len(partial.images) == 1 and partial.best_index == 0


def test_cancel_stops_within_a_denoising_step(tiny_sampler):
    token = CancelToken()
    steps_seen = []

    def on_progress(p):
        steps_seen.append(p.done)
        token.cancel()

    with pytest.raises(Cancelled) as err:
        _sample(tiny_sampler, Reporter(on_progress, token), samples=2, steps=4)
    assert steps_seen == [1]
    assert err.value.partial is None


def test_bad_requests_are_refused_before_sampling(tiny_sampler):
    pipe, clip, processor = tiny_sampler
    with pytest.raises(InputError, match="prompt"):
        sample_reference("  ", None, pipe, clip, processor, samples=1, steps=1, **SIZE)
    with pytest.raises(InputError, match="multiple of 8"):
        sample_reference(PROMPT, None, pipe, clip, processor, samples=1, steps=1, width=30, height=32)
    with pytest.raises(InputError, match="at least one"):
        sample_reference(PROMPT, None, pipe, clip, processor, samples=0, steps=1, **SIZE)
