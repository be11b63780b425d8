"""`nextframe experiment psnr-curves|filters|cues|samples|bimodal`: section 3.2 and App. B of the paper on natural
video, one command each, each writing PNG figures and a JSON of its numbers into --out. The defaults are the shipped
DAVIS models; --data is a dataset from `nextframe data video` whose test split is used."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from nextframe.cli.options import add_sampler_args, sampler_knobs
from nextframe.errors import NextframeError
from nextframe.files import write_json

DAVIS_MODELS = ("davis-tau0", "davis-tau1", "davis-tau2", "davis-tau3")
CUE_PROBES = ("blackswan:0:2:17", "paragliding-launch:22:4:10", "static")  # complex non-rigid, a person walking, static


def _pairs(values: list[str]) -> list[tuple[int, int]]:
    try:
        pairs = [tuple(int(v) for v in value.split(",")) for value in values]
        if any(len(p) != 2 for p in pairs):
            raise ValueError
        return pairs
    except ValueError:
        raise NextframeError(
            f"--velocities {' '.join(values)}: give each as ROWS,COLS in whole pixels per frame, e.g. 0,-1"
        ) from None


def add_natural_experiments(kinds) -> None:
    def common(p, model: str | None = "davis-tau2") -> None:
        if model:
            p.add_argument("--model", default=model, help=f"shipped model name or weights path (default {model})")
        p.add_argument(
            "--data", required=True, help="dataset folder from `nextframe data video`; its test split is used"
        )
        p.add_argument("--out", required=True, help="folder for the PNG figure and the JSON of numbers")
        p.add_argument("--seed", type=int, default=0, help="seeds the windows, the noise and the samples")

    p = kinds.add_parser(
        "psnr-curves", help="figure 6: held-out denoising PSNR against input PSNR for each memory length"
    )
    common(p, model=None)
    p.add_argument(
        "--models", nargs="+", default=list(DAVIS_MODELS), help="denoisers to compare (default: the shipped tau = 0..3)"
    )
    p.add_argument(
        "--prediction",
        default="davis-pred",
        help="the prediction-only network, drawn as a horizontal line ('none' to leave out)",
    )
    p.add_argument(
        "--psnr", type=float, nargs="+", default=None, help="input PSNRs in dB (default -10 to 40 in steps of 5)"
    )
    p.add_argument("--examples", type=int, default=512, help="held-out windows (default 512)")
    p.add_argument("--example-index", type=int, default=0, help="which of them the example panel shows (default 0)")
    p.set_defaults(run=run_psnr_curves)

    p = kinds.add_parser("filters", help="figure 7: adaptive filters of the central pixel on translating probes")
    common(p)
    p.add_argument(
        "--sequence", default=None, help="test sequence whose frame is translated (default: the first test sequence)"
    )
    p.add_argument("--frame", type=int, default=0, help="frame of that sequence (default 0)")
    p.add_argument("--scale", type=int, default=4, help="anti-aliased down-sampling of the frame (default 4)")
    p.add_argument(
        "--velocities", nargs="+", default=["0,-1", "0,1", "1,0", "-1,-1", "0,-2"], help="ROWS,COLS pixels per frame"
    )
    p.add_argument(
        "--input-psnr", type=float, default=16.0, help="PSNR of the noisy frame (default 16 dB, as figure 7)"
    )
    p.add_argument(
        "--source", nargs="+", default=None, help="where the video is (default: the sources saved with --data)"
    )
    p.set_defaults(run=run_filters)

    p = kinds.add_parser(
        "cues", help="figure 8: observation-only and conditioning-only performance on three probes (eq. 5, 7)"
    )
    common(p)
    p.add_argument(
        "--probes",
        nargs="+",
        default=list(CUE_PROBES),
        help="test clips as SEQUENCE:START:SCALE:LOCATION, or 'static' for a still three-region pattern "
        "(default: water, a person walking, static)",
    )
    p.add_argument(
        "--psnr", type=float, nargs="+", default=None, help="input PSNRs in dB (default -10 to 80 in steps of 5)"
    )
    p.set_defaults(run=run_cues)

    p = kinds.add_parser("samples", help="figure 12: probable next frames of test clips, with the one-step estimate")
    common(p)
    p.add_argument("--clips", type=int, default=4, help="test clips, spread over the test split (default 4)")
    p.add_argument("--samples", type=int, default=4, help="samples per clip; sample i uses seed + i (default 4)")
    add_sampler_args(p)
    p.set_defaults(run=run_samples)

    p = kinds.add_parser(
        "bimodal", help="figures 9 and 10: the blind denoiser of two point masses and sampler trajectories"
    )
    p.add_argument("--out", required=True, help="folder for the PNG figures and bimodal.json")
    p.add_argument(
        "--starts", type=float, nargs="+", default=[-2.0, -0.2, 0.05, 1.5], help="initial points of the trajectories"
    )
    p.add_argument("--steps", type=int, default=30, help="iterations of y <- y + alpha f(y) (default 30)")
    p.add_argument("--alpha", type=float, default=0.5, help="fixed step size (default 0.5, as in figure 10)")
    p.set_defaults(run=run_bimodal)


def _model(name: str, noisy_input: bool | None = True):
    from nextframe.methods import load_denoiser

    model = load_denoiser(name, "this analysis of section 3.2")
    if model.config.channels != 1:
        raise NextframeError(f"{name} takes {model.config.channels} channels; these analyses need a grayscale model")
    if noisy_input is not None and model.config.noisy_input != noisy_input:
        raise NextframeError(
            f"{name} is {'a' if model.config.noisy_input else 'a prediction-only'} network; "
            f"this needs {'a denoiser' if noisy_input else 'a prediction-only one'}"
        )
    return model


def _test_clips(data: str, frames: int):
    from nextframe.data.store import ClipDataset

    dataset = ClipDataset.open(data)
    clips = dataset.clips("test")
    if clips.shape[1] < frames or clips.shape[2] != 1:
        raise NextframeError(
            f"{data} holds clips of {clips.shape[1]} frames and {clips.shape[2]} channel(s); these analyses need grayscale "
            f"clips of at least {frames}"
        )
    return dataset, clips


def _label(model) -> str:
    return f"tau={model.config.tau}" if model.config.noisy_input else f"prediction only (tau={model.config.tau})"


def _trained(name: str) -> dict:
    from nextframe.models.files import model_metadata

    meta = model_metadata(name)
    # steps/examples: the last run only; total_*: with the runs its --init weights came from, where recorded
    return {
        "model": name,
        "steps": meta.get("steps"),
        "examples": meta.get("examples"),
        "init": meta.get("train", {}).get("init"),
        "total_steps": meta.get("total_steps"),
        "total_examples": meta.get("total_examples"),
    }


WIENER = "Wiener (linear, sigma known)"


def run_psnr_curves(args, quiet: bool = False) -> dict:
    from nextframe.analysis.natural import (
        DEFAULT_INPUT_PSNRS,
        aligned_windows,
        example_panel,
        psnr_curve_summary,
        psnr_curves,
        wiener_curve,
    )
    from nextframe.analysis.natural_figures import psnr_curve_figure

    started, out = time.monotonic(), Path(args.out)
    named = [(name, _model(name)) for name in args.models]
    if args.prediction and args.prediction != "none":
        named.append((args.prediction, _model(args.prediction, noisy_input=False)))
    if len({name for name, _ in named}) < len(named):
        raise NextframeError("a model is named twice in --models/--prediction; name each once")
    labels = [_label(model) for _, model in named]
    # models that share a memory length (two stages of one tau, say) are told apart by their names
    models = {
        label + (f" {name}" if labels.count(label) > 1 else ""): model for label, (name, model) in zip(labels, named)
    }
    max_tau = max(m.config.tau for m in models.values())
    dataset, clips = _test_clips(args.data, max_tau + 1)
    psnrs = tuple(args.psnr or DEFAULT_INPUT_PSNRS)
    if args.examples < 1 or not 0 <= args.example_index < min(args.examples, len(clips) * (clips.shape[1] - max_tau)):
        raise NextframeError(
            f"--examples {args.examples} --example-index {args.example_index}: need at least 1 example and an index below it"
        )
    curves = psnr_curves(models, clips, psnrs, args.examples, args.seed)
    curves[WIENER] = wiener_curve(
        dataset.clips("train"), aligned_windows(clips, 0, max_tau), psnrs, args.examples, args.seed
    )
    index = int(
        np.random.default_rng([args.seed, 11]).permutation(len(clips) * (clips.shape[1] - max_tau))[args.example_index]
    )
    panel = example_panel(models, clips, index, 0.0, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    psnr_curve_figure(
        out / "psnr_curves.png",
        curves,
        panel,
        f"denoising by memory length (figure 6), {args.examples} held-out windows of {args.data}",
    )
    summary = psnr_curve_summary(curves, psnrs)
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "models": [_trained(n) for n in args.models]
        + ([_trained(args.prediction)] if args.prediction and args.prediction != "none" else []),
        "targets": "the same target frames (frame max_tau onwards of each clip) and noise for every model",
        "curves": curves,
        "summary": summary,
        "example_window": index,
        "example_psnr": {k: v["psnr"] for k, v in panel["estimates"].items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "psnr_curves.json", report)
    if not quiet:
        for name, curve in curves.items():
            print(f"{name:>26}: " + " ".join(f"{v:5.1f}" for v in curve["output_psnr"]) + "  dB out")
        print(f"{'input':>26}: " + " ".join(f"{v:5.1f}" for v in next(iter(curves.values()))["input_psnr"]))
        print("summary: " + "; ".join(f"{k} {v}" for k, v in summary.items()))
        print(f"wrote {out / 'psnr_curves.png'} and {out / 'psnr_curves.json'}")
    return report


def _source_frame(args, dataset) -> tuple[np.ndarray, str]:
    from nextframe.data.frames_io import read_frames
    from nextframe.data.video import downsample, find_sequences

    sources = args.source or dataset.meta.get("sources")
    if not sources:
        raise NextframeError(f"{args.data} does not record its source videos; pass --source")
    missing = [s for s in sources if not Path(s).exists()]
    if missing:
        raise NextframeError(
            f"the source {missing[0]} of {args.data} is not on this machine; pass --source with where the videos are"
        )
    name = args.sequence or dataset.meta["split"]["test"][0]
    if name not in dataset.meta["split"]["test"]:
        raise NextframeError(
            f"{name} is not a test sequence of {args.data} ({', '.join(dataset.meta['split']['test'])}); the probe must be unseen"
        )
    found = {s.name: s for s in find_sequences(sources)}
    if name not in found:
        raise NextframeError(f"sequence {name} is not in {', '.join(map(str, sources))}")
    paths = found[name].paths
    frames = read_frames(
        [paths[args.frame]] if len(paths) > 1 and args.frame < len(paths) else list(paths),
        channels=1,
        warn_colour=False,
    )
    if len(paths) == 1:
        if args.frame >= len(frames):
            raise NextframeError(f"--frame {args.frame}: {name} has {len(frames)} frames")
        frames = frames[args.frame : args.frame + 1]
    elif args.frame >= len(paths):
        raise NextframeError(f"--frame {args.frame}: {name} has {len(paths)} frames")
    return downsample(frames[:, 0], args.scale)[0], name


def run_filters(args, quiet: bool = False) -> dict:
    from nextframe.analysis.natural import filter_experiment, filter_summary
    from nextframe.analysis.natural_figures import filter_figure

    started, out = time.monotonic(), Path(args.out)
    model, velocities = _model(args.model), _pairs(args.velocities)
    dataset, _ = _test_clips(args.data, model.config.tau + 1)
    image, name = _source_frame(args, dataset)
    rows = filter_experiment(model, image, velocities, args.input_psnr, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    filter_figure(
        out / "filters.png",
        rows,
        f"adaptive filters of the central pixel (figure 7): {name} frame {args.frame} at scale 1/{args.scale}, translated",
    )
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "model": _trained(args.model),
        "sequence": name,
        "rule": "centre of mass of |weights| within 4 px of the largest on each past frame, relative to the output pixel; "
        "the true displacement k frames back is -k * velocity",
        "probes": [{k: v for k, v in r.items() if k not in ("frames", "noisy", "estimate", "filter")} for r in rows],
        **filter_summary(rows),
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "filters.json", report)
    if not quiet:
        for r in rows:
            shifts = ", ".join(
                f"{s['frames_back']} back: ({s['rows']:+.2f}, {s['cols']:+.2f}) vs ({s['true_rows']:+d}, {s['true_cols']:+d})"
                for s in r["displacements"]
            )
            print(f"velocity {tuple(r['velocity'])}: {shifts}; {r['input_psnr']:.1f} -> {r['output_psnr']:.1f} dB")
        print(f"displacement error: median {report['median_error_px']:.2f} px, max {report['max_error_px']:.2f} px")
        print(f"wrote {out / 'filters.png'} and {out / 'filters.json'}")
    return report


def _cue_probe(spec: str, dataset, clips, tau: int):
    import torch

    from nextframe.analysis.natural import static_pattern

    if spec == "static":
        return static_pattern(clips.shape[-1], tau + 1)
    try:
        name, start, scale, location = spec.split(":")
        start, scale, location = int(start), int(scale), int(location)
    except ValueError:
        raise NextframeError(
            f"--probes {spec}: give SEQUENCE:START:SCALE:LOCATION (e.g. blackswan:0:2:17) or 'static'"
        ) from None
    truth, names = dataset.truth("test"), dataset.meta.get("sequences", [])
    if truth is None or name not in names:
        raise NextframeError(
            f"--probes {spec}: {name} is not a sequence of {dataset.path} ({', '.join(dataset.meta['split']['test'])} are "
            f"its test sequences)"
        )
    hit = np.flatnonzero(
        (truth["sequence"] == names.index(name))
        & (truth["start"] == start)
        & (truth["scale"] == scale)
        & (truth["location"] == location)
    )
    if len(hit) == 0:
        raise NextframeError(
            f"--probes {spec}: no test clip of {name} starts at frame {start} at scale {scale}, location {location}"
        )
    return torch.from_numpy(np.asarray(clips[hit[0], : tau + 1], np.float32) / 255.0)


def run_cues(args, quiet: bool = False) -> dict:
    from nextframe.analysis.natural import cue_experiment
    from nextframe.analysis.natural_figures import cue_figure

    started, out = time.monotonic(), Path(args.out)
    model = _model(args.model)
    if model.config.tau < 1:
        raise NextframeError(f"{args.model} has tau=0: cue combination needs past frames")
    dataset, clips = _test_clips(args.data, model.config.tau + 1)
    probes = {spec.split(":")[0]: _cue_probe(spec, dataset, clips, model.config.tau) for spec in args.probes}
    psnrs = tuple(args.psnr or range(-10, 85, 5))
    found = cue_experiment(model, probes, psnrs, args.seed)
    out.mkdir(parents=True, exist_ok=True)
    cue_figure(out / "cues.png", found, probes, f"cue combination (figure 8), {args.model}")
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "model": _trained(args.model),
        "probes": found,
        "crossover_psnr": {k: v["crossover_psnr"] for k, v in found.items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "cues.json", report)
    if not quiet:
        for name, result in found.items():
            cross = result["crossover_psnr"]
            print(
                f"{name}: observation-only overtakes conditioning-only at "
                + (
                    f"{cross:.1f} dB input PSNR"
                    if cross is not None
                    else f"no input PSNR in {min(psnrs):g}..{max(psnrs):g} dB"
                )
            )
        print(f"wrote {out / 'cues.png'} and {out / 'cues.json'}")
    return report


def run_samples(args, quiet: bool = False) -> dict:
    from nextframe.analysis.natural import next_frame_samples
    from nextframe.data.frames_io import write_grid

    if args.clips < 1 or args.samples < 1:
        raise NextframeError("--clips and --samples must be at least 1")
    started, out = time.monotonic(), Path(args.out)
    model = _model(args.model)
    tau = model.config.tau
    _, clips = _test_clips(args.data, tau + 1)
    knobs = sampler_knobs(args)
    found = next_frame_samples(model, clips, args.clips, args.samples, args.seed, knobs)
    out.mkdir(parents=True, exist_ok=True)
    cols = (
        [f"t-{tau - 1 - t}" if t < tau - 1 else "t" for t in range(tau)]
        + ["truth t+1", "one-step"]
        + [f"sample {i + 1}" for i in range(args.samples)]
    )
    write_grid(
        out / "samples.png",
        found.pop("grid"),
        scale=4,
        col_labels=cols,
        row_labels=[f"clip {c}" for c in found["clips"]],
        title=f"{args.model}: past frames, the true next frame, the one-step estimate and samples",
    )
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "model": _trained(args.model),
        "sampler": knobs,
        "layout": f"one row per test clip: {tau} past frames, the true next frame, the one-step estimate, then {args.samples} samples",
        **found,
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "samples.json", report)
    if not quiet:
        for i, clip in enumerate(report["clips"]):
            print(
                f"test clip {clip}: one-step {report['one_step_psnr'][i]:.1f} dB, samples "
                + " ".join(f"{v:.1f}" for v in report["sample_psnr"][i])
                + f" dB, spread {report['sample_spread'][i]:.3f}"
                + (f" ({report['status'][i].count('diverged')} diverged)" if "diverged" in report["status"][i] else "")
            )
        print(
            f"median {report['median_evaluations']:.0f} network evaluations per sample; wrote {out / 'samples.png'} and "
            f"{out / 'samples.json'}"
        )
    return report


def run_bimodal(args, quiet: bool = False) -> dict:
    from nextframe.analysis.bimodal import bimodal_experiment
    from nextframe.analysis.natural_figures import bimodal_figures

    if args.steps < 1 or not 0 < args.alpha <= 1:
        raise NextframeError(f"--steps {args.steps} --alpha {args.alpha}: need at least 1 step and 0 < alpha <= 1")
    if not all(-10 <= s <= 10 for s in args.starts):
        raise NextframeError(
            f"--starts {' '.join(map(str, args.starts))}: initial points must be numbers in [-10, 10] (the masses sit at -0.5 and 0.5)"
        )
    started, out = time.monotonic(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    found = bimodal_experiment(starts=tuple(args.starts), steps=args.steps, alpha=args.alpha)
    figures = bimodal_figures(out, found)
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "masses": [-0.5, 0.5],
        "noise_prior": "log-uniform, p(sigma) ~ 1/sigma on [0.001, 10]",
        "fixed_points_map": found["fixed_points_map"],
        "fixed_points_posterior": found["fixed_points_posterior"],
        "map_sigma_at": {
            f"{v:g}": float(found["map_sigma"][abs(found["y"] - v).argmin()]) for v in (0.0, 0.25, 1.0, 2.0)
        },
        "trajectories": {f"{k:g}": [round(float(v), 6) for v in path] for k, path in found["trajectories"].items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "bimodal.json", report)
    if not quiet:
        points = ", ".join(
            f"{p['y']:+.3f} ({'stable' if p['stable'] else 'unstable'})" for p in found["fixed_points_map"]
        )
        print(f"fixed points of the blind (MAP) residual: {points}")
        print("trajectories: " + ", ".join(f"{k:g} -> {path[-1]:+.3f}" for k, path in found["trajectories"].items()))
        print(f"wrote {figures[0]}, {figures[1]} and {out / 'bimodal.json'}")
    return report
