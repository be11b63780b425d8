"""Learning curves: the benchmark's held-out CRPS of a run's weights against the CPU time that trained them.

`nextframe train --snapshot-minutes 3,10,30,100,300` keeps a copy of the shipped weights (the average, where a run
averages) in RUN/snapshots/ as the total training time, its --init chain's included, passes each point. Each snapshot
is scored here as the benchmark scores a method (the same clips, K samples and seeds; no FVD or occlusion
instrument, which cost more than the curve needs), so a curve's last point and the benchmark's row are the same
number for the same weights. A shipped model carries its curve beside its weights (`<name>.curve.json`, written by
scripts/ship_method.py from its run), since the run folder does not ship.

Curves answer what a table at one budget cannot: is a method still learning (train it further), or flat (stop)?
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from nextframe.files import atomic_path

CURVE_FIELDS = ("minutes", "examples", "crps", "crps_se", "psnr_mean", "psnr_best")  # per point, in curve.json


def snapshots(run: str | Path) -> list[tuple[float, Path]]:
    """(total training minutes, weights) of a run folder's snapshots and its final weights, in time order (the final
    weights alone when the stage ended before its first snapshot: still a point of the curve); [] for anything else
    (a shipped name, a weights file)."""
    from nextframe.models.files import read_metadata

    run = Path(run)
    if not run.is_dir() or not (run / "model.safetensors").exists():
        return []
    final = read_metadata(run / "model.safetensors")
    if "total_minutes" not in final:  # weights written before minutes were recorded have no place on a curve
        return []
    points = [(float(final["total_minutes"]), run / "model.safetensors")]
    for path in sorted((run / "snapshots").glob("model-*min.safetensors")):
        meta = read_metadata(path)
        # a snapshot within 1% of the final weights' examples (a stage stopped by hand at its snapshot) is the same
        # point of the curve: the final weights, which are the benchmark's own row, stand for it
        if "total_minutes" in meta and meta["total_examples"] < 0.99 * final["total_examples"]:
            points.append((float(meta["total_minutes"]), path))
    return sorted(points)


def shipped_curve(model: str) -> list[dict]:
    """The curve a shipped model carries (`<name>.curve.json` beside its weights), or []."""
    from nextframe.models import shipped_path

    weights = shipped_path(model)
    path = weights.with_name(f"{weights.stem}.curve.json") if weights is not None else None  # an alias: its model's
    return json.loads(path.read_text())["points"] if path is not None and path.exists() else []


def scored_point(path: Path, data: str, settings, cache: Path, measure, progress: bool = False) -> dict:
    """The curve fields of the weights at `path`, scored by `measure` (the benchmark's) without FVD or the occlusion
    instrument (cost), cached in `cache` by the weights' SHA-256 and the settings."""
    cheap = replace(settings, fvd=False, collision_windows=0, probe_samples=0)
    # the key leaves out what cannot change a curve's point (FVD's clips and grid), and the CRPS estimator where it is
    # the one used before it became a setting, so points scored before these settings existed are found again
    fields = {k: v for k, v in asdict(cheap).items() if k not in ("fvd_videos", "fvd_resize", "fair_crps")}
    fields |= {"fair_crps": True} if cheap.fair_crps else {}
    key = hashlib.sha256(path.read_bytes() + json.dumps(fields, sort_keys=True).encode()).hexdigest()
    saved = cache / f"{key[:20]}.json"
    if saved.exists():
        return json.loads(saved.read_text())
    measured = measure(path.name, str(path), data, cheap, progress=progress)
    point = {k: measured[k] for k in CURVE_FIELDS if k in measured}
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_path(saved) as tmp:
        tmp.write_text(json.dumps(point) + "\n")
    return point


def score_curve(row: dict, data: str, settings, cache: Path, measure, progress: bool = False) -> list[dict]:
    """The curve of a benchmark row's model: a run folder's snapshots (`scored_point`; the final weights are the row
    itself, not scored again) or a shipped model's (read); [] when it has none."""
    from nextframe.models.files import read_metadata

    points = snapshots(row["model"])
    if not points:
        return shipped_curve(row["model"])
    curve = []
    for minutes, path in points:
        if path.name == "model.safetensors":  # the benchmark's own row: the same clips, samples and seeds
            point = {k: row[k] for k in CURVE_FIELDS if k in row}
        else:
            point = scored_point(path, data, settings, cache, measure, progress)
        curve.append({**point, "minutes": minutes, "examples": int(read_metadata(path).get("total_examples", 0))})
    return curve


def curve_figure(rows: list[dict]):
    """CRPS against CPU-hours of training (log scale) for every row with a curve; rows that learn nothing (the
    reference rows) as horizontal lines; a trained row without a curve is not drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nextframe.analysis.baselines import BASELINES

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for r in rows:
        curve = r.get("curve") or []
        if r.get("method") in BASELINES:
            ax.axhline(r["crps"], ls="--", lw=1, color="grey")
            ax.annotate(r["name"], (1.0, r["crps"]), xycoords=("axes fraction", "data"), fontsize=7, ha="right",
                        va="bottom", color="grey")  # fmt: skip
        elif curve:
            hours = np.array([p["minutes"] for p in curve]) / 60
            ax.plot(hours, [p["crps"] for p in curve], marker="o", ms=4, label=r["name"])
    ax.set(
        xscale="log",
        xlabel="CPU-hours of training (optimiser steps, one thread)",
        ylabel="CRPS on [0, 1] (lower is better)",
        title="learning curves: held-out CRPS against training time",
    )
    ax.grid(alpha=0.3, which="both")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def curve_table(rows: list[dict]) -> str:
    """A Markdown table of every curve: CRPS at each point, with the CPU-minutes and examples that bought it."""
    lines = ["| name | CPU-minutes | examples | CRPS | PSNR mean of K |", "|---|---|---|---|---|"]
    for r in rows:
        for p in r.get("curve") or []:
            lines.append(
                f"| {r['name']} | {p['minutes']:.1f} | {p.get('examples', 0):,} | {p['crps']:.4f} | "
                f"{p.get('psnr_mean', float('nan')):.2f} |"
            )
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""
