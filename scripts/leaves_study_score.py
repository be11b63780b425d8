"""Score the arms of the learning-efficiency study (issue 15) with the decision instrument and held-out PSNR, and
print the table of docs/results/leaves-study/README.md.

    python scripts/leaves_study_score.py --data runs/leaves-100k --runs runs/study --reports runs/study/eval \
        shipped=leaves-tau2 baseline ema power1 focus75 tail:sigma0=2,beta=0.25

An arm is NAME (weights in RUNS/NAME/model.safetensors), NAME=WEIGHTS, or either with :KEY=VALUE,... sampler
settings. Each arm's `nextframe experiment decisions` report (and figures) go to REPORTS/NAME/ (reused if there),
with the experiment's defaults: 64 held-out collision windows x 8 samples, 13 probes x 32 samples, seed 0; the
table to --table as JSON and to stdout as markdown.
"""

import argparse
import csv
import json
from argparse import Namespace
from pathlib import Path

import numpy as np

from nextframe.cli.experiments import run_decisions
from nextframe.data.store import ClipDataset, Windows
from nextframe.evaluation.denoising import denoising_psnr
from nextframe.methods import load_denoiser
from nextframe.models.files import model_metadata
from nextframe.sampling.settings import PAPER


def parse(arm: str, runs: Path) -> tuple[str, str, dict]:
    spec, _, knobs = arm.partition(":")
    name, _, weights = spec.partition("=")
    sampler = {k: float(v) for k, v in (kv.split("=") for kv in knobs.split(",") if kv)}
    return name, weights or str(runs / name / "model.safetensors"), sampler


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="the seed-0 Moving Leaves set the arms trained on (its test split)")
    p.add_argument("--runs", default="runs/study")
    p.add_argument("--reports", default="runs/study/eval")
    p.add_argument("--table", default="docs/results/leaves-study/table.json")
    p.add_argument("arms", nargs="+")
    args = p.parse_args()
    test = Windows(ClipDataset.open(args.data).clips("test"), 2)
    rows = []
    for arm in args.arms:
        name, weights, sampler = parse(arm, Path(args.runs))
        out = Path(args.reports) / name
        if not (out / "decisions.json").exists():
            knobs = {**PAPER.knobs(), **sampler}  # the study was scored with the paper's sampler
            run_decisions(
                Namespace(
                    model=weights,
                    out=str(out),
                    samples=32,
                    seed=0,
                    windows=64,
                    window_samples=8,
                    differences=[float(d) for d in np.round(np.arange(-3.0, 3.01, 0.5), 2)],
                    **knobs,
                ),
                quiet=True,
            )
        report = json.loads((out / "decisions.json").read_text())
        psnr = [
            r["output_psnr"]
            for r in denoising_psnr(
                load_denoiser(weights, "the denoising PSNR").network, test, (0, 10, 20, 30), examples=512, seed=0
            )
        ]
        meta = model_metadata(weights)
        log = Path(weights).parent / "log.csv"
        minutes = float(list(csv.DictReader(open(log)))[-1]["minutes"]) if log.exists() else float("nan")
        m, o = report["summary"]["model"], report["summary"]["oracle"]
        labels = report.get("collision_labels", {}).get("model")
        if (
            labels
        ):  # standard error of the larger-in-front share over windows (samples of one window are not independent)
            per_window = np.array([x == "larger" for x in labels], float).reshape(m["collisions_windows"], -1).mean(1)
            se, se_kind = per_window.std(ddof=1) / np.sqrt(len(per_window)), "windows"
        else:  # reports written before the labels were kept: the binomial error, a lower bound
            p_ = m["collisions_larger_share"]
            se, se_kind = np.sqrt(p_ * (1 - p_) / m["collisions_samples"]), "binomial"
        rows.append(
            {
                "arm": name,
                "sampler": sampler or "defaults",
                "minutes": round(minutes, 1),
                "examples": meta.get("examples"),
                "total_examples": meta.get("total_examples", meta.get("examples")),
                "psnr_0_10_20_30": [round(v, 2) for v in psnr],
                "collisions": {
                    k: m[f"collisions_{k}_share"]
                    for k in ("larger", "smaller", "not_two_clean_disks", "no_visible_overlap")
                },
                "larger_se": float(se),
                "larger_se_over": se_kind,
                "diverged_before_retry": m["collisions_retried"],
                "diverged": m["collisions_diverged"],
                "probes_larger_unambiguous": m["larger_in_front_unambiguous"],
                "probes_right_equal": m["right_in_front_equal_radii"],
                "probes_neither": m["neither_fraction"],
                "slope": report["logistic_fit"]["slope"],
                "oracle_collisions_larger": o["collisions_larger_share"],
                "oracle_probes_larger": o["larger_in_front_unambiguous"],
            }
        )
    Path(args.table).write_text(json.dumps(rows, indent=2) + "\n")
    print(
        "| arm | sampler | CPU min | examples | PSNR out at 0/10/20/30 dB in | collisions: larger / smaller / not clean / no overlap | "
        "diverged (first try / after retries) | probes: larger (unambiguous) / right at equal radii / neither | slope /px |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    pct = lambda v: "n/a" if v is None else f"{100 * v:.0f}%"  # noqa: E731
    for r in rows:
        c = r["collisions"]
        print(
            f"| {r['arm']} | {r['sampler']} | {r['minutes']} | {r['examples']} | {' / '.join(f'{v:.2f}' for v in r['psnr_0_10_20_30'])} | "
            f"{pct(c['larger'])} ± {100 * r['larger_se']:.0f}{'' if r['larger_se_over'] == 'windows' else '*'} / "
            f"{pct(c['smaller'])} / {pct(c['not_two_clean_disks'])} / {pct(c['no_visible_overlap'])} | "
            f"{r['diverged_before_retry']} / {r['diverged']} of 512 | {pct(r['probes_larger_unambiguous'])} / "
            f"{pct(r['probes_right_equal'])} / "
            f"{pct(r['probes_neither'])} | {r['slope']:.2f} |"
        )


if __name__ == "__main__":
    main()
