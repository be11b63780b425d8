"""`nextframe benchmark`: the flags (generated from `analysis.benchmark.BenchmarkSettings`) and the printing; the
measuring is `analysis.benchmark.run_benchmark`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from nextframe.cli.options import COMMAND_HELP, add_dataclass_args, given
from nextframe.errors import NextframeError


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
