"""End to end: a small model trained by `nextframe train` for a few CPU minutes denoises better than the identity at
every tested noise level, and its samples on an ambiguous occlusion probe are sharper than its one-step estimate."""

import numpy as np
import pytest
import torch

import nextframe
from nextframe.analysis.probes import probe_experiment
from nextframe.cli.main import main
from nextframe.data.leaves import make_probe
from nextframe.data.store import ClipDataset, Windows
from nextframe.evaluation.denoising import denoising_psnr

pytestmark = pytest.mark.slow

# The few-minutes recipe (docs/design.md): width 16 trains 4,000 steps in about 6 minutes on 2 CPU cores; lr 2e-3
# with cosine annealing over the step budget, since the paper's plateau schedule never fires in minutes.
SEQUENCES = 4000
RECIPE = [
    "--tau",
    "2",
    "--width",
    "16",
    "--batch-size",
    "32",
    "--lr",
    "2e-3",
    "--lr-schedule",
    "cosine",
    "--max-steps",
    "4000",
    "--examples-per-epoch",
    "16000",
    "--heldout-examples",
    "512",
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("short")
    assert main(["data", "leaves", "--out", str(root / "data"), "--n", str(SEQUENCES), "--seed", "0"]) == 0
    assert main(["train", "--data", str(root / "data"), "--out", str(root / "model"), *RECIPE, "--no-progress"]) == 0
    return root, nextframe.load(root / "model")


def test_beats_the_identity_at_every_noise_level(trained):
    root, model = trained
    test = Windows(ClipDataset.open(root / "data").clips("test"), 2)
    rows = denoising_psnr(model, test, examples=512, seed=0)
    assert [r["input_psnr_target"] for r in rows] == [0.0, 10.0, 20.0, 30.0]
    for row in rows:
        assert row["output_psnr"] > row["input_psnr"] + 0.5, rows


def test_samples_are_sharper_than_the_one_step_estimate_on_the_ambiguous_probe(trained):
    _, model = trained
    found = probe_experiment(model, make_probe(5.0, 5.0), samples=16, seed=0)
    # the gap was 0.19 (0.555 against 0.367) once the probes went through the predictor, which seeds sample j of
    # the next frame with derive_seed(seed + j, 0) where `sample` had used seed + j: other draws, a gap near 0.2
    assert np.mean(found["sharpness_samples"]) > found["sharpness_one_step"] + 0.15, found["sharpness_samples"]
    assert np.median(found["evaluations"]) < 1000  # every sample stopped on sigma < 0.01, not on the cap


def test_trained_network_samples_are_batch_invariant(trained):
    _, model = trained
    context = torch.from_numpy(make_probe().context).reshape(1, 2, 32, 32)
    batch = nextframe.sample(model, context.repeat(3, 1, 1, 1), seed=[5, 6, 7])
    alone = nextframe.sample(model, context, seed=[6])
    torch.testing.assert_close(batch.frames[1], alone.frames[0], rtol=0, atol=1e-4)
