"""Sampling: iterative partial denoising, one-step estimates and recursive rollouts over any denoiser callable."""

from nextframe.sampling.sampler import (
    SampleResult,
    derive_seed,
    one_step,
    rollout,
    sample,
)
from nextframe.sampling.settings import PAPER, SamplerSettings

__all__ = ["PAPER", "SampleResult", "SamplerSettings", "derive_seed", "one_step", "rollout", "sample"]
