"""Training settings: one dataclass, saved as JSON in every checkpoint and beside every set of weights."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, fields

from nextframe.errors import NextframeError

# Settings that define the model or its data: a checkpoint cannot be resumed under different values.
MODEL_FIELDS = (
    "tau",
    "width",
    "scales",
    "method",
    "seed",
    "sigma_max",
    "noise_power",
    "tail_sigma",
    "tail_share",
    "augment",
    "freeze_norm",
    "batch_size",
    "lr_schedule",
    "init",
    "focus",
    "ema_halflife",
)


@dataclass
class TrainConfig:
    data: str = ""  # dataset folder (see nextframe.data.store)
    out: str = "runs/nextframe"  # folder for checkpoint.pt, model.safetensors, log.csv
    tau: int = 2  # past frames the network sees
    width: int = 64  # channels at the first scale (App. C: 64)
    scales: int = 3
    method: str = "score"  # the method trained (`nextframe.methods.METHODS`): "score", the paper's denoiser;
    # "deterministic", the prediction-only network
    batch_size: int = 16  # per process (App. E: 4)
    lr: float = 3e-4  # Adam learning rate (App. E)
    lr_schedule: str = "plateau"  # "plateau": halve when the held-out loss stalls (App. E); "cosine": anneal to 0 over
    # max_steps, for short budgeted runs where a plateau never comes
    plateau_patience: int = 2  # epochs without held-out improvement before the learning rate is halved
    sigma_max: float = 1.0  # noise std sigma = sigma_max * u^noise_power, u ~ U[0, 1] (App. E: power 2)
    noise_power: float = 2.0  # 2: App. E's sqrt(sigma) uniform; 1: sigma uniform, more examples at the high noise
    # levels where the sampler's first steps decide what the sample shows
    tail_sigma: float = 0.0  # with tail_share > 0: that share of examples takes sigma log-uniform in
    tail_share: float = 0.0  # [sigma_max, tail_sigma] instead, to cover input PSNRs below 0 dB (loss.py)
    augment: bool = False  # a random flip or quarter turn per window, the same on all its frames (augment.py)
    freeze_norm: bool = False  # batch norms divide by their running std in training too (networks.unet.freeze_norm);
    # for fine-tuning --init weights, whose running std is already set
    epochs: int = 1000  # App. E trains 1000 epochs; max_minutes usually stops first on a CPU
    examples_per_epoch: int = 0  # windows per epoch (0: every training window once)
    heldout_examples: int = 1024  # held-out windows from the test split, with fixed noise, scored after each epoch
    max_minutes: float = 0.0  # stop after this much training time in all, across resumes (0: no limit)
    max_steps: int = 0  # stop after this many optimiser steps in all, across resumes (0: no limit)
    checkpoint_minutes: float = 2.0  # save the full training state at least this often
    focus: float = 0.0  # share of each batch drawn from the data's approach windows (Moving Leaves: two disks about
    # to meet, `data.leaves.approach_windows`), where the rare occlusion decisions are learnt; 0: windows uniformly
    ema_halflife: int = 0  # examples over which an exponential moving average of the weights halves the weight of
    # the past (EDM's ema_halflife_kimg); the average is what model.safetensors holds and what is evaluated; 0: none
    seed: int = 0
    init: str = ""  # start from these weights (shipped name, .safetensors, run folder) with a fresh optimiser and
    # schedule: to train a model further after its cosine schedule has ended, or to fine-tune it on other data
    device: str = "auto"  # "auto": cuda if available, else cpu
    progress: bool = True

    def __post_init__(self):
        """Every setting checked before any work, for the command line and the API alike (the flag is the field's
        name with dashes)."""
        at_least = {
            "tau": 0,
            "width": 1,
            "scales": 1,
            "batch_size": 1,
            "epochs": 1,
            "examples_per_epoch": 0,
            "heldout_examples": 1,
            "max_steps": 0,
            "plateau_patience": 0,
            "seed": 0,
            "ema_halflife": 0,
        }
        for name, low in at_least.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise NextframeError(f"--{name.replace('_', '-')} {value!r}: must be a whole number of at least {low}")
        positive = ("lr", "sigma_max", "checkpoint_minutes")
        for name in positive + ("max_minutes", "noise_power", "focus", "tail_share", "tail_sigma"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
                or (name in positive and value == 0)
            ):
                need = "a positive number" if name in positive else "a number of at least 0"
                raise NextframeError(f"--{name.replace('_', '-')} {value!r}: must be {need}")
        for name, high in (("lr", 1.0), ("sigma_max", 100.0), ("noise_power", 10.0), ("tail_sigma", 1000.0)):
            if getattr(self, name) > high:
                raise NextframeError(f"--{name.replace('_', '-')} {getattr(self, name)!r}: at most {high:g}")
        if not isinstance(self.method, str) or not self.method:
            raise NextframeError(f"--method {self.method!r}: name a method (score, deterministic, ...)")
        if not str(self.out).strip():
            raise NextframeError("--out is empty; name the run folder")
        if self.scales > 6:
            raise NextframeError(f"--scales {self.scales}: at most 6 (each halves the image)")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", str(self.device)):
            raise NextframeError(f"--device {self.device!r}: use auto, cpu, cuda or cuda:N")
        if self.lr_schedule not in ("plateau", "cosine"):
            raise NextframeError(f"lr_schedule must be 'plateau' or 'cosine', got {self.lr_schedule!r}")
        if self.lr_schedule == "cosine" and self.max_steps <= 0:
            raise NextframeError("the cosine schedule anneals over --max-steps; set --max-steps too")
        if not 0.0 <= self.tail_share < 1.0:
            raise NextframeError(f"--tail-share is a share of the examples, 0 <= share < 1; got {self.tail_share}")
        if self.tail_share > 0 and not self.tail_sigma > self.sigma_max:
            raise NextframeError(
                f"--tail-sigma {self.tail_sigma:g} must exceed --sigma-max {self.sigma_max:g} when --tail-share is set"
            )
        if self.freeze_norm and not self.init:
            raise NextframeError(
                "--freeze-norm keeps the batch norms' running statistics, which a fresh network does not have yet; give --init too"
            )
        if not 0.0 <= self.focus < 1.0:
            raise NextframeError(f"--focus is a share of each batch, 0 <= focus < 1; got {self.focus}")
        if not self.noise_power > 0:
            raise NextframeError(f"--noise-power {self.noise_power:g} must be positive (sigma = sigma_max * u^power)")
        if self.ema_halflife < 0:
            raise NextframeError(f"--ema-halflife {self.ema_halflife} must be 0 (no average) or a number of examples")
        if self.focus > 0 and self.tau < 1:
            raise NextframeError("--focus picks windows by their past frames, so it needs --tau 1 or more")
        if self.focus > 0 and round(self.focus * self.batch_size) == 0:
            raise NextframeError(
                f"--focus {self.focus} puts no window in a batch of {self.batch_size}; use at least {1 / self.batch_size:.3g}"
            )

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @staticmethod
    def from_dict(values: dict) -> TrainConfig:
        """Settings saved by any version: before methods had names, `noisy_input` False meant the prediction-only one."""
        if "method" not in values and "noisy_input" in values:
            values = {**values, "method": "score" if values["noisy_input"] else "deterministic"}
        known = {f.name for f in fields(TrainConfig)}
        return TrainConfig(**{k: v for k, v in values.items() if k in known})

    def check_resumable(self, saved: TrainConfig, where: str) -> None:
        for name in MODEL_FIELDS:
            if getattr(self, name) != getattr(saved, name):
                raise NextframeError(
                    f"{where} was trained with {name}={getattr(saved, name)!r}, not {getattr(self, name)!r}; "
                    "use another --out, or --fresh to start over"
                )
