"""The learning curve of the shipped leaves-tau2 weights (issue 15, item 4): the decision instrument against the
examples each stage's weights had seen, and what a straight line through it in log(examples) says the targets cost.

    python scripts/leaves_study_curve.py runs/study/curve.json --out docs/results/leaves-tau2/learning_curve.png

The input is the table `scripts/leaves_study_score.py --table` writes (one row per stage's weights, `total_examples` from their metadata
or given as NAME@EXAMPLES in --examples). Prints the fit and the extrapolation; the figure shows both.
"""

import argparse
import json
import math

import numpy as np


def fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares line y = a + b log10(x)."""
    b, a = np.polyfit(np.log10(x), y, 1)
    return float(a), float(b)


def cost(a: float, b: float, target: float) -> float:
    """Examples at which the line reaches the target (inf if it never does)."""
    return math.inf if b <= 0 else 10 ** ((target - a) / b)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("table", help="JSON rows from leaves_study_score.py --table")
    p.add_argument("--out", default="docs/results/leaves-tau2/learning_curve.png")
    p.add_argument(
        "--examples",
        nargs="*",
        default=[],
        help="NAME=EXAMPLES for rows whose weights do not count their earlier stages",
    )
    args = p.parse_args()
    rows = json.loads(open(args.table).read())
    given = {k: float(v) for k, v in (e.split("=") for e in args.examples)}
    x = np.array([given.get(r["arm"], r["total_examples"]) for r in rows], float)
    series = {
        "collisions: larger in front": np.array([r["collisions"]["larger"] for r in rows]),
        "collisions: smaller in front": np.array([r["collisions"]["smaller"] for r in rows]),
        "probes: larger in front (unambiguous)": np.array([r["probes_larger_unambiguous"] for r in rows]),
    }
    targets = {"collisions: larger in front": 0.80, "probes: larger in front (unambiguous)": 0.90}
    report = {}
    for name, y in series.items():
        a, b = fit(x, y)
        report[name] = {
            "per_decade": b,
            "target": targets.get(name),
            "examples_at_target": cost(a, b, targets[name]) if name in targets else None,
        }
        where = report[name]["examples_at_target"]
        print(
            f"{name}: {' '.join(f'{v:.0%}' for v in y)} at {' '.join(f'{v / 1e6:.2f}M' for v in x)} examples; "
            f"{b * 100:+.1f} points per tenfold examples"
            + (
                f"; the line reaches {targets[name]:.0%} at {'never' if math.isinf(where) else f'{where:.2g} examples'}"
                if name in targets
                else ""
            )
        )

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (name, y), color in zip(series.items(), ("tab:blue", "tab:red", "tab:green")):
        ax.plot(x, y, "o-", color=color, label=name)
        a, b = fit(x, y)
        grid = np.logspace(np.log10(x.min()), np.log10(x.max()) + 1, 50)
        ax.plot(grid, a + b * np.log10(grid), ":", color=color, lw=1)
        if name in targets:
            ax.axhline(targets[name], color=color, ls="--", lw=0.8)
    for i, (r, xi) in enumerate(zip(rows, x)):
        ax.annotate(r["arm"], (xi, 0.02 + 0.04 * (i % 2)), fontsize=7, ha="center")  # alternate heights: close stages
    ax.set_xscale("log")
    ax.set_ylim(0, 1)
    ax.set_xlabel("training examples seen (all stages)")
    ax.set_ylabel("share of samples")
    ax.set_title("leaves-tau2: decisions against training (dotted: log-linear fit; dashed: targets)", fontsize=9)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
