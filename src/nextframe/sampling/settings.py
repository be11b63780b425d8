"""The sampler's settings: one dataclass holds their defaults, their checks and their help, and the command line is
generated from it (`nextframe.cli.options`), so a default lives in one place and the API refuses what the CLI refuses.

`SamplerSettings()` are the library's defaults: a constant step h0 0.5 from sigma0 16, beta 0.75, stopping at sigma
0.05 (about 14 network evaluations per sample), the cheapest setting measured calibrated on exact mixtures (worst TV
0.030 against the paper's 0.387), with a lower CRPS on DAVIS32 than the slow references; on Moving Leaves it decides
differently from them (largest difference 0.14; docs/results/sampler-networks). `PAPER` is the paper's sampler
(Kadkhodaie & Simoncelli 2021, Alg. 1, as used by Fiquet & Simoncelli 2024), one flag away on the command line
(`--paper-sampler`). docs/results/sampler-frontier and docs/results/sampler-networks measure both.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, fields, replace

from nextframe.errors import NextframeError
from nextframe.settings import check_fields, flag, setting


@dataclass(frozen=True)
class SamplerSettings:
    schedule: str = setting(
        "constant",
        "step sizes: ramp, the paper's h_k = h0 k / (1 + h0 (k-1)); constant, h_k = h0, so that the "
        "noise level shrinks by 1 - beta h0 every step",
        choices=("ramp", "constant"),
    )
    h0: float = setting(0.5, "first step size (ramp) or every step's (constant)", positive=True, high=1.0)
    beta: float = setting(
        0.75,
        "fraction of the noise removed per step that is not injected back (1: none injected)",
        positive=True,
        high=1.0,
    )
    late_beta: float | None = setting(
        None,
        "beta once the noise level has fallen below late_sigma (a beta schedule in sigma_k); default: beta",
        positive=True,
        high=1.0,
    )
    late_sigma: float = setting(0.0, "noise level below which late_beta replaces beta", low=0.0)
    # bounds for frames in [0, 1]: beyond them the sampler starts far outside anything the networks were trained on
    sigma0: float = setting(16.0, "noise level of the initial image", positive=True, high=100.0)
    mean: float = setting(0.5, "mean of the initial image", low=-1.0, high=2.0)
    sigma_stop: float = setting(
        0.05, "stop a sample once its estimated noise level falls below this (below sigma0)", positive=True
    )
    sigma_diverge: float | None = setting(
        None, "give up on (and retry) a sample whose noise level exceeds this; default 2 x sigma0", positive=True
    )
    max_steps: int = setting(1000, "cap on steps per sample", low=1)
    final: str = setting(
        "denoise",
        "the returned frame: denoise, the last step's denoised estimate (free); noisy, the last iterate",
        choices=("denoise", "noisy"),
    )
    retries: int = setting(3, "restarts of a diverged sample, each from a seed derived from its own", low=0)
    heun: bool = setting(False, "correct each step's deterministic part with a second evaluation (EDM's Heun step)")
    start: str = setting(
        "mean",
        "initial image: mean, mean + sigma0 z; one_step, the same noise centred on the one-step "
        "estimate (one more evaluation)",
        choices=("mean", "one_step"),
    )

    def __post_init__(self):
        check_fields(self)  # types, bounds and choices of each field, naming its flag
        if not self.sigma_stop < self.sigma0:
            raise NextframeError(
                f"{flag('sigma_stop')} {self.sigma_stop:g}: must lie below {flag('sigma0')} {self.sigma0:g} (the "
                "sampler starts at sigma0 and stops at sigma_stop)"
            )
        if self.sigma_diverge is not None and not self.sigma_diverge > self.sigma0:
            raise NextframeError(
                f"{flag('sigma_diverge')} {self.sigma_diverge:g}: must exceed {flag('sigma0')} {self.sigma0:g}"
            )
        steps = self.constant_steps() if self.schedule == "constant" and self.h0 < 0.1 else 0
        if steps > self.max_steps:
            # h0 means a different thing under each schedule: the paper's 0.01 is the first step of a ramp, and as a
            # constant step it ran 1,002 evaluations per sample and stopped at the cap, far from any mode
            warnings.warn(
                f"a constant step h0={self.h0:g} with beta={self.beta:g} needs about {steps:,} steps "
                f"to bring the noise from sigma0={self.sigma0:g} to sigma_stop={self.sigma_stop:g}, more than "
                f"max_steps={self.max_steps}: the samples will stop noisy. For the paper's small first step use "
                "schedule='ramp' (or the paper's preset, --paper-sampler)",
                stacklevel=1,  # one place: shown once, however many times the settings are built
            )

    def constant_steps(self) -> int:
        """Steps a constant schedule takes from sigma0 to sigma_stop: the noise shrinks by 1 - beta h0 a step."""
        shrink = 1.0 - self.beta * self.h0
        return 1 if shrink <= 0 else math.ceil(math.log(self.sigma_stop / self.sigma0) / math.log(shrink))

    def knobs(self) -> dict:
        """The settings as keywords of `sample`, `rollout` and `one_step`."""
        return asdict(self)


# The paper's sampler: the ramp from h0 = 0.01, sigma0 = 1 around a mean of 0.5, beta = 0.5, stop at sigma 0.01
PAPER = replace(SamplerSettings(), schedule="ramp", h0=0.01, beta=0.5, sigma0=1.0, mean=0.5, sigma_stop=0.01)
NAMES = frozenset(f.name for f in fields(SamplerSettings))


def settings_from(knobs: dict, base: SamplerSettings | None = None) -> SamplerSettings:
    """`base` (default: the library's defaults) with the sampler settings among `knobs` replaced; other keys ignored."""
    return replace(base or SamplerSettings(), **{k: v for k, v in knobs.items() if k in NAMES})
