"""Score trained methods on the same test clips with the same number of samples: CRPS, PSNR/SSIM best-of-K and
mean-over-K, cost per frame; a Markdown table, a JSON of every number, a per-step plot and a strip of samples.

    python scripts/methods_table.py --data runs/methods/smmnist32 --models runs/methods/{score,deterministic,svg_lp,mcvd,rvd} \
        --clips 32 --samples 5 --future 10 --out docs/results/methods/smmnist32

Each model's numbers are kept in OUT/scores/NAME.json and reused (a rerun scores only what is missing); the table and
figures are written from whatever is there. Clip c's sample j is seeded seed + c K + j for every method alike.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import nextframe
from nextframe.data.store import ClipDataset
from nextframe.evaluation import crps_standard_error, score_predictions


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="a clip dataset (its test split is scored)")
    p.add_argument("--models", nargs="+", required=True, help="run folders, weights or shipped names")
    p.add_argument("--out", required=True)
    p.add_argument("--clips", type=int, default=32, help="test clips, evenly spread over the test split")
    p.add_argument("--samples", type=int, default=5, help="K samples per clip")
    p.add_argument("--future", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    (out / "scores").mkdir(parents=True, exist_ok=True)
    test = ClipDataset.open(args.data).clips("test")
    chosen = np.unique(np.rint(np.linspace(0, len(test) - 1, args.clips)).astype(int))
    for model in args.models:
        name = Path(model).name
        path = out / "scores" / f"{name}.json"
        if path.exists():
            continue
        predictor = nextframe.load(model)
        past = predictor.context_frames
        clips = torch.from_numpy(np.asarray(test[chosen, : past + args.future], np.float32) / 255.0)
        result = score_predictions(predictor, clips, past, args.future, args.samples, args.seed, progress=True)
        summary = {
            "name": name,
            "model": model,
            "method": predictor.method,
            **result["summary"],
            "crps_se": crps_standard_error(result["crps"]),
            "crps_per_clip": result["crps"].mean(1).tolist(),
        }
        draws = predictor.predict(clips[:4, :past], args.future, samples=2, seed=args.seed).frames
        np.save(out / "scores" / f"{name}-strip.npy", draws.numpy().astype(np.float16))
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary, indent=1) + "\n")
        tmp.replace(path)
        print(f"{name}: CRPS {summary['crps']:.4f}, {summary['seconds_per_frame']:.3f} s/frame", flush=True)
    write_table(out, test, chosen, args)


def write_table(out: Path, test, chosen, args) -> None:
    rows = [json.loads(f.read_text()) for f in sorted((out / "scores").glob("*.json"))]
    if not rows:
        return
    floor = next((r for r in rows if r["method"] == "deterministic"), None)
    lines = [
        f"{len(chosen)} test clips, K = {args.samples} samples each, {args.future} future frames; CRPS on [0, 1] "
        "(x255 for [0, 255]) ± its standard error over clips; Δ: paired difference from the deterministic floor.",
        "",
        "| model | method | CRPS | CRPS x255 | Δ CRPS vs floor | PSNR best / mean of K | SSIM best / mean | "
        "evaluations / frame | s / frame |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        delta = ""
        if floor is not None and r is not floor:
            d = np.array(r["crps_per_clip"]) - np.array(floor["crps_per_clip"])
            delta = f"{d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f}"
        lines.append(
            f"| {r['name']} | {r['method']} | {r['crps']:.4f} ± {r['crps_se']:.4f} | {r['crps_255']:.2f} | {delta} | "
            f"{r['psnr_best']:.2f} / {r['psnr_mean']:.2f} | {r.get('ssim_best', float('nan')):.3f} / "
            f"{r.get('ssim_mean', float('nan')):.3f} | {r['evaluations_per_frame']:g} | {r['seconds_per_frame']:.3f} |"
        )
    (out / "table.md").write_text("\n".join(lines) + "\n")
    (out / "table.json").write_text(json.dumps(rows, indent=1) + "\n")
    plot(out, rows, test, chosen, args)
    print("\n".join(lines))


def plot(out: Path, rows: list[dict], test, chosen, args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    steps = np.arange(1, args.future + 1)
    for r in rows:
        axes[0].plot(steps, r["crps_per_step"], marker="o", ms=3, label=r["name"])
        axes[1].plot(steps, r["psnr_best_per_step"], marker="o", ms=3, label=r["name"])
    axes[0].set(xlabel="future frame", ylabel="CRPS (lower is better)", title="CRPS per step")
    axes[1].set(xlabel="future frame", ylabel="PSNR, best of K (dB)", title=f"best of K = {args.samples}")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "per_step.png", dpi=110)
    plt.close(fig)
    strips = [(r["name"], np.load(out / "scores" / f"{r['name']}-strip.npy")) for r in rows]
    fig, axes = plt.subplots(len(strips) + 1, 1, figsize=(args.future * 0.6, 0.75 * (len(strips) + 1)))
    truth = np.asarray(test[chosen[0]], np.float32)[-args.future :, 0] / 255
    axes[0].imshow(np.concatenate(list(truth), 1), cmap="gray", vmin=0, vmax=1)
    axes[0].set_ylabel("truth", rotation=0, ha="right", fontsize=8)
    for ax, (name, strip) in zip(axes[1:], strips):
        ax.imshow(np.concatenate(list(strip[0, :, 0].astype(np.float32)), 1), cmap="gray", vmin=0, vmax=1)
        ax.set_ylabel(name, rotation=0, ha="right", fontsize=8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(out / "samples.png", dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
