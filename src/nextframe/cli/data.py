"""`nextframe data leaves | smmnist | video`: write a clip dataset (the generators and readers live in `nextframe.data`)."""

from __future__ import annotations

from nextframe.cli.options import COMMAND_HELP, add_dataclass_args, given
from nextframe.errors import NextframeError


def add_data(sub) -> None:
    data = sub.add_parser("data", help=COMMAND_HELP["data"]).add_subparsers(dest="dataset", required=True)
    leaves = data.add_parser("leaves", help="generate the Moving Leaves dataset (App. D)")
    leaves.add_argument("--out", required=True, help="dataset folder to create")
    leaves.add_argument(
        "--n", type=int, default=100_000, help="sequences, split 9:1 into train and test (default 100000)"
    )
    leaves.add_argument(
        "--seed", type=int, default=0, help="generator seed; seed 0 with the default --n is the shipped models' data"
    )
    from nextframe.data.leaves import LeavesConfig

    add_dataclass_args(leaves, LeavesConfig)
    leaves.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    leaves.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    leaves.set_defaults(run=run_data_leaves)

    from nextframe.data.smmnist import SMMNISTConfig

    mnist = data.add_parser(
        "smmnist", help="generate Stochastic Moving MNIST (SVG/MCVD rules at 64x64, or every length halved at 32x32)"
    )
    mnist.add_argument("--mnist", required=True, help="folder holding the four MNIST idx files (gzip or not)")
    mnist.add_argument("--out", required=True, help="dataset folder to create")
    add_dataclass_args(mnist, SMMNISTConfig)
    mnist.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    mnist.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    mnist.set_defaults(run=run_data_smmnist)

    from nextframe.data.video import VideoCropConfig

    video = data.add_parser(
        "video", help="clips of real video, like the paper's DAVIS32 (App. D): 32x32 crops at 21 locations and 3 scales"
    )
    video.add_argument(
        "--source",
        required=True,
        nargs="+",
        help="a DAVIS folder (JPEGImages/480p/<sequence>/*.jpg), folders of frame folders or videos, or video files",
    )
    video.add_argument("--out", required=True, help="dataset folder to create")
    add_dataclass_args(video, VideoCropConfig)
    video.add_argument(
        "--test-sequences", nargs="+", help="sequences to hold out for testing (default: every --test-every-th by name)"
    )
    video.add_argument(
        "--test-every", type=int, default=5, help="hold out every Nth sequence in sorted order (default 5)"
    )
    video.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    video.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    video.set_defaults(run=run_data_video)


def run_data_leaves(args) -> None:
    from dataclasses import replace

    from nextframe.data.leaves import LeavesConfig, write_leaves

    typed = given(args, LeavesConfig)
    # the scene scaled to the canvas (--size), under any scene setting typed beside it
    base = LeavesConfig()
    cfg = replace(LeavesConfig.for_size(typed.pop("size", base.size), typed.pop("frames", base.frames)), **typed)
    if args.n > 10_000_000:
        raise NextframeError(f"--n {args.n}: at most 10,000,000 sequences (11 GB per million of 32x32 frames)")
    out = write_leaves(
        args.out,
        n=args.n,
        seed=args.seed,
        cfg=cfg,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    print(f"wrote {args.n} sequences to {out}")


def run_data_smmnist(args) -> None:
    from nextframe.data.smmnist import SMMNISTConfig, write_smmnist

    cfg = SMMNISTConfig(**given(args, SMMNISTConfig))
    out = write_smmnist(args.mnist, args.out, cfg, overwrite=args.overwrite, progress=not args.no_progress)
    print(f"wrote {out}: {cfg.n} training and {cfg.test} test sequences of {cfg.frames} frames, {cfg.size}x{cfg.size}")


def run_data_video(args) -> None:
    from nextframe.data.video import VideoCropConfig, write_video_dataset

    cfg = VideoCropConfig(**given(args, VideoCropConfig))
    out, meta = write_video_dataset(
        args.source,
        args.out,
        cfg,
        test_sequences=args.test_sequences,
        test_every=args.test_every,
        overwrite=args.overwrite,
        progress=not args.no_progress,
    )
    split = meta["split"]
    clips = meta["clips"]
    print(
        f"wrote {out}: {clips['train']} training clips from {len(split['train'])} sequence(s), "
        f"{clips['test']} test clips from {len(split['test'])} ({', '.join(split['test'])})"
    )
