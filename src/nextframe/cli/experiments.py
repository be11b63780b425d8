"""`nextframe experiment probes|decisions|recursive`: section 3.1 of the paper, one command each, each writing a PNG
figure and a JSON of its numbers into --out. The default model is the shipped `leaves-tau2`."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from nextframe.data.frames_io import write_json
from nextframe.errors import NextframeError

AMBIGUOUS = (5.0, 5.0)  # radii (left, right): figure 3
UNAMBIGUOUS = (3.5, 6.5)  # figure 11: the larger, lighter disk on the right should be in front


def add_sampler_args(p) -> None:
    """The sampler's knobs (Kadkhodaie & Simoncelli 2021, Algorithm 1), shared by every command that samples."""
    p.add_argument("--beta", type=float, default=0.5, help="fraction of the noise left uninjected per step (default 0.5)")
    p.add_argument("--h0", type=float, default=0.01, help="first step size (default 0.01)")
    p.add_argument("--mean", type=float, default=0.5, help="mean of the initial image (default 0.5)")
    p.add_argument("--sigma0", type=float, default=1.0, help="noise level of the initial image (default 1)")
    p.add_argument("--sigma-stop", type=float, default=0.01, help="stop when the estimated noise falls below (default 0.01)")
    p.add_argument("--max-steps", type=int, default=1000, help="cap on sampler steps (default 1000)")


def sampler_knobs(args) -> dict:
    return dict(beta=args.beta, h0=args.h0, mean=args.mean, sigma0=args.sigma0, sigma_stop=args.sigma_stop, max_steps=args.max_steps)


def sampler_defaults() -> dict:
    """The sampler knobs at their command-line defaults (for callers that build the arguments themselves)."""
    parser = argparse.ArgumentParser()
    add_sampler_args(parser)
    return sampler_knobs(parser.parse_args([]))


def add_experiment(sub) -> None:
    from nextframe.analysis.occlusion import DEFAULT_DIFFERENCES

    experiment = sub.add_parser("experiment", help="the paper's experiments (3.1: occlusions on Moving Leaves; 3.2: natural video)")
    kinds = experiment.add_subparsers(dest="experiment", required=True)

    def common(p, samples: int, what: str) -> None:
        p.add_argument("--model", default="leaves-tau2", help="shipped model name or weights path (default leaves-tau2)")
        p.add_argument("--out", required=True, help="folder for the PNG figure and the JSON of numbers")
        p.add_argument("--samples", type=int, default=samples, help=f"{what} (default {samples})")
        p.add_argument("--seed", type=int, default=0, help="sample i uses seed + i")
        add_sampler_args(p)

    p = kinds.add_parser("probes", help="figures 3 and 11: an ambiguous and an unambiguous collision, sampler steps, samples")
    common(p, 16, "samples per probe")
    p.set_defaults(run=run_probes)
    p = kinds.add_parser("decisions", help="figure 4: how often the right disk is in front, against the radius difference")
    common(p, 64, "samples per radius difference")
    p.add_argument("--differences", type=float, nargs="+", default=list(DEFAULT_DIFFERENCES),
                   help="right minus left radius in pixels, mean radius 5 (default -3 to 3 in steps of 0.5)")
    p.set_defaults(run=run_decisions)
    p = kinds.add_parser("recursive", help="figure 5: 9 frames generated recursively by sampling and by one-step estimation")
    common(p, 16, "test sequences")
    p.add_argument("--steps", type=int, default=9, help="frames to generate (default 9)")
    p.add_argument("--data", default=None, help="Moving Leaves dataset folder whose test split to use (default: generate "
                   "the test sequences of the seed-0 dataset, the split the shipped model never saw)")
    p.set_defaults(run=run_recursive)

    from nextframe.cli.natural import add_natural_experiments

    add_natural_experiments(kinds)


def _leaves_model(name: str):
    from nextframe.training.checkpoint import load_model

    model = load_model(name)
    if model.config.tau != 2 or model.config.channels != 1:
        raise NextframeError(f"{name} has tau={model.config.tau} and {model.config.channels} channel(s); the occlusion "
                             "experiments need a grayscale tau=2 Moving Leaves model such as leaves-tau2")
    return model


def _check(args) -> None:
    if args.samples < 1:
        raise NextframeError("--samples must be at least 1")


def _header(args, started: float) -> dict:
    """Every argument of the run (enough to repeat it), the model's training summary and the time taken."""
    from nextframe.training.checkpoint import model_metadata

    trained = model_metadata(args.model)
    return {"arguments": {k: v for k, v in vars(args).items() if k != "run"}, "sampler": sampler_knobs(args),
            "model_steps": trained.get("steps"), "model_examples": trained.get("examples"),
            "seconds": round(time.monotonic() - started, 1)}


def run_probes(args, quiet: bool = False) -> dict:
    from nextframe.analysis.figures import probe_figure
    from nextframe.analysis.probes import probe_experiment
    from nextframe.data.leaves import make_probe

    _check(args)
    started, model, out = time.monotonic(), _leaves_model(args.model), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    for name, radii, figure in (("unambiguous", UNAMBIGUOUS, "figure 11"), ("ambiguous", AMBIGUOUS, "figure 3")):
        probe = make_probe(*radii)
        found = probe_experiment(model, probe, args.samples, args.seed, **sampler_knobs(args))
        c = found["outcomes_count"]
        probe_figure(out / f"probe_{name}.png", probe, found,
                     f"{name} probe ({figure}): radii {radii[0]:g} (left) and {radii[1]:g} (right); "
                     f"{c['left']} left, {c['right']} right, {c['neither']} neither of {args.samples}")
        report[name] = {"radii": list(radii), **{k: v for k, v in found.items() if k not in ("frames", "estimate", "steps", "outcomes")},
                        "median_evaluations": float(np.median(found["evaluations"]))}
        if not quiet:
            print(f"{name} probe (radii {radii[0]:g}/{radii[1]:g}): left in front {c['left']}, right {c['right']}, neither {c['neither']}; "
                  f"sharpness samples {np.mean(found['sharpness_samples']):.2f} vs one-step {found['sharpness_one_step']:.2f}")
    report = {**_header(args, started), "samples": args.samples, "probes": report, "rule": CLASSIFICATION_RULE}
    write_json(out / "probes.json", report)
    if not quiet:
        print(f"wrote {out / 'probe_unambiguous.png'}, {out / 'probe_ambiguous.png'} and {out / 'probes.json'}")
    return report


def run_decisions(args, quiet: bool = False) -> dict:
    from nextframe.analysis.figures import decision_figure
    from nextframe.analysis.occlusion import decision_sweep, fit_logistic, probe_radii

    _check(args)
    for d in args.differences:
        left, right = probe_radii(d)
        if min(left, right) < 2.0:
            raise NextframeError(f"--differences {d:g} makes a disk of radius {min(left, right):g} px; keep |difference| <= 6")
    started, model, out = time.monotonic(), _leaves_model(args.model), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = decision_sweep(model, args.differences, args.samples, args.seed, progress=not quiet, **sampler_knobs(args))
    fit = fit_logistic([r["difference"] for r in rows], [r["right"] for r in rows], [r["left"] + r["right"] for r in rows])
    summary = decision_summary(rows)
    decision_figure(out / "decisions.png", rows, fit, f"decision frequency (figure 4), {args.samples} samples per probe")
    report = {**_header(args, started), "samples": args.samples, "rows": rows, "logistic_fit": fit, "summary": summary, "rule": CLASSIFICATION_RULE}
    write_json(out / "decisions.json", report)
    if not quiet:
        for r in rows:
            print(f"difference {r['difference']:+5.2f} px (radii {r['radius_left']:.2f}/{r['radius_right']:.2f}): "
                  f"left {r['left']:3d}, right {r['right']:3d}, neither {r['neither']:3d}")
        print(f"logistic fit: slope {fit['slope']:.2f} per px, midpoint {fit['midpoint']:+.2f} px; " + ", ".join(f"{k} {v}" for k, v in summary.items()))
        print(f"wrote {out / 'decisions.png'} and {out / 'decisions.json'}")
    return report


def decision_summary(rows: list[dict]) -> dict:
    """The issue's targets in numbers: larger disk in front on unambiguous probes, balance at equal radii, neither."""
    from nextframe.analysis.occlusion import larger_in_front

    unambiguous = [r for r in rows if r["unambiguous"]]
    equal = [r for r in rows if r["difference"] == 0]
    total = sum(r["samples"] for r in rows)
    return {
        "larger_in_front_unambiguous": (sum(larger_in_front(r) for r in unambiguous)
                                        / sum(r["samples"] for r in unambiguous)) if unambiguous else None,
        "right_in_front_equal_radii": (sum(r["right"] for r in equal) / sum(r["samples"] for r in equal)) if equal else None,
        "neither_fraction": sum(r["neither"] for r in rows) / total,
        "median_evaluations": float(np.median([r["median_evaluations"] for r in rows])),
    }


def run_recursive(args, quiet: bool = False) -> dict:
    from nextframe.analysis.figures import recursive_figure
    from nextframe.analysis.occlusion import recursive_generation
    from nextframe.data.frames_io import write_gif

    _check(args)
    if args.steps < 1:
        raise NextframeError("--steps must be at least 1")
    started, model, out = time.monotonic(), _leaves_model(args.model), Path(args.out)
    clips, levels, source = _test_sequences(args.data, args.samples, 2 + args.steps)
    out.mkdir(parents=True, exist_ok=True)
    found = recursive_generation(model, clips, levels, args.steps, args.seed, **sampler_knobs(args))
    recursive_figure(out / "recursive.png", found, title=f"recursive generation (figure 5): {args.steps} frames from 2 test frames")
    shown = min(3, len(clips))  # the GIF: truth | sampling | one-step, for the first examples side by side
    movie = torch.stack([torch.cat([found["context"], found[k].clamp(0, 1)], dim=1)[:shown] for k in ("truth", "sampled", "estimated")],
                        dim=1)  # (shown, 3, T, C, H, W)
    write_gif(out / "recursive.gif", movie.permute(2, 0, 1, 3, 4, 5).flatten(1, 2).numpy(), scale=4, fps=2)  # (T, shown*3, ...)
    report = {**_header(args, started), "sequences": source, "examples": len(clips), "steps": args.steps,
              **{k: found[k] for k in ("sharpness_sampling", "sharpness_one_step", "sharpness_truth", "median_evaluations")},
              "sharpness_measure": "fraction of the pixels that differ from the background (by 0.02) in the generated or the "
                                   "true frame and lie within 0.05 of one of the scene's three luminances; mean over sequences"}
    write_json(out / "recursive.json", report)
    if not quiet:
        print("sharpness per generated frame, sampling / one-step: "
              + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in zip(found["sharpness_sampling"], found["sharpness_one_step"])))
        print(f"wrote {out / 'recursive.png'}, {out / 'recursive.gif'} and {out / 'recursive.json'}")
    return report


def _test_sequences(data: str | None, count: int, frames: int):
    """(clips (B, T, 1, 32, 32) float, luminances (B, 3), a description) from a dataset's test split or generated."""
    from nextframe.data.leaves import generate_arrays, is_test

    if data is None:
        clips, truth = generate_arrays(10 * count, seed=0)
        keep = is_test(np.arange(len(clips)))
        clips, levels = clips[keep], truth.luminance[keep]
        source = f"test split of the seed-0 Moving Leaves set (sequences 9, 19, ..., {10 * count - 1})"
    else:
        from nextframe.data.store import ClipDataset

        dataset = ClipDataset.open(data)
        clips, levels = dataset.clips("test")[:count], dataset.truth("test").get("luminance")
        if levels is None:
            raise NextframeError(f"{data} has no Moving Leaves ground truth (luminances); pass a dataset from `nextframe data leaves`")
        levels, source = levels[:count], f"first {count} test sequences of {data}"
    if clips.shape[1] < frames or clips.shape[2] != 1:
        raise NextframeError(f"recursive generation needs grayscale sequences of at least {frames} frames, got {clips.shape[1:3]}; lower --steps")
    clips = torch.from_numpy(np.asarray(clips[:, :frames], np.float32) / 255.0)
    return clips, torch.from_numpy(np.asarray(levels, np.float32)), source


CLASSIFICATION_RULE = ("in the core of the lens where the two possible next frames differ by more than half their largest "
                       "difference (shrunk by one pixel), a pixel votes for an outcome when it lies within a quarter of the "
                       "outcomes' difference from that outcome; a sample shows an outcome when at least 75% of the region "
                       "votes for it, and neither otherwise")
