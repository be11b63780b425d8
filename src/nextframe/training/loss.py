"""The blind denoising loss of App. E: plain MSE over a noise level drawn per example."""

from __future__ import annotations

import torch


class BlindDenoisingLoss:
    """MSE between the network's estimate and the clean frame, from a copy with noise std sigma = sigma_max * u^2,
    u ~ U[0, 1] per example ("the square root of the noise level is sampled uniformly between 0 and 1").

    Trained across all levels, the network becomes a blind universal denoiser whose residual is the scaled score
    (Miyasawa/Tweedie). For the prediction-only network the noisy copy is ignored and this is prediction MSE.
    """

    def __init__(self, sigma_max: float = 1.0):
        self.sigma_max = sigma_max

    def noise_levels(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.sigma_max * torch.rand(n, generator=generator).square()

    def __call__(self, net, context: torch.Tensor, clean: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        sigma = self.noise_levels(len(clean), generator).view(-1, 1, 1, 1)
        noise = torch.randn(clean.shape, generator=generator)
        noisy = clean + (sigma * noise).to(clean.device)
        return (net(noisy, context) - clean).square().mean()
