"""Figures of section 3.2 and App. B (matplotlib, Agg backend): PSNR curves (figure 6), adaptive filters (figure 7),
cue combination (figure 8) and the bimodal illustration (figures 9 and 10). Each is written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from nextframe.analysis.figures import _pyplot
from nextframe.files import atomic_path


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
    fig.suptitle(
        "Figure 9: two point masses at -1/2 and 1/2, blurred by noise of growing sigma, and the optimal step",
        fontsize=10,
    )
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


def _frame(ax, frame, title: str = "", vmin: float = 0.0, vmax: float = 1.0, cmap: str = "gray") -> None:
    image = np.asarray(frame, np.float32).reshape(-1, *np.asarray(frame).shape[-2:])[0]
    ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def psnr_curve_figure(path: Path, curves: dict, panel: dict, title: str) -> Path:
    """Figure 6: output against input PSNR per memory length, with the reference lines, and an example at 0 dB."""
    plt = _pyplot()
    names = list(panel["estimates"])
    tau = panel["context"].shape[0]
    fig = plt.figure(figsize=(12, 5))
    grid = fig.add_gridspec(2, 1 + max(tau + 2, len(names)), width_ratios=[3.2] + [1] * max(tau + 2, len(names)))
    ax = fig.add_subplot(grid[:, 0])
    colors = {}
    lo = min(min(c["input_psnr"]) for c in curves.values())
    hi = max(max(c["input_psnr"]) for c in curves.values())
    line = np.array([lo, hi])
    ax.plot(line, line, "k--", lw=0.8, label="identity")
    for name, curve in curves.items():
        if curve.get("reference"):
            ax.plot(curve["input_psnr"], curve["output_psnr"], color="grey", lw=1.0, label=name)
            continue
        if curve["prediction_only"]:
            ax.axhline(
                np.mean(curve["output_psnr"]),
                color="black",
                ls=":",
                lw=1.2,
                label=f"{name}: {np.mean(curve['output_psnr']):.1f} dB",
            )
            continue
        (drawn,) = ax.plot(curve["input_psnr"], curve["output_psnr"], marker="o", ms=3, label=name)
        colors[name] = drawn.get_color()
    tau0 = next(
        (c for c in curves.values() if c["tau"] == 0 and not c["prediction_only"] and not c.get("reference")), None
    )
    if tau0 is not None:  # slope one half through the single-image denoiser's value at 20 dB
        anchor = float(np.interp(20.0, tau0["input_psnr"], tau0["output_psnr"]))
        ax.plot(line, anchor + 0.5 * (line - 20.0), color="grey", ls="-.", lw=0.8, label="slope 1/2")
    ax.set_xlabel("input PSNR (dB)")
    ax.set_ylabel("output PSNR (dB)")
    ax.set_ylim(min(lo, 0) - 2, hi + 8)
    ax.legend(fontsize=7, loc="upper left")
    ax.grid(alpha=0.3)
    for t in range(tau):
        _frame(
            fig.add_subplot(grid[0, 1 + t]), panel["context"][t], f"past t-{tau - 1 - t}" if tau - 1 - t else "past t"
        )
    _frame(fig.add_subplot(grid[0, 1 + tau]), panel["noisy"].clamp(0, 1), f"noisy {panel['input_psnr']:.1f} dB")
    _frame(fig.add_subplot(grid[0, 2 + tau]), panel["clean"], "true next")
    for j, name in enumerate(names):
        est = panel["estimates"][name]
        _frame(fig.add_subplot(grid[1, 1 + j]), est["frame"].clamp(0, 1), f"{name}\n{est['psnr']:.1f} dB")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def filter_figure(path: Path, rows: list[dict], title: str) -> Path:
    """Figure 7: for each translating probe, the frames and the adaptive filter of the central pixel on each input."""
    plt = _pyplot()
    tau = rows[0]["filter"]["context"].shape[0]
    cols = 2 * tau + 4  # past frames, noisy, estimate; a filter per input; the velocity
    fig, axes = plt.subplots(len(rows), cols, figsize=(1.35 * cols, 1.6 * len(rows)), squeeze=False)
    for r, row in enumerate(rows):
        weights = torch.cat([row["filter"]["context"], row["filter"]["noisy"]])
        scale = float(weights.abs().max()) or 1.0
        for t in range(tau):
            _frame(axes[r, t], row["frames"][t], f"past {t - tau + 1}" if t < tau - 1 else "past 0")
        _frame(axes[r, tau], row["noisy"].clamp(0, 1), f"noisy {row['input_psnr']:.0f} dB")
        _frame(axes[r, tau + 1], row["estimate"].clamp(0, 1), f"estimate {row['output_psnr']:.1f} dB")
        for t in range(tau + 1):
            shift = row["displacements"][t] if t < tau else None
            label = (
                f"filter, past {t - tau + 1 if t < tau - 1 else 0}\nshift {shift['rows']:+.1f},{shift['cols']:+.1f}"
                if shift
                else "filter, noisy"
            )
            _frame(axes[r, tau + 2 + t], weights[t], label, vmin=-scale, vmax=scale, cmap="RdBu_r")
            axes[r, tau + 2 + t].plot(row["pixel"][1], row["pixel"][0], "k+", ms=6)
        axes[r, -1].axis("off")
        axes[r, -1].text(
            0,
            0.5,
            f"velocity\n{row['velocity'][0]:+d}, {row['velocity'][1]:+d} px/frame\n(rows, cols)",
            fontsize=8,
            va="center",
        )
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def cue_figure(path: Path, found: dict, probes: dict, title: str) -> Path:
    """Figure 8: per probe, PSNR of the full estimate and of its observation-only and conditioning-only parts."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(found), 2, figsize=(8, 2.8 * len(found)), squeeze=False, gridspec_kw={"width_ratios": [1, 3]}
    )
    for r, (name, result) in enumerate(found.items()):
        frames = probes[name]
        _frame(axes[r, 0], torch.cat(list(frames[:, 0]), dim=1), name)
        x = [row["input_psnr"] for row in result["rows"]]
        ax = axes[r, 1]
        ax.plot(x, x, "k--", lw=0.7)
        ax.plot(x, [row["psnr"] for row in result["rows"]], color="tab:green", label="x_hat (both)")
        ax.plot(
            x, [row["psnr_observation_only"] for row in result["rows"]], color="tab:orange", label="J_y y (observation)"
        )
        ax.plot(
            x, [row["psnr_conditioning_only"] for row in result["rows"]], color="tab:blue", label="J_c c (past frames)"
        )
        cross = result["crossover_psnr"]
        if cross is not None:
            ax.axvline(cross, color="grey", ls=":", lw=1)
        ax.set_title(
            f"{name}: cross at {cross:.1f} dB" if cross is not None else f"{name}: no cross in range", fontsize=9
        )
        ax.set_ylabel("output PSNR (dB)")
        ax.grid(alpha=0.3)
        if r == 0:
            ax.legend(fontsize=7)
    axes[-1, 1].set_xlabel("input PSNR (dB)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path
