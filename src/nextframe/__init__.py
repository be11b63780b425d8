"""nextframe: probabilistic video prediction by score-based conditional density estimation (Fiquet & Simoncelli 2024).

    import nextframe
    model = nextframe.load("leaves-tau2")                 # a shipped model, or the path of one from `nextframe train`
    result = nextframe.sample(model, context, samples=8)  # context: (B, tau*C, H, W) floats in [0, 1]
    result.frames, result.status, result.evaluations      # (B*8, C, H, W); "converged" per sample; network calls
    future, results = nextframe.rollout(model, past, 9)   # past: (B, T0 >= tau, C, H, W); future: (B, 9, C, H, W)
    estimate = nextframe.one_step(model, context)         # the blurry posterior mean, for comparison
"""

from nextframe.errors import NextframeError
from nextframe.sampling import SampleResult, one_step, rollout, sample

__version__ = "0.1.0"


def load(name_or_path, device="cpu"):
    """A trained network in evaluation mode, ready for `sample`, `one_step` and `rollout`.

    `name_or_path`: a shipped model's name (`nextframe.models.SHIPPED`: "leaves-tau2", "davis-tau2", ...), a `.safetensors`
    weights file or `checkpoint.pt` written by `nextframe train`, or a run folder. Checkpoints are read weights-only:
    nothing in a file is executed. Returns a `ConditionalUNet`: called as model(noisy (B, C, H, W), context
    (B, tau*C, H, W)) it returns the denoised frame; `model.config` holds tau, channels and width. Raises
    NextframeError for a missing, corrupt or foreign file.
    """
    from nextframe.training.checkpoint import load_model

    return load_model(name_or_path, device)


__all__ = ["NextframeError", "SampleResult", "load", "one_step", "rollout", "sample", "__version__"]
