"""Occlusion probes: how a trained denoiser's samples and one-step estimate resolve two disks on a collision course.

The classification rule (`classify`) looks where the two possible next frames disagree, the lens where the disks
overlap, because that is where the decision shows. Whole-frame distances would mix the decision with the disks'
positions: a sample whose disks sit one pixel off has an RMS distance to the right outcome larger than half the
distance between the outcomes, although it clearly shows one disk in front.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from nextframe.data.leaves import Probe
from nextframe.errors import NextframeError
from nextframe.metrics import palette_fraction
from nextframe.sampling import one_step, one_step_knobs, sample

LABELS = ("left", "right", "neither")
MAJORITY = 0.75  # share of the decision region that must vote for an outcome
TOLERANCE = 0.25  # a pixel votes for an outcome within this fraction of the outcomes' difference from it


def outcome_distances(frames: torch.Tensor, outcomes: torch.Tensor) -> tuple[torch.Tensor, float]:
    """RMS distance of each frame to each outcome (S, 2), and between the two outcomes.

    frames (S, C, H, W); outcomes (2, C, H, W) = [left disk in front, right disk in front].
    """
    rms = (frames[:, None] - outcomes[None]).square().flatten(2).mean(-1).sqrt()
    return rms, float((outcomes[0] - outcomes[1]).square().mean().sqrt())


def decision_region(outcomes: torch.Tensor) -> torch.Tensor:
    """(C, H, W) bool: the core of the lens where the outcomes differ by more than half their largest difference,
    shrunk by one pixel so that a disk placed a pixel off does not change the vote (kept unshrunk if that empties it)."""
    gap = (outcomes[0] - outcomes[1]).abs()
    if not gap.max() > 0:
        raise NextframeError("the two outcomes are identical, so there is no decision to classify; the disks must overlap in the next frame")
    lens = gap > 0.5 * gap.max()
    core = -F.max_pool2d(-lens.float()[None], 3, stride=1, padding=1)[0] > 0.5  # erosion by a 3x3 square
    return core if core.any() else lens


def lens_votes(frames: torch.Tensor, outcomes: torch.Tensor, tolerance: float = TOLERANCE) -> torch.Tensor:
    """(S, 2): the fraction of the decision region's pixels where a frame is within `tolerance` times the two
    outcomes' difference of the left-in-front outcome, and of the right-in-front one."""
    region = decision_region(outcomes)
    a, b, x = outcomes[0][region], outcomes[1][region], frames[:, region]
    slack = tolerance * (a - b).abs()
    return torch.stack([((x - a).abs() <= slack).double().mean(-1), ((x - b).abs() <= slack).double().mean(-1)], dim=1)


def classify(frames: torch.Tensor, outcomes: torch.Tensor, majority: float = MAJORITY, tolerance: float = TOLERANCE) -> list[str]:
    """Label each frame (S, C, H, W) "left", "right" or "neither" against outcomes (2, C, H, W) = [left disk in
    front, right disk in front].

    Rule: in the decision region (the core of the lens where the two outcomes differ, `decision_region`), a pixel
    votes for an outcome when it lies within `tolerance` (a quarter) of the outcomes' difference from that outcome's
    value; a frame shows an outcome when at least `majority` (three quarters) of the region votes for it, and
    neither otherwise: a blend of the two, background, disks in the wrong place, or noise.
    """
    return _labels(lens_votes(frames, outcomes, tolerance), majority)


def _labels(votes: torch.Tensor, majority: float) -> list[str]:
    return ["left" if a >= majority else "right" if b >= majority else "neither" for a, b in votes.tolist()]


def probe_experiment(model, probe: Probe, samples: int, seed: int = 0, snapshots=(1, 10, 20, 30, 40), **sampler) -> dict:
    """Samples and the one-step estimate on one probe; the sharpness of each; the outcome each sample shows (`classify`).

    Sharpness is the fraction of the pixels covered by a disk in either possible next frame that lie within 0.05 of
    one of the probe's three luminances (`palette_fraction`): near 1 for a sharp frame with either disk in front,
    low for a blend of the two or a blur. `sampler` keywords go to `sample` (mean and sigma0 also to `one_step`).
    """
    context = torch.from_numpy(probe.context).reshape(1, -1, *probe.context.shape[-2:]).repeat(samples, 1, 1, 1)
    steps = {}

    def keep(k, ids, y, estimate):  # intermediate iterates of sample 0, for the figure
        if k in snapshots and 0 in ids.tolist():
            steps[k] = y[ids.tolist().index(0)].clone()

    result = sample(model, context, seed=seed, callback=keep, **sampler)
    estimate = one_step(model, context[:1], seed=seed, **one_step_knobs(sampler))[0]
    levels = torch.from_numpy(probe.truth.luminance[0])
    outcomes = torch.from_numpy(np.stack([probe.left_front, probe.right_front]))  # (2, C, H, W)
    disks = ((outcomes - levels[0]).abs() > 0.01).any(dim=0)  # where either disk is in either outcome
    votes = lens_votes(result.frames, outcomes)
    labels = _labels(votes, MAJORITY)
    rms, between = outcome_distances(result.frames, outcomes)
    return {
        "frames": result.frames, "estimate": estimate, "steps": steps, "outcomes": outcomes,
        "labels": labels,
        "evaluations": result.evaluations.tolist(),
        "sharpness_samples": palette_fraction(result.frames, levels, mask=disks).tolist(),
        "sharpness_one_step": float(palette_fraction(estimate, levels, mask=disks)),
        "outcomes_count": {k: labels.count(k) for k in LABELS},
        "lens_votes": votes.tolist(),  # per sample: fraction of the decision region showing [left, right] in front
        "one_step_label": classify(estimate[None], outcomes)[0],
        "rms_to_outcomes": rms.tolist(),  # per sample: RMS distance to [left in front, right in front], whole frame
        "rms_between_outcomes": between,
    }
