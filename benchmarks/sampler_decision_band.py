"""Where along the anneal does `leaves-tau2` decide which disk is in front, and which sampler decides like the truth?

Issue 17 asked the fast samplers to decide like a slow reference run (beta 0.1); none does within 0.05
(sampler_networks.py). This benchmark finds where the difference arises and asks which of the two is nearer the
truth: the same network and seeds, with beta 0.1 only above or only below a noise level (`late_beta`,
`late_sigma`: a beta schedule in sigma_k), against the slow reference, the default, and the oracle sampler (the
Moving Leaves generator's own conditional law), on the held-out collision windows and the figure-4 probes.

    python benchmarks/sampler_decision_band.py --out docs/results/sampler-networks/decision-band   # ~40 CPU-minutes

Each setting is cached in OUT/settings/ (rerun to finish or extend); OUT/table.md and table.json hold the numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np
import torch

from nextframe.analysis.decisions import heldout_collisions
from nextframe.analysis.occlusion import (
    DEFAULT_DIFFERENCES,
    collision_decisions,
    decision_summary,
    decision_sweep,
)
from nextframe.methods import load_denoiser

FAST = {"schedule": "constant", "h0": 0.5, "sigma0": 16.0, "beta": 0.75, "sigma_stop": 0.05}  # the default
LABELS = ("larger", "smaller", "not two clean disks")  # collision_decisions' labels
PROBE_KEYS = ("larger_in_front_unambiguous", "smaller_in_front_unambiguous", "neither_fraction")


def settings() -> dict[str, dict]:
    """The default, the slow reference, and beta 0.1 confined to a band of noise levels (above or below sigma)."""
    out = {
        "default (beta 0.75, stop 0.05)": FAST,
        "default, stop 0.01": {**FAST, "sigma_stop": 0.01},
        "beta 0.1, stop 0.05": {**FAST, "beta": 0.1},
        "slow reference (beta 0.1, stop 0.01)": {**FAST, "beta": 0.1, "sigma_stop": 0.01},
    }
    for s in (1.0, 0.3, 0.1):  # slow first, fast from sigma s on
        out[f"beta 0.1 above sigma {s:g}, then 0.75"] = {**FAST, "beta": 0.1, "late_beta": 0.75, "late_sigma": s}
    for s in (0.3, 0.1):  # fast first, slow from sigma s on
        out[f"beta 0.75, then 0.1 below sigma {s:g}"] = {**FAST, "late_beta": 0.1, "late_sigma": s}
    out["beta 0.75, then 0.1 below sigma 0.3, stop 0.01"] = {
        **FAST,
        "late_beta": 0.1,
        "late_sigma": 0.3,
        "sigma_stop": 0.01,
    }
    out["beta 0.75, then 0.25 below sigma 0.3"] = {**FAST, "late_beta": 0.25, "late_sigma": 0.3}
    out["beta 0.75, then 0.25 below sigma 0.3, stop 0.01"] = {
        **FAST,
        "late_beta": 0.25,
        "late_sigma": 0.3,
        "sigma_stop": 0.01,
    }
    return out


def measure(model, knobs: dict | None, windows: int, window_samples: int, probe_samples: int, seed: int) -> dict:
    """Collision shares and probe decisions of one setting (model None: the oracle sampler)."""
    context, _, window = heldout_collisions(windows)
    found = collision_decisions(model, context, window, window_samples, seed, **(knobs or {}))
    rows = decision_sweep(model, DEFAULT_DIFFERENCES, probe_samples, seed, **(knobs or {}))  # None: the oracle
    labels = np.array(found["labels"])
    probes = decision_summary(rows)
    return {
        "collisions": {k: float((labels == k).mean()) for k in LABELS},
        "probes": {k: probes[k] for k in PROBE_KEYS},
        "median_evaluations": found["report"].get("median_evaluations") if model is not None else None,
        "diverged": found["report"].get("diverged", 0) if model is not None else 0,
    }


def distance(a: dict, b: dict) -> float:
    """The largest difference over the six decision frequencies (three collision shares, three probe shares)."""
    return max(
        max(abs(a["collisions"][k] - b["collisions"][k]) for k in LABELS),
        max(abs(a["probes"][k] - b["probes"][k]) for k in PROBE_KEYS),
    )


def table(runs: dict[str, dict]) -> str:
    ref, oracle = runs["slow reference (beta 0.1, stop 0.01)"], runs["oracle"]
    lines = [
        "| setting | evaluations | collisions larger / smaller / not clean | probes larger / smaller / neither "
        "| largest Δ vs slow reference | largest Δ vs oracle |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        c, p = r["collisions"], r["probes"]
        evals = "-" if r["median_evaluations"] is None else f"{r['median_evaluations']:.0f}"
        lines.append(
            f"| {name} | {evals} | {c['larger']:.0%} / {c['smaller']:.0%} / {c['not two clean disks']:.0%} "
            f"| {p['larger_in_front_unambiguous']:.0%} / {p['smaller_in_front_unambiguous']:.0%} / "
            f"{p['neither_fraction']:.0%} | {distance(r, ref):.3f} | {distance(r, oracle):.3f} |"
        )
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="docs/results/sampler-networks/decision-band")
    p.add_argument("--windows", type=int, default=64, help="held-out collision windows")
    p.add_argument("--window-samples", type=int, default=16)
    p.add_argument("--probe-samples", type=int, default=32, help="samples per probe, 13 probes")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(1)
    out = Path(args.out)
    (out / "settings").mkdir(parents=True, exist_ok=True)
    model = load_denoiser("leaves-tau2", "the decision band").network.eval()
    runs = {}
    for name, knobs in {"oracle": None, **settings()}.items():
        path = out / "settings" / f"{re.sub(r'[^a-z0-9.]+', '-', name.lower()).strip('-')}.json"
        if not path.exists():
            started = time.monotonic()
            run = {"name": name, "knobs": knobs}
            run.update(
                measure(
                    None if knobs is None else model,
                    knobs,
                    args.windows,
                    args.window_samples,
                    args.probe_samples,
                    args.seed,
                )
            )
            run["seconds"] = round(time.monotonic() - started, 1)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(run) + "\n")
            tmp.replace(path)
            print(f"{name}: {run['seconds']} s", flush=True)
        runs[name] = json.loads(path.read_text())
    text = table(runs)
    (out / "table.md").write_text(text)
    (out / "table.json").write_text(json.dumps(runs, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
