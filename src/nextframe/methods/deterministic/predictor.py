"""The prediction-only network as a predictor: one evaluation per frame, the same frame for every sample."""

from __future__ import annotations

import torch

from nextframe.methods.base import Predictor
from nextframe.sampling.sampler import rollout


class PredictionLoss:
    """MSE (or, with `norm="l1"`, the mean absolute error) between the network's predictions and the true future
    frames. MSE learns the conditional mean; L1 the conditional median, which a point forecast needs for a low CRPS:
    on Moving Leaves the mean smears a disk whose path it cannot pin down over every pixel it might cover, and pays
    for it at each of them, where the median keeps the background (docs/design.md). With one future frame in the window, the
    next frame from the past; with k, the network is rolled out k frames on its own predictions and the gradient goes
    through them (backpropagation through time), so it learns the frames `rollout` will feed it at test time, not
    only true ones: a one-frame model drifts in brightness over 9 recursive frames (leaves: per-frame CRPS 0.03 at
    the first, 0.24 at the ninth)."""

    def __init__(self, channels: int = 1, norm: str = "mse"):
        if norm not in ("mse", "l1"):
            raise ValueError(f"norm must be 'mse' or 'l1', got {norm!r}")
        self.channels = channels  # per frame: context and target hold frames stacked along the channels
        self.norm = norm  # "mse": the conditional mean; "l1": the conditional median

    def __call__(self, net, context: torch.Tensor, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        error = self.rollout(net, context, clean.shape[1] // self.channels) - clean
        return error.square().mean() if self.norm == "mse" else error.abs().mean()

    def rollout(self, net, context: torch.Tensor, frames: int) -> torch.Tensor:
        """`frames` predictions, each from the last tau frames (true past, then predicted), stacked like the target.
        Each becomes context clipped to [0, 1], as in `rollout`; the loss sees it unclipped, so a pixel pushed out of
        range still has a gradient back."""
        predictions = []
        for _ in range(frames):
            predictions.append(net(None, context))
            context = torch.cat([context[:, self.channels :], predictions[-1].clamp(0, 1)], 1)
        return torch.cat(predictions, 1)


class DeterministicPredictor(Predictor):
    """Each future frame predicted from the last tau frames (generated ones included), once: `samples` copies of the
    point estimate (the conditional mean, or the median when trained with --point-loss l1). Callable as a denoiser
    that ignores its noisy input, like the network it wraps."""

    method = "deterministic"
    done = "predicted"  # one pass per frame

    def describe(self) -> str:
        return "deterministic: one network pass per frame (a point estimate, the same for every sample; no sampling)"

    def __init__(self, network):
        self.network = network
        self.context_frames = network.config.tau

    @property
    def config(self):
        return self.network.config

    def __call__(self, noisy: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        return self.network(noisy, context)

    has_denoiser = True  # callable as its network: (noisy, context) -> estimate, with its config
    has_one_step = True  # its prediction is the one-step estimate (of the conditional mean, or median with l1)

    def _predict(self, past, steps, seeds):
        return self.one_step(past, steps, seed=seeds), torch.ones(past.shape[0], steps, dtype=torch.long), None

    def one_step(self, past, steps, *, seed=0):
        frames, _ = rollout(self.network, past, steps, method="one_step", seed=seed)
        return frames
