"""The learning curve of a shipped model trained in stages before runs kept snapshots: each stage's weights are the
file that shipped under the model's name at a commit, scored on the shipped benchmark's clips, samples and seeds,
and placed at the CPU-minutes its card states. Makes the model the benchmark's row for its method, with the curve.

    python scripts/history_curve.py --dataset leaves --method score --model leaves-tau2-score \
        --data runs/methods/leaves --stage 3d86ccd=221.8:832000 --stage 673b392=391.2:1536000 ...

`--stage COMMIT=MINUTES:EXAMPLES`: the weights at COMMIT, trained for MINUTES CPU-minutes and EXAMPLES windows in all
(its stages before it included), oldest first; COMMIT may instead be a weights file (the stage about to ship, copied
to the shipped name but not yet committed: its point records no commit). The last is the file that ships now, which
is also measured as the method's row (with the occlusion instrument and FVD where the benchmark has them). Writes
<model>.curve.json beside the weights (an alias's: its model's) and rewrites the benchmark's row, table and report;
`--drop NAME` removes a row that the new one repeats.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--dataset", required=True, help="the benchmark's folder under docs/results/benchmark")
    p.add_argument("--method", required=True, help="the row it replaces (score, deterministic, ...)")
    p.add_argument("--model", required=True, help="the shipped name that the row will load")
    p.add_argument("--data", required=True, help="the dataset folder the benchmark scored")
    p.add_argument("--stage", action="append", default=[], help="COMMIT=MINUTES:EXAMPLES, oldest first")
    p.add_argument("--drop", action="append", default=[], help="a row to remove from the table (repeated by this one)")
    p.add_argument("--cache", default="runs/curve-cache", help="scored weights, kept between calls")
    args = p.parse_args()

    from nextframe.analysis.benchmark import BenchmarkSettings, measure, write_report
    from nextframe.analysis.learning_curves import scored_point
    from nextframe.models import shipped_path

    bench = Path("docs/results/benchmark") / args.dataset
    order = [line.split(",")[0] for line in (bench / "table.csv").read_text().splitlines()[1:]]
    rows = {name: json.loads((bench / "methods" / f"{name}.json").read_text()) for name in order}
    settings = BenchmarkSettings.from_saved(rows[args.method]["settings"])
    weights = shipped_path(args.model)
    if weights is None:
        sys.exit(f"{args.model!r} is not a shipped model")
    in_repo = weights.resolve().relative_to(Path.cwd().resolve())
    curve = []
    with tempfile.TemporaryDirectory() as tmp:
        for stage in args.stage:
            commit, rest = stage.split("=")
            minutes, examples = rest.split(":")
            a_file = commit.endswith(".safetensors")
            path = Path(commit) if a_file else Path(tmp) / f"{commit}.safetensors"
            if not a_file:
                path.write_bytes(
                    subprocess.run(["git", "show", f"{commit}:{in_repo}"], capture_output=True, check=True).stdout
                )
            point = scored_point(path, args.data, settings, Path(args.cache), measure)
            point.update(minutes=float(minutes), examples=int(examples), commit=None if a_file else commit)
            print(f"{commit}: {float(minutes):.0f} CPU-minutes, CRPS {point['crps']:.4f}")
            curve.append(point)
    row = {
        **measure(args.method, args.model, args.data, settings),
        "settings": rows[args.method]["settings"],
        "weights": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }
    row["name"] = args.method
    row["curve"] = curve  # its last stage is the file that ships: the same clips, samples and seeds as the row
    print(f"{args.model}: CRPS {row['crps']:.4f} (the row it replaces: {rows[args.method]['crps']:.4f})")
    (weights.with_name(f"{weights.stem}.curve.json")).write_text(
        json.dumps({"model": args.model, "points": row["curve"]}, indent=1)
    )
    (bench / "methods" / f"{args.method}.json").write_text(json.dumps(row) + "\n")
    rows[args.method] = row
    for name in args.drop:
        rows.pop(name, None)
        (bench / "methods" / f"{name}.json").unlink(missing_ok=True)
    write_report(bench, list(rows.values()), settings, args.data)
    print(f"{bench} rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
