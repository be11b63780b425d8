"""Local linear analysis (eq. 5 and 7, figures 7 and 8) on networks whose Jacobians are known."""

from __future__ import annotations

import pytest
import torch

from nextframe.analysis.jacobian import (
    centre_of_mass,
    crossover,
    cue_combination,
    decompose,
    filter_displacements,
    filter_row,
)
from nextframe.networks import ConditionalUNet, UNetConfig

H = W = 16


class LinearDenoiser:
    """x_hat = A y + B c with explicit matrices: its Jacobians are A and B everywhere."""

    def __init__(self, tau: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        self.A = torch.randn(H * W, H * W, generator=g) / H
        self.B = torch.randn(H * W, tau * H * W, generator=g) / H

    def __call__(self, noisy, context):
        y, c = noisy.flatten(1), context.flatten(1)
        return (y @ self.A.T + c @ self.B.T).view_as(noisy)


def test_decomposition_and_filter_rows_of_a_linear_network():
    net, g = LinearDenoiser(tau=2), torch.Generator().manual_seed(1)
    noisy, context = torch.rand(3, 1, H, W, generator=g), torch.rand(3, 2, H, W, generator=g)
    parts = decompose(net, noisy, context)
    torch.testing.assert_close(parts["from_noisy"], (noisy.flatten(1) @ net.A.T).view_as(noisy))
    torch.testing.assert_close(parts["from_context"], (context.flatten(1) @ net.B.T).view_as(noisy))
    torch.testing.assert_close(parts["estimate"], parts["from_noisy"] + parts["from_context"])
    pixel = (5, 9)
    row = filter_row(net, noisy, context, pixel)
    index = pixel[0] * W + pixel[1]
    torch.testing.assert_close(row["noisy"].flatten(), net.A[index])
    torch.testing.assert_close(row["context"].flatten(), net.B[index])


def _translating_predictor(velocity: tuple[int, int]):
    """x_hat[p] = (c_last[p - v] + c_first[p - 2v]) / 2 + 0 * y: content moving by v pixels per frame."""

    def net(noisy, context):
        last = torch.roll(context[:, 1:2], shifts=velocity, dims=(-2, -1))
        first = torch.roll(context[:, 0:1], shifts=(2 * velocity[0], 2 * velocity[1]), dims=(-2, -1))
        return 0.5 * (last + first) + 0.0 * noisy

    return net


@pytest.mark.parametrize("velocity", [(0, -1), (1, 0), (2, 1)])
def test_filter_centre_follows_the_motion(velocity):
    context, noisy = torch.rand(1, 2, H, W), torch.rand(1, 1, H, W)
    pixel = (8, 8)
    row = filter_row(_translating_predictor(velocity), noisy, context, pixel)
    shifts = filter_displacements(row, pixel, tau=2)
    assert [s["frames_back"] for s in shifts] == [2, 1]
    for s in shifts:
        k = s["frames_back"]
        assert s["rows"] == pytest.approx(-k * velocity[0]) and s["cols"] == pytest.approx(-k * velocity[1])
        assert s["weight_sum"] == pytest.approx(0.5)
    assert float(row["noisy"].abs().max()) == 0.0


def test_centre_of_mass_uses_magnitudes_near_the_peak():
    w = torch.zeros(32, 32)
    w[10, 20], w[10, 21] = -3.0, -1.0  # a negative lobe, as on the older frame of a filter that extrapolates
    w[0, 0] = w[31, 31] = w[31, 0] = 0.5  # small weights far away must not pull the centre
    assert centre_of_mass(w) == (10.0, pytest.approx(20.25))
    assert all(v != v for v in centre_of_mass(torch.zeros(3, 3)))  # NaN for an empty filter


def _extrapolating_predictor(velocity: tuple[int, int]):
    """x_hat[p] = 2 c_last[p - v] - c_first[p - 2v]: a motion-compensated extrapolation with a negative older frame."""

    def net(noisy, context):
        last = torch.roll(context[:, 1:2], shifts=velocity, dims=(-2, -1))
        first = torch.roll(context[:, 0:1], shifts=(2 * velocity[0], 2 * velocity[1]), dims=(-2, -1))
        return 2 * last - first + 0.0 * noisy

    return net


def test_filter_centre_follows_the_motion_on_a_negative_older_frame():
    context, noisy = torch.rand(1, 2, H, W), torch.rand(1, 1, H, W)
    row = filter_row(_extrapolating_predictor((0, 2)), noisy, context, (8, 8))
    shifts = filter_displacements(row, (8, 8), tau=2)
    assert [(s["rows"], s["cols"], s["weight_sum"]) for s in shifts] == [(0.0, -4.0, -1.0), (0.0, -2.0, 2.0)]


def test_bias_free_unet_is_exactly_its_local_linear_map():
    torch.manual_seed(0)
    net = ConditionalUNet(UNetConfig(tau=2, width=8)).eval()
    g = torch.Generator().manual_seed(2)
    context, clean = torch.rand(2, 2, H, W, generator=g), torch.rand(2, 1, H, W, generator=g)
    rows = cue_combination(net, context, clean, input_psnrs=(0.0, 20.0), seed=3)
    for r in rows:
        assert r["linearity_error"] < 1e-4 and r["partition_error"] < 1e-6


def test_crossover_interpolates_where_observation_overtakes_conditioning():
    rows = [
        {"input_psnr": p, "psnr_observation_only": p, "psnr_conditioning_only": 10.0} for p in (0.0, 5.0, 15.0, 20.0)
    ]
    assert crossover(rows) == pytest.approx(10.0)
    assert crossover(rows[:2]) is None
