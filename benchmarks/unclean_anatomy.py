"""Which held-out collision windows a model draws unclean, and which pixels make them so (issue 29, eighth session).

    python benchmarks/unclean_anatomy.py --model docs/results/leaves-tau2/deep4/model.safetensors --windows 64

For each window (`analysis.decisions.heldout_collisions`, `--samples` next frames each, the library's default
sampler): the count of "not two clean disks" samples, against a binomial of the same mean (a property of the window
or of the sample?), its Spearman correlation with the window's properties, the instrument's failing test per
disk-contrast quartile, and each sample's error against its best two-disk fit split into flat interiors, edge band
and lens, beside the oracle's samples sharp and blurred by 0.7 px (a soft but clean sampler). The eighth session's
finding: the unclean count follows the disks' luminance contrast (rho -0.58), the error sits at edges and lens.
Last, the same parts of the denoiser's own error on the true next frame plus noise at each sigma (no sampler): is
the samples' softness the network's at low noise? (Ninth session: no; its edges stay within 0.012-0.015 RMS at
sigma 0.01-0.05, against 0.10-0.12 in the samples.)
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
from scipy.ndimage import binary_dilation, gaussian_filter
from scipy.stats import binom, spearmanr
from unclean_samples import true_lens  # a sibling benchmark, on the path when run as a script

import nextframe
from nextframe.analysis import decisions as D
from nextframe.analysis.occlusion import collision_decisions

SIGMAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def window_properties(window: dict, size: int) -> dict[str, np.ndarray]:
    lum = np.asarray(window["luminance"], np.float64)  # background, disk 0, disk 1
    past, nxt, r = (np.asarray(window[k], np.float64) for k in ("past", "next", "radii"))
    front = 1 + r.argmax(1)
    return {
        "disk contrast |L0 - L1|": np.abs(lum[:, 1] - lum[:, 2]),
        "front disk vs background": np.abs(lum[np.arange(len(r)), front] - lum[:, 0]),
        "radius gap": np.abs(r[:, 0] - r[:, 1]),
        "smaller radius": r.min(1),
        "mean speed": np.linalg.norm(nxt - past[:, -1], axis=2).mean(1),
        "max acceleration": np.linalg.norm(nxt - 2 * past[:, -1] + past[:, -2], axis=2).max(1),
        "nearest edge": np.minimum(nxt, size - nxt).min(axis=(1, 2)),
    }


def error_parts(frames: torch.Tensor, scene: D.Scene, luminance: np.ndarray) -> tuple[np.ndarray, dict, D.Decisions]:
    """Each frame's error against its best two-disk fit, the masks of its parts (flat interiors, edge band, lens), and
    the instrument's decisions: one classification per frame, which the summaries below only slice."""
    size = frames.shape[-1]
    frames = frames.reshape(len(frames), size, size).float()
    found = D.classify_decisions(frames, scene)
    views = torch.stack([D.render_disks(found.centers, scene.radii, scene.luminance, o, size) for o in range(2)], 1)
    lens = D.lens_of(views, scene.luminance).numpy().astype(bool)
    fit = found.fit.numpy()
    return frames.numpy() - fit, parts_of(fit, luminance, lens), found


def parts_of(reference: np.ndarray, luminance: np.ndarray, lens: np.ndarray) -> dict[str, np.ndarray]:
    """Masks of a two-disk frame's flat interiors, edge band and lens: the edge band is where `reference` lies at none
    of its scene's luminances (the rendered edge ramps) and a pixel either side, outside the lens."""
    exact = np.abs(reference[..., None] - luminance[:, None, None, :]).min(-1) < 1e-4
    ramp = np.stack([binary_dilation(~e, iterations=1) for e in exact])
    return {"flat": ~ramp & ~lens, "edges": ramp & ~lens, "lens": lens}


def denoiser_parts(model, context: torch.Tensor, truth: torch.Tensor, window: dict) -> None:
    """The network's error on the true next frame plus noise, split into flat interiors, edge band and lens (the
    true next frame's own, `decisions.lens_of`), per noise level; the input's RMS error is sigma."""
    m, size = len(context), context.shape[-1]
    clean = truth[:, 0]
    lens = true_lens(window, size).numpy().astype(bool)
    parts = parts_of(clean.numpy(), np.asarray(window["luminance"], np.float64), lens)
    print("the denoiser on the true next frame + noise, RMS error flat / edges / lens:")
    for sigma in SIGMAS:
        noisy = clean + sigma * torch.randn(clean.shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            err = (model(noisy[:, None], context.reshape(m, -1, size, size))[:, 0] - clean).numpy()
        print(f"  sigma {sigma}: " + " / ".join(f"{np.sqrt(np.mean(err[v] ** 2)):.3f}" for v in parts.values()))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="leaves-tau2", help="a Leaves score model (name or .safetensors)")
    p.add_argument("--windows", type=int, default=64, help="held-out collision windows")
    p.add_argument("--samples", type=int, default=8, help="next frames per window")
    args = p.parse_args()
    model = nextframe.load(args.model)
    context, truth, window = D.heldout_collisions(args.windows)
    size, n = context.shape[-1], args.samples
    scene = D.window_scene(window, n)
    luminance = np.repeat(np.asarray(window["luminance"], np.float64), n, axis=0)
    oracle = collision_decisions(None, context, window, n, 0)["frames"]
    frames = {
        "oracle": oracle,
        "oracle blurred 0.7 px": torch.from_numpy(
            np.stack([gaussian_filter(f.numpy(), (0, 0.7, 0.7)) for f in oracle])
        ),
        args.model: collision_decisions(model, context, window, n, 0)["frames"],
    }
    contrast = np.repeat(np.abs(luminance[::n, 1] - luminance[::n, 2]), n)
    low = contrast < np.median(contrast)
    decided = {}
    for name, f in frames.items():
        err, parts, decided[name] = error_parts(f, scene, luminance)
        rms = {k: [float(np.sqrt(np.mean(err[rows][m[rows]] ** 2))) for rows in (low, ~low)] for k, m in parts.items()}
        bad = np.asarray(decided[name].reason) == "not two clean disks"
        print(f"{name}: RMS error against the best two-disk fit, below / above the median disk contrast:")
        print("  " + "; ".join(f"{k} {v[0]:.3f} / {v[1]:.3f}" for k, v in rms.items()))
        print(f"  unclean below the median contrast: {bad[low].mean():.0%}")
    found = decided[args.model]
    bad = np.asarray(found.reason) == "not two clean disks"
    k = bad.reshape(-1, n).sum(1)
    print(
        f"{args.model}: not clean {bad.mean():.0%}; windows by unclean samples 0..{n}: {np.bincount(k, minlength=n + 1).tolist()}"
    )
    print(f"  a binomial of the same mean: {(len(k) * binom.pmf(np.arange(n + 1), n, bad.mean())).round(1).tolist()}")
    for name, prop in window_properties(window, size).items():
        rho, pv = spearmanr(prop, k)
        print(f"  unclean count vs {name}: Spearman rho {rho:+.2f} (p {pv:.3f})")
    edges = np.quantile(contrast, [0, 0.25, 0.5, 0.75, 1])
    match, mix, rms = (np.asarray(v, np.float64) for v in (found.lens_match, found.lens_mix, found.rms))
    limit = D.FRAME_RMS * np.abs(luminance[:, 1:] - luminance[:, :1]).max(1)
    for q in range(4):
        m = (contrast >= edges[q]) & (contrast <= edges[q + 1])
        u = bad & m
        if not u.any():
            continue
        print(
            f"  disk contrast {edges[q]:.2f}-{edges[q + 1]:.2f}: unclean {u.sum() / m.sum():.0%}; of them failing the "
            f"frame RMS {np.mean(rms[u] > limit[u]):.0%}, the lens majority {np.mean(match[u] < D.LENS_MAJORITY):.0%}, "
            f"the lens mix {np.mean(mix[u] < D.LENS_MIX):.0%}"
        )

    denoiser_parts(model, context, truth, window)


if __name__ == "__main__":
    main()
