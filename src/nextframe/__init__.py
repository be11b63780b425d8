"""nextframe: probabilistic video prediction by score-based conditional density estimation (Fiquet & Simoncelli 2024).

    import nextframe
    model = nextframe.load("leaves-tau2")             # a shipped model, or the path of one from `nextframe train`
    result = nextframe.sample(model, context)        # context: (B, tau*C, H, W) in [0, 1]
    result.frames, result.evaluations, result.sigmas
"""

from nextframe.errors import NextframeError
from nextframe.sampling import SampleResult, one_step, rollout, sample

__version__ = "0.1.0"


def load(name_or_path, device="cpu"):
    """A trained network in evaluation mode: a shipped model by name (see `nextframe.models.SHIPPED`), or a
    `.safetensors` weights file, a training checkpoint, or a run folder."""
    from nextframe.training.checkpoint import load_model

    return load_model(name_or_path, device)


__all__ = ["NextframeError", "SampleResult", "load", "one_step", "rollout", "sample", "__version__"]
