"""Sampling next frames from a blind denoiser: iterative partial denoising, one-step estimates, recursive rollouts.

A denoiser is any callable `(noisy (B, C, H, W), context (B, tau*C, H, W)) -> clean estimate (B, C, H, W)`: the
U-Net, an analytic denoiser in a test, or a peer's model. Randomness is per sample: sample i draws all its noise from
its own generator seeded `seeds[i]`, so a sample seeded s is the same whatever else is in its batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from nextframe.errors import NextframeError
from nextframe.sampling.settings import SamplerSettings

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
        seeds = [int(seed) + i for i in range(batch)]
    else:
        seeds = [int(s) for s in seed]
        if len(seeds) != batch:
            raise NextframeError(f"got {len(seeds)} seeds for a batch of {batch}; pass one int or one seed per sample")
    if seeds and not (0 <= min(seeds) and max(seeds) < 2**63):
        raise NextframeError(f"seeds must lie in [0, 2^63), got {min(seeds)}..{max(seeds)}; pass a non-negative seed")
    return seeds


def check_context(context, what: str = "context") -> torch.Tensor:
    """A tensor of past frames as the sampler needs it, or an error that says what is wrong: NumPy arrays are taken,
    integer images and 0-255 floats are refused (frames are floats in [0, 1]), as are NaN and infinite pixels."""
    if isinstance(context, np.ndarray):
        context = torch.from_numpy(context)
    if not isinstance(context, torch.Tensor):
        raise NextframeError(f"{what} must be a torch tensor or NumPy array, got {type(context).__name__}")
    if not context.is_floating_point():
        raise NextframeError(
            f"{what} has dtype {context.dtype}; frames are floats in [0, 1] (for 8-bit images: x.float() / 255)"
        )
    if context.numel():
        if not torch.isfinite(context).all():
            raise NextframeError(f"{what} contains NaN or infinite pixels")
        lo, hi = context.min().item(), context.max().item()
        if lo < -1.0 or hi > 2.0:  # a margin for unclamped rollouts; 0-255 images land far outside it
            raise NextframeError(
                f"{what} has values in [{lo:.3g}, {hi:.3g}]; frames are floats in [0, 1] (for 8-bit images: x.float() / 255)"
            )
    return context


def derive_seed(seed: int, *keys: int) -> int:
    """A new seed from a seed and integer keys (for example the frame index of a rollout), independent of the batch."""
    return int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0])


def _target_shape(context: torch.Tensor, channels: int, shape) -> tuple[int, ...]:
    if context.ndim != 4:
        raise NextframeError(
            f"context must be a batch of stacked past frames (batch, tau*channels, H, W), got shape "
            f"{tuple(context.shape)}; for frames (batch, time, channels, H, W) use rollout or flatten(1, 2)"
        )
    if shape is not None:
        return tuple(shape)
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
    context: torch.Tensor,  # (B, tau*C, H, W) past frames in [0, 1]; (B, 0, H, W) for an unconditional denoiser
    *,
    samples: int = 1,  # samples of each context: sample j of context i is row i * samples + j of the result
    channels: int = 1,  # channels of the frame to generate
    shape: Sequence[int] | None = None,  # (C, H, W) of the frame to generate; default: channels x context's H, W
    seed: int | Sequence[int] = 0,  # int (row r seeded seed + r) or one seed per row of the result
    callback: Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], None]
    | None = None,  # (k, ids, y, x_hat); first try only
    **knobs,  # the sampler's settings, `SamplerSettings` (schedule, h0, beta, sigma0, sigma_stop, retries, ...)
) -> SampleResult:
    """Draw probable next frames given past frames, by iterative partial denoising (`sample_once`).

    `denoiser` is any callable (noisy (N, C, H, W), context (N, tau*C, H, W)) -> clean estimate, such as a network
    from `nextframe.load`. Returns a `SampleResult` with `frames` (B * samples, C, H, W), `evaluations` (network calls
    per sample), `sigmas` (the effective noise level of each step), `status` ("converged", "diverged" or "max_steps")
    and `retries` per sample. Example: `nextframe.sample(model, context, samples=8).frames`.

    A divergence (the effective noise level growing past `sigma_diverge`) ends in a frame of noise, not a sample, so
    it is retried rather than returned as if it were one. Retry r of sample i is seeded
    derive_seed(seeds[i], RETRY_KEY, r): it depends on that sample's seed alone, so a sample is the same whatever else
    is in its batch. A sample still diverged after `retries` restarts keeps status "diverged".
    Raises NextframeError for settings or a context that cannot give a sample (uint8 or 0-255 frames, NaN, bad shape).
    """
    SamplerSettings(**knobs)  # refuse bad settings before any work
    context = check_context(context)
    if int(samples) != samples or samples < 1:
        raise NextframeError(f"samples must be a whole number of at least 1, got {samples}")
    if samples > 1:
        context = context.repeat_interleave(int(samples), dim=0)
    return _sample_with_retries(
        denoiser, context, channels=channels, shape=shape, seed=seed, callback=callback, **knobs
    )


def _sample_with_retries(denoiser, context, *, seed, callback=None, channels=1, shape=None, **knobs) -> SampleResult:
    retries = SamplerSettings(**knobs).retries
    seeds = per_sample_seeds(seed, context.shape[0])
    result = sample_once(denoiser, context, channels=channels, shape=shape, seed=seeds, callback=callback, **knobs)
    result.retries = [0] * len(seeds)
    for attempt in range(1, retries + 1):
        again = [i for i, s in enumerate(result.status) if s == "diverged"]
        if not again:
            break
        redo = sample_once(
            denoiser,
            context[again],
            channels=channels,
            shape=shape,
            seed=[derive_seed(seeds[i], RETRY_KEY, attempt) for i in again],
            **knobs,
        )
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
    seed: int | Sequence[int] = 0,  # int (sample i seeded seed + i) or one seed per sample
    callback: Callable[[int, torch.Tensor, torch.Tensor, torch.Tensor], None] | None = None,  # (k, ids, y, x_hat)
    **knobs,  # the sampler's settings, `SamplerSettings` (schedule, h0, beta, sigma0, mean, sigma_stop, ...)
) -> SampleResult:
    """Iterative partial denoising with injected noise (Kadkhodaie & Simoncelli 2021, Alg. 1; Fiquet & Simoncelli 2024,
    eq. 4), one try per sample; `sample` retries the diverged ones. Returns a `SampleResult` (see `sample`).

    Step k: x_hat = denoiser(y), sigma_k = |x_hat - y| / sqrt(N), y <- y + h_k (x_hat - y) + gamma_k z with
    gamma_k^2 = ((1 - beta h_k)^2 - (1 - h_k)^2) sigma_k^2, so that the noise level shrinks by 1 - beta h_k.
    """
    cfg = SamplerSettings(**knobs)
    schedule, h0, beta, mean, sigma0, final, heun = (
        cfg.schedule,
        cfg.h0,
        cfg.beta,
        cfg.mean,
        cfg.sigma0,
        cfg.final,
        cfg.heun,
    )
    batch, device = context.shape[0], context.device
    shape = _target_shape(context, channels, shape)
    sigma_diverge = 2.0 * sigma0 if cfg.sigma_diverge is None else cfg.sigma_diverge
    generators = _generators(seed, batch)
    y = _initial(generators, shape, mean, sigma0, device)
    evaluations = torch.zeros(batch, dtype=torch.long)
    if cfg.start == "one_step":  # the same noise again, around the estimate of E[x | c] instead of a constant
        y = denoiser(y, context) + (y - mean)
        evaluations += 1
    out = torch.empty_like(y)
    sigmas: list[list[float]] = [[] for _ in range(batch)]
    status = ["max_steps"] * batch
    active = torch.arange(batch)
    dims = math.prod(shape)
    for k in range(1, cfg.max_steps + 1):
        if len(active) == 0:
            break
        h = h0 if schedule == "constant" else h0 * k / (1 + h0 * (k - 1))
        y_k = y[active]
        estimate = denoiser(y_k, context[active])
        residual = estimate - y_k
        sigma = residual.flatten(1).norm(dim=1).cpu() / math.sqrt(dims)
        evaluations[active] += 1
        for i, s in zip(active.tolist(), sigma.tolist()):
            sigmas[i].append(s)
        if callback is not None:
            callback(k, active, y_k, estimate)
        converged = sigma <= cfg.sigma_stop
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
        if cfg.late_beta is not None:  # a beta schedule in sigma_k: anneal at late_beta below late_sigma
            late = sigma[keep] < cfg.late_sigma
            gamma[late] = sigma[keep][late] * math.sqrt(max((1 - cfg.late_beta * h) ** 2 - (1 - h) ** 2, 0.0))
        noise = torch.stack([torch.randn(shape, generator=generators[i]) for i in active[keep].tolist()]).to(device)
        gamma = gamma.to(device=device, dtype=y.dtype).view(-1, *[1] * len(shape))
        step = h * residual[keep]
        if heun and h < 1:  # the probability-flow ODE from sigma to (1 - h) sigma, trapezoidal: dy/dsigma = -f / sigma
            ahead = y_k[keep] + step
            step = 0.5 * h * (residual[keep] + (denoiser(ahead, context[active[keep]]) - ahead) / (1 - h))
            evaluations[active[keep]] += 1
        y[active[keep]] = y_k[keep] + step + gamma * noise
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
    seed: int | Sequence[int] = 0,
    **knobs,  # the sampler's settings: the estimate starts from the initial image `sample` draws (mean, sigma0)
) -> torch.Tensor:
    """The one-step estimate: denoise the sampler's initial noise once, an estimate of the posterior mean E[x | c]
    (the blurry average of the probable next frames). `context` (B, tau*C, H, W) in [0, 1]; returns (B, C, H, W)."""
    cfg = SamplerSettings(**knobs)
    context = check_context(context)
    shape = _target_shape(context, channels, shape)
    return denoiser(_initial(_generators(seed, context.shape[0]), shape, cfg.mean, cfg.sigma0, context.device), context)


def rollout(
    denoiser: Denoiser,
    frames: torch.Tensor,  # (B, T0, C, H, W) conditioning frames in [0, 1], oldest first; T0 >= tau
    steps: int,  # number of future frames to generate
    *,
    tau: int | None = None,  # past frames the denoiser takes; default: the network's own (`denoiser.config.tau`)
    samples: int = 1,  # sequences to generate from each of the B contexts: row i * samples + j is sample j of context i
    method: str = "sample",  # "sample": iterative partial denoising; "one_step": the one-step estimate
    seed: int | Sequence[int] = 0,  # per-row seeds; frame j of row r uses derive_seed(seeds[r], j)
    clamp: bool = True,  # clip each generated frame to [0, 1] before it becomes context, as the training data was
    **kwargs,  # the sampler's settings (`SamplerSettings`), for `sample` or `one_step`
) -> tuple[torch.Tensor, list[SampleResult]]:
    """Generate `steps` future frames recursively, each conditioned on the last tau frames (generated ones included).

    Returns (future, results): future is (B * samples, steps, C, H, W); results holds one `SampleResult` per generated
    frame (empty for method="one_step"), with each sample's status, retries and network evaluations.
    Example: `future, results = nextframe.rollout(model, past, 9, samples=4)`.
    """
    if method not in ("sample", "one_step"):
        raise NextframeError(f"method must be 'sample' or 'one_step', got {method!r}")
    if tau is None:
        tau = getattr(getattr(denoiser, "config", None), "tau", None)
        if tau is None:
            raise NextframeError("this denoiser does not say how many past frames it takes; pass tau=")
    frames = check_context(frames, "frames")
    if int(steps) != steps or steps < 1:
        raise NextframeError(f"steps (future frames) must be a whole number of at least 1, got {steps}")
    if frames.ndim != 5 or frames.shape[1] < tau:
        raise NextframeError(f"rollout needs frames (batch, time >= tau={tau}, C, H, W), got {tuple(frames.shape)}")
    if int(samples) != samples or samples < 1:
        raise NextframeError(f"samples must be a whole number of at least 1, got {samples}")
    if samples > 1:
        frames = frames.repeat_interleave(int(samples), dim=0)
    SamplerSettings(**kwargs)  # refuse bad settings before the first frame
    batch, _, c, h, w = frames.shape
    seeds = per_sample_seeds(seed, batch)
    history, results = list(frames.unbind(1)), []
    for j in range(steps):
        context = torch.cat(history[len(history) - tau :], dim=1) if tau else frames.new_zeros(batch, 0, h, w)
        frame_seeds = [derive_seed(s, j) for s in seeds]
        if method == "sample":
            result = _sample_with_retries(denoiser, context, shape=(c, h, w), seed=frame_seeds, **kwargs)
            frame = result.frames
            results.append(result)
        else:
            frame = one_step(denoiser, context, shape=(c, h, w), seed=frame_seeds, **kwargs)
        history.append(frame.clamp(0, 1) if clamp else frame)
    return torch.stack(history[frames.shape[1] :], dim=1), results
