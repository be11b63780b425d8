"""Local linear analysis of a bias-free denoiser (section 3.2, eq. 5 and 7; figures 7 and 8).

A bias-free ReLU network is piecewise linear and homogeneous, so at any input it *is* a linear map of that input:
x_hat(y, c) = J_y y + J_c c, with J_y and J_c the input-output Jacobians with respect to the noisy frame y and the
past frames c. A row of [J_c, J_y] is the adaptive filter that computes one output pixel (figure 7); the two terms
x_hat_y = J_y y and x_hat_c = J_c c are what the observation alone and the past alone contribute (eq. 5), and
||x - x_hat||^2 = ||x - x_hat_c||^2 + ||x - x_hat_y||^2 - ||x||^2 + 2 <x_hat_y, x_hat_c> (eq. 7).
Everything here takes any denoiser callable (noisy, context) -> estimate; models must be in evaluation mode.
"""

from __future__ import annotations

import numpy as np
import torch

from nextframe.metrics import psnr


def decompose(denoiser, noisy: torch.Tensor, context: torch.Tensor) -> dict[str, torch.Tensor]:
    """x_hat, x_hat_y = J_y y and x_hat_c = J_c c for a batch, by forward-mode differentiation (two JVPs)."""
    from torch.func import jvp

    noisy, context = noisy.detach().float(), context.detach().float()
    estimate, from_noisy = jvp(denoiser, (noisy, context), (noisy, torch.zeros_like(context)))
    _, from_context = jvp(denoiser, (noisy, context), (torch.zeros_like(noisy), context))
    return {"estimate": estimate.detach(), "from_noisy": from_noisy.detach(), "from_context": from_context.detach()}


def filter_row(
    denoiser, noisy: torch.Tensor, context: torch.Tensor, pixel: tuple[int, int], channel: int = 0
) -> dict[str, torch.Tensor]:
    """The adaptive filter of one output pixel of a single example: d x_hat[pixel] / d (context, noisy).

    Returns weights shaped like the inputs: "context" (tau*C, H, W) and "noisy" (C, H, W).
    """
    noisy = noisy.detach().float()[:1].clone().requires_grad_(True)
    context = context.detach().float()[:1].clone().requires_grad_(True)
    out = denoiser(noisy, context)
    grad_noisy, grad_context = torch.autograd.grad(
        out[0, channel, pixel[0], pixel[1]], (noisy, context), allow_unused=True
    )
    if grad_noisy is None:  # a prediction-only network ignores its noisy input
        grad_noisy = torch.zeros_like(noisy)
    return {"context": grad_context[0].detach(), "noisy": grad_noisy[0].detach()}


def centre_of_mass(weights: torch.Tensor, radius: int = 4) -> tuple[float, float]:
    """(row, column) centre of mass of |weights| within `radius` pixels of the largest |weight| of a 2-D filter.

    Magnitudes, because a filter that extrapolates in time puts negative weight on older frames; a window around the
    peak, because small diffuse weights spread over the whole frame would pull the centre toward the frame's middle.
    """
    w = weights.abs().double()
    if float(w.max()) <= 0:
        return float("nan"), float("nan")
    peak_row, peak_col = divmod(int(w.argmax()), w.shape[1])
    top, left = max(peak_row - radius, 0), max(peak_col - radius, 0)
    w = w[top : peak_row + radius + 1, left : peak_col + radius + 1]
    rows, cols = torch.meshgrid(
        torch.arange(w.shape[0], dtype=torch.float64) + top,
        torch.arange(w.shape[1], dtype=torch.float64) + left,
        indexing="ij",
    )
    return float((w * rows).sum() / w.sum()), float((w * cols).sum() / w.sum())


def filter_displacements(row: dict[str, torch.Tensor], pixel: tuple[int, int], tau: int, radius: int = 4) -> list[dict]:
    """For each past frame (oldest first), where its filter weights sit relative to the output pixel, in pixels.

    For content translating by v pixels per frame, the next frame's pixel p comes from p - k v in the frame k steps
    before it, so the displacement on past frame t+1-k should be -k v.
    """
    channels = row["context"].shape[0] // tau
    shifts = []
    for t in range(tau):
        weights = row["context"][t * channels : (t + 1) * channels].sum(dim=0)
        r, c = centre_of_mass(weights, radius)
        shifts.append(
            {"frames_back": tau - t, "rows": r - pixel[0], "cols": c - pixel[1], "weight_sum": float(weights.sum())}
        )
    return shifts


def cue_combination(denoiser, context: torch.Tensor, clean: torch.Tensor, input_psnrs, seed: int = 0) -> list[dict]:
    """Eq. 5 and 7 on one sequence across noise levels: PSNR of x_hat, of x_hat_y alone and of x_hat_c alone.

    Each row also checks the decomposition: the largest |x_hat - x_hat_y - x_hat_c| and the eq. 7 partition error.
    """
    from nextframe.evaluation.denoising import sigma_for_psnr

    noise = torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
    rows = []
    for level in input_psnrs:
        noisy = clean + sigma_for_psnr(level) * noise
        parts = decompose(denoiser, noisy, context)
        x, full, y_part, c_part = (
            clean.double(),
            parts["estimate"].double(),
            parts["from_noisy"].double(),
            parts["from_context"].double(),
        )
        partition = (
            (x - c_part).square().sum() + (x - y_part).square().sum() - x.square().sum() + 2 * (y_part * c_part).sum()
        )
        rows.append(
            {
                "input_psnr": float(psnr(noisy, clean).mean()),
                "psnr": float(psnr(parts["estimate"], clean).mean()),
                "psnr_observation_only": float(psnr(parts["from_noisy"], clean).mean()),
                "psnr_conditioning_only": float(psnr(parts["from_context"], clean).mean()),
                "linearity_error": float((full - y_part - c_part).abs().max()),
                "partition_error": float(((x - full).square().sum() - partition).abs() / x.square().sum()),
            }
        )
    return rows


def crossover(rows: list[dict]) -> float | None:
    """Input PSNR where the observation-only curve first rises above the conditioning-only one (linear interpolation);
    None when they do not cross in the range."""
    x = np.array([r["input_psnr"] for r in rows])
    gap = np.array([r["psnr_observation_only"] - r["psnr_conditioning_only"] for r in rows])
    order = np.argsort(x)
    x, gap = x[order], gap[order]
    for i in range(len(x) - 1):
        if gap[i] < 0 <= gap[i + 1]:
            return float(x[i] - gap[i] * (x[i + 1] - x[i]) / (gap[i + 1] - gap[i]))
    return None
