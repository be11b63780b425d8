"""`nextframe benchmark --train-minutes M`: train every method named by its registry name at the same budget of M
CPU-minutes of optimiser steps, on the benchmark's own data, before scoring it.

The budget is CPU time of the training process (`--budget-clock cpu`), so it does not shrink when other work shares
the machine, and held-out scoring between epochs is not counted. Each method brings its own settings at this
machine's scale (`benchmark_recipe` in its folder); the data brings the protocol (past frames, the future a
sequence method trains on, a block method's block). A run folder that already exists is resumed, so a finished run
costs nothing and a larger M extends it.
"""

from __future__ import annotations

from pathlib import Path

from nextframe.data.store import ClipDataset
from nextframe.errors import NextframeError

# data kind -> (past frames tau, future frames of a sequence method's windows, block of a block method)
PROTOCOLS = {
    "stochastic-moving-mnist": (5, 10, 5),  # SVG and MCVD's SM-MNIST protocol: 5 past, 10 future, blocks of 5
    "moving-leaves": (2, 9, 3),  # tau = 2 (the paper's section 3.1) and the rest of each 11-frame sequence
}
OTHER = (2, 9, 3)  # any other clip data: the natural-video models' tau = 2


def protocol(data: str) -> tuple[int, int, int]:
    """(tau, sequence, block) for a dataset, shortened to fit its clips."""
    dataset = ClipDataset.open(data)
    tau, sequence, block = PROTOCOLS.get(dataset.meta.get("kind"), OTHER)
    frames = int(dataset.clips("test").shape[1])
    if frames < tau + 1:
        raise NextframeError(f"{data}'s clips have {frames} frames; training needs at least {tau + 1}")
    return tau, min(sequence, frames - tau), min(block, frames - tau)


def is_method_name(model: str) -> bool:
    """A registry name (score, mcvd, ...) that is not also a path on disk: something to train, not to load."""
    from nextframe.methods import METHODS

    return model in METHODS and not Path(model).exists()


def train_for_benchmark(data: str, models: dict[str, str], minutes: float, runs: str | Path, progress: bool = True):
    """Train each entry of `models` (row name -> model) that is a method name into RUNS/<data>-<row name> and return
    `models` with those entries replaced by their run folders."""
    from nextframe.methods import method, train
    from nextframe.training.config import TrainConfig

    tau, sequence, block = protocol(data)
    trained = dict(models)
    for name, model in models.items():
        if not is_method_name(model):
            continue
        module = method(model)
        recipe = getattr(module, "benchmark_recipe", None)
        if recipe is None:
            raise NextframeError(
                f"method {model} has no benchmark_recipe; train it with `nextframe train` and pass its run folder"
            )
        out = Path(runs) / f"{Path(data).name}-{name}"
        config = TrainConfig(
            data=str(data),
            tau=tau,
            method=model,
            out=str(out),
            max_minutes=minutes,
            budget_clock="cpu",  # equal CPU time whatever else runs on the machine
            examples_per_epoch=8000,  # held-out scoring every 8,000 windows
            heldout_examples=256,
            snapshot_minutes="3,10,30,100,300",  # the points of each method's learning curve on the benchmark page
            progress=progress,
            **recipe(sequence, block),
        )
        summary = train(config)
        if summary["stopped"] == "interrupted":
            raise KeyboardInterrupt  # the state is saved; rerun to resume
        print(f"trained {name}: {summary['steps']} steps, {summary['examples']} examples; {out / 'model.safetensors'}")
        trained[name] = str(out)
    return trained
