"""Sampling next frames from a blind denoiser: iterative partial denoising, one-step estimates, recursive rollouts.

A denoiser is any callable `(noisy (B, C, H, W), context (B, tau*C, H, W)) -> clean estimate (B, C, H, W)`: the
U-Net, an analytic denoiser in a test, or a peer's model. Randomness is per sample: sample i draws all its noise from
its own generator seeded `seeds[i]`, so a sample seeded s is the same whatever else is in its batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from nextframe.errors import NextframeError

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class SampleResult:
    frames: torch.Tensor  # (B, C, H, W) the samples
    evaluations: torch.Tensor  # (B,) network evaluations spent on each sample
    sigmas: list[list[float]] = field(default_factory=list)  # per sample: effective noise level sigma_k per step
    status: list[str] = field(default_factory=list)  # per sample: "converged", "diverged" or "max_steps"
    retries: list[int] = field(default_factory=list)  # per sample: restarts after a divergence (evaluations count all)

    @property
    def diverged(self) -> int:
        """How many samples are still diverged after their retries."""
        return self.status.count("diverged")

    @property
    def retried(self) -> int:
        """How many samples were restarted at least once (each diverged on its first try)."""
        return sum(1 for n in self.retries if n)


def per_sample_seeds(seed: int | Sequence[int], batch: int) -> list[int]:
    """An int seeds sample i with seed + i; a sequence gives each sample its own seed."""
    if isinstance(seed, (int, np.integer)):
        return [int(seed) + i for i in range(batch)]
    seeds = [int(s) for s in seed]
    if len(seeds) != batch:
        raise NextframeError(f"got {len(seeds)} seeds for a batch of {batch}; pass one int or one seed per sample")
    return seeds


def derive_seed(seed: int, *keys: int) -> int:
    """A new seed from a seed and integer keys (for example the frame index of a rollout), independent of the batch."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def _target_shape(context: torch.Tensor, channels: int, shape) -> tuple[int, ...]:
    if shape is not None:
        return tuple(shape)
    if context.ndim != 4:
        raise NextframeError(f"context must be (batch, tau*channels, H, W), got {tuple(context.shape)}")
    return (channels,) + tuple(context.shape[-2:])


def _generators(seed: int | Sequence[int], batch: int) -> list[torch.Generator]:
    """One CPU generator per sample, so a sample's noise depends on its own seed alone (and not on the device)."""
    return [torch.Generator().manual_seed(s) for s in per_sample_seeds(seed, batch)]


def _initial(generators, shape, mean, sigma0, device) -> torch.Tensor:
    return torch.stack([mean + sigma0 * torch.randn(shape, generator=g) for g in generators]).to(device)


RETRY_KEY = 7919  # derive_seed(seed, RETRY_KEY, attempt) seeds a retry: apart from rollout's derive_seed(seed, frame)


@torch.no_grad()
def sample(
    denoiser: Denoiser,
    context: torch.Tensor,  # (B, tau*C, H, W) past frames; (B, 0, H, W) for an unconditional denoiser
    *,
    retries: int = 3,  # restart a diverged sample at most this many times, each from a seed derived from its own
    seed: int | Sequence[int] = 0,  # int (sample i seeded seed + i) or one seed per sample
    callback: Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], None] | None = None,  # (k, ids, y, x_hat); first try only
    **knobs,  # the sampler's settings: see `sample_once`
) -> SampleResult:
    """Iterative partial denoising (`sample_once`), with each diverged sample restarted from a fresh noise image.

    A divergence (the effective noise level growing past `sigma_diverge`) ends in a frame of noise, not a sample, so
    it is retried rather than returned as if it were one. Retry r of sample i is seeded
    derive_seed(seeds[i], RETRY_KEY, r): it depends on that sample's seed alone, so a sample is the same whatever else
    is in its batch. A sample still diverged after `retries` restarts keeps status "diverged".
    """
    if retries < 0:
        raise NextframeError(f"retries must be 0 or more, got {retries}")
    seeds = per_sample_seeds(seed, context.shape[0])
    result = sample_once(denoiser, context, seed=seeds, callback=callback, **knobs)
    result.retries = [0] * len(seeds)
    for attempt in range(1, retries + 1):
        again = [i for i, s in enumerate(result.status) if s == "diverged"]
        if not again:
            break
        redo = sample_once(denoiser, context[again], seed=[derive_seed(seeds[i], RETRY_KEY, attempt) for i in again], **knobs)
        for j, i in enumerate(again):
            result.frames[i] = redo.frames[j]
            result.evaluations[i] += redo.evaluations[j]
            result.sigmas[i] = redo.sigmas[j]
            result.status[i] = redo.status[j]
            result.retries[i] = attempt
    return result


@torch.no_grad()
def sample_once(
    denoiser: Denoiser,
    context: torch.Tensor,  # (B, tau*C, H, W) past frames; (B, 0, H, W) for an unconditional denoiser
    *,
    channels: int = 1,  # channels of the frame to generate
    shape: Sequence[int] | None = None,  # (C, H, W) of the frame to generate; default: channels x context's H, W
    beta: float = 0.5,  # fraction of the noise removed per step that is not injected back (1: no injected noise)
    h0: float = 0.01,  # first step size; h_k = h0 k / (1 + h0 (k - 1)) grows towards 1
    mean: float = 0.5,  # mean of the initial image y_0
    sigma0: float = 1.0,  # standard deviation of the initial noise
    sigma_stop: float = 0.01,  # stop a sample once its effective noise level sigma_k falls below this
    sigma_diverge: float | None = None,  # give up on a sample whose sigma_k exceeds this; default 2 * sigma0 (the lab's
    # guard of 2 for its sigma0 = 1)
    max_steps: int = 1000,  # cap on iterations
    final: str = "denoise",  # "denoise": return x_hat(y) at the last step (free: it was just computed); "noisy": y
    seed: int | Sequence[int] = 0,  # int (sample i seeded seed + i) or one seed per sample
    callback: Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], None] | None = None,  # (k, ids, y, x_hat)
) -> SampleResult:
    """Iterative partial denoising with injected noise (Kadkhodaie & Simoncelli 2021, Alg. 1; Fiquet & Simoncelli 2024,
    eq. 4), one try per sample; `sample` retries the diverged ones."""
    if not 0.0 < beta <= 1.0:
        raise NextframeError(f"beta must lie in (0, 1], got {beta}")
    if final not in ("denoise", "noisy"):
        raise NextframeError(f"final must be 'denoise' or 'noisy', got {final!r}")
    batch, device = context.shape[0], context.device
    shape = _target_shape(context, channels, shape)
    sigma_diverge = 2.0 * sigma0 if sigma_diverge is None else sigma_diverge
    generators = _generators(seed, batch)
    y = _initial(generators, shape, mean, sigma0, device)
    out = torch.empty_like(y)
    evaluations = torch.zeros(batch, dtype=torch.long)
    sigmas: list[list[float]] = [[] for _ in range(batch)]
    status = ["max_steps"] * batch
    active = torch.arange(batch)
    dims = math.prod(shape)
    for k in range(1, max_steps + 1):
        if len(active) == 0:
            break
        h = h0 * k / (1 + h0 * (k - 1))
        y_k = y[active]
        estimate = denoiser(y_k, context[active])
        residual = estimate - y_k
        sigma = residual.flatten(1).norm(dim=1).cpu() / math.sqrt(dims)
        evaluations[active] += 1
        for i, s in zip(active.tolist(), sigma.tolist()):
            sigmas[i].append(s)
        if callback is not None:
            callback(k, active, y_k, estimate)
        converged = sigma <= sigma_stop
        diverged = ~torch.isfinite(sigma) | (sigma > sigma_diverge)
        finished = converged | diverged
        for j in torch.nonzero(finished).flatten().tolist():
            i = int(active[j])
            out[i] = estimate[j] if final == "denoise" else y_k[j]
            status[i] = "converged" if converged[j] else "diverged"
        keep = ~finished
        if not keep.any():
            active = active[keep]
            break
        gamma = sigma[keep] * math.sqrt(max((1 - beta * h) ** 2 - (1 - h) ** 2, 0.0))
        noise = torch.stack([torch.randn(shape, generator=generators[i]) for i in active[keep].tolist()]).to(device)
        gamma = gamma.to(device=device, dtype=y.dtype).view(-1, *[1] * len(shape))
        y[active[keep]] = y_k[keep] + h * residual[keep] + gamma * noise
        active = active[keep]
    if len(active):  # the cap was reached: finish with one full denoising step if asked
        if final == "denoise":
            out[active] = denoiser(y[active], context[active])
            evaluations[active] += 1
        else:
            out[active] = y[active]
    return SampleResult(out, evaluations, sigmas, status)


@torch.no_grad()
def one_step(
    denoiser: Denoiser,
    context: torch.Tensor,
    *,
    channels: int = 1,
    shape: Sequence[int] | None = None,
    mean: float = 0.5,  # the same initial image as `sample` draws
    sigma0: float = 1.0,
    seed: int | Sequence[int] = 0,
) -> torch.Tensor:
    """The one-step estimate: denoise the sampler's initial noise once, an estimate of the posterior mean E[x | c]."""
    shape = _target_shape(context, channels, shape)
    return denoiser(_initial(_generators(seed, context.shape[0]), shape, mean, sigma0, context.device), context)


def one_step_knobs(sampler: dict) -> dict:
    """The `sample` keywords that `one_step` takes too (its initial image), so both start from the same noise."""
    return {k: sampler[k] for k in ("mean", "sigma0") if k in sampler}


def rollout(
    denoiser: Denoiser,
    frames: torch.Tensor,  # (B, T0, C, H, W) conditioning frames, oldest first; T0 >= tau
    steps: int,  # number of future frames to generate
    *,
    tau: int,  # past frames the denoiser takes
    method: str = "sample",  # "sample": iterative partial denoising; "one_step": the one-step estimate
    seed: int | Sequence[int] = 0,  # per-sample seeds; frame j of sample i uses derive_seed(seeds[i], j)
    clamp: bool = True,  # clip each generated frame to [0, 1] before it becomes context, as the training data was
    **kwargs,  # passed to `sample` or `one_step`
) -> tuple[torch.Tensor, list[SampleResult]]:
    """Generate `steps` frames recursively, each conditioned on the last tau frames; returns (B, steps, C, H, W)."""
    if method not in ("sample", "one_step"):
        raise NextframeError(f"method must be 'sample' or 'one_step', got {method!r}")
    if frames.ndim != 5 or frames.shape[1] < tau:
        raise NextframeError(f"rollout needs frames (batch, time >= tau={tau}, C, H, W), got {tuple(frames.shape)}")
    batch, _, c, h, w = frames.shape
    seeds = per_sample_seeds(seed, batch)
    history, results = list(frames.unbind(1)), []
    for j in range(steps):
        context = torch.cat(history[len(history) - tau :], dim=1) if tau else frames.new_zeros(batch, 0, h, w)
        frame_seeds = [derive_seed(s, j) for s in seeds]
        if method == "sample":
            result = sample(denoiser, context, shape=(c, h, w), seed=frame_seeds, **kwargs)
            frame = result.frames
            results.append(result)
        else:
            frame = one_step(denoiser, context, shape=(c, h, w), seed=frame_seeds, **kwargs)
        history.append(frame.clamp(0, 1) if clamp else frame)
    return torch.stack(history[frames.shape[1] :], dim=1), results
