"""`nextframe experiment probes|decisions|recursive`: section 3.1 of the paper, one command each, each writing a PNG
figure and a JSON of its numbers into --out. The default model is the shipped `leaves-tau2`."""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from nextframe.cli.options import COMMAND_HELP, add_sampler_args, sampler_knobs
from nextframe.errors import NextframeError
from nextframe.files import write_json

AMBIGUOUS = (5.0, 5.0)  # radii (left, right): figure 3
UNAMBIGUOUS = (3.5, 6.5)  # figure 11: the larger, lighter disk on the right should be in front


def add_experiment(sub) -> None:
    from nextframe.analysis.occlusion import DEFAULT_DIFFERENCES

    experiment = sub.add_parser("experiment", help=COMMAND_HELP["experiment"])
    kinds = experiment.add_subparsers(dest="experiment", required=True)

    def common(p, samples: int, what: str) -> None:
        p.add_argument(
            "--model", default="leaves-tau2", help="shipped model name or weights path (default leaves-tau2)"
        )
        p.add_argument("--out", required=True, help="folder for the PNG figure and the JSON of numbers")
        p.add_argument("--samples", type=int, default=samples, help=f"{what} (default {samples})")
        p.add_argument("--seed", type=int, default=0, help="sample i uses seed + i")
        add_sampler_args(p)

    p = kinds.add_parser(
        "probes", help="figures 3 and 11: an ambiguous and an unambiguous collision, sampler steps, samples"
    )
    common(p, 16, "samples per probe")
    p.set_defaults(run=run_probes)
    p = kinds.add_parser(
        "decisions",
        help="occlusion decisions on held-out collision windows and figure 4's sweep, model beside a perfect (oracle) sampler",
    )
    common(p, 32, "samples per radius difference")
    p.add_argument(
        "--differences",
        type=float,
        nargs="+",
        default=list(DEFAULT_DIFFERENCES),
        help="right minus left radius in pixels, mean radius 5 (default -3 to 3 in steps of 0.5)",
    )
    p.add_argument("--windows", type=int, default=64, help="held-out collision windows (default 64)")
    p.add_argument("--window-samples", type=int, default=8, help="samples per collision window (default 8)")
    p.set_defaults(run=run_decisions)
    p = kinds.add_parser(
        "recursive", help="figure 5: 9 frames generated recursively by sampling and by one-step estimation"
    )
    common(p, 16, "test sequences")
    p.add_argument("--steps", type=int, default=9, help="frames to generate (default 9)")
    p.add_argument(
        "--data",
        default=None,
        help="Moving Leaves dataset folder whose test split to use (default: generate "
        "the test sequences of the seed-0 dataset, the split the shipped model never saw)",
    )
    p.set_defaults(run=run_recursive)

    from nextframe.cli.natural import add_natural_experiments

    add_natural_experiments(kinds)


def _leaves_predictor(args):
    """(predictor, canvas size): any method's predictor of --model (the score-based one under the sampler flags), if
    it is a Moving Leaves model: grayscale, 2 past frames, square frames (32x32 unless its weights say otherwise; the
    probes and collision windows are drawn on its canvas, `LeavesConfig.for_frames`)."""
    from nextframe.cli.options import load_predictor
    from nextframe.data.leaves import LeavesConfig

    predictor = load_predictor(args)
    channels = getattr(predictor.config, "channels", 1)
    if predictor.context_frames != 2 or channels != 1:
        raise NextframeError(
            f"{args.model} is a {predictor.method} model of {predictor.context_frames} past frame(s) and {channels} "
            "channel(s); the occlusion experiments need a grayscale Moving Leaves model of 2 past frames such as "
            "leaves-tau2 (or leaves-tau2-svg, -mcvd, -rvd, -pred)"
        )
    return predictor, LeavesConfig.for_frames(predictor.frame_shape).size


def _probe(radii, size: int):
    """The probe of these radii (32x32 pixels) on the model's canvas."""
    from nextframe.analysis.occlusion import scaled_probe

    return scaled_probe(radii[1] - radii[0], (radii[0] + radii[1]) / 2, size)


def _check(args) -> None:
    if args.samples < 1:
        raise NextframeError("--samples must be at least 1")


def _header(args, started: float, predictor) -> dict:
    """Every argument of the run (enough to repeat it), what the method did, the model's training summary and the
    time taken."""
    from nextframe.models.files import model_metadata

    trained = model_metadata(args.model)
    return {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "method": predictor.method,
        "predictor": predictor.describe(),
        "sampler": sampler_knobs(args) if predictor.method == "score" else None,  # the others sample their own way
        "model_steps": trained.get("steps"),
        "model_examples": trained.get("examples"),
        "seconds": round(time.monotonic() - started, 1),
    }


def run_probes(args, quiet: bool = False) -> dict:
    from nextframe.analysis.figures import probe_figure
    from nextframe.analysis.probes import probe_experiment

    _check(args)
    started, (predictor, size), out = time.monotonic(), _leaves_predictor(args), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report = {}
    for name, radii, figure in (("unambiguous", UNAMBIGUOUS, "figure 11"), ("ambiguous", AMBIGUOUS, "figure 3")):
        probe = _probe(radii, size)
        found = probe_experiment(predictor, probe, args.samples, args.seed)
        c = found["outcomes_count"]
        probe_figure(
            out / f"probe_{name}.png",
            probe,
            found,
            f"{name} probe ({figure}): radii {radii[0]:g} (left) and {radii[1]:g} (right); "
            f"{c['left']} left, {c['right']} right, {c['neither']} neither of {args.samples}",
        )
        report[name] = {
            "radii": list(radii),
            **{k: v for k, v in found.items() if k not in ("frames", "estimate", "steps", "outcomes", "fits")},
            "median_evaluations": float(np.median(found["evaluations"])),
        }
        if not quiet:
            one_step = found["sharpness_one_step"]
            print(
                f"{name} probe (radii {radii[0]:g}/{radii[1]:g}): left in front {c['left']}, right {c['right']}, neither {c['neither']}; "
                f"sharpness samples {np.mean(found['sharpness_samples']):.2f}"
                + (
                    f" vs one-step {one_step:.2f}"
                    if one_step is not None
                    else f" ({predictor.method}: no one-step estimate)"
                )
            )
    report = {
        **_header(args, started, predictor),
        "samples": args.samples,
        "probes": report,
        "rule": CLASSIFICATION_RULE,
    }
    write_json(out / "probes.json", report)
    if not quiet:
        print(f"wrote {out / 'probe_unambiguous.png'}, {out / 'probe_ambiguous.png'} and {out / 'probes.json'}")
    return report


def run_decisions(args, quiet: bool = False) -> dict:
    """The instrument of `analysis.decisions` on held-out collision windows and on the figure-4 sweep of probes at
    the data's speeds, for the model and for the oracle sampler side by side."""
    from nextframe.analysis.decisions import heldout_collisions, size_cue
    from nextframe.analysis.figures import collision_figure, decision_figure
    from nextframe.analysis.occlusion import (
        collision_decisions,
        decision_summary,
        decision_sweep,
        fit_logistic,
        probe_radii,
    )
    from nextframe.data.leaves import LeavesConfig

    _check(args)
    if args.windows < 1 or args.window_samples < 1:
        raise NextframeError("--windows and --window-samples must be at least 1")
    for d in args.differences:
        if not math.isfinite(d):
            raise NextframeError(f"--differences {d}: radius differences are numbers of pixels")
        left, right = probe_radii(d)
        if min(left, right) < 2.0:
            raise NextframeError(
                f"--differences {d:g} makes a disk of radius {min(left, right):g} px; keep |difference| <= 6"
            )
    started, (predictor, size), out = time.monotonic(), _leaves_predictor(args), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    context, truth, window = heldout_collisions(args.windows, cfg=LeavesConfig.for_size(size))
    found, rows = {}, {}
    for name, who in (("model", predictor), ("oracle", None)):  # None: the oracle, through the same instrument
        if not quiet:
            print(f"{name}: {args.windows} held-out collision windows x {args.window_samples} samples ...")
        found[name] = collision_decisions(who, context, window, args.window_samples, args.seed)
        rows[name] = decision_sweep(who, args.differences, args.samples, args.seed, progress=not quiet, size=size)
    fits = {
        k: fit_logistic([r["difference"] for r in v], [r["right"] for r in v], [r["left"] + r["right"] for r in v])
        for k, v in rows.items()
    }
    summary = {
        k: {**decision_summary(rows[k]), **{f"collisions_{n}": v for n, v in found[k]["report"].items()}} for k in rows
    }
    # the rule in the denoiser, before sampling; methods that are not denoisers (the peers) have none
    denoiser = predictor if getattr(predictor, "has_denoiser", False) else None
    cue = size_cue(denoiser, context, truth, window, seed=args.seed)
    for name in ("model", "oracle"):
        summary[name]["size_cue"] = cue.get(name)
    labels = {name: found[name]["labels"] for name in ("model", "oracle")}
    for name in ("model", "oracle"):
        collision_figure(
            out / f"collisions_{name}.png",
            context,
            truth,
            found[name]["frames"],
            labels[name],
            f"{args.model if name == 'model' else 'oracle sampler'} on held-out collision windows: "
            f"{_shares(found[name]['report'])}",
        )
    decision_figure(
        out / "decisions.png",
        rows["model"],
        fits["model"],
        f"decision frequency (figure 4), {args.samples} samples per probe",
        oracle=(rows["oracle"], fits["oracle"]),
    )
    report = {
        **_header(args, started, predictor),
        "samples": args.samples,
        "summary": summary,
        "logistic_fit": fits["model"],
        "oracle_logistic_fit": fits["oracle"],
        "rows": rows["model"],
        "oracle_rows": rows["oracle"],
        "collision_windows": {"sequence": window["sequence"].tolist(), "first_frame": window["first_frame"].tolist()},
        "collision_labels": labels,  # per sample, window by window: larger / smaller / not two clean disks / no visible overlap
        "rule": CLASSIFICATION_RULE,
        "windows_rule": WINDOWS_RULE,
    }
    write_json(out / "decisions.json", report)
    if not quiet:
        for name in ("model", "oracle"):
            s, fit = summary[name], fits[name]
            print(
                f"{name:>6}: collision windows {_shares(found[name]['report'])}; probes: larger in front (unambiguous) "
                f"{_share(s['larger_in_front_unambiguous'])}, right in front at equal radii {_share(s['right_in_front_equal_radii'])}, "
                f"neither {s['neither_fraction']:.0%}, logistic slope {fit['slope']:.2f}/px midpoint {fit['midpoint']:+.2f} px"
            )
        if summary["model"]["size_cue"]:
            print(
                "size cue in the denoiser (share of the larger disk in the lens, 1 larger, 0.5 a blend), model / "
                "oracle: "
                + ", ".join(
                    f"sigma {k} {summary['model']['size_cue'][k]:.2f} / {v:.2f}"
                    for k, v in summary["oracle"]["size_cue"].items()
                )
            )
        m = found["model"]["report"]
        print(
            f"model samples: {m['retried']} restarted after a divergence, {m['diverged']} still diverged; median "
            f"{m['median_evaluations']:.0f} evaluations"
        )
        print(
            f"wrote {out / 'decisions.png'}, {out / 'collisions_model.png'}, {out / 'collisions_oracle.png'} and {out / 'decisions.json'}"
        )
    return report


def _share(value) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _shares(r: dict) -> str:
    return (
        f"larger in front {r['larger_share']:.0%}, smaller {r['smaller_share']:.0%}, not two clean disks "
        f"{r['not_two_clean_disks_share']:.0%}, no visible overlap {r['no_visible_overlap_share']:.0%}"
        + (f", median lens mix {r['lens_mix_median']:.2f}" if math.isfinite(r.get("lens_mix_median", math.nan)) else "")
    )


def run_recursive(args, quiet: bool = False) -> dict:
    import torch

    from nextframe.analysis.figures import recursive_figure
    from nextframe.analysis.occlusion import recursive_generation
    from nextframe.data.frames_io import write_gif

    _check(args)
    if args.steps < 1:
        raise NextframeError("--steps must be at least 1")
    started, (predictor, size), out = time.monotonic(), _leaves_predictor(args), Path(args.out)
    clips, levels, source = _test_sequences(args.data, args.samples, 2 + args.steps, size)
    predictor.check_frame_shape(clips.shape[2:])  # --data of another canvas than the model's
    out.mkdir(parents=True, exist_ok=True)
    found = recursive_generation(predictor, clips, levels, args.steps, args.seed)
    recursive_figure(
        out / "recursive.png", found, title=f"recursive generation (figure 5): {args.steps} frames from 2 test frames"
    )
    shown = min(3, len(clips))  # the GIF: truth | sampling | one-step, for the first examples side by side
    kinds = {"truth": "truth", "sampled": "sampled", "estimated": "one-step"}
    if found["estimated"] is None:  # a method without a one-step estimate
        del kinds["estimated"]
    movie = torch.stack(
        [torch.cat([found["context"], found[k].clamp(0, 1)], dim=1)[:shown] for k in kinds], dim=1
    )  # (shown, kinds, T, C, H, W)
    labels = [f"{name} {i + 1}" for i in range(shown) for name in kinds.values()]
    titles = [
        f"frame {t + 1}: " + ("context" if t < 2 else f"generated {t - 1} of {args.steps}")
        for t in range(movie.shape[2])
    ]
    write_gif(
        out / "recursive.gif",
        movie.permute(2, 0, 1, 3, 4, 5).flatten(1, 2).numpy(),
        scale=4,
        fps=2,  # (T, shown*kinds, ...)
        col_labels=labels,
        titles=titles,
    )
    report = {
        **_header(args, started, predictor),
        "sequences": source,
        "examples": len(clips),
        "steps": args.steps,
        **{k: found[k] for k in ("sharpness_sampling", "sharpness_one_step", "sharpness_truth", "median_evaluations")},
        "sharpness_measure": "share of the pixels drawn as objects (more than 0.05 from the background) that lie within "
        "0.05 of a disk's luminance; mean over sequences (uniform noise scores about 0.19)",
    }
    write_json(out / "recursive.json", report)
    if not quiet:
        if found["sharpness_one_step"] is None:
            print(
                f"sharpness per generated frame, sampling ({predictor.method}: no one-step estimate): "
                + ", ".join(f"{a:.2f}" for a in found["sharpness_sampling"])
            )
        else:
            print(
                "sharpness per generated frame, sampling / one-step: "
                + ", ".join(
                    f"{a:.2f}/{b:.2f}" for a, b in zip(found["sharpness_sampling"], found["sharpness_one_step"])
                )
            )
        print(f"wrote {out / 'recursive.png'}, {out / 'recursive.gif'} and {out / 'recursive.json'}")
    return report


def _test_sequences(data: str | None, count: int, frames: int, size: int = 32):
    """(clips (B, T, 1, H, W) float, luminances (B, 3), a description) from a dataset's test split or generated on
    a size x size canvas."""
    import torch

    from nextframe.data.leaves import LeavesConfig, generate_arrays, is_test

    if data is None:
        clips, truth = generate_arrays(10 * count, seed=0, cfg=LeavesConfig.for_size(size))
        keep = is_test(np.arange(len(clips)))
        clips, levels = clips[keep], truth.luminance[keep]
        source = f"test split of the seed-0 Moving Leaves set (sequences 9, 19, ..., {10 * count - 1})"
    else:
        from nextframe.data.store import ClipDataset

        dataset = ClipDataset.open(data)
        clips, levels = dataset.clips("test")[:count], dataset.truth("test").get("luminance")
        if levels is None:
            raise NextframeError(
                f"{data} has no Moving Leaves ground truth (luminances); pass a dataset from `nextframe data leaves`"
            )
        levels, source = levels[:count], f"first {count} test sequences of {data}"
    if clips.shape[1] < frames or clips.shape[2] != 1:
        raise NextframeError(
            f"recursive generation needs grayscale sequences of at least {frames} frames, got {clips.shape[1:3]}; lower --steps"
        )
    clips = torch.from_numpy(np.asarray(clips[:, :frames], np.float32) / 255.0)
    return clips, torch.from_numpy(np.asarray(levels, np.float32)), source


CLASSIFICATION_RULE = (
    "both disks (radii and luminances known) are fitted at free positions under each depth order; a "
    "sample whose best fit leaves more RMS error than a tenth of the largest disk-background "
    "contrast is 'not two clean disks'; where the two "
    "orders rendered at the fitted positions differ by half the contrast (the lens) it shows the "
    "better-fitting order if 75% of the lens lies within a quarter of the contrast of it and its least-squares share "
    "of the lens (the lens mix) is at least 0.75, and is 'not two clean disks' otherwise; a lens under 3 pixels "
    "(on 32x32; scaled with the canvas area) is 'no visible overlap' "
    "(nextframe.analysis.decisions.classify_decisions)"
)
WINDOWS_RULE = (
    "test-split sequences (index % 10 == 9) of the seed-0 Moving Leaves set; windows whose two context frames "
    "show the disks apart (edges more than 1 px apart) and whose most probable next positions (the oracle's mean) "
    "hide at least a quarter of the smaller disk; all three luminances at least 0.15 apart"
)
