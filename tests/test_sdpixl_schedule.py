"""FAST (and any --steps) keeps PAPER's integrated schedule quantities (issue 14, part 1)."""

from __future__ import annotations

import math

import pytest

from pixlcraft.sdpixl.recipes import FAST, MAX_LR, PAPER, balanced_schedule, lr_sums


def _walk_and_drift_by_stepping(recipe) -> tuple[float, float]:
    """Σ lr and √Σ lr² summed step by step from the recipe's own lr_at (what the optimiser applies)."""
    lrs = [recipe.lr_at(k) for k in range(recipe.steps)]
    return sum(lrs), math.sqrt(sum(x * x for x in lrs))


def test_the_closed_form_sums_are_the_optimisers_own() -> None:
    for recipe in (PAPER, FAST, PAPER.with_steps(777), FAST.replace(warmup_steps=0)):
        assert recipe.schedule_sums() == pytest.approx(_walk_and_drift_by_stepping(recipe), rel=1e-9)


def test_paper_figures_as_the_issue_states_them() -> None:
    drift, walk = PAPER.schedule_sums()
    assert drift == pytest.approx(246.9, abs=0.05)
    assert PAPER.total_decay() == pytest.approx(0.085, abs=0.001)
    assert 1.0 / (PAPER.lr * PAPER.weight_decay) == pytest.approx(4000.0)
    # FAST before this issue: the same lr and decay for 2,000 steps kept most of the start
    old_fast = PAPER.replace(steps=2000, warmup_steps=50)
    assert old_fast.total_decay() == pytest.approx(0.61, abs=0.01)


@pytest.mark.parametrize("steps", [2000, 1000, 700, 10_001, 25_000])
def test_fast_and_rescaled_runs_keep_papers_decay_and_random_walk(steps: int) -> None:
    recipe = FAST if steps == FAST.steps else FAST.with_steps(steps)
    drift, walk = recipe.schedule_sums()
    paper_drift, paper_walk = PAPER.schedule_sums()
    assert recipe.total_decay() == pytest.approx(PAPER.total_decay(), rel=1e-9)
    assert walk == pytest.approx(paper_walk, rel=1e-9)
    # the decay's time constant stays the same share of the run, and so does the warm-up
    assert recipe.steps * recipe.lr * recipe.weight_decay == pytest.approx(
        PAPER.steps * PAPER.lr * PAPER.weight_decay, rel=0.02)
    assert recipe.warmup_steps / recipe.steps == pytest.approx(PAPER.warmup_steps / PAPER.steps, abs=0.001)
    # the equilibrium of the random walk under decay, sqrt(lr / 2 wd), is PAPER's too
    assert math.sqrt(recipe.lr / (2 * recipe.weight_decay)) == pytest.approx(
        math.sqrt(PAPER.lr / (2 * PAPER.weight_decay)), rel=0.03)
    # the drift is what gives way: fewer steps, less of it (more steps, more)
    assert (drift < paper_drift) == (steps < PAPER.steps)


def test_fast_values() -> None:
    assert FAST.steps == 2000 and FAST.warmup_steps == 50
    assert FAST.lr == pytest.approx(0.0559, abs=1e-4) and FAST.weight_decay == pytest.approx(0.0224, abs=1e-4)
    assert PAPER.with_steps(PAPER.steps) == PAPER


def test_short_runs_cap_the_learning_rate_and_still_match_the_decay() -> None:
    lr, wd, warmup = balanced_schedule(100)
    assert lr == MAX_LR and warmup == 2
    short = FAST.with_steps(100)
    assert short.total_decay() == pytest.approx(PAPER.total_decay(), rel=1e-9)
    assert short.schedule_sums()[1] < PAPER.schedule_sums()[1]  # it wanders less, as the docstring says
    with pytest.raises(ValueError):
        balanced_schedule(0)


def test_lr_sums_edge_cases() -> None:
    assert lr_sums(0.5, 10, 0) == pytest.approx((5.0, 0.5 * math.sqrt(10)))
    assert lr_sums(1.0, 3, 10) == pytest.approx((0.3, math.sqrt(0.05)))  # a warm-up longer than the run
    for recipe in (PAPER.replace(steps=3, warmup_steps=10), PAPER.replace(steps=1, warmup_steps=1)):
        assert recipe.schedule_sums() == pytest.approx(_walk_and_drift_by_stepping(recipe), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("size", [24, 64, 150])
def test_confetti_weight_matches_the_fft_terms_pull_on_a_visible_speck(size: int) -> None:
    """The argument for FAST's confetti weight, measured: the FFT term's gradient on a one-cell speck is ⅓ per
    unit of colour per channel at every size, and the confetti term pulls a lone cell with 4 (its edges)."""
    import torch

    from pixlcraft.sdpixl.losses import confetti_loss, fft_loss
    from pixlcraft.sdpixl.recipes import CONFETTI_WEIGHT, FFT_SPECK_GRADIENT, VISIBLE_SPECK

    image = torch.full((size, size, 3), 0.5)
    image[size // 3, size // 2] += torch.tensor([0.1, 0.1, 0.1])  # a speck, L1 distance 0.3
    image.requires_grad_(True)
    fft_loss(image).backward()
    assert image.grad[size // 3, size // 2] == pytest.approx([FFT_SPECK_GRADIENT] * 3, rel=1e-4)
    probs = torch.zeros(size, size, 3)
    probs[..., 1] = 1.0
    probs[size // 3, size // 2] = torch.tensor([1.0, 0.0, 0.0])
    probs.requires_grad_(True)
    confetti_loss(probs).backward()
    pull = -float(probs.grad[size // 3, size // 2, 1])
    assert pull == pytest.approx(4.0)
    # moving probability from the speck's colour to the ground's changes the render by (-0.1, -0.1, -0.1)
    fft_pull = PAPER.fft_weight * float((image.grad[size // 3, size // 2] * 0.1).sum())
    assert CONFETTI_WEIGHT * pull == pytest.approx(fft_pull, rel=1e-3)
    assert FAST.confetti_weight == CONFETTI_WEIGHT and VISIBLE_SPECK == 0.3
