"""DDPM and DDIM over any noise-predicting network, for the methods whose network is told the noise level (MCVD,
RVD). Like `sample`, these are plain functions over a callable: `eps(x_t, t) -> predicted noise`, where t (B,) holds
the integer level of each row, 0 the least noisy (the public MCVD code counts the other way: 0 the noisiest).

The forward process: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) e, e ~ N(0, I), t = 0 .. T-1 (Ho et al. 2020).
Sampling visits S of the T levels, evenly spaced and ending at level 0's neighbour; DDPM recomputes the betas for the
levels it visits (beta'_i = 1 - abar_i / abar_{i-1}, the respacing of Nichol & Dhariwal 2021, as MCVD does), and its
last step returns the posterior mean with abar_prev = 1, the x_0 estimate itself: a final denoising step with the
right noise level. DDIM (Song et al. 2021) with eta = 0 is deterministic given x_T. Both clip the x_0 estimate to
the data's range ([-1, 1] unless told) at every step, as the peers' code does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch

from nextframe.errors import NextframeError

NoisePredictor = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def alpha_bars(schedule: str, steps: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """abar_t for t = 0 .. steps-1 (float64): "linear" betas from beta_start to beta_end (DDPM, MCVD), or "cosine"
    (Nichol & Dhariwal 2021, s = 0.008, betas capped at 0.999; RVD)."""
    if int(steps) != steps or steps < 2:
        raise NextframeError(f"diffusion steps must be a whole number of at least 2, got {steps}")
    if schedule == "linear":
        if not 0 < beta_start < beta_end < 1:
            raise NextframeError(f"need 0 < beta_start < beta_end < 1, got {beta_start}, {beta_end}")
        betas = torch.linspace(beta_start, beta_end, steps, dtype=torch.float64)
    elif schedule == "cosine":
        s = 0.008
        f = torch.cos((torch.arange(steps + 1, dtype=torch.float64) / steps + s) / (1 + s) * math.pi / 2) ** 2
        betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    else:
        raise NextframeError(f"noise schedule must be 'linear' or 'cosine', got {schedule!r}")
    return torch.cumprod(1 - betas, 0)


def q_sample(x0: torch.Tensor, t: torch.Tensor, abar: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """x_t of the forward process, for each row's level t (B,)."""
    a = abar.to(x0.device)[t].to(x0.dtype).view(-1, *[1] * (x0.ndim - 1))
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def visited_levels(total: int, steps: int) -> list[int]:
    """S levels of T, evenly spaced, the noisiest T-1 included, descending: e.g. T=1000, S=100 -> 999, 989, ..., 9."""
    if int(steps) != steps or not 1 <= steps <= total:
        raise NextframeError(f"sampling steps must be a whole number from 1 to {total}, got {steps}")
    stride = total / steps
    return [total - 1 - round(i * stride) for i in range(steps)]


def _x0(eps: NoisePredictor, x: torch.Tensor, t: int, abar_t: float, clip: float) -> tuple[torch.Tensor, torch.Tensor]:
    e = eps(x, torch.full((x.shape[0],), t, dtype=torch.long, device=x.device))
    x0 = ((x - math.sqrt(1 - abar_t) * e) / math.sqrt(abar_t)).clamp(-clip, clip)
    return x0, e


def ddpm_sample(
    eps: NoisePredictor,
    shape: Sequence[int],  # (B, C, H, W) of what is generated
    abar: torch.Tensor,  # from alpha_bars
    steps: int,  # levels visited (MCVD: 100 of 1,000)
    generators: Sequence[torch.Generator],  # one per row: x_T and every step's noise of row r come from generators[r]
    device: torch.device | str = "cpu",
    clip: float = 1.0,  # the x_0 estimate is clipped to [-clip, clip]: the range of the data
) -> torch.Tensor:
    """Ancestral sampling over `steps` evenly spaced levels; returns x_0 in [-1, 1]."""
    levels = visited_levels(len(abar), steps)
    x = _row_noise(generators, shape[1:]).to(device)
    for i, t in enumerate(levels):
        a_t = float(abar[t])
        a_prev = float(abar[levels[i + 1]]) if i + 1 < len(levels) else 1.0
        beta = 1 - a_t / a_prev
        x0, _ = _x0(eps, x, t, a_t, clip)
        mean = (math.sqrt(a_prev) * beta / (1 - a_t)) * x0 + (math.sqrt(1 - beta) * (1 - a_prev) / (1 - a_t)) * x
        if i + 1 == len(levels):
            return mean  # a_prev = 1: the mean is the x_0 estimate, no noise is added
        var = beta * (1 - a_prev) / (1 - a_t)
        x = mean + math.sqrt(var) * _row_noise(generators, shape[1:]).to(device)
    return x


def ddim_sample(
    eps: NoisePredictor,
    shape: Sequence[int],
    abar: torch.Tensor,
    steps: int,
    generators: Sequence[torch.Generator],  # draws x_T only: with eta = 0 nothing else is random
    device: torch.device | str = "cpu",
    clip: float = 1.0,  # the x_0 estimate is clipped to [-clip, clip]: the range of the data
) -> torch.Tensor:
    """DDIM with eta = 0 over `steps` evenly spaced levels: deterministic given x_T; returns x_0 in [-1, 1]."""
    levels = visited_levels(len(abar), steps)
    x = _row_noise(generators, shape[1:]).to(device)
    for i, t in enumerate(levels):
        a_t = float(abar[t])
        x0, e = _x0(eps, x, t, a_t, clip)
        if i + 1 == len(levels):
            return x0
        a_prev = float(abar[levels[i + 1]])
        e = (x - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)  # the noise consistent with the clipped x_0
        x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * e
    return x


def _row_noise(generators: Sequence[torch.Generator], shape: Sequence[int]) -> torch.Tensor:
    return torch.stack([torch.randn(tuple(shape), generator=g) for g in generators])
