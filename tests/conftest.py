"""Fixtures shared by the test files: small Moving Leaves datasets, made once per session. They are read-only: a test
writes its runs and outputs under its own tmp_path, never into these."""

import pytest

from nextframe.data.leaves import LeavesConfig, write_leaves


@pytest.fixture(scope="session")
def leaves40(tmp_path_factory):
    """40 sequences of 32x32 Moving Leaves (seed 0): 36 training and 4 test clips of 11 frames."""
    return write_leaves(tmp_path_factory.mktemp("leaves40") / "data", n=40, progress=False)


@pytest.fixture(scope="session")
def leaves16(tmp_path_factory):
    """The same 40 sequences' scene on a 16x16 canvas (`LeavesConfig.for_size(16)`)."""
    cfg = LeavesConfig.for_size(16)
    return write_leaves(tmp_path_factory.mktemp("leaves16") / "data", n=40, cfg=cfg, progress=False)


# The smallest network of each method that trains through the shared loop, and how: 2 to 3 steps on leaves40.
TINY_BASE = dict(batch_size=8, examples_per_epoch=16, max_steps=2)
TINY_RUNS = {
    "score": dict(width=4, future=1),
    "deterministic": dict(width=4, future=2),
    "mcvd": dict(width=8, future=1, options={"multipliers": (1, 2), "diffusion_steps": 100, "sample_steps": 4}),
    "rvd": dict(
        width=8,
        future=2,
        batch_size=4,
        examples_per_epoch=8,
        options={"multipliers": (1, 2), "diffusion_steps": 100, "sample_steps": 4},
    ),
    "svg_lp": dict(width=8, future=3, max_steps=3, options={"g_dim": 16, "rnn_size": 16, "z_dim": 4}),
}


@pytest.fixture(scope="session")
def tiny_run(leaves40, tmp_path_factory):
    """`tiny_run(method)` -> (run folder, its TrainConfig): a TINY_RUNS run of the method on leaves40, trained once per
    session, read-only like the data (a test that trains further writes under its own tmp_path)."""
    from nextframe.methods import train
    from nextframe.training.config import TrainConfig

    made = {}

    def run(name: str):
        if name not in made:
            out = tmp_path_factory.mktemp(f"tiny-{name}") / "run"
            config = TrainConfig(
                data=str(leaves40), out=str(out), method=name, tau=2, heldout_examples=8, progress=False,
                **{**TINY_BASE, **TINY_RUNS[name]},
            )  # fmt: skip
            made[name] = (out, config, train(config))
        return made[name]

    return run
