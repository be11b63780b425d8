"""Training settings, one dataclass per concern (data, model, optimisation, run), joined into `TrainConfig`,
which is saved as JSON in every checkpoint and beside every set of weights. Each field carries its help and bounds
(`nextframe.settings.setting`), and `nextframe train`'s flags are generated from these classes, so a default lives in
one place and the API refuses what the command line refuses. What only one method reads (the score method's training
noise, MCVD's network) is that method's `Settings`, in its folder, carried here as `options`."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields

from nextframe.errors import NextframeError
from nextframe.settings import check_fields, setting

# The score method's training noise (`methods.score.training.Settings`), saved beside every method's settings before
# the method owned them: `TrainConfig.from_dict` moves them into a score run's options.
NOISE_FIELDS = ("sigma_max", "noise_power", "tail_share", "tail_sigma")

# Settings that define the model or its data: a checkpoint cannot be resumed under different values.
MODEL_FIELDS = (
    "tau",
    "width",
    "scales",
    "method",
    "options",
    "future",
    "seed",
    "augment",
    "freeze_norm",
    "batch_size",
    "lr_schedule",
    "init",
    "focus",
    "lens_weight",
    "ema_halflife",
    "ema_rampup",
)


@dataclass
class DataSettings:
    data: str = setting("", "dataset folder (from `nextframe data ...`)", required=True)
    tau: int = setting(2, "past frames the network sees (0: a single-image denoiser)", low=0)
    future: int = setting(
        1,
        "future frames per training window (1: the next frame; sequence methods take more; deterministic: a rollout over them)",
        low=1,
    )
    augment: bool = setting(False, "a random flip or quarter turn per window, the same on all its frames")
    focus: float = setting(
        0.0,
        "share of each batch drawn from the data's approach windows (Moving Leaves: two disks about to meet), "
        "where the rare occlusion decisions are learnt; 0: windows uniformly",
        low=0,
    )
    lens_weight: float = setting(
        0.0,
        "Moving Leaves, score method: the loss weighs each pixel where the context says the disks may overlap next "
        "(data.leaves.lens_region) 1 + this many times; 0: plain MSE (the paper)",
        low=0,
    )
    examples_per_epoch: int = setting(0, "windows per epoch (0: every training window once)", low=0)
    heldout_examples: int = setting(
        1024, "held-out windows from the test split, with fixed noise, scored after each epoch (log.csv)", low=1
    )

    def __post_init__(self):
        check_fields(self)
        self.check_data()

    def check_data(self):
        if not 0.0 <= self.focus < 1.0:
            raise NextframeError(f"--focus is a share of each batch, 0 <= focus < 1; got {self.focus}")
        if self.focus > 0 and self.tau < 1:
            raise NextframeError("--focus picks windows by their past frames, so it needs --tau 1 or more")
        if self.lens_weight > 0 and self.tau < 2:
            raise NextframeError(
                "--lens-weight extrapolates the disks from two past frames, so it needs --tau 2 or more"
            )


@dataclass
class ModelSettings:
    method: str = setting(
        "score", "the method trained (nextframe.methods): score, the paper's denoiser; deterministic, the past only"
    )
    width: int = setting(64, "channels at the first scale (App. C: 64)", low=1)
    scales: int = setting(3, "scales of the U-Net, each halving the image", low=1, high=6)
    options: dict = field(
        default_factory=dict,
        metadata={"help": "the method's own settings by name (its folder's Settings dataclass); checked by the method"},
    )

    def __post_init__(self):
        check_fields(self)
        self.check_model()

    def check_model(self):
        if not self.method:
            raise NextframeError(f"--method {self.method!r}: name a method (score, deterministic, ...)")


@dataclass
class OptimisationSettings:
    batch_size: int = setting(16, "windows per optimiser step (per process under torchrun; App. E: 4)", low=1)
    lr: float = setting(3e-4, "Adam learning rate (App. E)", positive=True, high=1.0)
    lr_schedule: str = setting(
        "plateau",
        "plateau: halve when the held-out loss stalls (App. E); cosine: anneal to 0 over --max-steps, for short "
        "budgeted runs where a plateau never comes; cosine-budget: anneal to 0 over whichever of --max-steps and "
        "--max-minutes runs out first, so a run stopped by its time ends annealed whatever the network's speed (paced "
        "by the clock, so not bitwise repeatable)",
        choices=("plateau", "cosine", "cosine-budget"),
    )
    plateau_patience: int = setting(2, "epochs without held-out improvement before the rate is halved", low=0)
    epochs: int = setting(
        1000, "epochs to train (App. E: 1000; --max-minutes or --max-steps usually stop first)", low=1
    )
    max_minutes: float = setting(0.0, "stop after this much training time in all, across resumes (0: none)", low=0)
    budget_clock: str = setting(
        "wall",
        "how --max-minutes is counted: wall, elapsed time of the optimiser steps; cpu, the CPU time this process "
        "spent on them (all its threads), so that runs sharing a machine get equal budgets",
        choices=("wall", "cpu"),
    )
    max_steps: int = setting(0, "stop after this many optimiser steps in all, across resumes (0: none)", low=0)
    ema_halflife: int = setting(
        0,
        "write, evaluate and sample from a moving average of the weights whose memory halves every this many "
        "examples (EDM's ema_halflife_kimg; 0: the live weights)",
        low=0,
    )
    ema_rampup: float = setting(
        0.05,
        "the average's half-life is at most this share of the examples seen so far (EDM's ema_rampup_ratio), so early "
        "in training it follows the live weights instead of keeping the random initialisation",
        positive=True,
        high=1.0,
    )
    warmup_steps: int = setting(
        0, "raise the learning rate linearly from 0 over this many optimiser steps (MCVD: 1,000)", low=0
    )
    grad_clip: float = setting(0.0, "clip the gradient's global norm to this (MCVD: 1; 0: no clipping)", low=0)
    init: str = setting(
        "",
        "start from these weights (shipped name, .safetensors, run folder) with a fresh optimiser and schedule: to "
        "train a model further, or to fine-tune it on other data",
    )
    freeze_norm: bool = setting(
        False, "batch norms keep the --init weights' running statistics in training too (networks.unet.freeze_norm)"
    )
    norm_batches: int = setting(
        64,
        "before weights are written or measured, set each batch norm's running statistics to the mean over this many "
        "training batches (0: keep the running average of the last few batches, which follows every batch)",
        low=0,
    )
    seed: int = setting(0, "seeds the initial weights, the window order and the noise", low=0)

    def __post_init__(self):
        check_fields(self)
        self.check_optimisation()

    def check_optimisation(self):
        if self.lr_schedule == "cosine" and self.max_steps <= 0:
            raise NextframeError("the cosine schedule anneals over --max-steps; set --max-steps too")
        if self.lr_schedule == "cosine-budget" and self.max_steps <= 0 and self.max_minutes <= 0:
            raise NextframeError(
                "the cosine-budget schedule anneals over --max-steps or --max-minutes; set one of them too"
            )
        if self.freeze_norm and not self.init:
            raise NextframeError(
                "--freeze-norm keeps the batch norms' running statistics, which a fresh network does not have yet; "
                "give --init too"
            )


@dataclass
class RunSettings:
    out: str = setting("runs/nextframe", "run folder: checkpoint.pt, model.safetensors, log.csv")
    snapshot_minutes: str = setting(
        "",
        "keep a copy of the shipped weights in OUT/snapshots/ when the total training time (--init chain included) "
        "passes each of these minutes, comma-separated (e.g. 3,10,30,100,300): the points of a learning curve",
    )
    checkpoint_minutes: float = setting(
        2.0, "save the full training state at least this often (an interrupted run loses at most this)", positive=True
    )
    device: str = setting("auto", "auto (cuda if available, else cpu), cpu, cuda or cuda:N")
    progress: bool = setting(True, "a progress bar", off_help="no progress bar; one line per epoch (for logs)")

    def __post_init__(self):
        check_fields(self)
        self.check_run()

    def snapshot_points(self) -> list[float]:
        try:
            points = [float(v) for v in str(self.snapshot_minutes).split(",") if v.strip()]
        except ValueError:
            points = [-1.0]
        if any(not p > 0 for p in points):
            raise NextframeError(f"--snapshot-minutes {self.snapshot_minutes!r}: positive minutes separated by commas")
        return points

    def check_run(self):
        self.snapshot_points()
        if not str(self.out).strip():
            raise NextframeError("--out is empty; name the run folder")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", str(self.device)):
            raise NextframeError(f"--device {self.device!r}: use auto, cpu, cuda or cuda:N")


CONCERNS = (
    DataSettings,
    ModelSettings,
    OptimisationSettings,
    RunSettings,
)  # the flags' groups, in order


@dataclass
class TrainConfig(RunSettings, OptimisationSettings, ModelSettings, DataSettings):
    """Every training setting, flat (so saved JSON and attribute access stay simple); fields come in CONCERNS order."""

    def __post_init__(self):
        """Every setting checked before any work, for the command line and the API alike."""
        check_fields(self)
        self.check_data()
        self.check_model()
        self.check_optimisation()
        self.check_run()
        if self.focus > 0 and round(self.focus * self.batch_size) == 0:
            raise NextframeError(
                f"--focus {self.focus} puts no window in a batch of {self.batch_size}; use at least {1 / self.batch_size:.3g}"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_dict(values: dict) -> TrainConfig:
        """Settings saved by any version: before methods had names, `noisy_input` False meant the prediction-only one;
        before the score method owned its training noise, its settings (NOISE_FIELDS) sat beside every method's."""
        if "method" not in values and "noisy_input" in values:
            values = {**values, "method": "score" if values["noisy_input"] else "deterministic"}
        noise = {k: values[k] for k in NOISE_FIELDS if k in values}
        if noise.get("tail_share") == 0:
            noise.pop("tail_sigma", None)  # no tail drawn: its top was unused (older runs saved 0 here)
        if noise and values.get("method") == "score":  # the other methods never drew the score method's noise
            values = {**values, "options": {**noise, **values.get("options", {})}}
        known = {f.name for f in fields(TrainConfig)}
        return TrainConfig(**{k: v for k, v in values.items() if k in known})

    def check_resumable(self, saved: TrainConfig, where: str) -> None:
        for name in MODEL_FIELDS:
            if getattr(self, name) != getattr(saved, name):
                raise NextframeError(
                    f"{where} was trained with {name}={getattr(saved, name)!r}, not {getattr(self, name)!r}; "
                    "use another --out, or --fresh to start over"
                )
