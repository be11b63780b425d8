"""Scoring sampled futures against the true ones, for any predictor (anything with `predict(past, steps, samples=,
seed=)` returning frames, evaluations and seconds, `nextframe.methods.base.Predictor`).

Per test clip and future frame: the CRPS of the K samples (ensemble estimator on [0, 1]; x255 for the [0, 255]
scale; `fair_crps`: the fair estimator), the PSNR and SSIM of each sample, reported as best-of-K frame by frame
(each frame's best sample: different frames from different samples) and mean-over-K; and per video, one sample for the
whole video: the MCVD-protocol PSNR (10 log10(1 / MSE) with the MSE averaged over the video's frames), best of K, and
the SSIM averaged over the video's frames, best of K. Per video is never above per frame; the gap measures how much
frame-by-frame selection flatters a method with diverse samples. Cost: network
evaluations and seconds per generated frame, measured in the same run. Clip c's sample j is seeded seed + c * K + j,
so a clip's samples do not depend on which other clips are scored with it.
"""

from __future__ import annotations

import numpy as np
import torch
from tqdm import tqdm

from nextframe.errors import NextframeError
from nextframe.metrics import crps, psnr, ssim

PSNR_CAP = 100.0  # dB: per frame, before averaging


def score_predictions(
    predictor,
    clips: torch.Tensor,  # (N, T, C, H, W) floats in [0, 1]: past then true future
    past: int,  # frames given as the past
    future: int,  # frames predicted and scored
    samples: int = 10,  # K
    seed: int = 0,
    batch: int = 8,  # clips per predict call
    with_ssim: bool = True,
    progress: bool = False,
    fair_crps: bool = False,  # the CRPS estimator: False, the empirical distribution's (RVD); True, the fair one
) -> dict:
    """Per-clip, per-frame numbers (numpy arrays) and their summary; see the module's docstring."""
    if clips.ndim != 5 or clips.shape[1] < past + future:
        raise NextframeError(
            f"clips must be (N, T >= past + future = {past + future}, C, H, W), got {tuple(clips.shape)}"
        )
    if samples < 1:
        raise NextframeError(f"samples must be at least 1, got {samples}")
    n = len(clips)
    out = {k: [] for k in ("crps", "psnr", "ssim", "video_psnr", "first_sample")}
    seconds, evaluations, frames_made = 0.0, [], 0
    for start in tqdm(range(0, n, batch), desc="scoring", unit="batch", disable=not progress):
        part = clips[start : start + batch]
        b = len(part)
        seeds = [seed + (start + i) * samples + j for i in range(b) for j in range(samples)]
        result = predictor.predict(part[:, :past], future, samples=samples, seed=seeds)
        draws = result.frames.view(b, samples, future, *part.shape[2:])
        truth = part[:, past : past + future]
        seconds += result.seconds
        frames_made += result.frames.shape[0] * result.frames.shape[1]
        evaluations.append(result.evaluations.double().flatten())
        out["first_sample"].append(draws[:, 0].float())  # (b, future, C, H, W): for strips and FVD, not drawn again
        out["crps"].append(crps(draws.transpose(0, 1), truth, fair=fair_crps))  # (b, future)
        # (b, K, future); capped, since one exact frame (a still scene copied) would make every mean infinite
        out["psnr"].append(psnr(draws, truth[:, None]).clamp(max=PSNR_CAP))
        mse = (draws.double() - truth[:, None].double()).square().mean(dim=(2, 3, 4, 5))  # (b, K), over the video
        out["video_psnr"].append((10 * torch.log10(1 / mse)).clamp(max=PSNR_CAP))
        if with_ssim:
            out["ssim"].append(ssim(draws, truth[:, None].expand_as(draws)))
    arrays = {k: torch.cat(v).numpy() for k, v in out.items() if v}
    summary = {
        "clips": n,
        "samples": samples,
        "past": past,
        "future": future,
        "crps": float(arrays["crps"].mean()),
        "crps_estimator": "fair" if fair_crps else "empirical",
        "crps_255": float(255 * arrays["crps"].mean()),
        "psnr_best": float(arrays["psnr"].max(1).mean()),
        "psnr_mean": float(arrays["psnr"].mean()),
        "video_psnr_best": float(arrays["video_psnr"].max(1).mean()),
        "seconds_per_frame": seconds / max(frames_made, 1),
        "evaluations_per_frame": float(torch.cat(evaluations).median()),
    }
    if with_ssim:
        summary["ssim_best"] = float(arrays["ssim"].max(1).mean())
        summary["ssim_mean"] = float(arrays["ssim"].mean())
        summary["ssim_video_best"] = float(arrays["ssim"].mean(2).max(1).mean())  # one sample for the whole video
    summary["crps_per_step"] = arrays["crps"].mean(0).tolist()
    summary["psnr_best_per_step"] = arrays["psnr"].max(1).mean(0).tolist()
    return {"summary": summary, **arrays}


def crps_standard_error(per_clip: np.ndarray) -> float:
    """Standard error of the mean CRPS over clips (each clip's frames averaged first)."""
    values = per_clip.reshape(len(per_clip), -1).mean(1)
    return float(values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
