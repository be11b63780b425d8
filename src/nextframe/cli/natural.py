"""`nextframe experiment bimodal ...`: section 3.2 and App. B of the paper, one command each, each writing PNG figures
and a JSON of its numbers into --out."""

from __future__ import annotations

import time
from pathlib import Path

from nextframe.data.frames_io import write_json
from nextframe.errors import NextframeError


def add_natural_experiments(kinds) -> None:
    p = kinds.add_parser("bimodal", help="figures 9 and 10: the blind denoiser of two point masses and sampler trajectories")
    p.add_argument("--out", required=True, help="folder for the PNG figures and bimodal.json")
    p.add_argument("--starts", type=float, nargs="+", default=[-2.0, -0.2, 0.05, 1.5], help="initial points of the trajectories")
    p.add_argument("--steps", type=int, default=30, help="iterations of y <- y + alpha f(y) (default 30)")
    p.add_argument("--alpha", type=float, default=0.5, help="fixed step size (default 0.5, as in figure 10)")
    p.set_defaults(run=run_bimodal)


def run_bimodal(args, quiet: bool = False) -> dict:
    from nextframe.analysis.bimodal import bimodal_experiment
    from nextframe.analysis.natural_figures import bimodal_figures

    if args.steps < 1 or not 0 < args.alpha <= 1:
        raise NextframeError(f"--steps {args.steps} --alpha {args.alpha}: need at least 1 step and 0 < alpha <= 1")
    started, out = time.monotonic(), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    found = bimodal_experiment(starts=tuple(args.starts), steps=args.steps, alpha=args.alpha)
    figures = bimodal_figures(out, found)
    report = {
        "arguments": {k: v for k, v in vars(args).items() if k != "run"},
        "masses": [-0.5, 0.5],
        "noise_prior": "log-uniform, p(sigma) ~ 1/sigma on [0.001, 10]",
        "fixed_points_map": found["fixed_points_map"],
        "fixed_points_posterior": found["fixed_points_posterior"],
        "map_sigma_at": {f"{v:g}": float(found["map_sigma"][abs(found["y"] - v).argmin()]) for v in (0.0, 0.25, 1.0, 2.0)},
        "trajectories": {f"{k:g}": [round(float(v), 6) for v in path] for k, path in found["trajectories"].items()},
        "seconds": round(time.monotonic() - started, 1),
    }
    write_json(out / "bimodal.json", report)
    if not quiet:
        points = ", ".join(f"{p['y']:+.3f} ({'stable' if p['stable'] else 'unstable'})" for p in found["fixed_points_map"])
        print(f"fixed points of the blind (MAP) residual: {points}")
        print("trajectories: " + ", ".join(f"{k:g} -> {path[-1]:+.3f}" for k, path in found["trajectories"].items()))
        print(f"wrote {figures[0]}, {figures[1]} and {out / 'bimodal.json'}")
    return report
