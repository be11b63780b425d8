"""Ship one method's better weights from a training run: score the run on the shipped benchmark's clips, samples and
seeds, and only if it beats the weights that ship now (lower CRPS), replace them, with a card that carries the
recipe, the CPU time in all, the examples seen, the learning curve and the command that continues it.

    python scripts/ship_method.py --dataset smmnist32 --method mcvd --run runs/stages/smmnist32-mcvd \
        --data runs/methods/smmnist32

The benchmark's row for the method (docs/results/benchmark/<dataset>/methods/<method>.json) is measured anew on the
run's weights, its table, figures and report rewritten with every other row as it was, and the learning curve of
the run's snapshots (--snapshot-minutes) written beside the weights as <name>.curve.json. Writes nothing when the
run does not beat what ships (exit 1), or when the run or the benchmark's rows are missing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from dataclasses import asdict
from pathlib import Path

from methods_cards import DATASETS, MODELS, NAMES, cpu_name, train_command  # scripts/ is on the path when run

WHAT = {
    "score": "the paper's blind conditional denoiser (bias-free U-Net), sampled by iterative partial denoising",
    "deterministic": "the prediction-only U-Net, one pass per frame, trained by MSE (the conditional mean) or, with "
    "--point-loss l1, by the absolute error (the conditional median, a point forecast's lowest CRPS): the floor",
    "svg_lp": "SVG-LP (Denton & Fergus 2018) at the CPU scale",
    "mcvd": "MCVD, concat variant (Voleti et al. 2022) at the CPU scale",
    "rvd": "RVD (Yang et al. 2022) at the CPU scale",
}


def stage_commands(run: Path, dataset: str, name: str) -> tuple[str, str]:
    """The command that trained the run's last stage (its --max-minutes: the minutes it had, where a stage was
    stopped at a snapshot by hand), and the one that continues from the shipped weights."""
    from nextframe.models.files import read_metadata

    config = json.loads((run / "config.json").read_text())
    config["max_minutes"] = round(read_metadata(run / "model.safetensors")["minutes"], 1)
    command = train_command(config, dataset).replace(f"runs/methods/{dataset}-{config['method']}", str(run))
    if config.get("init"):
        command += f" --init {config['init']}"
    # 60 more CPU-minutes (--max-minutes counts this stage's); from the shipped weights (--init, added below)
    follow = {**config, "init": name, "max_minutes": 60.0}
    more = (
        train_command(follow, dataset).replace(f"runs/methods/{dataset}-{config['method']}", f"runs/stages/{name}-next")
        + f" --init {name}"
    )
    return command, more


def shipped_point(row: dict, name: str) -> list[dict]:
    """The shipped weights as one point of a curve, for weights that ship without one (the 12-minute models): their
    benchmark row at the CPU-minutes their metadata records; [] when it records none."""
    from nextframe.analysis.learning_curves import CURVE_FIELDS
    from nextframe.models import shipped_path
    from nextframe.models.files import read_metadata

    meta = read_metadata(shipped_path(name))
    if "total_minutes" not in meta:
        return []
    point = {k: row[k] for k in CURVE_FIELDS if k in row}
    return [{**point, "minutes": float(meta["total_minutes"]), "examples": int(meta.get("total_examples", 0))}]


def card(run: Path, name: str, row: dict, references: dict, dataset: str) -> str:
    from nextframe.models.files import read_metadata

    _, what, data_command = DATASETS[dataset]
    meta = read_metadata(run / "model.safetensors")
    config = meta["train"]
    method = config["method"]
    command, more = stage_commands(run, dataset, name)
    beside = "; ".join(f"{k} {row['crps'] - v:+.4f}" for k, v in references.items())
    curve = row.get("curve") or []
    lines = [
        f"# {name}",
        "",
        f"**{method}** on {what}: {WHAT[method]}, width {config['width']}. Trained in stages, each starting from the "
        f"weights shipped before it (`--init`; the first from scratch): {meta['total_minutes']:.1f} CPU-minutes of "
        f"optimiser steps in all ({meta['total_minutes'] / 60:.2f} CPU-hours; one thread of an {cpu_name()}, torch "
        f"2.13.0 CPU build), {meta['total_examples']:,} windows of {config['tau']} past + {config['future']} future "
        f"frames, {meta['total_steps']:,} steps.",
        "",
        "## Data and training",
        "",
        "```bash",
        data_command,
        f"{command}   # the last stage",
        f"{more}   # continues from these weights",
        "```",
        "",
        *(
            [
                f"The last stage started from the weights shipped under this name before it; the earlier stages' "
                f"commands are in this card's history (`git log -p src/nextframe/models/{name}.md`).",
                "",
            ]
            if config.get("init")
            else []
        ),
        f"Batch {config['batch_size']}, Adam {config['lr']:g}"
        + (f", weight average half-life {config['ema_halflife']:,} examples (ramped)" if config["ema_halflife"] else "")
        + (f", warm-up {config['warmup_steps']} steps" if config.get("warmup_steps") else "")
        + (f", gradient clip {config['grad_clip']:g}" if config.get("grad_clip") else "")
        + f"; the method's own settings: {json.dumps(config['options']) if config['options'] else 'its defaults'}.",
        "",
        "## Test numbers",
        "",
        f"`nextframe benchmark` on docs/results/benchmark/{dataset}/'s clips: {row['clips']} test clips, K = "
        f"{row['samples']} samples, {row['future']} future frames: CRPS {row['crps']:.4f} on [0, 1] "
        f"({row['crps_255']:.2f} on [0, 255]), PSNR best of K {row['psnr_best']:.2f} dB, mean {row['psnr_mean']:.2f} dB, "
        f"SSIM best {row['ssim_best']:.3f}; {row['evaluations_per_frame']:g} network evaluations and "
        f"{row['seconds_per_frame']:.3f} s per generated frame (one thread). Against the rows that learn nothing: "
        f"CRPS {beside} (negative: better).",
        "",
    ]
    if curve:
        lines += [
            "## Learning curve",
            "",
            "CRPS of the weights kept at each point of the training time (the same clips, samples and seeds):",
            "",
            "| CPU-minutes | examples | CRPS | PSNR mean of K |",
            "|---|---|---|---|",
            *[
                f"| {p['minutes']:.1f} | {p['examples']:,} | {p['crps']:.4f} | {p.get('psnr_mean', float('nan')):.2f} |"
                for p in curve
            ],
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", choices=sorted(DATASETS), required=True)
    p.add_argument("--method", choices=sorted(NAMES), required=True)
    p.add_argument("--run", required=True, help="the run folder whose weights may ship")
    p.add_argument("--data", required=True, help="the dataset folder the benchmark scored (runs/methods/<dataset>)")
    p.add_argument("--benchmark", default=None, help="the shipped benchmark; default docs/results/benchmark/<dataset>")
    p.add_argument("--cache", default="runs/curve-cache", help="scored snapshots, kept between calls")
    args = p.parse_args()

    from nextframe.analysis.benchmark import BenchmarkSettings, measure, write_report
    from nextframe.analysis.learning_curves import score_curve, shipped_curve

    run, bench = Path(args.run), Path(args.benchmark or f"docs/results/benchmark/{args.dataset}")
    rows_dir = bench / "methods"
    if not (run / "model.safetensors").is_file() or not (rows_dir / f"{args.method}.json").is_file():
        sys.exit(f"nothing written: missing {run / 'model.safetensors'} or {rows_dir / (args.method + '.json')}")
    order = [line.split(",")[0] for line in (bench / "table.csv").read_text().splitlines()[1:]]  # the table's rows
    rows = {name: json.loads((rows_dir / f"{name}.json").read_text()) for name in order}
    shipped = rows[args.method]
    settings = BenchmarkSettings.from_saved(shipped["settings"])
    name = f"{DATASETS[args.dataset][0]}-{NAMES[args.method]}"
    weights = hashlib.sha256((run / "model.safetensors").read_bytes()).hexdigest()
    if weights == shipped["weights"]:  # these weights ship already: their card and curve are rewritten, not their row
        row = {**shipped, "model": str(run)}
    else:
        row = {
            **measure(args.method, str(run), args.data, settings),
            "settings": asdict(settings),
            "weights": weights,
        }
    row["curve"] = score_curve(row, args.data, settings, Path(args.cache), measure)
    init = json.loads((run / "config.json").read_text()).get("init")
    if init == name and row["curve"]:  # a stage from the shipped weights: their curve is this curve's beginning
        earlier = shipped_curve(name) or shipped_point(shipped, name)
        row["curve"] = [p for p in earlier if p["minutes"] < row["curve"][0]["minutes"]] + row["curve"]
    print(f"{name}: CRPS {row['crps']:.4f} (shipped {shipped['crps']:.4f})")
    if weights != shipped["weights"] and not row["crps"] < shipped["crps"]:
        print(f"nothing written: {run} does not beat the shipped {name}", file=sys.stderr)
        return 1
    row["model"] = name  # what a rerun of the benchmark names it by
    references = {k: rows[k]["crps"] for k in ("copy-last", "blank") if k in rows}
    text = card(run, name, row, references, args.dataset)
    shutil.copyfile(run / "model.safetensors", Path(MODELS) / f"{name}.safetensors")
    (Path(MODELS) / f"{name}.md").write_text(text)
    (Path(MODELS) / f"{name}.curve.json").write_text(json.dumps({"model": name, "points": row["curve"]}, indent=1))
    (rows_dir / f"{args.method}.json").write_text(json.dumps(row) + "\n")
    # the other rows as they are now: another method shipped while this one was scored (an hour for RVD) must stay
    rows = {n: json.loads((rows_dir / f"{n}.json").read_text()) for n in order}
    write_report(bench, list(rows.values()), settings, args.data)
    print(f"shipped {MODELS}/{name}.safetensors with its card and curve; {bench} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
