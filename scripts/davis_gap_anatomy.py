"""Where the gap between a conditional denoiser and the prediction-only network at a very low input PSNR comes from.

    python scripts/davis_gap_anatomy.py --data runs/davis32 --denoiser davis-tau2 --prediction davis-pred
    python scripts/davis_gap_anatomy.py --data runs/davis32 --denoiser runs/davis-tau2-ft3/model.safetensors \
        --prediction runs/davis-pred-ft3/model.safetensors

Same windows and noise as `nextframe experiment psnr-curves` (512 held-out windows, targets from frame 3, noise seeded
per batch of 256), so the first line repeats that figure's gap. Then:
- the gap with the error pooled over all windows (PSNR of the mean MSE) instead of averaged per window in dB;
- the per-window gap by fifths of the windows, sorted by the prediction-only network's own PSNR (easy windows last);
- the gap of the denoiser's estimate averaged over `--draws` noise draws: what is left is a systematic difference
  from the prediction (the denoiser predicts worse), the rest of the gap is the estimate moving with the noise.
"""

import argparse

import numpy as np
import torch

from nextframe.analysis.natural import aligned_windows
from nextframe.data.store import ClipDataset
from nextframe.evaluation.denoising import sigma_for_psnr
from nextframe.methods import load_denoiser
from nextframe.metrics import psnr


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--denoiser", default="davis-tau2")
    parser.add_argument("--prediction", default="davis-pred")
    parser.add_argument("--psnr", type=float, default=-10.0, help="input PSNR in dB")
    parser.add_argument("--draws", type=int, default=8, help="noise draws for the noise-averaged estimate")
    parser.add_argument(
        "--max-tau", type=int, default=3, help="targets from this frame on, as psnr-curves with tau 0-3"
    )
    args = parser.parse_args()

    denoiser, prediction = (
        load_denoiser(args.denoiser, "the gap anatomy").network.eval(),
        load_denoiser(args.prediction, "the gap anatomy").network.eval(),
    )
    clips = ClipDataset.open(args.data).clips("test")
    windows = aligned_windows(clips, denoiser.config.tau, args.max_tau)
    past_windows = aligned_windows(clips, prediction.config.tau, args.max_tau)  # same targets, the prediction's memory
    index = np.random.default_rng([0, 11]).permutation(len(windows))[:512]  # psnr-curves' windows (seed 0)
    sigma = sigma_for_psnr(args.psnr)
    # (clean, prediction, estimate, noise-averaged estimate, spread over draws) per batch of 256, as psnr-curves
    # batches its noise
    rows = []
    for b, start in enumerate(range(0, len(index), 256)):
        context, clean = windows.batch(index[start : start + 256])
        past = past_windows.batch(index[start : start + 256])[0]
        predicted = prediction(torch.zeros_like(clean), past)
        draws = [torch.randn(clean.shape, generator=torch.Generator().manual_seed(b))]  # psnr-curves' noise first
        draws += [
            torch.randn(clean.shape, generator=torch.Generator().manual_seed(10_000 + 100 * k + b))
            for k in range(1, args.draws)
        ]
        estimates = torch.stack([denoiser(clean + sigma * z, context) for z in draws])
        spread = (estimates - estimates.mean(0)).square().mean((0, 2, 3, 4))  # per window, over draws and pixels
        rows.append((clean, predicted, estimates[0], estimates.mean(0), spread))
    clean, predicted, estimate, averaged, spread = (torch.cat(parts) for parts in zip(*rows))

    p_pred, p_est, p_avg = psnr(predicted, clean), psnr(estimate, clean), psnr(averaged, clean)
    pooled = lambda e: float(10 * torch.log10(1 / ((e - clean) ** 2).mean()))  # noqa: E731
    print(f"{args.denoiser} against {args.prediction} at {args.psnr:g} dB in (sigma {sigma:.2f}), {len(clean)} windows")
    print(
        f"  mean of per-window PSNR (psnr-curves): {p_est.mean():.2f} against {p_pred.mean():.2f}, gap "
        f"{p_pred.mean() - p_est.mean():.2f} dB"
    )
    print(
        f"  pooled MSE: {pooled(estimate):.2f} against {pooled(predicted):.2f}, gap {pooled(predicted) - pooled(estimate):.2f} dB"
    )
    order = torch.argsort(p_pred)
    for part in np.array_split(order.numpy(), 5):
        differ = (estimate[part] - predicted[part]).square().mean()
        print(
            f"  windows whose prediction reaches {p_pred[part].min():4.1f}-{p_pred[part].max():4.1f} dB: gap "
            f"{(p_pred[part] - p_est[part]).mean():5.2f} dB;"
            f" estimate - prediction: mean square {differ:.1e}, of which {spread[part].mean():.1e} varies with the noise;"
            f" prediction's own error {(predicted[part] - clean[part]).square().mean():.1e}"
        )
    print(
        f"  estimate averaged over {args.draws} noise draws: {p_avg.mean():.2f} dB, gap {p_pred.mean() - p_avg.mean():.2f} dB "
        f"(systematic); the other {p_avg.mean() - p_est.mean():.2f} dB moves with the noise"
    )


if __name__ == "__main__":
    main()
