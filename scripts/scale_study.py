"""The canvas-scale study of issue 29 (item 3): the decision instrument (`nextframe experiment decisions`, on each
model's own canvas, the oracle beside it) on every snapshot of the runs `scripts/scale_study.sh` trained, as a table
of decisions against CPU-minutes per canvas size.

    python scripts/scale_study.py runs/scale/s16 runs/scale/s32 --out docs/results/scale-study

Each run folder's `snapshots/model-<minutes>min.safetensors` and its final `model.safetensors` are measured with 64
held-out collision windows x 8 samples and figure 4's 13 probes x 16 samples (the library's default sampler, seed 0);
a point already in --out/points.json (same weights, by SHA-256) is not measured again. Writes points.json and table.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from argparse import Namespace
from pathlib import Path


def weights_of(run: Path) -> list[Path]:
    snapshots = sorted((run / "snapshots").glob("model-*min.safetensors"), key=lambda p: float(p.stem[6:-3]))
    return [*snapshots, run / "model.safetensors"] if (run / "model.safetensors").is_file() else snapshots


def measure(weights: Path, scratch: Path, windows: int, window_samples: int, probe_samples: int) -> dict:
    """The instrument's numbers for one weights file, with what they were trained on and for how long."""
    from nextframe.cli.experiments import run_decisions
    from nextframe.models.files import model_metadata

    meta = model_metadata(weights)
    args = Namespace(
        model=str(weights),
        out=str(scratch),
        samples=probe_samples,
        seed=0,
        windows=windows,
        window_samples=window_samples,
        differences=[float(d) / 2 for d in range(-6, 7)],
    )  # no sampler flags: the library's default sampler
    report = run_decisions(args, quiet=True)
    model, oracle = report["summary"]["model"], report["summary"]["oracle"]
    return {
        # weights written before these were recorded (the shipped leaves-tau2) are 32x32 and count their own stage
        "size": meta.get("frame_shape", [1, 32, 32])[-1],
        "minutes": round(float(meta.get("total_minutes", meta.get("minutes", 0.0))), 1),
        "examples": int(meta.get("total_examples", meta.get("examples", 0))),
        **{
            k: model.get(f"collisions_{k}")  # a share and its error over the windows (analysis.decisions.share_errors)
            for s in ("larger_share", "smaller_share", "not_two_clean_disks_share")
            for k in (s, f"{s}_se")
        },
        "probes_larger_unambiguous": model["larger_in_front_unambiguous"],
        "right_in_front_equal_radii": model["right_in_front_equal_radii"],
        "size_cue": model.get("size_cue"),  # {sigma: alpha}, analysis.decisions.size_cue
        "oracle_size_cue": oracle.get("size_cue"),
        "oracle_larger_share": oracle["collisions_larger_share"],
        "oracle_probes_larger_unambiguous": oracle["larger_in_front_unambiguous"],
    }


def measure_size_cue(weights: Path, windows: int = 64) -> dict:
    """Only the size cue (`analysis.decisions.size_cue`, seed 0), for points measured before it was part of
    `measure`: seconds where the whole instrument takes minutes."""
    import nextframe
    from nextframe.analysis.decisions import heldout_collisions, size_cue
    from nextframe.data.leaves import LeavesConfig
    from nextframe.models.files import model_metadata

    cfg = LeavesConfig.for_frames(model_metadata(weights).get("frame_shape"))
    context, truth, window = heldout_collisions(windows, cfg=cfg)
    cue = size_cue(nextframe.load(str(weights)), context, truth, window, seed=0)
    return {"size_cue": cue["model"], "oracle_size_cue": cue["oracle"]}


def cue_pair(cue: dict | None) -> str:
    """A point's size cue at sigma 1 / 2; n/a for points measured before it was part of the instrument."""
    return "n/a" if not cue else f"{cue['1.0']:.2f} / {cue['2.0']:.2f}"


def table(points: list[dict]) -> str:
    def pct(v):
        return "n/a" if v is None else f"{v:.0%}"

    def shares(p):
        """larger / smaller / not clean, with the error over windows where it was measured (points before it: none)."""
        keys = ("larger_share", "smaller_share", "not_two_clean_disks_share")
        if p.get("larger_share_se") is None:
            return " / ".join(pct(p[k]) for k in keys)
        return " / ".join(f"{p[k]:.0%} ± {p[f'{k}_se'] * 100:.0f}" for k in keys)

    lines = [
        "| canvas | CPU-minutes | examples | collisions larger / smaller / not clean | probes larger (unambiguous) | "
        "equal radii: right in front | size cue at sigma 1 / 2 | oracle: collisions larger / probes larger / size cue |",
        "|---|---|---|---|---|---|---|---|",
    ]
    seen = set()  # a run's final weights and its snapshot at the same minute are one point
    for p in sorted(points, key=lambda p: (p["size"], p["minutes"])):
        if (p["run"], p["minutes"]) in seen:
            continue
        seen.add((p["run"], p["minutes"]))
        lines.append(
            f"| {p['size']}x{p['size']} | {p['minutes']:g} | {p['examples']:,} | {shares(p)} | "
            f"{pct(p['probes_larger_unambiguous'])} | "
            f"{pct(p['right_in_front_equal_radii'])} | {cue_pair(p.get('size_cue'))} | {pct(p['oracle_larger_share'])} / "
            f"{pct(p['oracle_probes_larger_unambiguous'])} / {cue_pair(p.get('oracle_size_cue'))} |"
        )
    lines.append(
        "\nCollisions: 64 held-out windows x 8 samples; what a row's three shares leave is 'no visible overlap'; ± the "
        "standard error over windows (the samples of a window are not independent). Probes: "
        "figure 4's 13 radius differences x 16 samples; equal radii: the share of the decided equal-radius samples with "
        "the right disk in front (50% is fair). Size cue: the denoiser's share of the larger disk in the lens at noise std "
        "sigma (analysis.decisions.size_cue; 1 larger, 0.5 a blend). The oracle is the generator's law on the same canvas."
    )
    return "\n".join(lines) + "\n"


def load_points(out: Path) -> dict:
    """The points measured so far (out/points.json), keyed by the weights' SHA-256."""
    saved = out / "points.json"
    return {q["sha256"]: q for q in (json.loads(saved.read_text()) if saved.is_file() else [])}


def measure_run(
    run: Path, points: dict, out: Path, windows: int = 64, window_samples: int = 8, probe_samples: int = 16
):
    """Measure every snapshot and the final weights of `run` not yet in `points` (keyed by SHA-256), saving
    out/points.json after each, so an interrupted study keeps what it measured."""
    for weights in weights_of(run):
        key = hashlib.sha256(weights.read_bytes()).hexdigest()
        if key in points:
            if not points[key].get("size_cue"):  # measured before the size cue was part of the instrument
                points[key].update(measure_size_cue(weights, windows))
                (out / "points.json").write_text(json.dumps(list(points.values()), indent=1) + "\n")
            continue
        found = measure(weights, out / "last", windows, window_samples, probe_samples)
        q = points[key] = {"run": str(run), "weights": weights.name, "sha256": key, **found}
        print(
            f"{run.name} {q['size']}x{q['size']} at {q['minutes']:g} CPU-min: collisions larger "
            f"{q['larger_share']:.0%} ± {q['larger_share_se']:.0%} smaller {q['smaller_share']:.0%} not clean "
            f"{q['not_two_clean_disks_share']:.0%} ± {q['not_two_clean_disks_share_se']:.0%}; probes larger "
            f"{q['probes_larger_unambiguous']:.0%}",
            flush=True,
        )
        (out / "points.json").write_text(json.dumps(list(points.values()), indent=1) + "\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="run folders of scripts/scale_study.sh")
    p.add_argument("--out", default="docs/results/scale-study", help="folder for points.json and table.md")
    p.add_argument("--windows", type=int, default=64, help="held-out collision windows (default 64)")
    p.add_argument("--window-samples", type=int, default=8, help="samples per window (default 8)")
    p.add_argument("--probe-samples", type=int, default=16, help="samples per probe of figure 4 (default 16)")
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    points = load_points(out)
    for run in map(Path, args.runs):
        measure_run(run, points, out, args.windows, args.window_samples, args.probe_samples)
    (out / "table.md").write_text(table(list(points.values())))
    print(f"wrote {out / 'points.json'} and {out / 'table.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
