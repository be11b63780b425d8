"""The training loop every method plugs into: windows of past and future frames, a method's loss over a batch of
them, held-out measures per epoch, resumable checkpoints, under torchrun or not.

A method hands the loop a `TrainingMethod` (its network, loss and held-out measures, built for the run's settings and
data by the method's `training_method(config, shape)`); the loop does the rest the same for every method.

Everything random is derived from (seed, epoch, step, rank), so a resumed run takes exactly the batches and the noise
that an uninterrupted one would have. Under `torchrun` each process takes every world-th window of the epoch's
permutation and DDP averages the gradients (gloo on the CPU, NCCL on GPUs); only rank 0 writes files.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from nextframe.data.store import ClipDataset, Windows
from nextframe.errors import NextframeError
from nextframe.files import atomic_path, check_out_dir
from nextframe.models.files import (
    load_checkpoint,
    load_state,
    model_metadata,
    read_network,
    save_checkpoint,
    save_weights,
)
from nextframe.networks.unet import freeze_norm, recalibrate_norms
from nextframe.settings import from_options, options_of
from nextframe.training.augment import augment_windows
from nextframe.training.config import TrainConfig

Loss = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainingMethod:
    """What a method gives the loop: made by its `training_method(config, shape)` before any work, so that a setting
    that does not fit the data is refused up front."""

    name: str  # the method's registry name, written into checkpoints and weights
    build: Callable[[], torch.nn.Module]  # a fresh network, called after the run's seed is set; it has a `config`
    # with `to_dict()`, saved with the weights so that the file rebuilds it
    loss: (
        Loss  # (net, context, target, generator) -> the objective on a batch of windows; all randomness from generator
    )
    heldout: Callable[[torch.nn.Module, Windows, np.ndarray, int, torch.device], dict[str, float]]  # (network in
    # eval mode, test windows, their indices, seed, device) -> the measures logged after each epoch, the same names
    # every time
    columns: tuple[str, ...] = ()  # the names `heldout` returns, in the order of the log


LOG_START = ["epoch", "step", "examples", "train_loss", "heldout_loss"]
LOG_END = ["lr", "minutes", "complete"]


def batch_generator(seed: int, *keys: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(np.random.SeedSequence([seed, *keys]).generate_state(1)[0]))


class Distributed:
    """Rank, world size and device, from torchrun's environment or a single process."""

    def __init__(self, device: str):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        use_cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
        if use_cuda and not torch.cuda.is_available():
            raise NextframeError(
                f"--device {device} asked for a GPU but this torch sees none; use --device cpu or install a CUDA build of torch"
            )
        self.device = torch.device(
            f"cuda:{local}" if use_cuda and device in ("auto", "cuda") else (device if device != "auto" else "cpu")
        )
        if self.world > 1 and not dist.is_initialized():
            if use_cuda:
                torch.cuda.set_device(self.device)
            dist.init_process_group("nccl" if use_cuda else "gloo")

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mean(self, value: float) -> float:
        if self.world == 1:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t)
        return float(t.item()) / self.world

    def close(self):
        if self.world > 1 and dist.is_initialized():
            # rank 0 is still writing weights when the others get here; a rank that tore down its gloo group while
            # a peer was busy aborted at exit about one run in twelve ("terminate called without an active exception")
            dist.barrier()
            dist.destroy_process_group()


class WeightAverage:
    """An exponential moving average of a network's weights and batch-norm statistics (EDM, k-diffusion, MCVD sample
    from such an average): after each step, average <- average + (1 - decay) * (live - average), with the decay set
    so that the past's weight halves every `halflife` examples whatever the batch size.

    The half-life ramps up with the examples seen, as EDM's `ema_rampup_ratio`: it is min(halflife, rampup x examples
    seen), so the average never remembers more than a `rampup` share of training. A plain average from step 0 keeps
    the random initialisation for thousands of examples (0.5^(2752 / 4000) = 62% of every weight after RVD's 2,752
    examples at a 4,000-example half-life) and ships noise; with the ramp the average tracks the live weights early
    and becomes a long average only once training is long. The examples are counted from where the average starts
    (the initialisation, or the --init weights of this stage)."""

    def __init__(self, model: torch.nn.Module, halflife: int, examples_per_step: int, rampup: float = 0.05):
        import copy

        self.model = copy.deepcopy(model).eval()
        self.halflife, self.examples_per_step, self.rampup = halflife, examples_per_step, rampup
        for p in self.model.parameters():
            p.requires_grad_(False)

    def decay(self, examples_seen: int) -> float:
        """The decay of the step that brings the examples seen to `examples_seen`."""
        halflife = min(self.halflife, self.rampup * examples_seen) if self.rampup > 0 else self.halflife
        return 0.5 ** (self.examples_per_step / max(halflife, 1e-8))

    @torch.no_grad()
    def update(self, live: torch.nn.Module, examples_seen: int) -> None:
        """Fold in the live weights after the step that brought the examples seen to `examples_seen`."""
        decay = self.decay(examples_seen)
        for mine, theirs in zip(self.model.state_dict().values(), live.state_dict().values()):
            if mine.dtype.is_floating_point:
                mine.lerp_(theirs, 1.0 - decay)
            else:  # counters such as num_batches_tracked
                mine.copy_(theirs)


class StopFlag:
    """Turns SIGINT/SIGTERM into a flag checked between steps, so the state saved on the way out is consistent."""

    def __init__(self):
        self.raised = False
        self.previous = {}

    def __enter__(self):
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def _handle(self, signum, frame):
        self.raised = True

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def heldout_loss(
    model, windows: Windows, indices: np.ndarray, loss: Loss, seed: int, device, batch: int = 256
) -> float:
    """Mean loss on fixed held-out windows with fixed noise, comparable across epochs."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for b, start in enumerate(range(0, len(indices), batch)):
            context, clean = windows.batch(indices[start : start + batch])
            value = loss(model, context.to(device), clean.to(device), batch_generator(seed, 10**6, b))
            total += float(value) * len(clean)
    model.train()
    return total / max(len(indices), 1)


def heldout_measures(method: TrainingMethod, model, windows: Windows, indices: np.ndarray, seed: int, device) -> dict:
    """The method's held-out measures on fixed windows (fixed noise, comparable across epochs)."""
    model.eval()
    with torch.no_grad():
        measures = method.heldout(model, windows, indices, seed, device)
    model.train()
    return measures


def calibrate_norms(network, loss: Loss, windows: Windows, config: TrainConfig, device) -> int:
    """Set the running statistics of `network`'s batch norms to their mean over `config.norm_batches` training-mode
    passes of `loss` on training batches (networks.unet.recalibrate_norms): the same windows and noise every time,
    drawn from `config.seed`. Returns how many norms were set (0 for networks without batch norm)."""
    chosen = np.random.default_rng([config.seed, 9]).permutation(len(windows))[
        : config.norm_batches * config.batch_size
    ]

    def run_batch(k: int) -> None:
        batch = windows.batch(chosen[k * config.batch_size : (k + 1) * config.batch_size])
        context, clean = (t.to(device, memory_format=torch.channels_last) for t in batch)
        loss(network, context, clean, batch_generator(config.seed, 10**6 + 1, k))

    with torch.random.fork_rng(devices=[]):  # a method that draws from the global generator leaves it as it was
        return recalibrate_norms(network, run_batch, math.ceil(len(chosen) / config.batch_size))


def _full_options(config: TrainConfig, method) -> TrainConfig:
    """`config` with every setting of its method's `Settings` in `options`, defaults included: what is saved says
    all that trained the run, and a resumed run compares with its checkpoint setting by setting."""
    own = getattr(method, "Settings", None)
    if own is None:
        return config
    return dataclasses.replace(config, options=options_of(from_options(own, config.options, config.method)))


def _with_defaults(saved: dict, config) -> dict:
    """Network settings read from a file, with any setting added to `config`'s dataclass since the file was written
    (missing from it) at its default: what the network it describes had."""
    defaults = {f.name: f.default for f in dataclasses.fields(config) if f.default is not dataclasses.MISSING}
    return {**{k: v for k, v in defaults.items() if k not in saved}, **saved}


def train(config: TrainConfig, method, fresh: bool = False) -> dict:
    """Train (or resume) `method` (its module: `nextframe.methods.method(config.method)`, whose
    `training_method(config, shape)` gives a `TrainingMethod`) according to `config`; returns a summary of the run."""
    check_out_dir(config.out)
    config = _full_options(config, method)
    dataset = ClipDataset.open(config.data)
    clips = dataset.clips("train")
    spec: TrainingMethod = method.training_method(config, clips.shape[2:])
    windows = Windows(clips, config.tau, config.future)
    test_windows = Windows(dataset.clips("test"), config.tau, config.future)
    if len(windows) == 0 or len(test_windows) == 0:
        raise NextframeError(f"{config.data} has an empty train or test split; generate more clips")

    ddp = Distributed(config.device)
    out = Path(config.out)
    checkpoint_path = out / "checkpoint.pt"
    torch.manual_seed(config.seed)
    # channels_last: 2% to 30% more examples/s than contiguous for the width-16 U-Net on a 2-core CPU, in every
    # paired run (benchmarks/training.py --memory-format channels_last contiguous)
    model = spec.build().to(ddp.device, memory_format=torch.channels_last)
    network = model.config.to_dict()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    state = {
        "epoch": 0,
        "step_in_epoch": 0,
        "step": 0,
        "examples": 0,
        "seconds": 0.0,
        "log": [],
        "epoch_loss": [0.0, 0],
        "prior": [0, 0, 0.0],
    }  # prior: (steps, examples, minutes) already in the --init weights
    limit = config.max_minutes * 60 if config.max_minutes > 0 else math.inf
    if config.lr_schedule == "plateau":  # halvings only come at epoch ends, after any warm-up (`warm_up` below)
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=config.plateau_patience)
    else:  # cosine counts steps only; cosine-budget the clock the loop keeps in `state` too
        clock_limit = limit if config.lr_schedule == "cosine-budget" else math.inf
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda step: (
                0.5 * (1 + math.cos(math.pi * budget_spent(step, state["seconds"], config.max_steps, clock_limit)))
            ),
        )

    if checkpoint_path.exists() and not fresh:
        saved = load_checkpoint(checkpoint_path, fix="delete it or pass --fresh to start over")
        config.check_resumable(_full_options(TrainConfig.from_dict(saved["config"]), method), str(checkpoint_path))
        if saved["method"] != spec.name or _with_defaults(saved["network"], model.config) != network:
            raise NextframeError(
                f"{checkpoint_path} holds a {saved['method']} network for other data or settings ({saved['network']}); "
                "use another --out or --fresh"
            )
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
        state.update(saved["progress"])
        state["prior"] = [*state["prior"], 0.0][:3]  # checkpoints before minutes were counted: none recorded
        torch.set_rng_state(saved["rng"]["torch"])
        name, key, *rest = saved["rng"]["numpy"]
        np.random.set_state((name, key.numpy().astype(np.uint32), *rest))
        random.setstate(saved["rng"]["python"])
        if ddp.main:
            print(
                f"resuming from {checkpoint_path}: epoch {state['epoch']}, step {state['step']}, {state['seconds'] / 60:.1f} min trained"
            )
    elif config.init:
        init_method, init_network, init_state = read_network(config.init)
        init_network = _with_defaults(init_network, model.config)
        adds_gates = network.get("gates") and not init_network.get("gates")  # gates start as the identity
        if adds_gates:
            init_network = {**init_network, "gates": True}
        # compared as JSON, as the weights file holds them: a network's tuples (MCVD's multipliers) come back as lists;
        # the settings only the loss reads (a peer's one dataclass holds them too) may change from stage to stage
        loss_only = {f.name for f in dataclasses.fields(model.config) if f.metadata.get("loss_only")}
        same = [
            {k: v for k, v in json.loads(json.dumps(n)).items() if k not in loss_only} for n in (init_network, network)
        ]
        if init_method != spec.name or same[0] != same[1]:
            raise NextframeError(
                f"--init {config.init} is a {init_method} network {init_network}, not the {spec.name} network {network} "
                "this run trains; match --method, --tau and --width"
            )
        if adds_gates:  # every gate's own weights stay at their start (zero), where the gate passes its input
            init_state = {**{k: v for k, v in model.state_dict().items() if ".mix." in k}, **init_state}
        load_state(model, init_state, config.init)
        state["prior"] = _prior_training(config.init)
    if config.freeze_norm:
        freeze_norm(model)
    average = (
        WeightAverage(model, config.ema_halflife, config.batch_size * ddp.world, config.ema_rampup)
        if config.ema_halflife
        else None
    )
    if average is not None and checkpoint_path.exists() and not fresh:
        average.model.load_state_dict(saved["ema"])
    shipped = average.model if average is not None else model  # the weights written, evaluated and sampled from
    if ddp.main:
        out.mkdir(parents=True, exist_ok=True)
        with atomic_path(out / "config.json") as tmp:
            tmp.write_text(config.to_json())

    net = torch.nn.parallel.DistributedDataParallel(model) if ddp.world > 1 else model
    loss_fn = spec.loss
    heldout = np.random.default_rng([config.seed, 7]).permutation(len(test_windows))[: config.heldout_examples]
    every_rank_holds_some = len(heldout) >= ddp.world  # else a rank would have no window to measure on
    heldout = heldout[ddp.rank :: ddp.world]
    per_epoch = config.examples_per_epoch or len(windows)
    steps_per_epoch = math.ceil(math.ceil(per_epoch / ddp.world) / config.batch_size)
    writer = _tensorboard(out) if ddp.main else None
    focus = focus_windows(dataset, config) if config.focus > 0 else None
    focus_per_batch = round(config.focus * config.batch_size)
    lens_weights = lens_weighting(dataset, config, spec.name) if config.lens_weight > 0 else None

    log_columns = LOG_START + list(spec.columns)
    if average is not None:  # the live weights' numbers beside the average's
        log_columns += [f"live_{c}" for c in ["heldout_loss", *spec.columns]]
    log_columns += LOG_END

    def total_minutes() -> float:
        """Training time of the weights, counting their --init chain's (on the chain's clocks)."""
        return state["prior"][2] + state["seconds"] / 60

    def write_weights(path: Path) -> None:
        save_weights(
            path,
            shipped,
            spec.name,
            {
                "train": asdict(config),
                "steps": state["step"],
                "examples": state["examples"],
                "minutes": state["seconds"] / 60,
                "total_steps": state["prior"][0] + state["step"],
                "total_examples": state["prior"][1] + state["examples"],
                "total_minutes": total_minutes(),
                "frame_shape": list(clips.shape[2:]),  # (C, H, W): the predictor refuses frames of another size
            },
        )

    calibrated = {}  # id(network) -> the step at which its batch-norm statistics were last set

    def calibrate(network) -> None:
        """Set `network`'s batch-norm statistics from training batches, once per step (not counted as training
        time, like the held-out measures)."""
        if calibrated.get(id(network)) != state["step"]:
            calibrate_norms(network, loss_fn, windows, config, ddp.device)
            calibrated[id(network)] = state["step"]

    # learning curves: a copy of the shipped weights when the total training time passes each of these minutes
    snapshots = sorted(m for m in config.snapshot_points() if m > total_minutes())

    def snapshot() -> None:
        while snapshots and total_minutes() >= snapshots[0]:
            calibrate(shipped)
            if ddp.main:
                (out / "snapshots").mkdir(exist_ok=True)
                write_weights(out / "snapshots" / f"model-{snapshots[0]:g}min.safetensors")
            snapshots.pop(0)

    def save(complete: bool):
        if not ddp.main:
            return
        progress = {
            k: state[k] for k in ("epoch", "step_in_epoch", "step", "examples", "seconds", "log", "epoch_loss", "prior")
        }
        # the key as a tensor: the checkpoint loads weights-only, without NumPy pickles
        name, key, *rest = np.random.get_state()
        rng = {
            "torch": torch.get_rng_state(),
            "numpy": [name, torch.from_numpy(key.astype(np.int64)), *rest],
            "python": random.getstate(),
        }
        save_checkpoint(
            checkpoint_path,
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "method": spec.name,
                "network": network,
                "config": asdict(config),
                "progress": progress,
                "rng": rng,
                "complete": complete,
                **({"ema": average.model.state_dict()} if average is not None else {}),
            },
        )
        write_weights(out / "model.safetensors")
        _write_log(out / "log.csv", state["log"], log_columns)

    def measure(network) -> dict:
        """The held-out loss and the method's measures of `network`, averaged over the ranks."""
        held = ddp.mean(heldout_loss(network, test_windows, heldout, loss_fn, config.seed, ddp.device))
        measures = (
            heldout_measures(spec, network, test_windows, heldout, config.seed, ddp.device)
            if every_rank_holds_some
            else {}
        )
        return {"heldout_loss": held, **{k: ddp.mean(v) for k, v in measures.items()}}

    def end_epoch(complete: bool):
        train_loss = ddp.mean(state["epoch_loss"][0] / max(state["epoch_loss"][1], 1))
        calibrate(shipped)
        if average is not None:
            calibrate(model)
        measures = measure(shipped)  # the weights written to model.safetensors
        # with a weight average, also the live weights that learn: the two differ most when the log is read to
        # decide whether training works, early on
        live = {f"live_{k}": v for k, v in measure(model).items()} if average is not None else {}
        if complete and config.lr_schedule == "plateau":
            scheduler.step(measures["heldout_loss"])
        row = {
            "epoch": state["epoch"] + 1,
            "step": state["step"],
            "examples": state["examples"],
            "train_loss": train_loss,
            **measures,
            **live,
            "lr": optimizer.param_groups[0]["lr"],
            "minutes": state["seconds"] / 60,
            "complete": int(complete),
        }
        state["log"].append(row)
        if writer is not None:
            for key in ("train_loss", "lr", *measures, *live):
                writer.add_scalar(key, row[key], state["examples"])
        if ddp.main:

            def shown(values: dict, prefix: str) -> str:
                extra = ", ".join(
                    f"{k.removeprefix(prefix + 'heldout_')} {v:.2f}"
                    for k, v in values.items()
                    if k != prefix + "heldout_loss"
                )
                return f"held-out {values[prefix + 'heldout_loss']:.5f}" + (f" ({extra})" if extra else "")

            weights = f"average: {shown(measures, '')}; live: {shown(live, 'live_')}" if live else shown(measures, "")
            print(
                f"epoch {row['epoch']}: train {train_loss:.5f}, {weights}, lr {row['lr']:.2g}, {row['minutes']:.1f} min"
            )

    clock = time.process_time if config.budget_clock == "cpu" else time.monotonic  # what state["seconds"] counts

    def out_of_budget() -> bool:
        return state["seconds"] >= limit or bool(config.max_steps and state["step"] >= config.max_steps)

    def warm_up(step: int) -> None:
        """The learning rate of step `step` (from 0) during the warm-up: a linear ramp to the schedule's rate."""
        if step < config.warmup_steps:
            factor = (step + 1) / config.warmup_steps
            base = (
                scheduler.get_last_lr()
                if config.lr_schedule != "plateau"
                else [config.lr] * len(optimizer.param_groups)
            )
            for group, lr in zip(optimizer.param_groups, base):
                group["lr"] = lr * factor
        elif config.warmup_steps and step == config.warmup_steps and config.lr_schedule == "plateau":
            for group in optimizer.param_groups:
                group["lr"] = config.lr

    stopped = None
    last_save = time.monotonic()
    net.train()
    with StopFlag() as stop:
        while state["epoch"] < config.epochs and stopped is None and not out_of_budget():
            order = np.random.default_rng([config.seed, state["epoch"]]).permutation(len(windows))[:per_epoch]
            local = order[ddp.rank :: ddp.world]
            if focus is not None:
                local = with_focus(
                    local,
                    focus,
                    config.batch_size,
                    focus_per_batch,
                    np.random.default_rng([config.seed, state["epoch"], 8, ddp.rank]),
                )
            bar = _bar(ddp.main and config.progress, steps_per_epoch, state)
            while state["step_in_epoch"] < steps_per_epoch:
                tick = clock()
                start = state["step_in_epoch"] * config.batch_size
                context, clean = windows.batch(local[start : start + config.batch_size])
                # the loss's per-pixel weights, from the windows' scenes before any turn
                weight = () if lens_weights is None else (lens_weights(local[start : start + config.batch_size]),)
                if config.augment:  # its own stream, so runs without augmentation keep their exact noise
                    context, clean, *weight = augment_windows(
                        context,
                        clean,
                        batch_generator(config.seed, state["epoch"], state["step_in_epoch"], ddp.rank, 1),
                        *weight,  # turned with their window
                    )
                context, clean = (t.to(ddp.device, memory_format=torch.channels_last) for t in (context, clean))
                g = batch_generator(config.seed, state["epoch"], state["step_in_epoch"], ddp.rank)
                if lens_weights is None:
                    loss = loss_fn(net, context, clean, g)
                else:
                    loss = loss_fn(net, context, clean, g, weight=weight[0].to(ddp.device))
                if not torch.isfinite(loss):
                    raise NextframeError(
                        f"the loss became {float(loss)} at step {state['step']}; lower --lr or check the data"
                    )
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                warm_up(state["step"])
                optimizer.step()
                if average is not None:
                    average.update(model, state["examples"] + len(clean) * ddp.world)
                state["step_in_epoch"] += 1
                state["step"] += 1
                state["examples"] += len(clean) * ddp.world
                state["epoch_loss"][0] += loss.item() * len(clean)
                state["epoch_loss"][1] += len(clean)
                state["seconds"] += clock() - tick
                snapshot()
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
                flags = torch.tensor(
                    [float(stop.raised), float(out_of_budget()), state["seconds"]], dtype=torch.float64
                )
                if ddp.world > 1:  # every rank must stop at the same step, and pace its schedule by the same clock
                    dist.all_reduce(flags, op=dist.ReduceOp.MAX)
                    state["seconds"] = float(flags[2])
                if config.lr_schedule != "plateau":
                    scheduler.step()  # after the step and the clock are counted, so a spent budget gives rate 0
                if flags[0]:
                    stopped = "interrupted"
                elif flags[1]:
                    stopped = "budget"
                if stopped:
                    break
                if time.monotonic() - last_save > config.checkpoint_minutes * 60:
                    save(False)
                    last_save = time.monotonic()
            bar.close()
            complete = state["step_in_epoch"] >= steps_per_epoch
            if stopped != "interrupted" and (complete or state["epoch_loss"][1]):
                end_epoch(complete)
            if complete:
                state["epoch"] += 1
                state["step_in_epoch"] = 0
                state["epoch_loss"] = [0.0, 0]
            save(state["epoch"] >= config.epochs)
            last_save = time.monotonic()
    if writer is not None:
        writer.close()
    ddp.close()
    if ddp.main and stopped == "interrupted":
        print(f"interrupted: state saved in {checkpoint_path}; run the same command to resume")
    return {
        "stopped": stopped or ("budget" if out_of_budget() else "epochs"),
        "steps": state["step"],
        "examples": state["examples"],
        "minutes": state["seconds"] / 60,
        "log": state["log"],
        "out": str(out),
    }


def budget_spent(step: int, seconds: float, max_steps: int, limit: float) -> float:
    """The share of the run's budget used after `step` steps and `seconds` of its clock, in [0, 1]: the larger of the
    two shares, so the cosine-budget schedule reaches 0 at whichever stop comes first (0 for a budget not set)."""
    shares = [step / max_steps if max_steps > 0 else 0.0, seconds / limit if math.isfinite(limit) else 0.0]
    return min(max(shares), 1.0)


def _leaves_truth(dataset: ClipDataset, config: TrainConfig, flag: str):
    """The training split's Moving Leaves ground truth and canvas size, which `flag` reads; a clear error without."""
    from nextframe.data.leaves import load_truth

    truth = dataset.truth("train")
    if dataset.meta.get("kind") != "moving-leaves" or truth is None:
        raise NextframeError(
            f"{flag} needs Moving Leaves ground truth, which {config.data} does not have; drop {flag} or use data "
            "from `nextframe data leaves`"
        )
    return load_truth(truth), dataset.meta.get("leaves", {}).get("size", 32)  # lengths in pixels scale with the canvas


def focus_windows(dataset: ClipDataset, config: TrainConfig) -> np.ndarray:
    """Indices of the training windows that `config.focus` draws from (`data.leaves.approach_windows`)."""
    from nextframe.data.leaves import approach_windows

    truth, size = _leaves_truth(dataset, config, "--focus")
    chosen = np.flatnonzero(approach_windows(truth, config.tau, size=size))
    if len(chosen) == 0:
        raise NextframeError(
            f"{config.data} has no windows where the disks are about to meet; drop --focus or generate more sequences"
        )
    return chosen


def lens_weighting(dataset: ClipDataset, config: TrainConfig, method: str):
    """A function from training-window indices to per-pixel loss weights (B, 1, H, W): 1, and 1 + `lens_weight`
    where the context says the disks may overlap next (`data.leaves.lens_region`)."""
    from nextframe.data.leaves import lens_region

    truth, size = _leaves_truth(dataset, config, "--lens-weight")
    if method != "score":
        raise NextframeError(f"--lens-weight weighs the score method's denoising loss; drop it for --method {method}")

    def weights(indices: np.ndarray) -> torch.Tensor:
        region = lens_region(truth, config.tau, indices, size=size)
        return torch.from_numpy(1.0 + config.lens_weight * region)[:, None]

    return weights


def _prior_training(init: str) -> list:
    """(steps, examples, minutes) that trained the --init weights, counting their own --init chain; 0 when not
    recorded."""
    meta = model_metadata(init)
    return [
        int(meta.get("total_steps", meta.get("steps", 0))),
        int(meta.get("total_examples", meta.get("examples", 0))),
        float(meta.get("total_minutes", meta.get("minutes", 0.0))),
    ]


def with_focus(
    order: np.ndarray, focus: np.ndarray, batch_size: int, per_batch: int, rng: np.random.Generator
) -> np.ndarray:
    """`order` with the first `per_batch` places of every batch of `batch_size` taken by windows drawn from `focus`."""
    order = order.copy()
    places = np.arange(len(order)) % batch_size < per_batch
    order[places] = rng.choice(focus, int(places.sum()))
    return order


def _bar(enabled: bool, total: int, state: dict):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=state["step_in_epoch"],
        desc=f"epoch {state['epoch'] + 1}",
        unit="step",
        disable=not enabled,
        leave=False,
    )


def _write_log(path: Path, rows: list[dict], columns: list[str]) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)


def _tensorboard(out: Path):
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional: pip install nextframe[tensorboard]
        return None
    return SummaryWriter(str(out / "tensorboard"))
