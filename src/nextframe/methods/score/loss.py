"""The blind denoising loss of App. E: plain MSE over a noise level drawn per example."""

from __future__ import annotations

import math

import torch


class BlindDenoisingLoss:
    """MSE between the network's estimate and the clean frame, from a copy with noise std sigma = sigma_max * u^2,
    u ~ U[0, 1] per example ("the square root of the noise level is sampled uniformly between 0 and 1"); another
    `noise_power` moves examples along the range (1: sigma itself uniform).

    Trained across all levels, the network becomes a blind universal denoiser whose residual is the scaled score
    (Miyasawa/Tweedie). For the prediction-only network the noisy copy is ignored and this is prediction MSE.

    A share `tail_share` of the examples may instead take sigma log-uniform in [sigma_max, tail_sigma]: a network
    trained only up to sigma_max extrapolates badly above it (figure 6 starts at -10 dB, sigma = 3.2), while moving
    sigma_max itself up thins out the low noise levels that the high-PSNR end of the curves needs.

    `sigma_weighting` s0 > 0 weighs each example's error by 1 / (sigma + s0), normalised to mean 1 over the batch
    (EDM's point: a loss weight per noise level). Under plain MSE the low noise levels get little gradient, their errors
    being about a tenth of those at sigma 1, and the network keeps a floor there (on Moving Leaves it blends the disks
    of a frame that already shows the order). The noise level is all but certain from a whole noisy frame, so a weight
    that depends only on it leaves the minimiser at each level, E[clean | noisy, context], where it is. Measured on
    Moving Leaves it raises that floor but does not change the occlusion decisions (docs/design.md).
    """

    def __init__(
        self,
        sigma_max: float = 1.0,
        tail_sigma: float = 0.0,
        tail_share: float = 0.0,
        noise_power: float = 2.0,
        sigma_weighting: float = 0.0,
    ):
        self.sigma_max = sigma_max
        self.noise_power = noise_power  # sigma = sigma_max * u^power; 2 is App. E, 1 spends more examples at high noise
        self.tail_sigma = tail_sigma  # top of the log-uniform tail (0: no tail)
        self.tail_share = tail_share  # share of examples drawn from the tail
        self.sigma_weighting = sigma_weighting  # s0 of the weight 1 / (sigma + s0) per example (0: plain MSE)

    def noise_levels(self, n: int, generator: torch.Generator) -> torch.Tensor:
        u = torch.rand(n, generator=generator)
        sigma = self.sigma_max * (u.square() if self.noise_power == 2 else u.pow(self.noise_power))
        if self.tail_share > 0:  # drawn only here, so runs without a tail keep their exact noise
            in_tail = torch.rand(n, generator=generator) < self.tail_share
            span = math.log(self.tail_sigma / self.sigma_max)
            tail = self.sigma_max * torch.exp(span * torch.rand(n, generator=generator))
            sigma = torch.where(in_tail, tail, sigma)
        return sigma

    def noisy_copy(self, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """`clean` with Gaussian noise of a level drawn per example (the generator lives on the CPU)."""
        return self._noisy(clean, generator)[0]

    def _noisy(self, clean: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        sigma = self.noise_levels(len(clean), generator).view(-1, 1, 1, 1)
        noise = torch.randn(clean.shape, generator=generator)
        return clean + (sigma * noise).to(clean.device), sigma.to(clean.device)

    def __call__(
        self, net, context: torch.Tensor, clean: torch.Tensor, generator: torch.Generator, weight=None
    ) -> torch.Tensor:
        """`weight` (B, 1, H, W), optional: per-pixel weights read from the context only (`--lens-weight`), which
        leave the minimiser, E[clean | noisy, context] at each pixel, where it is."""
        noisy, sigma = self._noisy(clean, generator)
        error = (net(noisy, context) - clean).square()
        if self.sigma_weighting > 0:
            per_example = 1.0 / (sigma + self.sigma_weighting)
            error = error * (per_example / per_example.mean())
        return error.mean() if weight is None else (error * weight).mean()
