"""Moving Leaves generation rate: sequences per second, rendering alone and written to disk.

python benchmarks/generation.py [--n 100000] [--repeats 3]
"""

import argparse
import statistics
import tempfile
import time

from nextframe.data.leaves import generate, write_leaves


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    render, written = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _chunk in generate(args.n, seed=0):
            pass
        render.append(time.perf_counter() - start)
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            write_leaves(f"{tmp}/leaves", n=args.n, seed=0, progress=False)
            written.append(time.perf_counter() - start)
    for name, times in (("generate", render), ("generate + write uint8 .npy", written)):
        median = statistics.median(times)
        print(
            f"{name:28s} {args.n} sequences: median {median:.1f} s over {args.repeats} runs ({args.n / median:,.0f} sequences/s)"
        )


if __name__ == "__main__":
    main()
