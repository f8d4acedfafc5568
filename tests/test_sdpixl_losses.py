"""SD-πXL loss terms checked against hand computations and on toy problems."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")

from pixlcraft.sdpixl.losses import (  # noqa: E402
    color_budget_loss,
    color_usage,
    confetti_loss,
    fft_loss,
    fft_mask,
    fft_weight_for,
    sds_grad,
    sds_loss,
    top_colors,
)


def _ddpm():
    return diffusers.DDPMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                                   num_train_timesteps=1000)


def _tiny_taesd():
    torch.manual_seed(0)
    return diffusers.AutoencoderTiny(
        encoder_block_out_channels=(4, 4, 4, 4), decoder_block_out_channels=(4, 4, 4, 4),
        num_encoder_blocks=(1, 1, 1, 1), num_decoder_blocks=(1, 1, 1, 1), latent_channels=4,
    ).eval()


# -- score distillation ----------------------------------------------------------------------------------


def test_sds_grad_is_the_official_formula():
    gen = torch.Generator().manual_seed(0)
    eps_neg, eps_pos, noise = (torch.randn(1, 4, 3, 5, generator=gen) for _ in range(3))
    sched = _ddpm()
    t = 537
    ab = sched.alphas_cumprod[t]
    grad = sds_grad(eps_neg, eps_pos, noise, ab, 40.0).numpy()
    en, ep, nz = (x.numpy().astype(np.float64) for x in (eps_neg, eps_pos, noise))
    # w(t)·(ε̂ − ε) with ε̂ = ε_pos + 40·(ε_pos − ε_neg) and w(t) = 1 − ᾱ_t from the DDPM betas
    betas = np.linspace(0.00085**0.5, 0.012**0.5, 1000, dtype=np.float64) ** 2
    ab_ref = np.cumprod(1.0 - betas)[t]
    ref = (1.0 - ab_ref) * ((ep + 40.0 * (ep - en)) - nz)
    np.testing.assert_allclose(grad, ref, rtol=1e-4, atol=1e-5)
    const = sds_grad(eps_neg, eps_pos, noise, ab, 40.0, weighting="constant").numpy()
    np.testing.assert_allclose(const, ref / (1.0 - ab_ref), rtol=1e-4, atol=1e-5)
    nan = sds_grad(eps_neg * float("nan"), eps_pos, noise, ab)
    assert torch.isfinite(nan).all()
    overflow = eps_pos.clone()
    overflow[0, 0, 0, 0] = float("inf")  # an fp16 activation that overflowed
    grad = sds_grad(eps_neg, overflow, noise, ab)
    assert grad[0, 0, 0, 0] == 0 and grad.abs().max() < 1e3  # zeroed, not ±3.4e38
    plain = sds_grad(eps_neg, eps_pos, noise, ab)
    np.testing.assert_array_equal(grad.flatten()[1:].numpy(), plain.flatten()[1:].numpy())


def test_sds_loss_gradient_is_grad():
    z = torch.randn(1, 4, 6, 6, requires_grad=True)
    grad = torch.randn(1, 4, 6, 6)
    loss = sds_loss(z, grad)
    assert loss.item() == pytest.approx(0.5 * float((grad**2).sum()), rel=1e-5)
    loss.backward()
    torch.testing.assert_close(z.grad, grad)


def test_sds_gradient_through_a_linear_encoder_is_its_transpose():
    gen = torch.Generator().manual_seed(1)
    weight = torch.randn(4 * 2 * 2, 3 * 8 * 8, generator=gen, dtype=torch.float64)
    x = torch.rand(3 * 8 * 8, generator=gen, dtype=torch.float64, requires_grad=True)
    z = (weight @ x).reshape(1, 4, 2, 2)
    eps_neg, eps_pos, noise = (torch.randn(1, 4, 2, 2, generator=gen, dtype=torch.float64) for _ in range(3))
    grad = sds_grad(eps_neg, eps_pos, noise, 0.3, 40.0)
    sds_loss(z, grad).backward()
    expected = weight.numpy().T @ grad.double().numpy().reshape(-1)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_sds_gradient_through_tiny_taesd_is_jacobian_transpose_times_grad():
    taesd = _tiny_taesd()
    taesd.requires_grad_(False)
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(2))

    def encode(img):
        return taesd.encode((2 * img - 1).clamp(-1, 1)).latents * taesd.config.scaling_factor

    x_req = x.clone().requires_grad_(True)
    z = encode(x_req)
    assert z.shape == (1, 4, 2, 2)
    gen = torch.Generator().manual_seed(3)
    eps_neg, eps_pos, noise = (torch.randn(z.shape, generator=gen) for _ in range(3))
    grad = sds_grad(eps_neg, eps_pos, noise, _ddpm().alphas_cumprod[400], 40.0)
    sds_loss(z, grad).backward()
    # the full Jacobian of the encoder, then Jᵀ·grad by hand
    jac = torch.autograd.functional.jacobian(encode, x).reshape(z.numel(), x.numel()).numpy()
    expected = jac.T.astype(np.float64) @ grad.numpy().reshape(-1).astype(np.float64)
    np.testing.assert_allclose(x_req.grad.numpy().reshape(-1), expected, rtol=1e-4, atol=1e-5)


# -- FFT -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(16, 16), (12, 20), (15, 9)])
def test_fft_loss_against_numpy(size):
    h, w = size
    img = torch.rand(h, w, 3, generator=torch.Generator().manual_seed(h * w))
    ours = float(fft_loss(img))
    arr = img.numpy().astype(np.float64)
    radius = min(h, w) / (4 * math.sqrt(2))
    ys, xs = np.mgrid[0:h, 0:w]
    mask = np.sqrt((xs - w / 2) ** 2 + (ys - h / 2) ** 2) >= radius
    mags = [np.abs(np.fft.fftshift(np.fft.fft2(arr[:, :, c])))[mask] for c in range(3)]
    ref = float(np.concatenate(mags).mean())
    assert ours == pytest.approx(ref, rel=1e-5)
    np.testing.assert_array_equal(fft_mask(h, w).numpy().astype(bool), mask)
    # the centre bins (zero frequency) are never penalised: a flat image costs nothing
    assert float(fft_loss(torch.full((h, w, 3), 0.7))) == pytest.approx(0.0, abs=1e-4)


def test_fft_loss_prefers_smooth_images():
    h = w = 24
    ys, xs = np.mgrid[0:h, 0:w]
    # one low frequency (inside the radius) against white noise and a checkerboard (pure Nyquist)
    smooth = torch.from_numpy(np.repeat((0.5 + 0.4 * np.sin(2 * np.pi * xs / w))[:, :, None], 3, 2)).float()
    noise = torch.rand(h, w, 3, generator=torch.Generator().manual_seed(0))
    checker = torch.from_numpy(np.repeat(((xs + ys) % 2).astype(np.float64)[:, :, None], 3, 2)).float()
    assert float(fft_loss(smooth)) < 0.01 * float(fft_loss(noise))
    assert float(fft_loss(smooth)) < 0.01 * float(fft_loss(checker))
    img = noise.clone().requires_grad_(True)
    fft_loss(img).backward()
    assert img.grad.abs().sum() > 0


def _rms_fft_grad(n: int, seed: int, picture: bool) -> float:
    gen = torch.Generator().manual_seed(seed)
    if picture:  # one fixed picture (soft stripes, an edge, a disc) sampled at n cells, plus a little noise
        y, x = torch.meshgrid(torch.linspace(0, 1, n), torch.linspace(0, 1, n), indexing="ij")
        base = torch.stack([0.5 + 0.4 * torch.sin(6 * x + 3 * y), (x > 0.4).float() * 0.6 + 0.2,
                            ((x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.1).float()], -1)
        img = (base + 0.1 * torch.rand(n, n, 3, generator=gen)).clamp(0, 1)
    else:
        img = torch.rand(n, n, 3, generator=gen)
    img.requires_grad_(True)
    fft_loss(img).backward()
    return float(img.grad.pow(2).mean().sqrt())


@pytest.mark.parametrize("picture", [False, True], ids=["noise", "picture"])
@pytest.mark.parametrize(("small", "big"), [(32, 128), (48, 200)])
def test_fft_gradient_per_cell_falls_as_one_over_n(picture, small, big):
    """The premise of fft_weight_for: one cell's pull from the FFT term scales as 1/n (n cells per side)."""
    ratio = np.mean([_rms_fft_grad(small, s, picture) for s in range(3)]) / np.mean(
        [_rms_fft_grad(big, s, picture) for s in range(3)])
    assert ratio == pytest.approx(big / small, rel=0.05)  # measured: 3.99 for 32→128, 4.16 for 48→200


def test_fft_weight_follows_the_pattern_size_only_when_asked():
    from pixlcraft.sdpixl.recipes import FAST, PAPER

    assert PAPER.fft_reference_cells is None and FAST.fft_reference_cells == 64
    assert fft_weight_for(20.0, 200, 200, None) == 20.0  # PAPER: the official fixed weight
    assert fft_weight_for(20.0, 64, 64, 64) == pytest.approx(20.0)
    assert fft_weight_for(20.0, 128, 128, 64) == pytest.approx(10.0)
    assert fft_weight_for(20.0, 200, 200, 64) == pytest.approx(6.4)  # a 200-cell pattern: 3.1× less
    assert fft_weight_for(20.0, 32, 128, 64) == pytest.approx(20.0)  # n = √(H·W)
    assert fft_weight_for(0.0, 200, 200, 64) == 0.0
    with pytest.raises(ValueError):
        PAPER.replace(fft_reference_cells=0)


def test_fft_mask_is_made_once_per_size_and_device():
    assert fft_mask(10, 14) is fft_mask(10, 14)
    assert fft_mask(10, 14, torch.device("cpu")) is fft_mask(10, 14, "cpu")
    assert fft_mask(10, 16) is not fft_mask(10, 14)


# -- fabrication terms -----------------------------------------------------------------------------------


def test_color_budget_value_is_mass_outside_the_top_k():
    probs = torch.softmax(torch.randn(5, 6, 7, generator=torch.Generator().manual_seed(0)) * 2, -1)
    usage = probs.reshape(-1, 7).sum(0).numpy()
    keep = np.argsort(-usage, kind="stable")[:3]
    ref = usage[[c for c in range(7) if c not in keep]].sum()
    assert float(color_budget_loss(probs, 3)) == pytest.approx(ref, rel=1e-5)
    assert sorted(top_colors(probs, 3).tolist()) == sorted(keep.tolist())
    assert float(color_usage(probs).sum()) == pytest.approx(30.0, rel=1e-5)
    assert float(color_budget_loss(probs, 7)) == 0.0


def test_color_budget_term_reduces_the_argmax_colours_to_k():
    n, k = 10, 3
    logits = torch.randn(16, 16, n, generator=torch.Generator().manual_seed(4)).requires_grad_(True)
    assert len(torch.unique(logits.argmax(-1))) == n
    opt = torch.optim.AdamW([logits], lr=0.1)
    first = None
    for _ in range(150):
        loss = color_budget_loss(torch.softmax(logits, -1), k)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    final = logits.detach()
    used = torch.unique(final.argmax(-1))
    assert len(used) <= k
    assert float(color_budget_loss(torch.softmax(final, -1), k)) < 0.05 * first
    # the colours that survive are the ones that were most used
    assert set(used.tolist()) <= set(top_colors(torch.softmax(final, -1), k).tolist())


def test_confetti_value_counts_disagreeing_neighbours():
    idx = np.array([[0, 0, 1], [0, 2, 1]])
    probs = torch.nn.functional.one_hot(torch.from_numpy(idx), 3).float()
    # horizontal pairs: (0,0) (0,1) | (0,2) (2,1) ; vertical: (0,0) (0,2) (1,1)  → 4 differ
    assert float(confetti_loss(probs)) == pytest.approx(4.0)
    soft = torch.softmax(torch.randn(4, 5, 3, generator=torch.Generator().manual_seed(1)), -1)
    p = soft.numpy()
    ref = sum(1 - p[y, x] @ p[y, x + 1] for y in range(4) for x in range(4))
    ref += sum(1 - p[y, x] @ p[y + 1, x] for y in range(3) for x in range(5))
    assert float(confetti_loss(soft)) == pytest.approx(ref, rel=1e-5)


def test_confetti_term_removes_isolated_cells_and_keeps_regions():
    h, w = 12, 12
    clean = np.zeros((h, w), dtype=np.int64)
    clean[:, 6:] = 1
    noisy = clean.copy()
    lone = [(2, 2), (5, 3), (9, 1), (3, 9), (8, 9), (10, 10)]
    for y, x in lone:
        noisy[y, x] = 2
    logits = (3.0 * torch.nn.functional.one_hot(torch.from_numpy(noisy), 3).float()).requires_grad_(True)
    opt = torch.optim.AdamW([logits], lr=0.05)
    for _ in range(120):
        loss = confetti_loss(torch.softmax(logits, -1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_array_equal(logits.argmax(-1).numpy(), clean)
