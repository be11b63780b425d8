"""Occlusion probes: how a method's samples (and a denoiser's one-step estimate) resolve two disks on a collision
course.

Each sample is labelled by fitting both disks wherever they landed (`analysis.decisions.classify_decisions`). Two
earlier rules compared the sample with the probe's two outcomes at their exact positions (whole-frame RMS, then a
pixel vote in the outcomes' lens); both measured position error as much as the decision: a perfect sampler, whose
disks land a pixel or so off any one outcome, scored "neither" a third of the time (docs/design.md).
"""

from __future__ import annotations

import numpy as np
import torch

from nextframe.data.leaves import Probe
from nextframe.methods.score import as_predictor
from nextframe.metrics import palette_fraction

LABELS = ("left", "right", "neither")


def outcome_distances(frames: torch.Tensor, outcomes: torch.Tensor) -> tuple[torch.Tensor, float]:
    """RMS distance of each frame to each outcome (S, 2), and between the two outcomes.

    frames (S, C, H, W); outcomes (2, C, H, W) = [left disk in front, right disk in front].
    """
    rms = (frames[:, None] - outcomes[None]).square().flatten(2).mean(-1).sqrt()
    return rms, float((outcomes[0] - outcomes[1]).square().mean().sqrt())


def fitted_labels(frames: torch.Tensor, probe: Probe) -> tuple[list[str], list[str]]:
    """ "left", "right" or "neither" per frame by fitting both disks wherever they landed
    (`analysis.decisions.classify_decisions`), and the reason for each."""
    evidence = fit_evidence(frames, probe)
    return evidence["labels"], evidence["reasons"]


def fit_evidence(frames: torch.Tensor, probe: Probe) -> dict:
    """What the label of each frame (S, C, H, W) rests on: the label and its reason, the lens mix (the chosen order's
    least-squares share where the two orders differ: 1 one order, 0.5 a blend), the lens match (the share of those
    pixels within a quarter of the contrast of the chosen order), the RMS error of the best two-disk fit, and that fit
    rendered (S, H, W), so a figure can show where a frame departs from two clean disks."""
    from nextframe.analysis.decisions import classify_decisions, probe_window, window_scene

    found = classify_decisions(frames, window_scene(probe_window(probe), len(frames)))
    return {
        "labels": [LABELS[f] if f >= 0 else "neither" for f in found.front],
        "reasons": found.reason,
        "lens_mix": found.lens_mix,
        "lens_match": found.lens_match,
        "fit_rms": found.rms,
        "fits": found.fit,
    }


def probe_experiment(
    predictor, probe: Probe, samples: int, seed: int = 0, snapshots=(1, 10, 20, 30, 40), **sampler
) -> dict:
    """Samples of one probe's next frame from `predictor` (any method's, or a bare denoiser sampled with the
    `sampler` settings), the one-step estimate where the method has one, the sampler's iterates of sample 0 where it
    can show them (the score sampler, at the steps in `snapshots`); the sharpness of each; the disk each sample
    shows in front (`fitted_labels`).

    Sharpness is the fraction of the pixels covered by a disk in either possible next frame that lie within 0.05 of
    one of the probe's three luminances (`palette_fraction`): near 1 for a sharp frame with either disk in front,
    low for a blend of the two or a blur. "estimate", "sharpness_one_step" and "one_step_label" are None for a
    method without a one-step estimate, "steps" empty for one that cannot trace its sampler.
    """
    model = as_predictor(predictor, **sampler)
    context = torch.from_numpy(probe.context)[None]  # (1, tau, C, H, W)
    result = model.predict(context, 1, samples=samples, seed=seed)
    frames = result.frames[:, 0]
    steps = model.trace(context, snapshots, seed=seed) if snapshots and hasattr(model, "trace") else {}
    estimate = model.one_step(context, 1, seed=seed)[0, 0] if model.has_one_step else None
    levels = torch.from_numpy(probe.truth.luminance[0])
    outcomes = torch.from_numpy(np.stack([probe.left_front, probe.right_front]))  # (2, C, H, W)
    disks = ((outcomes - levels[0]).abs() > 0.01).any(dim=0)  # where either disk is in either outcome
    evidence = fit_evidence(frames, probe)
    labels, reasons = evidence["labels"], evidence["reasons"]
    rms, between = outcome_distances(frames, outcomes)
    return {
        "method": model.method,
        "frames": frames,
        "estimate": estimate,
        "steps": steps,
        "outcomes": outcomes,
        "labels": labels,
        "evaluations": result.evaluations[:, 0].tolist(),
        "sharpness_samples": palette_fraction(frames, levels, mask=disks).tolist(),
        "sharpness_one_step": None if estimate is None else float(palette_fraction(estimate, levels, mask=disks)),
        "outcomes_count": {k: labels.count(k) for k in LABELS},
        "reasons": reasons,  # per sample: "decided", "not two clean disks" or "no visible overlap"
        "lens_mix": evidence["lens_mix"],  # per sample: 1 one order, 0.5 a blend (decided from 0.75); NaN: no lens
        "lens_match": evidence["lens_match"],  # per sample: share of the lens on the chosen order (decided from 0.75)
        "fit_rms": evidence["fit_rms"],  # per sample: RMS error of the best two-disk fit
        "fits": evidence["fits"],  # (S, H, W): the best two-disk fit of each sample, for the figure
        "one_step_label": None if estimate is None else fitted_labels(estimate[None], probe)[0][0],
        "diverged": result.diverged,
        "retried": result.retried,
        "rms_to_outcomes": rms.tolist(),  # per sample: RMS distance to [left in front, right in front], whole frame
        "rms_between_outcomes": between,
    }
