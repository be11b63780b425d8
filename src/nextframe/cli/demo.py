"""`nextframe demo`: the method end to end on Moving Leaves, on a CPU, with nothing to download.

Until a trained model ships, the demo generates a small Moving Leaves set, trains a small tau = 2 U-Net for a few
minutes (reusing or resuming the one in its folder: `nextframe train` with `DEMO_TRAIN_ARGS` makes the same model), and shows what the paper shows: the denoiser beats the identity at
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
from nextframe.analysis.probes import probe_experiment
from nextframe.data.leaves import make_probe, write_leaves
from nextframe.data.store import ClipDataset, Windows
from nextframe.metrics import palette_fraction
from nextframe.sampling import rollout
from nextframe.training.checkpoint import load_model
from nextframe.training.config import TrainConfig
from nextframe.training.evaluate import denoising_psnr
from nextframe.training.trainer import train

DEMO_SEQUENCES = 4000
# The demo's training recipe: width 16 trains 4,000 steps in about 6 minutes on 2 CPU cores; lr 2e-3 with cosine
# annealing over the step budget, since the paper's plateau schedule never fires in minutes (docs/design.md).
DEMO_RECIPE = dict(tau=2, width=16, batch_size=32, lr=2e-3, lr_schedule="cosine", max_steps=4000, examples_per_epoch=16000, heldout_examples=512)
# `nextframe train --data DIR/data --out DIR/model` with these arguments trains exactly the demo's model.
DEMO_TRAIN_ARGS = [item for key, value in DEMO_RECIPE.items() for item in (f"--{key.replace('_', '-')}", str(value))]


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
    recipe = dict(DEMO_RECIPE, max_steps=args.steps)
    print(f"training a width-{recipe['width']} tau=2 U-Net for {args.steps} steps of {recipe['batch_size']} examples, about "
          "6 minutes on 2 CPU cores at the default 4000 (no trained model ships yet; re-running the demo reuses this one)")
    config = TrainConfig(data=str(data), out=str(out / "model"), seed=args.seed, **recipe)
    summary = train(config)
    model = load_model(out / "model" / "model.safetensors")
    dataset = ClipDataset.open(data)
    test = Windows(dataset.clips("test"), 2)
    psnr_rows = denoising_psnr(model, test, examples=512, seed=args.seed)

    figures, probes = {}, {}
    for name, radii in (("ambiguous", (5.0, 5.0)), ("unambiguous", (3.5, 6.5))):
        probe = make_probe(*radii)
        found = probe_experiment(model, probe, args.samples, args.seed)
        probe_figure(out / f"probe_{name}.png", probe, found)
        figures[f"probe_{name}.png"] = f"{name} probe (radii {radii[0]:g} and {radii[1]:g}): row 1 the two conditioning frames, the two possible next frames (left, right disk in front) and the one-step estimate; row 2 sampler iterates of one sample; row 3 samples from different seeds"
        probes[name] = {k: v for k, v in found.items() if k not in ("frames", "estimate", "steps", "outcomes")}
        probes[name]["radii"] = list(radii)

    clips = test.clips[:4].astype(np.float32) / 255.0
    context = torch.from_numpy(clips[:, :2])
    sampled, _ = rollout(model, context, 9, tau=2, seed=args.seed)
    estimated, _ = rollout(model, context, 9, tau=2, method="one_step", seed=args.seed)
    truth = torch.from_numpy(clips[:, 2:])
    rows = torch.cat([torch.cat([context, x], dim=1) for x in (truth, sampled.clamp(0, 1), estimated.clamp(0, 1))])
    write_grid(out / "rollout.png", rows.numpy(), scale=3)
    write_gif(out / "rollout.gif", torch.stack([truth[0], sampled[0].clamp(0, 1), estimated[0].clamp(0, 1)], dim=1).numpy(), scale=4, fps=3)
    figures["rollout.png"] = "9 frames generated recursively from 2 test frames: rows 1-4 the truth, 5-8 by sampling, 9-12 by one-step estimation"
    figures["rollout.gif"] = "the first rollout as an animation: truth, sampling, one-step estimation"
    levels = torch.from_numpy(dataset.truth("test")["luminance"][:4])[:, None]  # (4, 1, 3): background and both disks
    sharp_sampled = _object_sharpness(sampled, truth, levels).mean(0).tolist()
    sharp_onestep = _object_sharpness(estimated, truth, levels).mean(0).tolist()

    report = {
        "training": {k: summary[k] for k in ("steps", "examples", "minutes", "stopped")}, "width": recipe["width"],
        "denoising_psnr": psnr_rows, "probes": probes,
        "rollout_sharpness": {"sampling": sharp_sampled, "one_step": sharp_onestep},
        "sharpness_measure": "fraction of the pixels covered by a disk (in either possible next frame for probes; in the generated or the true frame for rollouts) that lie within 0.05 of one of the scene's three luminances",
        "seconds": time.monotonic() - started,
    }
    with atomic_path(out / "demo.json") as tmp:
        tmp.write_text(json.dumps(report, indent=2))
    with atomic_path(out / "report.md") as tmp:
        tmp.write_text(_markdown(report, figures))
    _print_summary(report, out)


def _object_sharpness(generated: torch.Tensor, truth: torch.Tensor, levels: torch.Tensor) -> torch.Tensor:
    """Palette fraction over the pixels that differ from the background in the generated or the true frame."""
    background = levels[:, :, :1, None, None]  # (B, 1, 1, 1, 1) against frames (B, T, C, H, W)
    objects = ((generated - background).abs() > 0.02) | ((truth - background).abs() > 0.02)
    return palette_fraction(generated, levels, mask=objects)


def _markdown(report: dict, figures: dict) -> str:
    lines = ["# nextframe demo", "", f"A width-{report['width']} tau=2 U-Net trained for {report['training']['minutes']:.1f} CPU minutes "
             f"({report['training']['examples']} examples) on Moving Leaves.", "", "## Held-out denoising", "",
             "| input PSNR (dB) | output PSNR (dB) |", "|---|---|"]
    lines += [f"| {round(r['input_psnr'], 1) + 0.0:.1f} | {r['output_psnr']:.1f} |" for r in report["denoising_psnr"]]  # + 0.0: no "-0.0"
    lines += ["", "## Probes", ""]
    ambiguous = report["probes"]["ambiguous"]
    if ambiguous["outcomes_count"]["neither"] > len(ambiguous["evaluations"]) / 2:
        lines += ["Most samples match neither possible next frame: this model denoises but has not learned to carry the "
                  "disks' motion forward, which takes far longer training than a demo's minutes.", ""]
    for name, p in report["probes"].items():
        c = p["outcomes_count"]
        lines.append(f"- **{name}** (radii {p['radii']}): of {len(p['evaluations'])} samples, {c['left']} show the left disk in front, "
                     f"{c['right']} the right, {c['neither']} neither (rule: within half the RMS distance between the two outcomes); "
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
    print("held-out denoising (input -> output PSNR, dB): " + ", ".join(f"{r['input_psnr_target']:.0f} -> {r['output_psnr']:.1f}" for r in report["denoising_psnr"]))
    for name, p in report["probes"].items():
        c = p["outcomes_count"]
        print(f"{name} probe: left in front {c['left']}, right {c['right']}, neither {c['neither']} of {len(p['evaluations'])} samples; sharpness samples "
              f"{np.mean(p['sharpness_samples']):.2f} vs one-step {p['sharpness_one_step']:.2f}")
    print(f"figures and report in {out / 'report.md'} ({report['seconds'] / 60:.1f} min)")
