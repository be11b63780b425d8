"""The one way every method predicts: past frames in, sampled futures and what they cost out.

A method's predictor subclasses `Predictor` and implements `_predict` (the whole future at once: a block method, or
one that wraps `rollout`) or subclasses `StatefulPredictor` and implements `start` and `step` (a recurrent method
that carries its own state from frame to frame). `predict` does the rest for all of them alike: it checks the past
frames, repeats them for the samples, gives each row its own seed (row r is seeded seed + r, or by the list given) and
measures the cost.

What only some methods have is a capability they declare, and consumers ask before they use it: `one_step` (the
blurry one-pass estimate of the conditional mean the paper sets against sampling: the score-based denoiser's and the
deterministic floor's, `has_one_step`) and the denoiser itself (`has_denoiser`: the same two, whose predictor is
callable as its U-Net), which the denoising and Jacobian analyses read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from nextframe.errors import NextframeError
from nextframe.sampling.sampler import check_context, per_sample_seeds


@dataclass
class Prediction:
    frames: torch.Tensor  # (B * samples, steps, C, H, W): row i * samples + j is sample j of context i
    evaluations: torch.Tensor  # (B * samples, steps): network evaluations spent on each generated frame
    seconds: float  # wall time of the whole prediction
    status: list[list[str]] = field(default_factory=list)  # per generated frame, per row: what the method did. Only a
    # sampler with a convergence test says "converged" (or "diverged", "max_steps"); a fixed schedule of denoising
    # levels says "sampled", a single pass "predicted" (`Predictor.done`)
    retries: list[list[int]] = field(default_factory=list)  # per generated frame, per row: restarts after a
    # divergence (the score sampler's; empty for methods that never restart)

    @property
    def diverged(self) -> int:
        """Generated frames still diverged after their restarts (noise, not samples)."""
        return sum(row.count("diverged") for row in self.status)

    @property
    def retried(self) -> int:
        """Generated frames restarted at least once (each diverged on its first try)."""
        return sum(1 for row in self.retries for n in row if n)

    @property
    def seconds_per_frame(self) -> float:
        return self.seconds / max(self.frames.shape[0] * self.frames.shape[1], 1)

    @property
    def evaluations_per_frame(self) -> float:
        """The median over generated frames."""
        return float(self.evaluations.double().median()) if self.evaluations.numel() else 0.0


class Predictor:
    """Predicts future frames from past ones. Subclasses set `method` (the registry's name) and `context_frames`
    (how many past frames they need) and implement `_predict(past, steps, seeds)`, which returns the frames
    (rows, steps, C, H, W), the evaluations (rows, steps), the status per frame per row (or None: all `done`) and,
    for a method that restarts diverged samples, the restarts per frame per row."""

    method: str = ""
    context_frames: int = 1
    done: str = "sampled"  # the status of every frame when `_predict` reports none: "sampled" (a fixed schedule, no
    # convergence test) or "predicted" (one pass, no sampling)
    frame_shape: tuple[int, int, int] | None = None  # (C, H, W) of the frames the weights were trained on, when
    # they record it (`nextframe.load` sets it): a convolutional network samples frames of any size without
    # complaint, but a model of 32x32 leaves has learnt nothing about 64x64 ones

    def describe(self) -> str:
        """What the predictor does to make a frame, in a few words (for the command line's summary)."""
        return self.method

    def predict(self, past, steps: int, *, samples: int = 1, seed: int | list[int] = 0) -> Prediction:
        """`past` (B, T >= context_frames, C, H, W) floats in [0, 1], oldest first; `steps` future frames;
        `samples` futures per context; `seed` an int (row r seeded seed + r) or one seed per row of the result."""
        past = check_context(past, "past frames")
        if past.ndim != 5 or past.shape[1] < self.context_frames:
            raise NextframeError(
                f"{self.method} needs past frames (batch, time >= {self.context_frames}, channels, H, W), "
                f"got {tuple(past.shape)}"
            )
        self.check_frame_shape(past.shape[2:])
        for name, value in (("steps", steps), ("samples", samples)):
            if int(value) != value or value < 1:
                raise NextframeError(f"{name} must be a whole number of at least 1, got {value}")
        rows = past.repeat_interleave(int(samples), dim=0) if samples > 1 else past
        seeds = per_sample_seeds(seed, rows.shape[0])
        started = time.perf_counter()
        frames, evaluations, status, *retries = self._predict(rows, int(steps), seeds)  # retries: if it restarts
        seconds = time.perf_counter() - started
        status = status or [[self.done] * rows.shape[0] for _ in range(int(steps))]
        return Prediction(frames, evaluations, seconds, status, retries[0] if retries else [])

    has_one_step: bool = False  # `one_step` gives the method's one-step estimate of the conditional mean
    has_denoiser: bool = False  # the predictor is also its network as a denoiser, `(noisy, context) -> estimate`
    # with a `config` (the U-Net's): what the denoising and Jacobian analyses read

    def one_step(self, past, steps: int, *, seed: int | list[int] = 0) -> torch.Tensor:
        """(B, steps, C, H, W): the one-step estimate of each future frame, fed back as context like the samples;
        only for methods that declare `has_one_step`."""
        raise NextframeError(f"{self.method} has no one-step estimate; it only samples")

    def check_frame_shape(self, shape) -> None:
        """Refuses frames (C, H, W) of another shape than the weights were trained on, when they record it."""
        if self.frame_shape is not None and tuple(shape) != tuple(self.frame_shape):
            c, h, w = self.frame_shape
            raise NextframeError(
                f"this {self.method} model was trained on {c}-channel {h}x{w} frames, got {shape[0]}-channel "
                f"{shape[1]}x{shape[2]}; resize (or crop) the frames to {h}x{w}, or train a model on frames of this size"
            )

    def _predict(self, past: torch.Tensor, steps: int, seeds: list[int]):
        raise NotImplementedError


class StatefulPredictor(Predictor):
    """A predictor that generates frame after frame from a state of its own (a recurrent network's hidden state, a
    latent): `start` builds the state from the past frames, `step` returns the next frame, its evaluations per row
    and the new state. Frame j of row r should draw its randomness from `derive_seed(seeds[r], j)`."""

    def start(self, past: torch.Tensor, seeds: list[int]) -> Any:
        raise NotImplementedError

    def step(self, state: Any, j: int, seeds: list[int]) -> tuple[torch.Tensor, torch.Tensor, Any]:
        raise NotImplementedError

    def _predict(self, past, steps, seeds):
        state, frames, evaluations = self.start(past, seeds), [], []
        for j in range(steps):
            frame, spent, state = self.step(state, j, seeds)
            frames.append(frame)
            evaluations.append(torch.as_tensor(spent).expand(past.shape[0]))
        return torch.stack(frames, dim=1), torch.stack(evaluations, dim=1), None
