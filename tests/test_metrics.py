"""Metrics against values computed by hand and against closed forms."""

import math

import pytest
import torch

from nextframe.metrics import crps, palette_fraction, psnr, ssim


def test_psnr_of_a_known_error():
    clean = torch.zeros(2, 1, 8, 8)
    noisy = clean + 0.1  # MSE 0.01 -> 20 dB
    torch.testing.assert_close(psnr(noisy, clean), torch.tensor([20.0, 20.0], dtype=torch.float64))
    assert psnr(noisy * 255, clean, data_range=255.0)[0].item() == pytest.approx(20.0)
    assert math.isinf(psnr(clean, clean)[0].item())


def test_ssim_of_identical_and_of_constant_frames():
    x = torch.rand(3, 1, 32, 32)
    torch.testing.assert_close(ssim(x, x), torch.ones(3, dtype=torch.float64))
    # Constant frames a and b: no variance, so SSIM is the luminance term (2ab + C1) / (a^2 + b^2 + C1), C1 = 0.01^2.
    a, b, c1 = 0.2, 0.6, 0.01**2
    value = ssim(torch.full((1, 1, 32, 32), a), torch.full((1, 1, 32, 32), b))
    assert value.item() == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1), rel=1e-6)
    assert ssim(x, torch.rand(3, 1, 32, 32)).max() < 0.3
    assert ssim(torch.rand(2, 5, 1, 32, 32), torch.rand(2, 5, 1, 32, 32)).shape == (2, 5)


def test_crps_of_hand_computed_ensembles():
    truth = torch.full((1, 1, 1), 0.5)
    two = torch.tensor([0.0, 1.0]).view(2, 1, 1, 1)
    # E|X - x| = 0.5; E|X - X'| = (0 + 1 + 1 + 0) / 4 = 0.5 -> 0.5 - 0.25 = 0.25; fair: 2 / 2 = 1 -> 0
    assert crps(two, truth).item() == pytest.approx(0.25)
    assert crps(two, truth, fair=True).item() == pytest.approx(0.0)
    one = torch.tensor([0.8]).view(1, 1, 1, 1)
    assert crps(one, truth).item() == pytest.approx(0.3)  # one sample: the absolute error


def test_crps_matches_the_brute_force_sum_and_the_gaussian_closed_form():
    torch.manual_seed(0)
    samples, truth = torch.rand(7, 3, 1, 4, 4), torch.rand(3, 1, 4, 4)
    brute = (samples - truth).abs().mean(0) - 0.5 * (samples[:, None] - samples[None]).abs().mean((0, 1))
    torch.testing.assert_close(crps(samples, truth), brute.flatten(-3).mean(-1).double())
    # CRPS of N(0, 1) at x: x (2 Phi(x) - 1) + 2 phi(x) - 1/sqrt(pi)
    x = 0.7
    exact = x * math.erf(x / math.sqrt(2)) + 2 * math.exp(-x * x / 2) / math.sqrt(2 * math.pi) - 1 / math.sqrt(math.pi)
    draws = torch.randn(100_000, 1, 1, 1)  # Monte Carlo sd about 0.002
    assert crps(draws, torch.full((1, 1, 1), x), fair=True).item() == pytest.approx(exact, abs=0.01)


def test_palette_fraction_counts_pixels_near_the_scene_levels():
    frame = torch.tensor([0.0, 0.04, 0.5, 0.52, 0.3, 1.0, 0.97, 0.8]).view(1, 1, 2, 4)
    assert palette_fraction(frame, torch.tensor([0.0, 0.5, 1.0])).item() == pytest.approx(6 / 8)
    assert palette_fraction(frame, torch.tensor([0.0, 0.5, 1.0]), tol=0.01).item() == pytest.approx(3 / 8)


def test_palette_fraction_within_a_mask():
    frame = torch.tensor([0.0, 0.04, 0.5, 0.52, 0.3, 1.0, 0.97, 0.8]).view(1, 1, 2, 4)
    mask = torch.tensor([False, False, False, False, True, True, True, True]).view(1, 2, 4)
    assert palette_fraction(frame, torch.tensor([0.0, 0.5, 1.0]), mask=mask).item() == pytest.approx(2 / 4)
    levels = torch.tensor([[0.0, 0.5, 1.0], [0.3, 0.8, 0.8]])  # per-frame levels
    two = torch.cat([frame, frame])
    torch.testing.assert_close(palette_fraction(two, levels), torch.tensor([6 / 8, 2 / 8], dtype=torch.float64))
