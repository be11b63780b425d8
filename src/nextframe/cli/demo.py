"""`nextframe demo`: the method end to end on Moving Leaves, on a CPU, with nothing to download.

Until a trained model ships, the demo generates a small Moving Leaves set, trains a small tau = 2 U-Net for a few
minutes (resuming if its folder already holds one), and shows what the paper shows: the denoiser beats the identity at
every noise level, the one-step estimate of an ambiguous occlusion is a blurry average, and iterative sampling
commits to one sharp outcome. Figures, GIFs, `demo.json` and `report.md` land in --out.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import torch

from nextframe.data.frames_io import atomic_path, write_gif, write_grid
from nextframe.data.leaves import make_probe, write_leaves
from nextframe.data.store import ClipDataset, Windows
from nextframe.metrics import palette_fraction
from nextframe.sampling import one_step, rollout, sample
from nextframe.training.checkpoint import load_model
from nextframe.training.config import TrainConfig
from nextframe.training.evaluate import denoising_psnr
from nextframe.training.trainer import train

DEMO_SEQUENCES = 4000
DEMO_WIDTH = 16  # the width that learns the most in a few CPU minutes here (see README)
DEMO_LR = 1e-3


def probe_experiment(model, probe, samples: int, seed: int, snapshots=(1, 10, 20, 30, 40)) -> dict:
    """Samples and the one-step estimate on one probe; the sharpness of each; the outcome each sample is nearest."""
    context = torch.from_numpy(probe.context).reshape(1, -1, *probe.context.shape[-2:]).repeat(samples, 1, 1, 1)
    steps = {}

    def keep(k, ids, y, estimate):  # intermediate iterates of sample 0, for the figure
        if k in snapshots and 0 in ids.tolist():
            steps[k] = y[ids.tolist().index(0)].clone()

    result = sample(model, context, seed=seed, callback=keep)
    estimate = one_step(model, context[:1], seed=seed)[0]
    levels = torch.from_numpy(probe.truth.luminance[0])
    outcomes = torch.from_numpy(np.stack([probe.left_front, probe.right_front]))  # (2, C, H, W)
    rms = (result.frames[:, None] - outcomes[None]).square().flatten(2).mean(-1).sqrt()  # (S, 2)
    return {
        "frames": result.frames, "estimate": estimate, "steps": steps, "outcomes": outcomes,
        "evaluations": result.evaluations.tolist(),
        "sharpness_samples": palette_fraction(result.frames, levels).tolist(),
        "sharpness_one_step": float(palette_fraction(estimate, levels)),
        "left_in_front": int((rms[:, 0] < rms[:, 1]).sum()),
        "rms_to_nearest_outcome": rms.min(dim=1).values.tolist(),
    }


def probe_figure(path: Path, probe, found: dict, samples_shown: int = 8) -> None:
    ctx = torch.from_numpy(probe.context)
    steps = [found["steps"][k] for k in sorted(found["steps"])]
    blank = torch.ones_like(ctx[0])
    row1 = [*ctx, found["outcomes"][0], found["outcomes"][1], found["estimate"].clamp(0, 1), blank]
    row2 = [s.clamp(0, 1) for s in steps] + [found["frames"][0].clamp(0, 1)]
    row3 = [f.clamp(0, 1) for f in found["frames"][:samples_shown]]
    width = max(len(row1), len(row2), len(row3))
    rows = [r + [blank] * (width - len(r)) for r in (row1, row2, row3)]
    write_grid(path, torch.stack([torch.stack(r) for r in rows]).numpy(), scale=4)


def run_demo(args) -> None:
    out = Path(args.out)
    started = time.monotonic()
    data = out / "data"
    if not (data / "meta.json").is_file():
        print(f"generating {DEMO_SEQUENCES} Moving Leaves sequences in {data}")
        write_leaves(data, n=DEMO_SEQUENCES, seed=args.seed, overwrite=True, progress=False)
    print(f"training a width-{DEMO_WIDTH} tau=2 U-Net for {args.minutes:g} CPU minutes (no trained model ships yet; "
          "re-running the demo resumes this one)")
    config = TrainConfig(data=str(data), out=str(out / "model"), tau=2, width=DEMO_WIDTH, batch_size=32, lr=DEMO_LR,
                         examples_per_epoch=8000, heldout_examples=512, max_minutes=args.minutes, seed=args.seed)
    summary = train(config)
    model = load_model(out / "model" / "model.safetensors")
    test = Windows(ClipDataset.open(data).clips("test"), 2)
    psnr_rows = denoising_psnr(model, test, examples=512, seed=args.seed)

    figures, probes = {}, {}
    for name, radii in (("ambiguous", (5.0, 5.0)), ("unambiguous", (3.5, 6.5))):
        probe = make_probe(*radii)
        found = probe_experiment(model, probe, args.samples, args.seed)
        probe_figure(out / f"probe_{name}.png", probe, found)
        figures[f"probe_{name}.png"] = f"{name} probe (radii {radii[0]:g} and {radii[1]:g}): row 1 the two conditioning frames, the two possible next frames (left, right disk in front) and the one-step estimate; row 2 sampler iterates of one sample; row 3 samples from different seeds"
        probes[name] = {k: v for k, v in found.items() if k not in ("frames", "estimate", "steps", "outcomes")}
        probes[name]["radii"] = list(radii)

    clips = ClipDataset.open(data).clips("test")[:4].astype(np.float32) / 255.0
    context = torch.from_numpy(clips[:, :2])
    sampled, _ = rollout(model, context, 9, tau=2, seed=args.seed)
    estimated, _ = rollout(model, context, 9, tau=2, method="one_step", seed=args.seed)
    truth = torch.from_numpy(clips[:, 2:])
    rows = torch.cat([torch.cat([context, x], dim=1) for x in (truth, sampled.clamp(0, 1), estimated.clamp(0, 1))])
    write_grid(out / "rollout.png", rows.numpy(), scale=3)
    write_gif(out / "rollout.gif", torch.stack([truth[0], sampled[0].clamp(0, 1), estimated[0].clamp(0, 1)], dim=1).numpy(), scale=4, fps=3)
    figures["rollout.png"] = "9 frames generated recursively from 2 test frames: rows 1-4 the truth, 5-8 by sampling, 9-12 by one-step estimation"
    figures["rollout.gif"] = "the first rollout as an animation: truth, sampling, one-step estimation"
    levels = torch.from_numpy(np.stack([_levels(c) for c in clips]))[:, None]  # (4, 1, L)
    sharp_sampled = palette_fraction(sampled, levels).mean(0).tolist()
    sharp_onestep = palette_fraction(estimated, levels).mean(0).tolist()

    report = {
        "training": {k: summary[k] for k in ("steps", "examples", "minutes", "stopped")}, "width": DEMO_WIDTH,
        "denoising_psnr": psnr_rows, "probes": probes,
        "rollout_sharpness": {"sampling": sharp_sampled, "one_step": sharp_onestep},
        "sharpness_measure": "fraction of pixels within 0.05 of one of the scene's luminances (background and both disks)",
        "seconds": time.monotonic() - started,
    }
    with atomic_path(out / "demo.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2))
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text(_markdown(report, figures))
    _print_summary(report, out)


def _levels(clip: np.ndarray) -> np.ndarray:
    """The three luminances of a Moving Leaves clip: the most frequent pixel values of its first frame."""
    values, counts = np.unique(np.round(clip[0] * 255), return_counts=True)
    top = values[np.argsort(counts)[::-1][:3]] / 255.0
    return np.pad(top, (0, 3 - len(top)), mode="edge")


def _markdown(report: dict, figures: dict) -> str:
    lines = ["# nextframe demo", "", f"A width-{report['width']} tau=2 U-Net trained for {report['training']['minutes']:.1f} CPU minutes "
             f"({report['training']['examples']} examples) on Moving Leaves.", "", "## Held-out denoising", "",
             "| input PSNR (dB) | output PSNR (dB) |", "|---|---|"]
    lines += [f"| {r['input_psnr']:.1f} | {r['output_psnr']:.1f} |" for r in report["denoising_psnr"]]
    lines += ["", "## Probes", ""]
    for name, p in report["probes"].items():
        lines.append(f"- **{name}** (radii {p['radii']}): left disk in front in {p['left_in_front']} of {len(p['evaluations'])} samples; "
                     f"sharpness of samples {np.mean(p['sharpness_samples']):.2f} vs one-step estimate {p['sharpness_one_step']:.2f}; "
                     f"median {np.median(p['evaluations']):.0f} network evaluations per sample")
    r = report["rollout_sharpness"]
    lines += ["", "## Recursive generation", "", "Sharpness per generated frame (sampling / one-step): "
              + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(r["sampling"], r["one_step"])), "",
              f"Sharpness: {report['sharpness_measure']}.", "", "## Figures", ""]
    for file, text in figures.items():
        lines += [f"![{file}]({file})", "", text, ""]
    return "\n".join(lines) + "\n"


def _print_summary(report: dict, out: Path) -> None:
    print("held-out denoising (input -> output PSNR, dB): " + ", ".join(f"{r['input_psnr']:.0f} -> {r['output_psnr']:.1f}" for r in report["denoising_psnr"]))
    for name, p in report["probes"].items():
        print(f"{name} probe: left in front in {p['left_in_front']}/{len(p['evaluations'])} samples; sharpness samples "
              f"{np.mean(p['sharpness_samples']):.2f} vs one-step {p['sharpness_one_step']:.2f}")
    print(f"figures and report in {out / 'report.md'} ({report['seconds'] / 60:.1f} min)")
