"""The prediction-only network as a predictor: one evaluation per frame, the same frame for every sample."""

from __future__ import annotations

import torch

from nextframe.methods.base import Predictor
from nextframe.sampling.sampler import rollout


class PredictionLoss:
    """MSE between the network's prediction from the past frames and the true next frame."""

    def __call__(self, net, context: torch.Tensor, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return (net(None, context) - clean).square().mean()


class DeterministicPredictor(Predictor):
    """Each future frame predicted from the last tau frames (generated ones included), once: `samples` copies of the
    conditional-mean estimate. Callable as a denoiser that ignores its noisy input, like the network it wraps."""

    method = "deterministic"
    done = "predicted"  # one pass per frame

    def describe(self) -> str:
        return "deterministic: one network pass per frame (the conditional mean; no sampling)"

    def __init__(self, network):
        self.network = network
        self.context_frames = network.config.tau

    @property
    def config(self):
        return self.network.config

    def __call__(self, noisy: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.network(noisy, context)

    def _predict(self, past, steps, seeds):
        frames, _ = rollout(self.network, past, steps, method="one_step", seed=seeds)
        return frames, torch.ones(past.shape[0], steps, dtype=torch.long), None
