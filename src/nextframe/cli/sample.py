"""`nextframe sample`: next frames of a user's context from any method (`Predictor.predict`), written as arrays,
a PNG grid, a GIF and a summary."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from nextframe.cli.options import COMMAND_HELP, add_sampler_args, sampler_knobs
from nextframe.errors import NextframeError
from nextframe.files import write_json


def add_sample(sub) -> None:
    p = sub.add_parser("sample", help=COMMAND_HELP["sample"])
    p.add_argument(
        "--model",
        default="leaves-tau2",
        help="shipped model name, or weights (.safetensors) or checkpoint (.pt) from `nextframe train` (default leaves-tau2)",
    )
    p.add_argument(
        "--context", required=True, nargs="+", help="past frames: one .npy, GIF or video file, or one image per frame"
    )
    p.add_argument(
        "--out", required=True, help="folder for samples.npy, one_step.npy, samples.png, samples.gif, summary.json"
    )
    p.add_argument("--take-last", action="store_true", help="use the last tau frames of a longer context")
    p.add_argument("--samples", type=int, default=8, help="samples per context (default 8)")
    p.add_argument("--frames", type=int, default=1, help="future frames to generate recursively (default 1)")
    p.add_argument("--seed", type=int, default=0, help="sample i uses seed + i")
    add_sampler_args(p)
    p.add_argument("--scale", type=int, default=4, help="enlargement of the PNG and GIF (default 4)")
    p.set_defaults(run=run_sample)


SAMPLE_CHUNK = 256  # samples drawn at once: per-sample seeds make the result the same whatever the chunk


def run_sample(args) -> int:
    import numpy as np
    import torch

    from nextframe.cli.options import load_predictor
    from nextframe.data.frames_io import read_frames, write_gif, write_grid, write_npy
    from nextframe.files import check_out_dir
    from nextframe.sampling.sampler import per_sample_seeds

    # everything that can be refused is refused before the first network evaluation
    out = check_out_dir(args.out)
    if args.samples < 1 or args.frames < 1:
        raise NextframeError(f"--samples {args.samples} --frames {args.frames}: both must be at least 1")
    if not 1 <= args.scale <= 16:
        raise NextframeError(f"--scale {args.scale}: the PNG and GIF enlargement must lie between 1 and 16")
    per_sample_seeds(args.seed, args.samples)
    predictor = load_predictor(args)  # the score sampler's flags for the score method; refused by the others
    knobs = sampler_knobs(args) if predictor.method == "score" else {}
    cfg = predictor.config
    tau = predictor.context_frames
    if tau == 0:
        raise NextframeError("this model has tau=0 (no context); it denoises single images and predicts nothing")
    frames = read_frames(args.context, channels=cfg.channels)
    if len(frames) < tau:
        raise NextframeError(f"got {len(frames)} context frame(s) but the model has tau={tau}; pass {tau} frames")
    if len(frames) > tau:
        if not args.take_last:
            raise NextframeError(
                f"got {len(frames)} context frames but the model has tau={tau}; pass {tau} frames, "
                f"or add --take-last to use the last {tau}"
            )
        frames = frames[len(frames) - tau :]
    cfg.check_size(*frames.shape[-2:])
    predictor.check_frame_shape(frames.shape[1:])
    _check_memory(args.samples, tau + args.frames, frames[0].size, args.scale)

    context = torch.from_numpy(frames)[None]
    chunks = [range(i, min(i + SAMPLE_CHUNK, args.samples)) for i in range(0, args.samples, SAMPLE_CHUNK)]
    parts = [predictor.predict(context, args.frames, samples=len(c), seed=[args.seed + i for i in c]) for c in chunks]
    sampled = torch.cat([p.frames for p in parts]).numpy()
    status = [[s for p in parts for s in p.status[j]] for j in range(args.frames)]  # per frame, per sample
    retries = [
        [n for p in parts for n in (p.retries[j] if p.retries else [0] * len(p.status[j]))] for j in range(args.frames)
    ]
    evals = torch.cat([p.evaluations for p in parts]).T.tolist()
    if predictor.has_one_step:  # the blurry one-pass estimate, shown above the samples
        estimate = predictor.one_step(context, args.frames, seed=args.seed).numpy()
    else:
        estimate = np.zeros((0, *sampled.shape[1:]), sampled.dtype)  # no one-step estimate: no first row
    summary = {
        "model": str(args.model),
        "context": [str(c) for c in args.context],
        "method": predictor.method,
        "tau": tau,
        "samples": args.samples,
        "frames": args.frames,
        "seeds": [args.seed + i for i in range(args.samples)],
        **knobs,
        "evaluations_per_frame": evals,
        "status": status,  # per frame, per sample: converged, diverged (noise, not a sample) or max_steps (stopped early)
        # for the score sampler; sampled (a fixed schedule) or predicted (one pass) for methods with no such test
        "retries": retries,  # per frame, per sample: restarts after a divergence
        "png": "row 1: context then the one-step estimate; rows 2+: context then one sample per row, labelled with its status"
        if len(estimate)
        else "context then one sample per row",
    }
    sample_status = [_worst([status[j][i] for j in range(args.frames)]) for i in range(args.samples)]
    shown = np.concatenate([estimate, sampled])
    rows = np.concatenate([np.repeat(frames[None], len(shown), 0), shown], axis=1)
    row_labels = ["one-step"] * len(estimate) + [
        f"sample {i + 1}" + ("" if st in FINISHED else f" ({st})") for i, st in enumerate(sample_status)
    ]
    col_labels = [f"t-{tau - 1 - t}" if t < tau - 1 else "t" for t in range(tau)] + [
        f"t+{j + 1}" for j in range(args.frames)
    ]
    title = f"{args.model}: context (first {tau} columns), then generated frames"
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=_existing_parent(out)))
    try:  # write everything aside, then move it in: a failure leaves no partial output
        write_npy(tmp / "samples.npy", sampled.astype(np.float32))
        if len(estimate):
            write_npy(tmp / "one_step.npy", estimate[0].astype(np.float32))
        write_grid(
            tmp / "samples.png", rows, scale=args.scale, row_labels=row_labels, col_labels=col_labels, title=title
        )
        gif_titles = [f"{col_labels[t]} ({'context' if t < tau else 'generated'})" for t in range(rows.shape[1])]
        write_gif(
            tmp / "samples.gif",
            rows.transpose(1, 0, 2, 3, 4),
            scale=args.scale,
            col_labels=row_labels,
            titles=gif_titles,
        )
        write_json(tmp / "summary.json", summary)
        out.mkdir(parents=True, exist_ok=True)
        for file in tmp.iterdir():
            file.replace(out / file.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    flat = [s for per_frame in status for s in per_frame]
    counts = {k: flat.count(k) for k in ("converged", "diverged", "max_steps")}
    retried = sum(1 for per_frame in retries for n in per_frame if n)
    median = float(np.median([e for per_frame in evals for e in per_frame]))
    if not any(s in ("converged", "diverged", "max_steps") for s in flat):  # a fixed schedule or a single pass:
        # nothing was tested for convergence, so nothing is claimed
        print(
            f"wrote {args.samples} samples of {args.frames} frame(s) to {out}: {len(flat)} generated frames by "
            f"{predictor.describe()} (no convergence test); median {median:g} network evaluations per frame"
        )
        return 0
    print(
        f"wrote {args.samples} samples of {args.frames} frame(s) to {out}: {counts['converged']} of {len(flat)} generated frames "
        f"converged, {retried} restarted after a divergence, {counts['diverged']} still diverged, {counts['max_steps']} stopped at "
        f"--max-steps; median {median:.0f} network evaluations per frame"
    )
    if counts["converged"] == 0:
        print(
            f"nextframe: error: no generated frame converged; the files in {out} are not samples (summary.json 'status'). "
            "Use the default sampler settings, or a smaller --h0 and a larger --max-steps",
            file=sys.stderr,
        )
        return 1
    if counts["diverged"] or counts["max_steps"]:
        print(
            f"nextframe: warning: {counts['diverged'] + counts['max_steps']} generated frame(s) did not converge and are marked in "
            "samples.png and summary.json 'status'; try a smaller --h0, a larger --max-steps or more --retries",
            file=sys.stderr,
        )
    return 0


def _worst(statuses: list[str]) -> str:
    """A sequence's status: its first frame that did not finish well (diverged, max_steps) decides it."""
    return next((s for s in statuses if s not in FINISHED), statuses[0])


FINISHED = ("converged", "sampled", "predicted")  # statuses of frames that are samples (`methods.base.Prediction`)


def _existing_parent(path: Path) -> Path:
    """Create the parents of an output folder (checked writable up front) and return the folder's parent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.parent


def _check_memory(samples: int, columns: int, pixels: int, scale: int) -> None:
    """Refuse a sample count whose outputs cannot fit in memory (the samples and the enlarged PNG grid)."""
    import os

    need = (samples + 1) * columns * pixels * 4 * (2 + scale * scale)
    have = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    if need > have / 2:
        raise NextframeError(
            f"--samples {samples} x {columns} frames needs about {need / 2**30:.0f} GiB for its outputs "
            f"(this machine has {have / 2**30:.0f}); lower --samples, --frames or --scale"
        )
