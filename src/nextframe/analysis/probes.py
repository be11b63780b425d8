"""Occlusion probes: how a trained denoiser's samples and one-step estimate resolve two disks on a collision course."""

from __future__ import annotations

import numpy as np
import torch

from nextframe.data.leaves import Probe
from nextframe.metrics import palette_fraction
from nextframe.sampling import one_step, sample


def outcome_distances(frames: torch.Tensor, outcomes: torch.Tensor) -> tuple[torch.Tensor, float]:
    """RMS distance of each frame to each outcome (S, 2), and between the two outcomes.

    frames (S, C, H, W); outcomes (2, C, H, W) = [left disk in front, right disk in front].
    """
    rms = (frames[:, None] - outcomes[None]).square().flatten(2).mean(-1).sqrt()
    return rms, float((outcomes[0] - outcomes[1]).square().mean().sqrt())


def classify(frames: torch.Tensor, outcomes: torch.Tensor) -> list[str]:
    """Label each frame "left", "right" or "neither": a frame matches an outcome when its RMS distance to it is below
    half the RMS distance between the two outcomes (so it can match at most one); otherwise it matches neither."""
    return _labels(*outcome_distances(frames, outcomes))


def _labels(rms: torch.Tensor, between: float) -> list[str]:
    radius = 0.5 * between
    return ["left" if a < radius else "right" if b < radius else "neither" for a, b in rms.tolist()]


def probe_experiment(model, probe: Probe, samples: int, seed: int = 0, snapshots=(1, 10, 20, 30, 40), **sampler) -> dict:
    """Samples and the one-step estimate on one probe; the sharpness of each; the outcome each sample matches (`classify`).

    Sharpness is the fraction of the pixels covered by a disk in either possible next frame that lie within 0.05 of
    one of the probe's three luminances (`palette_fraction`): near 1 for a sharp frame with either disk in front,
    low for a blend of the two or a blur. `sampler` keywords go to `sample` (and sigma0 also to `one_step`).
    """
    context = torch.from_numpy(probe.context).reshape(1, -1, *probe.context.shape[-2:]).repeat(samples, 1, 1, 1)
    steps = {}

    def keep(k, ids, y, estimate):  # intermediate iterates of sample 0, for the figure
        if k in snapshots and 0 in ids.tolist():
            steps[k] = y[ids.tolist().index(0)].clone()

    result = sample(model, context, seed=seed, callback=keep, **sampler)
    estimate = one_step(model, context[:1], seed=seed, sigma0=sampler.get("sigma0", 1.0))[0]
    levels = torch.from_numpy(probe.truth.luminance[0])
    outcomes = torch.from_numpy(np.stack([probe.left_front, probe.right_front]))  # (2, C, H, W)
    disks = ((outcomes - levels[0]).abs() > 0.01).any(dim=0)  # where either disk is in either outcome
    rms, between = outcome_distances(result.frames, outcomes)
    labels = _labels(rms, between)
    return {
        "frames": result.frames, "estimate": estimate, "steps": steps, "outcomes": outcomes,
        "evaluations": result.evaluations.tolist(),
        "sharpness_samples": palette_fraction(result.frames, levels, mask=disks).tolist(),
        "sharpness_one_step": float(palette_fraction(estimate, levels, mask=disks)),
        "outcomes_count": {k: labels.count(k) for k in ("left", "right", "neither")},
        "rms_to_outcomes": rms.tolist(),  # per sample: RMS distance to [left in front, right in front]
        "rms_between_outcomes": between,
    }
