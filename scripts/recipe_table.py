"""The recipe trials' table (issue 28 item 2): for each trial run folder, its settings, the examples it saw and its
held-out loss (the cheap proxy every epoch logs, for the shipped average and the live weights) at each logged point,
and, where `nextframe benchmark` scored it, the CRPS of its final weights.

    python scripts/recipe_table.py runs/trials/smmnist32-mcvd-* --benchmark runs/trials/bench-smmnist32

Prints a Markdown table; trials of one method and dataset had the same CPU-minute budget (scripts/recipe_trials.sh),
so the lower proxy at equal minutes is the recipe that learns faster per CPU-minute.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from pathlib import Path

SETTINGS = ("width", "batch_size", "lr", "ema_halflife", "warmup_steps", "grad_clip")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", help="trial run folders")
    p.add_argument("--benchmark", help="a `nextframe benchmark --out` folder that scored some of them")
    args = p.parse_args()
    scored = {}
    if args.benchmark:
        for f in Path(args.benchmark, "methods").glob("*.json"):
            row = json.loads(f.read_text())
            scored[row.get("weights")] = row
    print("| run | " + " | ".join(SETTINGS) + " | CPU-min | examples | held-out loss (average / live) | CRPS |")
    print("|---|" + "---|" * (len(SETTINGS) + 4))
    for run in map(Path, args.runs):
        if not (run / "log.csv").exists():
            continue
        config = json.loads((run / "config.json").read_text())
        weights = hashlib.sha256((run / "model.safetensors").read_bytes()).hexdigest()
        crps = scored.get(weights, {}).get("crps")
        log = list(csv.DictReader(open(run / "log.csv")))
        for i, r in enumerate(log):
            live = r.get("live_heldout_loss") or r["heldout_loss"]
            cells = [config.get(k, "") for k in SETTINGS] if i == 0 else [""] * len(SETTINGS)
            print(
                f"| {run.name if i == 0 else ''} | "
                + " | ".join(f"{c:g}" if isinstance(c, float) else str(c) for c in cells)
                + f" | {float(r['minutes']):.1f} | {int(r['examples']):,} | {float(r['heldout_loss']):.4f} / "
                f"{float(live):.4f} | {'' if crps is None or i < len(log) - 1 else f'{crps:.4f}'} |"
            )


if __name__ == "__main__":
    main()
