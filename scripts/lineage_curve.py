"""The learning curve of a model trained in stages, on the occlusion targets' own instrument, and what the next
CPU-hour buys on it (issue 29): each stage's weights (a file, or one from git) measured by the scale study's
instrument (`scripts/scale_study.py`: 64 held-out collision windows x 8 samples, figure 4's 13 probes x 16, the
library's default sampler, seed 0) and placed at the CPU-minutes and examples its card states.

    python scripts/lineage_curve.py docs/results/leaves-tau2/lineage/stages.json --out docs/results/leaves-tau2/lineage

STAGES.json is a list of {"stage", "weights", "cpu_minutes", "examples", "recipe"}; "weights" is a path, or
"git:COMMIT:PATH" for a file as it was at a commit. Points already in OUT/points.json (same weights, by SHA-256) are
not measured again, so rerunning after a new stage measures only that stage. Writes points.json, table.md and
curve.png. The fit: a straight line in CPU-minutes through the last --fit-last stages (one recipe, the same clock),
its slope in points per CPU-hour with the standard error of the slope, and the CPU-hours at which that line would
reach each target: a rough guide from a few points, printed beside the points it came from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_study import load_points, measure  # noqa: E402  (a sibling script: the instrument, not a copy)

# the issue-29 targets per series: (name in the points, label, target, the direction that meets it)
SERIES = (
    ("larger_share", "collisions: larger in front", 0.80, +1),
    ("smaller_share", "collisions: smaller in front", 0.05, -1),
    ("not_two_clean_disks_share", "collisions: not two clean disks", 0.15, -1),
    ("probes_larger_unambiguous", "probes: larger in front (unambiguous)", 0.90, +1),
)


def weights_bytes(spec: str) -> bytes:
    """The weights named by a stage: a path, or git:COMMIT:PATH."""
    if spec.startswith("git:"):
        _, commit, path = spec.split(":", 2)
        return subprocess.run(["git", "show", f"{commit}:{path}"], check=True, capture_output=True).stdout
    return Path(spec).read_bytes()


def measure_stages(stages: list[dict], out: Path) -> list[dict]:
    """Each stage's point, measured once (cached in out/points.json by SHA-256, saved after each)."""
    saved, cache = out / "points.json", load_points(out)
    rows = []
    for stage in stages:
        data = weights_bytes(stage["weights"])
        key = hashlib.sha256(data).hexdigest()
        if key not in cache:
            with tempfile.TemporaryDirectory() as tmp:
                weights = Path(tmp) / "model.safetensors"
                weights.write_bytes(data)
                found = measure(weights, Path(tmp) / "scratch", 64, 8, 16)
            cache[key] = {"sha256": key, **found}
            saved.write_text(json.dumps(list(cache.values()), indent=1) + "\n")
        q = cache[key]
        rows.append({**q, **stage, "sha256": key})  # the card's clock and examples, not the file's own count
        print(
            f"stage {stage['stage']} at {stage['cpu_minutes']:g} CPU-min: collisions "
            + " / ".join(f"{q[k]:.0%}" for k, *_ in SERIES[:3])
            + f"; probes {q['probes_larger_unambiguous']:.0%}",
            flush=True,
        )
    return rows


def slope_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least squares y = a + b x: a, b and the standard error of b (0 where two points leave no residual)."""
    (b, a), cov = np.polyfit(x, y, 1, cov=True) if len(x) > 3 else (np.polyfit(x, y, 1), np.zeros((2, 2)))
    return float(a), float(b), float(np.sqrt(max(cov[0, 0], 0.0)))


def extrapolate(rows: list[dict], last: int) -> dict:
    x = np.array([r["cpu_minutes"] for r in rows[-last:]]) / 60.0  # CPU-hours
    report = {}
    for key, label, target, sign in SERIES:
        y = np.array([r[key] for r in rows[-last:]])
        a, b, se = slope_fit(x, y)
        now = a + b * x[-1]
        hours = (target - now) / b if sign * b > 0 else float("inf")
        met = sign * (y[-1] - target) >= 0
        report[key] = {
            "label": label,
            "target": target,
            "last": float(y[-1]),
            "points_per_cpu_hour": b * 100,
            "points_per_cpu_hour_se": se * 100,
            "cpu_hours_to_target": 0.0 if met else max(hours, 0.0),
            "trend_measured": bool(abs(b) >= 2 * se),  # a slope within two standard errors of 0 predicts nothing
        }
    return report


def table(rows: list[dict], report: dict, last: int) -> str:
    lines = [
        "| stage | CPU-minutes | examples | collisions larger / smaller / not clean | probes larger (unambiguous) | "
        "equal radii: right in front | size cue at sigma 1 / 2 | recipe |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        shares = " / ".join(
            f"{r[k]:.0%}" + (f" ± {r[k + '_se'] * 100:.0f}" if r.get(k + "_se") is not None else "")
            for k, *_ in SERIES[:3]
        )
        cue = r.get("size_cue") or {}
        cue = f"{cue['1.0']:.2f} / {cue['2.0']:.2f}" if cue else "n/a"
        lines.append(
            f"| {r['stage']} | {r['cpu_minutes']:g} | {r['examples']:,} | {shares} | "
            f"{r['probes_larger_unambiguous']:.0%} | {r['right_in_front_equal_radii']:.0%} | {cue} | {r['recipe']} |"
        )
    lines += ["", f"A straight line in CPU-minutes through the last {last} stages:", ""]
    for q in report.values():
        hours = q["cpu_hours_to_target"]
        when = "never at this slope" if hours == float("inf") else f"{hours:.1f} more CPU-hours"
        if hours and not q["trend_measured"]:
            when = "no measurable trend (the slope is within two standard errors of 0)"
        lines.append(
            f"- {q['label']}: {q['last']:.0%} now, target {q['target']:.0%}; "
            f"{q['points_per_cpu_hour']:+.1f} ± {q['points_per_cpu_hour_se']:.1f} points per CPU-hour; {when}"
        )
    return "\n".join(lines) + "\n"


def figure(rows: list[dict], path: Path, last: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.array([r["cpu_minutes"] for r in rows]) / 60.0
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for (key, label, target, _), color in zip(SERIES, ("tab:blue", "tab:red", "tab:gray", "tab:green")):
        y = np.array([r[key] for r in rows])
        se = np.array([r.get(key + "_se") or 0.0 for r in rows])
        ax.errorbar(x, y, yerr=se, fmt="o-", color=color, label=label, capsize=2, ms=4)
        ax.axhline(target, color=color, ls="--", lw=0.8)
        a, b, _ = slope_fit(x[-last:], y[-last:])
        ahead = np.array([x[-last], x[-1] + 2.0])  # the fitted line, two CPU-hours past the last stage
        ax.plot(ahead, np.clip(a + b * ahead, 0, 1), ":", color=color, lw=1)
    for r, xi in zip(rows, x):
        ax.annotate(f"stage {r['stage']}", (xi, 0.97), ha="center", va="top", fontsize=7)
    ax.set(xlabel="CPU-hours of training in all", ylabel="share of samples", ylim=(0, 1))
    ax.set_title("The occlusion instrument against CPU time (dashed: issue 29's targets; dotted: the fit)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    tmp.replace(path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("stages", help="JSON list of stages (see the module's help)")
    p.add_argument("--out", required=True, help="folder for points.json, table.md and curve.png")
    p.add_argument("--fit-last", type=int, default=5, help="stages at the end the slope is fitted through")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = measure_stages(json.loads(Path(args.stages).read_text()), out)
    last = min(args.fit_last, len(rows))
    report = extrapolate(rows, last)
    text = table(rows, report, last)
    (out / "table.md").write_text(text)
    figure(rows, out / "curve.png", last)
    print(text.split("\n\n", 1)[1] if "\n\n" in text else text)
    print(f"wrote {out / 'points.json'}, {out / 'table.md'} and {out / 'curve.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
