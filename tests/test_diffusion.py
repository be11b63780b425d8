"""DDPM and DDIM over a noise predictor, checked where the answer is known: the forward process against its
closed-form marginals, and sampling with the exact noise predictor of Gaussian data (and of a point mass)."""

import math

import pytest
import torch

from nextframe.errors import NextframeError
from nextframe.sampling.diffusion import alpha_bars, ddim_sample, ddpm_sample, q_sample, visited_levels


def test_the_forward_process_step_by_step_has_the_closed_form_marginals():
    abar = alpha_bars("linear", 1000)
    betas = 1 - abar / torch.cat([torch.ones(1, dtype=abar.dtype), abar[:-1]])
    assert torch.allclose(betas[[0, -1]], torch.tensor([1e-4, 0.02], dtype=abar.dtype))
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((20000,), 0.7, dtype=torch.float64)
    x = x0.clone()
    for t in range(400):  # x_t = sqrt(1 - beta_t) x_{t-1} + sqrt(beta_t) e
        x = (1 - betas[t]).sqrt() * x + betas[t].sqrt() * torch.randn(x.shape, generator=g, dtype=torch.float64)
    closed = q_sample(x0, torch.full((20000,), 399), abar, torch.randn(x.shape, generator=g, dtype=torch.float64))
    for sample in (x, closed):
        assert abs(sample.mean() - abar[399].sqrt() * 0.7) < 0.02
        assert abs(sample.var() - (1 - abar[399])) < 0.02


def gaussian_data_predictor(mean: float, std: float, abar: torch.Tensor):
    """The exact E[noise | x_t] when every pixel of x_0 is N(mean, std^2), independently."""

    def eps(x, t):
        a = abar[t].to(x.dtype).view(-1, *[1] * (x.ndim - 1))
        return (1 - a).sqrt() * (x - a.sqrt() * mean) / (a * std**2 + 1 - a)

    return eps


@pytest.mark.parametrize("schedule", ["linear", "cosine"])
@pytest.mark.parametrize("draw", [ddpm_sample, ddim_sample])
def test_sampling_with_the_exact_predictor_draws_the_data_distribution(schedule, draw):
    """At every level the samples are right; with fewer levels visited, narrow data comes out narrower (measured: std
    0.079 of 0.1 for DDPM over 100 of 1,000 linear levels, 0.047 over 20): the x_0 estimate is a posterior mean,
    and the few visited levels at low noise are where a narrow spread is decided."""
    abar = alpha_bars(schedule, 1000)
    eps = gaussian_data_predictor(0.2, 0.1, abar)
    spread = []
    for steps in (20, 100, 1000):
        x = draw(eps, (400, 1, 4, 4), abar, steps, [torch.Generator().manual_seed(i) for i in range(400)])
        assert abs(float(x.mean()) - 0.2) < 0.01
        spread.append(float(x.std()))
    assert spread[0] < spread[1] < spread[2] and abs(spread[2] / 0.1 - 1) < 0.05
    gens = [torch.Generator().manual_seed(i) for i in range(8)]
    point = draw(gaussian_data_predictor(-0.3, 0.0, abar), (8, 1, 4, 4), abar, 100, gens)
    assert torch.allclose(point, torch.full_like(point, -0.3), atol=1e-5)  # a point mass is recovered exactly


def test_a_predictor_that_does_not_know_the_data_fails_the_same_check():
    abar = alpha_bars("linear", 1000)
    gens = [torch.Generator().manual_seed(i) for i in range(400)]
    x = ddpm_sample(gaussian_data_predictor(0.5, 0.1, abar), (400, 1, 4, 4), abar, 100, gens)
    assert abs(float(x.mean()) - 0.2) > 0.2  # the check above can fail


def test_ddim_is_deterministic_given_its_start_and_ddpm_is_not():
    abar = alpha_bars("linear", 1000)
    eps = gaussian_data_predictor(0.2, 0.1, abar)

    def gens(seeds):
        return [torch.Generator().manual_seed(s) for s in seeds]

    a = ddim_sample(eps, (3, 1, 4, 4), abar, 20, gens([1, 2, 3]))
    b = ddim_sample(eps, (3, 1, 4, 4), abar, 20, gens([1, 2, 3]))
    assert torch.equal(a, b)
    # the same start x_T, different noise along the way: DDIM cannot differ (it draws nothing after x_T); DDPM does
    g = gens([1, 2, 3])
    for gen in g:
        torch.randn((1, 4, 4), generator=gen)
    c = ddim_sample(eps, (3, 1, 4, 4), abar, 20, gens([1, 2, 3]))
    assert torch.equal(a, c)
    p = ddpm_sample(eps, (3, 1, 4, 4), abar, 20, gens([1, 2, 3]))
    q = ddpm_sample(eps, (3, 1, 4, 4), abar, 20, gens([1, 2, 3]))
    assert torch.equal(p, q) and not torch.allclose(p, a, atol=1e-3)


def test_levels_and_bad_settings():
    assert visited_levels(1000, 100)[:3] == [999, 989, 979] and visited_levels(1000, 100)[-1] == 9
    assert visited_levels(1000, 1000) == list(range(999, -1, -1))
    cosine = alpha_bars("cosine", 1600)
    assert (cosine[1:] < cosine[:-1]).all() and cosine[-1] < 1e-4 and math.isclose(float(cosine[0]), 1, rel_tol=1e-3)
    with pytest.raises(NextframeError, match="sampling steps"):
        visited_levels(1000, 0)
    with pytest.raises(NextframeError, match="linear' or 'cosine"):
        alpha_bars("quadratic", 10)
