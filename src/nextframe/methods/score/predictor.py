"""The score-based predictor: each future frame sampled by iterative partial denoising given the last tau frames
(`sampling.rollout`), with the sampler's settings fixed when the predictor is made."""

from __future__ import annotations

from dataclasses import replace

import torch

from nextframe.errors import NextframeError
from nextframe.methods.base import Predictor
from nextframe.sampling.sampler import check_context, rollout
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

    has_denoiser = True  # callable as its network: (noisy, context) -> estimate, with its config
    has_one_step = True

    def describe(self) -> str:
        s = self.sampler
        return (
            f"score: iterative partial denoising ({s.schedule} steps, beta {s.beta:g}, until the estimated noise level "
            f"is below {s.sigma_stop:g}; a convergence test per sample)"
        )

    def _predict(self, past, steps, seeds):
        frames, results = rollout(self.network, past, steps, seed=seeds, **self.sampler.knobs())
        evaluations = torch.stack([r.evaluations for r in results], dim=1)
        return frames, evaluations, [r.status for r in results], [r.retries for r in results]

    def one_step(self, past, steps, *, seed=0):
        """The denoiser applied once to the sampler's initial noise (`sampling.one_step`), frame after frame."""
        frames, _ = rollout(self.network, past, steps, method="one_step", seed=seed, **self.sampler.knobs())
        return frames

    def with_sampler(self, **knobs) -> ScorePredictor:
        """The same network under other sampler settings (the given ones replace these)."""
        other = ScorePredictor(self.network, replace(self.sampler, **knobs))
        other.frame_shape = self.frame_shape
        return other

    def trace(self, past, snapshots, *, seed: int = 0) -> dict:
        """{step: iterate} of the sampler's first try on row 0's next frame, seeded as `predict` seeds row 0's first
        frame (derive_seed(seed, 0)), at the steps in `snapshots` (for the figures of the sampler's path)."""
        from nextframe.sampling.sampler import derive_seed, sample_once

        steps = {}

        def keep(k, ids, y, estimate):
            if k in snapshots and 0 in ids.tolist():
                steps[k] = y[ids.tolist().index(0)].clone()

        context = check_context(past[:1, -self.context_frames :], "past frames").flatten(1, 2)
        sample_once(self.network, context, seed=[derive_seed(seed, 0)], callback=keep, **self.sampler.knobs())
        return steps


def as_predictor(model, **knobs) -> Predictor:
    """A predictor from any model the analyses take: a `Predictor` as it is (a score predictor under the given
    sampler settings), or a bare denoiser callable with a `config.tau` (a network, an exact mixture denoiser) as the
    score-based predictor that samples it with `knobs` (k-diffusion's habit: samplers over any denoiser)."""
    if isinstance(model, ScorePredictor):
        return model.with_sampler(**knobs) if knobs else model
    if isinstance(model, Predictor):
        if knobs:
            raise NextframeError(
                f"{', '.join(knobs)}: settings of the score-based sampler; a {model.method} model does not take them"
            )
        return model
    return ScorePredictor(model, SamplerSettings(**knobs))
