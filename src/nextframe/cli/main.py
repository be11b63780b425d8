"""The `nextframe` command: data, train, sample, evaluate, experiment and demo. Bad input ends in one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import warnings
from dataclasses import replace
from pathlib import Path

from nextframe.cli.experiments import add_experiment
from nextframe.cli.options import COMMAND_HELP, add_dataclass_args, add_sampler_args, given, sampler_knobs
from nextframe.errors import NextframeError
from nextframe.files import write_json


def add_data(sub) -> None:
    data = sub.add_parser("data", help=COMMAND_HELP["data"]).add_subparsers(dest="dataset", required=True)
    leaves = data.add_parser("leaves", help="generate the Moving Leaves dataset (App. D)")
    leaves.add_argument("--out", required=True, help="dataset folder to create")
    leaves.add_argument(
        "--n", type=int, default=100_000, help="sequences, split 9:1 into train and test (default 100000)"
    )
    leaves.add_argument(
        "--seed", type=int, default=0, help="generator seed; seed 0 with the default --n is the shipped models' data"
    )
    leaves.add_argument("--frames", type=int, default=11, help="frames per sequence (App. D: 11)")
    leaves.add_argument("--size", type=int, default=32, help="canvas in pixels; disk sizes and paths scale with it")
    leaves.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    leaves.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    leaves.set_defaults(run=run_data_leaves)

    from nextframe.data.smmnist import SMMNISTConfig

    mnist = data.add_parser(
        "smmnist", help="generate Stochastic Moving MNIST (SVG/MCVD rules at 64x64, or every length halved at 32x32)"
    )
    mnist.add_argument("--mnist", required=True, help="folder holding the four MNIST idx files (gzip or not)")
    mnist.add_argument("--out", required=True, help="dataset folder to create")
    add_dataclass_args(mnist, SMMNISTConfig)
    mnist.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    mnist.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    mnist.set_defaults(run=run_data_smmnist)

    from nextframe.data.video import VideoCropConfig

    v = VideoCropConfig()
    video = data.add_parser(
        "video", help="clips of real video, like the paper's DAVIS32 (App. D): 32x32 crops at 21 locations and 3 scales"
    )
    video.add_argument(
        "--source",
        required=True,
        nargs="+",
        help="a DAVIS folder (JPEGImages/480p/<sequence>/*.jpg), folders of frame folders or videos, or video files",
    )
    video.add_argument("--out", required=True, help="dataset folder to create")
    video.add_argument("--frames", type=int, default=v.frames, help=f"frames per clip (default {v.frames})")
    video.add_argument("--size", type=int, default=v.size, help=f"crop side after down-sampling (default {v.size})")
    video.add_argument(
        "--scales",
        type=int,
        nargs="+",
        default=list(v.scales),
        help="anti-aliased down-sampling factors (default 2 4 8)",
    )
    video.add_argument(
        "--grid",
        type=int,
        nargs=2,
        default=[v.rows, v.cols],
        metavar=("ROWS", "COLS"),
        help=f"crop locations per scale, spread evenly over the frame (default {v.rows} {v.cols}: 21)",
    )
    video.add_argument(
        "--clip-stride",
        type=int,
        default=v.clip_stride,
        help=f"frames between clip starts (default {v.clip_stride}: no overlap)",
    )
    video.add_argument(
        "--test-sequences", nargs="+", help="sequences to hold out for testing (default: every --test-every-th by name)"
    )
    video.add_argument(
        "--test-every", type=int, default=5, help="hold out every Nth sequence in sorted order (default 5)"
    )
    video.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    video.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    video.set_defaults(run=run_data_video)


def run_data_leaves(args) -> None:
    from nextframe.data.leaves import LeavesConfig, write_leaves

    if args.frames < 2 or args.size < 16:
        raise NextframeError(f"--frames {args.frames} --size {args.size}: need at least 2 frames of at least 16 pixels")
    if args.n > 10_000_000:
        raise NextframeError(f"--n {args.n}: at most 10,000,000 sequences (11 GB per million of 32x32 frames)")
    out = write_leaves(
        args.out,
        n=args.n,
        seed=args.seed,
        cfg=LeavesConfig.for_size(args.size, args.frames),
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    print(f"wrote {args.n} sequences to {out}")


def add_benchmark(sub) -> None:
    from nextframe.analysis.benchmark import BenchmarkSettings

    p = sub.add_parser("benchmark", help=COMMAND_HELP["benchmark"])
    p.add_argument(
        "--data",
        default=None,
        help="a clip dataset (its test split is scored); default: a held-out Moving Leaves test set, made once in "
        "RUNS/leaves-test (the first 2,000 sequences of the seed-0 set; no shipped model saw its 200 test sequences)",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        default=None,
        metavar="[NAME=]MODEL",
        help="shipped names, run folders or weights, method names to train with --train-minutes (score, "
        "deterministic, svg_lp, mcvd, rvd), or the reference rows copy-last and blank (they learn nothing), each "
        "optionally named (svg=runs/svg); the name labels the rows. Default: the reference rows and every shipped "
        "model that fits the data (Moving Leaves or SM-MNIST 32x32)",
    )
    p.add_argument("--out", default="results/benchmark", help="folder for table.md/csv, figures, report.html")
    p.add_argument(
        "--train-minutes",
        type=float,
        default=0.0,
        help="train every entry given as a method name for this many CPU-minutes of optimiser steps each (an equal "
        "budget; a rerun resumes, a larger value extends) before scoring it",
    )
    p.add_argument(
        "--runs",
        default="runs/benchmark",
        help="folder for the run folders --train-minutes trains (default runs/benchmark)",
    )
    add_dataclass_args(p, BenchmarkSettings)
    p.add_argument("--quick", action="store_true", help="8 clips, 4 samples, 4 frames: a look in minutes")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(run=run_benchmark)


def run_benchmark(args) -> None:
    from tqdm import tqdm

    from nextframe.analysis.benchmark import BenchmarkSettings, default_data, run_benchmark, shipped_models_for
    from nextframe.analysis.benchmark_training import is_method_name, protocol, train_for_benchmark
    from nextframe.data.store import ClipDataset
    from nextframe.files import check_out_dir

    check_out_dir(args.out)
    data = args.data if args.data is not None else str(default_data(Path(args.runs) / "leaves-test"))
    ClipDataset.open(data)
    base = BenchmarkSettings.quick() if args.quick else BenchmarkSettings()
    typed = given(args, BenchmarkSettings)
    if "future" not in typed:  # as many future frames as the data's clips hold after its protocol's past (Leaves: 9)
        tau, sequence, _ = protocol(data)
        base = replace(base, future=min(base.future, sequence))
    settings = replace(base, **typed)
    models = {}
    for entry in args.methods or [f"{k}={v}" for k, v in shipped_models_for(data).items()]:
        name, _, model = entry.rpartition("=") if "=" in entry else (Path(entry.rstrip("/")).stem, "", entry)
        if name in models:
            raise NextframeError(f"--methods: two entries are named {name!r}; name them (NAME=MODEL)")
        models[name] = model
    to_train = [m for m in models.values() if is_method_name(m)]
    if to_train and args.train_minutes <= 0:
        raise NextframeError(
            f"--methods {' '.join(to_train)}: method names to train; add --train-minutes M (CPU-minutes each), or give "
            "shipped names, run folders or weights"
        )
    if args.train_minutes < 0:
        raise NextframeError(f"--train-minutes must be at least 0, got {args.train_minutes}")
    if to_train:
        models = train_for_benchmark(data, models, args.train_minutes, args.runs, progress=not args.no_progress)
    print(f"scoring {len(models)} methods on {data}'s test split: {', '.join(models)}", flush=True)

    def announce(row: dict) -> None:  # a line per method as it finishes, with or without progress bars
        fvd = f", FVD {row['fvd']:.1f}" if row.get("fvd") is not None else ""
        line = f"{row['name']}: CRPS {row['crps']:.4f}, PSNR best {row['psnr_best']:.2f} dB{fvd}, {row['seconds_per_frame']:.3f} s/frame"
        tqdm.write(line) if not args.no_progress else print(line, flush=True)

    rows = run_benchmark(data, models, args.out, settings, progress=not args.no_progress, on_row=announce)
    print(
        f"wrote {Path(args.out) / 'table.md'}, table.csv, per_step.png, samples.png and report.html ({len(rows)} methods)"
    )
    print(Path(args.out, "table.md").read_text())


def run_data_smmnist(args) -> None:
    from nextframe.data.smmnist import SMMNISTConfig, write_smmnist

    cfg = SMMNISTConfig(**given(args, SMMNISTConfig))
    out = write_smmnist(args.mnist, args.out, cfg, overwrite=args.overwrite, progress=not args.no_progress)
    print(f"wrote {out}: {cfg.n} training and {cfg.test} test sequences of {cfg.frames} frames, {cfg.size}x{cfg.size}")


def run_data_video(args) -> None:
    from nextframe.data.video import VideoCropConfig, write_video_dataset

    cfg = VideoCropConfig(
        frames=args.frames,
        size=args.size,
        scales=tuple(args.scales),
        rows=args.grid[0],
        cols=args.grid[1],
        clip_stride=args.clip_stride,
    )
    out, meta = write_video_dataset(
        args.source,
        args.out,
        cfg,
        test_sequences=args.test_sequences,
        test_every=args.test_every,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    split = meta["split"]
    clips = meta["clips"]
    print(
        f"wrote {out}: {clips['train']} training clips from {len(split['train'])} sequence(s), "
        f"{clips['test']} test clips from {len(split['test'])} ({', '.join(split['test'])})"
    )


def add_train(sub) -> None:
    """The flags are generated from the settings dataclasses (`training.config.CONCERNS`), one group per concern."""
    from nextframe.methods import METHODS, method
    from nextframe.training.config import CONCERNS

    p = sub.add_parser("train", help=COMMAND_HELP["train"])
    for concern in CONCERNS:
        group = p.add_argument_group(concern.__name__.removesuffix("Settings").lower())
        add_dataclass_args(group, concern, choices={"method": list(METHODS)})
    added = {a.dest for a in p._actions}
    for name in METHODS:  # each method's own settings (its Settings dataclass), a flag once however many share it
        own = getattr(method(name), "Settings", None)
        if own is not None:
            group = p.add_argument_group(f"{name} (with --method {name})")
            add_dataclass_args(group, own, skip=added)
            added |= set(own.__dataclass_fields__)
    p.add_argument(
        "--prediction-only",
        action="store_true",
        help="the same as --method deterministic: the network that sees only the past frames",
    )
    p.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint in --out and start over")
    p.set_defaults(run=run_train)


def run_train(args) -> None:
    from nextframe.methods import METHODS, method
    from nextframe.training.config import TrainConfig
    from nextframe.training.trainer import train

    config = TrainConfig(**given(args, TrainConfig))
    if args.prediction_only:
        config = replace(config, method="deterministic")
    own = getattr(method(config.method), "Settings", None)
    options = given(args, own) if own is not None else {}
    for name in METHODS:  # a flag of another method is a mistake, not something to ignore
        other = getattr(method(name), "Settings", None)
        for key in set(given(args, other) if other is not None else {}) - set(options):
            raise NextframeError(f"--{key.replace('_', '-')} is a setting of --method {name}, not {config.method}")
    config = replace(config, options=options)
    summary = train(config, method(config.method), fresh=args.fresh)
    if summary["stopped"] == "interrupted":
        raise KeyboardInterrupt  # the state is saved; exit 130 like any interrupted command
    print(
        f"{summary['stopped']}: {summary['steps']} steps, {summary['examples']} examples, {summary['minutes']:.1f} min; "
        f"weights in {Path(args.out) / 'model.safetensors'}"
    )


def add_sample(sub) -> None:
    p = sub.add_parser("sample", help=COMMAND_HELP["sample"])
    p.add_argument(
        "--model",
        default="leaves-tau2",
        help="shipped model name, or weights (.safetensors) or checkpoint (.pt) from `nextframe train` (default leaves-tau2)",
    )
    p.add_argument(
        "--context", required=True, nargs="+", help="past frames: one .npy, GIF or video file, or one image per frame"
    )
    p.add_argument(
        "--out", required=True, help="folder for samples.npy, one_step.npy, samples.png, samples.gif, summary.json"
    )
    p.add_argument("--take-last", action="store_true", help="use the last tau frames of a longer context")
    p.add_argument("--samples", type=int, default=8, help="samples per context (default 8)")
    p.add_argument("--frames", type=int, default=1, help="future frames to generate recursively (default 1)")
    p.add_argument("--seed", type=int, default=0, help="sample i uses seed + i")
    add_sampler_args(p)
    p.add_argument("--scale", type=int, default=4, help="enlargement of the PNG and GIF (default 4)")
    p.set_defaults(run=run_sample)


MAX_SAMPLES = 100_000  # per run: more would take days on a CPU; runs with other seeds add up
SAMPLE_CHUNK = 256  # samples drawn at once: per-sample seeds make the result the same whatever the chunk


def run_sample(args) -> int:
    import numpy as np
    import torch

    from nextframe.cli.options import load_predictor
    from nextframe.data.frames_io import read_frames, write_gif, write_grid, write_npy
    from nextframe.files import check_out_dir
    from nextframe.sampling.sampler import per_sample_seeds

    # everything that can be refused is refused before the first network evaluation
    out = check_out_dir(args.out)
    if args.samples < 1 or args.frames < 1:
        raise NextframeError(f"--samples {args.samples} --frames {args.frames}: both must be at least 1")
    if not 1 <= args.scale <= 16:
        raise NextframeError(f"--scale {args.scale}: the PNG and GIF enlargement must lie between 1 and 16")
    per_sample_seeds(args.seed, args.samples)
    predictor = load_predictor(args)  # the score sampler's flags for the score method; refused by the others
    knobs = sampler_knobs(args) if predictor.method == "score" else {}
    cfg = predictor.config
    tau = predictor.context_frames
    if tau == 0:
        raise NextframeError("this model has tau=0 (no context); it denoises single images and predicts nothing")
    frames = read_frames(args.context, channels=cfg.channels)
    if len(frames) < tau:
        raise NextframeError(f"got {len(frames)} context frame(s) but the model has tau={tau}; pass {tau} frames")
    if len(frames) > tau:
        if not args.take_last:
            raise NextframeError(
                f"got {len(frames)} context frames but the model has tau={tau}; pass {tau} frames, "
                f"or add --take-last to use the last {tau}"
            )
        frames = frames[len(frames) - tau :]
    cfg.check_size(*frames.shape[-2:])
    predictor.check_frame_shape(frames.shape[1:])
    _check_memory(args.samples, tau + args.frames, frames[0].size, args.scale)

    context = torch.from_numpy(frames)[None]
    chunks = [range(i, min(i + SAMPLE_CHUNK, args.samples)) for i in range(0, args.samples, SAMPLE_CHUNK)]
    parts = [predictor.predict(context, args.frames, samples=len(c), seed=[args.seed + i for i in c]) for c in chunks]
    sampled = torch.cat([p.frames for p in parts]).numpy()
    status = [[s for p in parts for s in p.status[j]] for j in range(args.frames)]  # per frame, per sample
    retries = [
        [n for p in parts for n in (p.retries[j] if p.retries else [0] * len(p.status[j]))] for j in range(args.frames)
    ]
    evals = torch.cat([p.evaluations for p in parts]).T.tolist()
    if predictor.has_one_step:  # the blurry one-pass estimate, shown above the samples
        estimate = predictor.one_step(context, args.frames, seed=args.seed).numpy()
    else:
        estimate = np.zeros((0, *sampled.shape[1:]), sampled.dtype)  # no one-step estimate: no first row
    summary = {
        "model": str(args.model),
        "context": [str(c) for c in args.context],
        "method": predictor.method,
        "tau": tau,
        "samples": args.samples,
        "frames": args.frames,
        "seeds": [args.seed + i for i in range(args.samples)],
        **knobs,
        "evaluations_per_frame": evals,
        "status": status,  # per frame, per sample: converged, diverged (noise, not a sample) or max_steps (stopped early)
        # for the score sampler; sampled (a fixed schedule) or predicted (one pass) for methods with no such test
        "retries": retries,  # per frame, per sample: restarts after a divergence
        "png": "row 1: context then the one-step estimate; rows 2+: context then one sample per row, labelled with its status"
        if len(estimate)
        else "context then one sample per row",
    }
    sample_status = [_worst([status[j][i] for j in range(args.frames)]) for i in range(args.samples)]
    shown = np.concatenate([estimate, sampled])
    rows = np.concatenate([np.repeat(frames[None], len(shown), 0), shown], axis=1)
    row_labels = ["one-step"] * len(estimate) + [
        f"sample {i + 1}" + ("" if st in FINISHED else f" ({st})") for i, st in enumerate(sample_status)
    ]
    col_labels = [f"t-{tau - 1 - t}" if t < tau - 1 else "t" for t in range(tau)] + [
        f"t+{j + 1}" for j in range(args.frames)
    ]
    title = f"{args.model}: context (first {tau} columns), then generated frames"
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_existing_parent(out)))
    try:  # write everything aside, then move it in: a failure leaves no partial output
        write_npy(tmp / "samples.npy", sampled.astype(np.float32))
        if len(estimate):
            write_npy(tmp / "one_step.npy", estimate[0].astype(np.float32))
        write_grid(
            tmp / "samples.png", rows, scale=args.scale, row_labels=row_labels, col_labels=col_labels, title=title
        )
        gif_titles = [f"{col_labels[t]} ({'context' if t < tau else 'generated'})" for t in range(rows.shape[1])]
        write_gif(
            tmp / "samples.gif",
            rows.transpose(1, 0, 2, 3, 4),
            scale=args.scale,
            col_labels=row_labels,
            titles=gif_titles,
        )
        write_json(tmp / "summary.json", summary)
        out.mkdir(parents=True, exist_ok=True)
        for file in tmp.iterdir():
            file.replace(out / file.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    flat = [s for per_frame in status for s in per_frame]
    counts = {k: flat.count(k) for k in ("converged", "diverged", "max_steps")}
    retried = sum(1 for per_frame in retries for n in per_frame if n)
    median = float(np.median([e for per_frame in evals for e in per_frame]))
    if not any(s in ("converged", "diverged", "max_steps") for s in flat):  # a fixed schedule or a single pass:
        # nothing was tested for convergence, so nothing is claimed
        print(
            f"wrote {args.samples} samples of {args.frames} frame(s) to {out}: {len(flat)} generated frames by "
            f"{predictor.describe()} (no convergence test); median {median:g} network evaluations per frame"
        )
        return 0
    print(
        f"wrote {args.samples} samples of {args.frames} frame(s) to {out}: {counts['converged']} of {len(flat)} generated frames "
        f"converged, {retried} restarted after a divergence, {counts['diverged']} still diverged, {counts['max_steps']} stopped at "
        f"--max-steps; median {median:.0f} network evaluations per frame"
    )
    if counts["converged"] == 0:
        print(
            f"nextframe: error: no generated frame converged; the files in {out} are not samples (summary.json 'status'). "
            "Use the default sampler settings, or a smaller --h0 and a larger --max-steps",
            file=sys.stderr,
        )
        return 1
    if counts["diverged"] or counts["max_steps"]:
        print(
            f"nextframe: warning: {counts['diverged'] + counts['max_steps']} generated frame(s) did not converge and are marked in "
            "samples.png and summary.json 'status'; try a smaller --h0, a larger --max-steps or more --retries",
            file=sys.stderr,
        )
    return 0


def _worst(statuses: list[str]) -> str:
    """A sequence's status: its first frame that did not finish well (diverged, max_steps) decides it."""
    return next((s for s in statuses if s not in FINISHED), statuses[0])


FINISHED = ("converged", "sampled", "predicted")  # statuses of frames that are samples (`methods.base.Prediction`)


def _existing_parent(path: Path) -> Path:
    """Create the parents of an output folder (checked writable up front) and return the folder's parent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def _check_memory(samples: int, columns: int, pixels: int, scale: int) -> None:
    """Refuse a sample count whose outputs cannot fit in memory (the samples and the enlarged PNG grid)."""
    import os

    need = (samples + 1) * columns * pixels * 4 * (2 + scale * scale)
    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > have / 2:
        raise NextframeError(
            f"--samples {samples} x {columns} frames needs about {need / 2**30:.0f} GiB for its outputs "
            f"(this machine has {have / 2**30:.0f}); lower --samples, --frames or --scale"
        )


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help=COMMAND_HELP["evaluate"])
    p.add_argument(
        "--model",
        default="leaves-tau2",
        help="shipped model name, weights (.safetensors) or checkpoint (.pt) (default leaves-tau2)",
    )
    p.add_argument("--data", required=True, help="dataset folder; its test split is used")
    p.add_argument(
        "--psnr", type=float, nargs="+", default=[0.0, 10.0, 20.0, 30.0], help="input PSNRs in dB (default 0 10 20 30)"
    )
    p.add_argument("--examples", type=int, default=512, help="held-out windows (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seeds the choice of windows and the noise")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args) -> None:
    from nextframe.data.store import ClipDataset, Windows
    from nextframe.evaluation.denoising import denoising_psnr
    from nextframe.methods import load_denoiser

    model = load_denoiser(args.model, "held-out denoising PSNR")
    clips = ClipDataset.open(args.data).clips("test")
    if clips.shape[2] != model.config.channels:
        raise NextframeError(
            f"{args.data} has {clips.shape[2]}-channel frames but the model takes {model.config.channels}"
        )
    rows = denoising_psnr(model, Windows(clips, model.config.tau), args.psnr, args.examples, args.seed)
    print("input PSNR (dB)  output PSNR (dB)  gain (dB)")
    for r in rows:
        print(f"{r['input_psnr']:15.2f}  {r['output_psnr']:16.2f}  {r['output_psnr'] - r['input_psnr']:+9.2f}")


def add_demo(sub) -> None:
    p = sub.add_parser("demo", help=COMMAND_HELP["demo"])
    p.add_argument("--out", default="nextframe-demo", help="folder for the figures, demo.json and index.md")
    p.add_argument("--model", default="leaves-tau2", help="shipped model name or weights path (default leaves-tau2)")
    p.add_argument("--samples", type=int, default=16, help="samples per probe and per radius difference (default 16)")
    p.add_argument("--seed", type=int, default=0, help="sample i uses seed + i")
    p.set_defaults(run=lambda args: __import__("nextframe.cli.demo", fromlist=["run_demo"]).run_demo(args))


class OneLineParser(argparse.ArgumentParser):
    """argparse's usage errors as one line naming the problem and where the help is, exit code 2, like every other
    refusal (argparse prints the usage block first)."""

    def parse_args(self, args=None, namespace=None):
        """As argparse's, but an unrecognized flag is reported against the subcommand it was given to (argparse
        reports it from the top, whose help does not list the subcommand's flags)."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            words = [getattr(parsed, k, None) for k in ("command", "dataset", "experiment")]  # the chosen (sub)command
            prog = " ".join(["nextframe", *[w for w in words if isinstance(w, str)]])
            command = prog.removeprefix("nextframe").strip()
            print(
                f"nextframe: error: {command + ': ' if command else ''}unrecognized arguments: {' '.join(extras)}; "
                f"see `{prog} --help`",
                file=sys.stderr,
            )
            sys.exit(2)
        return parsed

    def error(self, message):
        command = self.prog.removeprefix("nextframe").strip()
        print(
            f"nextframe: error: {command + ': ' if command else ''}{message}; see `{self.prog} --help`", file=sys.stderr
        )
        sys.exit(2)


class DefaultsFormatter(argparse.HelpFormatter):
    """Help that shows every option's default, unless its text already says it or there is none to show."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, argparse.SUPPRESS) and action.option_strings and not action.required
        if shown and "default" not in text:
            default = (
                " ".join(map(str, action.default)) if isinstance(action.default, (list, tuple)) else action.default
            )
            text += f" (default {default})"
        return text


def subcommands(parser: argparse.ArgumentParser):
    """Every parser below `parser`, depth first (for the formatter and the test that every option is explained)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield child
                yield from subcommands(child)


COMMANDS = {
    "data": add_data,
    "train": add_train,
    "sample": add_sample,
    "evaluate": add_evaluate,
    "experiment": add_experiment,
    "benchmark": add_benchmark,
    "demo": add_demo,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` a command's name just that command's flags (the others listed by
    name and help): `nextframe --help` then answers without importing torch, and `nextframe sample` without
    building the flags of every method's training settings."""
    parser = OneLineParser(
        prog="nextframe", description="Probabilistic video prediction by score-based conditional density estimation."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, add in COMMANDS.items():
        if only is None or name == only:
            add(sub)
        else:
            sub.add_parser(name, help=COMMAND_HELP[name])  # listed; its flags are built when it is the command
    for child in subcommands(parser):
        child.formatter_class = DefaultsFormatter
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> str:
    return f"nextframe: warning: {message}\n"


def check_common(args) -> None:
    """Checks shared by every command, before any work: the output folder, the seed, the sample count and the
    sampler's settings (each command checks its own options too)."""
    from nextframe.files import check_out_dir

    if getattr(args, "out", None) is not None:
        check_out_dir(args.out)
    if getattr(args, "seed", 0) < 0:
        raise NextframeError(f"--seed {args.seed}: seeds are whole numbers from 0")
    if not 1 <= getattr(args, "samples", 1) <= MAX_SAMPLES:
        raise NextframeError(
            f"--samples {args.samples}: must lie between 1 and {MAX_SAMPLES:,} (for more, run again with another --seed)"
        )
    if hasattr(args, "paper_sampler"):
        sampler_knobs(args)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    command = next((a for a in argv if not a.startswith("-")), None)  # the first word names the command
    try:
        args = build_parser(command if command in COMMANDS else "").parse_args(argv)
    except (
        SystemExit
    ) as done:  # a usage error (2, its one line printed) or --help (0): a code for callers in process too
        return done.code if isinstance(done.code, int) else 2
    warnings.formatwarning = _one_line_warning
    try:
        check_common(args)
        code = args.run(args)
    except NextframeError as err:
        print(f"nextframe: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nextframe: interrupted", file=sys.stderr)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
