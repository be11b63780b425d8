"""Why a score model's samples on Moving Leaves collision windows are not clean (issue 29, item 1), measured against
the oracle, whose conditional law of the next frame is known (`analysis.decisions.oracle_frames`).

1. The denoiser against the exact one. At each noise level sigma, the truth's next frame plus noise goes through the
   network and through the oracle's posterior mean E[x | y, context], computed by self-normalised importance
   sampling over `--draws` oracle frames of the same window (weights exp(-|y - x_i|^2 / 2 sigma^2)); the effective
   sample size says where that answer can be trusted (at small sigma few draws lie near y and it degrades to the
   nearest draw). Printed: PSNR against the truth of the network and of the oracle's mean, and the network's distance
   to the oracle's mean, on the collision windows' lens pixels (where the two depth orders differ) and on the frame.
2. The sampler: the instrument's shares (larger / smaller / not clean, median lens mix) with the library's default
   sampler, with its final denoising step removed (`final="noisy"`), stopping later and earlier, with finer steps,
   with less noise injected, and with the paper's sampler.
3. What training gave each noise level: the share of training examples below each sigma, from the settings the
   weights record (the weight average is reported too: a model without one has nothing to gain from it here).

    python benchmarks/unclean_samples.py --model leaves-tau2 --windows 32 --samples 8 --out runs/unclean.json
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from nextframe.analysis.decisions import heldout_collisions, lens_of, oracle_frames, render_disks
from nextframe.analysis.occlusion import collision_decisions
from nextframe.data.leaves import LeavesConfig
from nextframe.metrics import psnr
from nextframe.sampling import PAPER

SIGMAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
SAMPLERS = {  # name -> sampler settings changed from the library's default
    "default": {},
    "no final denoising step": {"final": "noisy"},
    "stop at sigma 0.02": {"sigma_stop": 0.02},
    "stop at sigma 0.1": {"sigma_stop": 0.1},
    "stop at 0.01, no final step": {"sigma_stop": 0.01, "final": "noisy"},
    "finer steps (h0 0.1)": {"h0": 0.1},
    "less noise added (beta 0.25)": {"beta": 0.25},
    "the paper's sampler": PAPER.knobs(),
}


def oracle_posterior_mean(noisy: torch.Tensor, draws: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor]:
    """E[x | y] over the oracle's draws (m, N, H, W) for noisy frames (m, H, W), and the effective sample size (m,)."""
    logw = -(draws - noisy[:, None]).square().sum((-2, -1)) / (2 * sigma**2)
    w = torch.softmax(logw.double(), dim=1)
    return (w[:, :, None, None] * draws.double()).sum(1).float(), 1.0 / w.square().sum(1)


def true_lens(window: dict, size: int) -> torch.Tensor:
    """(m, H, W) the lens (`decisions.lens_of`) at the true next positions: where the decision shows."""
    c = torch.from_numpy(window["next"].astype(np.float32))
    r, lum = torch.from_numpy(window["radii"]), torch.from_numpy(window["luminance"])
    return lens_of(torch.stack([render_disks(c, r, lum, o, size) for o in range(2)], dim=1), lum)


def masked_psnr(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> float:
    mse = ((a - b).square() * mask).sum() / mask.sum().clamp(min=1)
    return float(10 * torch.log10(1 / mse))


def denoiser_against_oracle(model, context, truth, window, draws: int, seed: int) -> list[dict]:
    m, size = len(context), context.shape[-1]
    clean = truth[:, 0]
    flat = context.reshape(m, -1, size, size)
    cfg = LeavesConfig.for_size(size)
    oracle = oracle_frames(window["past"], window["radii"], window["luminance"], draws, seed, size, cfg)[:, :, 0]
    lens = true_lens(window, size).float()
    rows = []
    for sigma in SIGMAS:
        noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            net = model(noisy[:, None], flat)[:, 0]
        best, ess = oracle_posterior_mean(noisy, oracle, sigma)
        rows.append(
            {
                "sigma": sigma,
                "input_psnr": float(psnr(noisy, clean).mean()),
                "network_psnr": float(psnr(net, clean).mean()),
                "oracle_psnr": float(psnr(best, clean).mean()),
                "network_to_oracle_psnr": float(psnr(net, best).mean()),
                "input_lens_psnr": masked_psnr(noisy, clean, lens),
                "network_lens_psnr": masked_psnr(net, clean, lens),
                "oracle_lens_psnr": masked_psnr(best, clean, lens),
                "median_ess": float(ess.median()),
            }
        )
    return rows


def sampler_variants(model, context, window, samples: int, seed: int) -> dict:
    found = {}
    for name, knobs in SAMPLERS.items():
        r = collision_decisions(model, context, window, samples, seed, **knobs)["report"]
        found[name] = {k: r[k] for k in ("larger_share", "smaller_share", "not_two_clean_disks_share")}
        found[name]["lens_mix_median"] = r["lens_mix_median"]
        found[name]["median_evaluations"] = r.get("median_evaluations")
    return found


def training_noise(metadata: dict) -> dict:
    """Share of training examples with noise below each sigma, from the recorded loss settings."""
    t = metadata.get("train", {})
    t = {**t, **t.get("options", {})}  # the score method's noise sits in its options since it owns it
    top, power = t.get("sigma_max", 1.0), t.get("noise_power", 2.0)
    tail, tail_top = t.get("tail_share", 0.0), t.get("tail_sigma", 0.0)
    below = {s: (1 - tail) * min(s / top, 1.0) ** (1 / power) for s in SIGMAS}
    return {
        "sigma_max": top,
        "noise_power": power,
        "tail_share": tail,
        "tail_sigma": tail_top,
        "focus": t.get("focus", 0.0),
        "ema_halflife": t.get("ema_halflife", 0),
        "share_below": below,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model", default="leaves-tau2", help="a shipped name or weights file of a Moving Leaves score model"
    )
    p.add_argument("--windows", type=int, default=32, help="held-out collision windows")
    p.add_argument("--samples", type=int, default=8, help="samples per window for the sampler variants")
    p.add_argument("--draws", type=int, default=4096, help="oracle frames per window for the posterior mean")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--skip-sampler", action="store_true", help="only parts 1 and 3 (seconds, not minutes)")
    p.add_argument("--out", help="JSON of every number")
    args = p.parse_args()

    import nextframe
    from nextframe.models.files import read_metadata

    torch.manual_seed(args.seed)
    started = time.monotonic()
    predictor = nextframe.load(args.model)
    cfg = LeavesConfig.for_frames(predictor.frame_shape)  # each model on its own canvas
    context, truth, window = heldout_collisions(args.windows, cfg=cfg)
    report = {"model": args.model, "windows": args.windows}
    report["denoiser"] = denoiser_against_oracle(predictor, context, truth, window, args.draws, args.seed)
    print(
        f"{args.model} on {args.windows} held-out {cfg.size}x{cfg.size} collision windows; oracle mean over {args.draws} draws each"
    )
    print("sigma   input PSNR  net PSNR  oracle PSNR  net-to-oracle  lens: input  net  oracle  median ESS")
    for r in report["denoiser"]:
        print(
            f"{r['sigma']:<6g}  {r['input_psnr']:10.2f}  {r['network_psnr']:8.2f}  {r['oracle_psnr']:11.2f}"
            f"  {r['network_to_oracle_psnr']:13.2f}  {r['input_lens_psnr']:11.2f}  {r['network_lens_psnr']:4.2f}"
            f"  {r['oracle_lens_psnr']:6.2f}  {r['median_ess']:10.1f}"
        )
    weights = Path(nextframe.models.shipped_path(args.model) or args.model)
    report["training"] = training_noise(read_metadata(weights)) if weights.suffix == ".safetensors" else {}
    if report["training"]:
        t = report["training"]
        print(
            "training examples below sigma: "
            + ", ".join(f"{s:g}: {v:.0%}" for s, v in t["share_below"].items())
            + f" (sigma_max {t['sigma_max']:g}, power {t['noise_power']:g}, tail {t['tail_share']:.0%} up to "
            f"{t['tail_sigma']:g}; approach-window focus {t['focus']:g}; weight average half-life {t['ema_halflife']})"
        )
    if not args.skip_sampler:
        report["sampler"] = sampler_variants(predictor, context, window, args.samples, args.seed)
        for name, r in report["sampler"].items():
            mix = r["lens_mix_median"]
            print(
                f"{name:>30}: larger {r['larger_share']:.0%}, smaller {r['smaller_share']:.0%}, not clean "
                f"{r['not_two_clean_disks_share']:.0%}, median lens mix {mix if math.isnan(mix) else round(mix, 2)}"
            )
    report["seconds"] = time.monotonic() - started
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
