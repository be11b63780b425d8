"""Section 3.2 on natural video: denoising-PSNR curves by memory length (figure 6), adaptive filters on a translating
probe (figure 7), cue combination on three probe sequences (figure 8) and samples (figure 12).

Numbers only; the figures are in `analysis.natural_figures` and the commands in `cli.natural`.
"""

from __future__ import annotations

import numpy as np
import torch

from nextframe.analysis.jacobian import crossover, cue_combination, filter_displacements, filter_row
from nextframe.data.store import Windows
from nextframe.errors import NextframeError
from nextframe.evaluation.denoising import denoising_psnr, sigma_for_psnr

DEFAULT_INPUT_PSNRS = tuple(float(v) for v in range(-10, 45, 5))  # figure 6's axis, -10 to 40 dB


def aligned_windows(clips: np.ndarray, tau: int, max_tau: int) -> Windows:
    """Windows of a model with memory tau whose targets are the same frames (max_tau onwards) for every tau <= max_tau,
    so curves of different memory lengths are measured on the same frames with the same noise."""
    return Windows(clips[:, max_tau - tau :], tau)


def psnr_curves(
    models: dict, clips: np.ndarray, input_psnrs=DEFAULT_INPUT_PSNRS, examples: int = 512, seed: int = 0
) -> dict:
    """Held-out output PSNR against input PSNR for each named model, on the same target frames and noise."""
    max_tau = max(m.config.tau for m in models.values())
    curves = {}
    for name, model in models.items():
        rows = denoising_psnr(model, aligned_windows(clips, model.config.tau, max_tau), input_psnrs, examples, seed)
        curves[name] = {
            "tau": model.config.tau,
            "prediction_only": not model.config.noisy_input,
            "input_psnr": [r["input_psnr"] for r in rows],
            "output_psnr": [r["output_psnr"] for r in rows],
        }
    return curves


def power_spectrum(frames: np.ndarray) -> torch.Tensor:
    """Mean power per Fourier coefficient (C, H, W) of frames (N, C, H, W), orthonormal scaling, DC included."""
    return torch.fft.fft2(torch.as_tensor(np.asarray(frames, np.float64)), norm="ortho").abs().square().mean(0)


class WienerDenoiser:
    """The best linear shift-invariant (circular) denoiser of a frame alone, given the noise level: per Fourier
    coefficient, x = S / (S + sigma^2) y, with S the frames' `power_spectrum` (DC included, so it is bias-free like
    the network). A reference for what the data's spectrum alone gives a single-image denoiser: its curve's slope."""

    def __init__(self, power: torch.Tensor, sigma: float):
        self.gain = power / (power + sigma**2)

    def __call__(self, noisy: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return torch.fft.ifft2(self.gain * torch.fft.fft2(noisy.double(), norm="ortho"), norm="ortho").real


def wiener_curve(
    train_clips: np.ndarray, windows: Windows, input_psnrs, examples: int = 512, seed: int = 0, frames: int = 4096
) -> dict:
    """`psnr_curves`' numbers for `WienerDenoiser`, its power spectrum from `frames` random training frames, measured
    on the same windows and noise as the networks."""
    pick = np.random.default_rng([seed, 13]).integers(0, train_clips.shape[0] * train_clips.shape[1], frames)
    sample = np.asarray(train_clips.reshape(-1, *train_clips.shape[2:])[np.sort(pick)], np.float64) / 255.0
    power = power_spectrum(sample)
    rows = [
        denoising_psnr(WienerDenoiser(power, sigma_for_psnr(level)), windows, [level], examples, seed)[0]
        for level in input_psnrs
    ]
    return {
        "tau": 0,
        "prediction_only": False,
        "reference": True,
        "input_psnr": [r["input_psnr"] for r in rows],
        "output_psnr": [r["output_psnr"] for r in rows],
    }


def mid_range_slope(curve: dict, low: float = 10.0, high: float = 30.0) -> float:
    """Least-squares slope of output against input PSNR between `low` and `high` dB (about 1/2 for a single-image
    denoiser, Mohan et al. 2020)."""
    x, y = np.array(curve["input_psnr"]), np.array(curve["output_psnr"])
    keep = (x >= low - 1) & (x <= high + 1)
    if keep.sum() < 2:
        raise NextframeError(f"need at least two input PSNRs between {low:g} and {high:g} dB to measure the slope")
    return float(np.polyfit(x[keep], y[keep], 1)[0])


def psnr_curve_summary(curves: dict, psnrs) -> dict:
    """Figure 6's numbers from `psnr_curves` (plus any reference curves): each denoiser's output PSNR at 0 dB input;
    the mid-range slope of the tau = 0 denoiser and of the linear reference (what the data's spectrum gives a linear
    denoiser), where two levels lie between 9 and 31 dB; with a prediction-only curve, its PSNR and each denoiser's
    gap to it at the lowest input PSNR."""
    at = lambda curve, level: float(np.interp(level, curve["input_psnr"], curve["output_psnr"]))  # noqa: E731
    denoisers = {k: c for k, c in curves.items() if not c["prediction_only"] and not c.get("reference")}
    summary = {"output_psnr_at_0dB": {k: at(c, 0.0) for k, c in denoisers.items()}}
    tau0 = [k for k, c in denoisers.items() if c["tau"] == 0]
    if sum(9 <= level <= 31 for level in psnrs) >= 2:  # a slope needs two levels in the middle of the range
        if tau0:
            summary["tau0_slope_10_to_30dB"] = mid_range_slope(denoisers[tau0[0]])
        for curve in curves.values():
            if curve.get("reference"):
                summary["wiener_slope_10_to_30dB"] = mid_range_slope(curve)
    prediction = [c for c in curves.values() if c["prediction_only"]]
    if prediction:
        lowest = min(psnrs)
        summary["prediction_only_psnr"] = float(np.mean(prediction[0]["output_psnr"]))
        summary[f"gap_to_prediction_only_at_{lowest:g}dB"] = {
            k: summary["prediction_only_psnr"] - at(c, lowest) for k, c in denoisers.items()
        }
    return summary


@torch.no_grad()
def example_panel(models: dict, clips: np.ndarray, index: int, input_psnr: float = 0.0, seed: int = 0) -> dict:
    """One test window at one noise level: past frames, noisy and true next frame, and each model's estimate."""
    max_tau = max(m.config.tau for m in models.values())
    context, clean = aligned_windows(clips, max_tau, max_tau).batch(np.array([index]))
    noisy = clean + sigma_for_psnr(input_psnr) * torch.randn(clean.shape, generator=torch.Generator().manual_seed(seed))
    estimates = {}
    for name, model in models.items():
        tau = model.config.tau
        c = context[:, (max_tau - tau) * clean.shape[1] :]
        estimate = model(noisy, c)
        estimates[name] = {"frame": estimate[0], "psnr": float(-10 * torch.log10((estimate - clean).square().mean()))}
    return {
        "context": context[0],
        "clean": clean[0],
        "noisy": noisy[0],
        "estimates": estimates,
        "input_psnr": float(-10 * torch.log10((noisy - clean).square().mean())),
    }


def translating_probe(image: np.ndarray, velocity: tuple[int, int], tau: int, size: int = 32) -> torch.Tensor:
    """tau + 1 frames (tau+1, 1, size, size) of `image` content moving by `velocity` (rows, cols) pixels per frame:
    frame t is the crop whose corner sits at centre - velocity * t, so its content shifts by +velocity."""
    h, w = image.shape
    reach = (tau + 1) * max(abs(velocity[0]), abs(velocity[1]))
    if h < size + 2 * reach or w < size + 2 * reach:
        raise NextframeError(
            f"an image of {w}x{h} is too small for {size}-pixel crops moving {velocity} for {tau + 1} frames"
        )
    top, left = (h - size) // 2, (w - size) // 2
    frames = [
        image[
            top - velocity[0] * t : top - velocity[0] * t + size, left - velocity[1] * t : left - velocity[1] * t + size
        ]
        for t in range(tau + 1)
    ]
    return torch.from_numpy(np.stack(frames).astype(np.float32))[:, None]


def filter_experiment(model, image: np.ndarray, velocities, input_psnr: float = 16.0, seed: int = 0) -> list[dict]:
    """For each velocity: the adaptive filter of the central output pixel on a translating probe and the displacement
    of its centre of mass on each past frame, against the true displacement -k * velocity k frames back."""
    tau, rows = model.config.tau, []
    if tau < 1:
        raise NextframeError("adaptive filters on past frames need a model with tau >= 1")
    for velocity in velocities:
        frames = translating_probe(image, velocity, tau)
        context, clean = frames[:tau].reshape(1, tau, *frames.shape[-2:]), frames[tau:]
        noisy = clean + sigma_for_psnr(input_psnr) * torch.randn(
            clean.shape, generator=torch.Generator().manual_seed(seed)
        )
        pixel = (clean.shape[-2] // 2, clean.shape[-1] // 2)
        row = filter_row(model, noisy, context, pixel)
        shifts = filter_displacements(row, pixel, tau)
        for s in shifts:
            s["true_rows"], s["true_cols"] = -s["frames_back"] * velocity[0], -s["frames_back"] * velocity[1]
            s["error"] = float(np.hypot(s["rows"] - s["true_rows"], s["cols"] - s["true_cols"]))
        with torch.no_grad():
            estimate = model(noisy, context)
        rows.append(
            {
                "velocity": list(velocity),
                "pixel": list(pixel),
                "displacements": shifts,
                "input_psnr": float(-10 * torch.log10((noisy - clean).square().mean())),
                "output_psnr": float(-10 * torch.log10((estimate - clean).square().mean())),
                "frames": frames,
                "noisy": noisy[0],
                "estimate": estimate[0],
                "filter": row,
            }
        )
    return rows


def filter_summary(rows: list[dict]) -> dict:
    """The median and largest distance (pixels) between each filter's centre of mass and the true displacement."""
    errors = [d["error"] for r in rows for d in r["displacements"]]
    return {"max_error_px": max(errors), "median_error_px": float(np.median(errors))}


def static_pattern(size: int = 32, frames: int = 3, levels=(0.25, 0.55, 0.8)) -> torch.Tensor:
    """Figure 8's third probe: three smooth regions separated by straight boundaries, identical in every frame."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    region = np.where(yy + 0.6 * xx < 0.55, 0, np.where(xx > 0.6, 1, 2))
    image = np.choose(region, levels).astype(np.float32) + 0.1 * (yy - 0.5)  # a gentle ramp keeps each region smooth
    return torch.from_numpy(np.repeat(image[None, None], frames, axis=0))


def cue_experiment(model, probes: dict[str, torch.Tensor], input_psnrs, seed: int = 0) -> dict:
    """Eq. 5 and 7 on each probe (frames (tau+1, 1, H, W)): PSNR curves of the full, observation-only and
    conditioning-only estimates, and the input PSNR where the last two cross."""
    tau, found = model.config.tau, {}
    for name, frames in probes.items():
        context, clean = frames[:tau].reshape(1, tau, *frames.shape[-2:]), frames[tau:]
        rows = cue_combination(model, context, clean, input_psnrs, seed)
        found[name] = {"rows": rows, "crossover_psnr": crossover(rows)}
    return found


def next_frame_samples(model, clips: np.ndarray, n_clips: int, samples: int, seed: int, knobs: dict) -> dict:
    """Figure 12: for `n_clips` test clips spread evenly over `clips` (uint8, (N, T, 1, H, W)), the past frames, the
    true next frame, the one-step estimate and `samples` samples (sample i of every clip seeded seed + i), as one
    image grid (a row per clip), with each one's PSNR against the truth, the samples' spread, the sampler's median
    evaluations and each sample's status."""
    from nextframe.metrics import psnr
    from nextframe.sampling import one_step, sample

    tau = model.config.tau
    chosen = np.unique(np.rint(np.linspace(0, len(clips) - 1, n_clips)).astype(int))
    frames = torch.from_numpy(np.asarray(clips[chosen, : tau + 1], np.float32) / 255.0)  # (n, tau+1, 1, H, W)
    n, shape = len(chosen), frames.shape[2:]
    context = frames[:, :tau].flatten(1, 2).repeat_interleave(samples, dim=0)
    seeds = [seed + i for _ in range(n) for i in range(samples)]
    result = sample(model, context, shape=shape, seed=seeds, **knobs)
    estimate = one_step(model, context[::samples], shape=shape, seed=seeds[::samples], **knobs)
    drawn = result.frames.view(n, samples, *shape)
    truth = frames[:, tau]
    grid = torch.cat([frames[:, :tau], truth[:, None], estimate[:, None], drawn], dim=1).clamp(0, 1)
    sample_psnr = psnr(drawn.flatten(0, 1), truth.repeat_interleave(samples, dim=0)).view(n, samples)
    spread = drawn.std(dim=1).mean(dim=(1, 2, 3)) if samples > 1 else torch.zeros(n)
    return {
        "grid": grid.numpy(),
        "clips": chosen.tolist(),
        "one_step_psnr": psnr(estimate, truth).tolist(),
        "sample_psnr": sample_psnr.tolist(),
        "sample_spread": spread.tolist(),
        "median_evaluations": float(np.median(result.evaluations.numpy())),
        "status": [result.status[i * samples : (i + 1) * samples] for i in range(n)],
    }
