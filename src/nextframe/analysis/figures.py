"""Figures of section 3.1 (matplotlib, Agg backend): probes (figures 3 and 11), decision frequency (figure 4) and
recursive generation (figure 5). Each is written atomically; frames are shown in grey levels 0..1, unsmoothed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from nextframe.files import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _show(ax, frame, title: str = "", color: str | None = None, fontsize: float = 8) -> None:
    ax.imshow(
        np.asarray(frame).reshape(-1, *np.asarray(frame).shape[-2:])[0],
        cmap="gray",
        vmin=0,
        vmax=1,
        interpolation="nearest",
    )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=fontsize)
    if color:
        for spine in ax.spines.values():
            spine.set_edgecolor(color)
            spine.set_linewidth(2)


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    _pyplot().close(fig)
    return Path(path)


def probe_figure(path, probe, found: dict, title: str, samples_shown: int = 8) -> Path:
    """Row 1: the conditioning frames (red), both possible next frames, the one-step estimate (green; for methods
    that have one). Row 2: iterates of one sampler run (the score sampler's) and its result (blue). Row 3: samples
    from other seeds, each with its classification and lens mix. Row 4, where the evidence is given (`fits`): what
    each sample departs from its best two-disk fit by, |sample - fit| (white: a quarter of the range or more), with
    the fit's RMS error: why a sample that looks clean to the eye is called "neither"."""
    plt = _pyplot()
    steps = sorted(found["steps"])
    cols = max(5, len(steps) + 1, min(samples_shown, len(found["frames"])))
    evidence = found.get("fits") is not None
    fig, axes = plt.subplots(3 + evidence, cols, figsize=((1.3 + 0.2 * evidence) * cols, 4.6 + 2.4 * evidence))
    for ax in axes.flat:
        ax.axis("off")
    row = [
        (probe.context[0], "frame t-1", "red"),
        (probe.context[1], "frame t", "red"),
        (found["outcomes"][0], "if left in front", None),
        (found["outcomes"][1], "if right in front", None),
    ]
    if found["estimate"] is not None:  # a method without a one-step estimate leaves the slot empty
        row.append((found["estimate"].clamp(0, 1), f"one-step ({found['one_step_label']})", "green"))
    for ax, (frame, text, color) in zip(axes[0], row):
        ax.axis("on")
        _show(ax, frame, text, color)
    for ax, k in zip(axes[1], steps):
        ax.axis("on")
        _show(ax, found["steps"][k].clamp(0, 1), f"step {k}")
    ax = axes[1][len(steps)]
    ax.axis("on")
    _show(ax, found["frames"][0].clamp(0, 1), f"sample ({found['labels'][0]})", "blue")
    for i, ax in enumerate(axes[2][:samples_shown]):
        if i < len(found["frames"]):
            ax.axis("on")
            mix = found["lens_mix"][i] if evidence else math.nan
            lens = "" if math.isnan(mix) else f"\nmix {mix:.2f} match {found['lens_match'][i]:.2f}"  # NaN: no lens
            _show(ax, found["frames"][i].clamp(0, 1), f"seed +{i}: {found['labels'][i]}{lens}", fontsize=7)
    if evidence:
        for i, ax in enumerate(axes[3][:samples_shown]):
            if i < len(found["frames"]):
                ax.axis("on")
                residual = (found["frames"][i].reshape(found["fits"][i].shape) - found["fits"][i]).abs() * 4
                _show(ax, residual.clamp(0, 1), f"fit rms {found['fit_rms'][i]:.3f}")
        fig.text(
            0.5,
            0.005,
            "Row 3, where the two orders differ (the lens): mix, the chosen order's least-squares share (1: one order; "
            "0.5: a blend);\nmatch, the share of pixels within a quarter contrast of it; decided when both reach 0.75. "
            "Row 4: |sample - its best two-disk fit| x 4, and the fit's RMS error.",
            ha="center",
            fontsize=7,
        )
    fig.suptitle(title, fontsize=10)
    return _save(fig, path)


def decision_figure(
    path, rows: list[dict], fit: dict, title: str, oracle: tuple[list[dict], dict] | None = None
) -> Path:
    """Fraction of decided samples with the right disk in front against the radius difference, the logistic fit, and
    the fraction of samples that showed neither order; the oracle sampler's points and fit beside them if given."""
    from nextframe.analysis.occlusion import logistic

    plt = _pyplot()
    x = np.array([r["difference"] for r in rows])
    p = np.array([r["right_in_front"] for r in rows], np.float64)
    neither = np.array([r["neither"] / r["samples"] for r in rows])
    unambiguous = np.array([r["unambiguous"] for r in rows])
    fig, ax = plt.subplots(figsize=(5.2, 3.8))
    grid = np.linspace(x.min() - 0.25, x.max() + 0.25, 200)
    if oracle is not None:
        o_rows, o_fit = oracle
        ax.plot(
            grid,
            logistic(grid, o_fit),
            color="tab:blue",
            ls="--",
            lw=1,
            label=f"oracle sampler's fit (slope {o_fit['slope']:.2f}/px)",
        )
        ax.scatter(
            [r["difference"] for r in o_rows],
            [r["right_in_front"] for r in o_rows],
            marker="x",
            color="tab:blue",
            zorder=3,
            label="oracle sampler",
        )
    ax.plot(
        grid,
        logistic(grid, fit),
        color="tab:orange",
        label=f"model's logistic fit (slope {fit['slope']:.2f}/px, midpoint {fit['midpoint']:+.2f} px)",
    )
    ax.scatter(x[~unambiguous], p[~unambiguous], color="black", zorder=3, label="model, ambiguous probes")
    ax.scatter(
        x[unambiguous],
        p[unambiguous],
        color="tab:red",
        zorder=3,
        label="model, unambiguous probes (|difference| >= 25% of larger radius)",
    )
    # the bars are another quantity (a share of all samples, not of the decided ones): their own axis, on the right
    bars = ax.twinx()
    bars.bar(x, neither, width=0.3, color="tab:gray", alpha=0.35, label="model samples showing neither order")
    bars.set_ylim(-0.03, 1.03)
    bars.set_ylabel("fraction of all samples showing neither (bars)", color="tab:gray", fontsize=8)
    ax.set_zorder(bars.get_zorder() + 1)  # points and lines over the bars
    ax.patch.set_visible(False)
    ax.set_xlabel("radius difference, right - left (pixels)")
    ax.set_ylabel("decided samples with the right disk in front", fontsize=8)
    ax.set_ylim(-0.03, 1.03)
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = bars.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    ax.set_title(title, fontsize=9)
    return _save(fig, path)


DECISION_COLOURS = {
    "larger": "tab:green",
    "smaller": "tab:red",
    "not two clean disks": "tab:gray",
    "no visible overlap": "tab:blue",
}


def collision_figure(
    path, context, truth, frames, labels: list[str], title: str, windows: int = 6, shown: int = 6
) -> Path:
    """Held-out collision windows, one per row: the two context frames, the true next frame, then samples, each framed
    in the colour of its label (larger in front green, smaller red, not two clean disks grey, no visible overlap blue).

    context (m, 2, 1, H, W), truth (m, 1, H, W), frames (m * S, 1, H, W) with labels in the same order.
    """
    plt = _pyplot()
    m, per = min(windows, len(context)), len(frames) // max(len(context), 1)
    shown = min(shown, per)
    fig, axes = plt.subplots(m, 3 + shown, figsize=(1.1 * (3 + shown), 1.2 * m + 0.6), squeeze=False)
    for i in range(m):
        _show(axes[i, 0], context[i, 0], "context 1" if i == 0 else "")
        _show(axes[i, 1], context[i, 1], "context 2" if i == 0 else "")
        _show(axes[i, 2], truth[i], "true next" if i == 0 else "")
        for j in range(shown):
            k = i * per + j
            _show(axes[i, 3 + j], frames[k], f"sample {j + 1}" if i == 0 else "", DECISION_COLOURS[labels[k]])
    handles = [plt.Line2D([], [], color=c, lw=4, label=name) for name, c in DECISION_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=9)
    fig.subplots_adjust(bottom=0.5 / (1.2 * m + 0.6), top=1 - 0.45 / (1.2 * m + 0.6))
    return _save(fig, path)


def recursive_figure(path, found: dict, examples: int = 3, title: str = "") -> Path:
    """For each example: the truth, recursive sampling and (for a method that has one) recursive one-step estimation,
    context frames first (red); below, the sharpness of every generated frame."""
    plt = _pyplot()
    context, n = found["context"], min(examples, len(found["context"]))
    tau, steps = context.shape[1], found["truth"].shape[1]
    keys = ("truth", "sampled", "estimated") if found["estimated"] is not None else ("truth", "sampled")
    labels = {"truth": "truth", "sampled": "sampling", "estimated": "one-step"}
    rows = len(keys)
    fig = plt.figure(figsize=(0.9 * (tau + steps) + 0.6, 0.95 * rows * n + 2.4))
    grid = fig.add_gridspec(rows * n + 1, tau + steps, height_ratios=[1] * (rows * n) + [2.4])
    for e in range(n):
        for r, key in enumerate(keys):
            frames = torch.cat([context[e], found[key][e].clamp(0, 1)])
            for t, frame in enumerate(frames):
                ax = fig.add_subplot(grid[rows * e + r, t])
                _show(ax, frame, f"t={t + 1}" if e == 0 and r == 0 else "", "red" if t < tau else None)
                if t == 0:
                    ax.set_ylabel(labels[key], fontsize=7)
    ax = fig.add_subplot(grid[rows * n, :])
    frames = np.arange(tau + 1, tau + steps + 1)
    ax.plot(frames, found["sharpness_sampling"], "o-", color="tab:blue", label="recursive sampling")
    if found["sharpness_one_step"] is not None:
        ax.plot(frames, found["sharpness_one_step"], "s-", color="tab:green", label="recursive one-step estimate")
    ax.plot(frames, found["sharpness_truth"], ":", color="black", label="true frames")
    total = len(context)
    ax.set_xticks(frames)  # whole frames, not 3.25
    ax.set_xlabel("frame")
    ax.set_ylabel(f"sharpness, mean of\nall {total} sequences", fontsize=8)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    shown = f"{n} of the {total} sequences shown" if n < total else f"all {total} sequences shown"
    fig.suptitle(f"{title}\n({shown}; the sharpness below is over all {total})" if title else shown, fontsize=10)
    return _save(fig, path)
