"""The sampler against exact denoisers: it finds the modes, in proportion, deterministically per seed."""

import math
import re
import warnings

import pytest
import torch

from nextframe import one_step, rollout, sample
from nextframe.analysis.mixtures import GaussianMixtureDenoiser
from nextframe.errors import NextframeError
from nextframe.sampling import PAPER

DIMS = 64  # pixels of the toy "frames": enough that the effective noise level is well estimated


def constant_frames(values):
    return torch.stack([torch.full((1, 1, DIMS), float(v)) for v in values])


def empty_context(batch):
    return torch.zeros(batch, 0, 1, DIMS)


def test_mixture_denoiser_is_exact_for_one_point_mass():
    denoiser = GaussianMixtureDenoiser(constant_frames([0.3]))
    noisy = torch.randn(5, 1, 1, DIMS)
    torch.testing.assert_close(denoiser(noisy), torch.full_like(noisy, 0.3))


def test_mixture_denoiser_matches_closed_form_for_one_gaussian():
    """One Gaussian N(m, s^2 I) under a known-sigma prior (a grid of one point): x_hat = m + s^2/(s^2+sigma^2)(y - m)."""
    m, s, sigma = 0.4, 0.2, 0.5
    denoiser = GaussianMixtureDenoiser(constant_frames([m]), spreads=s, sigma_min=sigma, sigma_max=sigma, grid=1)
    y = torch.randn(3, 1, 1, DIMS)
    torch.testing.assert_close(denoiser(y), m + s**2 / (s**2 + sigma**2) * (y - m))


def test_two_point_masses_each_chosen_about_half_the_time():
    """App. B: two point masses; samples end on one of them, each about half of the time."""
    denoiser = GaussianMixtureDenoiser(constant_frames([0.25, 0.75]))
    result = sample(denoiser, empty_context(400), seed=0)
    index, rms = denoiser.nearest(result.frames)
    assert set(result.status) == {"converged"}
    assert rms.max() < 0.01  # every sample ends within sigma 0.01 of a mode
    assert 0.4 < index.float().mean() < 0.6  # binomial sd at n=400 is 0.025
    assert all(s[-1] <= 0.05 for s in result.sigmas)  # the default stop
    assert all(len(s) == int(e) for s, e in zip(result.sigmas, result.evaluations))
    assert 10 < result.evaluations.float().median() < 20  # the defaults: about 14 evaluations per sample


def test_unbalanced_modes_are_chosen_in_proportion():
    """Three modes weighted 0.6/0.3/0.1 are reached in proportion when sigma0 is large against their spacing (RMS 0.3,
    2.4 in Euclidean norm here) and beta small; benchmarks/mixture_calibration.py measures the whole grid."""
    weights = torch.tensor([0.6, 0.3, 0.1])
    denoiser = GaussianMixtureDenoiser(constant_frames([0.2, 0.5, 0.8]), weights)
    result = sample(denoiser, empty_context(1500), seed=1, sigma0=4.0, beta=0.25)
    index, rms = denoiser.nearest(result.frames)
    freq = torch.bincount(index, minlength=3).float() / len(index)
    assert rms.max() < 0.01
    assert 0.5 * (freq - weights).abs().sum() < 0.06, freq
    # With the paper's sigma0 = 1 and beta = 1, the mode nearest the initial mean (0.5) is heavily over-chosen.
    biased = sample(denoiser, empty_context(1500), seed=1, sigma0=1.0, beta=1.0)
    freq_biased = torch.bincount(denoiser.nearest(biased.frames)[0], minlength=3).float() / 1500
    assert freq_biased[1] > 0.6


def test_a_seeded_sample_is_the_same_whatever_its_batch():
    denoiser = GaussianMixtureDenoiser(constant_frames([0.2, 0.5, 0.8]))
    alone = sample(denoiser, empty_context(1), seed=[42])
    batch = sample(denoiser, empty_context(5), seed=[7, 8, 42, 9, 10])
    torch.testing.assert_close(batch.frames[2], alone.frames[0], rtol=0, atol=0)
    assert batch.sigmas[2] == alone.sigmas[0] and batch.evaluations[2] == alone.evaluations[0]
    again = sample(denoiser, empty_context(5), seed=[7, 8, 42, 9, 10])
    torch.testing.assert_close(again.frames, batch.frames, rtol=0, atol=0)
    other = sample(denoiser, empty_context(5), seed=[1, 2, 3, 4, 5])
    assert not torch.equal(other.frames, batch.frames)
    assert sample(denoiser, empty_context(3), seed=4).frames.equal(
        sample(denoiser, empty_context(3), seed=[4, 5, 6]).frames
    )


def test_beta_one_injects_no_noise_and_step_sizes_follow_the_schedule():
    """With beta = 1 and the exact denoiser of a point mass at 0, y_k = (1 - h_k) y_{k-1}: sigma shrinks by 1 - h_k."""
    denoiser = GaussianMixtureDenoiser(constant_frames([0.0]))
    result = sample(
        denoiser,
        empty_context(1),
        schedule="ramp",
        beta=1.0,
        h0=0.1,
        mean=0.0,
        sigma0=1.0,
        sigma_stop=0.01,
        seed=0,
        final="noisy",
    )
    s = result.sigmas[0]
    for k in range(2, len(s) + 1):
        h = 0.1 * (k - 1) / (1 + 0.1 * (k - 2))
        assert s[k - 1] == pytest.approx((1 - h) * s[k - 2], rel=1e-6)
    assert s[-1] <= 0.01 < s[-2]


def test_max_steps_caps_the_work_and_diverging_samples_stop():
    denoiser = GaussianMixtureDenoiser(constant_frames([0.25, 0.75]))
    capped = sample(denoiser, empty_context(3), max_steps=5, seed=0)
    assert capped.status == ["max_steps"] * 3 and capped.evaluations.tolist() == [6, 6, 6]  # 5 steps + final denoise
    exploding = lambda y, c: 3.0 * y  # noqa: E731  a "denoiser" whose residual grows
    result = sample(exploding, empty_context(2), seed=0, max_steps=50)
    assert result.status == ["diverged", "diverged"]


def test_one_step_estimate_is_the_posterior_mean():
    """From nearly uninformative noise the estimate of two equal point masses is close to their average."""
    denoiser = GaussianMixtureDenoiser(constant_frames([0.25, 0.75]))
    estimate = one_step(denoiser, empty_context(200), seed=0, sigma0=20.0)
    assert abs(estimate.mean().item() - 0.5) < 0.03
    assert (estimate - estimate.mean(dim=-1, keepdim=True)).abs().max() < 1e-6  # an average of constants is constant


def test_rollout_shifts_its_context():
    """With a denoiser that returns the sum of the context frames, a rollout follows a Fibonacci recursion."""
    add = lambda y, c: c[:, :1] + c[:, 1:2]  # noqa: E731
    frames = torch.tensor([1e-3, 2e-3]).view(1, 2, 1, 1, 1).expand(2, 2, 1, 1, 4)
    out, results = rollout(add, frames, 5, tau=2, method="one_step", clamp=False)
    torch.testing.assert_close(out[0, :, 0, 0, 0], torch.tensor([3e-3, 5e-3, 8e-3, 13e-3, 21e-3]))
    out, results = rollout(add, frames, 3, tau=2, clamp=False)
    assert len(results) == 3 and math.isclose(out[0, 0, 0, 0, 0].item(), 3e-3, rel_tol=1e-6)
    with pytest.raises(NextframeError, match="tau=3"):
        rollout(add, frames, 1, tau=3)


def test_bad_settings_are_refused():
    denoiser = GaussianMixtureDenoiser(constant_frames([0.5]))
    with pytest.raises(NextframeError, match="beta"):
        sample(denoiser, empty_context(1), beta=0.0)
    with pytest.raises(NextframeError, match="seeds"):
        sample(denoiser, empty_context(2), seed=[1])


def test_the_papers_first_step_as_a_constant_step_warns_that_it_cannot_reach_sigma_stop():
    # the paper's h0 0.01 without schedule="ramp": a constant step that would need ~4,000 steps, capped at 1,000
    denoiser = GaussianMixtureDenoiser(constant_frames([0.5]))
    with pytest.warns(UserWarning, match="schedule='ramp'"):
        sample(denoiser, empty_context(1), beta=0.1, h0=0.01, sigma0=3, max_steps=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the defaults, the paper's ramp and a reachable constant step stay quiet
        sample(denoiser, empty_context(1))
        sample(denoiser, empty_context(1), **{k: v for k, v in PAPER.knobs().items() if k != "max_steps"}, max_steps=5)
        sample(denoiser, empty_context(1), h0=0.2, beta=0.5)


PAPER_KNOBS = {k: v for k, v in PAPER.knobs().items() if k != "retries"}


def flaky_denoiser(noisy, context):
    """Pulls every pixel to 0.5, except that an image whose mean lies above 0.6 is blown up: a divergence that
    depends on the starting noise alone, so a fresh seed can cure it."""
    blown = noisy.flatten(1).mean(1) > 0.6
    return torch.where(blown.view(-1, 1, 1, 1), 10 * noisy, torch.full_like(noisy, 0.5))


def test_diverged_samples_are_retried_from_derived_seeds_batch_invariantly():
    context = torch.zeros(64, 0, 1, 16)  # the paper's sampler, whose small first steps the guard was tuned on
    once = sample(flaky_denoiser, context, seed=0, retries=0, **PAPER_KNOBS)
    first = [i for i, s in enumerate(once.status) if s == "diverged"]
    assert 5 <= len(first) <= 40 and once.retries == [0] * 64  # the guard fires and nothing is retried
    fixed = sample(flaky_denoiser, context, seed=0, retries=3, **PAPER_KNOBS)
    assert fixed.diverged < len(first) / 4
    assert all(fixed.retries[i] >= 1 for i in first) and all(fixed.retries[i] == 0 for i in range(64) if i not in first)
    for i in range(64):
        if i in first:  # a retry spends the first try's evaluations too
            assert fixed.evaluations[i] > once.evaluations[i]
            if fixed.status[i] == "converged":
                assert (fixed.frames[i] - 0.5).abs().max() < 0.05
        else:  # samples that converged on the first try are untouched
            assert torch.equal(fixed.frames[i], once.frames[i]) and fixed.evaluations[i] == once.evaluations[i]
    for i in first[:3]:  # alone, with its own seed, a retried sample comes out the same as in the batch
        alone = sample(flaky_denoiser, context[:1], seed=[i], retries=3, **PAPER_KNOBS)
        assert (
            torch.equal(alone.frames[0], fixed.frames[i])
            and alone.retries == [fixed.retries[i]]
            and alone.status == [fixed.status[i]]
        )
    with pytest.raises(NextframeError, match="retries"):
        sample(flaky_denoiser, context, retries=-1)


def test_constant_steps_shrink_the_noise_level_geometrically():
    denoiser = GaussianMixtureDenoiser(torch.full((1, 1, 1, 1024), 0.3), sigma_max=100.0)  # one point mass: exact
    result = sample(
        denoiser, torch.zeros(4, 0, 1, 1024), schedule="constant", h0=0.5, beta=0.5, sigma0=8.0, sigma_stop=0.01
    )
    for sigmas in result.sigmas:
        ratios = [b / a for a, b in zip(sigmas, sigmas[1:])]
        assert all(abs(r - 0.75) < 0.06 for r in ratios), ratios  # sigma_{k+1} = (1 - beta h) sigma_k, up to the
        assert abs(sorted(ratios)[len(ratios) // 2] - 0.75) < 0.02, ratios  # estimate's own noise
        assert len(sigmas) == math.ceil(math.log(0.01 / sigmas[0]) / math.log(0.75)) + 1  # no step wasted at high noise
    assert all(s == "converged" for s in result.status)


def test_late_beta_changes_the_anneal_below_late_sigma_only():
    """A beta schedule in sigma_k: the noise level shrinks by 1 - beta h above late_sigma, by 1 - late_beta h below."""
    denoiser = GaussianMixtureDenoiser(torch.full((1, 1, 1, 1024), 0.3), sigma_max=100.0)  # one point mass: exact
    knobs = dict(schedule="constant", h0=0.5, beta=1.0, sigma0=8.0, sigma_stop=0.01)
    result = sample(denoiser, torch.zeros(4, 0, 1, 1024), late_beta=0.2, late_sigma=0.1, **knobs)
    for sigmas in result.sigmas:
        for a, b in zip(sigmas, sigmas[1:]):
            expected = 0.5 if a >= 0.1 else 0.9  # sigma_{k+1} = (1 - beta h) sigma_k, beta chosen by sigma_k
            assert abs(b / a - expected) < 0.06, (a, b)
    plain = sample(denoiser, torch.zeros(4, 0, 1, 1024), **knobs)
    assert (result.evaluations > plain.evaluations + 10).all()  # the slow tail costs its steps
    same = sample(denoiser, torch.zeros(4, 0, 1, 1024), late_beta=1.0, late_sigma=0.1, **knobs)
    assert torch.equal(same.frames, plain.frames)  # late_beta = beta: the sampler is unchanged
    with pytest.raises(NextframeError, match="--late-beta"):
        sample(denoiser, torch.zeros(1, 0, 1, 1024), late_beta=0.0, late_sigma=0.1)


def test_heun_costs_one_evaluation_per_step_and_is_exact_where_euler_is():
    """For one point mass x_hat is constant, so the trapezoidal step equals Euler's: y + h (m - y)."""
    denoiser = GaussianMixtureDenoiser(torch.full((1, 1, 1, 256), 0.3), sigma_max=100.0)
    runs = {
        heun: sample(
            denoiser,
            torch.zeros(3, 0, 1, 256),
            schedule="constant",
            h0=0.5,
            beta=1.0,
            sigma0=4.0,
            max_steps=3,
            heun=heun,
            final="noisy",
        )
        for heun in (False, True)
    }
    torch.testing.assert_close(runs[True].frames, runs[False].frames)
    assert (runs[False].evaluations == 3).all() and (runs[True].evaluations == 6).all()


def test_one_step_start_centres_the_initial_image_on_the_estimate():
    denoiser = GaussianMixtureDenoiser(torch.full((1, 1, 1, 1024), 0.2), sigma_max=100.0)  # x_hat = 0.2 exactly
    first = {}
    for start in ("mean", "one_step"):
        first[start] = []
        result = sample(
            denoiser,
            torch.zeros(2, 0, 1, 1024),
            start=start,
            schedule="constant",
            h0=0.5,
            sigma0=2.0,
            callback=lambda k, ids, y, x, seen=first[start]: seen.append(y.clone()) if k == 1 else None,
        )
        first[start].append(result.evaluations)
    torch.testing.assert_close(
        first["one_step"][0] - first["mean"][0], torch.full((2, 1, 1, 1024), 0.2 - 0.5)
    )  # same noise, new centre
    assert (first["one_step"][1] == first["mean"][1] + 1).all()  # the estimate costs one evaluation
    with pytest.raises(NextframeError, match="schedule"):
        sample(denoiser, torch.zeros(1, 0, 1, 1024), schedule="fast")


@pytest.mark.parametrize(
    "knobs, expected",
    [
        ({"late_beta": float("nan")}, "--late-beta nan: must be a finite number"),
        ({"sigma_diverge": "far"}, "--sigma-diverge 'far': must be a finite number"),
        ({"max_steps": 2.5}, "--max-steps 2.5: must be a whole number"),
        ({"sigma0": 101.0}, "--sigma0 101.0: must be at most 100"),
        ({"sigma_stop": 2.0, "sigma0": 1.0}, "--sigma-stop 2: must lie below --sigma0 1"),
    ],
)
def test_sampler_settings_are_checked_like_every_other_setting(knobs, expected):
    """One bounds checker (`settings.check_fields`) for the sampler and the training settings, naming the flag."""
    from nextframe.sampling.settings import SamplerSettings

    with pytest.raises(NextframeError, match=re.escape(expected)):
        SamplerSettings(**knobs)
    assert SamplerSettings(late_beta=None, sigma_diverge=None) == SamplerSettings()  # None: the defaults' meaning
