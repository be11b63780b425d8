"""Section 3.1 of the paper as functions: occlusion probes (figures 3 and 11), decision frequency against the radius
difference (figure 4) and recursive generation (figure 5). Each returns plain numbers; `nextframe.analysis.figures`
draws them and `nextframe experiment` writes both.
"""

from __future__ import annotations

import numpy as np
import torch

from nextframe.analysis.decisions import (
    PROBE_GAP,
    OraclePredictor,
    classify_decisions,
    decision_labels,
    probe_window,
    share_errors,
    tally,
    typical_probe,
    window_scene,
)
from nextframe.data.leaves import LeavesConfig
from nextframe.methods.score import as_predictor

MEAN_RADIUS = 5.0  # probes keep the mean of the two radii here (a depth of 1.6, mid-range in the training data)
DEFAULT_DIFFERENCES = tuple(np.round(np.arange(-3.0, 3.01, 0.5), 2).tolist())  # right radius minus left radius
UNAMBIGUOUS = 0.25  # a probe is unambiguous when the radii differ by at least this fraction of the larger one


def probe_radii(difference: float, mean_radius: float = MEAN_RADIUS, size: int = 32) -> tuple[float, float]:
    """(left, right) radii with the given difference right - left and the given mean, both in pixels of the 32x32
    canvas; on a canvas of another `size` all lengths scale with it (`LeavesConfig.for_size`)."""
    scale = size / 32
    return scale * (mean_radius - difference / 2), scale * (mean_radius + difference / 2)


def scaled_probe(difference: float, mean_radius: float = MEAN_RADIUS, size: int = 32):
    """Figure 4's probe of this radius difference (32x32 pixels) drawn on a size x size canvas."""
    return typical_probe(*probe_radii(difference, mean_radius, size), gap=PROBE_GAP * size / 32, size=size)


def is_unambiguous(left: float, right: float) -> bool:
    return abs(right - left) >= UNAMBIGUOUS * max(left, right) - 1e-9


def decision_sweep(
    predictor=None,
    differences=DEFAULT_DIFFERENCES,
    samples: int = 32,
    seed: int = 0,
    mean_radius: float = MEAN_RADIUS,
    progress: bool = False,
    size: int = 32,  # the canvas: differences and radii are in 32x32 pixels and scale with it
    **sampler,
) -> list[dict]:
    """Figure 4: for each radius difference, `samples` next frames of a probe at the data's speeds
    (`decisions.typical_probe`), classified by fitting (`decisions.classify_decisions`).

    `predictor`: any method's predictor, a bare denoiser (sampled by the score sampler with the `sampler` settings,
    `methods.score.as_predictor`), or None for the oracle (`decisions.OraclePredictor`). Sample i of every probe
    uses seed + i, so the sweep is reproducible and a row does not depend on the others.
    """
    from tqdm.auto import tqdm

    model = None if predictor is None else as_predictor(predictor, **sampler)
    rows = []
    for difference in tqdm(differences, desc="decision sweep", unit="probe", disable=not progress):
        probe = scaled_probe(difference, mean_radius, size)
        who = model if model is not None else OraclePredictor(probe_window(probe), LeavesConfig.for_size(size))
        result = who.predict(torch.from_numpy(probe.context)[None], 1, samples=samples, seed=seed)
        rows.append(sweep_row(difference, mean_radius, probe, result.frames[:, 0], result, size))
    return rows


def sweep_row(difference: float, mean_radius: float, probe, frames: torch.Tensor, result=None, size: int = 32) -> dict:
    """Counts of one probe's samples: left / right in front, neither (split by reason), and the shares; with the
    `Prediction` that made them, its cost and divergences. Radii in pixels of the size x size canvas."""
    left, right = probe_radii(difference, mean_radius, size)
    window = probe_window(probe)
    found = classify_decisions(frames, window_scene(window, len(frames)))
    front = np.asarray(found.front)
    count = {"left": int((front == 0).sum()), "right": int((front == 1).sum()), "neither": int((front < 0).sum())}
    decided = count["left"] + count["right"]
    row = {
        "difference": float(difference),
        "radius_left": left,
        "radius_right": right,
        "unambiguous": bool(is_unambiguous(left, right)),
        "samples": len(frames),
        **count,
        "not_two_clean_disks": found.reason.count("not two clean disks"),
        "no_visible_overlap": found.reason.count("no visible overlap"),
        "right_in_front": count["right"] / decided if decided else float("nan"),
    }  # among samples that decided
    row["larger_in_front"] = larger_in_front(row) / len(frames) if left != right else None
    if result is not None:
        row.update(_cost(result))
    return row


def _cost(result) -> dict:
    return {
        "median_evaluations": result.evaluations_per_frame,
        "diverged": result.diverged,
        "retried": result.retried,
    }


def collision_decisions(predictor, context: torch.Tensor, window: dict, samples: int, seed: int = 0, **sampler) -> dict:
    """The instrument on held-out collision windows (`decisions.heldout_collisions`): `samples` next frames of each
    window (sample j of window i seeded seed + i * samples + j) from `predictor` (any method's, a bare denoiser with
    the `sampler` settings, or None: the oracle's, `decisions.OraclePredictor`)."""
    oracle = OraclePredictor(window, LeavesConfig.for_size(context.shape[-1])) if predictor is None else None
    model = oracle or as_predictor(predictor, **sampler)
    result = model.predict(context, 1, samples=samples, seed=seed)
    frames = result.frames[:, 0]
    radii = np.repeat(window["radii"], samples, axis=0)
    found = classify_decisions(frames, window_scene(window, samples))
    labels = decision_labels(found, radii)
    report = {
        "windows": len(context),
        "samples_per_window": samples,
        **tally(found, radii),
        **share_errors(labels, samples),  # each share's error over the windows
        **_cost(result),
    }
    return {"report": report, "frames": frames, "labels": labels}


def larger_in_front(row: dict) -> int:
    """How many samples of a sweep row show the larger disk in front (the right one when the radii are equal)."""
    return row["right"] if row["radius_right"] >= row["radius_left"] else row["left"]


def decision_summary(rows: list[dict]) -> dict:
    """The issue's targets in numbers: larger disk in front on unambiguous probes, balance at equal radii, neither."""
    unambiguous = [r for r in rows if r["unambiguous"]]
    equal = [r for r in rows if r["difference"] == 0]
    total = sum(r["samples"] for r in rows)
    decided_equal = sum(r["left"] + r["right"] for r in equal)
    return {
        "larger_in_front_unambiguous": (
            sum(larger_in_front(r) for r in unambiguous) / sum(r["samples"] for r in unambiguous)
        )
        if unambiguous
        else None,
        "smaller_in_front_unambiguous": (
            sum(r["samples"] - larger_in_front(r) - r["neither"] for r in unambiguous)
            / sum(r["samples"] for r in unambiguous)
        )
        if unambiguous
        else None,
        "right_in_front_equal_radii": sum(r["right"] for r in equal) / decided_equal
        if decided_equal
        else None,  # among decided
        "neither_fraction": sum(r["neither"] for r in rows) / total,
        "median_evaluations": float(np.median([r["median_evaluations"] for r in rows]))
        if "median_evaluations" in rows[0]
        else None,
    }


def fit_logistic(x, right, decided, ridge: float = 1e-3) -> dict:
    """Maximum-likelihood fit of P(right in front) = 1 / (1 + exp(-slope * (x - midpoint))) to binomial counts.

    `ridge` is a tiny penalty on the slope, so the fit stays finite when the choices are perfectly separated.
    """
    from scipy.optimize import minimize

    x, k, n = (np.asarray(v, np.float64) for v in (x, right, decided))
    use = n > 0

    total = max(
        float(n[use].sum()), 1.0
    )  # the mean, not the sum: keeps the scale of the loss independent of the counts

    def loss(p):
        z = p[0] + p[1] * x[use]
        value = float(np.sum(n[use] * np.logaddexp(0, z) - k[use] * z) + ridge * p[1] ** 2) / total
        residual = n[use] / (1.0 + np.exp(-z)) - k[use]  # d/dz of each term: n * sigmoid(z) - k
        grad = np.array([residual.sum(), (residual * x[use]).sum() + 2 * ridge * p[1]]) / total
        return value, grad

    # An exact gradient: with finite differences, recent SciPy stops BFGS on "precision loss" for large counts.
    fit = minimize(loss, np.zeros(2), jac=True, method="BFGS")
    a, b = fit.x
    return {
        "slope": float(b),
        "midpoint": float(-a / b) if b != 0 else float("nan"),
        "intercept": float(a),
        "form": "P(right in front) = 1 / (1 + exp(-slope * (difference - midpoint)))",
        "converged": bool(fit.success),
    }


def logistic(x, fit: dict):
    return 1.0 / (1.0 + np.exp(-(fit["intercept"] + fit["slope"] * np.asarray(x, np.float64))))


def object_sharpness(frames: torch.Tensor, levels: torch.Tensor, tol: float = 0.05) -> torch.Tensor:
    """(B, T) share of the pixels drawn as objects (more than `tol` from the background) that lie within `tol` of one
    of the disks' luminances: near 1 for clean disks (the truth's anti-aliased edges keep it near 0.8), low for blur
    (values between the disks and the background) and for noise (about 0.19 for uniform noise on the demo's
    sequences); 0 for a frame that draws nothing. frames (B, T, C, H, W); levels (B, 3) the scene's background and
    disk luminances.

    It measures what a frame draws, not whether that is right (CRPS does that). An earlier version counted the pixels
    0.02 to 0.05 from the background as objects and as on the background's level at once, so a cloud that hovers near
    the background scored 0.6-0.7 (issue 31); a pixel now is either background or object, never both."""
    levels = levels[:, None, :, None, None, None]  # (B, 1, 3, 1, 1, 1) against frames (B, T, C, H, W)
    drawn = (frames - levels[:, :, 0]).abs() > tol
    on_a_disk = ((frames.unsqueeze(2) - levels[:, :, 1:]).abs() <= tol).any(2)
    return (on_a_disk & drawn).flatten(2).sum(-1).double() / drawn.flatten(2).sum(-1).double().clamp(min=1)


def recursive_generation(
    predictor, clips: torch.Tensor, levels: torch.Tensor, steps: int = 9, seed: int = 0, **sampler
) -> dict:
    """Generate `steps` frames recursively from the first tau frames of test clips (B, T, C, H, W) with `predictor`
    (any method's, or a bare denoiser with the `sampler` settings), and, where the method has one, by its one-step
    estimate; measure the sharpness of every generated frame (`object_sharpness`). "estimated" and
    "sharpness_one_step" are None for a method without a one-step estimate."""
    model = as_predictor(predictor, **sampler)
    tau = model.context_frames
    context, truth = clips[:, :tau], clips[:, tau : tau + steps]
    result = model.predict(context, steps, seed=seed)
    estimated = model.one_step(context, steps, seed=seed) if model.has_one_step else None
    return {
        "method": model.method,
        "context": context,
        "truth": truth,
        "sampled": result.frames,
        "estimated": estimated,
        "sharpness_sampling": object_sharpness(result.frames, levels).mean(0).tolist(),  # per generated frame
        "sharpness_one_step": None if estimated is None else object_sharpness(estimated, levels).mean(0).tolist(),
        "sharpness_truth": object_sharpness(truth, levels).mean(0).tolist(),  # anti-aliased edges keep it below 1
        **_cost(result),
    }
