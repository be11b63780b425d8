"""Frame metrics: PSNR, SSIM, the ensemble CRPS, and a sharpness measure for piecewise-constant scenes.

Frames are tensors (..., C, H, W) with values in [0, `data_range`]; every metric returns one value per frame (the
leading dimensions), so callers choose how to average (per frame, per video, best of k samples).
"""

from __future__ import annotations

import numpy as np
import torch


def psnr(estimate: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """10 log10(range^2 / MSE) per frame, MSE over (C, H, W). Identical frames give +inf."""
    mse = (estimate.double() - target.double()).square().flatten(-3).mean(-1)
    return 10.0 * torch.log10(data_range**2 / mse)


def ssim(estimate: torch.Tensor, target: torch.Tensor, data_range: float = 1.0) -> torch.Tensor:
    """SSIM per frame by scikit-image with Gaussian weights (sigma 1.5) and population covariance: the MCVD protocol.

    scikit-image averages the SSIM map over the pixels at least 5 from the border (its window's half width).
    """
    from skimage.metrics import structural_similarity

    a = estimate.detach().double().cpu().numpy()
    b = target.detach().double().cpu().numpy()
    lead = a.shape[:-3]
    a, b = a.reshape((-1,) + a.shape[-3:]), b.reshape((-1,) + b.shape[-3:])
    values = [
        structural_similarity(
            x, y, data_range=data_range, channel_axis=0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
        for x, y in zip(a, b)
    ]
    return torch.tensor(values, dtype=torch.float64).reshape(lead)


def crps(samples: torch.Tensor, target: torch.Tensor, fair: bool = False) -> torch.Tensor:
    """Ensemble CRPS per frame: per pixel E|X - x| - 0.5 E|X - X'| over the S samples (dim 0), averaged over pixels.

    `fair` uses 1/(S(S-1)) for the second term, which is unbiased for the CRPS of the distribution the samples come
    from; the default 1/S^2 is the CRPS of the empirical distribution of the samples (the form RVD reports).
    Computed from sorted samples in O(S log S): sum_{i,j} |x_i - x_j| = 2 sum_i (2i - S - 1) x_(i), i = 1..S.
    Lower is better; it is in the units of the pixels, so report the scale ([0, 1] or [0, 255]).
    """
    s = samples.shape[0]
    x = samples.double()
    spread_to_truth = (x - target.double()).abs().mean(0)
    ordered, _ = torch.sort(x, dim=0)
    rank = torch.arange(1, s + 1, dtype=torch.float64, device=x.device).view(-1, *[1] * (x.ndim - 1))
    pair_sum = 2.0 * ((2 * rank - s - 1) * ordered).sum(0)
    pair_mean = pair_sum / (s * (s - 1) if fair and s > 1 else s * s)
    return (spread_to_truth - 0.5 * pair_mean).flatten(-3).mean(-1)


def palette_fraction(
    frames: torch.Tensor, levels: torch.Tensor, tol: float = 0.05, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Fraction of pixels within `tol` of one of the scene's luminance levels, per frame: near 1 for a sharp render of
    a piecewise-constant scene (apart from its anti-aliased edges), lower for a blurred or noisy one.

    frames (..., C, H, W); levels (..., L) broadcastable against the leading dimensions; `mask` (C, H, W) or
    broadcastable, True where to count (for example where the objects are, so a flat background does not dominate).
    """
    levels = torch.as_tensor(levels, dtype=frames.dtype, device=frames.device)
    near = (frames.unsqueeze(-1) - levels[..., None, None, None, :]).abs().min(-1).values <= tol  # (..., C, H, W)
    if mask is None:
        return near.flatten(-3).double().mean(-1)
    mask = torch.as_tensor(mask, dtype=torch.bool, device=frames.device).expand_as(near)
    return (near & mask).flatten(-3).double().sum(-1) / mask.flatten(-3).double().sum(-1)


def summarize(values: torch.Tensor) -> dict:
    """Mean, median and count of finite values: the numbers a table reports."""
    v = values.detach().double().flatten().cpu().numpy()
    v = v[np.isfinite(v)]
    return {
        "mean": float(v.mean()) if len(v) else float("nan"),
        "median": float(np.median(v)) if len(v) else float("nan"),
        "n": int(len(v)),
    }
