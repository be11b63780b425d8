"""The sampler's quality-cost frontier on exact blind denoisers of Gaussian mixtures (issue 17).

For every sampler setting, on every mixture: the total variation between the frequencies of the modes the samples
reach and the mixture weights (calibration), how far the samples land from their mode, and the median network
evaluations per sample (cost). Writes a table (JSON and markdown) and a plot of calibration against cost, with the
settings on the Pareto frontier marked:

    python benchmarks/sampler_frontier.py --out docs/results/sampler-frontier [--samples 2000 --runs 3]

The mixtures are exact (`nextframe.analysis.mixtures.GaussianMixtureDenoiser`, the MMSE blind denoiser under a
log-uniform prior on the noise level), so a perfect sampler scores TV 0 up to the sampling noise of the frequencies,
which the table states (the TV of as many draws from the weights themselves). Runs on one CPU core in about an hour
at the defaults (3 independent runs of 2,000 samples, pooled: one run of 2,000 leaves a TV noise of about 0.02).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from nextframe.analysis.mixtures import GaussianMixtureDenoiser
from nextframe.sampling import sample


def mixtures() -> list[dict]:
    """Unbalanced weights, 2 to 5 modes, modes far apart and close, 8x8 to 32x32, point masses and spread components."""
    g = torch.Generator().manual_seed(17)
    rand = lambda k, size: torch.rand((k, 1, size, size), generator=g)  # noqa: E731
    return [
        {
            "name": "3 constant images, 8x8",
            "means": torch.stack([torch.full((1, 8, 8), v) for v in (0.2, 0.5, 0.8)]),
            "weights": [0.6, 0.3, 0.1],
            "spread": 0.0,
        },
        {"name": "2 close images, 32x32", "means": 0.45 + 0.1 * rand(2, 32), "weights": [0.8, 0.2], "spread": 0.0},
        {"name": "5 far images, 16x16", "means": rand(5, 16), "weights": [0.35, 0.25, 0.2, 0.15, 0.05], "spread": 0.0},
        {
            "name": "4 spread components, 16x16",
            "means": 0.3 + 0.4 * rand(4, 16),
            "weights": [0.4, 0.3, 0.2, 0.1],
            "spread": 0.05,
        },
        {"name": "2 far images, 32x32", "means": rand(2, 32), "weights": [0.9, 0.1], "spread": 0.0},
    ]


def settings() -> list[dict]:
    """The paper's sampler, the slow calibrated ones of the issue, and the variants: a constant step (sigma shrinks
    geometrically), Heun's correction, a start centred on the one-step estimate, an earlier stop."""
    out = [
        {"label": "paper (ramp, sigma0 1, beta 0.5)", "schedule": "ramp", "h0": 0.01, "sigma0": 1.0, "beta": 0.5},
        {"label": "ramp, sigma0 4, beta 0.25", "schedule": "ramp", "h0": 0.01, "sigma0": 4.0, "beta": 0.25},
        {"label": "ramp, sigma0 4, beta 0.1", "schedule": "ramp", "h0": 0.01, "sigma0": 4.0, "beta": 0.1},
    ]
    for sigma0 in (4.0, 8.0, 16.0, 32.0):
        for beta in (0.5, 0.75, 1.0):
            for h in (0.3, 0.5, 0.7):
                out.append(
                    {
                        "label": f"constant h {h}, sigma0 {sigma0:g}, beta {beta}",
                        "schedule": "constant",
                        "h0": h,
                        "sigma0": sigma0,
                        "beta": beta,
                    }
                )
    for sigma0 in (8.0, 32.0):
        for beta in (0.75, 1.0):
            for h in (0.5, 0.7):
                out.append(
                    {
                        "label": f"constant h {h}, sigma0 {sigma0:g}, beta {beta}, heun",
                        "schedule": "constant",
                        "h0": h,
                        "sigma0": sigma0,
                        "beta": beta,
                        "heun": True,
                    }
                )
    for sigma0 in (4.0, 16.0):
        for beta in (0.5, 0.75):
            out.append(
                {
                    "label": f"constant h 0.5, sigma0 {sigma0:g}, beta {beta}, one-step start",
                    "schedule": "constant",
                    "h0": 0.5,
                    "sigma0": sigma0,
                    "beta": beta,
                    "start": "one_step",
                }
            )
    for sigma0, beta, h in ((8.0, 0.75, 0.3), (16.0, 0.75, 0.5), (32.0, 0.75, 0.5), (32.0, 1.0, 0.5)):
        out.append(
            {
                "label": f"constant h {h}, sigma0 {sigma0:g}, beta {beta}, stop 0.05",
                "schedule": "constant",
                "h0": h,
                "sigma0": sigma0,
                "beta": beta,
                "sigma_stop": 0.05,
            }
        )
    return out


# what a setting leaves out is the sampler's defaults when this table was measured (before the defaults changed):
# pinned, so that the table regenerates the same whatever the defaults become
MEASURED_WITH = {"mean": 0.5, "sigma_stop": 0.01, "final": "denoise", "retries": 3, "start": "mean", "heun": False}
SEED_STRIDE = 10**6  # run r seeds its samples r * SEED_STRIDE + i: runs share no sample (seed + i would overlap)


def measure(mixture: dict, knobs: dict, samples: int, runs: int) -> dict:
    """`runs` independent runs of `samples` samples: the TV of the pooled frequencies, and of each run."""
    means, weights = mixture["means"], torch.tensor(mixture["weights"], dtype=torch.float64)
    weights = weights / weights.sum()
    denoiser = GaussianMixtureDenoiser(
        means, weights, spreads=mixture["spread"], sigma_max=100.0
    )  # prior covers every sigma0
    index, rms, evaluations, status, per_run = [], [], [], [], []
    for r in range(runs):
        result = sample(
            denoiser,
            torch.zeros(samples, 0, *means.shape[-2:]),
            shape=tuple(means.shape[1:]),
            seed=r * SEED_STRIDE,
            **{**MEASURED_WITH, **{k: v for k, v in knobs.items() if k != "label"}},
        )
        i, d = denoiser.nearest(result.frames)
        index.append(i)
        rms.append(d)
        evaluations.append(result.evaluations)
        status += result.status
        per_run.append(
            0.5 * float((torch.bincount(i, minlength=len(weights)).double() / samples - weights).abs().sum())
        )
    index, rms = torch.cat(index), torch.cat(rms)
    freq = torch.bincount(index, minlength=len(weights)).double() / len(index)
    return {
        "tv": 0.5 * float((freq - weights).abs().sum()),
        "tv_runs": [round(t, 4) for t in per_run],
        "frequencies": [round(float(f), 4) for f in freq],
        "median_distance": float(rms.median()),
        "expected_distance": mixture["spread"],
        "median_evaluations": float(torch.cat(evaluations).double().median()),
        "diverged": status.count("diverged"),
        "not_converged": sum(s != "converged" for s in status),
    }


def sampling_noise(weights, samples: int, draws: int = 2000, seed: int = 0) -> float:
    """Median TV of `samples` draws from the weights themselves: what a perfect sampler scores."""
    rng = np.random.default_rng(seed)
    w = np.asarray(weights) / np.sum(weights)
    return float(np.median([0.5 * np.abs(rng.multinomial(samples, w) / samples - w).sum() for _ in range(draws)]))


def frontier(rows: list[dict]) -> list[int]:
    """Indices of the settings no other setting beats on both cost and worst-mixture TV."""
    best = []
    for i, r in enumerate(rows):
        if not any(
            o["evaluations"] <= r["evaluations"]
            and o["worst_tv"] <= r["worst_tv"]
            and (o["evaluations"], o["worst_tv"]) != (r["evaluations"], r["worst_tv"])
            for o in rows
        ):
            best.append(i)
    return best


def plot(path: Path, rows: list[dict], best: list[int], noise: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    kinds = {
        "ramp": ("tab:gray", "o"),
        "constant": ("tab:blue", "o"),
        "heun": ("tab:red", "^"),
        "one_step": ("tab:green", "s"),
        "stop": ("tab:purple", "D"),
    }
    for i, r in enumerate(rows):
        k = r["knobs"]
        kind = (
            "heun"
            if k.get("heun")
            else "one_step"
            if k.get("start") == "one_step"
            else "stop"
            if "sigma_stop" in k
            else k["schedule"]
        )
        color, marker = kinds[kind]
        ax.scatter(
            r["evaluations"],
            r["worst_tv"],
            c=color,
            marker=marker,
            s=60 if i in best else 25,
            edgecolors="black" if i in best else "none",
            zorder=3 if i in best else 2,
        )
    front = sorted((rows[i]["evaluations"], rows[i]["worst_tv"]) for i in best)
    ax.plot(*zip(*front), color="black", lw=0.8, zorder=1, label="Pareto frontier")
    for kind, (color, marker) in kinds.items():
        ax.scatter(
            [],
            [],
            c=color,
            marker=marker,
            label={
                "ramp": "paper's ramp of step sizes",
                "constant": "constant step (sigma geometric)",
                "heun": "constant step + Heun",
                "one_step": "constant step, one-step start",
                "stop": "constant step, stop at sigma 0.05",
            }[kind],
        )
    ax.axhline(0.03, color="tab:orange", ls="--", lw=1, label="target TV 0.03")
    ax.axvline(30, color="tab:orange", ls=":", lw=1, label="target 30 evaluations")
    ax.axhline(noise, color="gray", ls=":", lw=1, label=f"a perfect sampler (sampling noise) {noise:.3f}")
    ax.set_xscale("log")
    ax.set_xlabel("median network evaluations per sample (worst mixture)")
    ax.set_ylabel("total variation, chosen modes vs weights (worst mixture)")
    ax.set_title("sampler calibration against cost on exact mixture denoisers")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default="docs/results/sampler-frontier", help="folder for table.json, table.md and frontier.png"
    )
    parser.add_argument("--samples", type=int, default=2000, help="samples per run, mixture and setting")
    parser.add_argument("--runs", type=int, default=3, help="independent runs pooled per mixture and setting")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    mixes, rows = mixtures(), []
    noise = max(sampling_noise(m["weights"], args.samples * args.runs) for m in mixes)
    for knobs in settings():
        started = time.monotonic()
        per = [measure(m, knobs, args.samples, args.runs) for m in mixes]
        rows.append(
            {
                "label": knobs["label"],
                "knobs": {k: v for k, v in knobs.items() if k != "label"},
                "worst_tv": max(p["tv"] for p in per),
                "mean_tv": float(np.mean([p["tv"] for p in per])),
                "worst_tv_single_run": max(max(p["tv_runs"]) for p in per),
                "evaluations": max(p["median_evaluations"] for p in per),
                "mixtures": per,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
        r = rows[-1]
        print(
            f"{r['label']:55s} worst TV {r['worst_tv']:.3f} mean {r['mean_tv']:.3f}  evaluations {r['evaluations']:5.0f}  "
            f"({r['seconds']} s)",
            flush=True,
        )
    best = frontier(rows)
    for i, r in enumerate(rows):
        r["frontier"] = i in best
    meta = {
        "samples": args.samples,
        "runs": args.runs,
        "seed_stride": SEED_STRIDE,
        "sampling_noise_tv": noise,
        "mixtures": [
            {
                "name": m["name"],
                "weights": m["weights"],
                "spread": m["spread"],
                "shape": list(m["means"].shape[1:]),
                "min_distance": float(torch.pdist(m["means"].flatten(1).double()).min()),
            }
            for m in mixes
        ],
    }
    (out / "table.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    lines = [
        "| setting | worst TV (pooled runs) | mean TV | worst TV of one run | evaluations (median, worst mixture) | "
        "off the mode (median RMS, worst) | frontier |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: r["evaluations"]):
        far = max(p["median_distance"] - p["expected_distance"] for p in r["mixtures"])
        lines.append(
            f"| {r['label']} | {r['worst_tv']:.3f} | {r['mean_tv']:.3f} | {r['worst_tv_single_run']:.3f} | {r['evaluations']:.0f} | "
            f"{far:.4f} | {'yes' if r['frontier'] else ''} |"
        )
    (out / "table.md").write_text("\n".join(lines) + "\n")
    plot(out / "frontier.png", rows, best, noise)
    print(
        f"sampling noise of a perfect sampler (median TV, worst mixture): {noise:.3f}; wrote {out}/table.json, table.md, frontier.png"
    )


if __name__ == "__main__":
    main()
