"""Sampling: iterative partial denoising, one-step estimates and recursive rollouts over any denoiser callable."""

from nextframe.sampling.sampler import SampleResult, derive_seed, one_step, one_step_knobs, rollout, sample

__all__ = ["SampleResult", "derive_seed", "one_step", "one_step_knobs", "rollout", "sample"]
