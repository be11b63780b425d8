"""Ship the five methods trained and scored on one dataset by scripts/train_methods.sh: copy each run's weights into
src/nextframe/models/<prefix>-<method>.safetensors (prefix smmnist32 or leaves-tau2) and write its card from the run
(config.json, log.csv) and the benchmark's numbers (`nextframe benchmark ... --out docs/results/benchmark/<dataset>`).

    python scripts/methods_cards.py --dataset smmnist32 --runs runs/methods --benchmark docs/results/benchmark/smmnist32
    python scripts/methods_cards.py --dataset leaves --runs runs/methods --benchmark docs/results/benchmark/leaves

Refuses, writing nothing, when a run or the benchmark's numbers are missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from pathlib import Path

from nextframe.models import ALIASES

SCRIPT = {
    "smmnist32": "scripts/train_methods.sh smmnist32 ../shared/data/mnist",
    "leaves": "scripts/train_methods.sh leaves -",
}


def cpu_name() -> str:
    """The CPU this card is written on (the one that trained, when run where train_methods.sh ran)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or "unknown CPU"


MODELS = "src/nextframe/models"
NAMES = {"score": "score", "deterministic": "pred", "svg_lp": "svg", "mcvd": "mcvd", "rvd": "rvd"}  # method -> suffix
DATASETS = {  # name -> (shipped prefix, what it is, the command that makes it)
    "smmnist32": (
        "smmnist32",
        "Stochastic Moving MNIST 32x32 (5 past frames)",
        "nextframe data smmnist --mnist ../shared/data/mnist --out runs/methods/smmnist32 --size 32 --n 10000 --test 256",
    ),
    "leaves": (
        "leaves-tau2",
        "Moving Leaves 32x32 (2 past frames, section 3.1 of the paper)",
        "nextframe data leaves --out runs/methods/leaves --n 100000 --seed 0",
    ),
}
WHAT = {
    "score": "the paper's blind conditional denoiser (bias-free U-Net, width 32), sampled by iterative partial denoising",
    "deterministic": "the prediction-only U-Net (width 32) trained by MSE: the conditional mean, the floor",
    "svg_lp": "SVG-LP (Denton & Fergus 2018) at the CPU scale: encoder width 32, g 128, z 10, LSTMs of 256",
    "mcvd": "MCVD, concat variant (Voleti et al. 2022) at the CPU scale: width 32, multipliers 1,2,2, attention at 8x8, "
    "DDPM over 100 of 1,000 levels",
    "rvd": "RVD (Yang et al. 2022) at the CPU scale: width 16, multipliers 1,2,4, DDPM over 100 of 1,600 cosine levels "
    "(the public code: all 1,600)",
}


def train_command(config: dict, dataset: str) -> str:
    """The `nextframe train` line of a saved config (any version's): the flags whose values differ from the
    defaults, the method's own settings among them."""
    from dataclasses import asdict

    from nextframe.methods import method
    from nextframe.settings import from_options, options_of
    from nextframe.training.config import TrainConfig

    skip = {"data", "out", "progress", "device", "options", "init"}
    config = asdict(TrainConfig.from_dict(config))
    default = TrainConfig()
    own = getattr(method(config["method"]), "Settings", None)
    own_default = options_of(own()) if own is not None else {}
    if own is not None:  # any version's saved options, read as today's names and types
        config["options"] = options_of(from_options(own, config["options"], config["method"]))

    def flag(k, v) -> str:
        name = k.replace("_", "-")
        if isinstance(v, bool):  # a switch: --augment, or --no-NAME for one that is on by default
            return f"--{name}" if v else f"--no-{name}"
        if isinstance(v, (tuple, list)):  # a tuple setting: --multipliers 1,2,2
            return f"--{name} {','.join(map(str, v))}"
        return f"--{name} {v:g}" if isinstance(v, float) else f"--{name} {v}"

    flags = [flag(k, v) for k, v in config.items() if k not in skip and getattr(default, k, None) != v]
    flags += [flag(k, v) for k, v in config["options"].items() if own_default.get(k, object()) != v]
    return (
        f"OMP_NUM_THREADS=1 nextframe train --data runs/methods/{dataset} --out runs/methods/{dataset}-{config['method']} "
        + " ".join(flags)
    )


def card(run: Path, name: str, bench: dict, dataset: str) -> str:
    _, what, data_command = DATASETS[dataset]
    config = json.loads((run / "config.json").read_text())
    log = list(csv.DictReader(open(run / "log.csv")))
    last = log[-1]
    m = config["method"]
    held = ", ".join(
        f"{k.removeprefix('heldout_')} {float(v):.4g}"
        for k, v in last.items()
        if k.startswith("heldout_") and k != "heldout_loss"
    )
    floor = bench.get("floor")
    rows = [
        f"# {name}",
        "",
        f"**{m}** on {what}: {WHAT[m]}. One of five methods trained at the same budget of {config['max_minutes']:g} "
        f"CPU-minutes ({config.get('budget_clock', 'wall')} clock; one thread of an {cpu_name()}, torch 2.13.0 CPU build) "
        f"and compared in docs/results/benchmark/{dataset}/. A CPU-scale budget, far below the peers' papers: it "
        "shows how the methods compare at equal cost on this machine, not how they rank when trained to convergence.",
        "",
        "## Data and training",
        "",
        "```bash",
        f"{SCRIPT[dataset]}   # all five methods, then the benchmark; what it runs for this one:",
        data_command,
        train_command(config, dataset),
        "```",
        "",
        f"Budget: {float(last['minutes']):.1f} minutes of optimiser steps, {last['step']} steps, {last['examples']} "
        f"windows of {config['tau']} past + {config['future']} future frames. Held-out (256 test windows) after the "
        f"last epoch: loss {float(last['heldout_loss']):.5g}; {held}.",
        "",
        "## Test numbers",
        "",
        f"`nextframe benchmark` (docs/results/benchmark/README.md has the command): {bench['clips']} test clips, "
        f"K = {bench['samples']} samples, {bench['future']} future frames: CRPS {bench['crps']:.4f} on [0, 1] "
        f"({bench['crps_255']:.2f} on [0, 255]), PSNR best of K {bench['psnr_best']:.2f} dB, mean {bench['psnr_mean']:.2f} "
        f"dB, SSIM best {bench['ssim_best']:.3f}; {bench['evaluations_per_frame']:g} network evaluations and "
        f"{bench['seconds_per_frame']:.3f} s per generated frame (one thread)."
        + (f" Against the deterministic floor: CRPS {bench['crps'] - floor:+.4f}." if floor is not None else "")
        + (
            f" Against a blank frame (the past's median pixel, which learns nothing): CRPS "
            f"{bench['crps'] - bench['blank']:+.4f}."
            if bench.get("blank") is not None
            else ""
        ),
        "",
    ]
    if bench.get("decisions") and bench.get("probe_decisions"):
        d, pr = bench["decisions"], bench["probe_decisions"]
        equal = pr["right_in_front_equal_radii"]
        rows += [
            "## Occlusion decisions",
            "",
            f"Next frames of {d['windows']} held-out collision windows x {d['samples_per_window']}: larger disk in "
            f"front {d['larger_share']:.0%}, smaller {d['smaller_share']:.0%}, neither (not two clean disks or no "
            f"visible overlap) {1 - d['larger_share'] - d['smaller_share']:.0%}. Figure 4's probes x "
            f"{pr['samples_per_probe']}: larger in front on the unambiguous ones {pr['larger_in_front_unambiguous']:.0%}, "
            f"smaller {pr['smaller_in_front_unambiguous']:.0%}, neither {pr['neither_fraction']:.0%}; at equal radii "
            + (
                "none decided."
                if equal is None
                else f"the right disk in front in {equal:.0%} of decided samples (fair: 50%)."
            )
            + " A perfect sampler scores 97% / 95% larger in front (docs/results/sampler-networks).",
            "",
        ]
    return "\n".join(rows)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", choices=sorted(DATASETS), default="smmnist32")
    p.add_argument("--runs", default="runs/methods", help="scripts/train_methods.sh's RUNS: <dataset>-<method> folders")
    p.add_argument("--benchmark", default=None, help="the benchmark's --out; default docs/results/benchmark/<dataset>")
    args = p.parse_args()
    prefix = DATASETS[args.dataset][0]
    bench_dir = Path(args.benchmark or f"docs/results/benchmark/{args.dataset}")
    folders = {r: Path(args.runs) / f"{args.dataset}-{r}" for r in NAMES}
    missing = [str(folders[r] / "model.safetensors") for r in NAMES if not (folders[r] / "model.safetensors").is_file()]
    missing += [
        str(bench_dir / "methods" / f"{r}.json") for r in NAMES if not (bench_dir / "methods" / f"{r}.json").is_file()
    ]
    if missing:
        sys.exit(f"nothing written: missing {', '.join(missing)}")
    benches = {r: json.loads((bench_dir / "methods" / f"{r}.json").read_text()) for r in NAMES}
    for run, suffix in NAMES.items():
        name = f"{prefix}-{suffix}"
        if name in ALIASES:  # shipped as another model (models/__init__.py): a 12-minute run does not replace it
            print(f"{name} is {ALIASES[name]}: not replaced")
            continue
        blank = bench_dir / "methods" / "blank.json"
        bench = {
            **benches[run],
            "floor": benches["deterministic"]["crps"] if run != "deterministic" else None,
            "blank": json.loads(blank.read_text())["crps"] if blank.is_file() else None,
        }
        text = card(folders[run], name, bench, args.dataset)
        shutil.copyfile(folders[run] / "model.safetensors", Path(MODELS) / f"{name}.safetensors")
        (Path(MODELS) / f"{name}.md").write_text(text)
        print(f"wrote {MODELS}/{name}.safetensors and .md")


if __name__ == "__main__":
    main()
