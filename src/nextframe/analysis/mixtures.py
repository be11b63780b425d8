"""Exact blind denoisers for mixtures of isotropic Gaussians (point masses when the spread is 0).

A blind denoiser does not know the noise level. For a prior p(sigma) on it, the MMSE estimate integrates over the
posterior p(component, sigma | y) (App. B, eq. 18); with "map" the posterior over sigma is replaced by its mode, the
plug-in estimator of App. B. Both are exact up to the quadrature of sigma on a log-spaced grid (a log-uniform prior),
so they serve as ground truth for the sampler: its samples must land on the modes in proportion to their weights.
"""

from __future__ import annotations

import math

import torch


class GaussianMixtureDenoiser:
    """Callable (noisy (B, C, H, W), context) -> E[x | y] for x ~ sum_k w_k N(mean_k, spread_k^2 I), y = x + sigma z."""

    def __init__(
        self,
        means: torch.Tensor,  # (K, C, H, W) component means
        weights: torch.Tensor | None = None,  # (K,) mixture weights (default: equal)
        spreads: torch.Tensor | float = 0.0,  # (K,) or scalar: standard deviation of each component (0: point mass)
        sigma_min: float = 1e-4,  # support of the log-uniform prior on the noise level
        sigma_max: float = 10.0,
        grid: int = 512,  # points of the sigma quadrature
        estimate: str = "posterior",  # "posterior": integrate over sigma; "map": plug in the most probable sigma
    ):
        self.means = means.double()
        k = len(means)
        self.log_weights = torch.log(
            torch.full((k,), 1.0 / k, dtype=torch.float64) if weights is None else weights.double() / weights.sum()
        )
        self.spreads = torch.as_tensor(spreads, dtype=torch.float64).expand(k)
        self.sigmas = torch.logspace(math.log10(sigma_min), math.log10(sigma_max), grid, dtype=torch.float64)
        if estimate not in ("posterior", "map"):
            raise ValueError(f"estimate must be 'posterior' or 'map', got {estimate!r}")
        self.estimate = estimate

    def log_joint(self, noisy: torch.Tensor) -> torch.Tensor:
        """log p(k, sigma_g, y) up to a constant: (B, K, G)."""
        y = noisy.double().flatten(1)
        mu = self.means.flatten(1)
        dims = y.shape[1]
        dist2 = torch.cdist(y, mu).square()  # (B, K)
        var = self.spreads[:, None] ** 2 + self.sigmas[None, :] ** 2  # (K, G)
        return self.log_weights[None, :, None] - 0.5 * dist2[:, :, None] / var[None] - 0.5 * dims * torch.log(var)[None]

    def __call__(self, noisy: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        log_joint = self.log_joint(noisy)
        if self.estimate == "map":  # keep only the most probable noise level of each sample
            best = torch.logsumexp(log_joint, dim=1).argmax(dim=1)  # (B,)
            mask = torch.full_like(log_joint[:, 0], -math.inf)
            mask[torch.arange(len(best)), best] = 0.0
            log_joint = log_joint + mask[:, None, :]
        post = torch.softmax(log_joint.flatten(1), dim=1).view_as(log_joint)  # (B, K, G)
        y = noisy.double().flatten(1)
        mu = self.means.flatten(1)
        shrink = self.spreads[:, None] ** 2 / (self.spreads[:, None] ** 2 + self.sigmas[None, :] ** 2)  # (K, G)
        # E[x | y, k, sigma] = mu_k + shrink_kg (y - mu_k)
        weight_mu = post.sum(dim=2)  # (B, K)
        weight_y = (post * shrink[None]).sum(dim=2)  # (B, K)
        estimate = weight_mu @ mu - weight_y @ mu + weight_y.sum(dim=1, keepdim=True) * y
        return estimate.to(noisy.dtype).view_as(noisy)

    def nearest(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(index of the nearest mean, RMS distance to it) for each frame."""
        dist = torch.cdist(frames.double().flatten(1), self.means.flatten(1)) / math.sqrt(self.means[0].numel())
        rms, index = dist.min(dim=1)
        return index, rms
