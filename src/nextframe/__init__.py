"""nextframe: probabilistic video prediction by score-based conditional density estimation (Fiquet & Simoncelli 2024).

import nextframe
model = nextframe.load("leaves-tau2")                 # a shipped model, or the path of one from `nextframe train`
result = nextframe.sample(model, context, samples=8)  # context: (B, tau*C, H, W) floats in [0, 1]
result.frames, result.status, result.evaluations      # (B*8, C, H, W); "converged" per sample; network calls
future, results = nextframe.rollout(model, past, 9)   # past: (B, T0 >= tau, C, H, W); future: (B, 9, C, H, W)
estimate = nextframe.one_step(model, context)         # the blurry posterior mean, for comparison
"""

from nextframe.errors import NextframeError

__version__ = "0.1.0"

_SAMPLING = ("PAPER", "SampleResult", "SamplerSettings", "one_step", "rollout", "sample")


def __getattr__(name: str):
    """The sampler's names, imported on first use (PEP 562): `import nextframe` and `nextframe --help` stay free of
    torch until something samples."""
    if name in _SAMPLING:
        import nextframe.sampling as sampling

        return getattr(sampling, name)
    raise AttributeError(f"module 'nextframe' has no attribute {name!r}")


def load(name_or_path, device="cpu", **options):
    """A trained model as its method's predictor, ready for `predict`, and for the score-based method also for
    `sample`, `one_step` and `rollout` (it is called as a denoiser: model(noisy (B, C, H, W), context (B, tau*C, H,
    W)) -> the denoised frame; `model.config` holds tau, channels and width; `model.network` is the torch module).

    `name_or_path`: a shipped model's name (`nextframe.models.SHIPPED`: "leaves-tau2", "davis-tau2", ...), a
    `.safetensors` weights file or `checkpoint.pt` written by `nextframe train`, or a run folder; the file says which
    method made it. Checkpoints are read weights-only: nothing in a file is executed. `options` go to the predictor
    (score-based: `sampler=SamplerSettings(...)` or `nextframe.PAPER`). Raises NextframeError for a missing, corrupt
    or foreign file.
    """
    from nextframe.methods import load as load_method

    return load_method(name_or_path, device, **options)


__all__ = [
    "PAPER",
    "NextframeError",
    "SampleResult",
    "SamplerSettings",
    "load",
    "one_step",
    "rollout",
    "sample",
    "__version__",
]
