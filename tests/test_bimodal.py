"""The bimodal illustration (App. B, figures 9 and 10) against closed forms and an independent implementation."""

from __future__ import annotations

import json
import math

import numpy as np
import torch

from nextframe.analysis.bimodal import (
    blind_estimate,
    fixed_points,
    iterate,
    known_sigma_estimate,
    map_sigma,
    residual,
    smoothed_density,
)
from nextframe.analysis.mixtures import GaussianMixtureDenoiser
from nextframe.cli.main import main

MEANS = torch.tensor([-0.5, 0.5], dtype=torch.float64).view(2, 1, 1, 1)


def test_known_sigma_estimate_is_the_exact_posterior_mean():
    y = np.linspace(-2, 2, 41)
    for sigma in (0.1, 0.4, 1.5):
        exact = GaussianMixtureDenoiser(MEANS, sigma_min=sigma, sigma_max=sigma, grid=1)(
            torch.tensor(y).view(-1, 1, 1, 1)
        )
        np.testing.assert_allclose(known_sigma_estimate(y, sigma), exact.view(-1).numpy(), atol=1e-12)
        mass = np.trapezoid(smoothed_density(np.linspace(-12, 12, 48001), sigma), dx=24 / 48000)
        assert abs(mass - 1) < 1e-6


def test_integrated_blind_denoiser_matches_the_mixture_module():
    y = np.linspace(-2, 2, 81)
    other = GaussianMixtureDenoiser(MEANS, sigma_min=1e-3, sigma_max=10.0, grid=4001, estimate="posterior")
    np.testing.assert_allclose(
        blind_estimate(y, "posterior"), other(torch.tensor(y).view(-1, 1, 1, 1)).view(-1).numpy(), atol=1e-6
    )


def test_map_sigma_and_fixed_points():
    # At y = 0 both masses are 1/2 away: p(0|s)/s ~ exp(-1/(8 s^2)) / s^2 peaks at s = 1/(2 sqrt 2).
    assert abs(map_sigma(np.array([0.0]))[0] - 1 / (2 * math.sqrt(2))) < 2e-3
    y = np.linspace(-2.5, 2.5, 2001)
    f = residual(y)
    np.testing.assert_allclose(f, -residual(-y), atol=1e-12)  # odd symmetry
    points = fixed_points(y, f)
    assert [round(p["y"], 3) for p in points] == [-0.5, 0.0, 0.5]
    assert [p["stable"] for p in points] == [True, False, True]


def test_trajectories_pick_a_mass_by_their_start():
    for start, end in ((-2.0, -0.5), (-0.05, -0.5), (0.05, 0.5), (1.5, 0.5)):
        path = iterate(start, steps=40)
        assert abs(path[-1] - end) < 1e-4 and np.all(np.abs(np.diff(path)) < np.abs(start) + 1)
    assert iterate(0.0, steps=10)[-1] == 0.0  # the unstable fixed point


def test_bimodal_command_writes_figures_and_numbers(tmp_path, capsys):
    assert main(["experiment", "bimodal", "--out", str(tmp_path), "--steps", "10"]) == 0
    report = json.loads((tmp_path / "bimodal.json").read_text())
    assert (tmp_path / "bimodal_scores.png").stat().st_size > 0 and (
        tmp_path / "bimodal_sampling.png"
    ).stat().st_size > 0
    assert [p["stable"] for p in report["fixed_points_map"]] == [True, False, True]
    assert len(report["trajectories"]["-2"]) == 11
    assert main(["experiment", "bimodal", "--out", str(tmp_path), "--alpha", "0"]) == 2
    assert capsys.readouterr().err.startswith("nextframe: error: --steps")
