"""Training throughput of the U-Net: examples per second and achieved GFLOP/s (FLOPs counted by torch).

python benchmarks/training.py [--width 16 32 64] [--batch 32] [--steps 20]
"""

import argparse
import statistics
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from nextframe.methods.score.loss import BlindDenoisingLoss
from nextframe.networks import ConditionalUNet, UNetConfig


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--tau", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument(
        "--memory-format",
        nargs="+",
        default=["channels_last"],
        choices=["channels_last", "contiguous"],
        help="the trainer uses channels_last; give both to compare",
    )
    args = parser.parse_args()
    print(f"device {args.device}, threads {torch.get_num_threads()}, batch {args.batch}, 32x32 frames, tau {args.tau}")
    loss_fn = BlindDenoisingLoss()
    for width, name in [(w, f) for w in args.width for f in args.memory_format]:
        fmt = getattr(torch, name + "_format" if name == "contiguous" else name)
        net = ConditionalUNet(UNetConfig(tau=args.tau, width=width)).to(args.device, memory_format=fmt)
        opt = torch.optim.Adam(net.parameters(), lr=3e-4)
        context = torch.rand(args.batch, args.tau, 32, 32, device=args.device).contiguous(memory_format=fmt)
        clean = torch.rand(args.batch, 1, 32, 32, device=args.device).contiguous(memory_format=fmt)
        g = torch.Generator().manual_seed(0)

        def step(net=net, opt=opt, context=context, clean=clean, g=g):  # this width's, bound now
            loss = loss_fn(net, context, clean, g)
            opt.zero_grad()
            loss.backward()
            opt.step()

        with FlopCounterMode(display=False) as counter:
            step()
        flops = counter.get_total_flops()
        times = []
        for _ in range(args.steps):
            if args.device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            step()
            if args.device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        median = statistics.median(times[2:])
        print(
            f"width {width:3d} {name:13s}: {args.batch / median:8.0f} examples/s, {flops / median / 1e9:7.1f} GFLOP/s achieved "
            f"({flops / args.batch / 1e9:.2f} GFLOP per example, median of {args.steps - 2} steps)"
        )


if __name__ == "__main__":
    main()
