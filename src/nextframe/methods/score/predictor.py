"""The score-based predictor: each future frame sampled by iterative partial denoising given the last tau frames
(`sampling.rollout`), with the sampler's settings fixed when the predictor is made."""

from __future__ import annotations

import torch

from nextframe.methods.base import Predictor
from nextframe.sampling.sampler import rollout
from nextframe.sampling.settings import SamplerSettings


class ScorePredictor(Predictor):
    """A blind conditional denoiser as a predictor. It is a denoiser too (called as `(noisy, context) -> estimate`,
    with the network's `config`), so a loaded predictor goes straight into `sample`, `one_step` and `rollout`."""

    method = "score"

    def __init__(self, network, sampler: SamplerSettings | None = None):
        self.network = network
        self.sampler = sampler if sampler is not None else SamplerSettings()
        self.context_frames = network.config.tau

    @property
    def config(self):
        return self.network.config

    def __call__(self, noisy: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.network(noisy, context)

    def _predict(self, past, steps, seeds):
        frames, results = rollout(self.network, past, steps, seed=seeds, **self.sampler.knobs())
        return frames, torch.stack([r.evaluations for r in results], dim=1), [r.status for r in results]
