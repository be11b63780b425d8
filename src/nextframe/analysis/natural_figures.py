"""Figures of section 3.2 and App. B (matplotlib, Agg backend): the bimodal illustration (figures 9 and 10).
Each is written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from nextframe.analysis.figures import _pyplot
from nextframe.data.frames_io import atomic_path


def _save(fig, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    _pyplot().close(fig)


def bimodal_figures(out: Path, found: dict) -> tuple[Path, Path]:
    """Figure 9 (smoothed densities and optimal steps by noise level) and figure 10 (blind residual, trajectories)."""
    plt = _pyplot()
    y, sigmas = found["y"], found["sigmas"]
    fig, axes = plt.subplots(2, len(sigmas), figsize=(2.6 * len(sigmas), 4.8), sharex=True, sharey="row")
    for j, sigma in enumerate(sigmas):
        axes[0, j].plot(y, found["densities"][j], color="black")
        axes[0, j].set_title(f"sigma = {sigma:g}", fontsize=9)
        axes[1, j].plot(y, found["optimal_steps"][j], color="tab:blue")
        axes[1, j].axhline(0, color="grey", lw=0.5)
        for ax in axes[:, j]:
            for m in (-0.5, 0.5):
                ax.axvline(m, color="grey", ls="--", lw=0.7)
    axes[0, 0].set_ylabel("p_sigma(y)")
    axes[1, 0].set_ylabel("E[x|y] - y = sigma^2 score")
    for ax in axes[1]:
        ax.set_xlabel("y")
    fig.suptitle("Figure 9: two point masses at -1/2 and 1/2, blurred by noise of growing sigma, and the optimal step", fontsize=10)
    fig.tight_layout()
    first = out / "bimodal_scores.png"
    _save(fig, first)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.plot(y, found["residual_map"], color="tab:orange", label="MAP plug-in sigma")
    left.plot(y, found["residual_posterior"], color="tab:blue", ls=":", label="integrated over sigma (eq. 18)")
    left.axhline(0, color="grey", lw=0.5)
    for point in found["fixed_points_map"]:
        left.plot(point["y"], 0, "o", color="black", fillstyle="full" if point["stable"] else "none", ms=7)
    left.set_xlabel("y")
    left.set_ylabel("f(y) = x_hat(y) - y")
    left.set_title("blind denoiser residual: filled = stable, open = unstable", fontsize=9)
    left.legend(fontsize=8)
    for start, path in found["trajectories"].items():
        right.plot(np.arange(len(path)), path, marker=".", label=f"y0 = {start:g} -> {path[-1]:+.3f}")
    for m in (-0.5, 0.5):
        right.axhline(m, color="grey", ls="--", lw=0.7)
    right.set_xlabel("iteration k")
    right.set_ylabel("y_k")
    right.set_title(f"y_k = y_(k-1) + {found['alpha']:g} f(y_(k-1)) (beta = 1)", fontsize=9)
    right.legend(fontsize=8)
    fig.suptitle("Figure 10: sampling the two masses by iterative partial denoising", fontsize=10)
    fig.tight_layout()
    second = out / "bimodal_sampling.png"
    _save(fig, second)
    return first, second
