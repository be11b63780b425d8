"""`nextframe evaluate`: held-out denoising PSNR of a denoiser at given input PSNRs (`evaluation.denoising`)."""

from __future__ import annotations

from nextframe.cli.options import COMMAND_HELP
from nextframe.errors import NextframeError


def add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help=COMMAND_HELP["evaluate"])
    p.add_argument(
        "--model",
        default="leaves-tau2",
        help="shipped model name, weights (.safetensors) or checkpoint (.pt) (default leaves-tau2)",
    )
    p.add_argument("--data", required=True, help="dataset folder; its test split is used")
    p.add_argument(
        "--psnr", type=float, nargs="+", default=[0.0, 10.0, 20.0, 30.0], help="input PSNRs in dB (default 0 10 20 30)"
    )
    p.add_argument("--examples", type=int, default=512, help="held-out windows (default 512)")
    p.add_argument("--seed", type=int, default=0, help="seeds the choice of windows and the noise")
    p.set_defaults(run=run_evaluate)


def run_evaluate(args) -> None:
    from nextframe.data.store import ClipDataset, Windows
    from nextframe.evaluation.denoising import denoising_psnr
    from nextframe.methods import load_denoiser

    model = load_denoiser(args.model, "held-out denoising PSNR")
    clips = ClipDataset.open(args.data).clips("test")
    if clips.shape[2] != model.config.channels:
        raise NextframeError(
            f"{args.data} has {clips.shape[2]}-channel frames but the model takes {model.config.channels}"
        )
    rows = denoising_psnr(model, Windows(clips, model.config.tau), args.psnr, args.examples, args.seed)
    print("input PSNR (dB)  output PSNR (dB)  gain (dB)")
    for r in rows:
        print(f"{r['input_psnr']:15.2f}  {r['output_psnr']:16.2f}  {r['output_psnr'] - r['input_psnr']:+9.2f}")
